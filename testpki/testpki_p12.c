/*
 * Key containers in the NCA's own layout (tests/vectors/nca-p12/README.md):
 * MAC over SHA-1 (1024 iterations, 20-byte salt); the key in a
 * pkcs8ShroudedKeyBag under pbeWithSHA1And3-KeyTripleDES-CBC inside a plain
 * data safe; the certificates in an encrypted-data safe under
 * pbeWithSHA1And40BitRC2-CBC; the key's bag and its certificate's bag carry
 * localKeyID (20 bytes) and friendlyName (its hex). A GOST key is written as
 * the NCA writes it: PKCS#8 with the Kazakh OIDs, the scalar little-endian
 * (libsig's gost.c). It writes what it is given: a key that does not match
 * the certificate makes a container the importer must refuse.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "gost.h"
#include "testpki.h"

#define NCA_ITER 1024
#define NCA_SALT 20

/* localKeyID and friendlyName on a bag, in the NCA's order. */
static int
bag_attrs(PKCS12_SAFEBAG *bag, const unsigned char *id, int id_len, const char *name)
{
	return PKCS12_add_localkeyid(bag, (unsigned char *)id, id_len) &&
	    PKCS12_add_friendlyname_asc(bag, name, -1);
}

/* Pushes bag onto bags, with the attributes when name is given; frees it on failure. */
static int
push_bag(STACK_OF(PKCS12_SAFEBAG) *bags, PKCS12_SAFEBAG *bag, const unsigned char *id,
    int id_len, const char *name)
{
	if (bag == NULL)
		return 0;
	if ((name != NULL && !bag_attrs(bag, id, id_len, name)) ||
	    !sk_PKCS12_SAFEBAG_push(bags, bag)) {
		PKCS12_SAFEBAG_free(bag);
		return 0;
	}
	return 1;
}

int
tp_p12_write(const char *path, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
    const char *pass, tb_error *err)
{
	STACK_OF(PKCS12_SAFEBAG) *kbags = NULL, *cbags = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	PKCS7 *p7 = NULL;
	PKCS12 *p12 = NULL;
	unsigned char id[EVP_MAX_MD_SIZE], salt[NCA_SALT];
	unsigned int id_len = 0;
	char name[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int i;
	int j, r = TB_ERR_INTERNAL;
	BIO *b = NULL;
	OSSL_PROVIDER *dflt = NULL, *legacy = NULL;

	/* RC2-40 is the legacy provider's; loaded for this container and unloaded after it. */
	if ((dflt = OSSL_PROVIDER_load(NULL, "default")) == NULL ||
	    (legacy = OSSL_PROVIDER_load(NULL, "legacy")) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "no legacy provider for RC2-40");
		goto out;
	}
	if (tb_gost_key_alg(key) != NULL) {
		if ((r = tb_gost_key_to_p8(key, &p8, err)) != 0)
			goto out;
	} else if ((p8 = EVP_PKEY2PKCS8(key)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "PKCS#8 of the key");
		goto out;
	}
	if (!X509_digest(cert, EVP_sha1(), id, &id_len)) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "certificate hash");
		goto out;
	}
	for (i = 0; i < id_len; i++)
		snprintf(name + 2 * i, 3, "%02x", id[i]);
	r = TB_ERR_CRYPTO;
	if ((kbags = sk_PKCS12_SAFEBAG_new_null()) == NULL ||
	    (cbags = sk_PKCS12_SAFEBAG_new_null()) == NULL ||
	    (safes = sk_PKCS7_new_null()) == NULL || RAND_bytes(salt, sizeof(salt)) != 1)
		goto ossl;
	if (!push_bag(kbags, PKCS12_SAFEBAG_create_pkcs8_encrypt_ex(
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, pass, -1, salt, sizeof(salt), NCA_ITER, p8,
	    NULL, NULL), id, (int)id_len, name) ||
	    !push_bag(cbags, PKCS12_SAFEBAG_create_cert(cert), id, (int)id_len, name))
		goto ossl;
	for (j = 0; j < sk_X509_num(chain); j++)
		if (!push_bag(cbags, PKCS12_SAFEBAG_create_cert(sk_X509_value(chain, j)), NULL, 0,
		    NULL))
			goto ossl;
	if ((p7 = PKCS12_pack_p7data(kbags)) == NULL || !sk_PKCS7_push(safes, p7))
		goto ossl;
	p7 = NULL;
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    (p7 = PKCS12_pack_p7encdata_ex(NID_pbe_WithSHA1And40BitRC2_CBC, pass, -1, salt,
	    sizeof(salt), NCA_ITER, cbags, NULL, NULL)) == NULL || !sk_PKCS7_push(safes, p7))
		goto ossl;
	p7 = NULL;
	if ((p12 = PKCS12_init(NID_pkcs7_data)) == NULL || !PKCS12_pack_authsafes(p12, safes) ||
	    RAND_bytes(salt, sizeof(salt)) != 1 ||
	    !PKCS12_set_mac(p12, pass, -1, salt, sizeof(salt), NCA_ITER, EVP_sha1()))
		goto ossl;
	if ((b = BIO_new_file(path, "wb")) == NULL || i2d_PKCS12_bio(b, p12) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_IO, "%s: write", path);
		goto out;
	}
	r = 0;
	goto out;
ossl:
	r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "building the container");
out:
	BIO_free(b);
	PKCS12_free(p12);
	PKCS7_free(p7);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	sk_PKCS12_SAFEBAG_pop_free(kbags, PKCS12_SAFEBAG_free);
	sk_PKCS12_SAFEBAG_pop_free(cbags, PKCS12_SAFEBAG_free);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (legacy != NULL)
		OSSL_PROVIDER_unload(legacy);
	if (dflt != NULL)
		OSSL_PROVIDER_unload(dflt);
	return r;
}
