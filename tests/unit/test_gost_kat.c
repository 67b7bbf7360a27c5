/*
 * The NCA's GOST 34.10-2015 known answers (tests/vectors/nca-gost2015)
 * through the code the service runs: the CRL loader, the OCSP response
 * checker, the offline revocation checker and tb_verify_cert, with the
 * clock set inside the artefacts' validity. One flipped byte in a signature
 * or in the signed part must turn every answer into a refusal, never into
 * good or revoked. The vectors ship in the tree; their absence is a hard
 * error (99), never a skip.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "check_run.h"
#include "crl.h"
#include "gost.h"
#include "gost_testlib.h"
#include "ocsp_check.h"
#include "rev_offline.h"
#include "tb_clock.h"
#include "verify.h"

#define SERIAL_HEX "3A90343E720594C55204B19CB9A402422EF0E622"
#define CRL_HOLD 6	/* CRLReason certificateHold */

static char vecdir[1024];
static X509 *ca;
static unsigned char *crl_der, *ocsp_der;
static size_t crl_len, ocsp_len;
static unsigned char serial[20];
static time_t t_eval, t_revoked;

/* Offset of the first needle in hay; fails the test when absent. */
static size_t
find(const unsigned char *hay, size_t hay_len, const unsigned char *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= hay_len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return i;
	ck_abort_msg("pattern not found");
	return 0;
}

static void
setup(void)
{
	unsigned char *buf;
	const unsigned char *p;
	size_t len;
	BIGNUM *bn = NULL;

	buf = gostt_slurp(vecdir, "ca.der", &len);
	p = buf;
	ck_assert_ptr_nonnull(ca = d2i_X509(NULL, &p, (long)len));
	free(buf);
	crl_der = gostt_slurp(vecdir, "ca.crl", &crl_len);
	ocsp_der = gostt_slurp(vecdir, "ocsp-revoked.der", &ocsp_len);
	ck_assert_int_gt(BN_hex2bn(&bn, SERIAL_HEX), 0);
	ck_assert_int_eq(BN_bn2binpad(bn, serial, sizeof(serial)), (int)sizeof(serial));
	BN_free(bn);
	/* 2022-09-02, the day the OCSP response was produced, after it. */
	ck_assert_int_eq(tb_clock_parse("2022-09-02T18:00:00Z", &t_eval), 0);
	ck_assert_int_eq(tb_clock_parse("2022-07-27T10:25:30Z", &t_revoked), 0);
	tb_clock_set(t_eval);
}

static void
teardown(void)
{
	tb_clock_set(0);
	X509_free(ca);
	free(crl_der);
	free(ocsp_der);
}

static void
crl_policy(tb_crl_policy *pol, time_t now)
{
	memset(pol, 0, sizeof(*pol));
	pol->now = now;
	pol->skew_s = 300;
}

/* ---- CRL: tb_crl_load, the loader the revocation checker uses ---- */

START_TEST(crl_loads_and_lists_serial)
{
	tb_crl_policy pol;
	tb_crl *crl = NULL;
	const tb_crl_info *info;
	time_t this_upd, next_upd, when = 0;
	int why = -1, from_delta = -1;
	tb_error err;

	crl_policy(&pol, tb_clock_now());
	ck_assert_msg(tb_crl_load(crl_der, crl_len, ca, &pol, &crl, &err) == 0, "%s", err.detail);
	info = tb_crl_get_info(crl);
	ck_assert_int_eq(tb_clock_parse("2022-07-27T11:26:06Z", &this_upd), 0);
	ck_assert_int_eq(tb_clock_parse("2023-01-23T11:26:06Z", &next_upd), 0);
	ck_assert_int_eq(info->this_update, this_upd);
	ck_assert_int_eq(info->next_update, next_upd);
	ck_assert_uint_eq(info->entries, 6);
	ck_assert_int_eq(info->is_delta, 0);
	ck_assert_int_eq(tb_crl_lookup(crl, NULL, serial, sizeof(serial), &when, &why,
	    &from_delta), 1);
	ck_assert_int_eq(why, CRL_HOLD);
	ck_assert_int_eq(from_delta, 0);
	/* A serial one off is not listed. */
	serial[sizeof(serial) - 1] ^= 0x01;
	ck_assert_int_eq(tb_crl_lookup(crl, NULL, serial, sizeof(serial), &when, &why,
	    &from_delta), 0);
	ck_assert_ptr_nonnull(strstr(tb_crl_issuer_text(crl), "(GOST) TEST 2022"));
	tb_crl_free(crl);
}
END_TEST

START_TEST(crl_outside_window_refused)
{
	tb_crl_policy pol;
	tb_crl *crl = NULL;
	time_t t;
	tb_error err;

	/* After nextUpdate: stale. */
	ck_assert_int_eq(tb_clock_parse("2023-01-24T00:00:00Z", &t), 0);
	crl_policy(&pol, t);
	ck_assert_int_eq(tb_crl_load(crl_der, crl_len, ca, &pol, &crl, &err),
	    TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_ptr_null(crl);
	/* Before thisUpdate (beyond the skew): not yet issued. */
	ck_assert_int_eq(tb_clock_parse("2022-07-27T10:00:00Z", &t), 0);
	crl_policy(&pol, t);
	ck_assert_int_eq(tb_crl_load(crl_der, crl_len, ca, &pol, &crl, &err),
	    TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_ptr_null(crl);
}
END_TEST

/* Flips one bit at off (the signature when sig, else the TBS) and wants a refusal. */
static void
crl_flip_refused(size_t off, const char *what)
{
	unsigned char *d = OPENSSL_memdup(crl_der, crl_len);
	tb_crl_policy pol;
	tb_crl *crl = NULL;
	tb_error err;
	int r;

	d[off] ^= 0x01;
	crl_policy(&pol, tb_clock_now());
	r = tb_crl_load(d, crl_len, ca, &pol, &crl, &err);
	ck_assert_msg(r == TB_ERR_REVOCATION_UNKNOWN, "%s: %d %s", what, r, err.detail);
	ck_assert_ptr_null(crl);
	ck_assert_msg(strstr(err.detail, "signature") != NULL, "%s: %s", what, err.detail);
	OPENSSL_free(d);
}

START_TEST(crl_flipped_byte_refused)
{
	/* The last bytes of the file are the signature value; the serial is in the TBS. */
	crl_flip_refused(crl_len - 1, "signature, last byte");
	crl_flip_refused(crl_len - 64, "signature, middle");
	crl_flip_refused(find(crl_der, crl_len, serial, sizeof(serial)) + 5, "listed serial");
}
END_TEST

/* ---- OCSP: tb_ocsp_response_check, as the service checks a response ---- */

/* The CertID the response carries: SHA-256 over the CA's name and key. */
static OCSP_CERTID *
certid(void)
{
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	OCSP_CERTID *id;

	ck_assert_int_eq(ASN1_STRING_set(sn, serial, sizeof(serial)), 1);
	id = OCSP_cert_id_new(EVP_sha256(), X509_get_subject_name(ca),
	    X509_get0_pubkey_bitstr(ca), sn);
	ck_assert_ptr_nonnull(id);
	ASN1_INTEGER_free(sn);
	return id;
}

static void
stored_opts(tb_ocsp_opts *o)
{
	tb_ocsp_opts_init(o);
	o->nonce = 0;		/* a stored response: no request to match */
	o->certid_sha256 = 1;
}

START_TEST(ocsp_gives_revoked)
{
	OCSP_CERTID *id = certid();
	tb_ocsp_opts o;
	tb_ocsp_answer a;
	tb_error err;

	stored_opts(&o);
	memset(&a, 0, sizeof(a));
	ck_assert_msg(tb_ocsp_response_check(ocsp_der, ocsp_len, NULL, id, ca, &o,
	    tb_clock_now(), &a, &err) == 0, "%s", err.detail);
	ck_assert_int_eq(a.status, TB_REV_REVOKED);
	ck_assert_int_eq(a.revoked_at, t_revoked);
	ck_assert_int_eq(a.reason, CRL_HOLD);
	/* Signed by the delegated responder, whose certificate ca.der issued. */
	ck_assert_ptr_nonnull(strstr(a.responder, "OCSP RESPONDER"));
	ck_assert_uint_eq(a.der_len, ocsp_len);
	tb_ocsp_answer_clear(&a);
	OCSP_CERTID_free(id);
}
END_TEST

START_TEST(ocsp_other_serial_or_time_refused)
{
	OCSP_CERTID *id;
	tb_ocsp_opts o;
	tb_ocsp_answer a;
	time_t t;
	tb_error err;

	stored_opts(&o);
	memset(&a, 0, sizeof(a));
	/* The responder certificate expired 2023-08-12. */
	id = certid();
	ck_assert_int_eq(tb_clock_parse("2023-09-01T00:00:00Z", &t), 0);
	ck_assert_int_eq(tb_ocsp_response_check(ocsp_der, ocsp_len, NULL, id, ca, &o, t, &a,
	    &err), TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_null(a.der);
	/* Produced after this time: refused. */
	ck_assert_int_eq(tb_clock_parse("2022-09-01T00:00:00Z", &t), 0);
	ck_assert_int_eq(tb_ocsp_response_check(ocsp_der, ocsp_len, NULL, id, ca, &o, t, &a,
	    &err), TB_ERR_REVOCATION_UNKNOWN);
	OCSP_CERTID_free(id);
	/* Another serial: the answer is not about it. */
	serial[0] ^= 0x01;
	id = certid();
	ck_assert_int_eq(tb_ocsp_response_check(ocsp_der, ocsp_len, NULL, id, ca, &o,
	    tb_clock_now(), &a, &err), TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(err.detail, "CertID"));
	ck_assert_ptr_null(a.der);
	OCSP_CERTID_free(id);
}
END_TEST

static void
ocsp_flip_refused(size_t off, const char *what, const char *why)
{
	unsigned char *d = OPENSSL_memdup(ocsp_der, ocsp_len);
	OCSP_CERTID *id = certid();
	tb_ocsp_opts o;
	tb_ocsp_answer a;
	tb_error err;
	int r;

	d[off] ^= 0x01;
	stored_opts(&o);
	memset(&a, 0, sizeof(a));
	r = tb_ocsp_response_check(d, ocsp_len, NULL, id, ca, &o, tb_clock_now(), &a, &err);
	ck_assert_msg(r == TB_ERR_REVOCATION_UNKNOWN, "%s: %d %s", what, r, err.detail);
	ck_assert_msg(strstr(err.detail, why) != NULL, "%s: %s", what, err.detail);
	/* The answer stays untouched: neither good nor revoked. */
	ck_assert_int_eq(a.status, 0);
	ck_assert_ptr_null(a.der);
	OCSP_CERTID_free(id);
	OPENSSL_free(d);
}

START_TEST(ocsp_flipped_byte_refused)
{
	const unsigned char *p = ocsp_der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ocsp_len);
	OCSP_BASICRESP *bs;
	const ASN1_OCTET_STRING *sig;
	const ASN1_BIT_STRING *csig;
	X509 *responder;
	size_t off;

	ck_assert_ptr_nonnull(resp);
	ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(resp));
	/* The response's signature value. */
	sig = OCSP_resp_get0_signature(bs);
	off = find(ocsp_der, ocsp_len, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig));
	ocsp_flip_refused(off, "response signature, first byte", "signature does not verify");
	ocsp_flip_refused(off + (size_t)ASN1_STRING_length(sig) - 1,
	    "response signature, last byte", "signature does not verify");
	/* The signed part: the serial in the SingleResponse. */
	off = find(ocsp_der, ocsp_len, serial, sizeof(serial));
	ocsp_flip_refused(off + 7, "tbsResponseData serial", "signature does not verify");
	/* The responder certificate's signature: the chain to ca.der breaks. */
	ck_assert_int_eq(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	responder = sk_X509_value(OCSP_resp_get0_certs(bs), 0);
	X509_get0_signature(&csig, NULL, responder);
	off = find(ocsp_der, ocsp_len, ASN1_STRING_get0_data(csig),
	    (size_t)ASN1_STRING_length(csig));
	ocsp_flip_refused(off + 10, "responder certificate signature", "not signed by the CA");
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}
END_TEST

/* ---- the offline revocation checker (tanba verify/check-cert --offline) ---- */

/*
 * The revoked certificate itself is not among the vectors and cannot be
 * made (no CA key): the checker needs only its issuer name and serial, so
 * an unsigned stand-in carries them.
 */
static X509 *
stand_in(void)
{
	X509 *x = X509_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_STRING_set(sn, serial, sizeof(serial)), 1);
	ck_assert_int_eq(X509_set_serialNumber(x, sn), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(ca)), 1);
	ck_assert_int_eq(X509_set_subject_name(x, X509_get_subject_name(ca)), 1);
	ASN1_INTEGER_free(sn);
	return x;
}

static void
offline(const unsigned char *crl, size_t clen, const unsigned char *ocsp, size_t olen,
    tb_rev_result *res)
{
	tb_rev_offline in;
	X509 *x = stand_in();
	tb_error err;

	memset(&in, 0, sizeof(in));
	if (crl != NULL) {
		in.crl_der[0] = crl;
		in.crl_len[0] = clen;
		in.n_crls = 1;
	}
	in.ocsp_der = ocsp;
	in.ocsp_len = olen;
	memset(res, 0, sizeof(*res));
	ck_assert_int_eq(tb_rev_check_offline(&in, x, ca, tb_clock_now(), res, &err), 0);
	X509_free(x);
}

START_TEST(offline_crl_revoked)
{
	unsigned char *d = OPENSSL_memdup(crl_der, crl_len);
	tb_rev_result res;

	offline(crl_der, crl_len, NULL, 0, &res);
	ck_assert_int_eq(res.status, TB_REV_REVOKED);
	ck_assert_str_eq(res.source, "crl");
	ck_assert_int_eq(res.reason, CRL_HOLD);
	tb_rev_result_clear(&res);
	d[crl_len - 1] ^= 0x01;
	offline(d, crl_len, NULL, 0, &res);
	ck_assert_int_eq(res.status, TB_REV_UNKNOWN);
	tb_rev_result_clear(&res);
	OPENSSL_free(d);
}
END_TEST

/*
 * The NCA's stored response names the certificate by a SHA-256 CertID: the
 * offline checker must match it as the responder wrote it.
 */
START_TEST(offline_ocsp_revoked)
{
	unsigned char *d = OPENSSL_memdup(ocsp_der, ocsp_len);
	tb_rev_result res;

	offline(NULL, 0, ocsp_der, ocsp_len, &res);
	ck_assert_msg(res.status == TB_REV_REVOKED, "status %d: %s", res.status, res.detail);
	ck_assert_str_eq(res.source, "ocsp");
	ck_assert_int_eq(res.revoked_at, t_revoked);
	ck_assert_int_eq(res.reason, CRL_HOLD);
	tb_rev_result_clear(&res);
	d[ocsp_len - 1] ^= 0x01;	/* the responder certificate's signature */
	offline(NULL, 0, d, ocsp_len, &res);
	ck_assert_int_eq(res.status, TB_REV_UNKNOWN);
	tb_rev_result_clear(&res);
	OPENSSL_free(d);
}
END_TEST

/* ---- verdicts through tb_verify_cert: the responder certificate under ca.der ---- */

static int
offline_hook(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	return tb_rev_check_offline(ctx, cert, issuer, at, out, err);
}

/* The responder certificate's DER, as the response carries it. */
static unsigned char *
responder_der(size_t *len)
{
	const unsigned char *p = ocsp_der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)ocsp_len);
	OCSP_BASICRESP *bs = OCSP_response_get1_basic(resp);
	unsigned char *der = NULL;
	int n;

	ck_assert_int_gt(n = i2d_X509(sk_X509_value(OCSP_resp_get0_certs(bs), 0), &der), 0);
	*len = (size_t)n;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return der;
}

static enum tb_verdict
verdict_of(const unsigned char *der, size_t len, int with_crl)
{
	tb_trust *t = tb_trust_new();
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_rev_offline in;
	tb_rev_checker hook;
	enum tb_verdict v;
	tb_error err;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tb_trust_add_anchor(t, ca, &err), 0);
	tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = len;
	memset(&in, 0, sizeof(in));
	in.crl_der[0] = crl_der;
	in.crl_len[0] = crl_len;
	in.n_crls = 1;
	hook.check = offline_hook;
	hook.ctx = &in;
	ck_assert_int_eq(tb_verify_cert(t, &pol, with_crl ? &hook : NULL, &req, &res, &err), 0);
	v = res->verdict;
	/* VALID with a checker means the GOST CRL was read and the serial is not on it. */
	if (with_crl && v == TB_V_VALID) {
		ck_assert_int_eq(res->signers[0].path->rev_checked, 1);
		ck_assert_int_eq(res->signers[0].path->rev[0].status, TB_REV_GOOD);
		ck_assert_str_eq(res->signers[0].path->rev[0].source, "crl");
	}
	tb_verify_result_free(res);
	tb_trust_free(t);
	return v;
}

START_TEST(verify_cert_gost_chain)
{
	size_t len, off;
	unsigned char *der = responder_der(&len);
	/* The Kazakh signature OID 1.2.398.3.10.1.1.2.3.2, as DER. */
	static const unsigned char sig_oid[] = { 0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a,
		0x01, 0x01, 0x02, 0x03, 0x02 };

	/* Path checked with the CA's GOST key, revocation by the GOST CRL: not listed. */
	ck_assert_str_eq(tb_verdict_code(verdict_of(der, len, 1)), "VALID");
	/* One flipped byte in the certificate's signature. */
	der[len - 3] ^= 0x01;
	ck_assert_str_eq(tb_verdict_code(verdict_of(der, len, 1)), "SIGNATURE_INVALID");
	der[len - 3] ^= 0x01;
	/* In the signed part (the validity dates are in the TBS). */
	off = find(der, len, (const unsigned char *)"220812042117Z", 13);
	der[off + 11] ^= 0x01;	/* ...17Z -> ...16Z */
	ck_assert_str_eq(tb_verdict_code(verdict_of(der, len, 1)), "SIGNATURE_INVALID");
	der[off + 11] ^= 0x01;
	/* A Kazakh signature OID the table does not know (.3.2 -> .3.3), inside and outside. */
	off = find(der, len, sig_oid, sizeof(sig_oid));
	der[off + sizeof(sig_oid) - 1] = 0x03;
	off = find(der + off + 1, len - off - 1, sig_oid, sizeof(sig_oid)) + off + 1;
	der[off + sizeof(sig_oid) - 1] = 0x03;
	ck_assert_str_eq(tb_verdict_code(verdict_of(der, len, 0)), "UNSUPPORTED_ALGORITHM");
	OPENSSL_free(der);
}
END_TEST

/*
 * Without the engine and provider, a GOST path is UNSUPPORTED_ALGORITHM,
 * never VALID, and tb_gost_available says none. The engine loads once per
 * process, so this runs in a child pointed at an empty directory.
 */
START_TEST(verify_cert_without_engine)
{
	char empty[] = "/tmp/tb-gostkat-none-XXXXXX", buf[256];
	size_t len;
	unsigned char *der = responder_der(&len);
	pid_t pid;
	int st;

	ck_assert_ptr_nonnull(mkdtemp(empty));
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		setenv("OPENSSL_ENGINES", empty, 1);
		setenv("OPENSSL_MODULES", empty, 1);
		if (tb_gost_available(buf, sizeof(buf)) != 0 || strncmp(buf, "none", 4) != 0)
			_exit(2);
		_exit(verdict_of(der, len, 1) == TB_V_UNSUPPORTED_ALGORITHM ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	rmdir(empty);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	/* Here, with the engine: the algorithms are listed. */
	ck_assert_int_eq(tb_gost_available(buf, sizeof(buf)), 3);
	ck_assert_ptr_nonnull(strstr(buf, "gost2015-512"));
	ck_assert_ptr_nonnull(strstr(buf, "gost2015-256"));
	ck_assert_ptr_nonnull(strstr(buf, "gost2004"));
	OPENSSL_free(der);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	if (!gostt_find_vectors(vecdir, sizeof(vecdir))) {
		fprintf(stderr, "ERROR: NCA GOST vectors missing: %s\n", vecdir);
		return 99;
	}
	s = suite_create("gost-kat");
	tc = tcase_create("nca-gost2015");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, crl_loads_and_lists_serial);
	tcase_add_test(tc, crl_outside_window_refused);
	tcase_add_test(tc, crl_flipped_byte_refused);
	tcase_add_test(tc, ocsp_gives_revoked);
	tcase_add_test(tc, ocsp_other_serial_or_time_refused);
	tcase_add_test(tc, ocsp_flipped_byte_refused);
	tcase_add_test(tc, offline_crl_revoked);
	tcase_add_test(tc, offline_ocsp_revoked);
	tcase_add_test(tc, verify_cert_gost_chain);
	/* The fail-closed case needs a process where the engine has not loaded. */
	if (getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0)
		tcase_add_test(tc, verify_cert_without_engine);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
