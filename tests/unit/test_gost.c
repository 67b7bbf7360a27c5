/*
 * The GOST module without outside artefacts: Streebog and the legacy
 * GOST R 34.11-94 test-S-box hash against an independent implementation
 * (rhash), keys made by the engine signed and verified in the Kazakh
 * encoding, tampering refused, unknown parameters refused, and every GOST
 * verification refused when the engine and provider are missing.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "gost.h"
#include "gost_testlib.h"
#include "testpki_gost.h"

static const char *all_algs[] = { "gost2015-512", "gost2015-256", "gost2004" };

static X509_ALGOR *
algor(const char *dotted, int null_param)
{
	X509_ALGOR *a = X509_ALGOR_new();

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(X509_ALGOR_set0(a, OBJ_txt2obj(dotted, 1),
	    null_param ? V_ASN1_NULL : V_ASN1_UNDEF, NULL), 1);
	return a;
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/*
 * The reference digest of file by `rhash --<opt>`; 0 when rhash is not
 * installed. rhash --gost94 is the test-S-box hash (as `gostsum -t`).
 */
static int
rhash(const char *opt, const char *file, char *out, size_t len)
{
	char cmd[512], line[512];
	FILE *p;
	int ok = 0;

	if (access("/usr/bin/rhash", X_OK) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "rhash --%s --simple '%s' 2>/dev/null", opt, file);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	if (fgets(line, sizeof(line), p) != NULL && sscanf(line, "%200s", out) == 1)
		ok = strlen(out) < len;
	pclose(p);
	return ok;
}

/* Writes data to a temporary file and checks tb_gost_digest against rhash. */
static void
check_digest(const char *oid, const char *rhash_opt, const unsigned char *data,
    size_t len, const char *fallback_hex)
{
	char path[] = "/tmp/tb-gost-XXXXXX", want[256], got[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	X509_ALGOR *a = algor(oid, 0);
	tb_error err;
	FILE *f;
	int fd;

	ck_assert_int_eq(tb_gost_digest(a, data, len, md, &md_len, &err), 0);
	hex(md, md_len, got);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	if (rhash(rhash_opt, path, want, sizeof(want)))
		ck_assert_str_eq(got, want);
	else if (fallback_hex != NULL)
		ck_assert_str_eq(got, fallback_hex);	/* published answer */
	unlink(path);
	X509_ALGOR_free(a);
}

static unsigned char *
megabyte(void)
{
	unsigned char *b = malloc(1 << 20);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(RAND_bytes(b, 1 << 20), 1);
	return b;
}

START_TEST(streebog_matches_reference)
{
	unsigned char *mb = megabyte();

	check_digest("1.2.398.3.10.1.3.3", "gost12-512", (const unsigned char *)"", 0,
	    "8e945da209aa869f0455928529bcae4679e9873ab707b55315f56ceb98bef0a7"
	    "362f715528356ee83cda5f2aac4c6ad2ba3a715c1bcd81cb8e9f90bf4c1c1a8a");
	check_digest("1.2.398.3.10.1.3.3", "gost12-512", (const unsigned char *)"abc", 3,
	    "28156e28317da7c98f4fe2bed6b542d0dab85bb224445fcedaf75d46e26d7eb8"
	    "d5997f3e0915dd6b7f0aab08d9c8beb0d8c64bae2ab8b3c8c6bc53b3bf0db728");
	check_digest("1.2.398.3.10.1.3.2", "gost12-256", (const unsigned char *)"abc", 3,
	    "4e2919cf137ed41ec4fb6270c61826cc4fffb660341e0af3688cd0626d23b481");
	check_digest("1.2.643.7.1.1.2.3", "gost12-512", (const unsigned char *)"abc", 3,
	    "28156e28317da7c98f4fe2bed6b542d0dab85bb224445fcedaf75d46e26d7eb8"
	    "d5997f3e0915dd6b7f0aab08d9c8beb0d8c64bae2ab8b3c8c6bc53b3bf0db728");
	check_digest("1.2.398.3.10.1.3.3", "gost12-512", mb, 1 << 20, NULL);
	check_digest("1.2.398.3.10.1.3.2", "gost12-256", mb, 1 << 20, NULL);
	free(mb);
}
END_TEST

START_TEST(gost94_test_sbox_matches_reference)
{
	unsigned char *mb = megabyte();
	const char *oids[] = { "1.2.398.3.10.1.3.1.1.0", "1.2.398.3.10.1.3.1" };
	size_t i;

	for (i = 0; i < 2; i++) {
		/* Published answers of GOST R 34.11-94 with the test parameters. */
		check_digest(oids[i], "gost94", (const unsigned char *)"", 0,
		    "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d");
		check_digest(oids[i], "gost94", (const unsigned char *)"abc", 3,
		    "f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d");
		check_digest(oids[i], "gost94",
		    (const unsigned char *)"The quick brown fox jumps over the lazy dog", 43,
		    "77b7fa410c9ac58a25f49bca7d0468c9296529315eaca76bd1a10f376d1f4294");
	}
	/* Block boundaries: 31, 32, 33 and 64 bytes. */
	check_digest(oids[0], "gost94", mb, 31, NULL);
	check_digest(oids[0], "gost94", mb, 32, NULL);
	check_digest(oids[0], "gost94", mb, 33, NULL);
	check_digest(oids[0], "gost94", mb, 64, NULL);
	check_digest(oids[0], "gost94", mb, 1 << 20, NULL);
	free(mb);
}
END_TEST

START_TEST(unknown_hash_refused)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	X509_ALGOR *a = algor("1.2.398.3.10.1.3.9", 0);
	tb_error err;

	ck_assert_int_eq(tb_gost_digest(a, (const unsigned char *)"x", 1, md, &md_len, &err),
	    TB_ERR_UNSUPPORTED);
	X509_ALGOR_free(a);
}
END_TEST

START_TEST(oid_family)
{
	ASN1_OBJECT *o;

	o = OBJ_txt2obj("1.2.398.3.10.1.1.2.3.2", 1);
	ck_assert_int_eq(tb_gost_is_gost_oid(o), 1);
	ASN1_OBJECT_free(o);
	o = OBJ_txt2obj("1.2.398.3.10.1.7.7", 1);
	ck_assert_int_eq(tb_gost_is_gost_oid(o), 1);
	ASN1_OBJECT_free(o);
	o = OBJ_txt2obj("1.2.840.113549.1.1.11", 1);
	ck_assert_int_eq(tb_gost_is_gost_oid(o), 0);
	ASN1_OBJECT_free(o);
}
END_TEST

/* The Kazakh signature OID of a table row. */
static const char *
sig_oid(const char *alg)
{
	if (strcmp(alg, "gost2015-512") == 0)
		return "1.2.398.3.10.1.1.2.3.2";
	if (strcmp(alg, "gost2015-256") == 0)
		return "1.2.398.3.10.1.1.2.3.1";
	return "1.2.398.3.10.1.1.1.2";
}

static X509_PUBKEY *
kz_spki(EVP_PKEY *key)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_PUBKEY *pub;
	tb_error err;

	ck_assert_int_eq(tp_gost_spki_der(key, &der, &len, &err), 0);
	p = der;
	ck_assert_ptr_nonnull(pub = d2i_X509_PUBKEY(NULL, &p, (long)len));
	OPENSSL_free(der);
	return pub;
}

START_TEST(sign_verify_each_alg)
{
	const char *name = all_algs[_i];
	unsigned char tbs[300], sig[128];
	size_t sig_len = 0;
	EVP_PKEY *key = NULL;
	X509_PUBKEY *pub;
	X509_ALGOR *sa = algor(sig_oid(name), 1);
	ASN1_OBJECT *kobj = NULL;
	tb_sigalg_info info;
	tb_error err;

	ck_assert_int_eq(tp_gost_key_generate(name, &key, &err), 0);
	ck_assert_str_eq(tb_gost_key_alg(key), name);
	ck_assert_int_eq(RAND_bytes(tbs, sizeof(tbs)), 1);
	ck_assert_int_eq(tp_gost_sign(key, tbs, sizeof(tbs), sig, &sig_len, &err), 0);
	ck_assert_uint_eq(sig_len, strcmp(name, "gost2015-512") == 0 ? 128 : 64);
	pub = kz_spki(key);
	/* The SPKI carries the Kazakh key OID, not the Russian one. */
	ck_assert_int_eq(X509_PUBKEY_get0_param(&kobj, NULL, NULL, NULL, pub), 1);
	ck_assert_int_eq(tb_gost_is_gost_oid(kobj), 1);

	ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    &info, &err), 0);
	ck_assert_str_eq(info.name, name);
	ck_assert_int_eq(info.key_bits, strcmp(name, "gost2015-512") == 0 ? 512 : 256);
	ck_assert_int_eq(info.md_nid, NID_undef);

	/* One flipped byte in the signature, then in the signed bytes. */
	sig[sig_len / 3] ^= 0x01;
	ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_CRYPTO);
	sig[sig_len / 3] ^= 0x01;
	tbs[17] ^= 0x80;
	ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_CRYPTO);
	tbs[17] ^= 0x80;
	/* The RFC 4491 order (the NCA value reversed) is not accepted. */
	{
		unsigned char rev[128];
		size_t i;

		for (i = 0; i < sig_len; i++)
			rev[i] = sig[sig_len - 1 - i];
		ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), rev,
		    sig_len, NULL, &err), TB_ERR_CRYPTO);
	}
	/* Truncated signature. */
	ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), sig, sig_len - 1,
	    NULL, &err), TB_ERR_CRYPTO);
	/* Unchanged input still verifies. */
	ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), 0);

	X509_ALGOR_free(sa);
	X509_PUBKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(key_oid_as_signature_alg)
{
	unsigned char tbs[] = "signed attributes", sig[128];
	size_t sig_len = 0;
	EVP_PKEY *key = NULL;
	X509_PUBKEY *pub;
	X509_ALGOR *sa = algor("1.2.398.3.10.1.1.2.2", 0);
	X509_ALGOR *da = algor("1.2.398.3.10.1.3.3", 0);
	X509_ALGOR *da256 = algor("1.2.398.3.10.1.3.2", 0);
	tb_error err;

	ck_assert_int_eq(tp_gost_key_generate("gost2015-512", &key, &err), 0);
	ck_assert_int_eq(tp_gost_sign(key, tbs, sizeof(tbs), sig, &sig_len, &err), 0);
	pub = kz_spki(key);
	ck_assert_int_eq(tb_gost_verify(da, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), 0);
	/* A SignerInfo digest algorithm that disagrees with the key is refused. */
	ck_assert_int_eq(tb_gost_verify(da256, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_UNSUPPORTED);
	X509_ALGOR_free(sa);
	X509_ALGOR_free(da);
	X509_ALGOR_free(da256);
	X509_PUBKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

/* A copy of pub with its key OID and parameter SEQUENCE replaced. */
static X509_PUBKEY *
spki_with(X509_PUBKEY *pub, const char *key_oid, const char *param_oid, const char *hash_oid)
{
	const unsigned char *pk = NULL;
	int pk_len = 0, n;
	unsigned char params[64], *w;
	ASN1_OBJECT *p1 = OBJ_txt2obj(param_oid, 1), *p2 = OBJ_txt2obj(hash_oid, 1);
	ASN1_STRING *ps = ASN1_STRING_new();
	X509_PUBKEY *out = X509_PUBKEY_new();

	ck_assert_int_eq(X509_PUBKEY_get0_param(NULL, &pk, &pk_len, NULL, pub), 1);
	n = i2d_ASN1_OBJECT(p1, NULL) + i2d_ASN1_OBJECT(p2, NULL);
	params[0] = 0x30;
	params[1] = (unsigned char)n;
	w = params + 2;
	i2d_ASN1_OBJECT(p1, &w);
	i2d_ASN1_OBJECT(p2, &w);
	ck_assert_int_eq(ASN1_STRING_set(ps, params, n + 2), 1);
	ck_assert_int_eq(X509_PUBKEY_set0_param(out, OBJ_txt2obj(key_oid, 1), V_ASN1_SEQUENCE,
	    ps, OPENSSL_memdup(pk, pk_len), pk_len), 1);
	ASN1_OBJECT_free(p1);
	ASN1_OBJECT_free(p2);
	return out;
}

START_TEST(unknown_parameters_refused)
{
	unsigned char tbs[] = "tbs", sig[128];
	size_t sig_len = 0;
	EVP_PKEY *key = NULL;
	X509_PUBKEY *pub, *bad;
	X509_ALGOR *sa = algor("1.2.398.3.10.1.1.2.3.2", 1);
	X509_ALGOR *unknown = algor("1.2.398.3.10.1.1.2.3.9", 1);
	X509_ALGOR *sa256 = algor("1.2.398.3.10.1.1.2.3.1", 1);
	tb_error err;

	ck_assert_int_eq(tp_gost_key_generate("gost2015-512", &key, &err), 0);
	ck_assert_int_eq(tp_gost_sign(key, tbs, sizeof(tbs), sig, &sig_len, &err), 0);
	pub = kz_spki(key);
	ck_assert_int_eq(tb_gost_verify(NULL, sa, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), 0);
	/* An unknown Kazakh parameter set, and a Russian one under a Kazakh key OID. */
	bad = spki_with(pub, "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.2.2", "1.2.398.3.10.1.3.3");
	ck_assert_int_eq(tb_gost_verify(NULL, sa, bad, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_UNSUPPORTED);
	X509_PUBKEY_free(bad);
	bad = spki_with(pub, "1.2.398.3.10.1.1.2.2", "1.2.643.7.1.2.1.2.1", "1.2.398.3.10.1.3.3");
	ck_assert_int_eq(tb_gost_verify(NULL, sa, bad, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_UNSUPPORTED);
	X509_PUBKEY_free(bad);
	/* The right parameters but the 256-bit hash in the key parameters. */
	bad = spki_with(pub, "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.3.2");
	ck_assert_int_eq(tb_gost_verify(NULL, sa, bad, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_UNSUPPORTED);
	X509_PUBKEY_free(bad);
	/* An unknown Kazakh signature OID; a signature OID of another key size. */
	ck_assert_int_eq(tb_gost_verify(NULL, unknown, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_UNSUPPORTED);
	ck_assert_int_eq(tb_gost_verify(NULL, sa256, pub, tbs, sizeof(tbs), sig, sig_len,
	    NULL, &err), TB_ERR_UNSUPPORTED);
	X509_ALGOR_free(sa);
	X509_ALGOR_free(unknown);
	X509_ALGOR_free(sa256);
	X509_PUBKEY_free(pub);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(resign_certificate)
{
	EVP_PKEY *key = NULL, *throwaway = NULL;
	X509 *x = X509_new(), *y = NULL;
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL, *out = NULL;
	const unsigned char *p, *tbs;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	size_t out_len = 0;
	long tbs_len;
	int der_len;
	char txt[80];
	tb_error err;

	ck_assert_int_eq(tp_gost_key_generate("gost2015-512", &key, &err), 0);
	ck_assert_ptr_nonnull(throwaway = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"GOST TEST", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_subject_name(x, name), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, name), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(tp_gost_x509_set_pubkey(x, key, &err), 0);
	ck_assert_int_gt(X509_sign(x, throwaway, EVP_sha256()), 0);
	ck_assert_int_gt(der_len = i2d_X509(x, &der), 0);
	ck_assert_int_eq(tp_gost_resign(der, der_len, key, &out, &out_len, &err), 0);

	p = out;
	ck_assert_ptr_nonnull(y = d2i_X509(NULL, &p, (long)out_len));
	/* Both algorithm identifiers are the Kazakh one. */
	OBJ_obj2txt(txt, sizeof(txt), X509_get0_tbs_sigalg(y)->algorithm, 1);
	ck_assert_str_eq(txt, "1.2.398.3.10.1.1.2.3.2");
	X509_get0_signature(&sig, &alg, y);
	OBJ_obj2txt(txt, sizeof(txt), alg->algorithm, 1);
	ck_assert_str_eq(txt, "1.2.398.3.10.1.1.2.3.2");
	gostt_first_element(out, (long)out_len, &tbs, &tbs_len);
	ck_assert_int_eq(tb_gost_verify(NULL, alg, X509_get_X509_PUBKEY(y), tbs, tbs_len,
	    ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), NULL, &err), 0);

	X509_NAME_free(name);
	X509_free(x);
	X509_free(y);
	EVP_PKEY_free(key);
	EVP_PKEY_free(throwaway);
	OPENSSL_free(der);
	OPENSSL_free(out);
}
END_TEST

START_TEST(resign_crl_and_pem_key)
{
	char path[] = "/tmp/tb-gost-key-XXXXXX", txt[80];
	EVP_PKEY *key = NULL, *back = NULL, *throwaway = NULL;
	X509_CRL *c = X509_CRL_new(), *d = NULL;
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t = ASN1_TIME_new();
	unsigned char *der = NULL, *out = NULL;
	const unsigned char *p, *tbs;
	const ASN1_BIT_STRING *sig;
	const X509_ALGOR *alg;
	X509_PUBKEY *pub;
	size_t out_len = 0;
	long tbs_len;
	int der_len, fd;
	FILE *f;
	tb_error err;

	/* The key survives PEM (PKCS#8 under the Russian OIDs). */
	ck_assert_int_eq(tp_gost_key_generate("gost2015-512", &key, &err), 0);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	ck_assert_int_eq(tp_gost_key_read_pem(path, &back, &err), 0);
	unlink(path);
	ck_assert_str_eq(tb_gost_key_alg(back), "gost2015-512");

	ck_assert_ptr_nonnull(throwaway = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ck_assert_int_eq(X509_CRL_set_version(c, X509_CRL_VERSION_2), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"GOST CA", -1, -1, 0), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(c, name), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(t, 0));
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(c, t), 1);
	ck_assert_int_gt(X509_CRL_sign(c, throwaway, EVP_sha256()), 0);
	ck_assert_int_gt(der_len = i2d_X509_CRL(c, &der), 0);
	/* Signed by the re-read key, verified with the original's public key. */
	ck_assert_int_eq(tp_gost_resign(der, der_len, back, &out, &out_len, &err), 0);
	p = out;
	ck_assert_ptr_nonnull(d = d2i_X509_CRL(NULL, &p, (long)out_len));
	ck_assert_int_eq(X509_CRL_get_signature_nid(d), NID_undef);
	X509_CRL_get0_signature(d, &sig, &alg);
	OBJ_obj2txt(txt, sizeof(txt), alg->algorithm, 1);
	ck_assert_str_eq(txt, "1.2.398.3.10.1.1.2.3.2");
	gostt_first_element(out, (long)out_len, &tbs, &tbs_len);
	/* The TBS carries the Kazakh OID too. */
	ck_assert_ptr_nonnull(memmem(tbs, tbs_len, "\x06\x0a\x2a\x83\x0e\x03\x0a\x01\x01\x02\x03\x02", 12));
	pub = kz_spki(key);
	ck_assert_int_eq(tb_gost_verify(NULL, alg, pub, tbs, tbs_len,
	    ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), NULL, &err), 0);
	/* Not a signed object. */
	ck_assert_int_eq(tp_gost_resign((const unsigned char *)"\x30\x00", 2, key, &der, &out_len,
	    &err), TB_ERR_MALFORMED);

	X509_PUBKEY_free(pub);
	X509_NAME_free(name);
	ASN1_TIME_free(t);
	X509_CRL_free(c);
	X509_CRL_free(d);
	EVP_PKEY_free(key);
	EVP_PKEY_free(back);
	EVP_PKEY_free(throwaway);
	OPENSSL_free(der);
	OPENSSL_free(out);
}
END_TEST

START_TEST(available_lists_algorithms)
{
	char buf[256];

	ck_assert_int_eq(tb_gost_available(buf, sizeof(buf)), 3);
	ck_assert_ptr_nonnull(strstr(buf, "gost2015-512"));
	ck_assert_ptr_nonnull(strstr(buf, "gost2004"));
}
END_TEST

/*
 * With the engine and provider directories pointing nowhere, nothing GOST
 * verifies: each test runs in its own process, so the load happens here.
 */
START_TEST(fails_closed_without_engine)
{
	char empty[] = "/tmp/tb-gost-none-XXXXXX", buf[256];
	unsigned char pk[131], sig[128], md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	X509_PUBKEY *pub = X509_PUBKEY_new();
	X509_ALGOR *sa = algor("1.2.398.3.10.1.1.2.3.2", 1);
	X509_ALGOR *da = algor("1.2.398.3.10.1.3.3", 0);
	X509_PUBKEY *kz;
	EVP_PKEY *key = NULL;
	tb_error err;

	ck_assert_ptr_nonnull(mkdtemp(empty));
	setenv("OPENSSL_ENGINES", empty, 1);
	setenv("OPENSSL_MODULES", empty, 1);
	pk[0] = 0x04;
	pk[1] = 0x81;
	pk[2] = 0x80;
	ck_assert_int_eq(RAND_bytes(pk + 3, 128), 1);
	ck_assert_int_eq(RAND_bytes(sig, sizeof(sig)), 1);
	ck_assert_int_eq(X509_PUBKEY_set0_param(pub, OBJ_txt2obj("1.2.398.3.10.1.1.2.2", 1),
	    V_ASN1_UNDEF, NULL, OPENSSL_memdup(pk, sizeof(pk)), sizeof(pk)), 1);
	kz = spki_with(pub, "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.3.3");

	ck_assert_int_eq(tb_gost_available(buf, sizeof(buf)), 0);
	ck_assert_int_eq(strncmp(buf, "none", 4), 0);
	ck_assert_int_eq(tb_gost_verify(NULL, sa, kz, (const unsigned char *)"x", 1, sig,
	    sizeof(sig), NULL, &err), TB_ERR_UNSUPPORTED);
	ck_assert_int_eq(tb_gost_digest(da, (const unsigned char *)"x", 1, md, &md_len, &err),
	    TB_ERR_UNSUPPORTED);
	ck_assert_int_eq(tp_gost_key_generate("gost2015-512", &key, &err), TB_ERR_UNSUPPORTED);
	rmdir(empty);
	X509_PUBKEY_free(pub);
	X509_PUBKEY_free(kz);
	X509_ALGOR_free(sa);
	X509_ALGOR_free(da);
}
END_TEST

/* Threads racing on the first use: the load runs once, each gets a verdict. */
static void *
verify_thread(void *arg)
{
	X509_PUBKEY *pub = arg;
	X509_ALGOR *sa = algor("1.2.398.3.10.1.1.2.3.2", 1);
	unsigned char sig[128] = { 1 };
	tb_error err;
	long r;

	r = tb_gost_verify(NULL, sa, pub, (const unsigned char *)"x", 1, sig, sizeof(sig),
	    NULL, &err);
	X509_ALGOR_free(sa);
	return (void *)r;
}

START_TEST(first_use_from_threads)
{
	pthread_t th[8];
	unsigned char pk[131];
	X509_PUBKEY *pub = X509_PUBKEY_new(), *kz;
	void *res;
	int i;

	/* A random point is almost surely off the curve: a crypto refusal. */
	pk[0] = 0x04;
	pk[1] = 0x81;
	pk[2] = 0x80;
	ck_assert_int_eq(RAND_bytes(pk + 3, 128), 1);
	ck_assert_int_eq(X509_PUBKEY_set0_param(pub, OBJ_txt2obj("1.2.398.3.10.1.1.2.2", 1),
	    V_ASN1_UNDEF, NULL, OPENSSL_memdup(pk, sizeof(pk)), sizeof(pk)), 1);
	kz = spki_with(pub, "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.3.3");
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, verify_thread, kz), 0);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		ck_assert_int_eq((long)res, TB_ERR_CRYPTO);
	}
	X509_PUBKEY_free(pub);
	X509_PUBKEY_free(kz);
}
END_TEST

static Suite *
gost_suite(void)
{
	Suite *s = suite_create("gost");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, streebog_matches_reference);
	tcase_add_test(tc, gost94_test_sbox_matches_reference);
	tcase_add_test(tc, unknown_hash_refused);
	tcase_add_test(tc, oid_family);
	tcase_add_loop_test(tc, sign_verify_each_alg, 0, 3);
	tcase_add_test(tc, key_oid_as_signature_alg);
	tcase_add_test(tc, unknown_parameters_refused);
	tcase_add_test(tc, resign_certificate);
	tcase_add_test(tc, resign_crl_and_pem_key);
	tcase_add_test(tc, available_lists_algorithms);
	tcase_add_test(tc, first_use_from_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(gost_suite());
	Suite *fc;
	TCase *tc;
	int failed;

	/* It needs a process of its own (the load runs once per process). */
	if (srunner_fork_status(sr) != CK_NOFORK) {
		fc = suite_create("gost-fail-closed");
		tc = tcase_create("fail-closed");
		tcase_add_test(tc, fails_closed_without_engine);
		suite_add_tcase(fc, tc);
		srunner_add_suite(sr, fc);
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
