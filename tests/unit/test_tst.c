/*
 * Time-stamp tokens (libsig/tst_verify.c): tokens made by OpenSSL's own
 * TSA code (TS_RESP_create_response, what `openssl ts -reply` runs) for
 * RSA and EC TSA certificates of an in-process PKI, and the faults: wrong
 * imprint, wrong nonce, untrusted TSA, garbage, a CMS that is not a token.
 * OpenSSL's TSA refuses a certificate without the critical timeStamping
 * extended key usage, so those two tokens are signed with CMS_sign over a
 * real TSTInfo: the one fault a real TSA cannot produce. So are the tokens
 * whose ESS signingCertificate(V2) names another certificate of the same
 * key, or is missing: OpenSSL's TSA always names its own certificate.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "cms_sign.h"
#include "cms_verify.h"
#include "der_reader.h"
#include "tb_clock.h"
#include "tst_verify.h"
#include "x509_testlib.h"

#define POLICY "1.2.398.3.3.2.6.1"

static const unsigned char stamped[] = "the SignerInfo's signature value, as stored";

static EVP_PKEY *root_key, *rsa_key, *ec_key;
static X509 *root, *tsa_rsa, *tsa_ec, *tsa_noeku, *tsa_noncrit, *tsa_twin;
static tb_trust *trust;
static tb_verify_policy pol;

/* A TSA certificate under root: keyUsage digitalSignature, eku as given. */
static X509 *
tsa_cert(const char *cn, long serial, EVP_PKEY *key, const char *eku)
{
	X509 *x = tbt_cert(cn, serial, key, root, root_key, eku);

	tbt_add_ext(x, root, NID_key_usage, "critical,digitalSignature");
	tbt_add_ext(x, root, NID_authority_key_identifier, "keyid:always");
	ck_assert_int_gt(X509_sign(x, root_key, EVP_sha256()), 0);
	return x;
}

static void
setup(void)
{
	tb_error e;

	ck_assert_ptr_nonnull(root_key = EVP_RSA_gen(2048));
	ck_assert_ptr_nonnull(rsa_key = EVP_RSA_gen(2048));
	ck_assert_ptr_nonnull(ec_key = EVP_EC_gen("P-256"));
	root = tbt_cert("TSA Test Root", 1, root_key, NULL, root_key, NULL);
	tbt_add_ext(root, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	tbt_add_ext(root, NULL, NID_subject_key_identifier, "hash");
	ck_assert_int_gt(X509_sign(root, root_key, EVP_sha256()), 0);
	tsa_rsa = tsa_cert("TSA RSA", 2, rsa_key, "critical,timeStamping");
	tsa_ec = tsa_cert("TSA EC", 3, ec_key, "critical,timeStamping");
	tsa_noeku = tsa_cert("TSA without EKU", 4, rsa_key, NULL);
	tsa_noncrit = tsa_cert("TSA non-critical EKU", 5, rsa_key, "timeStamping");
	/* tsa_rsa's key under another name and serial. */
	tsa_twin = tsa_cert("TSA RSA twin", 6, rsa_key, "critical,timeStamping");
	ck_assert_ptr_nonnull(trust = tb_trust_new());
	ck_assert_int_eq(tb_trust_add_anchor(trust, root, &e), 0);
	tb_verify_policy_default(&pol);
	pol.check_iin_checksum = 0;
}

static void
teardown(void)
{
	tb_trust_free(trust);
	X509_free(root);
	X509_free(tsa_rsa);
	X509_free(tsa_ec);
	X509_free(tsa_noeku);
	X509_free(tsa_noncrit);
	X509_free(tsa_twin);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
}

/* The DER of an RFC 3161 request for SHA-256 of data with nonce (0: none). */
static BIO *
request(const unsigned char *data, size_t len, long nonce)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	unsigned char md[32];
	BIO *b = BIO_new(BIO_s_mem());

	ck_assert(req && mi && alg && n && b);
	SHA256(data, len, md);
	X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
	TS_MSG_IMPRINT_set_algo(mi, alg);
	TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md));
	TS_REQ_set_version(req, 1);
	TS_REQ_set_msg_imprint(req, mi);
	TS_REQ_set_cert_req(req, 1);
	if (nonce != 0) {
		ASN1_INTEGER_set(n, nonce);
		TS_REQ_set_nonce(req, n);
	}
	ck_assert_int_eq(i2d_TS_REQ_bio(b, req), 1);
	TS_REQ_free(req);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(n);
	return b;
}

/* A token from OpenSSL's TSA signing with cert and key, over data; ESSCertIDv2 by ess_md (NULL: v1, SHA-1). */
static unsigned char *
token_ess(X509 *cert, EVP_PKEY *key, const unsigned char *data, size_t len, long nonce,
    const EVP_MD *ess_md, int *tok_len)
{
	TS_RESP_CTX *ctx = TS_RESP_CTX_new();
	BIO *req = request(data, len, nonce);
	ASN1_OBJECT *policy = OBJ_txt2obj(POLICY, 1);
	TS_RESP *resp;
	unsigned char *der = NULL;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_cert(ctx, cert), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_key(ctx, key), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_def_policy(ctx, policy), 1);
	ck_assert_int_eq(TS_RESP_CTX_add_md(ctx, EVP_sha256()), 1);
	ck_assert_int_eq(TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()), 1);
	if (ess_md != NULL)
		ck_assert_int_eq(TS_RESP_CTX_set_ess_cert_id_digest(ctx, ess_md), 1);
	ck_assert_ptr_nonnull(resp = TS_RESP_create_response(ctx, req));
	ck_assert_int_eq(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(
	    TS_RESP_get_status_info(resp))), TS_STATUS_GRANTED);
	ck_assert_int_gt(*tok_len = i2d_PKCS7(TS_RESP_get_token(resp), &der), 0);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(ctx);
	ASN1_OBJECT_free(policy);
	BIO_free(req);
	return der;
}

static unsigned char *
token(X509 *cert, EVP_PKEY *key, const unsigned char *data, size_t len, long nonce,
    int *tok_len)
{
	return token_ess(cert, key, data, len, nonce, NULL, tok_len);
}

/* What resigned_ess puts into the signed attributes. */
enum ess_kind { ESS_OWN, ESS_NONE, ESS_V2_OTHER, ESS_V1_OTHER };

/*
 * The TSTInfo of a real token re-signed by cert (a certificate OpenSSL's
 * TSA refuses), its ESS attribute as kind says: naming cert (CMS_CADES),
 * none, or a signingCertificateV2 / signingCertificate naming tsa_twin.
 */
static unsigned char *
resigned_ess(X509 *cert, EVP_PKEY *key, enum ess_kind kind, int *tok_len)
{
	int len, ess_len = 0;
	unsigned char *good = token(tsa_rsa, rsa_key, stamped, sizeof(stamped), 0, &len), *der = NULL;
	unsigned char *ess = NULL;
	const unsigned char *p = good;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len), *out;
	ASN1_OCTET_STRING **pos = CMS_get0_content(cms);
	BIO *in = BIO_new_mem_buf(ASN1_STRING_get0_data(*pos), ASN1_STRING_length(*pos));
	CMS_SignerInfo *si;
	ESS_SIGNING_CERT_V2 *v2;
	ESS_SIGNING_CERT *v1;

	ck_assert_ptr_nonnull(out = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL));
	ck_assert_ptr_nonnull(si = CMS_add1_signer(out, cert, key, EVP_sha256(),
	    kind == ESS_OWN ? CMS_CADES : 0));
	if (kind == ESS_V2_OTHER) {
		ck_assert_ptr_nonnull(v2 = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(),
		    tsa_twin, NULL, 1));
		ck_assert_int_gt(ess_len = i2d_ESS_SIGNING_CERT_V2(v2, &ess), 0);
		ck_assert_int_eq(CMS_signed_add1_attr_by_NID(si,
		    NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE, ess, ess_len), 1);
		ESS_SIGNING_CERT_V2_free(v2);
	} else if (kind == ESS_V1_OTHER) {
		ck_assert_ptr_nonnull(v1 = OSSL_ESS_signing_cert_new_init(tsa_twin, NULL, 1));
		ck_assert_int_gt(ess_len = i2d_ESS_SIGNING_CERT(v1, &ess), 0);
		ck_assert_int_eq(CMS_signed_add1_attr_by_NID(si,
		    NID_id_smime_aa_signingCertificate, V_ASN1_SEQUENCE, ess, ess_len), 1);
		ESS_SIGNING_CERT_free(v1);
	}
	ck_assert_int_eq(CMS_set1_eContentType(out, OBJ_nid2obj(NID_id_smime_ct_TSTInfo)), 1);
	ck_assert_int_eq(CMS_final(out, in, NULL, CMS_BINARY), 1);
	ck_assert_int_gt(*tok_len = i2d_CMS_ContentInfo(out, &der), 0);
	OPENSSL_free(ess);
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	CMS_ContentInfo_free(out);
	OPENSSL_free(good);
	return der;
}

static unsigned char *
resigned(X509 *cert, EVP_PKEY *key, int *tok_len)
{
	return resigned_ess(cert, key, ESS_OWN, tok_len);
}

static tb_tst_info
check(const unsigned char *tok, int len, const unsigned char *data, size_t data_len,
    long nonce)
{
	tb_tst_info info;
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	tb_error e;

	ASN1_INTEGER_set(n, nonce);
	ck_assert_int_eq(tb_tst_verify(trust, &pol, NULL, tok, (size_t)len, data, data_len,
	    nonce != 0 ? n : NULL, &info, &e), 0);
	ASN1_INTEGER_free(n);
	return info;
}

#define REFUSED(info, v, text) do { \
	ck_assert_msg((info).verdict == (v), "verdict %s, want %s: %s", \
	    tb_verdict_code((info).verdict), tb_verdict_code(v), (info).reason); \
	ck_assert_msg(strstr((info).reason, (text)) != NULL, "reason \"%s\" lacks \"%s\"", \
	    (info).reason, (text)); } while (0)

static void
valid_token(X509 *cert, EVP_PKEY *key, const char *cn)
{
	int len;
	unsigned char *tok = token(cert, key, stamped, sizeof(stamped), 0x5eed, &len);
	tb_tst_info info = check(tok, len, stamped, sizeof(stamped), 0x5eed);
	time_t now = time(NULL);

	ck_assert_msg(info.verdict == TB_V_VALID, "%s", info.reason);
	ck_assert_str_eq(info.reason, "");
	ck_assert_str_eq(info.policy, POLICY);
	ck_assert_str_eq(info.hash, "SHA256");
	ck_assert_str_eq(info.serial, "01");
	ck_assert_ptr_nonnull(strstr(info.tsa, cn));
	ck_assert(info.gen_time > now - 300 && info.gen_time <= now + 5);
	/* No revocation source given: said, not passed off as good. */
	ck_assert_int_eq(info.tsa_rev.status, TB_REV_NOT_CHECKED);
	ck_assert_ptr_nonnull(strstr(info.tsa_rev.detail, "no revocation source"));
	OPENSSL_free(tok);
}

START_TEST(rsa_token_valid)
{
	valid_token(tsa_rsa, rsa_key, "CN=TSA RSA");
}
END_TEST

START_TEST(ec_token_valid)
{
	valid_token(tsa_ec, ec_key, "CN=TSA EC");
}
END_TEST

START_TEST(token_for_other_data_refused)
{
	int len;
	unsigned char *tok = token(tsa_rsa, rsa_key, stamped, sizeof(stamped), 0, &len);
	static const unsigned char other[] = "another signature value";
	tb_tst_info info = check(tok, len, other, sizeof(other), 0);

	REFUSED(info, TB_V_DIGEST_MISMATCH, "message imprint differs");
	OPENSSL_free(tok);
}
END_TEST

START_TEST(wrong_nonce_refused)
{
	int len;
	unsigned char *tok = token(tsa_ec, ec_key, stamped, sizeof(stamped), 41, &len);
	tb_tst_info info = check(tok, len, stamped, sizeof(stamped), 42);

	REFUSED(info, TB_V_MALFORMED, "nonce");
	OPENSSL_free(tok);
	/* No nonce in the token at all, when one was sent. */
	tok = token(tsa_ec, ec_key, stamped, sizeof(stamped), 0, &len);
	info = check(tok, len, stamped, sizeof(stamped), 42);
	REFUSED(info, TB_V_MALFORMED, "nonce");
	OPENSSL_free(tok);
}
END_TEST

START_TEST(untrusted_tsa_refused)
{
	int len;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *other = tbt_cert("Other Root", 9, k, NULL, k, NULL);
	unsigned char *tok = token(tsa_rsa, rsa_key, stamped, sizeof(stamped), 0, &len);
	tb_trust *saved = trust;
	tb_tst_info info;
	tb_error e;

	ck_assert_ptr_nonnull(trust = tb_trust_new());
	ck_assert_int_eq(tb_trust_add_anchor(trust, other, &e), 0);
	info = check(tok, len, stamped, sizeof(stamped), 0);
	REFUSED(info, TB_V_CHAIN_UNTRUSTED, "TSA");
	ck_assert_str_eq(info.policy, POLICY);
	tb_trust_free(trust);
	trust = saved;
	X509_free(other);
	EVP_PKEY_free(k);
	OPENSSL_free(tok);
}
END_TEST

START_TEST(tsa_without_eku_refused)
{
	int len;
	unsigned char *tok = resigned(tsa_noeku, rsa_key, &len);
	tb_tst_info info = check(tok, len, stamped, sizeof(stamped), 0);

	REFUSED(info, TB_V_KEY_USAGE_INVALID, "no extendedKeyUsage");
	OPENSSL_free(tok);
	/* The same TSTInfo under the good certificate passes: only the EKU differs. */
	tok = resigned(tsa_rsa, rsa_key, &len);
	info = check(tok, len, stamped, sizeof(stamped), 0);
	ck_assert_msg(info.verdict == TB_V_VALID, "%s", info.reason);
	OPENSSL_free(tok);
}
END_TEST

START_TEST(tsa_eku_not_critical_refused)
{
	int len;
	unsigned char *tok = resigned(tsa_noncrit, rsa_key, &len);
	tb_tst_info info = check(tok, len, stamped, sizeof(stamped), 0);

	REFUSED(info, TB_V_KEY_USAGE_INVALID, "not critical");
	OPENSSL_free(tok);
}
END_TEST

START_TEST(ess_naming_another_certificate_refused)
{
	int len;
	unsigned char *tok = resigned_ess(tsa_rsa, rsa_key, ESS_V2_OTHER, &len);
	tb_tst_info info = check(tok, len, stamped, sizeof(stamped), 0);

	/* Same key, same TSTInfo, good signature: only the ESS binding is wrong. */
	REFUSED(info, TB_V_SIGNATURE_INVALID,
	    "ESS signingCertificateV2 names another certificate than the TSA's");
	OPENSSL_free(tok);
	tok = resigned_ess(tsa_rsa, rsa_key, ESS_V1_OTHER, &len);
	info = check(tok, len, stamped, sizeof(stamped), 0);
	REFUSED(info, TB_V_SIGNATURE_INVALID,
	    "ESS signingCertificate names another certificate than the TSA's");
	OPENSSL_free(tok);
	/* The twin itself, named by its own ESS id, is a good TSA. */
	tok = resigned_ess(tsa_twin, rsa_key, ESS_OWN, &len);
	info = check(tok, len, stamped, sizeof(stamped), 0);
	ck_assert_msg(info.verdict == TB_V_VALID, "%s", info.reason);
	ck_assert_ptr_nonnull(strstr(info.tsa, "CN=TSA RSA twin"));
	OPENSSL_free(tok);
}
END_TEST

START_TEST(ess_missing_refused)
{
	int len;
	unsigned char *tok = resigned_ess(tsa_rsa, rsa_key, ESS_NONE, &len);
	tb_tst_info info = check(tok, len, stamped, sizeof(stamped), 0);

	REFUSED(info, TB_V_MALFORMED, "no ESS signingCertificate or signingCertificateV2");
	OPENSSL_free(tok);
}
END_TEST

/* OpenSSL's TSA with ESSCertIDv2 over SHA-512: the hashAlgorithm is read, not assumed. */
START_TEST(ess_v2_sha512_valid)
{
	int len;
	unsigned char *der = token_ess(tsa_ec, ec_key, stamped, sizeof(stamped), 0, EVP_sha512(),
	    &len);
	tb_tst_info info = check(der, len, stamped, sizeof(stamped), 0);

	ck_assert_msg(info.verdict == TB_V_VALID, "%s", info.reason);
	OPENSSL_free(der);
}
END_TEST

START_TEST(garbage_refused)
{
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	int len;
	unsigned char *tok = token(tsa_rsa, rsa_key, stamped, sizeof(stamped), 0, &len);
	tb_tst_info info = check(junk, sizeof(junk), stamped, sizeof(stamped), 0);

	REFUSED(info, TB_V_MALFORMED, "not a DER CMS");
	info = check(tok, len - 1, stamped, sizeof(stamped), 0);
	REFUSED(info, TB_V_MALFORMED, "not a DER CMS");
	/* A byte of the TSTInfo changed: its signature no longer covers it. */
	tok[len / 3] ^= 0x01;
	info = check(tok, len, stamped, sizeof(stamped), 0);
	ck_assert_msg(info.verdict != TB_V_VALID, "a changed token passed");
	OPENSSL_free(tok);
}
END_TEST

START_TEST(token_from_the_future_refused)
{
	int len;
	unsigned char *tok = token(tsa_rsa, rsa_key, stamped, sizeof(stamped), 0, &len);
	tb_tst_info info;

	/* Judged an hour before the TSA made it. */
	tb_clock_set(time(NULL) - 3600);
	info = check(tok, len, stamped, sizeof(stamped), 0);
	tb_clock_set(0);
	REFUSED(info, TB_V_MALFORMED, "in the future");
	OPENSSL_free(tok);
}
END_TEST

START_TEST(cms_of_other_content_refused)
{
	BIO *in = BIO_new_mem_buf(stamped, sizeof(stamped));
	CMS_ContentInfo *cms = CMS_sign(tsa_rsa, rsa_key, NULL, in, CMS_BINARY);
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);
	tb_tst_info info = check(der, len, stamped, sizeof(stamped), 0);

	REFUSED(info, TB_V_MALFORMED, "does not hold a TSTInfo");
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
}
END_TEST

/* ---- CAdES-T: tokens in signatures, read by tb_verify_cms ---- */

/* tok (DER) with a garbage signatureTimeStampToken on its own signer; OPENSSL_malloc'd. */
static unsigned char *
stamp_on_the_stamp(const unsigned char *tok, int tok_len, int *len)
{
	const unsigned char *p = tok;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, tok_len);
	unsigned char *der = NULL;

	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(CMS_unsigned_add1_attr_by_NID(sk_CMS_SignerInfo_value(
	    CMS_get0_SignerInfos(cms), 0), NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
	    "\x30\x00", 2), 1);
	ck_assert_int_gt(*len = i2d_CMS_ContentInfo(cms, &der), 0);
	CMS_ContentInfo_free(cms);
	return der;
}

/*
 * A CAdES-BES of stamped by a signer under root; stamp 1: a token over
 * over (NULL: the signature value) added as its signatureTimeStampToken,
 * 2: a garbage one, 3: a token that carries a garbage token of its own.
 */
static unsigned char *
cades(X509 *signer, EVP_PKEY *key, int stamp, const unsigned char *over, size_t over_len,
    int *len)
{
	BIO *in = BIO_new_mem_buf(stamped, sizeof(stamped));
	CMS_ContentInfo *cms = CMS_sign(signer, key, NULL, in, CMS_BINARY);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	unsigned char *tok, *der = NULL;
	int tok_len;

	ck_assert_ptr_nonnull(cms);
	if (stamp == 1 || stamp == 3) {
		/* The token is over the signature value exactly as stored (or over other bytes). */
		tok = token(tsa_rsa, rsa_key, over != NULL ? over : ASN1_STRING_get0_data(sig),
		    over != NULL ? over_len : (size_t)ASN1_STRING_length(sig), 0, &tok_len);
		if (stamp == 3) {
			unsigned char *t2 = stamp_on_the_stamp(tok, tok_len, &tok_len);

			OPENSSL_free(tok);
			tok = t2;
		}
		ck_assert_int_eq(CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
		    V_ASN1_SEQUENCE, tok, tok_len), 1);
		OPENSSL_free(tok);
	} else if (stamp == 2) {
		ck_assert_int_eq(CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
		    V_ASN1_SEQUENCE, "\x30\x00", 2), 1);
	}
	ck_assert_int_gt(*len = i2d_CMS_ContentInfo(cms, &der), 0);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return der;
}

static X509 *signer_cert;
static EVP_PKEY *signer_key;

static void
setup_signer(void)
{
	setup();
	ck_assert_ptr_nonnull(signer_key = EVP_EC_gen("P-256"));
	signer_cert = tbt_cert("Signer", 20, signer_key, root, root_key, NULL);
	tbt_add_ext(signer_cert, root, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	tbt_add_ext(signer_cert, root, NID_authority_key_identifier, "keyid:always");
	ck_assert_int_gt(X509_sign(signer_cert, root_key, EVP_sha256()), 0);
}

static void
teardown_signer(void)
{
	X509_free(signer_cert);
	EVP_PKEY_free(signer_key);
	tb_clock_set(0);
	teardown();
}

static tb_verify_result *
verify(const unsigned char *cms, int len, enum tb_time_choice t)
{
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_error e;

	memset(&req, 0, sizeof(req));
	req.input = cms;
	req.input_len = (size_t)len;
	req.time = t;
	ck_assert_int_eq(tb_verify_cms(trust, &pol, NULL, &req, &res, &e), 0);
	return res;
}

START_TEST(cades_t_valid_and_reported)
{
	int len;
	unsigned char *cms = cades(signer_cert, signer_key, 1, NULL, 0, &len);
	tb_verify_result *res = verify(cms, len, TB_TIME_NOW);
	json_t *j, *ts;

	ck_assert_msg(res->verdict == TB_V_VALID, "%s", res->reasons.n ?
	    res->reasons.v[0].detail : "");
	ck_assert_ptr_nonnull(res->signers[0].tst);
	ck_assert_int_eq(res->signers[0].tst->verdict, TB_V_VALID);
	ck_assert_ptr_nonnull(j = tb_verify_result_to_json(res, "en"));
	ck_assert_ptr_nonnull(ts = json_object_get(json_object_get(j, "signer"), "timestamp"));
	ck_assert_str_eq(json_string_value(json_object_get(ts, "verdict")), "VALID");
	ck_assert_str_eq(json_string_value(json_object_get(ts, "policy")), POLICY);
	ck_assert_str_eq(json_string_value(json_object_get(ts, "hash")), "SHA256");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(ts, "tsa")), "TSA RSA"));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(ts, "time")));
	json_decref(j);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
	/* Without a token: null, and nothing refused. */
	cms = cades(signer_cert, signer_key, 0, NULL, 0, &len);
	res = verify(cms, len, TB_TIME_NOW);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	ck_assert_ptr_null(res->signers[0].tst);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
}
END_TEST

START_TEST(cades_t_token_for_other_signature_refused)
{
	static const unsigned char other[] = "the signature value of another document";
	int len;
	unsigned char *cms = cades(signer_cert, signer_key, 1, other, sizeof(other), &len);
	tb_verify_result *res = verify(cms, len, TB_TIME_NOW);

	ck_assert_int_eq(res->verdict, TB_V_DIGEST_MISMATCH);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "DIGEST_MISMATCH.timestamp");
	ck_assert_int_eq(res->signers[0].tst->verdict, TB_V_DIGEST_MISMATCH);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
}
END_TEST

START_TEST(cades_t_garbage_token_refused)
{
	int len;
	unsigned char *cms = cades(signer_cert, signer_key, 2, NULL, 0, &len);
	tb_verify_result *res = verify(cms, len, TB_TIME_NOW);

	ck_assert_int_eq(res->verdict, TB_V_MALFORMED);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "MALFORMED.timestamp");
	tb_verify_result_free(res);
	OPENSSL_free(cms);
}
END_TEST

START_TEST(cades_t_judged_at_the_stamp)
{
	int len;
	unsigned char *cms = cades(signer_cert, signer_key, 1, NULL, 0, &len);
	tb_verify_result *res;
	json_t *j;

	/* Sixty days on, the signer's certificate (thirty days) has expired. */
	tb_clock_set(time(NULL) + 60 * 86400);
	res = verify(cms, len, TB_TIME_NOW);
	ck_assert_int_eq(res->verdict, TB_V_CERT_EXPIRED);
	tb_verify_result_free(res);
	res = verify(cms, len, TB_TIME_TIMESTAMP);
	ck_assert_msg(res->verdict == TB_V_VALID, "%s", res->reasons.n ?
	    res->reasons.v[0].detail : "");
	ck_assert_int_eq(res->eval_at_timestamp, 1);
	ck_assert_int_eq(res->eval_time, res->signers[0].tst->gen_time);
	ck_assert_ptr_nonnull(j = tb_verify_result_to_json(res, "en"));
	ck_assert_str_eq(json_string_value(json_object_get(j, "time_source")), "timestamp");
	json_decref(j);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
	/* No token: time "timestamp" judges now, and the expiry stands. */
	cms = cades(signer_cert, signer_key, 0, NULL, 0, &len);
	res = verify(cms, len, TB_TIME_TIMESTAMP);
	ck_assert_int_eq(res->verdict, TB_V_CERT_EXPIRED);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
}
END_TEST

/* The software key behind a tb_signer for the counter-signature below. */
static int
key_sign(void *ctx, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)ctx, NULL);
	int ok = pc != NULL && EVP_PKEY_sign_init(pc) > 0 &&
	    EVP_PKEY_sign(pc, sig, sig_len, digest, digest_len) > 0;

	(void)md_nid;
	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : tb_error_set(err, TB_ERR_CRYPTO, "sign");
}

/*
 * The stamp covers the signature it stamps, not a counter-signature added
 * after it: one made with a certificate expired by then is not VALID at
 * the stamp's time.
 */
START_TEST(countersignature_after_the_stamp_judged_now)
{
	int len;
	unsigned char *cms = cades(signer_cert, signer_key, 1, NULL, 0, &len), *d2 = NULL;
	size_t l2 = 0;
	tb_signer sg = { key_sign, NULL };
	tb_sign_request req;
	tb_verify_result *res;
	tb_error err;
	time_t later = time(NULL) + 60 * 86400;

	sg.ctx = signer_key;
	memset(&req, 0, sizeof(req));
	tb_error_clear(&err);
	tb_clock_set(later);
	req.signing_time = later;
	ck_assert_msg(tb_cms_countersign(cms, (size_t)len, 0, signer_cert, NULL, &sg, &req,
	    &d2, &l2, &err) == 0, "countersign: %s", err.detail);
	res = verify(d2, (int)l2, TB_TIME_TIMESTAMP);
	ck_assert_int_ne(res->verdict, TB_V_VALID);
	ck_assert_int_eq(res->verdict, TB_V_CERT_EXPIRED);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
	OPENSSL_free(d2);
}
END_TEST

/* Verifies cms now; the signature checks its budget counted, the verdict in *v. */
static unsigned
sig_checks_spent(const unsigned char *cms, int len, enum tb_verdict *v)
{
	tb_verify_result *res = verify(cms, len, TB_TIME_NOW);
	unsigned n = res->budget.sig_checks;

	*v = res->verdict;
	tb_verify_result_free(res);
	return n;
}

/*
 * A counter-signer's path and a time-stamp TSA's path are paid from the
 * signature's one budget: a budget the signer alone fits in cuts them
 * off, and the answer is a refusal, never VALID.
 */
START_TEST(countersignatures_and_stamps_spend_one_budget)
{
	int len, slen;
	unsigned char *plain = cades(signer_cert, signer_key, 0, NULL, 0, &len);
	unsigned char *st = cades(signer_cert, signer_key, 1, NULL, 0, &slen);
	unsigned char *d2 = NULL, *d3 = NULL;
	size_t l2 = 0, l3 = 0;
	tb_signer sg = { key_sign, NULL };
	tb_sign_request req;
	tb_error err;
	enum tb_verdict v;
	unsigned base, n;

	sg.ctx = signer_key;
	memset(&req, 0, sizeof(req));
	tb_error_clear(&err);
	req.signing_time = time(NULL);
	ck_assert_msg(tb_cms_countersign(plain, (size_t)len, 0, signer_cert, NULL, &sg, &req,
	    &d2, &l2, &err) == 0, "countersign: %s", err.detail);
	ck_assert_msg(tb_cms_countersign(d2, l2, 0, signer_cert, NULL, &sg, &req, &d3, &l3,
	    &err) == 0, "countersign again: %s", err.detail);

	base = sig_checks_spent(plain, len, &v);
	ck_assert_int_eq(v, TB_V_VALID);
	ck_assert_uint_gt(base, 0);
	n = sig_checks_spent(d3, (int)l3, &v);
	ck_assert_int_eq(v, TB_V_VALID);
	ck_assert_uint_ge(n, 3 * base);
	n = sig_checks_spent(st, slen, &v);
	ck_assert_int_eq(v, TB_V_VALID);
	ck_assert_uint_gt(n, base);

	pol.budget.max_sig_checks = base;
	sig_checks_spent(plain, len, &v);
	ck_assert_int_eq(v, TB_V_VALID);
	sig_checks_spent(d3, (int)l3, &v);
	ck_assert_int_eq(v, TB_V_CHAIN_UNTRUSTED);
	sig_checks_spent(st, slen, &v);
	ck_assert_int_eq(v, TB_V_CHAIN_UNTRUSTED);
	OPENSSL_free(plain);
	OPENSSL_free(st);
	OPENSSL_free(d2);
	OPENSSL_free(d3);
}
END_TEST

/*
 * A token's own unsigned attributes are not covered by anything the
 * signature is judged by: a token on the token is not followed (tokens in
 * tokens would otherwise nest as deep as the input allows).
 */
START_TEST(stamp_on_a_stamp_not_followed)
{
	int len;
	unsigned char *cms = cades(signer_cert, signer_key, 3, NULL, 0, &len);
	tb_verify_result *res = verify(cms, len, TB_TIME_NOW);

	ck_assert_msg(res->verdict == TB_V_VALID, "%s", res->reasons.n ?
	    res->reasons.v[0].detail : "");
	ck_assert_int_eq(res->signers[0].tst->verdict, TB_V_VALID);
	tb_verify_result_free(res);
	OPENSSL_free(cms);
}
END_TEST

/*
 * cms (DER) with a counter-signature on its signer by signer_cert made by
 * OpenSSL's CMS code with hash md: messageDigest over the signature value,
 * signingTime, no contentType. tanba's own signer refuses SHA-1, so this
 * is the one way to have the fault. OPENSSL_malloc'd.
 */
static unsigned char *
countersigned_with(const unsigned char *cms_der, int len, const EVP_MD *md, int *out_len)
{
	const unsigned char *p = cms_der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, len), *dummy;
	CMS_SignerInfo *si, *csi;
	ASN1_OCTET_STRING *sig;
	unsigned char h[EVP_MAX_MD_SIZE], *dd = NULL, *der = NULL;
	unsigned char s[256], *attrs = NULL;
	unsigned int h_len = 0;
	size_t s_len = sizeof(s);
	int dlen, present, attrs_len = 0;
	EVP_MD_CTX *mctx;
	tb_der d, x, sd, sis, one;

	ck_assert_ptr_nonnull(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	sig = CMS_SignerInfo_get0_signature(si);
	ck_assert(EVP_Digest(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), h,
	    &h_len, md, NULL));
	ck_assert_ptr_nonnull(dummy = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY));
	ck_assert_ptr_nonnull(csi = CMS_add1_signer(dummy, signer_cert, signer_key, md,
	    CMS_PARTIAL | CMS_NOSMIMECAP));
	ck_assert_int_eq(CMS_signed_add1_attr_by_NID(csi, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, h, (int)h_len), 1);
	/* Signed here: CMS_SignerInfo_sign insists on a contentType. */
	ck_assert_int_eq(tb_cms_signed_attrs_der(csi, &attrs, &attrs_len), 0);
	ck_assert_ptr_nonnull(mctx = EVP_MD_CTX_new());
	ck_assert_int_eq(EVP_DigestSignInit(mctx, NULL, md, NULL, signer_key), 1);
	ck_assert_int_eq(EVP_DigestSign(mctx, s, &s_len, attrs, (size_t)attrs_len), 1);
	ck_assert_int_eq(ASN1_STRING_set(CMS_SignerInfo_get0_signature(csi), s, (int)s_len), 1);
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(attrs);
	ck_assert_int_gt(dlen = i2d_CMS_ContentInfo(dummy, &dd), 0);
	/* ContentInfo { oid, [0] SignedData { ..., signerInfos SET { SignerInfo } } } */
	tb_der_init(&d, dd, (size_t)dlen);
	ck_assert_int_eq(tb_der_expect(&d, TB_DER_SEQUENCE, &x, NULL), 0);
	ck_assert_int_eq(tb_der_skip(&x), 0);
	ck_assert_int_eq(tb_der_expect(&x, TB_DER_CTX_CONS(0), &sd, NULL), 0);
	ck_assert_int_eq(tb_der_expect(&sd, TB_DER_SEQUENCE, &x, NULL), 0);
	ck_assert_int_eq(tb_der_skip(&x), 0);		/* version */
	ck_assert_int_eq(tb_der_skip(&x), 0);		/* digestAlgorithms */
	ck_assert_int_eq(tb_der_skip(&x), 0);		/* encapContentInfo */
	ck_assert_int_eq(tb_der_optional(&x, TB_DER_CTX_CONS(0), NULL, NULL, &present), 0);
	ck_assert_int_eq(tb_der_expect(&x, TB_DER_SET, &sis, NULL), 0);
	ck_assert_int_eq(tb_der_expect(&sis, TB_DER_SEQUENCE, NULL, &one), 0);
	ck_assert_int_eq(CMS_unsigned_add1_attr_by_NID(si, NID_pkcs9_countersignature,
	    V_ASN1_SEQUENCE, one.p, (int)one.len), 1);
	ck_assert_int_gt(*out_len = i2d_CMS_ContentInfo(cms, &der), 0);
	OPENSSL_free(dd);
	CMS_ContentInfo_free(dummy);
	CMS_ContentInfo_free(cms);
	return der;
}

/* A counter-signature meets the signer's digest rule: SHA-1 only when allowed. */
START_TEST(countersignature_digest_refused_by_policy)
{
	int len, l1, l2;
	unsigned char *cms = cades(signer_cert, signer_key, 0, NULL, 0, &len);
	unsigned char *c256 = countersigned_with(cms, len, EVP_sha256(), &l1);
	unsigned char *c1 = countersigned_with(cms, len, EVP_sha1(), &l2);
	tb_verify_result *res;

	res = verify(c256, l1, TB_TIME_NOW);
	ck_assert_msg(res->verdict == TB_V_VALID, "%s", res->reasons.n ?
	    res->reasons.v[0].detail : "");
	tb_verify_result_free(res);
	res = verify(c1, l2, TB_TIME_NOW);
	ck_assert_int_eq(res->verdict, TB_V_UNSUPPORTED_ALGORITHM);
	ck_assert_ptr_nonnull(strstr(res->reasons.v[0].detail, "counter-signature"));
	tb_verify_result_free(res);
	pol.allow_sha1 = 1;
	res = verify(c1, l2, TB_TIME_NOW);
	ck_assert_msg(res->verdict == TB_V_VALID, "%s", res->reasons.n ?
	    res->reasons.v[0].detail : "");
	tb_verify_result_free(res);
	OPENSSL_free(cms);
	OPENSSL_free(c256);
	OPENSSL_free(c1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tst");
	TCase *tc = tcase_create("verify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rsa_token_valid);
	tcase_add_test(tc, ec_token_valid);
	tcase_add_test(tc, token_for_other_data_refused);
	tcase_add_test(tc, wrong_nonce_refused);
	tcase_add_test(tc, untrusted_tsa_refused);
	tcase_add_test(tc, tsa_without_eku_refused);
	tcase_add_test(tc, tsa_eku_not_critical_refused);
	tcase_add_test(tc, garbage_refused);
	tcase_add_test(tc, ess_naming_another_certificate_refused);
	tcase_add_test(tc, ess_missing_refused);
	tcase_add_test(tc, ess_v2_sha512_valid);
	tcase_add_test(tc, cms_of_other_content_refused);
	tcase_add_test(tc, token_from_the_future_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("cades-t");
	tcase_add_checked_fixture(tc, setup_signer, teardown_signer);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cades_t_valid_and_reported);
	tcase_add_test(tc, cades_t_token_for_other_signature_refused);
	tcase_add_test(tc, cades_t_garbage_token_refused);
	tcase_add_test(tc, cades_t_judged_at_the_stamp);
	tcase_add_test(tc, countersignature_after_the_stamp_judged_now);
	tcase_add_test(tc, countersignatures_and_stamps_spend_one_budget);
	tcase_add_test(tc, stamp_on_a_stamp_not_followed);
	tcase_add_test(tc, countersignature_digest_refused_by_policy);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
