/*
 * Unit tests of the DER reader, the CRL index and the CRL checks, on CRLs
 * made here with OpenSSL: lookups, every truncation and every flipped
 * byte of a signed CRL, issuer/signature/time checks, delta rules
 * (RFC 5280 5.2.4) and the atomic disk copy.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "crl.h"
#include "crl_disk.h"
#include "crl_index.h"
#include "crl_scope.h"
#include "der_reader.h"
#include "tb_clock.h"
#include "tb_file.h"

/* ---- DER reader ---- */

START_TEST(der_bounds)
{
	static const unsigned char ok[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	static const unsigned char longer[] = { 0x30, 0x04, 0x02, 0x01, 0x05 };
	static const unsigned char indef[] = { 0x30, 0x80, 0x00, 0x00 };
	static const unsigned char hightag[] = { 0x1f, 0x81, 0x01, 0x00 };
	static const unsigned char nonmin[] = { 0x04, 0x81, 0x01, 0x00 };
	static const unsigned char huge[] = { 0x04, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x00 };
	static const unsigned char cut[] = { 0x04, 0x82, 0x01 };
	tb_der d, c;
	uint64_t v;
	unsigned char tag;

	tb_der_init(&d, ok, sizeof(ok));
	ck_assert_int_eq(tb_der_expect(&d, TB_DER_SEQUENCE, &c, NULL), 0);
	ck_assert(tb_der_empty(&d));
	ck_assert_int_eq(tb_der_expect(&c, TB_DER_OCTET_STRING, NULL, NULL), TB_ERR_MALFORMED);
	ck_assert_int_eq(tb_der_next(&c, &tag, &d, NULL), 0);
	ck_assert_int_eq(tb_der_uint(&d, &v), 0);
	ck_assert_int_eq(v, 5);
	ck_assert_int_eq(tb_der_next(&c, &tag, NULL, NULL), TB_ERR_MALFORMED);
#define BAD(a) do { tb_der_init(&d, a, sizeof(a)); \
	ck_assert_int_eq(tb_der_next(&d, &tag, &c, NULL), TB_ERR_MALFORMED); \
	ck_assert_int_eq(d.len, sizeof(a)); } while (0)
	BAD(longer);
	BAD(indef);
	BAD(hightag);
	BAD(nonmin);
	BAD(huge);
	BAD(cut);
#undef BAD
}
END_TEST

START_TEST(der_times)
{
	tb_der c;
	time_t t;

#define T(tag, s, want) do { tb_der_init(&c, (const unsigned char *)s, strlen(s)); \
	ck_assert_int_eq(tb_der_time(tag, &c, &t), (want)); } while (0)
	T(TB_DER_UTCTIME, "700101000000Z", 0);
	ck_assert_int_eq(t, 0);
	T(TB_DER_UTCTIME, "491231235959Z", 0);
	ck_assert_int_eq(t, 2524607999);	/* 2049-12-31T23:59:59Z */
	T(TB_DER_GENTIME, "20240229120000Z", 0);
	ck_assert_int_eq(t, 1709208000);
	T(TB_DER_GENTIME, "20230229120000Z", TB_ERR_MALFORMED);
	T(TB_DER_UTCTIME, "7001010000Z", TB_ERR_MALFORMED);
	T(TB_DER_UTCTIME, "700101000000+0100", TB_ERR_MALFORMED);
	T(TB_DER_GENTIME, "20241301000000Z", TB_ERR_MALFORMED);
	T(TB_DER_GENTIME, "2024010100000aZ", TB_ERR_MALFORMED);
	T(TB_DER_OCTET_STRING, "20240101000000Z", TB_ERR_MALFORMED);
#undef T
}
END_TEST

/* ---- CRLs made here ---- */

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	ck_assert_ptr_nonnull(k);
	return k;
}

static X509 *
mk_ca(EVP_PKEY *k, const char *cn, int crl_sign)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400 * 365);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
	    crl_sign ? "critical,keyCertSign,cRLSign" : "critical,keyCertSign");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	return x;
}

typedef struct ent {
	long serial;
	time_t when;
	int reason;
} ent;

typedef struct crlspec {
	time_t this_update, next_update;	/* next 0: absent */
	long number, base;			/* -1: absent */
	int unknown_critical, cert_issuer;
	int number_critical;			/* cRLNumber marked critical */
	int indirect;				/* issuingDistributionPoint indirectCRL */
	const X509_NAME *entry_issuer;		/* certificateIssuer on entry entry_issuer_at */
	size_t entry_issuer_at;
} crlspec;

static unsigned char *
mk_crl(EVP_PKEY *k, X509 *ca, const ent *e, size_t n, const crlspec *sp, size_t *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	unsigned char *der = NULL;
	size_t i;
	int l;

	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = ASN1_TIME_set(NULL, sp->this_update);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_free(t);
	if (sp->next_update) {
		t = ASN1_TIME_set(NULL, sp->next_update);
		X509_CRL_set1_nextUpdate(crl, t);
		ASN1_TIME_free(t);
	}
	for (i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, e[i].serial);
		X509_REVOKED_set_serialNumber(r, s);
		ASN1_INTEGER_free(s);
		t = ASN1_TIME_set(NULL, e[i].when);
		X509_REVOKED_set_revocationDate(r, t);
		ASN1_TIME_free(t);
		if (e[i].reason >= 0) {
			ASN1_ENUMERATED *en = ASN1_ENUMERATED_new();

			ASN1_ENUMERATED_set(en, e[i].reason);
			X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, en, 0, 0);
			ASN1_ENUMERATED_free(en);
		}
		if (sp->cert_issuer && i == 0) {
			GENERAL_NAMES *gns = GENERAL_NAMES_new();
			GENERAL_NAME *gn = GENERAL_NAME_new();

			GENERAL_NAME_set0_value(gn, GEN_DIRNAME,
			    X509_NAME_dup(X509_get_subject_name(ca)));
			sk_GENERAL_NAME_push(gns, gn);
			X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, gns, 1, 0);
			GENERAL_NAMES_free(gns);
		}
		if (sp->entry_issuer != NULL && i == sp->entry_issuer_at) {
			GENERAL_NAMES *gns = GENERAL_NAMES_new();
			GENERAL_NAME *gn = GENERAL_NAME_new();

			GENERAL_NAME_set0_value(gn, GEN_DIRNAME, X509_NAME_dup(sp->entry_issuer));
			sk_GENERAL_NAME_push(gns, gn);
			X509_REVOKED_add1_ext_i2d(r, NID_certificate_issuer, gns, 1, 0);
			GENERAL_NAMES_free(gns);
		}
		X509_CRL_add0_revoked(crl, r);
	}
	if (sp->indirect) {
		ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();

		idp->indirectCRL = 1;
		X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0);
		ISSUING_DIST_POINT_free(idp);
	}
	if (sp->number >= 0) {
		ASN1_INTEGER *num = ASN1_INTEGER_new();

		ASN1_INTEGER_set(num, sp->number);
		X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, sp->number_critical, 0);
		ASN1_INTEGER_free(num);
	}
	if (sp->base >= 0) {
		ASN1_INTEGER *num = ASN1_INTEGER_new();

		ASN1_INTEGER_set(num, sp->base);
		X509_CRL_add1_ext_i2d(crl, NID_delta_crl, num, 1, 0);
		ASN1_INTEGER_free(num);
	}
	if (sp->unknown_critical) {
		ASN1_OBJECT *o = OBJ_txt2obj("1.2.3.4.5", 1);
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		X509_EXTENSION *x;

		ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2);
		x = X509_EXTENSION_create_by_OBJ(NULL, o, 1, v);
		X509_CRL_add_ext(crl, x, -1);
		X509_EXTENSION_free(x);
		ASN1_OCTET_STRING_free(v);
		ASN1_OBJECT_free(o);
	}
	ck_assert_int_gt(X509_CRL_sign(crl, k, EVP_sha256()), 0);
	l = i2d_X509_CRL(crl, &der);
	ck_assert_int_gt(l, 0);
	X509_CRL_free(crl);
	*len = (size_t)l;
	return der;
}

static crlspec
spec(long number, long base)
{
	crlspec s;

	memset(&s, 0, sizeof(s));
	s.this_update = tb_clock_now() - 600;
	s.next_update = tb_clock_now() + 86400;
	s.number = number;
	s.base = base;
	return s;
}

static size_t
serial_bytes(long v, unsigned char *b)
{
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	unsigned char *der = NULL;
	tb_der d, c;
	int n;

	ASN1_INTEGER_set(s, v);
	n = i2d_ASN1_INTEGER(s, &der);
	tb_der_init(&d, der, (size_t)n);
	ck_assert_int_eq(tb_der_expect(&d, TB_DER_INTEGER, &c, NULL), 0);
	memcpy(b, c.p, c.len);
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	return c.len;
}

static tb_crl_policy
pol_now(void)
{
	tb_crl_policy p = { tb_clock_now(), 300, 0, 0 };

	return p;
}

START_TEST(index_lookup)
{
	EVP_PKEY *k = ec_key();
	X509 *ca = mk_ca(k, "Index CA", 1);
	enum { N = 2000 };
	ent *e = calloc(N, sizeof(*e));
	crlspec sp = spec(7, -1);
	unsigned char *der, sb[32];
	size_t len, i, sl;
	tb_crl_index *ix = NULL;
	tb_crl_parts parts;
	tb_error err;
	time_t when;
	int reason;

	/* Serials out of order and of many sizes: the index must sort. */
	for (i = 0; i < N; i++) {
		e[i].serial = (long)((i * 7919u) % 100003u) * 1000003L + 1;
		e[i].when = 1700000000 + (time_t)i;
		e[i].reason = (int)(i % 3 == 0 ? -1 : (i % 3 == 1 ? 1 : 6));
	}
	der = mk_crl(k, ca, e, N, &sp, &len);
	ck_assert_msg(tb_crl_index_build(der, len, 0, &ix, &parts, &err) == 0, "%s", err.detail);
	ck_assert_int_eq(tb_crl_index_info(ix)->entries, N);
	ck_assert_int_eq(tb_crl_index_info(ix)->has_number, 1);
	ck_assert_int_eq(tb_crl_index_info(ix)->number[0], 7);
	ck_assert_int_eq(tb_crl_index_info(ix)->is_delta, 0);
	ck_assert_int_eq(tb_crl_index_info(ix)->version, 2);
	ck_assert_int_gt(tb_crl_index_info(ix)->aki_len, -1);
	for (i = 0; i < N; i++) {
		sl = serial_bytes(e[i].serial, sb);
		ck_assert_int_eq(tb_crl_index_lookup(ix, sb, sl, &when, &reason), 1);
		ck_assert_int_eq(when, e[i].when);
		ck_assert_int_eq(reason, e[i].reason);
		sl = serial_bytes(e[i].serial + 1, sb);
		ck_assert_int_eq(tb_crl_index_lookup(ix, sb, sl, &when, &reason), 0);
	}
	/* Compact: well under twice the DER. */
	ck_assert_int_lt(tb_crl_index_mem(ix), 2 * len);
	/* max_entries is enforced. */
	tb_crl_index_free(ix);
	ix = NULL;
	ck_assert_int_eq(tb_crl_index_build(der, len, N - 1, &ix, NULL, &err), TB_ERR_TOO_LARGE);
	ck_assert_ptr_null(ix);
	OPENSSL_free(der);
	free(e);
	X509_free(ca);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(every_truncation_and_flip_fails)
{
	EVP_PKEY *k = ec_key();
	X509 *ca = mk_ca(k, "Flip CA", 1);
	ent e[3] = { { 10, 1700000000, 1 }, { 11, 1700000001, -1 }, { 300, 1700000002, 6 } };
	crlspec sp = spec(1, -1);
	tb_crl_policy pol = pol_now();
	unsigned char *der, *copy;
	size_t len, i;
	tb_crl *crl = NULL;
	tb_error err;

	der = mk_crl(k, ca, e, 3, &sp, &len);
	ck_assert_msg(tb_crl_load(der, len, ca, &pol, &crl, &err) == 0, "%s", err.detail);
	tb_crl_free(crl);
	crl = NULL;
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		memcpy(copy, der, len);
		ck_assert_int_ne(tb_crl_load(copy, i, ca, &pol, &crl, &err), 0);
		ck_assert_ptr_null(crl);
		copy[i] ^= 0x01;
		ck_assert_msg(tb_crl_load(copy, len, ca, &pol, &crl, &err) != 0,
		    "flipped byte %zu accepted", i);
		ck_assert_ptr_null(crl);
	}
	free(copy);
	OPENSSL_free(der);
	X509_free(ca);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(crl_checks)
{
	EVP_PKEY *k = ec_key(), *k2 = ec_key();
	X509 *ca = mk_ca(k, "Check CA", 1), *impostor = mk_ca(k2, "Check CA", 1),
	    *other = mk_ca(k2, "Other CA", 1), *nosign = mk_ca(k, "Check CA", 0);
	ent e[1] = { { 42, 1700000000, 1 } };
	crlspec sp;
	tb_crl_policy pol = pol_now();
	unsigned char *der;
	size_t len;
	tb_crl *crl = NULL;
	tb_error err;

#define LOAD(key, signer, checker, want, text) do { \
	der = mk_crl(key, signer, e, 1, &sp, &len); \
	ck_assert_int_eq(tb_crl_load(der, len, checker, &pol, &crl, &err), want); \
	if (want != 0) { ck_assert_ptr_null(crl); \
		ck_assert_msg(strstr(err.detail, text) != NULL, "%s", err.detail); } \
	tb_crl_free(crl); crl = NULL; OPENSSL_free(der); } while (0)
	sp = spec(1, -1);
	LOAD(k, ca, ca, 0, "");
	LOAD(k2, impostor, ca, TB_ERR_REVOCATION_UNKNOWN, "signature does not verify");
	LOAD(k2, other, ca, TB_ERR_REVOCATION_UNKNOWN, "not by the CA");
	LOAD(k, ca, nosign, TB_ERR_REVOCATION_UNKNOWN, "does not allow signing CRLs");
	sp.next_update = pol.now - 1;	/* the policy's time, not a later clock reading */
	LOAD(k, ca, ca, TB_ERR_REVOCATION_UNKNOWN, "expired");
	sp = spec(1, -1);
	sp.this_update = pol.now + 3600;
	LOAD(k, ca, ca, TB_ERR_REVOCATION_UNKNOWN, "in the future");
	sp.this_update = pol.now + 200;	/* within the skew */
	LOAD(k, ca, ca, 0, "");
	sp = spec(1, -1);
	sp.next_update = 0;
	LOAD(k, ca, ca, TB_ERR_REVOCATION_UNKNOWN, "no nextUpdate");
	sp = spec(1, -1);
	sp.unknown_critical = 1;
	LOAD(k, ca, ca, TB_ERR_UNSUPPORTED, "unknown critical");
	/* RFC 5280 5.3.3: certificateIssuer only in an indirect CRL. */
	sp = spec(1, -1);
	sp.cert_issuer = 1;
	LOAD(k, ca, ca, TB_ERR_MALFORMED, "not indirect");
	/* RFC 5280 5.2.3: the cRLNumber is required and non-critical. */
	sp = spec(-1, -1);
	LOAD(k, ca, ca, TB_ERR_MALFORMED, "CRL without cRLNumber");
	sp = spec(1, -1);
	sp.number_critical = 1;
	LOAD(k, ca, ca, TB_ERR_MALFORMED, "cRLNumber is marked critical");
	sp = spec(-1, 1);
	LOAD(k, ca, ca, TB_ERR_MALFORMED, "delta CRL without cRLNumber");
	e[0].reason = TB_CRL_REASON_REMOVE;
	sp = spec(1, -1);
	LOAD(k, ca, ca, TB_ERR_MALFORMED, "removeFromCRL entry in a complete CRL");
	/* The clock decides: at a later time the same CRL is expired. */
	e[0].reason = 1;
	sp = spec(1, -1);
	der = mk_crl(k, ca, e, 1, &sp, &len);
	ck_assert_int_eq(tb_crl_load(der, len, ca, &pol, &crl, &err), 0);
	ck_assert_int_eq(tb_crl_fresh(crl, tb_clock_now(), 300, NULL), 0);
	ck_assert_int_ne(tb_crl_fresh(crl, tb_clock_now() + 2 * 86400, 300, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.detail, "expired"));
	tb_crl_free(crl);
	OPENSSL_free(der);
#undef LOAD
	X509_free(ca);
	X509_free(impostor);
	X509_free(other);
	X509_free(nosign);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}
END_TEST

static tb_crl *
load(EVP_PKEY *k, X509 *ca, const ent *e, size_t n, crlspec sp)
{
	tb_crl_policy pol = pol_now();
	unsigned char *der;
	size_t len;
	tb_crl *crl = NULL;
	tb_error err;

	der = mk_crl(k, ca, e, n, &sp, &len);
	ck_assert_msg(tb_crl_load(der, len, ca, &pol, &crl, &err) == 0, "%s", err.detail);
	OPENSSL_free(der);
	return crl;
}

/* A certificate of serial under issuer's name (only the lookup reads it). */
static X509 *
mk_leaf(EVP_PKEY *k, X509 *issuer, long serial)
{
	X509 *x = X509_new();

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_set_issuer_name(x, X509_get_subject_name(issuer));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"leaf", -1, -1, 0);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	return x;
}

static int
lookup_leaf(const tb_crl *crl, EVP_PKEY *k, X509 *issuer, long serial)
{
	X509 *x = mk_leaf(k, issuer, serial);
	time_t when;
	int reason, fd, r;
	tb_error err;

	r = tb_crl_lookup_cert(crl, NULL, x, &when, &reason, &fd, &err);
	X509_free(x);
	return r;
}

/*
 * RFC 5280 5.3.3: in an indirect CRL the entries after a certificateIssuer
 * are that issuer's; a serial counts only for its own issuer.
 */
START_TEST(indirect_entries)
{
	EVP_PKEY *k = ec_key(), *k2 = ec_key();
	X509 *ca = mk_ca(k, "Indirect CA", 1), *other = mk_ca(k2, "Other CA", 1);
	ent e[3] = { { 42, 1700000000, 1 }, { 42, 1700000000, 1 }, { 43, 1700000000, 1 } };
	crlspec sp = spec(1, -1);
	tb_crl *crl;

	sp.indirect = 1;
	sp.entry_issuer = X509_get_subject_name(other);
	sp.entry_issuer_at = 1;
	crl = load(k, ca, e, 3, sp);
	ck_assert_int_eq(tb_crl_get_info(crl)->indirect, 1);
	ck_assert_int_eq(tb_crl_get_info(crl)->entry_issuers, 1);
	ck_assert_int_eq(lookup_leaf(crl, k, ca, 42), 1);
	ck_assert_int_eq(lookup_leaf(crl, k, ca, 43), 0);	/* 43 is Other CA's */
	ck_assert_int_eq(lookup_leaf(crl, k, other, 43), 1);
	ck_assert_int_eq(lookup_leaf(crl, k, other, 42), 1);
	ck_assert_int_eq(lookup_leaf(crl, k, other, 44), 0);
	tb_crl_free(crl);
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}
END_TEST

START_TEST(delta_rules)
{
	EVP_PKEY *k = ec_key();
	X509 *ca = mk_ca(k, "Delta CA", 1);
	ent be[2] = { { 100, 1700000000, 1 }, { 101, 1700000000, 6 } };
	ent de[3] = { { 102, 1700000500, 1 }, { 101, 1700000500, TB_CRL_REASON_REMOVE },
	    { 103, 1700000500, 6 } };
	tb_crl *base = load(k, ca, be, 2, spec(5, -1));
	tb_crl *delta = load(k, ca, de, 3, spec(6, 5));
	tb_crl *delta_new_base = load(k, ca, de, 3, spec(9, 6));
	tb_crl *delta_old = load(k, ca, de, 3, spec(4, 3));
	tb_crl *base_old = load(k, ca, be, 2, spec(3, -1));
	unsigned char sb[8];
	size_t sl;
	time_t when;
	int reason, from_delta;
	tb_error err;

	ck_assert_int_eq(tb_crl_delta_applies(base, delta, &err), 0);
	ck_assert_int_ne(tb_crl_delta_applies(base, delta_new_base, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.detail, "newer base"));
	ck_assert_int_ne(tb_crl_delta_applies(base, delta_old, &err), 0);
	ck_assert_int_ne(tb_crl_delta_applies(delta, base, &err), 0);
	/* 100: base only; 101: hold released by the delta; 102: delta only. */
	sl = serial_bytes(100, sb);
	ck_assert_int_eq(tb_crl_lookup(base, delta, sb, sl, &when, &reason, &from_delta), 1);
	ck_assert_int_eq(from_delta, 0);
	sl = serial_bytes(101, sb);
	ck_assert_int_eq(tb_crl_lookup(base, NULL, sb, sl, &when, &reason, &from_delta), 1);
	ck_assert_int_eq(reason, 6);
	ck_assert_int_eq(tb_crl_lookup(base, delta, sb, sl, &when, &reason, &from_delta), 0);
	ck_assert_int_eq(from_delta, 1);
	sl = serial_bytes(102, sb);
	ck_assert_int_eq(tb_crl_lookup(base, NULL, sb, sl, &when, &reason, &from_delta), 0);
	ck_assert_int_eq(tb_crl_lookup(base, delta, sb, sl, &when, &reason, &from_delta), 1);
	ck_assert_int_eq(when, 1700000500);
	ck_assert_int_eq(reason, 1);
	/* Replacement: never an older number, never another kind. */
	ck_assert_int_eq(tb_crl_may_replace(base_old, base, &err), 0);
	ck_assert_int_ne(tb_crl_may_replace(base, base_old, &err), 0);
	ck_assert_int_ne(tb_crl_may_replace(base, delta, &err), 0);
	ck_assert_int_eq(tb_crl_may_replace(NULL, base, &err), 0);
	tb_crl_free(base);
	tb_crl_free(delta);
	tb_crl_free(delta_new_base);
	tb_crl_free(delta_old);
	tb_crl_free(base_old);
	X509_free(ca);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(atomic_save)
{
	char dir[] = "/tmp/tb-crl-save.XXXXXX", path[256];
	unsigned char *buf = NULL;
	size_t len = 0;
	DIR *d;
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(tb_crl_save(dir, "a.crl", (const unsigned char *)"first", 5, NULL), 0);
	ck_assert_int_eq(tb_crl_save(dir, "a.crl", (const unsigned char *)"second", 6, NULL), 0);
	snprintf(path, sizeof(path), "%s/a.crl", dir);
	ck_assert_int_eq(tb_file_read(path, 100, &buf, &len, NULL), 0);
	ck_assert_int_eq(len, 6);
	ck_assert_int_eq(memcmp(buf, "second", 6), 0);
	free(buf);
	d = opendir(dir);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
			n++;
	closedir(d);
	ck_assert_int_eq(n, 1);	/* no temporary file left behind */
	ck_assert_int_ne(tb_crl_save("/nonexistent-dir", "a.crl",
	    (const unsigned char *)"x", 1, NULL), 0);
	unlink(path);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl_index");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, der_bounds);
	tcase_add_test(tc, der_times);
	tcase_add_test(tc, index_lookup);
	tcase_add_test(tc, every_truncation_and_flip_fails);
	tcase_add_test(tc, crl_checks);
	tcase_add_test(tc, delta_rules);
	tcase_add_test(tc, indirect_entries);
	tcase_add_test(tc, atomic_save);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
