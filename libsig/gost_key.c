/*
 * GOST 2015 file keys: an NCA container opened once, the key turned into
 * the gost engine's form through gost.c's mapping and checked against its
 * certificate, the holder kept on locked pages left out of core dumps.
 * Signatures leave in the NCA's byte order. Never logs or copies the key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "gost_key.h"
#include "p12_read.h"
#include "tb_file.h"
#include "tb_secmem.h"

#define P12_MAX_BYTES (1024 * 1024)

struct tb_gost_key {
	size_t map_len;		/* the locked mapping this struct lives in */
	EVP_PKEY *pkey;		/* the engine's key; its scalar is freed with BN_clear_free */
	X509 *cert;
	STACK_OF(X509) *chain;
	tb_gost_sig_info info;
};

/* A zeroed holder on its own locked, undumpable pages (a refused lock: still undumpable). */
static tb_gost_key *
holder_new(void)
{
	size_t len = 0;
	tb_gost_key *k = tb_secmem_new(sizeof(*k), &len);

	if (k != NULL)
		k->map_len = len;
	return k;
}

void
tb_gost_key_free(tb_gost_key *k)
{
	size_t len;

	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	X509_free(k->cert);
	sk_X509_pop_free(k->chain, X509_free);
	len = k->map_len;
	tb_secmem_free(k, len);
}

/* 1 when the engine key's Kazakh SPKI is the certificate's, byte for byte. */
static int
key_is_certs(EVP_PKEY *pkey, X509 *cert)
{
	X509_PUBKEY *kz = X509_PUBKEY_new();
	unsigned char *a = NULL, *b = NULL;
	int al, bl, same = 0;

	if (kz != NULL && tb_gost_kz_spki(pkey, kz, NULL) == 0 &&
	    (al = i2d_X509_PUBKEY(kz, &a)) > 0 &&
	    (bl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &b)) > 0)
		same = al == bl && memcmp(a, b, (size_t)al) == 0;
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_PUBKEY_free(kz);
	return same;
}

int
tb_gost_key_load_p12_mem(const unsigned char *der, size_t der_len, const char *password,
    tb_gost_key **out, tb_error *err)
{
	tb_p12 *box = NULL;
	tb_gost_key *k = NULL;
	int r = TB_ERR_INTERNAL;

	if (out == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no output");
		goto out;
	}
	if ((r = tb_p12_read(der, der_len, password, &box, err)) != 0)
		goto out;
	if ((k = holder_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "no memory to hold the key");
		goto out;
	}
	if ((r = tb_gost_cert_info(box->cert, &k->info, err)) != 0 ||
	    (r = tb_gost_p8_to_key(box->p8, &k->pkey, err)) != 0)
		goto out;
	if (!key_is_certs(k->pkey, box->cert)) {
		r = tb_error_set(err, TB_ERR_CRYPTO,
		    "the container's key is not the key of its certificate");
		goto out;
	}
	k->cert = box->cert;
	box->cert = NULL;
	k->chain = box->chain;
	box->chain = NULL;
	*out = k;
	k = NULL;
	r = 0;
out:
	tb_gost_key_free(k);
	tb_p12_free(box);
	return r;
}

int
tb_gost_key_load_p12(const char *path, const char *password, tb_gost_key **out,
    tb_error *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	int r;

	if ((r = tb_file_read(path, P12_MAX_BYTES, &der, &der_len, err)) != 0)
		return r;
	r = tb_gost_key_load_p12_mem(der, der_len, password, out, err);
	OPENSSL_cleanse(der, der_len);
	free(der);
	return r;
}

X509 *
tb_gost_key_cert(const tb_gost_key *k)
{
	return k != NULL ? k->cert : NULL;
}

STACK_OF(X509) *
tb_gost_key_chain(const tb_gost_key *k)
{
	return k != NULL ? k->chain : NULL;
}

const tb_gost_sig_info *
tb_gost_key_info(const tb_gost_key *k)
{
	return k != NULL ? &k->info : NULL;
}

int
tb_gost_key_sign(tb_gost_key *k, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	if (k == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no key");
	return tb_gost_sign_digest(k->pkey, digest, digest_len, sig, sig_len, err);
}

int
tb_gost_signer_cb(void *ctx, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	(void)md_nid;
	return tb_gost_key_sign(ctx, digest, digest_len, sig, sig_len, err);
}
