/*
 * Unit tests for verification: identity (IIN/BIN, NCA subjects, roles),
 * the verdict catalogue, the signature-algorithm table, path validation
 * (one certificate factory, one failure per test) and CMS verification of
 * OpenSSL-made signatures, including malformed and hostile input. Every
 * certificate is made here with fixed times; the clock is set, never read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "tb_clock.h"
#include "verify.h"

/* 2027-01-15T08:00:00Z: "now" in every test. */
#define T0 ((time_t)1800000000)
#define DAY 86400

/* ---- keys and certificates ---- */

static EVP_PKEY *
rsa_key(int bits)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

static EVP_PKEY *
ec_key(const char *curve)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

typedef struct spec {
	const char *cn;
	const char *serial_number;	/* serialNumber attribute, e.g. "IIN900101300126" */
	const char *ou;
	const char *org;
	EVP_PKEY *key;
	X509 *issuer;			/* NULL: self-signed */
	EVP_PKEY *issuer_key;
	int ca;
	int pathlen;			/* -1: none */
	const char *ku;			/* keyUsage value, NULL: none */
	const char *eku;
	const char *nc;			/* nameConstraints value */
	const char *san;
	int unknown_critical;
	time_t nb, na;
	const EVP_MD *md;		/* NULL: SHA-256 */
	long serial;
} spec;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ck_assert_msg(ext != NULL, "extension %d = %s", nid, value);
	ck_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

static X509 *
make_cert(const spec *s)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	char bc[64];

	ck_assert(x != NULL && n != NULL);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial ? s->serial : 1000 + rand() % 100000);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"KZ", -1, -1, 0);
	if (s->org)
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)s->org, -1, -1, 0);
	if (s->ou)
		X509_NAME_add_entry_by_txt(n, "OU", MBSTRING_UTF8, (const unsigned char *)s->ou, -1, -1, 0);
	if (s->serial_number)
		X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
		    (const unsigned char *)s->serial_number, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), s->nb ? s->nb : T0 - 30 * DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), s->na ? s->na : T0 + 300 * DAY);
	X509_set_pubkey(x, s->key);
	add_ext(x, s->issuer, NID_subject_key_identifier, "hash");
	if (s->issuer)
		add_ext(x, s->issuer, NID_authority_key_identifier, "keyid");
	if (s->ca) {
		if (s->pathlen >= 0)
			snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", s->pathlen);
		else
			snprintf(bc, sizeof(bc), "critical,CA:TRUE");
		add_ext(x, s->issuer, NID_basic_constraints, bc);
	}
	if (s->ku)
		add_ext(x, s->issuer, NID_key_usage, s->ku);
	if (s->eku)
		add_ext(x, s->issuer, NID_ext_key_usage, s->eku);
	if (s->nc)
		add_ext(x, s->issuer, NID_name_constraints, s->nc);
	if (s->san)
		add_ext(x, s->issuer, NID_subject_alt_name, s->san);
	if (s->unknown_critical) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
		X509_EXTENSION *ext;

		ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2);
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ASN1_OBJECT_free(obj);
		ASN1_OCTET_STRING_free(os);
	}
	if (X509_sign(x, s->issuer_key ? s->issuer_key : s->key, s->md ? s->md : EVP_sha256()) <= 0) {
		ERR_print_errors_fp(stderr);
		ck_abort_msg("X509_sign");
	}
	return x;
}

/* A three-level PKI made once: root -> ca -> leaves. */
static EVP_PKEY *root_key, *ca_key, *leaf_key, *ec_leaf_key, *other_key;
static X509 *root, *ca;

/* The issuing CA "TEST CA" under root, holding ca_key, signed by signer. */
static spec
ca_spec(EVP_PKEY *signer)
{
	spec s;

	memset(&s, 0, sizeof(s));
	s.cn = "TEST CA";
	s.key = ca_key;
	s.issuer = root;
	s.issuer_key = signer;
	s.ca = 1;
	s.pathlen = 0;
	s.ku = "critical,keyCertSign,cRLSign";
	s.nb = T0 - 300 * DAY;
	s.na = T0 + 2000 * DAY;
	return s;
}

static void
pki_setup(void)
{
	spec s;

	if (root != NULL)
		return;
	tb_clock_set(T0);
	root_key = rsa_key(2048);
	ca_key = rsa_key(2048);
	leaf_key = rsa_key(2048);
	other_key = rsa_key(2048);
	ec_leaf_key = ec_key("P-256");
	memset(&s, 0, sizeof(s));
	s.cn = "TEST ROOT";
	s.key = root_key;
	s.ca = 1;
	s.pathlen = -1;
	s.ku = "critical,keyCertSign,cRLSign";
	s.nb = T0 - 400 * DAY;
	s.na = T0 + 4000 * DAY;
	root = make_cert(&s);
	s = ca_spec(root_key);
	ca = make_cert(&s);
}

/* A signing leaf under ca, with the NCA shape, for tests to adjust. */
static spec
leaf_spec(void)
{
	spec s;

	pki_setup();
	memset(&s, 0, sizeof(s));
	s.cn = "ҚАСЫМОВ ӘЛИХАН ҒҢӨҰҮҺІ";
	s.serial_number = "IIN900101300126";
	s.key = leaf_key;
	s.issuer = ca;
	s.issuer_key = ca_key;
	s.pathlen = -1;
	s.ku = "critical,digitalSignature,nonRepudiation";
	s.eku = "emailProtection,1.2.398.3.3.4.1.1";
	return s;
}

static tb_trust *
trust_of(X509 *anchor, X509 *untrusted)
{
	tb_trust *t = tb_trust_new();

	ck_assert(t != NULL);
	ck_assert_int_eq(tb_trust_add_anchor(t, anchor, NULL), 0);
	if (untrusted != NULL)
		ck_assert_int_eq(tb_trust_add_untrusted(t, untrusted, NULL), 0);
	return t;
}

static int
has_reason(const tb_verify_result *res, enum tb_verdict v)
{
	size_t i;

	for (i = 0; i < res->reasons.n; i++)
		if (res->reasons.v[i].verdict == v)
			return 1;
	return 0;
}

static unsigned char *
cert_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	ck_assert(n > 0);
	*len = (size_t)n;
	return der;
}

/* check-cert of x under anchor (+ untrusted), returns the verdict. */
static enum tb_verdict
check_cert_with(X509 *x, X509 *anchor, X509 *untrusted, const tb_verify_policy *pol_in,
    const char *iin, tb_verify_result **keep)
{
	tb_trust *t = trust_of(anchor, untrusted);
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	enum tb_verdict v;
	size_t len;
	unsigned char *der = cert_der(x, &len);
	tb_error e;

	if (pol_in != NULL)
		pol = *pol_in;
	else
		tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = len;
	req.iin = iin;
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), 0);
	v = res->verdict;
	if (keep != NULL)
		*keep = res;
	else
		tb_verify_result_free(res);
	OPENSSL_free(der);
	tb_trust_free(t);
	return v;
}

static enum tb_verdict
check_leaf(const spec *s)
{
	X509 *x = make_cert(s);
	enum tb_verdict v = check_cert_with(x, root, ca, NULL, NULL, NULL);

	X509_free(x);
	return v;
}

/*
 * A check-cert input of copies of the issuing CA: each costs a parse before
 * any budget runs, so more than 256 certificates are refused on the count
 * of PEM blocks, unparsed; 200 still verify.
 */
static enum tb_verdict
bundle_verdict(X509 *leaf, int copies, tb_verify_result **keep)
{
	tb_trust *t = trust_of(root, NULL);
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	enum tb_verdict v;
	tb_error e;
	int i;

	ck_assert(PEM_write_bio_X509(b, leaf) == 1);
	for (i = 0; i < copies; i++)
		ck_assert(PEM_write_bio_X509(b, ca) == 1);
	BIO_get_mem_ptr(b, &mem);
	tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = (const unsigned char *)mem->data;
	req.input_len = mem->length;
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), 0);
	v = res->verdict;
	*keep = res;
	BIO_free(b);
	tb_trust_free(t);
	return v;
}

START_TEST(test_cert_bundle_count)
{
	spec s = leaf_spec();
	X509 *x;
	tb_verify_result *res;

	pki_setup();
	x = make_cert(&s);
	ck_assert_int_eq(bundle_verdict(x, 199, &res), TB_V_VALID);
	tb_verify_result_free(res);
	ck_assert_int_eq(bundle_verdict(x, 300, &res), TB_V_MALFORMED);
	ck_assert_uint_eq(res->reasons.n, 1);
	ck_assert_ptr_nonnull(strstr(res->reasons.v[0].detail, "more than 256 certificates"));
	tb_verify_result_free(res);
	X509_free(x);
}
END_TEST

/* ---- identity ---- */

START_TEST(test_iin_checksum)
{
	ck_assert(tb_iin_valid("900101300126"));
	ck_assert(!tb_iin_valid("900101300127"));
	ck_assert(tb_iin_valid("040840001231"));	/* a BIN: same rule */
	ck_assert(!tb_iin_valid("123456789011"));	/* NCA test PKI style */
	ck_assert(!tb_iin_valid("90010130012"));
	ck_assert(!tb_iin_valid("9001013001260"));
	ck_assert(!tb_iin_valid("90010130012a"));
	ck_assert(!tb_iin_valid(NULL));
	/* 000000000101: the first weights give 10, the second give 1. */
	ck_assert(tb_iin_valid("000000000101"));
	ck_assert(!tb_iin_valid("000000000100"));
	/* 000000001000: weights 1..11 give 9 (mod 11), so check digit 9 is right. */
	ck_assert(tb_iin_valid("000000001009"));
}
END_TEST

START_TEST(test_identity_nca_subject)
{
	spec s = leaf_spec();
	X509 *x;
	tb_identity id;

	pki_setup();
	s.ou = "BIN040840001231";
	s.org = "ТАҢБА ЖШС";
	s.eku = "emailProtection,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.1,1.2.398.3.3.4.1.2.2";
	x = make_cert(&s);
	ck_assert_int_eq(tb_identity_from_cert(x, &id, NULL), 0);
	ck_assert_str_eq(id.iin, "900101300126");
	ck_assert_str_eq(id.bin, "040840001231");
	ck_assert_str_eq(id.common_name, "ҚАСЫМОВ ӘЛИХАН ҒҢӨҰҮҺІ");
	ck_assert_str_eq(id.organization, "ТАҢБА ЖШС");
	ck_assert_str_eq(id.country, "KZ");
	ck_assert_int_eq(id.n_roles, 3);
	ck_assert_str_eq(id.roles[0], "legal_entity");
	ck_assert_str_eq(id.roles[1], "first_head");
	ck_assert_str_eq(id.roles[2], "may_sign");
	ck_assert(id.legal_role);
	ck_assert_str_eq(tb_role_lookup("1.2.398.3.3.4.1.2.5"), "employee");
	ck_assert_str_eq(tb_role_lookup("hr"), "hr");
	ck_assert_ptr_null(tb_role_lookup("1.2.398.3.3.4.1.9"));
	X509_free(x);
}
END_TEST

START_TEST(test_identity_demands)
{
	spec s = leaf_spec();
	X509 *x;
	tb_verify_result *res = NULL;
	tb_verify_policy pol;
	const char *roles_ok[] = { "first_head", "individual" };
	const char *roles_bad[] = { "first_head" };
	tb_trust *t;
	tb_verify_request req;
	size_t len;
	unsigned char *der;
	tb_error e;

	pki_setup();
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, "900101300126", NULL), TB_V_VALID);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, "850502400349", &res),
	    TB_V_IDENTITY_MISMATCH);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "IDENTITY_MISMATCH.iin");
	tb_verify_result_free(res);

	t = trust_of(root, ca);
	tb_verify_policy_default(&pol);
	der = cert_der(x, &len);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = len;
	req.roles = roles_ok;
	req.n_roles = 2;
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), 0);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	tb_verify_result_free(res);
	req.roles = roles_bad;
	req.n_roles = 1;
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), 0);
	ck_assert_int_eq(res->verdict, TB_V_IDENTITY_MISMATCH);
	{
		char buf[512];

		ck_assert_int_eq(tb_reason_message(&res->reasons.v[0], "ru", buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, "Полномочия подписавшего (физическое лицо) не подходят; "
		    "требуется: первый руководитель.");
		ck_assert_int_eq(tb_reason_message(&res->reasons.v[0], "kk", buf, sizeof(buf)), 0);
		ck_assert_ptr_nonnull(strstr(buf, "бірінші басшы"));
	}
	tb_verify_result_free(res);
	/* The caller's own numbers are checked: a typo is a bad request. */
	req.n_roles = 0;
	req.iin = "900101300127";
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), TB_ERR_INVALID_ARG);
	ck_assert(strncmp(e.detail, "iin:", 4) == 0);
	req.iin = NULL;
	req.bin = "12345";
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), TB_ERR_INVALID_ARG);
	req.bin = "040840001231";	/* a valid BIN the individual does not have */
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), 0);
	ck_assert_int_eq(res->verdict, TB_V_IDENTITY_MISMATCH);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "IDENTITY_MISMATCH.bin_absent");
	tb_verify_result_free(res);
	OPENSSL_free(der);
	tb_trust_free(t);
	X509_free(x);
}
END_TEST

START_TEST(test_identity_cert_checksum_switch)
{
	spec s = leaf_spec();
	X509 *x;
	tb_verify_policy pol;

	pki_setup();
	s.serial_number = "IIN123456789011";	/* NCA test PKI: fails the checksum */
	x = make_cert(&s);
	tb_verify_policy_default(&pol);
	ck_assert_int_eq(pol.check_iin_checksum, 1);	/* checked unless switched off */
	ck_assert_int_eq(check_cert_with(x, root, ca, &pol, NULL, NULL), TB_V_IDENTITY_MISMATCH);
	pol.check_iin_checksum = 0;
	ck_assert_int_eq(check_cert_with(x, root, ca, &pol, NULL, NULL), TB_V_VALID);
	X509_free(x);
	/* A legal-entity role without a BIN is inconsistent. */
	s = leaf_spec();
	s.eku = "emailProtection,1.2.398.3.3.4.1.2.5";
	ck_assert_int_eq(check_leaf(&s), TB_V_IDENTITY_MISMATCH);
}
END_TEST

/*
 * A certificate that carries no IIN, asked for one, is a mismatch: an
 * absent IIN must never compare equal to the one the caller requires
 * (a prefix comparison over the certificate's empty IIN would).
 */
START_TEST(test_identity_iin_absent)
{
	spec s = leaf_spec();
	X509 *x;
	tb_verify_result *res = NULL;
	json_t *j;

	pki_setup();
	s.serial_number = NULL;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, NULL), TB_V_VALID);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, "900101300126", &res),
	    TB_V_IDENTITY_MISMATCH);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "IDENTITY_MISMATCH.iin_absent");
	j = tb_verify_result_to_json(res, "en");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")),
	    "The certificate carries no IIN"));
	json_decref(j);
	tb_verify_result_free(res);
	X509_free(x);
}
END_TEST

/* ---- verdict catalogue ---- */

START_TEST(test_catalogue_complete)
{
	size_t i, j;
	int v;
	enum tb_verdict out;

	for (v = 0; v < TB_V_COUNT; v++) {
		ck_assert_ptr_nonnull(tb_verdict_code(v));
		ck_assert_int_eq(tb_verdict_parse(tb_verdict_code(v), &out), 0);
		ck_assert_int_eq(out, v);
		for (j = 0; j < 3; j++)
			ck_assert_msg(v == TB_V_VALID || tb_verdict_text(tb_verdict_code(v),
			    tb_verdict_langs[j]) != NULL, "%s has no %s message", tb_verdict_code(v),
			    tb_verdict_langs[j]);
	}
	ck_assert(tb_verdict_catalogue_len > 30);
	for (i = 0; i < tb_verdict_catalogue_len; i++) {
		for (j = 0; j < 3; j++)
			ck_assert_msg(tb_verdict_text(tb_verdict_catalogue[i].id,
			    tb_verdict_langs[j]) != NULL, "%s lacks %s",
			    tb_verdict_catalogue[i].id, tb_verdict_langs[j]);
		ck_assert(strlen(tb_verdict_catalogue[i].text) > 0);
	}
}
END_TEST

START_TEST(test_message_params)
{
	tb_reasons rs = { NULL, 0, 0 };
	char buf[512];

	ck_assert_int_eq(tb_reasons_add(&rs, TB_V_CERT_EXPIRED, NULL, 0, "x", "date",
	    "2026-01-31 23:59:59 UTC", NULL), 0);
	ck_assert_int_eq(tb_reasons_add(&rs, TB_V_CERT_REVOKED, NULL, 0, "x", "date", "2026-02-01",
	    "reason", "@reason.keyCompromise", NULL), 0);
	ck_assert_int_eq(tb_reasons_add(&rs, TB_V_REVOCATION_UNKNOWN, NULL, 0, "x", NULL), 0);
	ck_assert_int_eq(tb_reason_message(&rs.v[0], "en", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "The certificate expired on 2026-01-31 23:59:59 UTC.");
	ck_assert_int_eq(tb_reason_message(&rs.v[0], "kk", buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "2026-01-31 23:59:59 UTC"));
	ck_assert_int_eq(tb_reason_message(&rs.v[1], "ru", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "Сертификат отозван 2026-02-01 (причина: компрометация ключа).");
	/* The highest precedence wins; unknown revocation never outranks a definite finding. */
	ck_assert_int_eq(tb_reasons_verdict(&rs), TB_V_CERT_REVOKED);
	ck_assert(TB_V_REVOCATION_UNKNOWN < TB_V_IDENTITY_MISMATCH);
	tb_reasons_clear(&rs);
	ck_assert_int_eq(tb_reasons_verdict(&rs), TB_V_VALID);
}
END_TEST

/* ---- signature algorithms ---- */

static void
sign_raw(EVP_PKEY *k, const EVP_MD *md, int pss, const unsigned char *tbs, size_t tbs_len,
    unsigned char *sig, size_t *sig_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;

	ck_assert(EVP_DigestSignInit(c, &pc, md, NULL, k) == 1);
	if (pss) {
		ck_assert(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1);
		ck_assert(EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) == 1);
	}
	ck_assert(EVP_DigestSign(c, sig, sig_len, tbs, tbs_len) == 1);
	EVP_MD_CTX_free(c);
}

static X509_ALGOR *
algor(int nid)
{
	X509_ALGOR *a = X509_ALGOR_new();

	X509_ALGOR_set0(a, OBJ_nid2obj(nid), V_ASN1_UNDEF, NULL);
	return a;
}

/* RSASSA-PSS AlgorithmIdentifier for SHA-256, MGF1-SHA-256, salt 32. */
static X509_ALGOR *
pss_algor(void)
{
	RSA_PSS_PARAMS *p = RSA_PSS_PARAMS_new();
	X509_ALGOR *mgf_md = algor(NID_sha256), *a = X509_ALGOR_new();
	ASN1_STRING *s = NULL, *ms = NULL;

	p->hashAlgorithm = algor(NID_sha256);
	p->maskGenAlgorithm = X509_ALGOR_new();
	ck_assert(ASN1_item_pack(mgf_md, ASN1_ITEM_rptr(X509_ALGOR), &ms) != NULL);
	X509_ALGOR_set0(p->maskGenAlgorithm, OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, ms);
	p->saltLength = ASN1_INTEGER_new();
	ASN1_INTEGER_set(p->saltLength, 32);
	ck_assert(ASN1_item_pack(p, ASN1_ITEM_rptr(RSA_PSS_PARAMS), &s) != NULL);
	X509_ALGOR_set0(a, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, s);
	RSA_PSS_PARAMS_free(p);
	X509_ALGOR_free(mgf_md);
	return a;
}

static X509_PUBKEY *
spki_of(EVP_PKEY *k)
{
	X509_PUBKEY *p = NULL;

	ck_assert(X509_PUBKEY_set(&p, k) == 1);
	return p;
}

START_TEST(test_sigalg_good_and_tampered)
{
	static const unsigned char msg[] = "документ 1";
	unsigned char sig[1024], bad[1024];
	size_t sig_len;
	struct { EVP_PKEY *k; int sig_nid; int dig_nid; int pss; const char *name; } cases[5];
	tb_sigalg_info info;
	X509_PUBKEY *spki;
	X509_ALGOR *sa, *da;
	tb_error e;
	int i;

	pki_setup();
	cases[0] = (typeof(cases[0])){ leaf_key, NID_sha256WithRSAEncryption, 0, 0, "rsa-pkcs1-sha256" };
	cases[1] = (typeof(cases[0])){ leaf_key, NID_rsaEncryption, NID_sha256, 0, "rsa-pkcs1-sha256" };
	cases[2] = (typeof(cases[0])){ leaf_key, NID_rsassaPss, 0, 1, "rsa-pss-sha256" };
	cases[3] = (typeof(cases[0])){ ec_leaf_key, NID_ecdsa_with_SHA256, 0, 0, "ecdsa-sha256" };
	cases[4] = (typeof(cases[0])){ ec_leaf_key, NID_X9_62_id_ecPublicKey, NID_sha256, 0, "ecdsa-sha256" };
	for (i = 0; i < 5; i++) {
		sig_len = sizeof(sig);
		sign_raw(cases[i].k, EVP_sha256(), cases[i].pss, msg, sizeof(msg), sig, &sig_len);
		spki = spki_of(cases[i].k);
		sa = cases[i].pss ? pss_algor() : algor(cases[i].sig_nid);
		da = cases[i].dig_nid ? algor(cases[i].dig_nid) : NULL;
		memset(&info, 0, sizeof(info));
		ck_assert_msg(tb_sigalg_verify(da, sa, spki, msg, sizeof(msg), sig, sig_len, &info, &e)
		    == 0, "case %d: %s", i, e.detail);
		ck_assert_str_eq(info.name, cases[i].name);
		ck_assert_int_eq(info.md_nid, NID_sha256);
		ck_assert_int_eq(info.weak_md, 0);
		ck_assert_int_eq(info.key_bits, cases[i].k == leaf_key ? 2048 : 256);
		memcpy(bad, sig, sig_len);
		bad[sig_len / 2] ^= 0x01;
		ck_assert_int_eq(tb_sigalg_verify(da, sa, spki, msg, sizeof(msg), bad, sig_len,
		    NULL, &e), TB_ERR_CRYPTO);
		ck_assert_int_eq(tb_sigalg_verify(da, sa, spki, msg, sizeof(msg) - 1, sig, sig_len,
		    NULL, &e), TB_ERR_CRYPTO);
		X509_ALGOR_free(sa);
		X509_ALGOR_free(da);
		X509_PUBKEY_free(spki);
	}
}
END_TEST

START_TEST(test_sigalg_unsupported)
{
	static const unsigned char msg[] = "x";
	unsigned char sig[512];
	size_t sig_len = sizeof(sig);
	X509_PUBKEY *spki;
	X509_ALGOR *sa, *da;
	tb_sigalg_info info;
	tb_error e;

	pki_setup();
	sign_raw(leaf_key, EVP_sha256(), 0, msg, sizeof(msg), sig, &sig_len);
	spki = spki_of(leaf_key);
	/* An ECDSA algorithm with an RSA key. */
	sa = algor(NID_ecdsa_with_SHA256);
	ck_assert_int_eq(tb_sigalg_verify(NULL, sa, spki, msg, sizeof(msg), sig, sig_len, NULL, &e),
	    TB_ERR_UNSUPPORTED);
	X509_ALGOR_free(sa);
	/* rsaEncryption names no hash on its own. */
	sa = algor(NID_rsaEncryption);
	ck_assert_int_eq(tb_sigalg_verify(NULL, sa, spki, msg, sizeof(msg), sig, sig_len, NULL, &e),
	    TB_ERR_UNSUPPORTED);
	/* A digest algorithm that disagrees with the signature's hash. */
	X509_ALGOR_free(sa);
	sa = algor(NID_sha256WithRSAEncryption);
	da = algor(NID_sha512);
	ck_assert_int_eq(tb_sigalg_verify(da, sa, spki, msg, sizeof(msg), sig, sig_len, NULL, &e),
	    TB_ERR_UNSUPPORTED);
	X509_ALGOR_free(da);
	X509_ALGOR_free(sa);
	/* SHA-1 verifies but is flagged weak for the caller's floor. */
	sig_len = sizeof(sig);
	sign_raw(leaf_key, EVP_sha1(), 0, msg, sizeof(msg), sig, &sig_len);
	sa = algor(NID_sha1WithRSAEncryption);
	ck_assert_int_eq(tb_sigalg_verify(NULL, sa, spki, msg, sizeof(msg), sig, sig_len, &info, &e), 0);
	ck_assert_int_eq(info.weak_md, 1);
	X509_ALGOR_free(sa);
	X509_PUBKEY_free(spki);
}
END_TEST

/* ---- path validation ---- */

START_TEST(test_path_valid_and_anchor_choices)
{
	spec s = leaf_spec();
	X509 *x;

	pki_setup();
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, NULL), TB_V_VALID);
	/* The issuing CA configured as the anchor. */
	ck_assert_int_eq(check_cert_with(x, ca, NULL, NULL, NULL, NULL), TB_V_VALID);
	/* Without the intermediate the path ends nowhere. */
	ck_assert_int_eq(check_cert_with(x, root, NULL, NULL, NULL, NULL), TB_V_CHAIN_UNTRUSTED);
	X509_free(x);
}
END_TEST

START_TEST(test_path_validity_edges)
{
	spec s = leaf_spec();
	X509 *x;
	tb_verify_result *res = NULL;
	json_t *j;

	pki_setup();
	s.na = T0;	/* RFC 5280: the notAfter second itself is still valid */
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, NULL), TB_V_VALID);
	X509_free(x);
	s.na = T0 - 1;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, &res), TB_V_CERT_EXPIRED);
	j = tb_verify_result_to_json(res, "en");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "message")),
	    "2027-01-15 07:59:59 UTC"));
	json_decref(j);
	tb_verify_result_free(res);
	X509_free(x);
	s = leaf_spec();
	s.nb = T0 + 1;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, NULL), TB_V_CERT_NOT_YET_VALID);
	X509_free(x);
	s.nb = T0;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, NULL), TB_V_VALID);
	X509_free(x);
}
END_TEST

START_TEST(test_path_expired_ca)
{
	spec s;
	X509 *old_ca, *x;
	tb_verify_result *res = NULL;

	pki_setup();
	s = ca_spec(root_key);
	s.na = T0 - DAY;
	old_ca = make_cert(&s);
	s = leaf_spec();
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, old_ca, NULL, NULL, &res), TB_V_CERT_EXPIRED);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "CERT_EXPIRED.ca");
	ck_assert(!has_reason(res, TB_V_CHAIN_UNTRUSTED));
	tb_verify_result_free(res);
	X509_free(x);
	X509_free(old_ca);
}
END_TEST

START_TEST(test_path_key_usage)
{
	spec s = leaf_spec();
	X509 *x;
	tb_verify_policy pol;

	pki_setup();
	s.ku = "critical,keyEncipherment";
	ck_assert_int_eq(check_leaf(&s), TB_V_KEY_USAGE_INVALID);
	s.ku = NULL;
	ck_assert_int_eq(check_leaf(&s), TB_V_KEY_USAGE_INVALID);
	/* An authentication certificate passes unless nonRepudiation is demanded. */
	s.ku = "critical,digitalSignature,keyEncipherment";
	x = make_cert(&s);
	tb_verify_policy_default(&pol);
	ck_assert_int_eq(check_cert_with(x, root, ca, &pol, NULL, NULL), TB_V_VALID);
	pol.require_non_repudiation = 1;
	ck_assert_int_eq(check_cert_with(x, root, ca, &pol, NULL, NULL), TB_V_KEY_USAGE_INVALID);
	X509_free(x);
}
END_TEST

START_TEST(test_path_ca_constraints)
{
	spec s;
	X509 *notca, *sub, *x, *ku_ca;
	EVP_PKEY *sub_key = rsa_key(2048);

	pki_setup();
	/* An issuer without basicConstraints cA. */
	memset(&s, 0, sizeof(s));
	s.cn = "NOT A CA";
	s.key = sub_key;
	s.issuer = root;
	s.issuer_key = root_key;
	s.pathlen = -1;
	s.ku = "critical,keyCertSign";
	notca = make_cert(&s);
	s = leaf_spec();
	s.issuer = notca;
	s.issuer_key = sub_key;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, notca, NULL, NULL, NULL), TB_V_CHAIN_UNTRUSTED);
	X509_free(x);
	/* A CA without keyCertSign. */
	memset(&s, 0, sizeof(s));
	s.cn = "CA NO KCS";
	s.key = sub_key;
	s.issuer = root;
	s.issuer_key = root_key;
	s.ca = 1;
	s.pathlen = -1;
	s.ku = "critical,digitalSignature";
	ku_ca = make_cert(&s);
	s = leaf_spec();
	s.issuer = ku_ca;
	s.issuer_key = sub_key;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ku_ca, NULL, NULL, NULL), TB_V_CHAIN_UNTRUSTED);
	X509_free(x);
	/* pathLen 0 on ca: a CA below it may not issue. */
	memset(&s, 0, sizeof(s));
	s.cn = "SUB CA";
	s.key = sub_key;
	s.issuer = ca;
	s.issuer_key = ca_key;
	s.ca = 1;
	s.pathlen = -1;
	s.ku = "critical,keyCertSign";
	sub = make_cert(&s);
	s = leaf_spec();
	s.issuer = sub;
	s.issuer_key = sub_key;
	x = make_cert(&s);
	{
		tb_trust *t = trust_of(root, ca);
		tb_verify_policy pol;
		tb_verify_request req;
		tb_verify_result *res = NULL;
		size_t len;
		unsigned char *der = cert_der(x, &len);

		ck_assert_int_eq(tb_trust_add_untrusted(t, sub, NULL), 0);
		tb_verify_policy_default(&pol);
		memset(&req, 0, sizeof(req));
		req.input = der;
		req.input_len = len;
		ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, NULL), 0);
		ck_assert_int_eq(res->verdict, TB_V_CHAIN_UNTRUSTED);
		ck_assert_ptr_nonnull(strstr(res->reasons.v[0].detail, "pathLen"));
		ck_assert_int_eq(res->signers[0].path->n, 4);
		tb_verify_result_free(res);
		OPENSSL_free(der);
		tb_trust_free(t);
	}
	X509_free(x);
	X509_free(sub);
	X509_free(ku_ca);
	X509_free(notca);
	EVP_PKEY_free(sub_key);
}
END_TEST

START_TEST(test_path_critical_and_names)
{
	spec s = leaf_spec();
	X509 *nc_ca, *x;
	EVP_PKEY *k = rsa_key(2048);
	tb_verify_policy pol;
	tb_verify_result *res = NULL;

	pki_setup();
	s.unknown_critical = 1;
	ck_assert_int_eq(check_leaf(&s), TB_V_CHAIN_UNTRUSTED);
	/* Name constraints: only mail under example.kz. */
	memset(&s, 0, sizeof(s));
	s.cn = "NC CA";
	s.key = k;
	s.issuer = root;
	s.issuer_key = root_key;
	s.ca = 1;
	s.pathlen = -1;
	s.ku = "critical,keyCertSign";
	s.nc = "critical,permitted;email:example.kz";
	nc_ca = make_cert(&s);
	s = leaf_spec();
	s.issuer = nc_ca;
	s.issuer_key = k;
	s.san = "email:a@example.kz";
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, nc_ca, NULL, NULL, NULL), TB_V_VALID);
	X509_free(x);
	s.san = "email:a@example.com";
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, nc_ca, NULL, NULL, NULL), TB_V_CHAIN_UNTRUSTED);
	X509_free(x);
	/* The comparisons come from the budget: over it, a cut-off, not VALID. */
	s.san = "email:a@example.kz,email:b@example.kz,email:c@example.kz";
	x = make_cert(&s);
	tb_verify_policy_default(&pol);
	ck_assert_int_eq(check_cert_with(x, root, nc_ca, &pol, NULL, NULL), TB_V_VALID);
	pol.budget.max_nc_checks = 3;
	ck_assert_int_eq(check_cert_with(x, root, nc_ca, &pol, NULL, &res), TB_V_CHAIN_UNTRUSTED);
	ck_assert_str_eq(res->reasons.v[res->reasons.n - 1].msg_id, "CHAIN_UNTRUSTED.cut_off");
	ck_assert_int_eq(res->budget.spent, TB_BUDGET_NC_CHECKS);
	tb_verify_result_free(res);
	X509_free(x);
	X509_free(nc_ca);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_path_crypto_floor_and_signatures)
{
	spec s = leaf_spec();
	EVP_PKEY *small = rsa_key(1024), *ec192 = ec_key("prime192v1");
	tb_verify_result *res = NULL;
	X509 *x;

	pki_setup();
	s.md = EVP_sha1();
	ck_assert_int_eq(check_leaf(&s), TB_V_UNSUPPORTED_ALGORITHM);
	s = leaf_spec();
	s.key = small;
	ck_assert_int_eq(check_leaf(&s), TB_V_UNSUPPORTED_ALGORITHM);
	s.key = ec192;
	ck_assert_int_eq(check_leaf(&s), TB_V_UNSUPPORTED_ALGORITHM);
	s = leaf_spec();
	s.key = ec_leaf_key;
	ck_assert_int_eq(check_leaf(&s), TB_V_VALID);
	/* Signed by a key that is not the issuer's. */
	s = leaf_spec();
	s.issuer_key = other_key;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, &res), TB_V_SIGNATURE_INVALID);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "SIGNATURE_INVALID.cert");
	tb_verify_result_free(res);
	X509_free(x);
	/* A non-positive serial (RFC 5280 4.1.2.2). */
	s = leaf_spec();
	s.serial = -5;
	ck_assert_int_eq(check_leaf(&s), TB_V_MALFORMED);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec192);
}
END_TEST

/*
 * Forged links to the trust anchor: certificates whose issuer name and
 * authority key identifier are the anchor's, signed by another key. The
 * link that ends at the anchor is checked like every other one. Each
 * forged certificate is new, so no cached signature can answer for it.
 */
START_TEST(test_path_forged_anchor_link)
{
	spec s = leaf_spec();
	X509 *x, *forged_ca, *good;
	tb_verify_result *res = NULL;

	pki_setup();
	/* A leaf "issued" by the issuing CA configured as the anchor. */
	s.issuer_key = other_key;
	x = make_cert(&s);
	ck_assert_int_eq(check_cert_with(x, ca, NULL, NULL, NULL, &res), TB_V_SIGNATURE_INVALID);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "SIGNATURE_INVALID.cert");
	tb_verify_result_free(res);
	X509_free(x);
	/* An intermediate that names the root and its key, signed by another
	 * key: the leaf below it is genuinely the intermediate's. */
	s = ca_spec(other_key);
	forged_ca = make_cert(&s);
	s = leaf_spec();
	good = make_cert(&s);
	ck_assert_int_eq(check_cert_with(good, root, ca, NULL, NULL, NULL), TB_V_VALID);
	ck_assert_int_eq(check_cert_with(good, root, forged_ca, NULL, NULL, &res),
	    TB_V_SIGNATURE_INVALID);
	tb_verify_result_free(res);
	X509_free(good);
	X509_free(forged_ca);
}
END_TEST

/* The key floor is configurable and holds for the anchor too. */
START_TEST(test_path_floor_configurable_and_anchor)
{
	spec s = leaf_spec();
	EVP_PKEY *small = rsa_key(1024);
	tb_verify_policy pol;
	X509 *weak_root, *x;

	pki_setup();
	s.key = small;
	x = make_cert(&s);
	tb_verify_policy_default(&pol);
	ck_assert_int_eq(check_cert_with(x, root, ca, &pol, NULL, NULL), TB_V_UNSUPPORTED_ALGORITHM);
	pol.min_rsa_bits = 1024;
	ck_assert_int_eq(check_cert_with(x, root, ca, &pol, NULL, NULL), TB_V_VALID);
	X509_free(x);
	/* An RSA-1024 anchor and a leaf it issues directly. */
	s = leaf_spec();
	s.cn = "WEAK ROOT";
	s.key = small;
	s.issuer = NULL;
	s.issuer_key = NULL;
	s.ca = 1;
	s.ku = "critical,keyCertSign,cRLSign";
	s.eku = NULL;
	s.serial_number = NULL;
	weak_root = make_cert(&s);
	s = leaf_spec();
	s.issuer = weak_root;
	s.issuer_key = small;
	x = make_cert(&s);
	tb_verify_policy_default(&pol);
	ck_assert_int_eq(check_cert_with(x, weak_root, NULL, &pol, NULL, NULL),
	    TB_V_UNSUPPORTED_ALGORITHM);
	pol.min_rsa_bits = 1024;
	ck_assert_int_eq(check_cert_with(x, weak_root, NULL, &pol, NULL, NULL), TB_V_VALID);
	X509_free(x);
	X509_free(weak_root);
	EVP_PKEY_free(small);
}
END_TEST

/*
 * RFC 5280 4.1.1.2: the outer signatureAlgorithm must equal the one inside
 * TBSCertificate. Here the outer one is changed to SHA-384 and the TBS
 * signed again with it, so the signature itself verifies under the outer
 * algorithm: only the comparison can refuse the certificate.
 */
START_TEST(test_path_outer_sigalg_differs)
{
	spec s = leaf_spec();
	X509 *x;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *outer;
	unsigned char *tbs = NULL, buf[512];
	size_t sig_len = sizeof(buf);
	int tbs_len;

	pki_setup();
	x = make_cert(&s);
	X509_get0_signature(&sig, &outer, x);
	ck_assert_int_eq(X509_ALGOR_set0((X509_ALGOR *)outer, OBJ_nid2obj(NID_sha384WithRSAEncryption),
	    V_ASN1_NULL, NULL), 1);
	ck_assert_int_gt(tbs_len = i2d_re_X509_tbs(x, &tbs), 0);
	sign_raw(ca_key, EVP_sha384(), 0, tbs, (size_t)tbs_len, buf, &sig_len);
	ck_assert_int_eq(ASN1_BIT_STRING_set((ASN1_BIT_STRING *)sig, buf, (int)sig_len), 1);
	ck_assert_int_eq(check_cert_with(x, root, ca, NULL, NULL, NULL), TB_V_SIGNATURE_INVALID);
	OPENSSL_free(tbs);
	X509_free(x);
}
END_TEST

/*
 * Equivalent issuers never hide a good one: a forged copy of the CA (same
 * subject, key, issuer and key identifiers, signed by another key) offered
 * before the real one, and a re-issued CA signed by a key that is not the
 * anchor's (as after a key rollover), are tried and skipped, and the path
 * through the real CA is found. Many copies cost no more than the budget.
 */
START_TEST(test_path_equivalent_issuers)
{
	spec s, cs;
	X509 *forged, *leaf, *copies[30];
	tb_trust *t;
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	unsigned char *der = NULL;
	int len, i;
	tb_error e;

	pki_setup();
	memset(&cs, 0, sizeof(cs));
	cs.cn = "TEST CA";
	cs.key = ca_key;
	cs.issuer = root;
	cs.issuer_key = other_key;	/* named root, signed by another key */
	cs.ca = 1;
	cs.pathlen = 0;
	cs.ku = "critical,keyCertSign,cRLSign";
	cs.nb = T0 - 300 * DAY;
	cs.na = T0 + 2000 * DAY;
	forged = make_cert(&cs);
	s = leaf_spec();
	leaf = make_cert(&s);
	t = tb_trust_new();
	ck_assert_int_eq(tb_trust_add_anchor(t, root, NULL), 0);
	ck_assert_int_eq(tb_trust_add_untrusted(t, forged, NULL), 0);
	for (i = 0; i < 30; i++) {
		cs.serial = 5000 + i;
		copies[i] = make_cert(&cs);
		ck_assert_int_eq(tb_trust_add_untrusted(t, copies[i], NULL), 0);
	}
	ck_assert_int_eq(tb_trust_add_untrusted(t, ca, NULL), 0);
	tb_verify_policy_default(&pol);
	pol.budget.max_sig_checks = 1000;
	memset(&req, 0, sizeof(req));
	ck_assert((len = i2d_X509(leaf, &der)) > 0);
	req.input = der;
	req.input_len = (size_t)len;
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, &e), 0);
	ck_assert_msg(res->verdict == TB_V_VALID, "verdict %d: %s", res->verdict,
	    res->reasons.n ? res->reasons.v[0].detail : "");
	ck_assert_int_eq(res->signers[0].path->n, 3);
	ck_assert_ptr_eq(res->signers[0].path->certs[1], ca);
	tb_verify_result_free(res);
	OPENSSL_free(der);
	tb_trust_free(t);
	for (i = 0; i < 30; i++)
		X509_free(copies[i]);
	X509_free(forged);
	X509_free(leaf);
}
END_TEST

/* The budget's arithmetic: limits, the first limit reached stays, defaults. */
START_TEST(test_budget_limits)
{
	tb_verify_budget b;
	tb_budget_limits lim;

	memset(&lim, 0, sizeof(lim));
	lim.max_sig_checks = 3;
	lim.max_candidates = 5;
	tb_verify_budget_start(&b, &lim);
	ck_assert_uint_eq(b.lim.max_nc_checks, TB_BUDGET_DEFAULT_NC_CHECKS);
	ck_assert_int_eq((int)b.lim.max_time_ms, (int)TB_BUDGET_DEFAULT_TIME_MS);
	ck_assert_int_eq(tb_verify_budget_take(&b, TB_BUDGET_SIG_CHECKS, 3), 0);
	ck_assert_int_eq(tb_verify_budget_take(&b, TB_BUDGET_CANDIDATES, 1), 0);
	ck_assert_int_eq(b.spent, TB_BUDGET_NONE);
	ck_assert_int_eq(tb_verify_budget_take(&b, TB_BUDGET_SIG_CHECKS, 1), -1);
	ck_assert_int_eq(b.spent, TB_BUDGET_SIG_CHECKS);
	ck_assert_uint_eq(b.sig_checks, 3);
	/* Once spent, everything is refused and the first cause stays. */
	ck_assert_int_eq(tb_verify_budget_take(&b, TB_BUDGET_CANDIDATES, 1), -1);
	ck_assert_int_eq(b.spent, TB_BUDGET_SIG_CHECKS);
	ck_assert(tb_verify_budget_over(&b));
	ck_assert_str_eq(tb_verify_budget_setting(b.spent), "max_signature_checks");
	/* A huge request cannot wrap the counter. */
	tb_verify_budget_start(&b, &lim);
	ck_assert_int_eq(tb_verify_budget_take(&b, TB_BUDGET_NC_CHECKS, 4000000000u), -1);
	ck_assert_int_eq(b.spent, TB_BUDGET_NC_CHECKS);
	/* A deadline already passed. */
	lim.max_time_ms = 1;
	tb_verify_budget_start(&b, &lim);
	b.deadline.tv_sec -= 10;
	ck_assert_int_eq(tb_verify_budget_ms_left(&b), 0);
	ck_assert_int_eq(tb_verify_budget_take(&b, TB_BUDGET_CANDIDATES, 1), -1);
	ck_assert_int_eq(b.spent, TB_BUDGET_TIME);
	/* The thread's current budget, for fetches. */
	ck_assert_ptr_null(tb_verify_budget_current());
	tb_verify_budget_set_current(&b);
	ck_assert_ptr_eq(tb_verify_budget_current(), &b);
	tb_verify_budget_set_current(NULL);
}
END_TEST

/*
 * A revocation checker with a fixed answer, to see the wiring. With
 * fixed_rc set it fails, after writing "good" into its answer.
 */
static enum tb_rev_status fixed_status;
static int fixed_rc;

static int
fixed_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out, tb_error *err)
{
	out->status = fixed_status;
	if (fixed_rc != 0)
		return tb_error_set(err, fixed_rc, "revocation source unreachable");
	out->revoked_at = T0 - DAY;
	out->reason = 1;
	snprintf(out->source, sizeof(out->source), "crl");
	return 0;
}

START_TEST(test_path_revocation_hook)
{
	spec s = leaf_spec();
	X509 *x;
	tb_trust *t;
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_rev_checker hook = { fixed_check, NULL };
	unsigned char *der;
	size_t len;
	json_t *j;
	char *dump;

	pki_setup();
	x = make_cert(&s);
	der = cert_der(x, &len);
	t = trust_of(root, ca);
	tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = len;
	fixed_status = TB_REV_GOOD;
	ck_assert_int_eq(tb_verify_cert(t, &pol, &hook, &req, &res, NULL), 0);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	j = tb_verify_result_to_json(res, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(j,
	    "certificate"), "revocation"), "status")), "good");
	json_decref(j);
	tb_verify_result_free(res);
	fixed_status = TB_REV_UNKNOWN;
	ck_assert_int_eq(tb_verify_cert(t, &pol, &hook, &req, &res, NULL), 0);
	ck_assert_int_eq(res->verdict, TB_V_REVOCATION_UNKNOWN);
	tb_verify_result_free(res);
	/* A checker that fails says nothing, whatever it left in its answer. */
	fixed_status = TB_REV_GOOD;
	fixed_rc = TB_ERR_IO;
	ck_assert_int_eq(tb_verify_cert(t, &pol, &hook, &req, &res, NULL), 0);
	fixed_rc = 0;
	ck_assert_int_eq(res->verdict, TB_V_REVOCATION_UNKNOWN);
	tb_verify_result_free(res);
	fixed_status = TB_REV_REVOKED;
	ck_assert_int_eq(tb_verify_cert(t, &pol, &hook, &req, &res, NULL), 0);
	ck_assert_int_eq(res->verdict, TB_V_CERT_REVOKED);
	j = tb_verify_result_to_json(res, "kk");
	dump = json_dumps(j, 0);
	ck_assert_ptr_nonnull(strstr(dump, "кілттің құпиялығы бұзылған"));
	free(dump);
	json_decref(j);
	tb_verify_result_free(res);
	/* Without a checker: not checked, and said so. */
	ck_assert_int_eq(tb_verify_cert(t, &pol, NULL, &req, &res, NULL), 0);
	j = tb_verify_result_to_json(res, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(j,
	    "certificate"), "revocation"), "status")), "not_checked");
	json_decref(j);
	tb_verify_result_free(res);
	tb_trust_free(t);
	OPENSSL_free(der);
	X509_free(x);
}
END_TEST

/* ---- CMS ---- */

static const char doc[] = "Анықтама: Әбілқасым Ғалымжан, Қостанай, Өскемен, Ұлытау, Үржар, Һ, І.";

static unsigned char *
cms_make(EVP_PKEY *k, X509 *cert, STACK_OF(X509) *chain, const char *data, size_t len,
    unsigned flags, const EVP_MD *md, size_t *out_len)
{
	BIO *in = BIO_new_mem_buf(data, (int)len);
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	int n;

	cms = CMS_sign(NULL, NULL, chain, in, flags | CMS_BINARY | CMS_PARTIAL);
	ck_assert(cms != NULL);
	ck_assert(CMS_add1_signer(cms, cert, k, md ? md : EVP_sha256(), flags) != NULL);
	ck_assert(CMS_final(cms, in, NULL, flags | CMS_BINARY) == 1);
	n = i2d_CMS_ContentInfo(cms, &der);
	ck_assert(n > 0);
	*out_len = (size_t)n;
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return der;
}

static tb_verify_result *
cms_check(const unsigned char *der, size_t len, const char *content, size_t content_len,
    const tb_verify_policy *pol_in, const char *iin, int *rc)
{
	tb_trust *t = trust_of(root, ca);
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_error e;

	if (pol_in != NULL)
		pol = *pol_in;
	else
		tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = len;
	req.content = (const unsigned char *)content;
	req.content_len = content_len;
	req.iin = iin;
	*rc = tb_verify_cms(t, &pol, NULL, &req, &res, &e);
	tb_trust_free(t);
	return res;
}

static enum tb_verdict
cms_verdict(const unsigned char *der, size_t len, const char *content, size_t content_len)
{
	int rc;
	tb_verify_result *res = cms_check(der, len, content, content_len, NULL, NULL, &rc);
	enum tb_verdict v;

	ck_assert_int_eq(rc, 0);
	v = res->verdict;
	tb_verify_result_free(res);
	return v;
}

/*
 * A messageDigest attribute of another length than the digest is a
 * mismatch, even when it is the digest's first half: signed attributes
 * made by hand (contentType, messageDigest) and signed, detached content.
 */
static unsigned char *
cms_with_md_attr(const unsigned char *md, int md_len, size_t *out_len)
{
	spec s = leaf_spec();
	X509 *cert = make_cert(&s);
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	unsigned char *der = NULL;
	unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_DETACHED | CMS_NOSMIMECAP;
	int n;

	ck_assert_ptr_nonnull(cms = CMS_sign(NULL, NULL, NULL, NULL, flags));
	ck_assert_ptr_nonnull(si = CMS_add1_signer(cms, cert, leaf_key, EVP_sha256(), flags));
	ck_assert_int_eq(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_pkcs7_data), -1), 1);
	ck_assert_int_eq(CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest,
	    V_ASN1_OCTET_STRING, md, md_len), 1);
	ck_assert_int_eq(CMS_SignerInfo_sign(si), 1);
	ck_assert_int_gt(n = i2d_CMS_ContentInfo(cms, &der), 0);
	*out_len = (size_t)n;
	CMS_ContentInfo_free(cms);
	X509_free(cert);
	return der;
}

START_TEST(test_cms_message_digest_length)
{
	unsigned char md[32], *der;
	unsigned int md_len = 0;
	size_t len;

	pki_setup();
	ck_assert_int_eq(EVP_Digest(doc, sizeof(doc) - 1, md, &md_len, EVP_sha256(), NULL), 1);
	der = cms_with_md_attr(md, (int)md_len, &len);
	ck_assert_int_eq(cms_verdict(der, len, doc, sizeof(doc) - 1), TB_V_VALID);
	OPENSSL_free(der);
	der = cms_with_md_attr(md, 16, &len);
	ck_assert_int_eq(cms_verdict(der, len, doc, sizeof(doc) - 1), TB_V_DIGEST_MISMATCH);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_cms_forms)
{
	spec s = leaf_spec();
	X509 *rsa_cert, *ec_cert;
	unsigned char *der;
	size_t len, i;
	char tampered[sizeof(doc)];
	struct { int ec; unsigned flags; } forms[] = {
		{ 0, 0 }, { 0, CMS_DETACHED }, { 0, CMS_NOATTR }, { 0, CMS_NOATTR | CMS_DETACHED },
		{ 1, 0 }, { 1, CMS_DETACHED }, { 1, CMS_NOATTR },
	};

	pki_setup();
	rsa_cert = make_cert(&s);
	s.key = ec_leaf_key;
	ec_cert = make_cert(&s);
	memcpy(tampered, doc, sizeof(doc));
	tampered[3] ^= 0x01;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		int det = (forms[i].flags & CMS_DETACHED) != 0;
		int noattr = (forms[i].flags & CMS_NOATTR) != 0;

		der = cms_make(forms[i].ec ? ec_leaf_key : leaf_key, forms[i].ec ? ec_cert : rsa_cert,
		    NULL, doc, sizeof(doc) - 1, forms[i].flags, NULL, &len);
		ck_assert_msg(cms_verdict(der, len, det ? doc : NULL, det ? sizeof(doc) - 1 : 0)
		    == TB_V_VALID, "form %zu", i);
		/* One byte changed in the content. */
		ck_assert_int_eq(cms_verdict(der, len, tampered, sizeof(doc) - 1),
		    noattr ? TB_V_SIGNATURE_INVALID : TB_V_DIGEST_MISMATCH);
		/* One byte changed in the signature value (the last bytes of the DER). */
		der[len - 5] ^= 0x01;
		ck_assert_msg(cms_verdict(der, len, det ? doc : NULL, det ? sizeof(doc) - 1 : 0)
		    != TB_V_VALID, "form %zu with a broken signature", i);
		OPENSSL_free(der);
	}
	X509_free(rsa_cert);
	X509_free(ec_cert);
}
END_TEST

START_TEST(test_cms_several_signers)
{
	spec s = leaf_spec();
	X509 *c1, *c2;
	BIO *in;
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	int n, rc;
	tb_verify_result *res;

	pki_setup();
	c1 = make_cert(&s);
	s.key = ec_leaf_key;
	s.serial_number = "IIN850502400349";
	s.cn = "СЕРІКОВА АЙГҮЛ";
	c2 = make_cert(&s);
	in = BIO_new_mem_buf(doc, (int)sizeof(doc) - 1);
	cms = CMS_sign(NULL, NULL, NULL, in, CMS_BINARY | CMS_PARTIAL);
	ck_assert(CMS_add1_signer(cms, c1, leaf_key, EVP_sha256(), 0) != NULL);
	ck_assert(CMS_add1_signer(cms, c2, ec_leaf_key, EVP_sha384(), 0) != NULL);
	ck_assert(CMS_final(cms, in, NULL, CMS_BINARY) == 1);
	n = i2d_CMS_ContentInfo(cms, &der);
	res = cms_check(der, (size_t)n, NULL, 0, NULL, "850502400349", &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	ck_assert_int_eq(res->n_signers, 2);
	/* SignerInfos is a SET OF: DER may reorder the signers. */
	n = strcmp(res->signers[0].id.iin, "850502400349") == 0 ? 0 : 1;
	ck_assert_str_eq(res->signers[n].id.iin, "850502400349");
	ck_assert_str_eq(res->signers[n].alg.name, "ecdsa-sha384");
	ck_assert_str_eq(res->signers[1 - n].alg.name, "rsa-pkcs1-sha256");
	n = i2d_CMS_ContentInfo(cms, NULL);
	tb_verify_result_free(res);
	res = cms_check(der, (size_t)n, NULL, 0, NULL, "980101300120", &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(res->verdict, TB_V_IDENTITY_MISMATCH);
	tb_verify_result_free(res);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	X509_free(c1);
	X509_free(c2);
}
END_TEST

/*
 * Six signers under one budget that the first one's path spends: the others
 * are refused as cut off without their content digest and signature being
 * worked on (each costs a pass over up to a frame of content), never VALID.
 */
START_TEST(test_cms_signers_after_budget)
{
	spec s = leaf_spec();
	X509 *c[6];
	BIO *in;
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	int n, rc, i, checked = 0, cut = 0;
	size_t k;
	tb_verify_policy pol;
	tb_verify_result *res;

	pki_setup();
	in = BIO_new_mem_buf(doc, (int)sizeof(doc) - 1);
	cms = CMS_sign(NULL, NULL, NULL, in, CMS_BINARY | CMS_PARTIAL);
	for (i = 0; i < 6; i++) {
		s.serial = 7000 + i;
		c[i] = make_cert(&s);
		ck_assert(CMS_add1_signer(cms, c[i], leaf_key, EVP_sha256(), 0) != NULL);
	}
	ck_assert(CMS_final(cms, in, NULL, CMS_BINARY) == 1);
	n = i2d_CMS_ContentInfo(cms, &der);
	/* all six verify with the default budget */
	res = cms_check(der, (size_t)n, NULL, 0, NULL, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	tb_verify_result_free(res);
	/* a path is two signature checks: the first signer spends them all */
	tb_verify_policy_default(&pol);
	pol.budget.max_sig_checks = 2;
	res = cms_check(der, (size_t)n, NULL, 0, &pol, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_ne(res->verdict, TB_V_VALID);
	ck_assert_int_eq(res->n_signers, 6);
	for (i = 0; i < 6; i++)
		checked += res->signers[i].alg.name[0] != '\0';
	for (k = 0; k < res->reasons.n; k++)
		cut += strcmp(res->reasons.v[k].msg_id, "CHAIN_UNTRUSTED.cut_off") == 0 &&
		    strstr(res->reasons.v[k].detail, "signer not checked") != NULL;
	ck_assert_int_le(checked, 2);
	ck_assert_int_ge(cut, 4);
	tb_verify_result_free(res);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	for (i = 0; i < 6; i++)
		X509_free(c[i]);
}
END_TEST

/*
 * A CMS carrying a flood of certificates: each would be parsed before any
 * budget runs, so more than 256 are refused on a count made before parsing,
 * in DER and in BER (streamed, indefinite lengths); 100 more than needed
 * still verify.
 */
static enum tb_verdict
cms_with_extra_certs(X509 *signer, STACK_OF(X509) *extra, int n, int ber,
    tb_verify_result **keep)
{
	unsigned flags = CMS_BINARY | CMS_PARTIAL | (ber ? CMS_STREAM : 0);
	BIO *in = BIO_new_mem_buf(doc, (int)sizeof(doc) - 1), *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, in, flags);
	unsigned char *der = NULL;
	BUF_MEM *mem;
	int i, len, rc;

	ck_assert(CMS_add1_signer(cms, signer, leaf_key, EVP_sha256(), 0) != NULL);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(CMS_add1_cert(cms, sk_X509_value(extra, i)), 1);
	if (ber) {
		/* streamed: indefinite lengths, the BER shape split_certs does not take */
		ck_assert_int_eq(i2d_CMS_bio_stream(out, cms, in, flags), 1);
		BIO_get_mem_ptr(out, &mem);
		ck_assert_uint_eq((unsigned char)mem->data[1], 0x80);
		*keep = cms_check((unsigned char *)mem->data, mem->length, NULL, 0, NULL, NULL,
		    &rc);
	} else {
		ck_assert(CMS_final(cms, in, NULL, CMS_BINARY) == 1);
		len = i2d_CMS_ContentInfo(cms, &der);
		*keep = cms_check(der, (size_t)len, NULL, 0, NULL, NULL, &rc);
	}
	ck_assert_int_eq(rc, 0);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	return (*keep)->verdict;
}

START_TEST(test_cms_cert_flood)
{
	spec s = leaf_spec();
	STACK_OF(X509) *extra = sk_X509_new_null();
	tb_verify_result *res;
	X509 *signer;
	int i, ber;

	pki_setup();
	signer = make_cert(&s);
	for (i = 0; i < 300; i++) {
		s.serial = 20000 + i;
		ck_assert(sk_X509_push(extra, make_cert(&s)) > 0);
	}
	for (ber = 0; ber < 2; ber++) {
		ck_assert_int_eq(cms_with_extra_certs(signer, extra, 100, ber, &res), TB_V_VALID);
		tb_verify_result_free(res);
		ck_assert_int_eq(cms_with_extra_certs(signer, extra, 300, ber, &res),
		    TB_V_MALFORMED);
		ck_assert_uint_eq(res->reasons.n, 1);
		ck_assert_ptr_nonnull(strstr(res->reasons.v[0].detail,
		    "more certificates than tanba accepts"));
		tb_verify_result_free(res);
	}
	sk_X509_pop_free(extra, X509_free);
	X509_free(signer);
}
END_TEST

START_TEST(test_cms_sha1_switch_and_signing_time)
{
	spec s = leaf_spec();
	X509 *c;
	unsigned char *der;
	size_t len;
	int rc;
	tb_verify_policy pol;
	tb_verify_result *res;
	json_t *j;

	pki_setup();
	c = make_cert(&s);
	der = cms_make(leaf_key, c, NULL, doc, sizeof(doc) - 1, 0, EVP_sha1(), &len);
	ck_assert_int_eq(cms_verdict(der, len, NULL, 0), TB_V_UNSUPPORTED_ALGORITHM);
	tb_verify_policy_default(&pol);
	pol.allow_sha1 = 1;
	res = cms_check(der, len, NULL, 0, &pol, NULL, &rc);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	/* signingTime (CMS_sign puts the real time in): reported, and used when asked. */
	ck_assert(res->signers[0].has_signing_time);
	ck_assert_int_eq(res->eval_at_signing_time, 0);
	tb_verify_result_free(res);
	pol.use_signing_time = 1;
	res = cms_check(der, len, NULL, 0, &pol, NULL, &rc);
	ck_assert_int_eq(res->eval_at_signing_time, 1);
	ck_assert(res->eval_time == res->signers[0].signing_time);
	j = tb_verify_result_to_json(res, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "time_source")), "signing_time");
	json_decref(j);
	tb_verify_result_free(res);
	OPENSSL_free(der);
	X509_free(c);
}
END_TEST

START_TEST(test_cms_malformed)
{
	spec s = leaf_spec();
	X509 *c;
	unsigned char *der, *cd, *big, *nest;
	size_t len, clen, i, big_len = 50u * 1024 * 1024, depth = 100000;
	int rc;
	tb_verify_result *res;

	pki_setup();
	c = make_cert(&s);
	der = cms_make(leaf_key, c, NULL, doc, sizeof(doc) - 1, 0, NULL, &len);
	/* Truncated at many points. */
	for (i = 1; i < len; i += len / 23 + 1)
		ck_assert_int_eq(cms_verdict(der, i, NULL, 0), TB_V_MALFORMED);
	/* Bytes after the structure. */
	{
		unsigned char *more = malloc(len + 3);

		memcpy(more, der, len);
		memcpy(more + len, "abc", 3);
		ck_assert_int_eq(cms_verdict(more, len + 3, NULL, 0), TB_V_MALFORMED);
		free(more);
	}
	/* Garbage, text, a certificate where a CMS belongs. */
	ck_assert_int_eq(cms_verdict((const unsigned char *)"garbage!", 8, NULL, 0), TB_V_MALFORMED);
	ck_assert_int_eq(cms_verdict((const unsigned char *)"-----BEGIN CMS-----\nAAA\n", 24, NULL, 0),
	    TB_V_MALFORMED);
	cd = cert_der(c, &clen);
	ck_assert_int_eq(cms_verdict(cd, clen, NULL, 0), TB_V_MALFORMED);
	OPENSSL_free(cd);
	/* 50 MB of random bytes, starting like a SEQUENCE to get past the first byte. */
	big = malloc(big_len);
	ck_assert(RAND_bytes(big, (int)big_len) == 1);
	big[0] = 0x30;
	big[1] = 0x84;
	ck_assert_int_eq(cms_verdict(big, big_len, NULL, 0), TB_V_MALFORMED);
	free(big);
	/* Deeply nested constructed ASN.1: 30 80 30 80 ... (indefinite lengths). */
	nest = malloc(depth * 2);
	for (i = 0; i < depth; i++) {
		nest[2 * i] = 0x30;
		nest[2 * i + 1] = 0x80;
	}
	ck_assert_int_eq(cms_verdict(nest, depth * 2, NULL, 0), TB_V_MALFORMED);
	free(nest);
	/* Detached without content is the caller's mistake. */
	OPENSSL_free(der);
	der = cms_make(leaf_key, c, NULL, doc, sizeof(doc) - 1, CMS_DETACHED, NULL, &len);
	res = cms_check(der, len, NULL, 0, NULL, NULL, &rc);
	ck_assert_int_eq(rc, TB_ERR_INVALID_ARG);
	ck_assert_ptr_null(res);
	/* A signer whose certificate is neither in the CMS nor given. */
	OPENSSL_free(der);
	der = cms_make(leaf_key, c, NULL, doc, sizeof(doc) - 1, CMS_NOCERTS, NULL, &len);
	ck_assert_int_eq(cms_verdict(der, len, NULL, 0), TB_V_MALFORMED);
	OPENSSL_free(der);
	X509_free(c);
}
END_TEST

START_TEST(test_cms_json_unicode)
{
	spec s = leaf_spec();
	X509 *c;
	unsigned char *der;
	size_t len, i;
	int rc;
	tb_verify_result *res;
	json_t *j;
	char *dump;
	static const char *letters[] = { "Ә", "Ғ", "Қ", "Ң", "Ө", "Ұ", "Ү", "Һ", "І" };

	pki_setup();
	c = make_cert(&s);
	der = cms_make(leaf_key, c, NULL, doc, sizeof(doc) - 1, 0, NULL, &len);
	res = cms_check(der, len, NULL, 0, NULL, "900101300126", &rc);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	j = tb_verify_result_to_json(res, NULL);
	dump = json_dumps(j, 0);	/* UTF-8 out, not \u escapes */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(j,
	    "signer"), "identity"), "common_name")), "ҚАСЫМОВ ӘЛИХАН ҒҢӨҰҮҺІ");
	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		ck_assert_msg(strstr(dump, letters[i]) != NULL, "%s lost", letters[i]);
	ck_assert_ptr_nonnull(strstr(dump, "\"message\": {\"kk\": \"Қолтаңба жарамды.\""));
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(j, "signer"), "chain")), 3);
	free(dump);
	json_decref(j);
	tb_verify_result_free(res);
	OPENSSL_free(der);
	X509_free(c);
}
END_TEST

static Suite *
verify_suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("all");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_iin_checksum);
	tcase_add_test(tc, test_identity_nca_subject);
	tcase_add_test(tc, test_identity_demands);
	tcase_add_test(tc, test_identity_cert_checksum_switch);
	tcase_add_test(tc, test_identity_iin_absent);
	tcase_add_test(tc, test_catalogue_complete);
	tcase_add_test(tc, test_message_params);
	tcase_add_test(tc, test_sigalg_good_and_tampered);
	tcase_add_test(tc, test_sigalg_unsupported);
	tcase_add_test(tc, test_path_valid_and_anchor_choices);
	tcase_add_test(tc, test_path_validity_edges);
	tcase_add_test(tc, test_path_expired_ca);
	tcase_add_test(tc, test_path_key_usage);
	tcase_add_test(tc, test_path_ca_constraints);
	tcase_add_test(tc, test_path_critical_and_names);
	tcase_add_test(tc, test_path_crypto_floor_and_signatures);
	tcase_add_test(tc, test_path_forged_anchor_link);
	tcase_add_test(tc, test_path_outer_sigalg_differs);
	tcase_add_test(tc, test_path_floor_configurable_and_anchor);
	tcase_add_test(tc, test_budget_limits);
	tcase_add_test(tc, test_path_equivalent_issuers);
	tcase_add_test(tc, test_path_revocation_hook);
	tcase_add_test(tc, test_cms_forms);
	tcase_add_test(tc, test_cms_message_digest_length);
	tcase_add_test(tc, test_cms_several_signers);
	tcase_add_test(tc, test_cms_signers_after_budget);
	tcase_add_test(tc, test_cert_bundle_count);
	tcase_add_test(tc, test_cms_cert_flood);
	tcase_add_test(tc, test_cms_sha1_switch_and_signing_time);
	tcase_add_test(tc, test_cms_malformed);
	tcase_add_test(tc, test_cms_json_unicode);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* One process: the PKI is made once and shared by the tests. */
	return tbt_run_forked(verify_suite(), CK_NORMAL, CK_NOFORK);
}
