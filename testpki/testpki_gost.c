/*
 * The test PKI's GOST signing: keys on the Kazakh parameter sets, NCA
 * signature values, Kazakh SPKIs in certificates, and re-signing a DER
 * object made with a throw-away key. The mapping (OIDs, rows, hashes) is
 * libsig's (gost.h), and so is the signing primitive (tb_gost_sign_digest,
 * which file keys use too); key generation and re-signing live here. Test tool: never linked into tanbad or tanba.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "der_reader.h"
#include "gost.h"
#include "testpki_gost.h"

/* The largest GOST signature: r and s of 64 bytes each. */
#define GOST_MAX_SIG 128

int
tp_gost_key_generate(const char *alg, EVP_PKEY **out, tb_error *err)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	const char *paramset = NULL;
	int nid = NID_undef, r = TB_ERR_INTERNAL;

	if (out == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no output");
		goto out;
	}
	if ((r = tb_gost_keygen_params(alg, &nid, &paramset, err)) != 0 ||
	    (r = tb_gost_engine_ready(err)) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_id(nid, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_ctrl_str(ctx, "paramset", paramset) <= 0 ||
	    EVP_PKEY_keygen(ctx, &key) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s key generation failed", alg);
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return r;
}

int
tp_gost_key_read_pem(const char *path, EVP_PKEY **out, tb_error *err)
{
	EVP_PKEY *key = NULL;
	FILE *f = NULL;
	int r = TB_ERR_INTERNAL;

	if ((r = tb_gost_engine_ready(err)) != 0)
		goto out;
	if (path == NULL || out == NULL || (f = fopen(path, "r")) == NULL) {
		r = tb_error_set(err, TB_ERR_IO, "cannot open %s", path != NULL ? path : "(null)");
		goto out;
	}
	if ((key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL ||
	    tb_gost_key_alg(key) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "%s is not a mapped GOST key", path);
		goto out;
	}
	*out = key;
	key = NULL;
	r = 0;
 out:
	if (f != NULL)
		fclose(f);
	EVP_PKEY_free(key);
	return r;
}

int
tp_gost_sign(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	unsigned char dgst[EVP_MAX_MD_SIZE];
	unsigned int dgst_len = 0;
	size_t want = 0;
	int r;

	if (sig == NULL || sig_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no output");
	if ((r = tb_gost_key_hash(key, tbs, tbs_len, dgst, &dgst_len, &want, err)) != 0)
		return r;
	*sig_len = want;	/* callers give 128 bytes */
	return tb_gost_sign_digest(key, dgst, dgst_len, sig, sig_len, err);
}

int
tp_gost_spki_der(EVP_PKEY *key, unsigned char **der, size_t *der_len, tb_error *err)
{
	X509_PUBKEY *kz = NULL;
	unsigned char *buf = NULL;
	int n, r = TB_ERR_INTERNAL;

	if (der == NULL || der_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no output");
		goto out;
	}
	if ((kz = X509_PUBKEY_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "X509_PUBKEY_new");
		goto out;
	}
	if ((r = tb_gost_kz_spki(key, kz, err)) != 0)
		goto out;
	if ((n = i2d_X509_PUBKEY(kz, &buf)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_INTERNAL, "encoding Kazakh SPKI");
		goto out;
	}
	*der = buf;
	*der_len = (size_t)n;
	buf = NULL;
	r = 0;
 out:
	X509_PUBKEY_free(kz);
	OPENSSL_free(buf);
	return r;
}

int
tp_gost_x509_set_pubkey(X509 *x, EVP_PKEY *key, tb_error *err)
{
	X509_PUBKEY *pub;

	if (x == NULL || (pub = X509_get_X509_PUBKEY(x)) == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no certificate");
	return tb_gost_kz_spki(key, pub, err);
}

/* Writes SEQUENCE { parts } to a new buffer. */
static unsigned char *
der_seq(const unsigned char *const *parts, const size_t *lens, int n, size_t *out_len)
{
	unsigned char *buf, *w;
	size_t content = 0;
	int i, total;

	for (i = 0; i < n; i++)
		content += lens[i];
	if (content > 0x7fffffff ||
	    (total = ASN1_object_size(1, (int)content, V_ASN1_SEQUENCE)) <= 0 ||
	    (buf = OPENSSL_malloc((size_t)total)) == NULL)
		return NULL;
	w = buf;
	ASN1_put_object(&w, 1, (int)content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	for (i = 0; i < n; i++) {
		memcpy(w, parts[i], lens[i]);
		w += lens[i];
	}
	*out_len = (size_t)total;
	return buf;
}

int
tp_gost_resign(const unsigned char *der, size_t der_len, EVP_PKEY *key,
    unsigned char **out, size_t *out_len, tb_error *err)
{
	const unsigned char *tparts[3], *oparts[4];
	size_t tlens[3], olens[4], tbs_len = 0, sig_len = 0;
	unsigned char *alg_der = NULL, *tbs = NULL, *bits = NULL, *res = NULL, *w;
	unsigned char sig[GOST_MAX_SIG], tag, t3;
	const char *sig_oid;
	X509_ALGOR *algor = NULL;
	tb_der d, outer, tbs_c, it, el, el_whole, c;
	int alg_len, i, bits_len, r = TB_ERR_INTERNAL;

	if (der == NULL || out == NULL || out_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no input");
		goto out;
	}
	if ((r = tb_gost_engine_ready(err)) != 0)
		goto out;
	if ((sig_oid = tb_gost_key_sig_oid(key)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no mapped GOST key");
		goto out;
	}
	/* The new AlgorithmIdentifier, with NULL parameters as the NCA writes it. */
	if ((algor = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(algor, OBJ_txt2obj(sig_oid, 1), V_ASN1_NULL, NULL) ||
	    (alg_len = i2d_X509_ALGOR(algor, &alg_der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "encoding algorithm");
		goto out;
	}
	/* Outer SEQUENCE { tbs SEQUENCE, AlgorithmIdentifier, BIT STRING [, ...] }. */
	tb_der_init(&d, der, der_len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &outer, NULL) != 0 || !tb_der_empty(&d)) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "not a signed DER object");
		goto out;
	}
	if (tb_der_expect(&outer, TB_DER_SEQUENCE, &tbs_c, NULL) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "no TBS");
		goto out;
	}
	/* Within the TBS, the first SEQUENCE that starts with an OID among the
	 * first three elements is its signature AlgorithmIdentifier
	 * (Certificate, CertificateList); an OCSP ResponseData has none. */
	tparts[0] = tbs_c.p;
	tlens[0] = tbs_c.len;
	tparts[1] = tparts[2] = NULL;
	tlens[1] = tlens[2] = 0;
	it = tbs_c;
	for (i = 0; i < 3; i++) {
		if (tb_der_next(&it, &tag, &el, &el_whole) != 0)
			break;
		if (tag != TB_DER_SEQUENCE || tb_der_peek(&el, &t3) != 0 || t3 != TB_DER_OID)
			continue;
		tlens[0] = (size_t)(el_whole.p - tbs_c.p);
		tparts[1] = alg_der;
		tlens[1] = (size_t)alg_len;
		tparts[2] = el_whole.p + el_whole.len;
		tlens[2] = (size_t)(tbs_c.p + tbs_c.len - tparts[2]);
		break;
	}
	if ((tbs = der_seq(tparts, tlens, tparts[1] != NULL ? 3 : 1, &tbs_len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "building TBS");
		goto out;
	}
	if (tb_der_expect(&outer, TB_DER_SEQUENCE, &c, NULL) != 0 ||
	    tb_der_expect(&outer, TB_DER_BIT_STRING, &c, NULL) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "no signature");
		goto out;
	}
	if ((r = tp_gost_sign(key, tbs, tbs_len, sig, &sig_len, err)) != 0)
		goto out;
	bits_len = ASN1_object_size(0, (int)sig_len + 1, V_ASN1_BIT_STRING);
	if ((bits = OPENSSL_malloc((size_t)bits_len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "signature");
		goto out;
	}
	w = bits;
	ASN1_put_object(&w, 0, (int)sig_len + 1, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL);
	*w++ = 0;	/* no unused bits */
	memcpy(w, sig, sig_len);
	oparts[0] = tbs;
	olens[0] = tbs_len;
	oparts[1] = alg_der;
	olens[1] = (size_t)alg_len;
	oparts[2] = bits;
	olens[2] = (size_t)bits_len;
	/* What follows the signature (a BasicOCSPResponse's certs) is kept. */
	oparts[3] = outer.p;
	olens[3] = outer.len;
	if ((res = der_seq(oparts, olens, 4, out_len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "building signed object");
		goto out;
	}
	*out = res;
	r = 0;
 out:
	X509_ALGOR_free(algor);
	OPENSSL_free(alg_der);
	OPENSSL_free(tbs);
	OPENSSL_free(bits);
	return r;
}
