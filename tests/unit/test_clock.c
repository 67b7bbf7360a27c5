/*
 * Clock boundaries of revocation data, to the second: a CRL at thisUpdate
 * less the skew allowance and at nextUpdate (and one second beyond each),
 * an OCSP answer's thisUpdate, nextUpdate and producedAt, a delegated
 * responder's own validity, through libsig's checks and the offline
 * checker with the one clock set. Certificate validity edges are in
 * test_verify (test_path_validity_edges) and tests/system/clock.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "crl.h"
#include "ocsp_check.h"
#include "rev_offline.h"
#include "tb_clock.h"
#include "x509_testlib.h"

#define SKEW 300	/* the default allowance, tb_rev_offline and tb_ocsp_opts */
#define HOUR 3600
#define DAY 86400

static EVP_PKEY *ca_key, *resp_key, *leaf_key;
static X509 *ca, *good, *revoked;
static time_t T0;	/* the real time when the fixtures were made */

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate valid [nb, na]; issuer NULL makes it self-signed. */
static X509 *
mk_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
    time_t nb, time_t na, int kind)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (kind == 0) {		/* CA */
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	} else if (kind == 1) {		/* leaf */
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	} else {			/* delegated OCSP responder */
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
		add_ext(x, issuer, NID_ext_key_usage, "OCSPSigning");
	}
	ck_assert_int_gt(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()), 0);
	return x;
}

static void
fixtures(void)
{
	if (ca != NULL)
		return;
	T0 = time(NULL);
	ca_key = ec_key();
	resp_key = ec_key();
	leaf_key = ec_key();
	ca = mk_cert("Clock Test CA", 1, ca_key, NULL, NULL, T0 - 100 * DAY, T0 + 3650L * DAY, 0);
	good = mk_cert("good", 0x1001, leaf_key, ca, ca_key, T0 - 10 * DAY, T0 + 365L * DAY, 1);
	revoked = mk_cert("revoked", 0x1002, leaf_key, ca, ca_key, T0 - 10 * DAY,
	    T0 + 365L * DAY, 1);
}

/* A complete CRL by the CA with "revoked" on it (revoked two hours before tu). */
static unsigned char *
mk_crl(time_t tu, time_t nu, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	int n;

	ck_assert_ptr_nonnull(crl);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = ASN1_TIME_set(NULL, tu);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, nu);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	X509_REVOKED_set_serialNumber(rv, X509_get_serialNumber(revoked));
	t = ASN1_TIME_set(NULL, tu - 2 * HOUR);
	X509_REVOKED_set_revocationDate(rv, t);
	ASN1_TIME_free(t);
	X509_CRL_add0_revoked(crl, rv);
	ASN1_INTEGER_set(num, 7);
	X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
	ASN1_INTEGER_free(num);
	X509_CRL_sort(crl);
	ck_assert_int_gt(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
	n = i2d_X509_CRL(crl, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	X509_CRL_free(crl);
	return der;
}

/*
 * An OCSP answer "good" for cert, signed by signer (the CA or a delegated
 * responder, whose certificate is then included). nu 0: no nextUpdate.
 * producedAt is the real time of signing (OCSP_basic_sign sets it).
 */
static unsigned char *
mk_ocsp(X509 *cert, X509 *signer, EVP_PKEY *key, time_t tu, time_t nu, size_t *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, ca);
	OCSP_RESPONSE *resp;
	ASN1_TIME *thisupd = ASN1_GENERALIZEDTIME_set(NULL, tu);
	ASN1_TIME *nextupd = nu ? ASN1_GENERALIZEDTIME_set(NULL, nu) : NULL;
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned char *der = NULL;
	int n;

	ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL,
	    thisupd, nextupd));
	if (signer != ca)
		sk_X509_push(certs, signer);
	ck_assert_int_eq(OCSP_basic_sign(bs, signer, key, EVP_sha256(), certs,
	    signer == ca ? OCSP_NOCERTS : 0), 1);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	n = i2d_OCSP_RESPONSE(resp, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	sk_X509_free(certs);
	return der;
}

/* tb_ocsp_response_check of der for good at now; 0 or the error with its text. */
static int
ocsp_at(const unsigned char *der, size_t len, time_t now, const tb_ocsp_opts *o,
    char *why, size_t why_len)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), good, ca);
	tb_ocsp_answer a;
	tb_error err;
	int r;

	memset(&a, 0, sizeof(a));
	tb_error_clear(&err);
	r = tb_ocsp_response_check(der, len, NULL, id, ca, o, now, &a, &err);
	snprintf(why, why_len, "%s", r == 0 ? "" : err.detail);
	if (r == 0)
		ck_assert_int_eq(a.status, TB_REV_GOOD);
	tb_ocsp_answer_clear(&a);
	OCSP_CERTID_free(id);
	return r;
}

#define OCSP_OK(der, len, now, o) do { char w_[512]; \
	ck_assert_msg(ocsp_at(der, len, now, o, w_, sizeof(w_)) == 0, \
	    "at %+ld s: refused: %s", (long)((now) - T0), w_); } while (0)
#define OCSP_REFUSED(der, len, now, o, text) do { char w_[512]; \
	ck_assert_msg(ocsp_at(der, len, now, o, w_, sizeof(w_)) != 0, \
	    "at %+ld s: accepted", (long)((now) - T0)); \
	ck_assert_msg(strstr(w_, text) != NULL, "\"%s\" lacks \"%s\"", w_, text); } while (0)

/* The offline checker with the one clock set to at. */
static tb_rev_result
offline_at(const unsigned char *ocsp, size_t ocsp_len, const unsigned char *crl,
    size_t crl_len, X509 *cert, time_t at, int skew)
{
	tb_rev_offline in;
	tb_rev_result res;
	tb_error err;

	memset(&in, 0, sizeof(in));
	in.ocsp_der = ocsp;
	in.ocsp_len = ocsp_len;
	if (crl != NULL) {
		in.crl_der[0] = crl;
		in.crl_len[0] = crl_len;
		in.n_crls = 1;
	}
	in.clock_skew_s = skew;
	tb_clock_set(at);
	ck_assert_int_eq(tb_rev_check_offline(&in, cert, ca, at, &res, &err), 0);
	tb_clock_set(0);
	return res;
}

/* ---- CRL: thisUpdate - skew .. nextUpdate, both ends inclusive ---- */

START_TEST(crl_fresh_edges)
{
	time_t tu, nu;
	tb_crl_policy pol;
	tb_crl *crl = NULL;
	tb_error err;
	unsigned char *der;
	size_t len;

	fixtures();
	tu = T0 - HOUR;
	nu = T0 + DAY;
	der = mk_crl(tu, nu, &len);
	memset(&pol, 0, sizeof(pol));
	pol.now = T0;
	pol.skew_s = SKEW;
	ck_assert_msg(tb_crl_load(der, len, ca, &pol, &crl, &err) == 0, "%s", err.detail);
	/* RFC 5280 5.1.2.5: nextUpdate is the last second the CRL stands for. */
	ck_assert_int_eq(tb_crl_fresh(crl, nu, SKEW, NULL), 0);
	ck_assert_int_ne(tb_crl_fresh(crl, nu + 1, SKEW, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.detail, "expired"));
	/* The skew allowance is for a CRL issued by a clock a little ahead. */
	ck_assert_int_eq(tb_crl_fresh(crl, tu - SKEW, SKEW, NULL), 0);
	ck_assert_int_ne(tb_crl_fresh(crl, tu - SKEW - 1, SKEW, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.detail, "in the future"));
	/* Without an allowance thisUpdate itself is the first second. */
	ck_assert_int_eq(tb_crl_fresh(crl, tu, 0, NULL), 0);
	ck_assert_int_ne(tb_crl_fresh(crl, tu - 1, 0, NULL), 0);
	/* No allowance past nextUpdate, whatever the skew. */
	ck_assert_int_ne(tb_crl_fresh(crl, nu + 1, 3600, NULL), 0);
	tb_crl_free(crl);
	crl = NULL;
	/* Loading applies the same edges. */
	pol.now = nu;
	ck_assert_int_eq(tb_crl_load(der, len, ca, &pol, &crl, NULL), 0);
	tb_crl_free(crl);
	crl = NULL;
	pol.now = nu + 1;
	ck_assert_int_eq(tb_crl_load(der, len, ca, &pol, &crl, &err), TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_ptr_null(crl);
	pol.now = tu - SKEW;
	ck_assert_int_eq(tb_crl_load(der, len, ca, &pol, &crl, NULL), 0);
	tb_crl_free(crl);
	crl = NULL;
	pol.now = tu - SKEW - 1;
	ck_assert_int_eq(tb_crl_load(der, len, ca, &pol, &crl, &err), TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_ptr_null(crl);
	OPENSSL_free(der);
}
END_TEST

START_TEST(crl_offline_edges)
{
	time_t tu, nu;
	unsigned char *der;
	size_t len;
	tb_rev_result r;

	fixtures();
	tu = T0 - HOUR;
	nu = T0 + DAY;
	der = mk_crl(tu, nu, &len);
	r = offline_at(NULL, 0, der, len, good, nu, 0);
	REV_IS(r, TB_REV_GOOD, "");
	r = offline_at(NULL, 0, der, len, revoked, nu, 0);
	REV_IS(r, TB_REV_REVOKED, "");
	/* One second later nothing is known: never GOOD, and not REVOKED from a stale list. */
	r = offline_at(NULL, 0, der, len, good, nu + 1, 0);
	REV_IS(r, TB_REV_UNKNOWN, "expired");
	r = offline_at(NULL, 0, der, len, revoked, nu + 1, 0);
	REV_IS(r, TB_REV_UNKNOWN, "expired");
	r = offline_at(NULL, 0, der, len, good, tu - SKEW, 0);
	REV_IS(r, TB_REV_GOOD, "");
	r = offline_at(NULL, 0, der, len, good, tu - SKEW - 1, 0);
	REV_IS(r, TB_REV_UNKNOWN, "in the future");
	/* A configured allowance replaces the default. */
	r = offline_at(NULL, 0, der, len, good, tu - 60, 60);
	REV_IS(r, TB_REV_GOOD, "");
	r = offline_at(NULL, 0, der, len, good, tu - 61, 60);
	REV_IS(r, TB_REV_UNKNOWN, "in the future");
	OPENSSL_free(der);
}
END_TEST

/* ---- OCSP: thisUpdate - skew .. nextUpdate, producedAt, max age ---- */

START_TEST(ocsp_window_edges)
{
	tb_ocsp_opts o;
	unsigned char *der;
	size_t len;
	time_t now;

	fixtures();
	now = T0;
	tb_ocsp_opts_init(&o);
	ck_assert_int_eq(o.skew_s, SKEW);
	/* thisUpdate ahead of the clock by exactly the allowance, and one more. */
	der = mk_ocsp(good, ca, ca_key, now + SKEW, now + DAY, &len);
	OCSP_OK(der, len, now, &o);
	OCSP_REFUSED(der, len, now - 1, &o, "thisUpdate");
	OCSP_REFUSED(der, len, now - 1, &o, "in the future");
	o.skew_s = 0;
	OCSP_REFUSED(der, len, now, &o, "in the future");
	OCSP_OK(der, len, now + SKEW, &o);
	o.skew_s = SKEW;
	OPENSSL_free(der);
	/* nextUpdate: its own second still counts, the next one is stale. */
	der = mk_ocsp(good, ca, ca_key, now - HOUR, now + 600, &len);
	OCSP_OK(der, len, now + 600, &o);
	OCSP_REFUSED(der, len, now + 601, &o, "stale");
	/* No skew allowance on the far end. */
	o.skew_s = 3600;
	OCSP_REFUSED(der, len, now + 601, &o, "stale");
	o.skew_s = SKEW;
	OPENSSL_free(der);
	/* RFC 6960 4.2.2.1: without nextUpdate newer information is always
	 * available; the answer holds at the time asked (the cache ttl and
	 * max age bound its reuse). */
	der = mk_ocsp(good, ca, ca_key, now - HOUR, 0, &len);
	OCSP_OK(der, len, now + DAY, &o);
	OPENSSL_free(der);
}
END_TEST

START_TEST(ocsp_produced_at)
{
	tb_ocsp_opts o;
	unsigned char *der;
	size_t len;
	time_t made;

	fixtures();
	tb_ocsp_opts_init(&o);
	made = time(NULL);	/* producedAt is made or made + 1 */
	der = mk_ocsp(good, ca, ca_key, made - HOUR, made + DAY, &len);
	OCSP_OK(der, len, made - SKEW + 10, &o);
	OCSP_REFUSED(der, len, made - SKEW - 100, &o, "producedAt is in the future");
	o.max_age_s = 600;
	OCSP_OK(der, len, made + 500, &o);
	OCSP_REFUSED(der, len, made + 1000, &o, "older than 600 s");
	OPENSSL_free(der);
}
END_TEST

START_TEST(ocsp_responder_validity_edges)
{
	tb_ocsp_opts o;
	X509 *resp;
	unsigned char *der;
	size_t len;
	time_t made = time(NULL), rnb = made + 10, rna = made + HOUR;

	fixtures();
	tb_ocsp_opts_init(&o);
	/* A delegated responder whose certificate starts a little after the
	 * answer was made and ends within the hour. */
	resp = mk_cert("Clock OCSP", 0x2001, resp_key, ca, ca_key, rnb, rna, 2);
	der = mk_ocsp(good, resp, resp_key, made - HOUR, made + DAY, &len);
	OCSP_OK(der, len, rna, &o);
	OCSP_REFUSED(der, len, rna + 1, &o, "not valid now");
	OCSP_OK(der, len, rnb - SKEW, &o);
	OCSP_REFUSED(der, len, rnb - SKEW - 1, &o, "not valid now");
	OPENSSL_free(der);
	X509_free(resp);
}
END_TEST

START_TEST(ocsp_offline_edges)
{
	unsigned char *der, *crl;
	size_t len, crl_len;
	tb_rev_result r;
	time_t nu;

	fixtures();
	nu = T0 + 600;
	der = mk_ocsp(good, ca, ca_key, T0 - HOUR, nu, &len);
	r = offline_at(der, len, NULL, 0, good, nu, 0);
	ck_assert_str_eq(r.source, "ocsp");
	REV_IS(r, TB_REV_GOOD, "");
	r = offline_at(der, len, NULL, 0, good, nu + 1, 0);
	REV_IS(r, TB_REV_UNKNOWN, "stale");
	/* A stale answer falls through to a CRL that is still fresh. */
	crl = mk_crl(T0 - HOUR, T0 + DAY, &crl_len);
	r = offline_at(der, len, crl, crl_len, good, nu + 1, 0);
	ck_assert_str_eq(r.source, "crl");
	REV_IS(r, TB_REV_GOOD, "");
	OPENSSL_free(crl);
	OPENSSL_free(der);
}
END_TEST

/* --at and a request's time: RFC 3339 with fractions and offsets, past 2049. */
START_TEST(parse_rfc3339)
{
	time_t t, z;

	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00Z", &z), 0);
	ck_assert_int_eq((long long)z, 1769860800LL);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00.999Z", &t), 0);
	ck_assert_int_eq((long long)t, (long long)z);	/* the fraction is dropped */
	ck_assert_int_eq(tb_clock_parse("2026-01-31T17:00:00+05:00", &t), 0);
	ck_assert_int_eq((long long)t, (long long)z);
	ck_assert_int_eq(tb_clock_parse("2026-01-31t06:30:00.5-05:30", &t), 0);
	ck_assert_int_eq((long long)t, (long long)z);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00z", &t), 0);
	ck_assert_int_eq((long long)t, (long long)z);
	ck_assert_int_eq(tb_clock_parse("2050-06-01T00:00:00Z", &t), 0);
	ck_assert_int_eq((long long)t, 2537654400LL);
	ck_assert_int_eq(tb_clock_parse("2100-02-28T23:59:60Z", &t), 0);	/* leap second */
	ck_assert_int_eq(tb_clock_parse("2024-02-29T00:00:00Z", &t), 0);
	ck_assert_int_eq(tb_clock_parse("2025-02-29T00:00:00Z", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00.Z", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00+05", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00+0500", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("2026-01-31T12:00:00Zx", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("2026-13-01T12:00:00Z", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("26-01-31T12:00:00Z", &t), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_clock_parse("", &t), TB_ERR_INVALID_ARG);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("edges");

	tcase_add_test(tc, crl_fresh_edges);
	tcase_add_test(tc, crl_offline_edges);
	tcase_add_test(tc, ocsp_window_edges);
	tcase_add_test(tc, ocsp_produced_at);
	tcase_add_test(tc, ocsp_responder_validity_edges);
	tcase_add_test(tc, ocsp_offline_edges);
	tcase_add_test(tc, parse_rfc3339);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_VERBOSE);
}
