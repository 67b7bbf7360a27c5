/*
 * The Kazakh GOST mapping. NCA keys and signatures use Kazakh OIDs
 * (1.2.398.3.10.1.*) for the Russian GOST R 34.10/34.11 mathematics and
 * store the signature value fully byte-reversed. This file is the only one
 * that knows either; it must never report a GOST signature valid unless
 * the engine ran and accepted it. docs/GOST.md explains the mapping.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include "gost.h"
#include "gost94.h"
#include "gost_engine.h"

/* The largest GOST signature: r and s of 64 bytes each. */
#define GOST_MAX_SIG 128

enum hash_kind { H_STREEBOG512, H_STREEBOG256, H_GOST94_TEST };

typedef struct gost_hash {
	enum hash_kind kind;
	const char *kz_oid;
	const char *alt_oid;	/* another OID accepted for the same hash */
	const char *name;
	size_t len;
} gost_hash;

/* The Russian Streebog OIDs are accepted too: the hash is the same. */
static const gost_hash hashes[] = {
	{ H_STREEBOG512, "1.2.398.3.10.1.3.3", "1.2.643.7.1.1.2.3", "streebog-512", 64 },
	{ H_STREEBOG256, "1.2.398.3.10.1.3.2", "1.2.643.7.1.1.2.2", "streebog-256", 32 },
	/* GOST 34.311-95 is GOST R 34.11-94 with the test S-box. */
	{ H_GOST94_TEST, "1.2.398.3.10.1.3.1.1.0", "1.2.398.3.10.1.3.1", "gost34.311-95", 32 },
};

/*
 * One row per Kazakh key algorithm: its OIDs, and the Russian key type and
 * parameter set the engine knows the same curve by. A Kazakh parameter OID
 * not in this table is refused, never guessed.
 */
typedef struct gost_alg {
	const char *name;
	int bits;
	enum hash_kind hash;
	const char *kz_key;
	const char *kz_params;
	const char *kz_sig;
	const char *ru_key;
	const char *ru_params;
	const char *ru_digest_params;	/* written as the engine writes it; NULL: none */
	const char *engine_paramset;	/* the engine's name for ru_params */
} gost_alg;

static const gost_alg algs[] = {
	{ "gost2015-512", 512, H_STREEBOG512,
	  "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.1.2.3.2",
	  "1.2.643.7.1.1.1.2", "1.2.643.7.1.2.1.2.1", "1.2.643.7.1.1.2.3", "A" },
	{ "gost2015-256", 256, H_STREEBOG256,
	  "1.2.398.3.10.1.1.2.1", "1.2.398.3.10.1.1.2.1.1", "1.2.398.3.10.1.1.2.3.1",
	  "1.2.643.7.1.1.1.1", "1.2.643.7.1.2.1.1.1", NULL, "TCA" },
	{ "gost2004", 256, H_GOST94_TEST,
	  "1.2.398.3.10.1.1.1.1", "1.2.398.3.10.1.1.1.1.1", "1.2.398.3.10.1.1.1.2",
	  "1.2.643.2.2.19", "1.2.643.2.2.35.1", "1.2.643.2.2.30.1", "A" },
};

#define N_ALGS (sizeof(algs) / sizeof(algs[0]))
#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

/*
 * What loaded, set once by load(). Streebog comes from the gost provider
 * in a library context of its own, so the process's default context and
 * its provider set stay as they were.
 */
static CRYPTO_ONCE load_once = CRYPTO_ONCE_STATIC_INIT;
static int load_ran;
static OSSL_LIB_CTX *prov_libctx;
static EVP_MD *md_streebog512, *md_streebog256;
static int engine_ok;
static char prov_why[128], engine_why[128];

static int ru_pkey(const gost_alg *a, const unsigned char *pk, int pk_len, EVP_PKEY **out,
    tb_error *err);

/*
 * The engine's first key decodes, run from several threads at once, race
 * inside the engine and leak curve groups. One decode per algorithm here,
 * under the once, settles that state before any caller races. A point of
 * zeros is refused, which is fine: the parameters were decoded first.
 */
static void
warm_engine(void)
{
	unsigned char pk[3 + 128];
	EVP_PKEY *pkey = NULL;
	tb_error err;
	size_t i;
	int n;

	for (i = 0; i < N_ALGS; i++) {
		n = algs[i].bits / 4;
		memset(pk, 0, sizeof(pk));
		pk[0] = 0x04;	/* OCTET STRING of the point's n bytes */
		if (n < 128) {
			pk[1] = (unsigned char)n;
			n += 2;
		} else {
			pk[1] = 0x81;
			pk[2] = (unsigned char)n;
			n += 3;
		}
		ERR_set_mark();
		if (ru_pkey(&algs[i], pk, n, &pkey, &err) == 0)
			EVP_PKEY_free(pkey);
		pkey = NULL;
		ERR_pop_to_mark();
	}
}

static void
load(void)
{
	OSSL_PROVIDER *prov;

	ERR_set_mark();
	if ((prov_libctx = OSSL_LIB_CTX_new()) == NULL ||
	    (prov = OSSL_PROVIDER_load(prov_libctx, "gostprov")) == NULL)
		snprintf(prov_why, sizeof(prov_why), "gost provider not loadable");
	else if ((md_streebog512 = EVP_MD_fetch(prov_libctx, "md_gost12_512", NULL)) == NULL ||
	    (md_streebog256 = EVP_MD_fetch(prov_libctx, "md_gost12_256", NULL)) == NULL)
		snprintf(prov_why, sizeof(prov_why), "gost provider has no Streebog");
	ERR_pop_to_mark();
	engine_ok = tb_gost_engine_load(engine_why, sizeof(engine_why)) == 0;
	if (engine_ok)
		warm_engine();
	load_ran = 1;
}

static void
ensure_loaded(void)
{
	if (!CRYPTO_THREAD_run_once(&load_once, load) || !load_ran)
		snprintf(engine_why, sizeof(engine_why), "GOST loading failed");
}

static int
oid_is(const ASN1_OBJECT *obj, const char *dotted)
{
	char txt[80];

	if (obj == NULL || OBJ_obj2txt(txt, sizeof(txt), obj, 1) <= 0)
		return 0;
	return strcmp(txt, dotted) == 0;
}

static const gost_hash *
hash_by_oid(const ASN1_OBJECT *obj)
{
	size_t i;

	for (i = 0; i < N_HASHES; i++)
		if (oid_is(obj, hashes[i].kz_oid) ||
		    (hashes[i].alt_oid != NULL && oid_is(obj, hashes[i].alt_oid)))
			return &hashes[i];
	return NULL;
}

static const gost_hash *
hash_by_kind(enum hash_kind kind)
{
	size_t i;

	for (i = 0; i < N_HASHES; i++)
		if (hashes[i].kind == kind)
			return &hashes[i];
	return NULL;
}

static const gost_alg *
alg_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < N_ALGS; i++)
		if (name != NULL && strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

/* 1 when the hash can run now; else writes why to err. */
static int
hash_ready(enum hash_kind kind, tb_error *err)
{
	if (kind == H_GOST94_TEST)
		return 1;	/* carried by tanba itself */
	if ((kind == H_STREEBOG512 ? md_streebog512 : md_streebog256) != NULL)
		return 1;
	tb_error_set(err, TB_ERR_UNSUPPORTED, "Streebog unavailable: %s", prov_why);
	return 0;
}

static int
hash_run(enum hash_kind kind, const unsigned char *data, size_t len,
    unsigned char *out, unsigned int *out_len, tb_error *err)
{
	if (!hash_ready(kind, err))
		return TB_ERR_UNSUPPORTED;
	if (kind == H_GOST94_TEST) {
		tb_gost94_test_digest(data, len, out);
		*out_len = TB_GOST94_LEN;
		return 0;
	}
	if (!EVP_Digest(data, len, out, out_len,
	    kind == H_STREEBOG512 ? md_streebog512 : md_streebog256, NULL))
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "Streebog failed");
	return 0;
}

int
tb_gost_is_gost_oid(const ASN1_OBJECT *oid)
{
	char txt[80];

	if (oid == NULL || OBJ_obj2txt(txt, sizeof(txt), oid, 1) <= 0)
		return 0;
	return strncmp(txt, "1.2.398.3.10.1.", 15) == 0;
}

int
tb_gost_digest(const X509_ALGOR *digest_alg, const unsigned char *data,
    size_t len, unsigned char *out, unsigned int *out_len, tb_error *err)
{
	const ASN1_OBJECT *obj = NULL;
	const gost_hash *h;
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int r;

	if (digest_alg == NULL || out == NULL || out_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no digest algorithm");
	X509_ALGOR_get0(&obj, NULL, NULL, digest_alg);
	if ((h = hash_by_oid(obj)) == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "unknown GOST hash OID");
	ensure_loaded();
	if ((r = hash_run(h->kind, data, len, buf, &n, err)) != 0)
		return r;
	memcpy(out, buf, n);
	*out_len = n;
	return 0;
}

/* Index i of a STACK_OF(ASN1_TYPE) when it is an OBJECT, else NULL. */
static const ASN1_OBJECT *
seq_oid(STACK_OF(ASN1_TYPE) *seq, int i)
{
	ASN1_TYPE *t;

	if (i >= sk_ASN1_TYPE_num(seq) || (t = sk_ASN1_TYPE_value(seq, i)) == NULL ||
	    t->type != V_ASN1_OBJECT)
		return NULL;
	return t->value.object;
}

/*
 * Checks a Kazakh SPKI against row a: key OID, parameter set (a SEQUENCE
 * of the curve OID and optionally the hash OID, or the bare curve OID)
 * and a public key of the right size. Sets *pk / *pk_len to the BIT
 * STRING's contents, which need no change for the Russian SPKI.
 */
static int
kz_spki_check(X509_PUBKEY *spki, const gost_alg *a, const unsigned char **pk,
    int *pk_len, tb_error *err)
{
	STACK_OF(ASN1_TYPE) *seq = NULL;
	ASN1_OCTET_STRING *oct = NULL;
	ASN1_OBJECT *key_obj = NULL;
	const ASN1_OBJECT *param_obj = NULL, *dig_obj = NULL;
	const ASN1_STRING *pstr;
	const unsigned char *p;
	const gost_hash *h;
	X509_ALGOR *palg = NULL;
	const void *pval = NULL;
	int ptype = 0, r = TB_ERR_INTERNAL;

	if (spki == NULL || !X509_PUBKEY_get0_param(&key_obj, pk, pk_len, &palg, spki)) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "no public key");
		goto out;
	}
	if (!oid_is(key_obj, a->kz_key)) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "key algorithm does not match signature algorithm %s", a->name);
		goto out;
	}
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	if (ptype == V_ASN1_OBJECT) {
		param_obj = pval;
	} else if (ptype == V_ASN1_SEQUENCE) {
		pstr = pval;
		p = ASN1_STRING_get0_data(pstr);
		if ((seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(pstr))) == NULL ||
		    p != ASN1_STRING_get0_data(pstr) + ASN1_STRING_length(pstr) ||
		    sk_ASN1_TYPE_num(seq) < 1 || sk_ASN1_TYPE_num(seq) > 2) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "GOST key parameters malformed");
			goto out;
		}
		param_obj = seq_oid(seq, 0);
		if (sk_ASN1_TYPE_num(seq) == 2 && (dig_obj = seq_oid(seq, 1)) == NULL) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "GOST key hash parameter malformed");
			goto out;
		}
	}
	if (param_obj == NULL || !oid_is(param_obj, a->kz_params)) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "unknown %s parameter set", a->name);
		goto out;
	}
	if (dig_obj != NULL && ((h = hash_by_oid(dig_obj)) == NULL || h->kind != a->hash)) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "unknown %s key hash parameter", a->name);
		goto out;
	}
	/* RFC 4491 2.3.2: the BIT STRING holds an OCTET STRING of x || y. */
	p = *pk;
	if ((oct = d2i_ASN1_OCTET_STRING(NULL, &p, *pk_len)) == NULL || p != *pk + *pk_len ||
	    ASN1_STRING_length(oct) != a->bits / 4) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s public key malformed", a->name);
		goto out;
	}
	r = 0;
 out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	ASN1_OCTET_STRING_free(oct);
	return r;
}

/* Appends an OBJECT to seq. */
static int
seq_push_oid(STACK_OF(ASN1_TYPE) *seq, const char *dotted)
{
	ASN1_OBJECT *obj;
	ASN1_TYPE *t;

	if ((obj = OBJ_txt2obj(dotted, 1)) == NULL)
		return 0;
	if ((t = ASN1_TYPE_new()) == NULL) {
		ASN1_OBJECT_free(obj);
		return 0;
	}
	ASN1_TYPE_set(t, V_ASN1_OBJECT, obj);
	if (!sk_ASN1_TYPE_push(seq, t)) {
		ASN1_TYPE_free(t);
		return 0;
	}
	return 1;
}

/*
 * Sets pub to key_oid with parameters SEQUENCE { p1 [, p2] } and the
 * public key BIT STRING contents pk (copied).
 */
static int
spki_set(X509_PUBKEY *pub, const char *key_oid, const char *p1, const char *p2,
    const unsigned char *pk, int pk_len)
{
	STACK_OF(ASN1_TYPE) *seq = NULL;
	ASN1_OBJECT *obj = NULL;
	ASN1_STRING *params = NULL;
	unsigned char *der = NULL, *pkc = NULL;
	int der_len, ok = 0;

	if ((seq = sk_ASN1_TYPE_new_null()) == NULL || !seq_push_oid(seq, p1) ||
	    (p2 != NULL && !seq_push_oid(seq, p2)) ||
	    (der_len = i2d_ASN1_SEQUENCE_ANY(seq, &der)) <= 0 ||
	    (params = ASN1_STRING_new()) == NULL ||
	    !ASN1_STRING_set(params, der, der_len) ||
	    (obj = OBJ_txt2obj(key_oid, 1)) == NULL ||
	    (pkc = OPENSSL_memdup(pk, pk_len)) == NULL)
		goto out;
	if (!X509_PUBKEY_set0_param(pub, obj, V_ASN1_SEQUENCE, params, pkc, pk_len))
		goto out;
	obj = NULL;
	params = NULL;
	pkc = NULL;
	ok = 1;
 out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	OPENSSL_free(der);
	ASN1_OBJECT_free(obj);
	ASN1_STRING_free(params);
	OPENSSL_free(pkc);
	return ok;
}

/* The public key as the engine knows it: the same point under Russian OIDs. */
static int
ru_pkey(const gost_alg *a, const unsigned char *pk, int pk_len, EVP_PKEY **out,
    tb_error *err)
{
	X509_PUBKEY *pub = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int der_len, r = TB_ERR_INTERNAL;

	if ((pub = X509_PUBKEY_new()) == NULL ||
	    !spki_set(pub, a->ru_key, a->ru_params, a->ru_digest_params, pk, pk_len) ||
	    (der_len = i2d_X509_PUBKEY(pub, &der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "building GOST key");
		goto out;
	}
	p = der;
	if ((pkey = d2i_PUBKEY(NULL, &p, der_len)) == NULL) {
		/* The point is not on the curve, or the engine refuses it. */
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s public key rejected", a->name);
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = 0;
 out:
	X509_PUBKEY_free(pub);
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	return r;
}

/* The sig AlgorithmIdentifier's row: the signature OID, or the key OID as some CMS writers put it. */
static const gost_alg *
alg_by_sig(const X509_ALGOR *sig_alg, tb_error *err)
{
	const ASN1_OBJECT *obj = NULL;
	int ptype = V_ASN1_UNDEF;
	size_t i;

	X509_ALGOR_get0(&obj, &ptype, NULL, sig_alg);
	for (i = 0; i < N_ALGS; i++) {
		if (!oid_is(obj, algs[i].kz_sig) && !oid_is(obj, algs[i].kz_key))
			continue;
		if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL) {
			tb_error_set(err, TB_ERR_UNSUPPORTED, "%s with parameters", algs[i].name);
			return NULL;
		}
		return &algs[i];
	}
	tb_error_set(err, TB_ERR_UNSUPPORTED, "unknown GOST signature algorithm");
	return NULL;
}

/* NCA order (r, s little-endian) <-> RFC 4491 order (s, r big-endian). */
static void
reverse(const unsigned char *in, unsigned char *out, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = in[len - 1 - i];
}

int
tb_gost_verify(const X509_ALGOR *digest_alg, const X509_ALGOR *sig_alg,
    X509_PUBKEY *spki, const unsigned char *tbs, size_t tbs_len,
    const unsigned char *sig, size_t sig_len, tb_sigalg_info *info, tb_error *err)
{
	const gost_alg *a;
	const gost_hash *h;
	const ASN1_OBJECT *dobj = NULL;
	const unsigned char *pk = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char dgst[EVP_MAX_MD_SIZE], rs[GOST_MAX_SIG];
	unsigned int dgst_len = 0;
	int pk_len = 0, v, r = TB_ERR_INTERNAL;

	if (sig_alg == NULL || spki == NULL || (tbs == NULL && tbs_len > 0) || sig == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "missing GOST verify input");
		goto out;
	}
	if ((a = alg_by_sig(sig_alg, err)) == NULL) {
		r = TB_ERR_UNSUPPORTED;
		goto out;
	}
	if (digest_alg != NULL) {
		/* A CMS SignerInfo names its hash apart: it must be the row's. */
		X509_ALGOR_get0(&dobj, NULL, NULL, digest_alg);
		if ((h = hash_by_oid(dobj)) == NULL || h->kind != a->hash) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED,
			    "digest algorithm does not match %s", a->name);
			goto out;
		}
	}
	if ((r = kz_spki_check(spki, a, &pk, &pk_len, err)) != 0)
		goto out;
	ensure_loaded();
	if (!engine_ok) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "%s unavailable: %s", a->name,
		    engine_why);
		goto out;
	}
	if (!hash_ready(a->hash, err)) {
		r = TB_ERR_UNSUPPORTED;
		goto out;
	}
	if (sig_len != (size_t)a->bits / 4) {
		r = tb_error_set(err, TB_ERR_CRYPTO, "%s signature of %zu bytes", a->name, sig_len);
		goto out;
	}
	if ((r = ru_pkey(a, pk, pk_len, &pkey, err)) != 0)
		goto out;
	if ((r = hash_run(a->hash, tbs, tbs_len, dgst, &dgst_len, err)) != 0)
		goto out;
	reverse(sig, rs, sig_len);
	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL || EVP_PKEY_verify_init(ctx) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "%s verify not available", a->name);
		goto out;
	}
	if ((v = EVP_PKEY_verify(ctx, rs, sig_len, dgst, dgst_len)) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s signature does not verify", a->name);
		goto out;
	}
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		snprintf(info->name, sizeof(info->name), "%s", a->name);
		info->key_bits = a->bits;
		info->md_nid = NID_undef;
		info->weak_md = 0;
	}
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OPENSSL_cleanse(rs, sizeof(rs));
	return r;
}

int
tb_gost_available(char *buf, size_t len)
{
	size_t i, off = 0;
	int n = 0, w;

	if (buf == NULL || len == 0)
		return 0;
	ensure_loaded();
	buf[0] = '\0';
	for (i = 0; engine_ok && i < N_ALGS; i++) {
		if (!hash_ready(algs[i].hash, NULL))
			continue;
		w = snprintf(buf + off, len - off, "%s%s", n > 0 ? " " : "", algs[i].name);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += w;
		n++;
	}
	if (n == 0)
		snprintf(buf, len, "none: %s", !engine_ok ? engine_why : prov_why);
	return n;
}

/* ---- the mapping for code that signs (the test PKI: testpki/testpki_gost.c) ---- */

/* The row of a key the engine holds, read from its Russian SPKI. */
static const gost_alg *
alg_by_pkey(EVP_PKEY *key, X509_PUBKEY **pub_out)
{
	X509_PUBKEY *pub = NULL;
	ASN1_OBJECT *kobj = NULL;
	STACK_OF(ASN1_TYPE) *seq = NULL;
	const ASN1_STRING *pstr;
	const unsigned char *p;
	const void *pval = NULL;
	X509_ALGOR *palg = NULL;
	const gost_alg *found = NULL;
	int ptype = 0;
	size_t i;

	if (key == NULL || !X509_PUBKEY_set(&pub, key) ||
	    !X509_PUBKEY_get0_param(&kobj, NULL, NULL, &palg, pub))
		goto out;
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	if (ptype != V_ASN1_SEQUENCE)
		goto out;
	pstr = pval;
	p = ASN1_STRING_get0_data(pstr);
	if ((seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(pstr))) == NULL)
		goto out;
	for (i = 0; i < N_ALGS; i++)
		if (oid_is(kobj, algs[i].ru_key) && oid_is(seq_oid(seq, 0), algs[i].ru_params))
			found = &algs[i];
 out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	if (found != NULL && pub_out != NULL) {
		*pub_out = pub;
		pub = NULL;
	}
	X509_PUBKEY_free(pub);
	return found;
}

const char *
tb_gost_key_alg(EVP_PKEY *key)
{
	const gost_alg *a;

	ensure_loaded();
	if (!engine_ok || (a = alg_by_pkey(key, NULL)) == NULL)
		return NULL;
	return a->name;
}

int
tb_gost_engine_ready(tb_error *err)
{
	ensure_loaded();
	if (!engine_ok)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "GOST keys unavailable: %s",
		    engine_why);
	return 0;
}

int
tb_gost_keygen_params(const char *alg, int *key_nid, const char **paramset, tb_error *err)
{
	const gost_alg *a;

	if ((a = alg_by_name(alg)) == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "unknown GOST algorithm %s",
		    alg != NULL ? alg : "(null)");
	*key_nid = OBJ_txt2nid(a->ru_key);
	*paramset = a->engine_paramset;
	return 0;
}

int
tb_gost_key_hash(EVP_PKEY *key, const unsigned char *data, size_t len,
    unsigned char *out, unsigned int *out_len, size_t *sig_len, tb_error *err)
{
	const gost_alg *a;
	int r;

	if ((r = tb_gost_engine_ready(err)) != 0)
		return r;
	if ((a = alg_by_pkey(key, NULL)) == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "not a mapped GOST key");
	if ((r = hash_run(a->hash, data, len, out, out_len, err)) != 0)
		return r;
	*sig_len = (size_t)a->bits / 4;
	return 0;
}

const char *
tb_gost_key_sig_oid(EVP_PKEY *key)
{
	const gost_alg *a;

	ensure_loaded();
	if (!engine_ok || (a = alg_by_pkey(key, NULL)) == NULL)
		return NULL;
	return a->kz_sig;
}

int
tb_gost_kz_spki(EVP_PKEY *key, X509_PUBKEY *kz, tb_error *err)
{
	const gost_alg *a;
	X509_PUBKEY *ru = NULL;
	const unsigned char *pk = NULL;
	int pk_len = 0, r = TB_ERR_INTERNAL;

	ensure_loaded();
	if (!engine_ok) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "GOST keys unavailable: %s", engine_why);
		goto out;
	}
	if ((a = alg_by_pkey(key, &ru)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "not a mapped GOST key");
		goto out;
	}
	if (!X509_PUBKEY_get0_param(NULL, &pk, &pk_len, NULL, ru) ||
	    !spki_set(kz, a->kz_key, a->kz_params, hash_by_kind(a->hash)->kz_oid, pk, pk_len)) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "building Kazakh SPKI");
		goto out;
	}
	r = 0;
 out:
	X509_PUBKEY_free(ru);
	return r;
}

/* ---- private keys as the NCA's containers hold them (p12_read.c, gost_key.c) ---- */

/* AlgorithmIdentifier parameters SEQUENCE { p1, p2 } as an ASN1_STRING (new). */
static ASN1_STRING *
params_seq(const char *p1, const char *p2)
{
	STACK_OF(ASN1_TYPE) *seq = NULL;
	ASN1_STRING *params = NULL;
	unsigned char *der = NULL;
	int der_len;

	if ((seq = sk_ASN1_TYPE_new_null()) != NULL && seq_push_oid(seq, p1) &&
	    (p2 == NULL || seq_push_oid(seq, p2)) &&
	    (der_len = i2d_ASN1_SEQUENCE_ANY(seq, &der)) > 0 &&
	    (params = ASN1_STRING_new()) != NULL && !ASN1_STRING_set(params, der, der_len)) {
		ASN1_STRING_free(params);
		params = NULL;
	}
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	OPENSSL_free(der);
	return params;
}

/*
 * A PrivateKeyInfo of key_oid, params SEQUENCE { p1, p2 } and key bytes
 * (copied; new). The copy is ordinary heap: PKCS8_PRIV_KEY_INFO_free
 * cleanses the key and frees it with OPENSSL_free, which a secure-heap
 * block would abort (the signer process has a secure heap: filekey.c).
 */
static PKCS8_PRIV_KEY_INFO *
p8_build(const char *key_oid, const char *p1, const char *p2, const unsigned char *key,
    int key_len)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	ASN1_OBJECT *obj = NULL;
	ASN1_STRING *params = NULL;
	unsigned char *k = NULL;

	if ((p8 = PKCS8_PRIV_KEY_INFO_new()) == NULL || (obj = OBJ_txt2obj(key_oid, 1)) == NULL ||
	    (params = params_seq(p1, p2)) == NULL || (k = OPENSSL_malloc(key_len)) == NULL)
		goto fail;
	memcpy(k, key, key_len);
	if (!PKCS8_pkey_set0(p8, obj, 0, V_ASN1_SEQUENCE, params, k, key_len))
		goto fail;
	return p8;
fail:
	if (k != NULL)
		OPENSSL_clear_free(k, key_len);
	ASN1_STRING_free(params);
	ASN1_OBJECT_free(obj);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return NULL;
}

/* The row of a Kazakh PrivateKeyInfo (key OID and parameter set), or NULL. */
static const gost_alg *
alg_by_kz_p8(const PKCS8_PRIV_KEY_INFO *p8, const unsigned char **key, int *key_len)
{
	const ASN1_OBJECT *kobj = NULL;
	const X509_ALGOR *palg = NULL;
	const ASN1_STRING *pstr;
	const void *pval = NULL;
	STACK_OF(ASN1_TYPE) *seq = NULL;
	const gost_alg *found = NULL;
	const unsigned char *p;
	int ptype = 0;
	size_t i;

	if (!PKCS8_pkey_get0(&kobj, key, key_len, &palg, p8))
		return NULL;
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	if (ptype != V_ASN1_SEQUENCE)
		return NULL;
	pstr = pval;
	p = ASN1_STRING_get0_data(pstr);
	if ((seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(pstr))) == NULL)
		return NULL;
	for (i = 0; i < N_ALGS; i++)
		if (oid_is(kobj, algs[i].kz_key) && oid_is(seq_oid(seq, 0), algs[i].kz_params))
			found = &algs[i];
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return found;
}

int
tb_gost_p8_to_key(const PKCS8_PRIV_KEY_INFO *kz, EVP_PKEY **out, tb_error *err)
{
	const gost_alg *a;
	const unsigned char *key = NULL, *p;
	ASN1_OCTET_STRING *oct = NULL;
	PKCS8_PRIV_KEY_INFO *ru = NULL;
	EVP_PKEY *pkey = NULL;
	int key_len = 0, r = TB_ERR_INTERNAL;

	if (kz == NULL || out == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no key");
		goto out;
	}
	if ((a = alg_by_kz_p8(kz, &key, &key_len)) == NULL || a->hash == H_GOST94_TEST) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "not a GOST 34.10-2015 key under the "
		    "Kazakh OIDs (1.2.398.3.10.1.1.2.*) with a known parameter set");
		goto out;
	}
	/* DOMAIN.md: an OCTET STRING of the scalar, little-endian, bits/8 bytes. */
	p = key;
	if ((oct = d2i_ASN1_OCTET_STRING(NULL, &p, key_len)) == NULL || p != key + key_len ||
	    ASN1_STRING_length(oct) != a->bits / 8) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s private key is not an OCTET STRING "
		    "of %d bytes", a->name, a->bits / 8);
		goto out;
	}
	ensure_loaded();
	if (!engine_ok) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "%s unavailable: %s", a->name, engine_why);
		goto out;
	}
	/* The engine's own form: the same bytes, bare, under the Russian OIDs. */
	if ((ru = p8_build(a->ru_key, a->ru_params, a->ru_digest_params,
	    ASN1_STRING_get0_data(oct), ASN1_STRING_length(oct))) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "building the engine's key");
		goto out;
	}
	if ((pkey = EVP_PKCS82PKEY(ru)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "the gost engine refuses the %s key",
		    a->name);
		goto out;
	}
	*out = pkey;
	r = 0;
out:
	if (oct != NULL)
		ASN1_STRING_clear_free(oct);
	PKCS8_PRIV_KEY_INFO_free(ru);
	return r;
}

int
tb_gost_key_to_p8(EVP_PKEY *key, PKCS8_PRIV_KEY_INFO **out, tb_error *err)
{
	const gost_alg *a;
	PKCS8_PRIV_KEY_INFO *ru = NULL, *kz = NULL;
	ASN1_OCTET_STRING *oct = NULL;
	const unsigned char *k = NULL;
	unsigned char *der = NULL;
	int k_len = 0, der_len = 0, r = TB_ERR_INTERNAL;

	if ((r = tb_gost_engine_ready(err)) != 0)
		goto out;
	if ((a = alg_by_pkey(key, NULL)) == NULL || a->hash == H_GOST94_TEST) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "not a GOST 2012 key of a mapped row");
		goto out;
	}
	if ((ru = EVP_PKEY2PKCS8(key)) == NULL || !PKCS8_pkey_get0(NULL, &k, &k_len, NULL, ru) ||
	    k_len != a->bits / 8) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "the engine's %s private key", a->name);
		goto out;
	}
	if ((oct = ASN1_OCTET_STRING_new()) == NULL || !ASN1_OCTET_STRING_set(oct, k, k_len) ||
	    (der_len = i2d_ASN1_OCTET_STRING(oct, &der)) <= 0 ||
	    (kz = p8_build(a->kz_key, a->kz_params, hash_by_kind(a->hash)->kz_oid, der,
	    der_len)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "building the Kazakh key");
		goto out;
	}
	*out = kz;
	r = 0;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)der_len);
	if (oct != NULL)
		ASN1_STRING_clear_free(oct);
	PKCS8_PRIV_KEY_INFO_free(ru);
	return r;
}

int
tb_gost_cert_info(X509 *cert, tb_gost_sig_info *out, tb_error *err)
{
	X509_PUBKEY *spki;
	ASN1_OBJECT *kobj = NULL;
	const unsigned char *pk = NULL;
	int pk_len = 0, r;
	size_t i;

	if (cert == NULL || out == NULL || (spki = X509_get_X509_PUBKEY(cert)) == NULL ||
	    !X509_PUBKEY_get0_param(&kobj, NULL, NULL, NULL, spki))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no certificate key");
	for (i = 0; i < N_ALGS; i++) {
		if (!oid_is(kobj, algs[i].kz_key))
			continue;
		if (algs[i].hash == H_GOST94_TEST)
			return tb_error_set(err, TB_ERR_UNSUPPORTED,
			    "GOST 34.310-2004 keys are verified, never used to sign");
		if ((r = kz_spki_check(spki, &algs[i], &pk, &pk_len, err)) != 0)
			return r;
		out->name = algs[i].name;
		out->hash_oid = hash_by_kind(algs[i].hash)->kz_oid;
		out->sig_oid = algs[i].kz_sig;
		out->hash_len = hash_by_kind(algs[i].hash)->len;
		out->sig_len = (size_t)algs[i].bits / 4;
		return 0;
	}
	return tb_error_set(err, TB_ERR_UNSUPPORTED, "not a Kazakh GOST certificate");
}

int
tb_gost_sign_digest(EVP_PKEY *key, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char rs[GOST_MAX_SIG];
	size_t rs_len = sizeof(rs);
	const gost_alg *a;
	int r = TB_ERR_INTERNAL;

	if (key == NULL || digest == NULL || sig == NULL || sig_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
		goto out;
	}
	if ((r = tb_gost_engine_ready(err)) != 0)
		goto out;
	if ((a = alg_by_pkey(key, NULL)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "not a mapped GOST key");
		goto out;
	}
	if (digest_len != hash_by_kind(a->hash)->len || *sig_len < (size_t)a->bits / 4) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "%s signs a %zu-byte digest into %d "
		    "bytes", a->name, hash_by_kind(a->hash)->len, a->bits / 4);
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_sign(ctx, rs, &rs_len, digest, digest_len) <= 0 ||
	    rs_len != (size_t)a->bits / 4) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s signing failed", a->name);
		goto out;
	}
	/* RFC 4491 order (s, r big-endian) to the NCA's (r, s little-endian). */
	reverse(rs, sig, rs_len);
	*sig_len = rs_len;
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	OPENSSL_cleanse(rs, sizeof(rs));
	return r;
}

int
tb_gost_digest_oid(const char *dotted, const unsigned char *data, size_t len,
    unsigned char *out, unsigned int *out_len, tb_error *err)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(dotted, 1);
	const gost_hash *h = obj != NULL ? hash_by_oid(obj) : NULL;

	ASN1_OBJECT_free(obj);
	if (h == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "unknown GOST hash OID");
	ensure_loaded();
	return hash_run(h->kind, data, len, out, out_len, err);
}
