/*
 * Known answers from the NCA's GOST 34.10-2015 test PKI
 * (tests/vectors/nca-gost2015): the CRL and the OCSP responder
 * certificate verify with the CA's key, the OCSP response with the
 * responder's key, and one flipped byte anywhere turns each into a refusal.
 * The vectors ship in the tree; their absence is a hard error (99).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "check_run.h"
#include "gost.h"
#include "gost_testlib.h"
#include "testpki_gost.h"

static char vecdir[1024];
static X509 *ca;
static X509_CRL *crl;
static OCSP_RESPONSE *ocsp;
static OCSP_BASICRESP *basic;
static unsigned char *crl_der;
static long crl_der_len;

static void
setup(void)
{
	unsigned char *buf;
	const unsigned char *p;
	size_t len;

	buf = gostt_slurp(vecdir, "ca.der", &len);
	p = buf;
	ck_assert_ptr_nonnull(ca = d2i_X509(NULL, &p, (long)len));
	free(buf);
	crl_der = gostt_slurp(vecdir, "ca.crl", &len);
	crl_der_len = (long)len;
	p = crl_der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, crl_der_len));
	buf = gostt_slurp(vecdir, "ocsp-revoked.der", &len);
	p = buf;
	ck_assert_ptr_nonnull(ocsp = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	free(buf);
	ck_assert_ptr_nonnull(basic = OCSP_response_get1_basic(ocsp));
}

static void
teardown(void)
{
	X509_free(ca);
	X509_CRL_free(crl);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(ocsp);
	free(crl_der);
}

/*
 * Verifies sig over tbs with spki; then with one bit flipped in the
 * signature and in the TBS, each of which must be TB_ERR_CRYPTO.
 */
static void
check_known_answer(const X509_ALGOR *alg, X509_PUBKEY *spki, const unsigned char *tbs,
    long tbs_len, const ASN1_BIT_STRING *sig)
{
	unsigned char *t = OPENSSL_memdup(tbs, tbs_len);
	unsigned char *s = OPENSSL_memdup(ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig));
	size_t sig_len = ASN1_STRING_length(sig);
	tb_sigalg_info info;
	tb_error err;

	ck_assert_uint_eq(sig_len, 128);
	ck_assert_int_eq(tb_gost_verify(NULL, alg, spki, t, tbs_len, s, sig_len, &info, &err), 0);
	ck_assert_str_eq(info.name, "gost2015-512");
	ck_assert_int_eq(info.key_bits, 512);
	ck_assert_int_eq(info.md_nid, NID_undef);

	s[0] ^= 0x01;
	ck_assert_int_eq(tb_gost_verify(NULL, alg, spki, t, tbs_len, s, sig_len, NULL, &err),
	    TB_ERR_CRYPTO);
	s[0] ^= 0x01;
	s[sig_len - 1] ^= 0x40;
	ck_assert_int_eq(tb_gost_verify(NULL, alg, spki, t, tbs_len, s, sig_len, NULL, &err),
	    TB_ERR_CRYPTO);
	s[sig_len - 1] ^= 0x40;
	t[tbs_len / 2] ^= 0x01;
	ck_assert_int_eq(tb_gost_verify(NULL, alg, spki, t, tbs_len, s, sig_len, NULL, &err),
	    TB_ERR_CRYPTO);
	t[tbs_len / 2] ^= 0x01;
	ck_assert_int_eq(tb_gost_verify(NULL, alg, spki, t, tbs_len, s, sig_len, NULL, &err), 0);
	OPENSSL_free(t);
	OPENSSL_free(s);
}

START_TEST(crl_signature_verifies)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const unsigned char *tbs;
	ASN1_INTEGER *serial;
	BIGNUM *bn = NULL;
	X509_REVOKED *rev = NULL;
	long tbs_len;

	X509_CRL_get0_signature(crl, &sig, &alg);
	gostt_first_element(crl_der, crl_der_len, &tbs, &tbs_len);
	check_known_answer(alg, X509_get_X509_PUBKEY(ca), tbs, tbs_len, sig);
	/* And the CRL lists the README's serial. */
	ck_assert_int_gt(BN_hex2bn(&bn, "3A90343E720594C55204B19CB9A402422EF0E622"), 0);
	ck_assert_ptr_nonnull(serial = BN_to_ASN1_INTEGER(bn, NULL));
	ck_assert_int_eq(X509_CRL_get0_by_serial(crl, &rev, serial), 1);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
}
END_TEST

START_TEST(ocsp_responder_certificate_verifies)
{
	STACK_OF(X509) *certs = (STACK_OF(X509) *)OCSP_resp_get0_certs(basic);
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const unsigned char *tbs;
	unsigned char *der = NULL;
	long tbs_len;
	int der_len;
	X509 *responder;

	ck_assert_int_eq(sk_X509_num(certs), 1);
	responder = sk_X509_value(certs, 0);
	/* i2d_X509 of a parsed certificate returns its original bytes. */
	ck_assert_int_gt(der_len = i2d_X509(responder, &der), 0);
	gostt_first_element(der, der_len, &tbs, &tbs_len);
	X509_get0_signature(&sig, &alg, responder);
	check_known_answer(alg, X509_get_X509_PUBKEY(ca), tbs, tbs_len, sig);
	OPENSSL_free(der);
}
END_TEST

START_TEST(ocsp_response_signature_verifies)
{
	STACK_OF(X509) *certs = (STACK_OF(X509) *)OCSP_resp_get0_certs(basic);
	const ASN1_OCTET_STRING *sig = OCSP_resp_get0_signature(basic);
	const X509_ALGOR *alg = OCSP_resp_get0_tbs_sigalg(basic);
	const unsigned char *tbs;
	unsigned char *der = NULL;
	long tbs_len;
	int der_len, status, reason = -1;
	OCSP_SINGLERESP *single;

	ck_assert_int_gt(der_len = i2d_OCSP_BASICRESP(basic, &der), 0);
	gostt_first_element(der, der_len, &tbs, &tbs_len);
	check_known_answer(alg, X509_get_X509_PUBKEY(sk_X509_value(certs, 0)), tbs, tbs_len, sig);
	/* The README's answer: that serial revoked, certificateHold. */
	ck_assert_ptr_nonnull(single = OCSP_resp_get0(basic, 0));
	status = OCSP_single_get0_status(single, &reason, NULL, NULL, NULL);
	ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_int_eq(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
	OPENSSL_free(der);
}
END_TEST

START_TEST(wrong_key_refused)
{
	/* The CRL is the CA's, not the responder's: the CA's key must not verify it. */
	STACK_OF(X509) *certs = (STACK_OF(X509) *)OCSP_resp_get0_certs(basic);
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const unsigned char *tbs;
	long tbs_len;
	tb_error err;

	X509_CRL_get0_signature(crl, &sig, &alg);
	gostt_first_element(crl_der, crl_der_len, &tbs, &tbs_len);
	ck_assert_int_eq(tb_gost_verify(NULL, alg, X509_get_X509_PUBKEY(sk_X509_value(certs, 0)),
	    tbs, tbs_len, ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), NULL, &err),
	    TB_ERR_CRYPTO);
}
END_TEST

START_TEST(unknown_oids_refused)
{
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	const unsigned char *tbs, *pk = NULL;
	long tbs_len;
	int pk_len = 0;
	X509_ALGOR *unknown = X509_ALGOR_new();
	X509_PUBKEY *bad = X509_PUBKEY_new();
	unsigned char params[] = { 0x30, 0x0c, 0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a,
		0x01, 0x01, 0x02, 0x02, 0x02 };	/* SEQUENCE { 1.2.398.3.10.1.1.2.2.2 } */
	ASN1_STRING *ps = ASN1_STRING_new();
	tb_error err;

	X509_CRL_get0_signature(crl, &sig, &alg);
	gostt_first_element(crl_der, crl_der_len, &tbs, &tbs_len);
	ck_assert_int_eq(X509_ALGOR_set0(unknown, OBJ_txt2obj("1.2.398.3.10.1.1.2.3.3", 1),
	    V_ASN1_NULL, NULL), 1);
	ck_assert_int_eq(tb_gost_verify(NULL, unknown, X509_get_X509_PUBKEY(ca), tbs, tbs_len,
	    ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), NULL, &err), TB_ERR_UNSUPPORTED);
	/* The CA's key with paramSet .2 instead of .1. */
	ck_assert_int_eq(X509_PUBKEY_get0_param(NULL, &pk, &pk_len, NULL,
	    X509_get_X509_PUBKEY(ca)), 1);
	ck_assert_int_eq(ASN1_STRING_set(ps, params, sizeof(params)), 1);
	ck_assert_int_eq(X509_PUBKEY_set0_param(bad, OBJ_txt2obj("1.2.398.3.10.1.1.2.2", 1),
	    V_ASN1_SEQUENCE, ps, OPENSSL_memdup(pk, pk_len), pk_len), 1);
	ck_assert_int_eq(tb_gost_verify(NULL, alg, bad, tbs, tbs_len,
	    ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), NULL, &err), TB_ERR_UNSUPPORTED);
	X509_ALGOR_free(unknown);
	X509_PUBKEY_free(bad);
}
END_TEST

START_TEST(resigned_ocsp_response_verifies)
{
	unsigned char *der = NULL, *out = NULL, *spki = NULL;
	const unsigned char *p, *tbs, *tbs_orig;
	long tbs_len, tbs_orig_len;
	size_t out_len = 0, spki_len = 0;
	int der_len;
	EVP_PKEY *key = NULL;
	X509_PUBKEY *pub;
	OCSP_BASICRESP *b2;
	tb_error err;

	ck_assert_int_eq(tp_gost_key_generate("gost2015-512", &key, &err), 0);
	ck_assert_int_gt(der_len = i2d_OCSP_BASICRESP(basic, &der), 0);
	ck_assert_int_eq(tp_gost_resign(der, der_len, key, &out, &out_len, &err), 0);
	p = out;
	ck_assert_ptr_nonnull(b2 = d2i_OCSP_BASICRESP(NULL, &p, (long)out_len));
	/* tbsResponseData has no AlgorithmIdentifier: it is unchanged. */
	gostt_first_element(der, der_len, &tbs_orig, &tbs_orig_len);
	gostt_first_element(out, (long)out_len, &tbs, &tbs_len);
	ck_assert_int_eq(tbs_len, tbs_orig_len);
	ck_assert_mem_eq(tbs, tbs_orig, tbs_len);
	ck_assert_int_eq(tp_gost_spki_der(key, &spki, &spki_len, &err), 0);
	p = spki;
	ck_assert_ptr_nonnull(pub = d2i_X509_PUBKEY(NULL, &p, (long)spki_len));
	ck_assert_int_eq(tb_gost_verify(NULL, OCSP_resp_get0_tbs_sigalg(b2), pub, tbs, tbs_len,
	    ASN1_STRING_get0_data(OCSP_resp_get0_signature(b2)),
	    ASN1_STRING_length(OCSP_resp_get0_signature(b2)), NULL, &err), 0);
	/* ... and not with the NCA responder's key. */
	ck_assert_int_eq(tb_gost_verify(NULL, OCSP_resp_get0_tbs_sigalg(b2),
	    X509_get_X509_PUBKEY(sk_X509_value(OCSP_resp_get0_certs(basic), 0)), tbs, tbs_len,
	    ASN1_STRING_get0_data(OCSP_resp_get0_signature(b2)),
	    ASN1_STRING_length(OCSP_resp_get0_signature(b2)), NULL, &err), TB_ERR_CRYPTO);
	X509_PUBKEY_free(pub);
	OCSP_BASICRESP_free(b2);
	EVP_PKEY_free(key);
	OPENSSL_free(der);
	OPENSSL_free(out);
	OPENSSL_free(spki);
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
	s = suite_create("gost-vectors");
	tc = tcase_create("nca-gost2015");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, crl_signature_verifies);
	tcase_add_test(tc, ocsp_responder_certificate_verifies);
	tcase_add_test(tc, ocsp_response_signature_verifies);
	tcase_add_test(tc, wrong_key_refused);
	tcase_add_test(tc, unknown_oids_refused);
	tcase_add_test(tc, resigned_ocsp_response_verifies);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
