/*
 * Unit tests for the verification caches (libsig/cert_cache.h): a warm
 * answer equals a cold one, a forged certificate that shares subject,
 * issuer or key with a cached one is still refused, the size bounds hold,
 * and threads share the caches safely. Certificates are made here with
 * fixed times; the clock is set, never read.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert_cache.h"
#include "proto.h"
#include "tb_clock.h"
#include "verify.h"

#define T0 ((time_t)1800000000)
#define DAY 86400

static EVP_PKEY *root_key, *ca_key, *leaf_key, *other_key;
static X509 *root, *ca, *leaf;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ck_assert(ext != NULL);
	ck_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, issued by issuer (NULL: self) and signed by sign_key. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *sign_key, int is_ca,
    long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert(x != NULL && n != NULL);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_UTF8, (const unsigned char *)"KZ", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	if (!is_ca)
		X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
		    (const unsigned char *)"IIN900101300126", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	ASN1_TIME_set(X509_getm_notBefore(x), T0 - 30 * DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), T0 + 300 * DAY);
	X509_set_pubkey(x, key);
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (issuer != NULL)
		add_ext(x, issuer, NID_authority_key_identifier, "keyid");
	if (is_ca) {
		add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	}
	ck_assert(X509_sign(x, sign_key, EVP_sha256()) > 0);
	return x;
}

static void
pki_setup(void)
{
	tb_clock_set(T0);
	root_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	other_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ck_assert(root_key && ca_key && leaf_key && other_key);
	root = make_cert("CACHE TEST ROOT", root_key, NULL, root_key, 1, 1);
	ca = make_cert("CACHE TEST CA", ca_key, root, root_key, 1, 2);
	leaf = make_cert("CACHE TEST SIGNER", leaf_key, ca, ca_key, 0, 3);
}

static void
pki_teardown(void)
{
	X509_free(root);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
}

/* A copy of x whose signature value differs in its last byte. */
static X509 *
flip_signature(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(x, &der);
	X509 *y;

	ck_assert(n > 0);
	der[n - 1] ^= 0x01;
	p = der;
	y = d2i_X509(NULL, &p, n);
	ck_assert(y != NULL);
	OPENSSL_free(der);
	return y;
}

static const char doc[] = "Кэш тексеру құжаты / cache test document";

/* An attached CAdES-like CMS by signer carrying chain (the CA) as certificates. */
static unsigned char *
cms_make(X509 *signer, X509 *chain_ca, size_t *out_len)
{
	BIO *in = BIO_new_mem_buf(doc, (int)strlen(doc));
	STACK_OF(X509) *chain = sk_X509_new_null();
	CMS_ContentInfo *cms;
	unsigned char *der = NULL;
	unsigned flags = CMS_BINARY | CMS_PARTIAL;
	int n;

	ck_assert(in != NULL && chain != NULL && sk_X509_push(chain, chain_ca));
	cms = CMS_sign(NULL, NULL, chain, in, flags);
	ck_assert(cms != NULL);
	ck_assert(CMS_add1_signer(cms, signer, leaf_key, EVP_sha256(), flags) != NULL);
	ck_assert(CMS_final(cms, in, NULL, flags) == 1);
	ck_assert((n = i2d_CMS_ContentInfo(cms, &der)) > 0);
	*out_len = (size_t)n;
	CMS_ContentInfo_free(cms);
	sk_X509_free(chain);
	BIO_free(in);
	return der;
}

static int
good_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out, tb_error *err)
{
	(void)ctx; (void)cert; (void)issuer; (void)at; (void)err;
	out->status = TB_REV_GOOD;
	snprintf(out->source, sizeof(out->source), "crl");
	return 0;
}

static const tb_rev_checker good_rev = { good_check, NULL };

static tb_verify_result *
verify(const tb_trust *t, const unsigned char *der, size_t len)
{
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_error e;

	tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = len;
	ck_assert_int_eq(tb_verify_cms(t, &pol, &good_rev, &req, &res, &e), 0);
	ck_assert_ptr_nonnull(res);
	return res;
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

static char *
dump(const tb_verify_result *res)
{
	json_t *j = tb_verify_result_to_json(res, "en");
	char *s;

	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Only the root is trusted: the CA comes from the CMS, through the cache. */
static tb_trust *
trust_root(void)
{
	tb_trust *t = tb_trust_new();

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tb_trust_add_anchor(t, root, NULL), 0);
	return t;
}

START_TEST(test_hit_equals_miss)
{
	tb_trust *t = trust_root();
	tb_cert_cache_stats s0, s1, s2;
	tb_verify_result *cold, *warm;
	unsigned char *der;
	size_t len;
	char *a, *b;

	der = cms_make(leaf, ca, &len);
	tb_cert_cache_get_stats(tb_cert_cache_default(), &s0);
	cold = verify(t, der, len);
	tb_cert_cache_get_stats(tb_cert_cache_default(), &s1);
	warm = verify(t, der, len);
	tb_cert_cache_get_stats(tb_cert_cache_default(), &s2);
	/* The first answer parsed and checked; the second took both from the cache. */
	ck_assert_uint_ge(s1.cert_misses - s0.cert_misses, 2);
	ck_assert_uint_eq(s1.cert_hits, s0.cert_hits);
	ck_assert_uint_ge(s1.sig_misses - s0.sig_misses, 2);
	ck_assert_uint_ge(s2.cert_hits - s1.cert_hits, 2);
	ck_assert_uint_ge(s2.sig_hits - s1.sig_hits, 2);
	ck_assert_uint_eq(s2.cert_misses, s1.cert_misses);
	ck_assert_int_eq(cold->verdict, TB_V_VALID);
	ck_assert_int_eq(warm->verdict, cold->verdict);
	a = dump(cold);
	b = dump(warm);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	tb_verify_result_free(cold);
	tb_verify_result_free(warm);
	/* The cache holds no times: the same warm chain later than notAfter expires. */
	tb_clock_set(T0 + 400 * DAY);
	warm = verify(t, der, len);
	ck_assert(has_reason(warm, TB_V_CERT_EXPIRED));
	ck_assert_int_ne(warm->verdict, TB_V_VALID);
	tb_verify_result_free(warm);
	tb_clock_set(T0);
	OPENSSL_free(der);
	tb_trust_free(t);
}
END_TEST

START_TEST(test_forged_not_accepted)
{
	tb_trust *t = trust_root();
	X509 *forged_leaf = flip_signature(leaf);
	/* Same subject, issuer and key as the CA, signed by a key that is not the root's. */
	X509 *forged_ca = make_cert("CACHE TEST CA", ca_key, root, other_key, 1, 2);
	tb_verify_result *res;
	unsigned char *good, *bad_leaf, *bad_ca;
	size_t good_len, bad_leaf_len, bad_ca_len;

	good = cms_make(leaf, ca, &good_len);
	bad_leaf = cms_make(forged_leaf, ca, &bad_leaf_len);
	bad_ca = cms_make(leaf, forged_ca, &bad_ca_len);
	/* Warm the caches with the genuine chain, twice. */
	res = verify(t, good, good_len);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	tb_verify_result_free(res);
	res = verify(t, good, good_len);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	tb_verify_result_free(res);
	/* Twice each: a failed check must not be remembered as anything either. */
	for (int k = 0; k < 2; k++) {
		res = verify(t, bad_leaf, bad_leaf_len);
		ck_assert_int_ne(res->verdict, TB_V_VALID);
		ck_assert(has_reason(res, TB_V_SIGNATURE_INVALID));
		tb_verify_result_free(res);
		res = verify(t, bad_ca, bad_ca_len);
		ck_assert_int_ne(res->verdict, TB_V_VALID);
		ck_assert(has_reason(res, TB_V_SIGNATURE_INVALID));
		tb_verify_result_free(res);
	}
	/* And the genuine one is still valid afterwards. */
	res = verify(t, good, good_len);
	ck_assert_int_eq(res->verdict, TB_V_VALID);
	tb_verify_result_free(res);
	OPENSSL_free(good);
	OPENSSL_free(bad_leaf);
	OPENSSL_free(bad_ca);
	X509_free(forged_leaf);
	X509_free(forged_ca);
	tb_trust_free(t);
}
END_TEST

static unsigned char *
der_of(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	ck_assert(n > 0);
	*len = (size_t)n;
	return der;
}

START_TEST(test_eviction_bound)
{
	tb_cert_cache *c = tb_cert_cache_new(4, 4);
	tb_cert_cache_stats st;
	unsigned char *der[12], key[TB_CERT_CACHE_KEY_LEN];
	size_t len[12];
	tb_sigalg_info info, got;
	X509 *x;
	int i;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(tb_cert_cache_new(0, 4));
	for (i = 0; i < 12; i++) {
		X509 *m = make_cert("EVICTION", leaf_key, ca, ca_key, 0, 100 + i);

		der[i] = der_of(m, &len[i]);
		X509_free(m);
		x = tb_cert_cache_get(c, der[i], len[i]);
		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(ASN1_INTEGER_get(X509_get0_serialNumber(x)), 100 + i);
		X509_free(x);
		tb_cert_cache_get_stats(c, &st);
		ck_assert_uint_le(st.certs, 4);
	}
	tb_cert_cache_get_stats(c, &st);
	ck_assert_uint_eq(st.certs, 4);
	ck_assert_uint_eq(st.cert_evictions, 8);
	/* The most recent are held, the oldest were evicted. */
	x = tb_cert_cache_get(c, der[11], len[11]);
	X509_free(x);
	x = tb_cert_cache_get(c, der[0], len[0]);
	X509_free(x);
	tb_cert_cache_get_stats(c, &st);
	ck_assert_uint_eq(st.cert_hits, 1);
	ck_assert_uint_eq(st.cert_misses, 13);
	/* Trailing bytes or garbage are not a certificate and are not cached. */
	ck_assert_ptr_null(tb_cert_cache_get(c, (const unsigned char *)"\x30\x03\x02\x01\x00", 5));
	/* Signatures: the same bound. */
	memset(&info, 0, sizeof(info));
	for (i = 0; i < 12; i++) {
		ck_assert_int_eq(tb_cert_cache_sig_key(X509_get_X509_PUBKEY(ca), der[i], len[i],
		    key), 0);
		info.key_bits = 1000 + i;
		tb_cert_cache_sig_store(c, key, &info);
		tb_cert_cache_get_stats(c, &st);
		ck_assert_uint_le(st.sigs, 4);
	}
	ck_assert_uint_eq(st.sig_evictions, 8);
	ck_assert_int_eq(tb_cert_cache_sig_key(X509_get_X509_PUBKEY(ca), der[11], len[11], key), 0);
	ck_assert_int_eq(tb_cert_cache_sig_lookup(c, key, &got), 1);
	ck_assert_int_eq(got.key_bits, 1011);
	ck_assert_int_eq(tb_cert_cache_sig_key(X509_get_X509_PUBKEY(ca), der[0], len[0], key), 0);
	ck_assert_int_eq(tb_cert_cache_sig_lookup(c, key, &got), 0);
	/* Another issuer key over the same bytes is another key. */
	ck_assert_int_eq(tb_cert_cache_sig_key(X509_get_X509_PUBKEY(root), der[11], len[11], key), 0);
	ck_assert_int_eq(tb_cert_cache_sig_lookup(c, key, &got), 0);
	for (i = 0; i < 12; i++)
		OPENSSL_free(der[i]);
	tb_cert_cache_free(c);
	tb_cert_cache_free(NULL);
}
END_TEST

/* ---- threads ---- */

#define THREADS 4
#define ROUNDS 40

typedef struct thr {
	const tb_trust *trust;
	const unsigned char *good, *bad;
	size_t good_len, bad_len;
	tb_cert_cache *small;
	unsigned char **ders;
	size_t *lens;
	int nders;
	int index;
	int failures;
} thr;

static void *
thread_main(void *arg)
{
	thr *a = arg;
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res;
	unsigned char *der;
	int i, k;

	tb_verify_policy_default(&pol);
	for (i = 0; i < ROUNDS; i++) {
		int bad = i % 3 == 2;

		memset(&req, 0, sizeof(req));
		req.input = bad ? a->bad : a->good;
		req.input_len = bad ? a->bad_len : a->good_len;
		res = NULL;
		if (tb_verify_cms(a->trust, &pol, &good_rev, &req, &res, NULL) != 0 || res == NULL ||
		    (res->verdict == TB_V_VALID) == bad)
			a->failures++;
		tb_verify_result_free(res);
		/* A cache smaller than the working set: constant eviction under contention. */
		k = (i * 7 + a->index) % a->nders;
		{
			X509 *x = tb_cert_cache_get(a->small, a->ders[k], a->lens[k]);
			int n;

			der = NULL;
			if (x == NULL || (n = i2d_X509(x, &der)) <= 0 || (size_t)n != a->lens[k] ||
			    memcmp(der, a->ders[k], a->lens[k]) != 0)
				a->failures++;
			OPENSSL_free(der);
			X509_free(x);
		}
	}
	return NULL;
}

START_TEST(test_threads)
{
	tb_trust *t = trust_root();
	X509 *forged_leaf = flip_signature(leaf);
	tb_cert_cache *small = tb_cert_cache_new(3, 3);
	unsigned char *good, *bad, *ders[8];
	size_t good_len, bad_len, lens[8];
	pthread_t tid[THREADS];
	thr args[THREADS];
	tb_cert_cache_stats st;
	int i;

	good = cms_make(leaf, ca, &good_len);
	bad = cms_make(forged_leaf, ca, &bad_len);
	for (i = 0; i < 8; i++) {
		X509 *m = make_cert("THREADS", leaf_key, ca, ca_key, 0, 200 + i);

		ders[i] = der_of(m, &lens[i]);
		X509_free(m);
	}
	for (i = 0; i < THREADS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].trust = t;
		args[i].good = good;
		args[i].good_len = good_len;
		args[i].bad = bad;
		args[i].bad_len = bad_len;
		args[i].small = small;
		args[i].ders = ders;
		args[i].lens = lens;
		args[i].nders = 8;
		args[i].index = i;
		ck_assert_int_eq(pthread_create(&tid[i], NULL, thread_main, &args[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
		ck_assert_int_eq(args[i].failures, 0);
	}
	tb_cert_cache_get_stats(small, &st);
	ck_assert_uint_le(st.certs, 3);
	ck_assert_uint_eq(st.cert_hits + st.cert_misses, (uint64_t)THREADS * ROUNDS);
	for (i = 0; i < 8; i++)
		OPENSSL_free(ders[i]);
	tb_cert_cache_free(small);
	OPENSSL_free(good);
	OPENSSL_free(bad);
	X509_free(forged_leaf);
	tb_trust_free(t);
}
END_TEST

/* ---- the request parser's cut of long base64 values (daemon/front/proto.c) ---- */

static void
decode_same(const char *text)
{
	json_t *a = NULL, *b;
	json_error_t jerr;
	tb_error e;
	char *da, *db;

	b = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(tb_proto_decode((const unsigned char *)text, strlen(text), &a, &e), 0);
	da = json_dumps(a, JSON_SORT_KEYS);
	db = json_dumps(b, JSON_SORT_KEYS);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
	json_decref(a);
	json_decref(b);
}

START_TEST(test_proto_cut)
{
	char big[700], big2[400], text[2600];
	tb_error e;
	json_t *o = NULL;
	int i;

	for (i = 0; i < (int)sizeof(big) - 1; i++)
		big[i] = "ABCxyz019+/"[i % 11];
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < (int)sizeof(big2) - 1; i++)
		big2[i] = "QRSTqrst45"[i % 10];
	big2[sizeof(big2) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"op\":\"verify\",\"cms\" : \"%s\",\"certs\":[\"%s\",\"%s\"],"
	    "\"id\":7}", big, big2, big);
	decode_same(text);
	/* A key of base64 letters is not cut; a marker-like literal changes nothing. */
	snprintf(text, sizeof(text), "{\"%s\":1,\"cms\":\"%s\",\"m\":\"\\u00010\"}", big2, big);
	decode_same(text);
	/* Errors are the plain parser's. */
	snprintf(text, sizeof(text), "{\"cms\":\"%s\",\"cms\":\"%s\"}", big, big);
	ck_assert_int_ne(tb_proto_decode((const unsigned char *)text, strlen(text), &o, &e), 0);
	snprintf(text, sizeof(text), "[\"%s\"]", big);
	ck_assert_int_ne(tb_proto_decode((const unsigned char *)text, strlen(text), &o, &e), 0);
	snprintf(text, sizeof(text), "{\"cms\":\"%s", big);
	ck_assert_int_ne(tb_proto_decode((const unsigned char *)text, strlen(text), &o, &e), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("verify_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_unchecked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hit_equals_miss);
	tcase_add_test(tc, test_forged_not_accepted);
	tcase_add_test(tc, test_eviction_bound);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_proto_cut);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
