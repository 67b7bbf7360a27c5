/*
 * GOST 2015 signing with the NCA's own container: libsig's signature over
 * CMS signed attributes, checked outside libsig's verifier by recomputing
 * the Streebog-512 digest and handing the gost engine the RFC 4491 value
 * (the reverse of what the CMS carries) and the certificate's point under
 * the Russian OIDs, written out here. Also: the container's private key
 * yields the certificate's public key (DOMAIN.md's known answer), a wrong
 * password is refused, and the NCA byte order is the only one that verifies.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include "check_run.h"
#include "cms_sign.h"
#include "gost.h"
#include "gost_key.h"
#include "gost_testlib.h"
#include "tb_clock.h"

static char p12dir[1100];
static const EVP_MD *streebog512;

/* RFC 4491 / TC26 SPKI prefix of a GOST R 34.10-2012 512 key on paramSet A, Streebog-512. */
static const unsigned char ru512_prefix[] = {
	0x30, 0x81, 0xaa, 0x30, 0x21, 0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x01, 0x02,
	0x30, 0x15, 0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x02, 0x01, 0x02, 0x01, 0x06, 0x08,
	0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x02, 0x03, 0x03, 0x81, 0x84, 0x00,
};

static void
setup(void)
{
	char vec[1024];

	ck_assert_int_eq(gostt_find_vectors(vec, sizeof(vec)), 1);
	(void)snprintf(p12dir, sizeof(p12dir), "%s/../nca-p12", vec);
	ck_assert_int_eq(tb_gost_engine_ready(NULL), 0);
	/*
	 * Streebog from the gost engine the process has loaded, not from
	 * libsig's provider: an independent digest. (A second load of the gost
	 * provider in one process re-registers its key methods over the first
	 * ones, which it never frees.)
	 */
	if (streebog512 == NULL)
		ck_assert_ptr_nonnull(streebog512 = EVP_get_digestbyname("md_gost12_512"));
	/* Inside 2022-07-28..2023-07-28, the life of individual-gost2015's certificate. */
	tb_clock_set(1672531200);
}

static tb_gost_key *
load_real(const char *password, int *r)
{
	char path[1200];
	tb_gost_key *k = NULL;
	tb_error err;

	snprintf(path, sizeof(path), "%s/individual-gost2015.p12", p12dir);
	*r = tb_gost_key_load_p12(path, password, &k, &err);
	return k;
}

/* The certificate's point as the engine's key, built here without libsig's mapping. */
static EVP_PKEY *
engine_pubkey(X509 *cert)
{
	const unsigned char *pk = NULL, *p;
	unsigned char der[sizeof(ru512_prefix) + 131];
	int pk_len = 0;
	EVP_PKEY *k;

	ck_assert_int_eq(X509_PUBKEY_get0_param(NULL, &pk, &pk_len, NULL,
	    X509_get_X509_PUBKEY(cert)), 1);
	ck_assert_int_eq(pk_len, 131);	/* OCTET STRING of x || y, 64 bytes each */
	memcpy(der, ru512_prefix, sizeof(ru512_prefix));
	memcpy(der + sizeof(ru512_prefix), pk, 131);
	p = der;
	ck_assert_ptr_nonnull(k = d2i_PUBKEY(NULL, &p, sizeof(der)));
	return k;
}

/* 1 when the engine accepts rfc4491 (s || r big-endian) over Streebog-512 of tbs. */
static int
engine_verifies(EVP_PKEY *pub, const unsigned char *tbs, size_t tbs_len,
    const unsigned char *rfc4491, size_t sig_len)
{
	unsigned char h[64];
	unsigned int h_len = 0;
	EVP_PKEY_CTX *ctx;
	int v;

	ck_assert_int_eq(EVP_Digest(tbs, tbs_len, h, &h_len, streebog512, NULL), 1);
	ck_assert_ptr_nonnull(ctx = EVP_PKEY_CTX_new(pub, NULL));
	ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
	v = EVP_PKEY_verify(ctx, rfc4491, sig_len, h, h_len);
	EVP_PKEY_CTX_free(ctx);
	return v == 1;
}

START_TEST(real_container_signs_cms_the_engine_verifies)
{
	static const unsigned char doc[] = "Анықтама N 17, Астана";
	tb_gost_key *k;
	tb_sign_request req;
	tb_signer signer;
	tb_error err;
	unsigned char *der = NULL, *attrs = NULL, rev[128], h[64];
	const unsigned char *p;
	size_t der_len = 0, i;
	unsigned int h_len = 0;
	int r, attrs_len, n, idx;
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	STACK_OF(X509_ATTRIBUTE) *sa;
	ASN1_OCTET_STRING *sig, *md;
	X509_ATTRIBUTE *a;
	EVP_PKEY *pub;

	ck_assert_ptr_nonnull(k = load_real("Aa123456", &r));
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(tb_gost_key_info(k)->name, "gost2015-512");
	memset(&req, 0, sizeof(req));
	req.data = doc;
	req.data_len = sizeof(doc) - 1;
	req.signing_time = tb_clock_now();
	signer.sign_digest = tb_gost_signer_cb;
	signer.ctx = k;
	r = tb_cms_sign(tb_gost_key_cert(k), NULL, &signer, &req, &der, &der_len, &err);
	ck_assert_msg(r == 0, "tb_cms_sign: %s", err.detail);

	/* OpenSSL parses the structure; the mathematics is checked below without libsig. */
	p = der;
	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len));
	ck_assert_int_eq(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)), 1);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	n = CMS_signed_get_attr_count(si);
	ck_assert_int_eq(n, 4);
	ck_assert_ptr_nonnull(sa = sk_X509_ATTRIBUTE_new_null());
	for (i = 0; i < (size_t)n; i++)
		sk_X509_ATTRIBUTE_push(sa, CMS_signed_get_attr(si, (int)i));
	ck_assert_int_gt(attrs_len = ASN1_item_i2d((ASN1_VALUE *)sa, &attrs,
	    ASN1_ITEM_rptr(PKCS7_ATTR_SIGN)), 0);
	sk_X509_ATTRIBUTE_free(sa);

	/* messageDigest: the plain Streebog-512 of the document. */
	idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1);
	ck_assert_int_ge(idx, 0);
	a = CMS_signed_get_attr(si, idx);
	md = X509_ATTRIBUTE_get0_data(a, 0, V_ASN1_OCTET_STRING, NULL);
	ck_assert_ptr_nonnull(md);
	ck_assert_int_eq(EVP_Digest(doc, sizeof(doc) - 1, h, &h_len, streebog512, NULL), 1);
	ck_assert_int_eq(ASN1_STRING_length(md), 64);
	ck_assert_mem_eq(ASN1_STRING_get0_data(md), h, 64);

	/* The value is the NCA's order: reversed, the engine takes it; as carried, it does not. */
	sig = CMS_SignerInfo_get0_signature(si);
	ck_assert_int_eq(ASN1_STRING_length(sig), 128);
	for (i = 0; i < 128; i++)
		rev[i] = ASN1_STRING_get0_data(sig)[127 - i];
	pub = engine_pubkey(tb_gost_key_cert(k));
	ck_assert_int_eq(engine_verifies(pub, attrs, (size_t)attrs_len, rev, 128), 1);
	ck_assert_int_eq(engine_verifies(pub, attrs, (size_t)attrs_len,
	    ASN1_STRING_get0_data(sig), 128), 0);
	attrs[attrs_len / 2] ^= 1;
	ck_assert_int_eq(engine_verifies(pub, attrs, (size_t)attrs_len, rev, 128), 0);

	EVP_PKEY_free(pub);
	OPENSSL_free(attrs);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(der);
	tb_gost_key_free(k);
}
END_TEST

START_TEST(raw_signature_is_nca_order)
{
	unsigned char dg[64], sig[128], rev[128];
	size_t sig_len = sizeof(sig), i;
	tb_gost_key *k;
	tb_error err;
	EVP_PKEY *pub;
	int r;

	ck_assert_ptr_nonnull(k = load_real("Aa123456", &r));
	for (i = 0; i < sizeof(dg); i++)
		dg[i] = (unsigned char)(i * 7 + 1);
	ck_assert_int_eq(tb_gost_key_sign(k, dg, sizeof(dg), sig, &sig_len, &err), 0);
	ck_assert_uint_eq(sig_len, 128);
	for (i = 0; i < 128; i++)
		rev[i] = sig[127 - i];
	pub = engine_pubkey(tb_gost_key_cert(k));
	{
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);

		ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
		ck_assert_int_eq(EVP_PKEY_verify(ctx, rev, 128, dg, 64), 1);
		EVP_PKEY_CTX_free(ctx);
	}
	/* A digest of the wrong size is refused, not signed. */
	sig_len = sizeof(sig);
	ck_assert_int_eq(tb_gost_key_sign(k, dg, 32, sig, &sig_len, &err), TB_ERR_INVALID_ARG);
	EVP_PKEY_free(pub);
	tb_gost_key_free(k);
}
END_TEST

START_TEST(wrong_password_refused)
{
	int r;

	ck_assert_ptr_null(load_real("Aa123457", &r));
	ck_assert_int_eq(r, TB_ERR_PIN_INCORRECT);
	ck_assert_ptr_null(load_real("", &r));
	ck_assert_int_eq(r, TB_ERR_PIN_INCORRECT);
}
END_TEST

START_TEST(rsa_container_is_not_a_gost_key)
{
	char path[1200];
	tb_gost_key *k = NULL;
	tb_error err;

	snprintf(path, sizeof(path), "%s/individual-rsa-sign.p12", p12dir);
	ck_assert_int_eq(tb_gost_key_load_p12(path, "Qwerty12", &k, &err), TB_ERR_UNSUPPORTED);
	ck_assert_ptr_null(k);
}
END_TEST

/*
 * The split path (signer: attributes and value; front: the CMS) with the
 * key's signingCertificateV2 made once: the attributes are byte for byte
 * those built without it, its certHash is the certificate's Streebog-512,
 * and the front's check still refuses attributes it would not have built.
 */
START_TEST(split_with_the_keys_ess_is_the_same_cms)
{
	unsigned char md[64], h[EVP_MAX_MD_SIZE], ch[64], sig[TB_SIG_MAX];
	unsigned char *a1 = NULL, *a2 = NULL, *ess = NULL, *der = NULL, *cder = NULL;
	size_t a1_len = 0, a2_len = 0, ess_len = 0, der_len = 0, sig_len = sizeof(sig), i;
	unsigned int h_len = 0, ch_len = 0;
	const tb_gost_sig_info *gi;
	tb_sign_request req;
	tb_gost_key *k;
	X509 *cert;
	tb_error err;
	int r, cl, found = 0;

	ck_assert_ptr_nonnull(k = load_real("Aa123456", &r));
	cert = tb_gost_key_cert(k);
	gi = tb_gost_key_info(k);
	memset(md, 0x33, sizeof(md));
	ck_assert_int_eq(tb_cms_gost_signed_attrs(cert, NULL, 0, md, sizeof(md), 1672531200,
	    &a1, &a1_len, &err), 0);
	ck_assert_int_eq(tb_cms_gost_ess_attr(cert, &ess, &ess_len, &err), 0);
	ck_assert_int_eq(tb_cms_gost_signed_attrs(cert, ess, ess_len, md, sizeof(md), 1672531200,
	    &a2, &a2_len, &err), 0);
	ck_assert_uint_eq(a1_len, a2_len);
	ck_assert_int_eq(memcmp(a1, a2, a1_len), 0);
	/* The certHash, hashed here by the engine's own Streebog. */
	ck_assert_int_gt(cl = i2d_X509(cert, &cder), 0);
	ck_assert_int_eq(EVP_Digest(cder, (size_t)cl, ch, &ch_len, streebog512, NULL), 1);
	for (i = 0; i + ch_len <= ess_len; i++)
		found |= memcmp(ess + i, ch, ch_len) == 0;
	ck_assert_int_eq(found, 1);
	/* The front's half over the signer's attributes. */
	ck_assert_int_eq(tb_gost_digest_oid(gi->hash_oid, a2, a2_len, h, &h_len, &err), 0);
	ck_assert_int_eq(tb_gost_key_sign(k, h, h_len, sig, &sig_len, &err), 0);
	memset(&req, 0, sizeof(req));
	req.detached = 1;
	req.digest = md;
	req.digest_len = sizeof(md);
	req.signing_time = 1672531200;
	ck_assert_int_eq(tb_cms_gost_assemble(cert, NULL, ess, ess_len, &req, md, sizeof(md), a2,
	    a2_len, sig, sig_len, &der, &der_len, &err), 0);
	ck_assert_uint_gt(der_len, a2_len);
	OPENSSL_free(der);
	der = NULL;
	/* Another signing time than the attributes': refused, ess or not. */
	req.signing_time = 1672531201;
	ck_assert_int_eq(tb_cms_gost_assemble(cert, NULL, ess, ess_len, &req, md, sizeof(md), a2,
	    a2_len, sig, sig_len, &der, &der_len, &err), TB_ERR_CRYPTO);
	ck_assert_ptr_null(der);
	OPENSSL_free(cder);
	OPENSSL_free(a1);
	OPENSSL_free(a2);
	OPENSSL_free(ess);
	tb_gost_key_free(k);
}
END_TEST

/*
 * A container made here with OpenSSL's PKCS#12 writer: nkeys EC keys
 * (localKeyIDs 1, 2, ...), then cert when given, password-MACed.
 */
static unsigned char *
container(int nkeys, X509 *cert, const char *pass, size_t *len)
{
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS12_SAFEBAG *bag;
	unsigned char *der = NULL, id;
	PKCS12 *p12;
	EVP_PKEY *k;
	int i, n;

	for (i = 0; i < nkeys; i++) {
		ck_assert_ptr_nonnull(k = EVP_EC_gen("P-256"));
		ck_assert_ptr_nonnull(bag = PKCS12_add_key(&bags, k, 0, 1,
		    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, pass));
		id = (unsigned char)(i + 1);
		ck_assert_int_eq(PKCS12_add_localkeyid(bag, &id, 1), 1);
		EVP_PKEY_free(k);
	}
	if (cert != NULL)
		ck_assert_ptr_nonnull(PKCS12_add_cert(&bags, cert));
	ck_assert_int_eq(PKCS12_add_safe(&safes, bags, -1, 0, pass), 1);
	ck_assert_ptr_nonnull(p12 = PKCS12_add_safes(safes, 0));
	ck_assert_int_eq(PKCS12_set_mac(p12, pass, -1, NULL, 0, 1, NULL), 1);
	ck_assert_int_gt(n = i2d_PKCS12(p12, &der), 0);
	*len = (size_t)n;
	PKCS12_free(p12);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	return der;
}

/* Containers that are not one key and its certificate: refused, each with its reason. */
START_TEST(container_not_one_key_and_its_cert_refused)
{
	static const struct { int nkeys, with_cert, code; const char *why; } cases[] = {
		{ 2, 1, TB_ERR_UNSUPPORTED, "more than one private key" },
		{ 1, 0, TB_ERR_NO_CERT, "no certificate" },
		{ 0, 1, TB_ERR_NO_KEY, "no private key" },
	};
	unsigned char *der;
	tb_gost_key *real, *k;
	size_t len, i;
	tb_error err;
	int r;

	ck_assert_ptr_nonnull(real = load_real("Aa123456", &r));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		der = container(cases[i].nkeys, cases[i].with_cert ? tb_gost_key_cert(real) : NULL,
		    "Aa123456", &len);
		k = NULL;
		tb_error_clear(&err);
		ck_assert_int_eq(tb_gost_key_load_p12_mem(der, len, "Aa123456", &k, &err),
		    cases[i].code);
		ck_assert_ptr_null(k);
		ck_assert_msg(strstr(err.detail, cases[i].why) != NULL, "case %zu: %s", i,
		    err.detail);
		OPENSSL_free(der);
	}
	tb_gost_key_free(real);
}
END_TEST

int
main(void)
{
	char vec[1024];
	Suite *s;
	TCase *tc;

	if (!gostt_find_vectors(vec, sizeof(vec))) {
		fprintf(stderr, "ERROR: NCA vectors missing: %s\n", vec);
		return 99;
	}
	if (tb_gost_engine_ready(NULL) != 0) {
		fprintf(stderr, "SKIP: no gost engine here\n");
		return 77;
	}
	s = suite_create("gost_sign");
	tc = tcase_create("nca-p12");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, real_container_signs_cms_the_engine_verifies);
	tcase_add_test(tc, raw_signature_is_nca_order);
	tcase_add_test(tc, wrong_password_refused);
	tcase_add_test(tc, rsa_container_is_not_a_gost_key);
	tcase_add_test(tc, split_with_the_keys_ess_is_the_same_cms);
	tcase_add_test(tc, container_not_one_key_and_its_cert_refused);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
