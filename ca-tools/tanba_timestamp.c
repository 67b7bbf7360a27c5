/*
 * tanba timestamp: adds RFC 3161 time-stamp tokens (CAdES-T) to an existing
 * CMS, asking the TSA itself (libsig/tst_client.c) when --tsa-url is given,
 * else the daemon's timestamp op (its [tsa]). Every token is verified
 * against the TSA trust list (--tsa-anchors, or the daemon's [tsa] anchors)
 * before it is added; the signed content and signed attributes are left as
 * they are.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "http_fetch.h"
#include "tanba.h"
#include "tb_file.h"
#include "tst_client.h"

#define TS_INPUT_MAX (64u * 1024 * 1024)

static void
ts_usage(void)
{
	fprintf(stderr,
	    "usage: tanba timestamp --tsa-url URL --tsa-anchors PEM [--tsa-policy OID]\n"
	    "       [--tsa-hash sha256|sha384|sha512] [--timeout-ms N] [--signer N]\n"
	    "       [-o OUT] FILE.p7s\n"
	    "       tanba timestamp [--signer N] [--embed-evidence] [-o OUT] FILE.p7s\n"
	    "                                          (the daemon's [tsa])\n");
}

int
tanba_read_cms(const char *path, unsigned char **der, size_t *len, tb_error *err)
{
	unsigned char *buf = NULL, *d = NULL;
	size_t n = 0;
	char *name = NULL, *header = NULL;
	long dl = 0;
	BIO *b;
	int r;

	if ((r = tb_file_read(path, TS_INPUT_MAX, &buf, &n, err)) != 0)
		return r;
	if (n > 11 && memcmp(buf, "-----BEGIN ", 11) == 0) {
		b = BIO_new_mem_buf(buf, (int)n);
		if (b == NULL || PEM_read_bio(b, &name, &header, &d, &dl) != 1) {
			BIO_free(b);
			free(buf);
			return tb_error_set(err, TB_ERR_MALFORMED, "%s: bad PEM", path);
		}
		BIO_free(b);
		OPENSSL_free(name);
		OPENSSL_free(header);
		free(buf);
		if ((buf = malloc((size_t)dl)) == NULL) {
			OPENSSL_free(d);
			return tb_error_set(err, TB_ERR_NOMEM, "%s", path);
		}
		memcpy(buf, d, (size_t)dl);
		OPENSSL_free(d);
		n = (size_t)dl;
	}
	*der = buf;
	*len = n;
	return 0;
}

/* The daemon's timestamp op over cms; *out (malloc'd) the stamped CMS. */
static int
stamp_by_daemon(const char *socket_path, const unsigned char *cms, size_t cms_len,
    int signer, int embed, unsigned char **out, size_t *out_len)
{
	json_t *req = NULL, *resp = NULL, *er;
	char *b64 = NULL;
	const char *s, *code, *field;
	tb_error e;
	int r = -1;

	tb_error_clear(&e);
	if ((b64 = tanba_b64_encode(cms, cms_len)) == NULL ||
	    (req = json_pack("{s:s, s:s}", "op", "timestamp", "cms", b64)) == NULL ||
	    (signer >= 0 && json_object_set_new(req, "signer", json_integer(signer)) != 0) ||
	    (embed && json_object_set_new(req, "evidence", json_string("embed")) != 0)) {
		tanba_die_msg("timestamp: out of memory building the request");
		goto out;
	}
	if (tanba_client_call(socket_path, req, &resp, &e) != 0) {
		tanba_die_msg("%s", e.detail[0] ? e.detail : tb_err_str(e.code));
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		er = json_object_get(resp, "error");
		s = json_string_value(json_object_get(er, "message"));
		code = json_string_value(json_object_get(er, "code"));
		field = json_string_value(json_object_get(er, "field"));
		tanba_die_msg("timestamp: %s (%s%s%s)", s != NULL ? s : "refused",
		    code != NULL ? code : "no code", field != NULL ? ", field " : "",
		    field != NULL ? field : "");
		goto out;
	}
	if ((s = json_string_value(json_object_get(resp, "cms"))) == NULL ||
	    tanba_b64_decode(s, out, out_len) != 0) {
		tanba_die_msg("timestamp: the daemon answered without a valid \"cms\" field");
		goto out;
	}
	r = 0;
out:
	free(b64);
	json_decref(req);
	json_decref(resp);
	return r;
}

int
tanba_cmd_timestamp(const char *socket_path, int argc, char **argv)
{
	const char *anchors = NULL, *outp = NULL, *in = NULL;
	tb_tsa_opts o;
	tb_verify_policy pol;
	tb_trust *trust = NULL;
	unsigned char *cms = NULL, *out = NULL, *dout = NULL;
	size_t cms_len = 0, out_len = 0;
	int i, signer = -1, embed = 0, rc = TANBA_EXIT_ERROR;
	FILE *f;
	tb_error e;

	tb_error_clear(&e);
	tb_tsa_opts_init(&o);
	o.fetcher = &tb_http_fetcher;
	tb_verify_policy_default(&pol);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;

		if (strcmp(a, "--tsa-url") == 0 && has)
			o.url = argv[++i];
		else if (strcmp(a, "--tsa-anchors") == 0 && has)
			anchors = argv[++i];
		else if (strcmp(a, "--tsa-policy") == 0 && has)
			o.policy = argv[++i];
		else if (strcmp(a, "--tsa-hash") == 0 && has)
			o.hash = argv[++i];
		else if (strcmp(a, "--timeout-ms") == 0 && has)
			o.fetch.timeout_ms = o.fetch.connect_timeout_ms = atol(argv[++i]);
		else if (strcmp(a, "--signer") == 0 && has)
			signer = atoi(argv[++i]);
		else if (strcmp(a, "-o") == 0 && has)
			outp = argv[++i];
		else if (strcmp(a, "--embed-evidence") == 0)
			embed = 1;
		else if (a[0] != '-' && in == NULL)
			in = a;
		else {
			tanba_die_msg("timestamp: unexpected argument '%s'", a);
			ts_usage();
			return TANBA_EXIT_ERROR;
		}
	}
	/* Without --tsa-url the daemon asks its [tsa]; the TSA options are its then. */
	if (in == NULL || (o.url != NULL && (anchors == NULL || o.fetch.timeout_ms <= 0)) ||
	    (o.url == NULL && (anchors != NULL || o.policy != NULL || o.hash != NULL)) ||
	    (o.url != NULL && embed)) {
		ts_usage();
		return TANBA_EXIT_ERROR;
	}
	if (tanba_read_cms(in, &cms, &cms_len, &e) != 0) {
		tanba_die_msg("timestamp: %s", e.detail);
		goto out;
	}
	if (o.url == NULL) {
		if (stamp_by_daemon(socket_path, cms, cms_len, signer, embed, &dout, &out_len) != 0)
			goto out;
		goto write;
	}
	if ((trust = tb_trust_new()) == NULL || tb_trust_load_anchors(trust, anchors, &e) != 0) {
		tanba_die_msg("--tsa-anchors: %s", e.detail[0] ? e.detail : "out of memory");
		goto out;
	}
	/* No revocation source here: the TSA's certificate path and EKU are checked. */
	pol.check_iin_checksum = 0;
	o.trust = trust;
	o.pol = &pol;
	if (tb_tsa_stamp_cms(&o, cms, cms_len, signer, &out, &out_len, &e) != 0) {
		tanba_die_msg("timestamp: %s", e.detail);
		goto out;
	}
write:
	if ((f = outp != NULL ? fopen(outp, "wb") : stdout) == NULL ||
	    fwrite(out != NULL ? out : dout, 1, out_len, f) != out_len ||
	    (outp != NULL && fclose(f) != 0)) {
		tanba_die_msg("timestamp: cannot write %s", outp != NULL ? outp : "stdout");
		goto out;
	}
	if (outp == NULL)
		fflush(stdout);
	rc = TANBA_EXIT_OK;
out:
	tb_trust_free(trust);
	free(cms);
	free(dout);
	OPENSSL_free(out);
	return rc;
}
