/*
 * tanba verify / check-cert: asks the daemon, or with --offline runs the
 * same libsig verification in-process against trust given on the command
 * line. Either way the answer is the JSON of tb_verify_result_to_json and
 * is printed the same way: the verdict code alone on the first line.
 * It never signs and never reads a key.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cms_evidence.h"
#include "crl.h"
#include "crl_signer.h"
#include "rev_offline.h"
#include "tanba.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "verify.h"
#include "xml.h"

#define INPUT_MAX (64u * 1024 * 1024)
#define MAX_ROLES 8
#define MAX_CRL_FILES 16
#define MAX_OCSP_FILES 8

typedef struct vopts {
	int is_cert;
	const char *input;
	const char *content;
	const char *iin, *bin;
	const char *roles[MAX_ROLES];
	size_t n_roles;
	const char *lang;
	int as_json;
	int offline;
	const char *anchors;
	const char *untrusted;
	const char *crls[MAX_CRL_FILES];
	size_t n_crls;
	const char *ocsps[MAX_OCSP_FILES];
	size_t n_ocsps;
	int no_revocation;
	int evidence;
	int embedded;			/* --embedded-revocation: the CMS's own CRLs and OCSP responses */
	const char *at;
	int signing_time;
	int timestamp_time;		/* --time timestamp: at the signer's time-stamp token */
	const char *tsa_anchors;	/* --tsa-anchors: trust for time-stamp tokens (offline) */
	int require_nr;
	int check_iin;			/* the IIN/BIN check digit (default 1) */
	int allow_sha1;
	const char *format;		/* --format cms|xml; NULL: told by the input */
	const char *signed_element;	/* XML: --signed-element */
	tb_policy_inputs policy;	/* --policy and the three flags */
} vopts;

static void
vusage(const char *cmd)
{
	fprintf(stderr,
	    "usage: tanba [--socket PATH] %s [--iin IIN] [--bin BIN] [--role ROLE]...\n"
	    "       [--lang kk|ru|en] [--json]%s [--at RFC3339-TIME]\n"
	    "       [--no-check-iin-checksum] [--evidence] [--embedded-revocation]\n"
	    "       [--offline --anchors PEM [--tsa-anchors PEM]\n"
	    "        [--untrusted PEM] [--crl FILE]... [--ocsp-response FILE]... [--no-revocation]]\n"
	    "       [--policy OID]... [--require-explicit-policy] [--inhibit-policy-mapping]\n"
	    "       [--inhibit-any-policy] [--format cms|xml] [--signed-element /|#ID|NAME]\n"
	    "       %s\n", cmd,
	    strcmp(cmd, "verify") == 0 ?
	    " [--content FILE] [--signing-time] [--time now|signing_time|timestamp]" : "",
	    strcmp(cmd, "verify") == 0 ? "SIGNATURE" : "CERT");
}

static int
parse_args(int argc, char **argv, vopts *o)
{
	int i;
	tb_error e;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;

		if (strcmp(a, "--content") == 0 && has && !o->is_cert)
			o->content = argv[++i];
		else if (strcmp(a, "--iin") == 0 && has)
			o->iin = argv[++i];
		else if (strcmp(a, "--bin") == 0 && has)
			o->bin = argv[++i];
		else if (strcmp(a, "--role") == 0 && has && o->n_roles < MAX_ROLES)
			o->roles[o->n_roles++] = argv[++i];
		else if (strcmp(a, "--lang") == 0 && has)
			o->lang = argv[++i];
		else if (strcmp(a, "--json") == 0)
			o->as_json = 1;
		else if (strcmp(a, "--offline") == 0)
			o->offline = 1;
		else if (strcmp(a, "--anchors") == 0 && has)
			o->anchors = argv[++i];
		else if (strcmp(a, "--untrusted") == 0 && has)
			o->untrusted = argv[++i];
		else if (strcmp(a, "--crl") == 0 && has && o->n_crls < MAX_CRL_FILES)
			o->crls[o->n_crls++] = argv[++i];
		else if (strcmp(a, "--ocsp-response") == 0 && has && o->n_ocsps < MAX_OCSP_FILES)
			o->ocsps[o->n_ocsps++] = argv[++i];
		else if (strcmp(a, "--no-revocation") == 0)
			o->no_revocation = 1;
		else if (strcmp(a, "--evidence") == 0)
			o->evidence = 1;
		else if (strcmp(a, "--embedded-revocation") == 0 && !o->is_cert)
			o->embedded = 1;
		else if (strcmp(a, "--at") == 0 && has)
			o->at = argv[++i];
		else if (strcmp(a, "--signing-time") == 0 && !o->is_cert)
			o->signing_time = 1;
		else if (strcmp(a, "--time") == 0 && has && !o->is_cert) {
			a = argv[++i];
			o->signing_time = strcmp(a, "signing_time") == 0;
			o->timestamp_time = strcmp(a, "timestamp") == 0;
			if (!o->signing_time && !o->timestamp_time && strcmp(a, "now") != 0) {
				tanba_die_msg("%s: --time: now, signing_time or timestamp", argv[0]);
				return -1;
			}
		} else if (strcmp(a, "--tsa-anchors") == 0 && has)
			o->tsa_anchors = argv[++i];
		else if (strcmp(a, "--require-non-repudiation") == 0)
			o->require_nr = 1;
		else if (strcmp(a, "--check-iin-checksum") == 0)
			o->check_iin = 1;
		else if (strcmp(a, "--no-check-iin-checksum") == 0)
			o->check_iin = 0;
		else if (strcmp(a, "--allow-sha1") == 0)
			o->allow_sha1 = 1;
		else if (strcmp(a, "--format") == 0 && has && !o->is_cert &&
		    (strcmp(argv[i + 1], "cms") == 0 || strcmp(argv[i + 1], "xml") == 0))
			o->format = argv[++i];
		else if (strcmp(a, "--signed-element") == 0 && has && !o->is_cert)
			o->signed_element = argv[++i];
		else if (strcmp(a, "--policy") == 0 && has) {
			if (tb_policy_inputs_add(&o->policy, argv[++i], &e) != 0) {
				tanba_die_msg("%s: --%s", argv[0], e.detail);
				return -1;
			}
		} else if (strcmp(a, "--require-explicit-policy") == 0)
			o->policy.explicit_policy = 1;
		else if (strcmp(a, "--inhibit-policy-mapping") == 0)
			o->policy.inhibit_mapping = 1;
		else if (strcmp(a, "--inhibit-any-policy") == 0)
			o->policy.inhibit_any = 1;
		else if (a[0] != '-' && o->input == NULL)
			o->input = a;
		else {
			tanba_die_msg("%s: unexpected argument '%s'", argv[0], a);
			vusage(argv[0]);
			return -1;
		}
	}
	if (o->input == NULL) {
		tanba_die_msg("%s: which %s?", argv[0], o->is_cert ? "certificate" : "signature");
		vusage(argv[0]);
		return -1;
	}
	if (o->lang != NULL && !tb_verdict_lang_ok(o->lang)) {
		tanba_die_msg("%s: --lang must be kk, ru or en", argv[0]);
		return -1;
	}
	if (o->offline && o->anchors == NULL) {
		tanba_die_msg("%s: --offline needs --anchors PEMFILE", argv[0]);
		return -1;
	}
	if (!o->offline && (o->anchors || o->untrusted || o->n_crls || o->n_ocsps ||
	    o->no_revocation)) {
		tanba_die_msg("%s: --anchors, --untrusted, --crl, --ocsp-response and --no-revocation "
		    "need --offline", argv[0]);
		return -1;
	}
	if (o->no_revocation && (o->n_crls || o->n_ocsps || o->embedded)) {
		tanba_die_msg("%s: --no-revocation contradicts --crl, --ocsp-response and "
		    "--embedded-revocation", argv[0]);
		return -1;
	}
	return 0;
}

/* ---- printing one answer, from its JSON ---- */

static const char *
jstr(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

static void
print_message(const char *prefix, json_t *m)
{
	size_t i;

	if (json_is_string(m)) {
		printf("%s%s\n", prefix, json_string_value(m));
		return;
	}
	for (i = 0; i < 3; i++)
		printf("%s%s: %s\n", prefix, tb_verdict_langs[i],
		    jstr(m, tb_verdict_langs[i]));
}

static void
print_cert(const char *label, json_t *s)
{
	json_t *id = json_object_get(s, "identity"), *c, *roles, *rv;
	size_t i;

	if (!json_is_object(s) || json_is_null(json_object_get(s, "subject")))
		return;
	printf("%s: %s\n", label, jstr(s, "subject"));
	if (json_is_string(json_object_get(id, "iin")))
		printf("  iin: %s\n", jstr(id, "iin"));
	if (json_is_string(json_object_get(id, "bin")))
		printf("  bin: %s\n", jstr(id, "bin"));
	roles = json_object_get(id, "roles");
	if (json_array_size(roles) > 0) {
		printf("  roles:");
		json_array_foreach(roles, i, c)
			printf(" %s", json_string_value(c));
		printf("\n");
	}
	/* RFC 5280: the policies valid for the path, as the request constrained them. */
	roles = json_object_get(s, "user_constrained_policies");
	if (json_array_size(roles) > 0) {
		printf("  valid policies:");
		json_array_foreach(roles, i, c)
			printf(" %s", json_string_value(c));
		printf("\n");
	}
	printf("  serial: %s\n  issuer: %s\n  valid: %s .. %s\n", jstr(s, "serial"),
	    jstr(s, "issuer"), jstr(s, "not_before"), jstr(s, "not_after"));
	if (json_is_string(json_object_get(s, "algorithm")))
		printf("  algorithm: %s\n", jstr(s, "algorithm"));
	if (json_is_string(json_object_get(s, "signing_time")))
		printf("  signing time: %s\n", jstr(s, "signing_time"));
	if (json_is_object(c = json_object_get(s, "timestamp")))
		printf("  time stamp: %s %s by %s (policy %s, serial %s, %s)%s%s\n",
		    jstr(c, "verdict"), jstr(c, "time"), jstr(c, "tsa"), jstr(c, "policy"),
		    jstr(c, "serial"), jstr(c, "hash"), json_object_get(c, "reason") ? ": " : "",
		    json_object_get(c, "reason") ? jstr(c, "reason") : "");
	rv = json_object_get(s, "revocation");
	printf("  revocation: %s", jstr(rv, "status"));
	if (*jstr(rv, "source"))
		printf(" (%s, %s)", jstr(rv, "source"), jstr(rv, "issuer"));
	if (*jstr(rv, "revoked_at"))
		printf("%s revoked at %s", json_is_true(json_object_get(rv, "revoked_later")) ?
		    ", later" : ",", jstr(rv, "revoked_at"));
	if (*jstr(rv, "detail"))
		printf(": %s", jstr(rv, "detail"));
	printf("\n");
	json_array_foreach(json_object_get(s, "chain"), i, c)
		printf("  chain[%zu]: %s (serial %s)%s\n", i, jstr(c, "subject"), jstr(c, "serial"),
		    json_is_true(json_object_get(c, "anchor")) ? " [anchor]" : "");
}

/*
 * The signers: numbered, each with its own verdict, when there are several;
 * their counter-signers; and which one the request's identity found.
 */
static void
print_signers(json_t *ans)
{
	json_t *list = json_object_get(ans, "signers"), *s, *c, *m;
	size_t i, k, n = json_array_size(list);
	char label[32];

	json_array_foreach(list, i, s) {
		if (n > 1)
			snprintf(label, sizeof(label), "signer %zu", i);
		else
			snprintf(label, sizeof(label), "signer");
		print_cert(label, s);
		if (n > 1)
			printf("  verdict: %s\n", jstr(s, "verdict"));
		json_array_foreach(json_object_get(s, "countersigners"), k, c)
			printf("  countersigner: %s (%s, signed %s)\n", jstr(c, "subject"),
			    jstr(c, "verdict"), jstr(c, "signing_time"));
	}
	if (json_is_object(m = json_object_get(ans, "identity_match")))
		printf("identity: signer %" JSON_INTEGER_FORMAT " (%s), %s\n",
		    json_integer_value(json_object_get(m, "signer")), jstr(m, "subject"),
		    jstr(m, "verdict"));
}

/* Prints the answer and returns the exit status its verdict means. */
static int
print_answer(json_t *ans, const vopts *o)
{
	const char *verdict = jstr(ans, "verdict");
	json_t *r;
	size_t i;

	if (*verdict == '\0') {
		tanba_die_msg("answer without a verdict");
		return TANBA_EXIT_ERROR;
	}
	if (o->as_json) {
		/* Only the JSON: a script pipes it to a parser (the exit status is the verdict's). */
		json_dumpf(ans, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		printf("%s\n", verdict);
		print_message("", json_object_get(ans, "message"));
		json_array_foreach(json_object_get(ans, "reasons"), i, r) {
			printf("reason: %s", jstr(r, "code"));
			if (json_is_integer(json_object_get(r, "signer")))
				printf(" (signer %" JSON_INTEGER_FORMAT ")",
				    json_integer_value(json_object_get(r, "signer")));
			printf("\n");
			print_message("  ", json_object_get(r, "message"));
			if (json_is_string(json_object_get(r, "detail")))
				printf("  detail: %s\n", jstr(r, "detail"));
		}
		printf("evaluation time: %s (%s)\n", jstr(ans, "evaluation_time"),
		    jstr(ans, "time_source"));
		if (o->is_cert)
			print_cert("certificate", json_object_get(ans, "certificate"));
		else
			print_signers(ans);
	}
	if (fflush(stdout) != 0) {
		tanba_die_msg("writing stdout: %s", strerror(errno));
		return TANBA_EXIT_ERROR;
	}
	return strcmp(verdict, "VALID") == 0 ? TANBA_EXIT_OK : TANBA_EXIT_VERDICT;
}

/* ---- offline: the revocation checker over files ---- */

typedef struct crl_files {
	unsigned char *der[64];
	size_t len[64];
	size_t n;
	unsigned char *ocsp[MAX_OCSP_FILES];	/* stored OCSP responses (DER) */
	size_t ocsp_len[MAX_OCSP_FILES];
	size_t n_ocsp;
	/* CRL signers other than the issuer (RFC 5280 6.3.3 (f)): the given
	 * anchors and intermediates, each validated through sc. */
	STACK_OF(X509) *signers;
	tb_crl_signer_ctx sc;
	tb_path_policy ppol;
	tb_rev_checker self;
} crl_files;

/* Reads every CRL of a PEM (one or more) or DER file. */
static int
crl_files_add(crl_files *cf, const char *path, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned char *buf = NULL, *der = NULL;
	size_t len = 0;
	BIO *b = NULL;
	char *name = NULL, *hdr = NULL;
	long dlen = 0;
	size_t before = cf->n;

	if ((r = tb_file_read(path, INPUT_MAX, &buf, &len, err)) != 0)
		goto out;
	if (len > 0 && buf[0] == 0x30) {
		if (cf->n >= 64) {
			r = tb_error_set(err, TB_ERR_TOO_LARGE, "too many CRLs");
			goto out;
		}
		cf->der[cf->n] = buf;
		cf->len[cf->n++] = len;
		buf = NULL;
		r = 0;
		goto out;
	}
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "BIO");
		goto out;
	}
	while (PEM_read_bio(b, &name, &hdr, &der, &dlen) == 1) {
		if (strcmp(name, "X509 CRL") == 0 && cf->n < 64) {
			cf->der[cf->n] = der;
			cf->len[cf->n++] = (size_t)dlen;
			der = NULL;
		}
		OPENSSL_free(name);
		OPENSSL_free(hdr);
		OPENSSL_free(der);
		name = hdr = NULL;
		der = NULL;
	}
	ERR_clear_error();
	if (cf->n == before) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s: no CRL found", path);
		goto out;
	}
	r = 0;
out:
	BIO_free(b);
	free(buf);
	return r;
}

/* A stored OCSP response: DER as `openssl ocsp -respout` writes it. */
static int
ocsp_file_add(crl_files *cf, const char *path, tb_error *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = tb_file_read(path, INPUT_MAX, &buf, &len, err)) != 0)
		return r;
	if (len == 0 || buf[0] != 0x30) {
		free(buf);
		return tb_error_set(err, TB_ERR_MALFORMED, "%s: not a DER OCSP response", path);
	}
	cf->ocsp[cf->n_ocsp] = buf;
	cf->ocsp_len[cf->n_ocsp++] = len;
	return 0;
}

/*
 * The CMS's own CRLs and OCSP responses (SignedData.crls), added to the
 * given files: checked by the same hook, each as if fetched.
 */
static int
embedded_add(crl_files *cf, const unsigned char *in, size_t in_len, tb_error *err)
{
	tb_cms_evidence ev;
	size_t i;
	int r;

	if ((r = tb_cms_evidence_read(in, in_len, &ev, err)) != 0)
		return r;
	for (i = 0; i < ev.n_crls && cf->n < 64; i++) {
		if ((cf->der[cf->n] = OPENSSL_memdup(ev.crl[i], ev.crl_len[i])) == NULL)
			goto nomem;
		cf->len[cf->n++] = ev.crl_len[i];
	}
	for (i = 0; i < ev.n_ocsp && cf->n_ocsp < MAX_OCSP_FILES; i++) {
		if ((cf->ocsp[cf->n_ocsp] = malloc(ev.ocsp_len[i])) == NULL)
			goto nomem;
		memcpy(cf->ocsp[cf->n_ocsp], ev.ocsp[i], ev.ocsp_len[i]);
		cf->ocsp_len[cf->n_ocsp++] = ev.ocsp_len[i];
	}
	tb_cms_evidence_clear(&ev);
	return 0;
nomem:
	tb_cms_evidence_clear(&ev);
	return tb_error_set(err, TB_ERR_NOMEM, "embedded validation data");
}

static void
crl_files_clear(crl_files *cf)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		OPENSSL_free(cf->der[i]);	/* PEM ones are OpenSSL's; DER ones came from malloc */
	for (i = 0; i < cf->n_ocsp; i++)
		free(cf->ocsp[i]);
	cf->n = cf->n_ocsp = 0;
	sk_X509_pop_free(cf->signers, X509_free);
	cf->signers = NULL;
}

/*
 * 1 when der is a CRL that issuer signed or (others set) one of the
 * candidate signers did.
 */
static int
crl_signed_by_one(const crl_files *cf, const unsigned char *der, size_t len, X509 *issuer,
    const tb_crl_policy *pol, int others)
{
	tb_crl *crl = NULL;
	tb_error e;
	int i, n = others && cf->signers != NULL ? sk_X509_num(cf->signers) : 0;

	if (!others && tb_crl_load(der, len, issuer, pol, &crl, &e) == 0) {
		tb_crl_free(crl);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (tb_crl_load(der, len, sk_X509_value(cf->signers, i), pol, &crl, &e) == 0) {
			tb_crl_free(crl);
			return 1;
		}
	return 0;
}

/*
 * The hook: libsig's tb_rev_check_offline over the given files, so the
 * CLI applies the daemon's rules (OCSP response first, then the newest
 * complete CRL of the issuer with the newest delta that applies to it).
 * Only CRLs that pass as the issuer's are handed on, since the files may
 * hold CRLs of several CAs; when none does, the first ones are, so that
 * the answer names why they failed. Each stored response is tried in
 * turn: one for another certificate says nothing about this one. A
 * certificate nothing answers for is UNKNOWN, never GOOD (fail closed).
 */
static int
crl_files_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	crl_files *cf = ctx;
	tb_rev_offline in;
	tb_crl_policy pol;
	size_t i;
	int pass;

	memset(&in, 0, sizeof(in));
	memset(&pol, 0, sizeof(pol));
	pol.now = tb_clock_now();
	pol.skew_s = 300;
	/* A past time (a time-stamp's): tb_rev_check_offline judges each
	 * CRL for it, expired today or not. */
	pol.allow_expired = at < pol.now - pol.skew_s;
	in.clock_skew_s = 300;
	in.signers = cf->signers;
	in.signer_ok = cf->signers != NULL ? tb_crl_signer_check : NULL;
	in.signer_arg = &cf->sc;
	/* The issuer's own CRLs first: the files may hold more than fit. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < cf->n && in.n_crls < TB_REV_MAX_URLS; i++) {
			if ((pass == 1 && crl_signed_by_one(cf, cf->der[i], cf->len[i], issuer,
			    &pol, 0)) ||
			    !crl_signed_by_one(cf, cf->der[i], cf->len[i], issuer, &pol, pass))
				continue;
			in.crl_der[in.n_crls] = cf->der[i];
			in.crl_len[in.n_crls++] = cf->len[i];
		}
	for (i = 0; in.n_crls == 0 && i < cf->n && i < TB_REV_MAX_URLS; i++) {
		in.crl_der[i] = cf->der[i];
		in.crl_len[i] = cf->len[i];
	}
	if (in.n_crls == 0)
		in.n_crls = i;
	return tb_rev_check_offline_each(&in, (const unsigned char *const *)cf->ocsp,
	    cf->ocsp_len, cf->n_ocsp, cert, issuer, at, out, err);
}

static int
crl_signers_load(crl_files *cf, tb_trust *trust, tb_error *err)
{
	/* Every given anchor and intermediate, from files or directories. */
	if (tb_trust_certs(trust, &cf->signers, err) != 0)
		return TB_ERR_NOMEM;
	tb_error_clear(err);
	memset(&cf->ppol, 0, sizeof(cf->ppol));
	cf->self.check = crl_files_check;
	cf->self.ctx = cf;
	cf->sc.trust = trust;
	cf->sc.pol = &cf->ppol;
	cf->sc.rev = &cf->self;
	cf->sc.extra = cf->signers;
	return 0;
}

/*
 * The hook when no CRL or OCSP response was given: nothing answers, so
 * every certificate is UNKNOWN (fail closed) unless --no-revocation says
 * the caller knowingly skips the check.
 */
static int
no_evidence_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	(void)ctx;
	(void)cert;
	(void)issuer;
	(void)at;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->status = TB_REV_UNKNOWN;
	out->reason = -1;
	snprintf(out->detail, sizeof(out->detail),
	    "no CRL or OCSP response was given (--crl, --ocsp-response; "
	    "--no-revocation skips the check)");
	return 0;
}

/* ---- the two paths to an answer ---- */

static int
read_certs_opt(const char *path, STACK_OF(X509) **out, const char *what)
{
	tb_error e;

	tb_error_clear(&e);
	if (tb_certs_read_file(path, out, &e) != 0) {
		tanba_die_msg("%s %s: %s", what, path, e.detail);
		return -1;
	}
	return 0;
}

static int
run_offline(const vopts *o, const unsigned char *in, size_t in_len,
    const unsigned char *content, size_t content_len, json_t **ans)
{
	int rc = TANBA_EXIT_ERROR, r;
	tb_trust *trust = NULL, *tsa_trust = NULL;
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_rev_checker hook, *rev = NULL;
	crl_files cf;
	tb_error e;
	time_t at;
	size_t i;

	memset(&cf, 0, sizeof(cf));
	tb_error_clear(&e);
	if (o->at != NULL) {
		if (tb_clock_parse(o->at, &at) != 0) {
			tanba_die_msg("--at: expected an RFC 3339 time such as "
			    "2026-01-31T12:00:00Z or 2026-01-31T17:00:00.5+05:00, got '%s'", o->at);
			goto out;
		}
		tb_clock_set(at);
	}
	if ((trust = tb_trust_new()) == NULL) {
		tanba_die_msg("out of memory");
		goto out;
	}
	if (tb_trust_load_anchors(trust, o->anchors, &e) != 0 ||
	    (o->untrusted != NULL && tb_trust_load_untrusted(trust, o->untrusted, &e) != 0)) {
		tanba_die_msg("%s", e.detail);
		goto out;
	}
	if (o->tsa_anchors != NULL && ((tsa_trust = tb_trust_new()) == NULL ||
	    tb_trust_load_anchors(tsa_trust, o->tsa_anchors, &e) != 0)) {
		tanba_die_msg("--tsa-anchors: %s", e.detail[0] ? e.detail : "out of memory");
		goto out;
	}
	for (i = 0; i < o->n_crls; i++) {
		if (crl_files_add(&cf, o->crls[i], &e) != 0) {
			tanba_die_msg("--crl %s: %s", o->crls[i], e.detail);
			goto out;
		}
	}
	for (i = 0; i < o->n_ocsps; i++) {
		if (ocsp_file_add(&cf, o->ocsps[i], &e) != 0) {
			tanba_die_msg("--ocsp-response %s: %s", o->ocsps[i], e.detail);
			goto out;
		}
	}
	if (o->embedded && embedded_add(&cf, in, in_len, &e) != 0) {
		tanba_die_msg("--embedded-revocation: %s", e.detail);
		goto out;
	}
	if (cf.n > 0 || cf.n_ocsp > 0) {
		hook.check = crl_files_check;
		hook.ctx = &cf;
		rev = &hook;
		/* A CRL may be signed by a given anchor or intermediate other
		 * than the issuer; such a signer's own path and status are
		 * validated with these same inputs. */
		if (crl_signers_load(&cf, trust, &e) != 0) {
			tanba_die_msg("%s", e.detail);
			goto out;
		}
	} else if (!o->no_revocation) {
		hook.check = no_evidence_check;
		hook.ctx = NULL;
		rev = &hook;
	}
	tb_verify_policy_default(&pol);
	pol.require_non_repudiation = o->require_nr;
	pol.check_iin_checksum = o->check_iin;
	pol.allow_sha1 = o->allow_sha1;
	pol.tsa_trust = tsa_trust;
	tb_policy_inputs_merge(&pol.policy, &o->policy);
	memset(&req, 0, sizeof(req));
	req.input = in;
	req.input_len = in_len;
	req.content = content;
	req.content_len = content_len;
	req.iin = o->iin;
	req.bin = o->bin;
	req.roles = o->roles;
	req.n_roles = o->n_roles;
	req.time = o->timestamp_time ? TB_TIME_TIMESTAMP : o->signing_time ? TB_TIME_SIGNING :
	    o->at != NULL ? TB_TIME_AT : TB_TIME_NOW;
	req.at = o->at != NULL ? at : 0;
	req.signed_element = o->signed_element;
	if (o->is_cert)
		r = tb_verify_cert(trust, &pol, rev, &req, &res, &e);
	else if (o->format != NULL ? strcmp(o->format, "xml") == 0 : tb_xml_looks_like(in, in_len))
		r = tb_verify_xml(trust, &pol, rev, &req, &res, &e);
	else
		r = tb_verify_cms(trust, &pol, rev, &req, &res, &e);
	if (r != 0) {
		tanba_die_msg("%s", e.detail[0] ? e.detail : tb_err_str(r));
		goto out;
	}
	if ((*ans = tb_verify_result_to_json(res, o->lang)) == NULL) {
		tanba_die_msg("out of memory");
		goto out;
	}
	rc = 0;
out:
	tb_verify_result_free(res);
	tb_trust_free(trust);
	tb_trust_free(tsa_trust);
	crl_files_clear(&cf);
	return rc;
}

static char *
b64(const unsigned char *buf, size_t len)
{
	char *s;

	if (len > (size_t)INT32_MAX / 2 || (s = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, buf, (int)len);
	return s;
}

static int
run_online(const char *socket_path, const vopts *o, const unsigned char *in, size_t in_len,
    const unsigned char *content, size_t content_len, json_t **ans)
{
	int rc = TANBA_EXIT_ERROR;
	json_t *req = NULL, *resp = NULL, *roles, *pols;
	char *s = NULL;
	size_t i;
	tb_error e;

	tb_error_clear(&e);
	if ((s = b64(in, in_len)) == NULL ||
	    (req = json_pack("{s:s, s:s}", "op", o->is_cert ? "check-cert" : "verify",
	    o->is_cert ? "cert" : "cms", s)) == NULL) {
		tanba_die_msg("out of memory");
		goto out;
	}
	free(s);
	s = NULL;
	if (content != NULL) {
		if ((s = b64(content, content_len)) == NULL) {
			tanba_die_msg("out of memory");
			goto out;
		}
		json_object_set_new(req, "content", json_string(s));
	}
	if (o->format != NULL)
		json_object_set_new(req, "format", json_string(o->format));
	if (o->signed_element != NULL)
		json_object_set_new(req, "signed_element", json_string(o->signed_element));
	if (o->iin != NULL)
		json_object_set_new(req, "iin", json_string(o->iin));
	if (o->bin != NULL)
		json_object_set_new(req, "bin", json_string(o->bin));
	if (o->lang != NULL)
		json_object_set_new(req, "lang", json_string(o->lang));
	if (o->timestamp_time)
		json_object_set_new(req, "time", json_string("timestamp"));
	else if (o->signing_time)
		json_object_set_new(req, "time", json_string("signing_time"));
	else if (o->at != NULL)
		json_object_set_new(req, "time", json_string(o->at));
	if (o->evidence)
		json_object_set_new(req, "evidence", json_true());
	if (o->embedded)
		json_object_set_new(req, "embedded_revocation", json_true());
	if (o->policy.n_initial > 0) {
		pols = json_array();
		for (i = 0; i < o->policy.n_initial; i++)
			json_array_append_new(pols, json_string(o->policy.initial[i]));
		json_object_set_new(req, "policies", pols);
	}
	if (o->policy.explicit_policy)
		json_object_set_new(req, "require_explicit_policy", json_true());
	if (o->policy.inhibit_mapping)
		json_object_set_new(req, "inhibit_policy_mapping", json_true());
	if (o->policy.inhibit_any)
		json_object_set_new(req, "inhibit_any_policy", json_true());
	if (o->n_roles > 0) {
		roles = json_array();
		for (i = 0; i < o->n_roles; i++)
			json_array_append_new(roles, json_string(o->roles[i]));
		json_object_set_new(req, "roles", roles);
	}
	if (tanba_client_call(socket_path, req, &resp, &e) != 0) {
		tanba_die_msg("%s", e.detail[0] ? e.detail : tb_err_str(e.code));
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		json_t *er = json_object_get(resp, "error");

		tanba_die_msg("%s (%s%s%s)", jstr(er, "message"), jstr(er, "code"),
		    *jstr(er, "field") ? ", field " : "", jstr(er, "field"));
		goto out;
	}
	json_object_del(resp, "id");
	json_object_del(resp, "ok");
	*ans = resp;
	resp = NULL;
	rc = 0;
out:
	free(s);
	json_decref(req);
	json_decref(resp);
	return rc;
}

static int
cmd_common(const char *socket_path, int argc, char **argv, int is_cert)
{
	int rc = TANBA_EXIT_ERROR;
	vopts o;
	unsigned char *in = NULL, *content = NULL;
	size_t in_len = 0, content_len = 0;
	STACK_OF(X509) *sk = NULL;
	json_t *ans = NULL;
	tb_error e;

	memset(&o, 0, sizeof(o));
	o.is_cert = is_cert;
	o.check_iin = 1;
	tb_error_clear(&e);
	if (parse_args(argc, argv, &o) != 0)
		goto out;
	if (tb_file_read(o.input, INPUT_MAX, &in, &in_len, &e) != 0) {
		tanba_die_msg("%s", e.detail);
		goto out;
	}
	/* Not a certificate is the caller's mistake (exit 2), not a verdict. */
	if (is_cert && read_certs_opt(o.input, &sk, "certificate") != 0)
		goto out;
	if (o.content != NULL && tb_file_read(o.content, INPUT_MAX, &content, &content_len,
	    &e) != 0) {
		tanba_die_msg("%s", e.detail);
		goto out;
	}
	if (content != NULL && content_len == 0) {
		free(content);
		content = malloc(1);	/* an empty document is still a document */
		if (content == NULL)
			goto out;
	}
	if (o.offline)
		rc = run_offline(&o, in, in_len, content, content_len, &ans);
	else
		rc = run_online(socket_path, &o, in, in_len, content, content_len, &ans);
	if (rc != 0)
		goto out;
	rc = print_answer(ans, &o);
out:
	sk_X509_pop_free(sk, X509_free);
	json_decref(ans);
	free(in);
	free(content);
	return rc;
}

int
tanba_cmd_verify(const char *socket_path, int argc, char **argv)
{
	return cmd_common(socket_path, argc, argv, 0);
}

int
tanba_cmd_check_cert(const char *socket_path, int argc, char **argv)
{
	return cmd_common(socket_path, argc, argv, 1);
}
