/*
 * Unit tests for libsig/cms_sign.c: CAdES-BES output checked by three
 * independent verifiers (OpenSSL CMS_verify, the openssl CLI, GnuTLS
 * certtool) and attribute by attribute. The software signer here stands in
 * for a token and never lends its key to libsig.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "cms_sign.h"
#include "der_writer.h"

/* 2024-05-01T10:20:30Z: a fixed signing time, inside every test certificate. */
#define T_SIGN ((time_t)1714558830)

enum { KEY_RSA, KEY_EC, KEY_COUNT };

static EVP_PKEY *ca_key;
static X509 *ca_cert;
static EVP_PKEY *keys[KEY_COUNT];
static X509 *certs[KEY_COUNT];
static char tmpdir[256];
static char ca_path[300];

/* ---- the software signer: the same output form a PKCS#11 token gives ---- */

enum signer_mode { SIGN_OK, SIGN_FAIL, SIGN_GARBAGE, SIGN_OVERLONG };

struct soft_signer {
	EVP_PKEY *key;
	enum signer_mode mode;
	int calls;
	int last_md_nid;
	size_t last_digest_len;
};

static int
soft_sign_digest(void *ctx, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	struct soft_signer *s = ctx;
	EVP_PKEY_CTX *pctx = NULL;
	size_t len;
	int r = TB_ERR_CRYPTO;

	s->calls++;
	s->last_md_nid = md_nid;
	s->last_digest_len = digest_len;
	if (s->mode == SIGN_FAIL)
		return tb_error_set(err, TB_ERR_TOKEN_GONE, "token removed during C_Sign");
	if (s->mode == SIGN_GARBAGE) {
		len = (size_t)EVP_PKEY_get_size(s->key);
		if (len > *sig_len || RAND_bytes(sig, (int)len) != 1)
			return tb_error_set(err, TB_ERR_INTERNAL, "garbage");
		*sig_len = len;
		return 0;
	}
	if (s->mode == SIGN_OVERLONG) {
		*sig_len += 1;
		return 0;
	}
	if ((pctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(pctx) <= 0)
		goto out;
	/* CKM_RSA_PKCS over a DigestInfo: PKCS#1 v1.5 with the md named. */
	if (EVP_PKEY_is_a(s->key, "RSA") &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_PKEY_CTX_set_signature_md(pctx, EVP_get_digestbynid(md_nid)) <= 0)
		goto out;
	len = *sig_len;
	if (EVP_PKEY_sign(pctx, sig, &len, digest, digest_len) <= 0)
		goto out;
	*sig_len = len;
	r = 0;
out:
	if (r != 0)
		tb_error_set_ossl(err, r, "soft signer failed");
	EVP_PKEY_CTX_free(pctx);
	return r;
}

/* ---- fixtures: a test CA, an RSA-2048 and an EC P-256 signer ---- */

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Fixtures are also made outside a test, where ck_assert cannot report. */
#define REQUIRE(x) do { \
		if (!(x)) { \
			fprintf(stderr, "%s:%d: fixture failed: %s\n", __FILE__, __LINE__, #x); \
			ERR_print_errors_fp(stderr); \
			abort(); \
		} \
	} while (0)

/* Validity 2000..2099 so that no test depends on today's date. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();

	REQUIRE(c);
	REQUIRE(name);
	REQUIRE(X509_set_version(c, 2));
	REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(c), serial));
	REQUIRE(X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8,
	    (const unsigned char *)"KZ", -1, -1, 0));
	REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0));
	REQUIRE(X509_set_subject_name(c, name));
	REQUIRE(X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name));
	REQUIRE(ASN1_TIME_set_string(X509_getm_notBefore(c), "20000101000000Z"));
	REQUIRE(ASN1_TIME_set_string(X509_getm_notAfter(c), "20991231235959Z"));
	REQUIRE(X509_set_pubkey(c, key));
	REQUIRE(add_ext(c, issuer ? issuer : c, NID_subject_key_identifier, "hash"));
	if (issuer == NULL) {
		REQUIRE(add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE"));
		REQUIRE(add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign"));
	} else {
		REQUIRE(add_ext(c, issuer, NID_authority_key_identifier, "keyid:always"));
		REQUIRE(add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE"));
		REQUIRE(add_ext(c, issuer, NID_key_usage,
		    "critical,digitalSignature,nonRepudiation"));
		REQUIRE(add_ext(c, issuer, NID_ext_key_usage, "emailProtection"));
	}
	REQUIRE(X509_sign(c, issuer_key ? issuer_key : key,
	    EVP_PKEY_is_a(issuer_key ? issuer_key : key, "ED25519") ? NULL : EVP_sha256()) > 0);
	X509_NAME_free(name);
	return c;
}

static void
write_file(const char *path, const unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void
fixtures_make(void)
{
	const char *base = getenv("TMPDIR");
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "%s/tb-cms-sign.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	keys[KEY_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[KEY_EC] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (ca_key == NULL || keys[KEY_RSA] == NULL || keys[KEY_EC] == NULL) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	ca_cert = make_cert("tanba test CA", ca_key, NULL, NULL, 1);
	certs[KEY_RSA] = make_cert("RSA SIGNER", keys[KEY_RSA], ca_cert, ca_key, 0x1234567890abcdefL);
	certs[KEY_EC] = make_cert("EC SIGNER", keys[KEY_EC], ca_cert, ca_key, 77);
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", tmpdir);
	if ((f = fopen(ca_path, "w")) == NULL || !PEM_write_X509(f, ca_cert) || fclose(f) != 0) {
		perror(ca_path);
		exit(1);
	}
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
fixtures_free(void)
{
	int i;

	/* Whole tree: a failed check leaves its files behind for no one. */
	nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	for (i = 0; i < KEY_COUNT; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
}

/* ---- checks on the output ---- */

static void
sample_doc(unsigned char *doc, size_t len)
{
	size_t i;

	/* Binary on purpose: bytes a text mode would rewrite (CR, LF, NUL). */
	for (i = 0; i < len; i++)
		doc[i] = (unsigned char)(i * 37 + (i % 5 == 0 ? '\n' : i % 7 == 0 ? '\r' : 0));
}

static X509_ATTRIBUTE *
only_attr(CMS_SignerInfo *si, int nid)
{
	int loc = CMS_signed_get_attr_by_NID(si, nid, -1);

	ck_assert_msg(loc >= 0, "signed attribute %s missing", OBJ_nid2sn(nid));
	ck_assert_msg(CMS_signed_get_attr_by_NID(si, nid, loc) < 0,
	    "signed attribute %s twice", OBJ_nid2sn(nid));
	ck_assert_int_eq(X509_ATTRIBUTE_count(CMS_signed_get_attr(si, loc)), 1);
	return CMS_signed_get_attr(si, loc);
}

/*
 * RFC 5035: SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 {
 * hashAlgorithm DEFAULT sha256, certHash, issuerSerial } }, read with
 * plain DER primitives so that the check does not share OpenSSL's ESS code.
 */
static void
check_signing_cert_v2(const ASN1_TYPE *v, X509 *cert, int md_nid)
{
	const unsigned char *p, *end, *q;
	long len;
	int tag, cls;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int h_len;
	X509_ALGOR *alg = NULL;
	ASN1_OCTET_STRING *hash = NULL;
	GENERAL_NAMES *gns = NULL;
	GENERAL_NAME *gn;
	ASN1_INTEGER *serial = NULL;

	ck_assert_int_eq(v->type, V_ASN1_SEQUENCE);
	p = v->value.sequence->data;
	end = p + v->value.sequence->length;
	/* SigningCertificateV2 */
	ck_assert(!(ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80));
	ck_assert_int_eq(tag, V_ASN1_SEQUENCE);
	ck_assert(p + len == end);	/* no policies */
	/* certs: exactly one ESSCertIDv2 */
	ck_assert(!(ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80));
	ck_assert_int_eq(tag, V_ASN1_SEQUENCE);
	ck_assert(p + len == end);
	ck_assert(!(ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80));
	ck_assert_int_eq(tag, V_ASN1_SEQUENCE);
	ck_assert(p + len == end);
	/* hashAlgorithm: DER leaves out the DEFAULT sha256 */
	q = p;
	ck_assert(!(ASN1_get_object(&q, &len, &tag, &cls, end - p) & 0x80));
	if (tag == V_ASN1_SEQUENCE) {
		ck_assert_int_ne(md_nid, NID_sha256);
		ck_assert_ptr_nonnull(alg = d2i_X509_ALGOR(NULL, &p, end - p));
		ck_assert_int_eq(OBJ_obj2nid(alg->algorithm), md_nid);
	} else {
		ck_assert_int_eq(md_nid, NID_sha256);
	}
	/* certHash = hash of the whole certificate DER */
	ck_assert_ptr_nonnull(hash = d2i_ASN1_OCTET_STRING(NULL, &p, end - p));
	ck_assert(X509_digest(cert, EVP_get_digestbynid(md_nid), h, &h_len));
	ck_assert_int_eq(ASN1_STRING_length(hash), (int)h_len);
	ck_assert(memcmp(ASN1_STRING_get0_data(hash), h, h_len) == 0);
	/* issuerSerial { issuer GeneralNames, serialNumber } */
	ck_assert(!(ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80));
	ck_assert_int_eq(tag, V_ASN1_SEQUENCE);
	ck_assert(p + len == end);
	ck_assert_ptr_nonnull(gns = d2i_GENERAL_NAMES(NULL, &p, end - p));
	ck_assert_int_eq(sk_GENERAL_NAME_num(gns), 1);
	gn = sk_GENERAL_NAME_value(gns, 0);
	ck_assert_int_eq(gn->type, GEN_DIRNAME);
	ck_assert_int_eq(X509_NAME_cmp(gn->d.directoryName, X509_get_issuer_name(cert)), 0);
	ck_assert_ptr_nonnull(serial = d2i_ASN1_INTEGER(NULL, &p, end - p));
	ck_assert_int_eq(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)), 0);
	ck_assert(p == end);

	ASN1_INTEGER_free(serial);
	GENERAL_NAMES_free(gns);
	ASN1_OCTET_STRING_free(hash);
	X509_ALGOR_free(alg);
}

struct expect {
	int key;
	int md_nid;
	int detached;
	const unsigned char *doc;
	size_t doc_len;
	time_t signing_time;
	int n_certs;
};

/* Parses and verifies der with OpenSSL and checks every signed attribute. */
static void
check_cms(const unsigned char *der, size_t der_len, const struct expect *e)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *got_certs;
	CMS_SignerInfo *si;
	X509_STORE *store;
	X509_ALGOR *dig_alg, *sig_alg;
	X509_ATTRIBUTE *a;
	ASN1_TYPE *v;
	ASN1_OCTET_STRING **content;
	BIO *dcont = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int h_len;
	int expect_sig_nid, i;

	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len));
	ck_assert(p == der + der_len);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_eContentType(cms)), NID_pkcs7_data);
	ck_assert_int_eq(CMS_is_detached(cms), e->detached);
	if (!e->detached) {
		content = CMS_get0_content(cms);
		ck_assert_ptr_nonnull(content);
		ck_assert_ptr_nonnull(*content);
		ck_assert_int_eq(ASN1_STRING_length(*content), (int)e->doc_len);
		ck_assert(e->doc_len == 0 ||
		    memcmp(ASN1_STRING_get0_data(*content), e->doc, e->doc_len) == 0);
	}

	/* OpenSSL's own verdict, with the ESS certificate check (CMS_CADES). */
	ck_assert_ptr_nonnull(store = X509_STORE_new());
	ck_assert(X509_STORE_add_cert(store, ca_cert));
	if (e->detached)
		ck_assert_ptr_nonnull(dcont = BIO_new_mem_buf(e->doc, (int)e->doc_len));
	ck_assert_msg(CMS_verify(cms, NULL, store, dcont, NULL, CMS_BINARY | CMS_CADES) == 1,
	    "CMS_verify failed: %s", ERR_reason_error_string(ERR_peek_last_error()));
	BIO_free(dcont);
	X509_STORE_free(store);

	ck_assert_ptr_nonnull(got_certs = CMS_get1_certs(cms));
	ck_assert_int_eq(sk_X509_num(got_certs), e->n_certs);
	/* certificates is a SET OF: order carries no meaning, presence does. */
	for (i = 0; i < sk_X509_num(got_certs); i++)
		if (X509_cmp(sk_X509_value(got_certs, i), certs[e->key]) == 0)
			break;
	ck_assert_int_lt(i, sk_X509_num(got_certs));
	sk_X509_pop_free(got_certs, X509_free);

	sis = CMS_get0_SignerInfos(cms);
	ck_assert_int_eq(sk_CMS_SignerInfo_num(sis), 1);
	si = sk_CMS_SignerInfo_value(sis, 0);
	ck_assert_int_eq(CMS_SignerInfo_cert_cmp(si, certs[e->key]), 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig_alg, &sig_alg);
	ck_assert_int_eq(OBJ_obj2nid(dig_alg->algorithm), e->md_nid);
	if (e->key == KEY_RSA)
		expect_sig_nid = NID_rsaEncryption;
	else
		expect_sig_nid = e->md_nid == NID_sha256 ? NID_ecdsa_with_SHA256 :
		    e->md_nid == NID_sha384 ? NID_ecdsa_with_SHA384 : NID_ecdsa_with_SHA512;
	ck_assert_int_eq(OBJ_obj2nid(sig_alg->algorithm), expect_sig_nid);

	/* Exactly the four CAdES-BES attributes, no unsigned ones. */
	ck_assert_int_eq(CMS_signed_get_attr_count(si), 4);
	ck_assert_int_le(CMS_unsigned_get_attr_count(si), 0);

	a = only_attr(si, NID_pkcs9_contentType);
	v = X509_ATTRIBUTE_get0_type(a, 0);
	ck_assert_int_eq(v->type, V_ASN1_OBJECT);
	ck_assert_int_eq(OBJ_obj2nid(v->value.object), NID_pkcs7_data);

	a = only_attr(si, NID_pkcs9_messageDigest);
	v = X509_ATTRIBUTE_get0_type(a, 0);
	ck_assert_int_eq(v->type, V_ASN1_OCTET_STRING);
	ck_assert(EVP_Digest(e->doc, e->doc_len, h, &h_len, EVP_get_digestbynid(e->md_nid), NULL));
	ck_assert_int_eq(ASN1_STRING_length(v->value.octet_string), (int)h_len);
	ck_assert(memcmp(ASN1_STRING_get0_data(v->value.octet_string), h, h_len) == 0);

	a = only_attr(si, NID_pkcs9_signingTime);
	v = X509_ATTRIBUTE_get0_type(a, 0);
	/* RFC 5652 11.3: UTCTime up to 2049, GeneralizedTime from 2050. */
	ck_assert_int_eq(v->type, (e->signing_time < (time_t)2524608000 ?
	    V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME));
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(v->value.utctime, e->signing_time), 0);

	a = only_attr(si, NID_id_smime_aa_signingCertificateV2);
	check_signing_cert_v2(X509_ATTRIBUTE_get0_type(a, 0), certs[e->key], e->md_nid);

	CMS_ContentInfo_free(cms);
}

static void
run_ok(const char *cmd)
{
	int st = system(cmd);

	ck_assert_msg(st == 0, "command failed (%d): %s", st, cmd);
}

/* The openssl CLI and GnuTLS certtool must accept der as well. */
static void
check_cli(const unsigned char *der, size_t der_len, const struct expect *e, int idx)
{
	char sig[320], doc[320], log[320], cmd[4096];

	snprintf(sig, sizeof(sig), "%s/sig-%d.der", tmpdir, idx);
	snprintf(doc, sizeof(doc), "%s/doc-%d.bin", tmpdir, idx);
	snprintf(log, sizeof(log), "%s/log-%d.txt", tmpdir, idx);
	write_file(sig, der, der_len);
	write_file(doc, e->doc, e->doc_len);

	snprintf(cmd, sizeof(cmd),
	    "openssl cms -verify -binary -inform DER -in '%s' -CAfile '%s' %s%s%s "
	    "-out '%s.out' >'%s' 2>&1 && cmp -s '%s.out' '%s' || { cat '%s'; false; }",
	    sig, ca_path, e->detached ? "-content '" : "", e->detached ? doc : "",
	    e->detached ? "'" : "", log, log, log, doc, log);
	run_ok(cmd);
	/*
	 * GnuTLS reads an empty eContent as "no embedded data", for OpenSSL's
	 * own `openssl cms -sign -nodetach` of an empty file just the same.
	 */
	if (e->doc_len == 0 && !e->detached)
		goto done;
	snprintf(cmd, sizeof(cmd),
	    "certtool --p7-verify --inder --load-ca-certificate '%s' --infile '%s' %s%s%s "
	    ">'%s' 2>&1 || { cat '%s'; false; }",
	    ca_path, sig, e->detached ? "--load-data '" : "", e->detached ? doc : "",
	    e->detached ? "'" : "", log, log);
	run_ok(cmd);
done:
	unlink(sig);
	unlink(doc);
	unlink(log);
	snprintf(cmd, sizeof(cmd), "%s.out", log);
	unlink(cmd);
}

static const int mds[] = { NID_sha256, NID_sha384, NID_sha512 };
enum { MODE_ATTACHED, MODE_DETACHED, MODE_DIGEST, MODE_COUNT };
#define MATRIX (KEY_COUNT * 3 * MODE_COUNT)

/* Every key x digest x (attached | detached | detached from a digest). */
START_TEST(test_sign_matrix)
{
	int key = _i / (3 * MODE_COUNT), md_nid = mds[(_i / MODE_COUNT) % 3];
	int mode = _i % MODE_COUNT;
	unsigned char doc[3001], h[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int h_len;
	size_t der_len = 0;
	struct soft_signer ss = { keys[key], SIGN_OK, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	struct expect e;

	sample_doc(doc, sizeof(doc));
	req.md_nid = md_nid;
	req.detached = mode != MODE_ATTACHED;
	req.signing_time = T_SIGN;
	if (mode == MODE_DIGEST) {
		ck_assert(EVP_Digest(doc, sizeof(doc), h, &h_len, EVP_get_digestbynid(md_nid), NULL));
		req.digest = h;
		req.digest_len = h_len;
	} else {
		req.data = doc;
		req.data_len = sizeof(doc);
	}
	ck_assert_msg(tb_cms_sign(certs[key], NULL, &signer, &req, &der, &der_len, &err) == 0,
	    "tb_cms_sign: %s", err.detail);
	ck_assert_ptr_nonnull(der);
	ck_assert_int_eq(ss.calls, 1);
	ck_assert_int_eq(ss.last_md_nid, md_nid);
	ck_assert_uint_eq(ss.last_digest_len, (size_t)EVP_MD_get_size(EVP_get_digestbynid(md_nid)));

	e = (struct expect){ key, md_nid, req.detached, doc, sizeof(doc), T_SIGN, 1 };
	check_cms(der, der_len, &e);
	check_cli(der, der_len, &e, _i);
	OPENSSL_free(der);
}
END_TEST

/* The DER of the one signingCertificateV2 attribute value of der. */
static unsigned char *
ess_attr_der(const unsigned char *der, size_t der_len, int *len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	CMS_SignerInfo *si;
	unsigned char *out = NULL;

	ck_assert_ptr_nonnull(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	ck_assert_ptr_nonnull(si);
	*len = i2d_ASN1_TYPE(X509_ATTRIBUTE_get0_type(only_attr(si,
	    NID_id_smime_aa_signingCertificateV2), 0), &out);
	ck_assert_int_gt(*len, 0);
	CMS_ContentInfo_free(cms);
	return out;
}

/*
 * A signingCertificateV2 made once (tb_cms_ess_cert_v2, as the daemon keeps
 * per key) gives the same attribute as the one made per signature, and a
 * CMS that passes every check.
 */
START_TEST(test_ess_made_once)
{
	int key = _i / 3, md_nid = mds[_i % 3], len1 = 0, len2 = 0;
	unsigned char doc[512], *der1 = NULL, *der2 = NULL, *a1, *a2;
	size_t der1_len = 0, der2_len = 0;
	struct soft_signer ss = { keys[key], SIGN_OK, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	ASN1_STRING *ess;
	struct expect e;

	sample_doc(doc, sizeof(doc));
	req.md_nid = md_nid;
	req.detached = 1;
	req.data = doc;
	req.data_len = sizeof(doc);
	req.signing_time = T_SIGN;
	ck_assert_msg(tb_cms_sign(certs[key], NULL, &signer, &req, &der1, &der1_len, &err) == 0,
	    "tb_cms_sign: %s", err.detail);
	ess = tb_cms_ess_cert_v2(certs[key], md_nid);
	ck_assert_ptr_nonnull(ess);
	req.ess_cert_v2 = ess;
	ck_assert_msg(tb_cms_sign(certs[key], NULL, &signer, &req, &der2, &der2_len, &err) == 0,
	    "tb_cms_sign with a made signingCertificateV2: %s", err.detail);
	e = (struct expect){ key, md_nid, 1, doc, sizeof(doc), T_SIGN, 1 };
	check_cms(der2, der2_len, &e);
	check_cli(der2, der2_len, &e, 2000 + _i);
	a1 = ess_attr_der(der1, der1_len, &len1);
	a2 = ess_attr_der(der2, der2_len, &len2);
	ck_assert_int_eq(len1, len2);
	ck_assert_msg(memcmp(a1, a2, (size_t)len1) == 0, "signingCertificateV2 differs");
	OPENSSL_free(a1);
	OPENSSL_free(a2);
	ASN1_STRING_free(ess);
	OPENSSL_free(der1);
	OPENSSL_free(der2);
	/* Only SHA-2 digests make one. */
	ck_assert_ptr_null(tb_cms_ess_cert_v2(certs[key], NID_sha1));
}
END_TEST

/* The chain is carried (once), md_nid 0 means SHA-256, an empty document signs. */
START_TEST(test_chain_default_md_empty)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	struct soft_signer ss = { keys[KEY_EC], SIGN_OK, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	STACK_OF(X509) *chain = sk_X509_new_null();
	struct expect e;

	ck_assert(sk_X509_push(chain, ca_cert));
	ck_assert(sk_X509_push(chain, certs[KEY_EC]));	/* the signer again: not doubled */
	ck_assert(sk_X509_push(chain, ca_cert));
	req.data = (const unsigned char *)"";
	req.signing_time = T_SIGN;
	ck_assert_msg(tb_cms_sign(certs[KEY_EC], chain, &signer, &req, &der, &der_len, &err) == 0,
	    "tb_cms_sign: %s", err.detail);
	ck_assert_int_eq(ss.last_md_nid, NID_sha256);
	e = (struct expect){ KEY_EC, NID_sha256, 0, (const unsigned char *)"", 0, T_SIGN, 2 };
	check_cms(der, der_len, &e);
	check_cli(der, der_len, &e, 1000);
	OPENSSL_free(der);
	sk_X509_free(chain);
}
END_TEST

/* signingTime switches from UTCTime to GeneralizedTime at 2050. */
START_TEST(test_signing_time_encoding)
{
	static const time_t times[] = {
		(time_t)2524607999,	/* 2049-12-31T23:59:59Z */
		(time_t)2524608000,	/* 2050-01-01T00:00:00Z */
		(time_t)946684800,	/* 2000-01-01T00:00:00Z */
	};
	unsigned char doc[100], *der = NULL;
	size_t der_len = 0;
	struct soft_signer ss = { keys[KEY_RSA], SIGN_OK, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	struct expect e;

	if (sizeof(time_t) < 8 && _i == 1)
		return;
	sample_doc(doc, sizeof(doc));
	req.md_nid = NID_sha384;
	req.data = doc;
	req.data_len = sizeof(doc);
	req.signing_time = times[_i];
	ck_assert_msg(tb_cms_sign(certs[KEY_RSA], NULL, &signer, &req, &der, &der_len, &err) == 0,
	    "tb_cms_sign: %s", err.detail);
	e = (struct expect){ KEY_RSA, NID_sha384, 0, doc, sizeof(doc), times[_i], 1 };
	check_cms(der, der_len, &e);
	OPENSSL_free(der);
}
END_TEST

/*
 * The front assembles the CMS around attributes the signer built: it takes
 * them only when their messageDigest is the document's digest and they
 * decode whole; the signer's builder refuses a digest of the wrong length.
 */
START_TEST(test_assemble_checks_attributes)
{
	unsigned char md[32], other[32], *attrs = NULL, *der = NULL, sig[TB_SIG_MAX];
	unsigned char garbage[] = { 0x31, 0x03, 0x02, 0x01 };
	size_t attrs_len = 0, der_len = 0, sig_len = sizeof(sig);
	ASN1_STRING *ess = tb_cms_ess_cert_v2(certs[KEY_RSA], NID_sha256);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };

	ck_assert_ptr_nonnull(ess);
	ck_assert_ptr_nonnull(mctx);
	memset(md, 0x5a, sizeof(md));
	memset(other, 0xa5, sizeof(other));
	ck_assert_int_eq(tb_cms_signed_attrs(NID_sha256, md, 20, T_SIGN, ess, &attrs, &attrs_len,
	    &err), TB_ERR_INVALID_ARG);
	ck_assert_msg(tb_cms_signed_attrs(NID_sha256, md, sizeof(md), T_SIGN, ess, &attrs,
	    &attrs_len, &err) == 0, "%s", err.detail);
	ck_assert_int_eq(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, keys[KEY_RSA]), 1);
	ck_assert_int_eq(EVP_DigestSign(mctx, sig, &sig_len, attrs, attrs_len), 1);
	req.md_nid = NID_sha256;
	req.detached = 1;
	req.digest = md;
	req.digest_len = sizeof(md);
	ck_assert_msg(tb_cms_assemble(certs[KEY_RSA], NULL, &req, md, sizeof(md), attrs, attrs_len,
	    sig, sig_len, &der, &der_len, &err) == 0, "%s", err.detail);
	ck_assert_uint_gt(der_len, attrs_len);
	OPENSSL_free(der);
	der = NULL;
	/* Attributes over another document: not this request's signature. */
	req.digest = other;
	ck_assert_int_eq(tb_cms_assemble(certs[KEY_RSA], NULL, &req, other, sizeof(other), attrs,
	    attrs_len, sig, sig_len, &der, &der_len, &err), TB_ERR_CRYPTO);
	ck_assert_ptr_nonnull(strstr(err.detail, "messageDigest is not the document's"));
	ck_assert_ptr_null(der);
	req.digest = md;
	ck_assert_int_eq(tb_cms_assemble(certs[KEY_RSA], NULL, &req, md, sizeof(md), garbage,
	    sizeof(garbage), sig, sig_len, &der, &der_len, &err), TB_ERR_CRYPTO);
	ck_assert_ptr_null(der);
	OPENSSL_free(attrs);
	ASN1_STRING_free(ess);
	EVP_MD_CTX_free(mctx);
}
END_TEST

/*
 * The per-key template gives, byte for byte, what the encoder gives, for
 * every key and digest, digests of any bytes and times across the UTCTime
 * range; it declines a GeneralizedTime (2050 on) and a wrong length.
 */
START_TEST(test_attrs_template_is_the_encoder)
{
	static const time_t times[] = {
		(time_t)-631152000,	/* 1950-01-01T00:00:00Z */
		(time_t)951782400,	/* 2000-02-29T00:00:00Z */
		(time_t)1767225599,	/* 2025-12-31T23:59:59Z */
		(time_t)2524607999,	/* 2049-12-31T23:59:59Z */
	};
	static const int tpl_mds[3] = { NID_sha256, NID_sha384, NID_sha512 };
	int key = _i / 3, md_nid = tpl_mds[_i % 3];
	ASN1_STRING *ess = tb_cms_ess_cert_v2(certs[key], md_nid);
	tb_cms_attrs_tpl *tpl = tb_cms_attrs_tpl_new(md_nid, ess);
	unsigned char md[EVP_MAX_MD_SIZE], *enc = NULL, out[4096];
	size_t md_len = (size_t)EVP_MD_get_size(EVP_get_digestbynid(md_nid)), enc_len = 0, t, b;
	tb_error err = { 0, "" };

	ck_assert_ptr_nonnull(ess);
	ck_assert_ptr_nonnull(tpl);
	ck_assert_uint_le(tb_cms_attrs_tpl_len(tpl), sizeof(out));
	for (t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
		for (b = 0; b < 3; b++) {
			/* All zeros, all ones, and bytes that look like the template's marker. */
			memset(md, b == 0 ? 0x00 : 0xff, md_len);
			if (b == 2)
				ck_assert_int_eq(RAND_bytes(md, (int)md_len), 1);
			ck_assert_msg(tb_cms_signed_attrs(md_nid, md, md_len, times[t], ess, &enc,
			    &enc_len, &err) == 0, "%s", err.detail);
			ck_assert_msg(tb_cms_attrs_tpl_fill(tpl, md, md_len, times[t], out,
			    sizeof(out), &err) == 0, "%s", err.detail);
			ck_assert_uint_eq(tb_cms_attrs_tpl_len(tpl), enc_len);
			ck_assert_mem_eq(out, enc, enc_len);
			OPENSSL_free(enc);
			enc = NULL;
		}
	}
	ck_assert_int_eq(tb_cms_attrs_tpl_fill(tpl, md, md_len, (time_t)2524608000, out,
	    sizeof(out), &err), TB_ERR_UNSUPPORTED);
	ck_assert_int_eq(tb_cms_attrs_tpl_fill(tpl, md, md_len - 1, times[1], out, sizeof(out),
	    &err), TB_ERR_INVALID_ARG);
	tb_cms_attrs_tpl_free(tpl);
	ASN1_STRING_free(ess);
}
END_TEST

/* A signer error comes back with its own code and reason; no output. */
START_TEST(test_signer_error_propagates)
{
	unsigned char doc[10] = "abcdefghi", *der = NULL;
	size_t der_len = 12345;
	struct soft_signer ss = { keys[KEY_RSA], SIGN_FAIL, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };

	req.data = doc;
	req.data_len = sizeof(doc);
	req.signing_time = T_SIGN;
	ck_assert_int_eq(tb_cms_sign(certs[KEY_RSA], NULL, &signer, &req, &der, &der_len, &err),
	    TB_ERR_TOKEN_GONE);
	ck_assert_int_eq(err.code, TB_ERR_TOKEN_GONE);
	ck_assert_ptr_nonnull(strstr(err.detail, "token removed"));
	ck_assert_ptr_null(der);
	ck_assert_uint_eq(der_len, 12345);
	ck_assert_int_eq(ss.calls, 1);

	/* A signer claiming more bytes than the room it was given is refused. */
	ss.mode = SIGN_OVERLONG;
	ck_assert_int_eq(tb_cms_sign(certs[KEY_RSA], NULL, &signer, &req, &der, &der_len, &err),
	    TB_ERR_INTERNAL);
	ck_assert_ptr_null(der);
}
END_TEST

/* Garbage from the signer makes a CMS that every verifier refuses. */
START_TEST(test_signer_garbage_rejected)
{
	unsigned char doc[64], *der = NULL;
	const unsigned char *p;
	size_t der_len = 0;
	struct soft_signer ss = { keys[_i], SIGN_GARBAGE, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	CMS_ContentInfo *cms;
	X509_STORE *store;
	BIO *dcont;
	char path[320], cmd[2048];

	sample_doc(doc, sizeof(doc));
	req.data = doc;
	req.data_len = sizeof(doc);
	req.detached = 1;
	req.signing_time = T_SIGN;
	ck_assert_int_eq(tb_cms_sign(certs[_i], NULL, &signer, &req, &der, &der_len, &err), 0);
	p = der;
	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len));
	ck_assert_ptr_nonnull(store = X509_STORE_new());
	ck_assert(X509_STORE_add_cert(store, ca_cert));
	ck_assert_ptr_nonnull(dcont = BIO_new_mem_buf(doc, sizeof(doc)));
	ck_assert_int_ne(CMS_verify(cms, NULL, store, dcont, NULL, CMS_BINARY), 1);
	ERR_clear_error();
	BIO_free(dcont);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);

	snprintf(path, sizeof(path), "%s/garbage-%d", tmpdir, _i);
	write_file(path, der, der_len);
	snprintf(cmd, sizeof(cmd), "%s.doc", path);
	write_file(cmd, doc, sizeof(doc));
	snprintf(cmd, sizeof(cmd), "openssl cms -verify -binary -inform DER -in '%s' "
	    "-CAfile '%s' -content '%s.doc' -out /dev/null >/dev/null 2>&1", path, ca_path, path);
	ck_assert_int_ne(system(cmd), 0);
	unlink(path);
	snprintf(cmd, sizeof(cmd), "%s.doc", path);
	unlink(cmd);
	OPENSSL_free(der);
}
END_TEST

/* Requests that must be refused before the signer is ever called. */
START_TEST(test_bad_requests)
{
	unsigned char doc[8] = "1234567", h[EVP_MAX_MD_SIZE], *der = NULL;
	size_t der_len = 0;
	struct soft_signer ss = { keys[KEY_EC], SIGN_OK, 0, 0, 0 };
	tb_signer signer = { soft_sign_digest, &ss };
	tb_sign_request req;
	tb_error err;
	EVP_PKEY *ed;
	X509 *ed_cert;

	memset(h, 0xab, sizeof(h));
#define REFUSE(cert, want) do { \
		tb_error_clear(&err); \
		ck_assert_int_eq(tb_cms_sign(cert, NULL, &signer, &req, &der, &der_len, &err), want); \
		ck_assert_int_eq(err.code, want); \
		ck_assert(err.detail[0] != '\0'); \
		ck_assert_ptr_null(der); \
	} while (0)

	/* attached from a digest: the content is not there to attach */
	req = (tb_sign_request){ NID_sha256, 0, NULL, 0, h, 32, T_SIGN, NULL };
	REFUSE(certs[KEY_EC], TB_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err.detail, "attached"));
	/* digest of the wrong length for the algorithm */
	req = (tb_sign_request){ NID_sha384, 1, NULL, 0, h, 32, T_SIGN, NULL };
	REFUSE(certs[KEY_EC], TB_ERR_INVALID_ARG);
	/* both, and neither */
	req = (tb_sign_request){ NID_sha256, 1, doc, sizeof(doc), h, 32, T_SIGN, NULL };
	REFUSE(certs[KEY_EC], TB_ERR_INVALID_ARG);
	req = (tb_sign_request){ NID_sha256, 1, NULL, 0, NULL, 0, T_SIGN, NULL };
	REFUSE(certs[KEY_EC], TB_ERR_INVALID_ARG);
	/* weak or unknown digests */
	req = (tb_sign_request){ NID_sha1, 1, doc, sizeof(doc), NULL, 0, T_SIGN, NULL };
	REFUSE(certs[KEY_EC], TB_ERR_UNSUPPORTED);
	req = (tb_sign_request){ NID_md5, 0, doc, sizeof(doc), NULL, 0, T_SIGN, NULL };
	REFUSE(certs[KEY_EC], TB_ERR_UNSUPPORTED);
	/* a key type tanba does not sign with */
	ck_assert_ptr_nonnull(ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	ed_cert = make_cert("ED SIGNER", ed, NULL, NULL, 5);
	req = (tb_sign_request){ NID_sha256, 1, doc, sizeof(doc), NULL, 0, T_SIGN, NULL };
	REFUSE(ed_cert, TB_ERR_UNSUPPORTED);
	/* missing arguments */
	REFUSE(NULL, TB_ERR_INVALID_ARG);
	ck_assert_int_eq(ss.calls, 0);
	X509_free(ed_cert);
	EVP_PKEY_free(ed);
#undef REFUSE
}
END_TEST

static void
hex_of(char *out, const unsigned char *in, size_t len, int upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = (upper ? up : lo)[in[i] >> 4];
		out[2 * i + 1] = (upper ? up : lo)[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static void
mix_case(char *hex)
{
	size_t j;

	for (j = 0; hex[j] != '\0'; j++)
		if (j % 4 == 1 && hex[j] >= 'A' && hex[j] <= 'F')
			hex[j] = (char)(hex[j] - 'A' + 'a');
}

START_TEST(test_digest_spec_ok)
{
	static const struct { const char *name; int nid; size_t len; } cases[] = {
		{ "sha256", NID_sha256, 32 }, { "sha384", NID_sha384, 48 }, { "sha512", NID_sha512, 64 },
	};
	unsigned char want[64], got[64];
	char spec[200];
	size_t i, got_len;
	int nid, upper;
	tb_error err;

	for (i = 0; i < sizeof(want); i++)
		want[i] = (unsigned char)(i * 29 + 7);
	for (i = 0; i < 3; i++) {
		for (upper = 0; upper < 2; upper++) {
			snprintf(spec, sizeof(spec), "%s:", cases[i].name);
			hex_of(spec + strlen(spec), want, cases[i].len, upper);
			if (upper)	/* upper case, and mixed: every other letter lowered */
				mix_case(spec + strlen(cases[i].name) + 1);
			nid = 0;
			got_len = 0;
			memset(got, 0, sizeof(got));
			tb_error_clear(&err);
			ck_assert_msg(tb_digest_spec_parse(spec, &nid, got, sizeof(got), &got_len, &err) == 0,
			    "%s: %s", spec, err.detail);
			ck_assert_int_eq(nid, cases[i].nid);
			ck_assert_uint_eq(got_len, cases[i].len);
			ck_assert(memcmp(got, want, cases[i].len) == 0);
		}
	}
}
END_TEST

START_TEST(test_digest_spec_bad)
{
	static const char h64[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	static const struct { const char *spec; const char *why; } cases[] = {
		{ "", "':'" },
		{ "sha256", "':'" },
		{ h64, "':'" },
		{ "sha1:00112233445566778899aabbccddeeff00112233", "'sha1'" },
		{ "md5:00112233445566778899aabbccddeeff", "'md5'" },
		{ "SHA256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "'SHA256'" },
		{ ":00", "unknown digest algorithm" },
		{ "sha 256:00", "unknown digest algorithm (" },
		{ "sha256:", "0 hex digits, expected 64" },
		{ "sha256:0", "1 hex digits, expected 64" },
		{ "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeef",
		  "63 hex digits" },
		{ "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0",
		  "65 hex digits" },
		{ "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff ",
		  "65 hex digits" },
		{ "sha384:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		  "expected 96" },
		{ "sha256:0g112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		  "non-hex character at position 1" },
		{ "sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddee-f",
		  "position 62" },
		{ "sha256:0x112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		  "position 1" },
		{ "sha256: 0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		  "position 0" },
	};
	unsigned char got[64];
	size_t i, got_len = 99;
	int nid = 42;
	tb_error err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tb_error_clear(&err);
		ck_assert_int_eq(tb_digest_spec_parse(cases[i].spec, &nid, got, sizeof(got), &got_len,
		    &err), TB_ERR_INVALID_ARG);
		ck_assert_int_eq(err.code, TB_ERR_INVALID_ARG);
		ck_assert_msg(strstr(err.detail, cases[i].why) != NULL,
		    "'%s': detail '%s' does not say '%s'", cases[i].spec, err.detail, cases[i].why);
		ck_assert_int_eq(nid, 42);
		ck_assert_uint_eq(got_len, 99);
	}
	/* NULL, and too little room for the digest */
	ck_assert_int_eq(tb_digest_spec_parse(NULL, &nid, got, sizeof(got), &got_len, &err),
	    TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_digest_spec_parse("sha512:00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff", &nid, got, 32, &got_len, &err),
	    TB_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err.detail, "room"));
	/* a NUL err is allowed */
	ck_assert_int_eq(tb_digest_spec_parse("x", &nid, got, sizeof(got), &got_len, NULL),
	    TB_ERR_INVALID_ARG);
	ck_assert_int_eq(nid, 42);
	ck_assert_uint_eq(got_len, 99);
}
END_TEST

/* ---- co-signing: tb_cms_add_signer ---- */

/* A DER header at p (at most end): tag, content start and length; 0 or -1. */
static int
der_hdr(const unsigned char *p, const unsigned char *end, unsigned char *tag,
    const unsigned char **content, size_t *len)
{
	size_t n, i, l = 0;

	if (end - p < 2)
		return -1;
	*tag = p[0];
	if (p[1] < 0x80) {
		*content = p + 2;
		*len = p[1];
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || (size_t)(end - p) < 2 + n)
			return -1;
		for (i = 0; i < n; i++)
			l = l << 8 | p[2 + i];
		*content = p + 2 + n;
		*len = l;
	}
	return *content + *len <= end ? 0 : -1;
}

/* The content of SignedData's last element (signerInfos SET) in der: the SignerInfos' bytes. */
static void
signer_infos(const unsigned char *der, size_t der_len, const unsigned char **si, size_t *si_len)
{
	const unsigned char *end = der + der_len, *c, *p, *last = NULL;
	unsigned char tag;
	size_t len, last_len = 0;

	ck_assert_int_eq(der_hdr(der, end, &tag, &c, &len), 0);	/* ContentInfo */
	ck_assert_int_eq(der_hdr(c, end, &tag, &p, &len), 0);		/* contentType */
	ck_assert_int_eq(der_hdr(p + len, end, &tag, &c, &len), 0);	/* [0] */
	ck_assert_int_eq(der_hdr(c, end, &tag, &p, &len), 0);		/* SignedData */
	end = p + len;
	while (p < end) {
		ck_assert_int_eq(der_hdr(p, end, &tag, &c, &len), 0);
		last = c;
		last_len = len;
		p = c + len;
	}
	ck_assert_ptr_nonnull(last);
	*si = last;
	*si_len = last_len;
}

static int
count_signers(const unsigned char *der, size_t der_len)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
	int n;

	ck_assert_ptr_nonnull(cms);
	n = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms));
	CMS_ContentInfo_free(cms);
	return n;
}

/*
 * RSA signs (attached, detached, detached by digest), EC co-signs, then RSA
 * again: every earlier SignerInfo stays byte for byte in the new CMS, the
 * content too, and openssl and certtool verify every signer.
 */
START_TEST(test_cosign_keeps_signers)
{
	int mode = _i;
	unsigned char doc[2000], h[EVP_MAX_MD_SIZE], *d1 = NULL, *d2 = NULL, *d3 = NULL;
	unsigned int h_len = 0;
	size_t l1 = 0, l2 = 0, l3 = 0, si1_len, si2_len;
	const unsigned char *si1, *si2;
	struct soft_signer rs = { keys[KEY_RSA], SIGN_OK, 0, 0, 0 };
	struct soft_signer es = { keys[KEY_EC], SIGN_OK, 0, 0, 0 };
	tb_signer rsa = { soft_sign_digest, &rs }, ec = { soft_sign_digest, &es };
	tb_sign_request req = { 0 }, co = { 0 };
	tb_error err = { 0, "" };
	struct expect e;

	sample_doc(doc, sizeof(doc));
	req.md_nid = NID_sha256;
	req.detached = mode != MODE_ATTACHED;
	req.signing_time = T_SIGN;
	req.data = doc;
	req.data_len = sizeof(doc);
	ck_assert_int_eq(tb_cms_sign(certs[KEY_RSA], NULL, &rsa, &req, &d1, &l1, &err), 0);

	co.md_nid = NID_sha384;
	co.signing_time = T_SIGN + 60;
	if (mode == MODE_DETACHED) {
		co.data = doc;
		co.data_len = sizeof(doc);
	} else if (mode == MODE_DIGEST) {
		/* A digest of another algorithm than the signers' cannot be checked: refused. */
		ck_assert(EVP_Digest(doc, sizeof(doc), h, &h_len, EVP_sha384(), NULL));
		co.digest = h;
		co.digest_len = h_len;
		ck_assert_int_eq(tb_cms_add_signer(d1, l1, certs[KEY_EC], NULL, &ec, &co, &d2,
		    &l2, &err), TB_ERR_INVALID_ARG);
		ck_assert_ptr_null(d2);
		co.md_nid = NID_sha256;
		ck_assert(EVP_Digest(doc, sizeof(doc), h, &h_len, EVP_sha256(), NULL));
		co.digest_len = h_len;
	}
	ck_assert_msg(tb_cms_add_signer(d1, l1, certs[KEY_EC], NULL, &ec, &co, &d2, &l2,
	    &err) == 0, "tb_cms_add_signer: %s", err.detail);
	ck_assert_int_eq(count_signers(d2, l2), 2);
	signer_infos(d1, l1, &si1, &si1_len);
	ck_assert_ptr_nonnull(memmem(d2, l2, si1, si1_len));
	if (mode == MODE_ATTACHED)
		ck_assert_ptr_nonnull(memmem(d2, l2, doc, sizeof(doc)));
	else
		ck_assert_ptr_null(memmem(d2, l2, doc, 64));

	/* A third signer (the first key again) keeps both. */
	co.md_nid = NID_sha256;
	if (mode == MODE_DIGEST) {
		ck_assert(EVP_Digest(doc, sizeof(doc), h, &h_len, EVP_sha256(), NULL));
		co.digest_len = h_len;
	}
	ck_assert_msg(tb_cms_add_signer(d2, l2, certs[KEY_RSA], NULL, &rsa, &co, &d3, &l3,
	    &err) == 0, "third signer: %s", err.detail);
	ck_assert_int_eq(count_signers(d3, l3), 3);
	signer_infos(d2, l2, &si2, &si2_len);
	ck_assert_ptr_nonnull(memmem(d3, l3, si2, si2_len));

	e = (struct expect){ KEY_RSA, NID_sha256, req.detached, doc, sizeof(doc), T_SIGN, 1 };
	check_cli(d3, l3, &e, 1000 + _i);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	OPENSSL_free(d3);
}
END_TEST

/* What co-signing refuses, leaving its outputs alone. */
START_TEST(test_cosign_refusals)
{
	unsigned char doc[100], *d1 = NULL, *out = NULL;
	size_t l1 = 0, out_len = 0;
	struct soft_signer rs = { keys[KEY_RSA], SIGN_OK, 0, 0, 0 };
	tb_signer rsa = { soft_sign_digest, &rs };
	tb_sign_request req = { 0 }, co = { 0 };
	tb_error err = { 0, "" };

	sample_doc(doc, sizeof(doc));
	req.signing_time = T_SIGN;
	req.data = doc;
	req.data_len = sizeof(doc);
	req.detached = 1;
	ck_assert_int_eq(tb_cms_sign(certs[KEY_RSA], NULL, &rsa, &req, &d1, &l1, &err), 0);
	co.signing_time = T_SIGN;
	/* Detached, and neither document nor digest. */
	ck_assert_int_eq(tb_cms_add_signer(d1, l1, certs[KEY_EC], NULL, &rsa, &co, &out,
	    &out_len, &err), TB_ERR_INVALID_ARG);
	/* Not a CMS. */
	co.data = doc;
	co.data_len = sizeof(doc);
	ck_assert_int_eq(tb_cms_add_signer(doc, sizeof(doc), certs[KEY_EC], NULL, &rsa, &co,
	    &out, &out_len, &err), TB_ERR_MALFORMED);
	/* Cut short. */
	ck_assert_int_eq(tb_cms_add_signer(d1, l1 - 3, certs[KEY_EC], NULL, &rsa, &co, &out,
	    &out_len, &err), TB_ERR_MALFORMED);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(out_len, 0);
	OPENSSL_free(d1);
}
END_TEST

/*
 * A CMS with TB_CMS_SIGNERS_MAX signers takes no co-signer, refused before
 * the signer is asked (the new CMS could not pass the check of its
 * signers, and a signature made would be one never delivered); it can
 * still be counter-signed.
 */
START_TEST(test_cosign_signers_max)
{
	unsigned char doc[100], *d = NULL, *next = NULL;
	size_t len = 0, next_len = 0;
	struct soft_signer es = { keys[KEY_EC], SIGN_OK, 0, 0, 0 };
	tb_signer ec = { soft_sign_digest, &es };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	int i, calls;

	sample_doc(doc, sizeof(doc));
	req.md_nid = NID_sha256;
	req.signing_time = T_SIGN;
	req.data = doc;
	req.data_len = sizeof(doc);
	ck_assert_int_eq(tb_cms_sign(certs[KEY_EC], NULL, &ec, &req, &d, &len, &err), 0);
	req.data = NULL;
	req.data_len = 0;
	for (i = 1; i < TB_CMS_SIGNERS_MAX; i++) {
		ck_assert_msg(tb_cms_add_signer(d, len, certs[KEY_EC], NULL, &ec, &req, &next,
		    &next_len, &err) == 0, "signer %d: %s", i + 1, err.detail);
		OPENSSL_free(d);
		d = next;
		len = next_len;
		next = NULL;
	}
	ck_assert_int_eq(count_signers(d, len), TB_CMS_SIGNERS_MAX);
	calls = es.calls;
	ck_assert_int_eq(tb_cms_add_signer(d, len, certs[KEY_EC], NULL, &ec, &req, &next,
	    &next_len, &err), TB_ERR_UNSUPPORTED);
	ck_assert_msg(strstr(err.detail, "signers already") != NULL, "%s", err.detail);
	ck_assert_int_eq(es.calls, calls);
	ck_assert_ptr_null(next);
	ck_assert_msg(tb_cms_countersign(d, len, TB_CMS_SIGNERS_MAX - 1, certs[KEY_EC], NULL,
	    &ec, &req, &next, &next_len, &err) == 0, "counter-sign: %s", err.detail);
	ck_assert_int_eq(count_signers(next, next_len), TB_CMS_SIGNERS_MAX);
	OPENSSL_free(next);
	OPENSSL_free(d);
}
END_TEST

/*
 * The counter-signature's SignerInfo parsed through a SignedData made
 * around it here (OpenSSL has no d2i for a bare SignerInfo).
 */
static CMS_ContentInfo *
wrap_signer_info(const unsigned char *si, size_t si_len)
{
	static const unsigned char head[] = {
		0x02, 0x01, 0x01, 0x31, 0x00,	/* version 1, digestAlgorithms {} */
		0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
	};
	static const unsigned char oid_sd[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
	};
	unsigned char *b = malloc(si_len + 64), *w;
	size_t set_l = si_len, sd_l, e_l, ci_l;
	const unsigned char *p;
	CMS_ContentInfo *cms;

	ck_assert_ptr_nonnull(b);
	sd_l = sizeof(head) + tb_der_hdr_len(set_l) + set_l;
	e_l = tb_der_hdr_len(sd_l) + sd_l;
	ci_l = sizeof(oid_sd) + tb_der_hdr_len(e_l) + e_l;
	w = tb_der_hdr_put(b, 0x30, ci_l);
	memcpy(w, oid_sd, sizeof(oid_sd));
	w = tb_der_hdr_put(w + sizeof(oid_sd), 0xa0, e_l);
	w = tb_der_hdr_put(w, 0x30, sd_l);
	memcpy(w, head, sizeof(head));
	w = tb_der_hdr_put(w + sizeof(head), 0x31, set_l);
	memcpy(w, si, si_len);
	w += si_len;
	p = b;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)(w - b));
	free(b);
	return cms;
}

/*
 * EC counter-signs the RSA signer: the target still verifies (openssl,
 * certtool), and the counter-signature is checked here: no contentType,
 * messageDigest = SHA-256 of the target's signature value, the EC key's
 * signature over its signed attributes, the EC certificate carried.
 */
START_TEST(test_countersign)
{
	unsigned char doc[500], *d1 = NULL, *d2 = NULL, *attrs = NULL, h[EVP_MAX_MD_SIZE];
	unsigned int h_len = 0;
	size_t l1 = 0, l2 = 0, i;
	struct soft_signer rs = { keys[KEY_RSA], SIGN_OK, 0, 0, 0 };
	struct soft_signer es = { keys[KEY_EC], SIGN_OK, 0, 0, 0 };
	tb_signer rsa = { soft_sign_digest, &rs }, ec = { soft_sign_digest, &es };
	tb_sign_request req = { 0 };
	tb_error err = { 0, "" };
	const unsigned char *p;
	CMS_ContentInfo *cms, *cc;
	CMS_SignerInfo *tsi, *csi;
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	ASN1_OCTET_STRING *md, *sig;
	STACK_OF(X509_ATTRIBUTE) *sa;
	STACK_OF(X509) *carried;
	EVP_PKEY_CTX *vctx;
	int idx, n, attrs_len, found = 0;
	struct expect e;

	sample_doc(doc, sizeof(doc));
	req.signing_time = T_SIGN;
	req.data = doc;
	req.data_len = sizeof(doc);
	ck_assert_int_eq(tb_cms_sign(certs[KEY_RSA], NULL, &rsa, &req, &d1, &l1, &err), 0);
	memset(&req, 0, sizeof(req));
	req.signing_time = T_SIGN + 3600;
	ck_assert_int_eq(tb_cms_countersign(d1, l1, 1, certs[KEY_EC], NULL, &ec, &req, &d2, &l2,
	    &err), TB_ERR_INVALID_ARG);
	ck_assert_msg(tb_cms_countersign(d1, l1, 0, certs[KEY_EC], NULL, &ec, &req, &d2, &l2,
	    &err) == 0, "tb_cms_countersign: %s", err.detail);
	ck_assert_int_eq(count_signers(d2, l2), 1);
	e = (struct expect){ KEY_RSA, NID_sha256, 0, doc, sizeof(doc), T_SIGN, 1 };
	check_cli(d2, l2, &e, 2000);

	p = d2;
	ck_assert_ptr_nonnull(cms = d2i_CMS_ContentInfo(NULL, &p, (long)l2));
	tsi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	idx = CMS_unsigned_get_attr_by_NID(tsi, NID_pkcs9_countersignature, -1);
	ck_assert_int_ge(idx, 0);
	a = CMS_unsigned_get_attr(tsi, idx);
	ck_assert_ptr_nonnull(t = X509_ATTRIBUTE_get0_type(a, 0));
	ck_assert_int_eq(t->type, V_ASN1_SEQUENCE);
	ck_assert_ptr_nonnull(cc = wrap_signer_info(ASN1_STRING_get0_data(t->value.sequence),
	    (size_t)ASN1_STRING_length(t->value.sequence)));
	csi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cc), 0);
	ck_assert_int_eq(CMS_SignerInfo_cert_cmp(csi, certs[KEY_EC]), 0);
	ck_assert_int_lt(CMS_signed_get_attr_by_NID(csi, NID_pkcs9_contentType, -1), 0);
	ck_assert_int_ge(CMS_signed_get_attr_by_NID(csi, NID_pkcs9_signingTime, -1), 0);
	idx = CMS_signed_get_attr_by_NID(csi, NID_pkcs9_messageDigest, -1);
	ck_assert_int_ge(idx, 0);
	md = X509_ATTRIBUTE_get0_data(CMS_signed_get_attr(csi, idx), 0, V_ASN1_OCTET_STRING, NULL);
	sig = CMS_SignerInfo_get0_signature(tsi);
	ck_assert(EVP_Digest(ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), h,
	    &h_len, EVP_sha256(), NULL));
	ck_assert_int_eq(ASN1_STRING_length(md), (int)h_len);
	ck_assert_mem_eq(ASN1_STRING_get0_data(md), h, h_len);
	/* The EC signature over the DER of the signed attributes. */
	n = CMS_signed_get_attr_count(csi);
	ck_assert_ptr_nonnull(sa = sk_X509_ATTRIBUTE_new_null());
	for (idx = 0; idx < n; idx++)
		sk_X509_ATTRIBUTE_push(sa, CMS_signed_get_attr(csi, idx));
	ck_assert_int_gt(attrs_len = ASN1_item_i2d((ASN1_VALUE *)sa, &attrs,
	    ASN1_ITEM_rptr(PKCS7_ATTR_SIGN)), 0);
	sk_X509_ATTRIBUTE_free(sa);
	ck_assert(EVP_Digest(attrs, (size_t)attrs_len, h, &h_len, EVP_sha256(), NULL));
	sig = CMS_SignerInfo_get0_signature(csi);
	ck_assert_ptr_nonnull(vctx = EVP_PKEY_CTX_new(keys[KEY_EC], NULL));
	ck_assert_int_eq(EVP_PKEY_verify_init(vctx), 1);
	ck_assert_int_eq(EVP_PKEY_verify(vctx, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig), h, h_len), 1);
	h[0] ^= 1;
	ck_assert_int_ne(EVP_PKEY_verify(vctx, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig), h, h_len), 1);
	EVP_PKEY_CTX_free(vctx);
	carried = CMS_get1_certs(cms);
	for (i = 0; i < (size_t)sk_X509_num(carried); i++)
		found |= X509_cmp(sk_X509_value(carried, (int)i), certs[KEY_EC]) == 0;
	ck_assert_int_eq(found, 1);
	sk_X509_pop_free(carried, X509_free);
	OPENSSL_free(attrs);
	CMS_ContentInfo_free(cc);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
}
END_TEST

static Suite *
cms_sign_suite(void)
{
	Suite *s = suite_create("cms_sign");
	TCase *tc;

	tc = tcase_create("sign");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_sign_matrix, 0, MATRIX);
	tcase_add_test(tc, test_chain_default_md_empty);
	tcase_add_loop_test(tc, test_ess_made_once, 0, KEY_COUNT * 3);
	tcase_add_loop_test(tc, test_signing_time_encoding, 0, 3);
	tcase_add_loop_test(tc, test_attrs_template_is_the_encoder, 0, KEY_COUNT * 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_signer_error_propagates);
	tcase_add_loop_test(tc, test_signer_garbage_rejected, 0, KEY_COUNT);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_assemble_checks_attributes);
	suite_add_tcase(s, tc);

	tc = tcase_create("cosign");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cosign_keeps_signers, 0, MODE_COUNT);
	tcase_add_test(tc, test_cosign_refusals);
	tcase_add_test(tc, test_cosign_signers_max);
	tcase_add_test(tc, test_countersign);
	suite_add_tcase(s, tc);

	tc = tcase_create("digest_spec");
	tcase_add_test(tc, test_digest_spec_ok);
	tcase_add_test(tc, test_digest_spec_bad);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int r;

	fixtures_make();
	r = tbt_run(cms_sign_suite(), CK_NORMAL);
	fixtures_free();
	return r;
}
