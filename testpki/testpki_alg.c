/*
 * The test PKI's table of key and signature algorithms: RSA, ECDSA,
 * GOST 34.10-2015 and the legacy GOST 34.310-2004 with the Kazakh OIDs.
 * Adding an algorithm means one table row and, where OpenSSL cannot
 * produce the keys or signature bytes as wanted, its own functions.
 * Nothing outside this file names an algorithm, and no GOST byte order
 * is known here (libsig's gost.c owns it).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "gost.h"
#include "testpki.h"

/* RSA PKCS#1 v1.5 and ECDSA: OpenSSL signs the TBS bytes as they are. */
static int
sign_evp(const tp_alg *alg, EVP_PKEY *key, const unsigned char *tbs,
    size_t tbs_len, unsigned char **sig, size_t *sig_len, tb_error *err)
{
	int r = TB_ERR_CRYPTO;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "EVP_MD_CTX_new");
		goto out;
	}
	if (EVP_DigestSignInit_ex(ctx, NULL, alg->md, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, tbs, tbs_len) != 1) {
		tb_error_set_ossl(err, r, "%s: sign init", alg->name);
		goto out;
	}
	if ((buf = OPENSSL_malloc(len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "signature buffer");
		goto out;
	}
	if (EVP_DigestSign(ctx, buf, &len, tbs, tbs_len) != 1) {
		tb_error_set_ossl(err, r, "%s: sign", alg->name);
		goto out;
	}
	*sig = buf;
	*sig_len = len;
	buf = NULL;
	r = 0;
out:
	OPENSSL_free(buf);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* RSA by modulus size, EC by curve name: OpenSSL's default provider. */
static int
keygen_evp(const tp_alg *alg, EVP_PKEY **out, tb_error *err)
{
	EVP_PKEY *k;

	if (alg->curve != NULL)
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg->keytype, alg->curve);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, alg->keytype, alg->bits);
	if (k == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s: key generation", alg->name);
	*out = k;
	return 0;
}

static int
spki_evp(const tp_alg *alg, X509 *x, EVP_PKEY *key, tb_error *err)
{
	if (X509_set_pubkey(x, key) != 1)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s: public key",
		    alg != NULL ? alg->name : "key");
	return 0;
}

/*
 * GOST 34.10-2015: libsig's GOST module owns the Kazakh OIDs and the
 * reversed byte order; these three only hand the work over.
 */
static int
keygen_gost(const tp_alg *alg, EVP_PKEY **out, tb_error *err)
{
	return tp_gost_key_generate(alg->gost, out, err);
}

static int
sign_gost(const tp_alg *alg, EVP_PKEY *key, const unsigned char *tbs,
    size_t tbs_len, unsigned char **sig, size_t *sig_len, tb_error *err)
{
	unsigned char *buf;
	int r;

	if (tb_gost_key_alg(key) == NULL || strcmp(tb_gost_key_alg(key), alg->gost) != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: key is not %s", alg->name,
		    alg->gost);
	/* 128 bytes: r and s of a 512-bit key. */
	if ((buf = OPENSSL_malloc(128)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "signature buffer");
	if ((r = tp_gost_sign(key, tbs, tbs_len, buf, sig_len, err)) != 0) {
		OPENSSL_free(buf);
		return r;
	}
	*sig = buf;
	return 0;
}

static int
spki_gost(const tp_alg *alg, X509 *x, EVP_PKEY *key, tb_error *err)
{
	(void)alg;
	return tp_gost_x509_set_pubkey(x, key, err);
}

#define SHA256_OID "2.16.840.1.101.3.4.2.1"
#define GOST_SIGN_KU "critical,digitalSignature,nonRepudiation,keyEncipherment"

/*
 * First row of a key type wins in tp_alg_for_key: RSA keys of any size
 * sign sha256WithRSAEncryption. The GOST rows' key types are the engine's
 * names of the Russian key algorithms the Kazakh ones map to.
 */
static const tp_alg algs[] = {
	{ "rsa2048", "RSA", 2048, NULL, "1.2.840.113549.1.1.11", 1, "SHA256",
	  SHA256_OID, NULL, NULL, keygen_evp, sign_evp, spki_evp },
	{ "rsa4096", "RSA", 4096, NULL, "1.2.840.113549.1.1.11", 1, "SHA256",
	  SHA256_OID, NULL, NULL, keygen_evp, sign_evp, spki_evp },
	{ "ec256", "EC", 0, "P-256", "1.2.840.10045.4.3.2", 0, "SHA256",
	  SHA256_OID, NULL, NULL, keygen_evp, sign_evp, spki_evp },
	/* The NCA writes NULL parameters after the GOST signature OID. */
	{ "gost512", "gost2012_512", 0, NULL, "1.2.398.3.10.1.1.2.3.2", 1, NULL,
	  "1.2.398.3.10.1.3.3", "gost2015-512", GOST_SIGN_KU,
	  keygen_gost, sign_gost, spki_gost },
	{ "gost256", "gost2012_256", 0, NULL, "1.2.398.3.10.1.1.2.3.1", 1, NULL,
	  "1.2.398.3.10.1.3.2", "gost2015-256", GOST_SIGN_KU,
	  keygen_gost, sign_gost, spki_gost },
	/*
	 * GOST 34.310-2004 (legacy): the NCA's test TSA still signs with it.
	 * Its hash is GOST 34.311-95 with the test S-box, libsig's gost94.c.
	 */
	{ "gost2004", "gost2001", 0, NULL, "1.2.398.3.10.1.1.1.2", 1, NULL,
	  "1.2.398.3.10.1.3.1.1.0", "gost2004", GOST_SIGN_KU,
	  keygen_gost, sign_gost, spki_gost },
};

static const struct {
	const char *name;
	const char *oid;
} digests[] = {
	{ "sha256", SHA256_OID },
	{ "streebog512", "1.2.398.3.10.1.3.3" },	/* GOST 34.11-2015 512, Kazakh OID */
	{ "streebog256", "1.2.398.3.10.1.3.2" },
};

const tp_alg *
tp_alg_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

const tp_alg *
tp_alg_for_key(EVP_PKEY *key)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (!EVP_PKEY_is_a(key, algs[i].keytype))
			continue;
		/* A GOST key type spans parameter sets; only the Kazakh ones map. */
		if (algs[i].gost != NULL && (tb_gost_key_alg(key) == NULL ||
		    strcmp(tb_gost_key_alg(key), algs[i].gost) != 0))
			continue;
		return &algs[i];
	}
	return NULL;
}

int
tp_alg_set_pubkey(X509 *x, EVP_PKEY *key, tb_error *err)
{
	const tp_alg *a = tp_alg_for_key(key);

	/* A key no row signs with (a CSR's Ed25519, say) can still be certified. */
	if (a == NULL)
		return spki_evp(NULL, x, key, err);
	return a->spki(a, x, key, err);
}

const char *
tp_digest_oid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (strcmp(digests[i].name, name) == 0)
			return digests[i].oid;
	return NULL;
}

const char *
tp_digest_names(void)
{
	static char names[128];
	size_t i, len = 0;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]) && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
		    i ? "|" : "", digests[i].name);
	return names;
}

int
tp_gost_load(tb_error *err)
{
	char why[256];

	if (tb_gost_available(why, sizeof(why)) > 0)
		return 0;
	return tb_error_set(err, TB_ERR_UNSUPPORTED, "GOST: %s", why);
}

const char *
tp_alg_names(void)
{
	static char names[128];
	size_t i, len = 0;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]) && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
		    i ? "|" : "", algs[i].name);
	return names;
}

int
tp_alg_keygen(const tp_alg *alg, EVP_PKEY **out, tb_error *err)
{
	return alg->keygen(alg, out, err);
}

X509_ALGOR *
tp_alg_sigalg_new(const tp_alg *alg)
{
	X509_ALGOR *a = NULL;
	ASN1_OBJECT *obj = NULL;

	if ((a = X509_ALGOR_new()) == NULL ||
	    (obj = OBJ_txt2obj(alg->sig_oid, 1)) == NULL)
		goto fail;
	/* RFC 4055 2.1: RSA parameters are NULL; RFC 5758 3.2: ECDSA absent. */
	if (X509_ALGOR_set0(a, obj, alg->sig_params_null ? V_ASN1_NULL : V_ASN1_UNDEF,
	    NULL) != 1)
		goto fail;
	return a;
fail:
	ASN1_OBJECT_free(obj);
	X509_ALGOR_free(a);
	return NULL;
}
