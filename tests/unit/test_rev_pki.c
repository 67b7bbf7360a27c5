/*
 * CRLs made by tanba-testpki (run through rev-testpki.sh): a delta CRL
 * applied over its base, and a 1,000,000-entry CRL loaded within the time
 * and memory bounds with correct lookups; then the scope rules of RFC 5280
 * 6.3.3 through the offline checker, each with a CRL that must not count
 * as evidence that a certificate is good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/pem.h>

#include "check_run.h"
#include "crl.h"
#include "crl_signer.h"
#include "rev_offline.h"
#include "tb_clock.h"
#include "tb_file.h"

static X509 *
cert_in(const char *env, const char *name)
{
	char path[4096];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", getenv(env), name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

static X509 *
cert(const char *name)
{
	return cert_in("REV_TP_DIR", name);
}

static tb_crl *
load(const char *name, X509 *ca, size_t *der_len, double *secs)
{
	char path[4096];
	unsigned char *der = NULL;
	size_t len = 0;
	tb_crl_policy pol = { tb_clock_now(), 300, 0, 0 };
	tb_crl *crl = NULL;
	tb_error err;
	struct timespec a, b;

	snprintf(path, sizeof(path), "%s/%s", getenv("REV_TP_DIR"), name);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_msg(tb_file_read(path, (size_t)1 << 30, &der, &len, &err) == 0, "%s", err.detail);
	ck_assert_msg(tb_crl_load(der, len, ca, &pol, &crl, &err) == 0, "%s: %s", name, err.detail);
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(der);
	if (der_len != NULL)
		*der_len = len;
	if (secs != NULL)
		*secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	return crl;
}

static int
lookup(const tb_crl *base, const tb_crl *delta, const char *name, int *reason, int *fd)
{
	X509 *x = cert(name);
	unsigned char s[64];
	size_t sl;
	time_t when;
	int r;

	ck_assert_int_eq(tb_crl_cert_serial(x, s, sizeof(s), &sl, NULL), 0);
	r = tb_crl_lookup(base, delta, s, sl, &when, reason, fd);
	X509_free(x);
	return r;
}

START_TEST(base_and_delta)
{
	X509 *ca = cert("ca");
	tb_crl *base = load("base.crl", ca, NULL, NULL), *delta = load("delta.crl", ca, NULL, NULL);
	int reason, fd;
	tb_error err;

	ck_assert_int_eq(tb_crl_get_info(delta)->is_delta, 1);
	ck_assert_msg(tb_crl_delta_applies(base, delta, &err) == 0, "%s", err.detail);
	ck_assert_int_eq(lookup(base, delta, "individual-sign", &reason, &fd), 1);
	ck_assert_int_eq(reason, 1);
	ck_assert_int_eq(lookup(base, NULL, "legal-sign", &reason, &fd), 0);
	ck_assert_int_eq(lookup(base, delta, "legal-sign", &reason, &fd), 1);
	ck_assert_int_eq(fd, 1);
	ck_assert_int_eq(lookup(base, NULL, "legal-employee", &reason, &fd), 1);
	ck_assert_int_eq(reason, 6);
	ck_assert_int_eq(lookup(base, delta, "legal-employee", &reason, &fd), 0);
	ck_assert_int_eq(fd, 1);	/* removeFromCRL */
	ck_assert_int_eq(lookup(base, delta, "individual-auth", &reason, &fd), 0);
	tb_crl_free(base);
	tb_crl_free(delta);
	X509_free(ca);
}
END_TEST

START_TEST(million_entries)
{
	X509 *ca = cert("ca");
	size_t len;
	double secs;
	tb_crl *big = load("big.crl", ca, &len, &secs);
	int reason, fd;

	ck_assert_int_ge(tb_crl_get_info(big)->entries, 1000000);
	/* its load time is a figure of bench/crl_index_bench (crl_1m_load_s), not a test */
	(void)secs;
	ck_assert_msg(tb_crl_mem(big) < 2 * len, "index %zu bytes for %zu bytes of DER",
	    tb_crl_mem(big), len);
	ck_assert_int_eq(lookup(big, NULL, "individual-sign", &reason, &fd), 1);
	ck_assert_int_eq(lookup(big, NULL, "individual-auth", &reason, &fd), 0);
	tb_crl_free(big);
	X509_free(ca);
}
END_TEST

/* ---- scope (RFC 5280 6.3.3), in REV_TP_SCOPE ---- */

#define MAX_CRLS 3

/* What the signer's own revocation is checked against: the root's CRL. */
typedef struct scope_env {
	tb_trust *trust;
	tb_path_policy pol;
	tb_rev_checker hook;
	tb_crl_signer_ctx sc;
	STACK_OF(X509) *signers;
	unsigned char *root_der;
	size_t root_len;
} scope_env;

static unsigned char *
scope_file(const char *name, size_t *len)
{
	char path[4096];
	unsigned char *der = NULL;
	tb_error err;

	snprintf(path, sizeof(path), "%s/%s", getenv("REV_TP_SCOPE"), name);
	ck_assert_msg(tb_file_read(path, 1 << 24, &der, len, &err) == 0, "%s", err.detail);
	return der;
}

static int
root_crl_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	scope_env *env = ctx;
	tb_rev_offline in;

	memset(&in, 0, sizeof(in));
	in.crl_der[0] = env->root_der;
	in.crl_len[0] = env->root_len;
	in.n_crls = 1;
	return tb_rev_check_offline(&in, cert, issuer, at, out, err);
}

/*
 * The offline check of leaf (issued by issuer) against the CRL files in
 * crls (NULL-terminated). signer, when not NULL, is offered as a CRL
 * signer, validated to the root with root_crl for its own status.
 */
static tb_rev_result
scope_check(const char *leaf, const char *issuer, const char *const *crls,
    const char *signer, const char *root_crl)
{
	tb_rev_offline in;
	tb_rev_result res;
	scope_env env;
	X509 *x = cert_in("REV_TP_SCOPE", leaf), *ca = cert_in("REV_TP_SCOPE", issuer), *root;
	tb_error err;
	size_t i;

	memset(&in, 0, sizeof(in));
	memset(&env, 0, sizeof(env));
	for (i = 0; crls[i] != NULL && i < MAX_CRLS; i++)
		in.crl_der[i] = scope_file(crls[i], &in.crl_len[i]);
	in.n_crls = i;
	if (signer != NULL) {
		ck_assert_ptr_nonnull(env.trust = tb_trust_new());
		root = cert_in("REV_TP_SCOPE", "root");
		ck_assert_int_eq(tb_trust_add_anchor(env.trust, root, &err), 0);
		env.signers = sk_X509_new_null();
		sk_X509_push(env.signers, cert_in("REV_TP_SCOPE", signer));
		env.root_der = scope_file(root_crl, &env.root_len);
		env.hook.check = root_crl_check;
		env.hook.ctx = &env;
		env.sc.trust = env.trust;
		env.sc.pol = &env.pol;
		env.sc.rev = &env.hook;
		env.sc.extra = env.signers;
		env.sc.anchor = root;
		in.signers = env.signers;
		in.signer_ok = tb_crl_signer_check;
		in.signer_arg = &env.sc;
		X509_free(root);	/* the trust holds it */
	}
	memset(&res, 0, sizeof(res));
	ck_assert_msg(tb_rev_check_offline(&in, x, ca, tb_clock_now(), &res, &err) == 0, "%s",
	    err.detail);
	for (i = 0; i < in.n_crls; i++)
		free((void *)in.crl_der[i]);
	free(env.root_der);
	sk_X509_pop_free(env.signers, X509_free);
	tb_trust_free(env.trust);
	X509_free(x);
	X509_free(ca);
	return res;
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define STATUS(res, want) ck_assert_msg((res).status == (want), "status %d, want %d: %s", \
	(res).status, (want), (res).detail)
#define UNKNOWN(res, text) do { tb_rev_result r_ = (res); STATUS(r_, TB_REV_UNKNOWN); \
	ck_assert_msg(strstr(r_.detail, text) != NULL, "detail \"%s\" lacks \"%s\"", \
	    r_.detail, text); } while (0)

START_TEST(scope_distribution_point)
{
	STATUS(scope_check("individual-auth", "ca", L("plain.crl"), NULL, NULL), TB_REV_GOOD);
	STATUS(scope_check("individual-sign", "ca", L("plain.crl"), NULL, NULL), TB_REV_REVOKED);
	/* The CRL of the certificate's own distribution point. */
	STATUS(scope_check("individual-auth", "ca", L("dp.crl"), NULL, NULL), TB_REV_GOOD);
	STATUS(scope_check("individual-sign", "ca", L("dp.crl"), NULL, NULL), TB_REV_REVOKED);
	/* Fail-open regressions: another distribution point's CRL, or one
	 * for CA certificates only, never says good (nor revoked). */
	UNKNOWN(scope_check("individual-auth", "ca", L("dp-other.crl"), NULL, NULL),
	    "another distribution point");
	UNKNOWN(scope_check("individual-sign", "ca", L("dp-other.crl"), NULL, NULL),
	    "another distribution point");
	UNKNOWN(scope_check("individual-auth", "ca", L("only-ca.crl"), NULL, NULL),
	    "onlyContainsCACerts");
	UNKNOWN(scope_check("individual-auth", "ca", L("only-attr.crl"), NULL, NULL),
	    "onlyContainsAttributeCerts");
	/* The root's CRLs about the issuing CA's certificate. */
	STATUS(scope_check("ca", "root", L("root.crl"), NULL, NULL), TB_REV_GOOD);
	STATUS(scope_check("ca", "root", L("root-only-ca.crl"), NULL, NULL), TB_REV_GOOD);
	UNKNOWN(scope_check("ca", "root", L("root-only-user.crl"), NULL, NULL),
	    "onlyContainsUserCerts");
	/* A CRL of another point beside the right one does not get in the way. */
	STATUS(scope_check("individual-auth", "ca", L("dp-other.crl", "plain.crl"), NULL, NULL),
	    TB_REV_GOOD);
}
END_TEST

START_TEST(scope_reasons)
{
	UNKNOWN(scope_check("individual-auth", "ca", L("kc.crl"), NULL, NULL),
	    "no CRL covers the reasons affiliationChanged");
	UNKNOWN(scope_check("individual-auth", "ca", L("rest.crl"), NULL, NULL),
	    "no CRL covers the reasons keyCompromise, cACompromise");
	STATUS(scope_check("individual-auth", "ca", L("kc.crl", "rest.crl"), NULL, NULL),
	    TB_REV_GOOD);
	STATUS(scope_check("individual-sign", "ca", L("rest.crl", "kc.crl"), NULL, NULL),
	    TB_REV_REVOKED);
}
END_TEST

START_TEST(scope_indirect)
{
	STATUS(scope_check("via-root", "ca", L("indirect.crl"), "root", "root.crl"),
	    TB_REV_GOOD);
	STATUS(scope_check("via-root-revoked", "ca", L("indirect.crl"), "root", "root.crl"),
	    TB_REV_REVOKED);
	/* Without the root offered as the CRL's signer, nothing answers. */
	STATUS(scope_check("via-root", "ca", L("indirect.crl"), NULL, NULL), TB_REV_UNKNOWN);
	/* The CA's own CRL does not answer for a point that names the root. */
	UNKNOWN(scope_check("via-root", "ca", L("plain.crl"), NULL, NULL),
	    "the CRL is not indirect");
	UNKNOWN(scope_check("via-root", "ca", L("root.crl"), "root", "root.crl"),
	    "the CRL is not indirect");
	UNKNOWN(scope_check("via-root", "ca", L("indirect-other-dp.crl"), "root", "root.crl"),
	    "another distribution point");
	/* A certificate whose point names no cRLIssuer is not the root's to answer for. */
	UNKNOWN(scope_check("individual-auth", "ca", L("indirect.crl"), "root", "root.crl"),
	    "not the certificate's issuer");
}
END_TEST

START_TEST(scope_crl_signer)
{
	UNKNOWN(scope_check("individual-auth", "ca", L("by-signer.crl"), NULL, NULL),
	    "not the CA's key");
	STATUS(scope_check("individual-auth", "ca", L("by-signer.crl"), "crl-signer", "root.crl"),
	    TB_REV_GOOD);
	STATUS(scope_check("individual-sign", "ca", L("by-signer.crl"), "crl-signer", "root.crl"),
	    TB_REV_REVOKED);
	/* The signer's own certificate revoked: its CRL is no evidence. */
	UNKNOWN(scope_check("individual-auth", "ca", L("by-signer.crl"), "crl-signer",
	    "root-signer-revoked.crl"), "CRL signer");
	/* A signer whose certificate has no keyUsage at all is not one for CRLs. */
	UNKNOWN(scope_check("individual-auth", "ca", L("by-signer-no-ku.crl"), "signer-no-ku",
	    "root.crl"), "lacks cRLSign");
}
END_TEST

START_TEST(scope_delta_and_profile)
{
	tb_rev_result r;

	r = scope_check("legal-employee", "ca", L("dp-base.crl", "dp-delta.crl"), NULL, NULL);
	STATUS(r, TB_REV_REVOKED);
	ck_assert_str_eq(r.source, "delta");
	/* A delta of another scope is not applied over the base. */
	r = scope_check("legal-employee", "ca", L("dp-base.crl", "plain-delta.crl"), NULL, NULL);
	STATUS(r, TB_REV_GOOD);
	ck_assert_str_eq(r.source, "crl");
	UNKNOWN(scope_check("individual-auth", "ca", L("no-number.crl"), NULL, NULL),
	    "without cRLNumber");
	UNKNOWN(scope_check("individual-auth", "ca", L("number-critical.crl"), NULL, NULL),
	    "cRLNumber is marked critical");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rev_pki");
	TCase *tc = tcase_create("testpki");

	if (getenv("REV_TP_DIR") == NULL) {
		fprintf(stderr, "REV_TP_DIR not set: run through rev-testpki.sh\n");
		return 77;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, base_and_delta);
	tcase_add_test(tc, million_entries);
	if (getenv("REV_TP_SCOPE") != NULL) {
		tcase_add_test(tc, scope_distribution_point);
		tcase_add_test(tc, scope_reasons);
		tcase_add_test(tc, scope_indirect);
		tcase_add_test(tc, scope_crl_signer);
		tcase_add_test(tc, scope_delta_and_profile);
	}
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
