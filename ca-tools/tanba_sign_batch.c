/*
 * tanba sign with several files: one sign request with "documents" (or,
 * with --by-digest, "digests" made here, so only hashes cross the socket),
 * and one CMS written per file, FILE.p7s beside it or NAME.p7s in
 * --out-dir. A file the daemon could not sign is reported on its own line
 * and the others are still written.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gost.h"
#include "tanba.h"

/* Where FILE's signature goes: FILE.p7s, or DIR/basename(FILE).p7s. */
static char *
output_path(const char *file, const char *out_dir, int pem)
{
	const char *base = strrchr(file, '/'), *ext = pem ? ".pem" : ".p7s";
	size_t len;
	char *p;

	base = base != NULL ? base + 1 : file;
	len = (out_dir != NULL ? strlen(out_dir) + 1 + strlen(base) : strlen(file)) +
	    strlen(ext) + 1;
	if ((p = malloc(len)) == NULL)
		return NULL;
	if (out_dir != NULL)
		snprintf(p, len, "%s/%s%s", out_dir, base, ext);
	else
		snprintf(p, len, "%s%s", file, ext);
	return p;
}

/* "ALG:HEX" of a file's content, for "digests"; Streebog (a GOST key's) from the gost engine. */
static json_t *
file_digest(const unsigned char *data, size_t len, const char *alg)
{
	const char *kz = strcmp(alg, "streebog512") == 0 ? "1.2.398.3.10.1.3.3" :
	    strcmp(alg, "streebog256") == 0 ? "1.2.398.3.10.1.3.2" : NULL;
	const EVP_MD *md = kz == NULL ? EVP_get_digestbyname(alg) : NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	char text[sizeof("streebog512:") + 2 * EVP_MAX_MD_SIZE];
	unsigned int hl = 0, i;
	size_t pos;

	if (kz != NULL ? tb_gost_digest_oid(kz, data, len, h, &hl, NULL) != 0 :
	    md == NULL || EVP_Digest(data, len, h, &hl, md, NULL) != 1)
		return NULL;
	pos = (size_t)snprintf(text, sizeof(text), "%s:", alg);
	for (i = 0; i < hl; i++, pos += 2)
		snprintf(text + pos, 3, "%02x", h[i]);
	return json_string(text);
}

/* The request's list: every file read whole, as base64 or as its digest. */
static int
read_items(char **files, size_t n, int by_digest, const char *digest_alg, json_t *list)
{
	long limit = tanba_data_limit(), left = limit;
	unsigned char *data;
	size_t len, toobig, i;
	json_t *v;
	char *b64;
	tb_error err;

	for (i = 0; i < n; i++) {
		tb_error_clear(&err);
		if (strcmp(files[i], "-") == 0) {
			tanba_die_msg("sign: several files cannot include stdin ('-')");
			return -1;
		}
		data = NULL;
		if (tanba_read_input(files[i], by_digest ? 1L << 62 : left, &data, &len, &toobig,
		    &err) != 0) {
			tanba_die_msg("%s: %s%s", files[i], err.detail, toobig != 0 ?
			    " (all the files of one request together; sign fewer at once, or "
			    "--detached --by-digest)" : "");
			free(data);
			return -1;
		}
		if (by_digest) {
			v = file_digest(data, len, digest_alg != NULL ? digest_alg : "sha256");
		} else {
			left -= (long)len;
			b64 = tanba_b64_encode(data, len);
			v = b64 != NULL ? json_string(b64) : NULL;
			free(b64);
		}
		free(data);
		if (v == NULL || json_array_append_new(list, v) != 0) {
			tanba_die_msg("%s: out of memory", files[i]);
			return -1;
		}
	}
	return 0;
}

/* Writes each signed file's CMS; reports each failed one. Returns how many failed. */
static size_t
write_results(json_t *results, char **files, size_t n, int pem, const char *out_dir)
{
	size_t i, der_len, failed = 0;
	unsigned char *der;
	const char *code, *msg;
	char *path;
	json_t *r;
	tb_error err;

	for (i = 0; i < n; i++) {
		r = json_array_get(results, i);
		if (!json_is_true(json_object_get(r, "ok"))) {
			code = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
			msg = json_string_value(json_object_get(json_object_get(r, "error"),
			    "message"));
			tanba_die_msg("%s: not signed: %s (%s)", files[i], msg ? msg : "no answer",
			    code ? code : "no code");
			failed++;
			continue;
		}
		der = NULL;
		path = output_path(files[i], out_dir, pem);
		tb_error_clear(&err);
		if (path == NULL || !json_is_string(json_object_get(r, "cms")) ||
		    tanba_b64_decode(json_string_value(json_object_get(r, "cms")), &der,
		    &der_len) != 0) {
			tanba_die_msg("%s: daemon answered without a valid \"cms\"", files[i]);
			failed++;
		} else if (tanba_write_output(path, der, der_len, pem, &err) != 0) {
			tanba_die_msg("%s", err.detail);
			failed++;
		}
		free(der);
		free(path);
	}
	return failed;
}

/*
 * Two files whose signatures would go to one path (a/doc and b/doc with
 * --out-dir, or a file named twice): the second would overwrite the first.
 */
static int
outputs_distinct(char **files, size_t n, int pem, const char *out_dir)
{
	char **paths = calloc(n, sizeof(*paths));
	size_t i, j;
	int ok = paths != NULL;

	for (i = 0; ok && i < n; i++)
		ok = (paths[i] = output_path(files[i], out_dir, pem)) != NULL;
	if (!ok)
		tanba_die_msg("sign: out of memory");
	for (i = 0; ok && i < n; i++)
		for (j = 0; ok && j < i; j++)
			if (strcmp(paths[i], paths[j]) == 0) {
				tanba_die_msg("sign: %s and %s would both be signed into %s",
				    files[j], files[i], paths[i]);
				ok = 0;
			}
	for (i = 0; paths != NULL && i < n; i++)
		free(paths[i]);
	free(paths);
	return ok ? 0 : -1;
}

int
tanba_sign_batch(const char *socket_path, const char *key, const char *digest_alg,
    int detached, int by_digest, int pem, const char *out_dir, char **files, size_t n)
{
	json_t *req = NULL, *resp = NULL, *list = json_array(), *results;
	int rc = TANBA_EXIT_ERROR;
	size_t failed;
	tb_error err;

	if (n == 0) {
		tanba_die_msg("sign: no file given");
		goto out;
	}
	if (outputs_distinct(files, n, pem, out_dir) != 0)
		goto out;
	if (list == NULL || read_items(files, n, by_digest, digest_alg, list) != 0)
		goto out;
	if ((req = json_pack("{s:s, s:s, s:O}", "op", "sign", "key", key,
	    by_digest ? "digests" : "documents", list)) == NULL ||
	    (!by_digest && json_object_set_new(req, "detached", json_boolean(detached)) != 0) ||
	    (!by_digest && digest_alg != NULL &&
	    json_object_set_new(req, "digest_alg", json_string(digest_alg)) != 0)) {
		tanba_die_msg("out of memory building the request");
		goto out;
	}
	tb_error_clear(&err);
	if (tanba_client_call(socket_path, req, &resp, &err) != 0) {
		tanba_die_msg("%s", err.detail[0] ? err.detail : tb_err_str(err.code));
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		rc = tanba_report_error_answer(socket_path, resp, key, 0);
		goto out;
	}
	results = json_object_get(resp, "results");
	if (!json_is_array(results) || json_array_size(results) != n) {
		tanba_die_msg("daemon answered %zu results for %zu files",
		    json_array_size(results), n);
		goto out;
	}
	failed = write_results(results, files, n, pem, out_dir);
	if (failed > 0)
		tanba_die_msg("sign: %zu of %zu files not signed", failed, n);
	rc = failed == 0 ? TANBA_EXIT_OK : TANBA_EXIT_ERROR;
out:
	json_decref(list);
	json_decref(req);
	json_decref(resp);
	return rc;
}
