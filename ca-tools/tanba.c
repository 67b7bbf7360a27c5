/*
 * tanba: the command-line client of tanbad. It turns arguments into one
 * request on the daemon's socket and the answer into a file or a table.
 * It never holds a key or a PIN, and on any failure it says why on exactly
 * one stderr line and exits 2.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tanba.h"

/* The daemon's default max_frame_bytes; data grows by 4/3 in base64. */
#define TANBA_DEFAULT_FRAME_BYTES 16777216L
#define TANBA_FRAME_OVERHEAD 4096L

void
tanba_die_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("tanba: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	fputs("usage: tanba [--socket PATH] COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  sign --key NAME [--detached] [--digest ALG:HEX]\n"
	    "       [--digest-alg sha256|sha384|sha512|streebog512|streebog256]\n"
	    "       [--pem] [--timestamp|--timestamp-preferred] [--embed-evidence] [-o OUT] [FILE|-]\n"
	    "                                   sign FILE (or stdin) as CAdES-BES (-T) CMS\n"
	    "  sign --key NAME --add-to FILE.p7s [--detached-content DOC|--digest ALG:HEX]\n"
	    "       [--digest-alg ALG] [--pem] [-o OUT]\n"
	    "                                   add a signer to an existing CMS\n"
	    "  sign --key NAME --countersign N [--digest-alg ALG] [--pem] [-o OUT] FILE.p7s\n"
	    "                                   counter-sign signer N (0 first) of a CMS\n"
	    "  sign --key NAME [--detached [--by-digest]] [--digest-alg ALG] [--pem]\n"
	    "       [--out-dir DIR] FILE FILE...\n"
	    "                                   sign several files in one request: FILE.p7s each\n"
	    "  sign --key NAME --format xml [--reference '#ID'] [--digest-alg ALG] [-o OUT] [FILE|-]\n"
	    "                                   an enveloped XML signature over FILE (or one element)\n"
	    "  sign --key NAME --format wsse [--ttl SECONDS] [--digest-alg ALG] [-o OUT] [FILE|-]\n"
	    "                                   sign a SOAP envelope with WS-Security\n"
	    "  keys [--json]                    list the daemon's keys\n"
	    "  status [--json]                  show the daemon's health\n"
	    "  verify ...                       verify a CMS signature\n"
	    "  check-cert ...                   check a certificate\n"
	    "  timestamp [--tsa-url URL --tsa-anchors PEM] [--signer N] [-o OUT] FILE.p7s\n"
	    "                                   add RFC 3161 time stamps (CAdES-T)\n"
	    "\n"
	    "The socket is $TANBA_SOCKET, or " TANBA_DEFAULT_SOCKET ".\n"
	    "Exit status: 0 success, 1 a verdict other than VALID, 2 an error.\n", f);
}

/* The largest document the daemon will take, from TANBA_MAX_FRAME_BYTES. */
long
tanba_data_limit(void)
{
	const char *s = getenv("TANBA_MAX_FRAME_BYTES");
	long frame = TANBA_DEFAULT_FRAME_BYTES;
	char *end;

	if (s != NULL && *s != '\0') {
		errno = 0;
		frame = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || frame <= TANBA_FRAME_OVERHEAD)
			frame = TANBA_DEFAULT_FRAME_BYTES;
	}
	return (frame - TANBA_FRAME_OVERHEAD) / 4 * 3;
}

/*
 * Reads all of path ("-" for stdin) into a new buffer. *toobig is set to the
 * size seen when the input is over limit.
 */
int
tanba_read_input(const char *path, long limit, unsigned char **out, size_t *outlen,
    size_t *toobig, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	FILE *f = NULL;
	unsigned char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;
	int is_stdin = strcmp(path, "-") == 0;

	*toobig = 0;
	f = is_stdin ? stdin : fopen(path, "rb");
	if (f == NULL) {
		r = tb_error_set(err, TB_ERR_IO, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nbuf = realloc(buf, cap)) == NULL) {
				r = tb_error_set(err, TB_ERR_NOMEM, "reading %s", path);
				goto out;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
		if ((long)len > limit && *toobig == 0) {
			/* Keep counting without keeping: the size goes into the message. */
			unsigned char sink[65536];

			while ((n = fread(sink, 1, sizeof(sink), f)) > 0)
				len += n;
			*toobig = len;
			break;
		}
	}
	if (ferror(f)) {
		r = tb_error_set(err, TB_ERR_IO, "reading %s: %s", path, strerror(errno));
		goto out;
	}
	if (*toobig != 0) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "input too large (%zu bytes, limit %ld)",
		    len, limit);
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	r = 0;
out:
	if (f != NULL && !is_stdin)
		fclose(f);
	free(buf);
	return r;
}

/* Standard base64 of buf; a new string. */
char *
tanba_b64_encode(const unsigned char *buf, size_t len)
{
	char *s;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	if ((s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, buf, (int)len);
	return s;
}

/* Decodes standard base64 into a new buffer; -1 when it is not base64. */
int
tanba_b64_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t len = strlen(s), pad = 0;
	unsigned char *buf;
	int n;

	if (len == 0 || len % 4 != 0 || len > (size_t)INT32_MAX)
		return -1;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	if ((buf = malloc(len / 4 * 3 + 1)) == NULL)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = (size_t)n - pad;	/* EVP_DecodeBlock counts the padding as zero bytes */
	return 0;
}

int
tanba_write_output(const char *path, const unsigned char *der, size_t len, int pem,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	BIO *b = NULL;

	if (path == NULL || strcmp(path, "-") == 0)
		b = BIO_new_fp(stdout, BIO_NOCLOSE);
	else
		b = BIO_new_file(path, "wb");
	if (b == NULL) {
		r = tb_error_set(err, TB_ERR_IO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	if (pem) {
		if (PEM_write_bio(b, "CMS", "", der, (long)len) <= 0) {
			r = tb_error_set(err, TB_ERR_IO, "writing %s", path ? path : "stdout");
			goto out;
		}
	} else if (BIO_write(b, der, (int)len) != (int)len) {
		r = tb_error_set(err, TB_ERR_IO, "writing %s", path ? path : "stdout");
		goto out;
	}
	if (BIO_flush(b) <= 0) {
		r = tb_error_set(err, TB_ERR_IO, "writing %s", path ? path : "stdout");
		goto out;
	}
	r = 0;
out:
	BIO_free(b);
	return r;
}

/* A field of an error answer, or "". */
static const char *
error_field(json_t *resp, const char *name)
{
	const char *s = json_string_value(json_object_get(json_object_get(resp, "error"), name));

	return s != NULL ? s : "";
}

/*
 * For a dead signing certificate the line must carry its date: the daemon
 * says it, and when it does not, the key list does.
 */
static void
report_cert_date(const char *socket_path, const char *key, const char *what,
    const char *message)
{
	json_t *req = NULL, *resp = NULL, *k;
	const char *date = NULL;
	const char *field = strcmp(what, "expired") == 0 ? "not_after" : "not_before";
	size_t i;

	if ((req = json_pack("{s:s}", "op", "keys")) != NULL &&
	    tanba_client_call(socket_path, req, &resp, NULL) == 0) {
		json_array_foreach(json_object_get(resp, "keys"), i, k) {
			if (json_is_string(json_object_get(k, "name")) &&
			    strcmp(json_string_value(json_object_get(k, "name")), key) == 0)
				date = json_string_value(json_object_get(k, field));
		}
	}
	if (date != NULL && strstr(message, date) == NULL)
		tanba_die_msg("certificate of key '%s' %s (%s %s): %s", key,
		    strcmp(what, "expired") == 0 ? "has expired" : "is not yet valid",
		    field, date, message);
	else if (date != NULL)
		tanba_die_msg("%s", message);	/* the daemon's line already says it all */
	else
		tanba_die_msg("certificate of key '%s' %s: %s", key,
		    strcmp(what, "expired") == 0 ? "has expired" : "is not yet valid", message);
	json_decref(req);
	json_decref(resp);
}

/* Prints the one line for an error answer and returns the exit status. */
int
tanba_report_error_answer(const char *socket_path, json_t *resp, const char *key,
    size_t inlen)
{
	const char *code = error_field(resp, "code");
	const char *msg = error_field(resp, "message");
	const char *field = error_field(resp, "field");

	if (strcmp(code, "no_such_key") == 0 && key != NULL)
		tanba_die_msg("no such key '%s'", key);
	else if (strcmp(code, "token_unavailable") == 0)
		tanba_die_msg("token unavailable: %s", msg);
	else if (strcmp(code, "too_large") == 0 && inlen > 0)
		tanba_die_msg("input too large (%zu bytes, over the daemon's limit): %s",
		    inlen, msg);
	else if (strcmp(code, "cert_expired") == 0 && key != NULL)
		report_cert_date(socket_path, key, "expired", msg);
	else if (strcmp(code, "cert_not_yet_valid") == 0 && key != NULL)
		report_cert_date(socket_path, key, "notyet", msg);
	else if (*field != '\0')
		tanba_die_msg("%s (%s, field '%s')", *msg ? msg : code, code, field);
	else
		tanba_die_msg("%s (%s)", *msg ? msg : "request failed", *code ? code : "no code");
	return TANBA_EXIT_ERROR;
}

/* Calls the daemon; on a transport failure prints the line and returns -1. */
static int
call_or_report(const char *socket_path, json_t *req, json_t **resp)
{
	tb_error err;

	tb_error_clear(&err);
	if (tanba_client_call(socket_path, req, resp, &err) != 0) {
		tanba_die_msg("%s", err.detail[0] ? err.detail : tb_err_str(err.code));
		return -1;
	}
	return 0;
}

/* Checks ALG:HEX against the digest lengths the daemon knows. */
static int
digest_arg_ok(const char *s)
{
	static const struct { const char *alg; size_t hexlen; } algs[] = {
		{ "sha256", 64 }, { "sha384", 96 }, { "sha512", 128 },
		{ "streebog256", 64 }, { "streebog512", 128 },
	};
	const char *colon = strchr(s, ':');
	size_t i, n;

	if (colon == NULL)
		return 0;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if ((size_t)(colon - s) != strlen(algs[i].alg) ||
		    strncasecmp(s, algs[i].alg, (size_t)(colon - s)) != 0)
			continue;
		n = strlen(colon + 1);
		if (n != algs[i].hexlen || strspn(colon + 1, "0123456789abcdefABCDEF") != n)
			return 0;
		return 1;
	}
	return 0;
}

static int
cmd_sign(const char *socket_path, int argc, char **argv)
{
	int rc = TANBA_EXIT_ERROR;
	const char *key = NULL, *digest = NULL, *digest_alg = NULL, *outpath = NULL;
	const char *input = NULL, *stamp = NULL, *add_to = NULL, *content = NULL;
	int detached = 0, pem = 0, by_digest = 0, embed = 0, i;
	long counter = -1;
	char *end;
	const char *out_dir = NULL, *format = NULL, *reference = NULL;
	long ttl = 0;
	char **inputs = NULL;
	int ninputs = 0;
	unsigned char *data = NULL, *der = NULL;
	size_t datalen = 0, derlen = 0, toobig = 0;
	char *b64 = NULL;
	json_t *req = NULL, *resp = NULL;
	tb_error err;

	tb_error_clear(&err);
	if ((inputs = calloc((size_t)argc, sizeof(*inputs))) == NULL) {
		tanba_die_msg("out of memory");
		goto out;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--key") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(a, "--detached") == 0)
			detached = 1;
		else if (strcmp(a, "--digest") == 0 && i + 1 < argc)
			digest = argv[++i];
		else if (strcmp(a, "--digest-alg") == 0 && i + 1 < argc)
			digest_alg = argv[++i];
		else if (strcmp(a, "--pem") == 0)
			pem = 1;
		else if (strcmp(a, "--add-to") == 0 && i + 1 < argc)
			add_to = argv[++i];
		else if (strcmp(a, "--detached-content") == 0 && i + 1 < argc)
			content = argv[++i];
		else if (strcmp(a, "--countersign") == 0 && i + 1 < argc) {
			counter = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || counter < 0 || counter > 1000) {
				tanba_die_msg("sign: --countersign needs a signer's number (0, 1, ...)");
				goto out;
			}
		}
		else if (strcmp(a, "--timestamp") == 0)
			stamp = "yes";
		else if (strcmp(a, "--timestamp-preferred") == 0)
			stamp = "preferred";
		else if (strcmp(a, "--embed-evidence") == 0)
			embed = 1;
		else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc)
			outpath = argv[++i];
		else if (strcmp(a, "--out-dir") == 0 && i + 1 < argc)
			out_dir = argv[++i];
		else if (strcmp(a, "--by-digest") == 0)
			by_digest = 1;
		else if (strcmp(a, "--format") == 0 && i + 1 < argc)
			format = argv[++i];
		else if (strcmp(a, "--reference") == 0 && i + 1 < argc)
			reference = argv[++i];
		else if (strcmp(a, "--ttl") == 0 && i + 1 < argc) {
			ttl = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || ttl <= 0 || ttl > 86400) {
				tanba_die_msg("sign: --ttl needs seconds (1 to 86400)");
				goto out;
			}
		}
		else if (strcmp(a, "--") == 0 && i + 1 < argc) {
			while (i + 1 < argc)
				inputs[ninputs++] = argv[++i];
		} else if (a[0] != '-' || strcmp(a, "-") == 0)
			inputs[ninputs++] = argv[i];
		else {
			tanba_die_msg("sign: unexpected argument '%s' (see tanba --help)", a);
			goto out;
		}
	}
	input = ninputs > 0 ? inputs[0] : NULL;
	/* Checked before the several-files path too, which hashes with it itself. */
	if (digest_alg != NULL && strcmp(digest_alg, "sha256") != 0 &&
	    strcmp(digest_alg, "sha384") != 0 && strcmp(digest_alg, "sha512") != 0 &&
	    strcmp(digest_alg, "streebog256") != 0 && strcmp(digest_alg, "streebog512") != 0) {
		tanba_die_msg("sign: unknown digest algorithm '%s' (sha256, sha384, sha512; "
		    "streebog256, streebog512 for GOST keys)", digest_alg);
		goto out;
	}
	if (format != NULL && strcmp(format, "cms") != 0) {
		/* XML is signed whole, by the daemon: none of the CMS options. */
		if ((strcmp(format, "xml") != 0 && strcmp(format, "wsse") != 0) || ninputs > 1 ||
		    out_dir != NULL || by_digest || detached || digest != NULL || pem ||
		    add_to != NULL || counter >= 0 || content != NULL || stamp != NULL || embed ||
		    (reference != NULL && strcmp(format, "xml") != 0) ||
		    (ttl > 0 && strcmp(format, "wsse") != 0)) {
			tanba_die_msg("sign: --format xml [--reference '#ID'] or --format wsse "
			    "[--ttl SECONDS] sign one FILE (with --key, --digest-alg, -o; no CMS "
			    "option)");
			goto out;
		}
		if (key == NULL) {
			tanba_die_msg("sign: --key NAME is required");
			goto out;
		}
		rc = tanba_sign_xml(socket_path, key, format, reference, digest_alg, ttl, input,
		    outpath);
		goto out;
	}
	if (reference != NULL || ttl > 0) {
		tanba_die_msg("sign: --reference goes with --format xml, --ttl with --format wsse");
		goto out;
	}
	if (ninputs > 1 || out_dir != NULL || by_digest) {
		if (digest != NULL || stamp != NULL || outpath != NULL || add_to != NULL ||
		    counter >= 0 || content != NULL || embed) {
			tanba_die_msg("sign: several files take neither --digest, --timestamp, "
			    "--embed-evidence, -o, --add-to nor --countersign (each FILE is written "
			    "to FILE.p7s, or into --out-dir)");
			goto out;
		}
		if (by_digest && !detached) {
			tanba_die_msg("sign: --by-digest makes detached signatures: add --detached");
			goto out;
		}
		if (key == NULL) {
			tanba_die_msg("sign: --key NAME is required");
			goto out;
		}
		rc = tanba_sign_batch(socket_path, key, digest_alg, detached, by_digest, pem,
		    out_dir, inputs, (size_t)ninputs);
		goto out;
	}
	if (key == NULL) {
		tanba_die_msg("sign: --key NAME is required");
		goto out;
	}
	if (add_to != NULL || counter >= 0) {
		/* On an existing CMS: co-sign it, or counter-sign one of its signers. */
		if ((add_to != NULL && counter >= 0) || (counter >= 0 && input == NULL)) {
			tanba_die_msg("sign: --add-to FILE.p7s co-signs, --countersign N FILE.p7s "
			    "counter-signs: one of them");
			goto out;
		}
		if (detached || stamp != NULL || embed || (add_to != NULL && input != NULL) ||
		    (counter >= 0 && (content != NULL || digest != NULL))) {
			tanba_die_msg("sign: with --add-to give the document only as "
			    "--detached-content (or --digest); --countersign takes no document; "
			    "no --detached, --timestamp or --embed-evidence");
			goto out;
		}
		if (digest != NULL && (content != NULL || !digest_arg_ok(digest))) {
			tanba_die_msg("sign: --digest must be ALG:HEX, and not with --detached-content");
			goto out;
		}
		req = tanba_cosign_request(key, add_to != NULL ? add_to : input, content, digest,
		    digest_alg, counter, &err);
		if (req == NULL) {
			tanba_die_msg("%s", err.detail);
			goto out;
		}
	} else if (content != NULL) {
		tanba_die_msg("sign: --detached-content goes with --add-to");
		goto out;
	} else if (digest != NULL) {
		if (input != NULL) {
			tanba_die_msg("sign: give either --digest or a file, not both");
			goto out;
		}
		if (!digest_arg_ok(digest)) {
			tanba_die_msg("sign: --digest must be sha256|sha384|sha512 ':' and the hex digest of that length");
			goto out;
		}
		if (digest_alg != NULL && strncasecmp(digest, digest_alg, strlen(digest_alg)) != 0) {
			tanba_die_msg("sign: --digest-alg %s does not match --digest %.*s", digest_alg,
			    (int)(strchr(digest, ':') - digest), digest);
			goto out;
		}
		req = json_pack("{s:s, s:s, s:s, s:b}", "op", "sign", "key", key,
		    "digest", digest, "detached", 1);
	} else {
		if (tanba_read_input(input != NULL ? input : "-", tanba_data_limit(), &data,
		    &datalen, &toobig, &err) != 0) {
			tanba_die_msg("%s", err.detail);
			goto out;
		}
		if ((b64 = tanba_b64_encode(data, datalen)) == NULL) {
			tanba_die_msg("out of memory encoding %zu bytes", datalen);
			goto out;
		}
		req = json_pack("{s:s, s:s, s:s, s:b}", "op", "sign", "key", key,
		    "data", b64, "detached", detached);
		if (req != NULL && digest_alg != NULL)
			json_object_set_new(req, "digest_alg", json_string(digest_alg));
	}
	if (req == NULL) {
		tanba_die_msg("out of memory building the request");
		goto out;
	}
	if (stamp != NULL)
		json_object_set_new(req, "timestamp", strcmp(stamp, "yes") == 0 ? json_true() :
		    json_string(stamp));
	/* The daemon fails the request rather than sign without the evidence. */
	if (embed)
		json_object_set_new(req, "evidence", json_string("embed"));
	if (call_or_report(socket_path, req, &resp) != 0)
		goto out;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		rc = tanba_report_error_answer(socket_path, resp, key, datalen);
		goto out;
	}
	if (!json_is_string(json_object_get(resp, "cms")) ||
	    tanba_b64_decode(json_string_value(json_object_get(resp, "cms")), &der, &derlen) != 0) {
		tanba_die_msg("daemon answered without a valid \"cms\" field");
		goto out;
	}
	if (json_is_string(json_object_get(resp, "timestamp_error")))
		fprintf(stderr, "tanba: sign: not time-stamped: %s\n",
		    json_string_value(json_object_get(resp, "timestamp_error")));
	if (tanba_write_output(outpath, der, derlen, pem, &err) != 0) {
		tanba_die_msg("%s", err.detail);
		goto out;
	}
	rc = TANBA_EXIT_OK;
out:
	free(inputs);
	free(data);
	free(der);
	free(b64);
	json_decref(req);
	json_decref(resp);
	return rc;
}

static const char *
str_or(json_t *o, const char *name, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : dflt;
}

/* An integer field as text, "-" when absent. */
static const char *
int_text(json_t *o, const char *name, char *buf, size_t len)
{
	json_t *v = json_object_get(o, name);

	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.1f", json_real_value(v));
	else
		snprintf(buf, len, "-");
	return buf;
}

static void
print_keys_table(json_t *keys)
{
	json_t *k;
	size_t i;
	char bits[32], days[32];

	printf("%-16s %-12s %5s %-5s %-11s %6s %-6s %-20s %s\n", "NAME", "TYPE", "BITS",
	    "STORE", "DIGEST", "DAYS", "USABLE", "NOT_AFTER", "SUBJECT");
	json_array_foreach(keys, i, k) {
		printf("%-16s %-12s %5s %-5s %-11s %6s %-6s %-20s %s\n", str_or(k, "name", "?"),
		    str_or(k, "type", "-"), int_text(k, "bits", bits, sizeof(bits)),
		    str_or(k, "store", "-"), str_or(k, "digest", "-"),
		    int_text(k, "days_left", days, sizeof(days)),
		    json_is_true(json_object_get(k, "usable")) ? "yes" : "no",
		    str_or(k, "not_after", "-"), str_or(k, "subject", "-"));
		if (json_is_string(json_object_get(k, "problem")))
			printf("  problem: %s\n", str_or(k, "problem", ""));
	}
}

static void
print_status(json_t *s)
{
	json_t *t, *k, *ce, *c = json_object_get(s, "counters"), *l = json_object_get(s, "latency_ms");
	size_t i;
	char b1[32], b2[32], b3[32], b4[32], b5[32];

	printf("version        %s\n", str_or(s, "version", "-"));
	printf("uptime_s       %s\n", int_text(s, "uptime_s", b1, sizeof(b1)));
	printf("config_loaded  %s\n", str_or(s, "config_loaded", "-"));
	ce = json_object_get(s, "config_error");
	if (ce == NULL || json_is_null(ce))
		printf("config_error   none\n");
	else if (json_is_string(ce))
		printf("config_error   %s\n", json_string_value(ce));
	else {
		char *txt = json_dumps(ce, JSON_COMPACT);

		printf("config_error   %s\n", txt != NULL ? txt : "?");
		free(txt);
	}
	printf("counters       connections %s  requests %s  errors %s  signatures %s\n",
	    int_text(c, "connections", b1, sizeof(b1)), int_text(c, "requests", b2, sizeof(b2)),
	    int_text(c, "errors", b3, sizeof(b3)), int_text(c, "signatures", b4, sizeof(b4)));
	printf("latency_ms     sign_p50 %s  sign_p99 %s\n",
	    int_text(l, "sign_p50", b1, sizeof(b1)), int_text(l, "sign_p99", b2, sizeof(b2)));
	printf("\n%-16s %-8s %9s %9s %10s %8s %10s\n", "TOKEN", "HEALTHY", "SESSIONS",
	    "BUSY", "SIGNATURES", "FAILURES", "RECONNECTS");
	json_array_foreach(json_object_get(s, "tokens"), i, t) {
		printf("%-16s %-8s %9s %9s %10s %8s %10s\n", str_or(t, "label", "?"),
		    json_is_true(json_object_get(t, "healthy")) ? "yes" : "NO",
		    int_text(t, "sessions_max", b1, sizeof(b1)),
		    int_text(t, "sessions_busy", b2, sizeof(b2)),
		    int_text(t, "signatures", b3, sizeof(b3)),
		    int_text(t, "failures", b4, sizeof(b4)),
		    int_text(t, "reconnects", b5, sizeof(b5)));
	}
	printf("\n%-16s %6s %s\n", "KEY", "DAYS", "USABLE");
	json_array_foreach(json_object_get(s, "keys"), i, k) {
		printf("%-16s %6s %s\n", str_or(k, "name", "?"),
		    int_text(k, "days_left", b1, sizeof(b1)),
		    json_is_true(json_object_get(k, "usable")) ? "yes" : "no");
	}
}

/* keys and status: same shape, one request without arguments. */
static int
cmd_query(const char *socket_path, const char *op, int argc, char **argv)
{
	int rc = TANBA_EXIT_ERROR, as_json = 0, i;
	json_t *req = NULL, *resp = NULL;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else {
			tanba_die_msg("%s: unexpected argument '%s'", op, argv[i]);
			goto out;
		}
	}
	if ((req = json_pack("{s:s}", "op", op)) == NULL) {
		tanba_die_msg("out of memory");
		goto out;
	}
	if (call_or_report(socket_path, req, &resp) != 0)
		goto out;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		rc = tanba_report_error_answer(socket_path, resp, NULL, 0);
		goto out;
	}
	if (as_json) {
		json_object_del(resp, "id");
		json_object_del(resp, "ok");
		if (json_dumpf(resp, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0) {
			tanba_die_msg("writing stdout: %s", strerror(errno));
			goto out;
		}
		putchar('\n');
	} else if (strcmp(op, "keys") == 0)
		print_keys_table(json_object_get(resp, "keys"));
	else
		print_status(resp);
	if (fflush(stdout) != 0) {
		tanba_die_msg("writing stdout: %s", strerror(errno));
		goto out;
	}
	rc = TANBA_EXIT_OK;
out:
	json_decref(req);
	json_decref(resp);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *socket_path = getenv("TANBA_SOCKET");
	int i = 1;

	if (socket_path == NULL || *socket_path == '\0')
		socket_path = TANBA_DEFAULT_SOCKET;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			socket_path = argv[++i];
		else if (strncmp(argv[i], "--socket=", 9) == 0)
			socket_path = argv[i] + 9;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return TANBA_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("tanba %s\n", PACKAGE_VERSION);
			return TANBA_EXIT_OK;
		} else {
			tanba_die_msg("unknown option '%s' (see tanba --help)", argv[i]);
			return TANBA_EXIT_ERROR;
		}
	}
	if (i >= argc) {
		tanba_die_msg("no command given (see tanba --help)");
		return TANBA_EXIT_ERROR;
	}
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "sign") == 0)
		return cmd_sign(socket_path, argc, argv);
	if (strcmp(argv[0], "keys") == 0 || strcmp(argv[0], "status") == 0)
		return cmd_query(socket_path, argv[0], argc, argv);
	if (strcmp(argv[0], "verify") == 0)
		return tanba_cmd_verify(socket_path, argc, argv);
	if (strcmp(argv[0], "check-cert") == 0)
		return tanba_cmd_check_cert(socket_path, argc, argv);
	if (strcmp(argv[0], "timestamp") == 0)
		return tanba_cmd_timestamp(socket_path, argc, argv);
	if (strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return TANBA_EXIT_OK;
	}
	tanba_die_msg("unknown command '%s' (see tanba --help)", argv[0]);
	return TANBA_EXIT_ERROR;
}
