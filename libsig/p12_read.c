/*
 * PKCS#12 containers (RFC 7292) as the NCA issues them: MAC over SHA-1, a
 * pkcs8ShroudedKeyBag under 3DES, the certificates in an encrypted-data bag
 * under RC2-40. The password opens the MAC first, so a wrong one is told
 * apart from a damaged file; nothing here retries it or keeps it.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#include "p12_read.h"

/* RC2-40 lives in the legacy provider: loaded here only, never in the default context. */
static CRYPTO_ONCE ctx_once = CRYPTO_ONCE_STATIC_INIT;
static OSSL_LIB_CTX *p12_ctx;

static void
ctx_load(void)
{
	OSSL_LIB_CTX *c;

	ERR_set_mark();
	if ((c = OSSL_LIB_CTX_new()) != NULL && OSSL_PROVIDER_load(c, "default") != NULL) {
		(void)OSSL_PROVIDER_load(c, "legacy");	/* without it: AES-bagged files only */
		p12_ctx = c;
	} else
		OSSL_LIB_CTX_free(c);
	ERR_pop_to_mark();
}

void
tb_p12_free(tb_p12 *p)
{
	if (p == NULL)
		return;
	PKCS8_PRIV_KEY_INFO_free(p->p8);	/* its ASN1 free clears the key octets */
	X509_free(p->cert);
	sk_X509_pop_free(p->chain, X509_free);
	OPENSSL_free(p);
}

void
tb_p12_key_oid(const tb_p12 *p, char *buf, size_t len)
{
	const ASN1_OBJECT *obj = NULL;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (p == NULL || p->p8 == NULL || !PKCS8_pkey_get0(&obj, NULL, NULL, NULL, p->p8) ||
	    OBJ_obj2txt(buf, (int)len, obj, 1) <= 0)
		buf[0] = '\0';
}

/* The bags of one authenticated safe: plain data, or encrypted with the password. */
static STACK_OF(PKCS12_SAFEBAG) *
safe_bags(PKCS7 *p7, const char *pass)
{
	PKCS7_ENC_CONTENT *ec;

	switch (OBJ_obj2nid(p7->type)) {
	case NID_pkcs7_data:
		return PKCS12_unpack_p7data(p7);
	case NID_pkcs7_encrypted:
		if (p7->d.encrypted == NULL || (ec = p7->d.encrypted->enc_data) == NULL ||
		    ec->enc_data == NULL)
			return NULL;
		return PKCS12_item_decrypt_d2i_ex(ec->algorithm, ASN1_ITEM_rptr(PKCS12_SAFEBAGS),
		    pass, -1, ec->enc_data, 1, p12_ctx, NULL);
	default:
		return NULL;
	}
}

static int
same_id(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b)
{
	return a != NULL && b != NULL && ASN1_STRING_cmp(a, b) == 0;
}

int
tb_p12_read(const unsigned char *der, size_t der_len, const char *password,
    tb_p12 **out, tb_error *err)
{
	PKCS12 *p12 = NULL;
	STACK_OF(PKCS7) *safes = NULL;
	STACK_OF(PKCS12_SAFEBAG) *bags = NULL;
	STACK_OF(X509) *certs = NULL;
	ASN1_OCTET_STRING *key_id = NULL, **cert_ids = NULL, **ids;
	const ASN1_OCTET_STRING *bid;
	const PKCS12_SAFEBAG *bag;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const unsigned char *p = der;
	tb_p12 *res = NULL;
	X509 *x;
	int i, j, n, nids = 0, nkeys = 0, leaf = -1, r = TB_ERR_INTERNAL;

	if (der == NULL || password == NULL || out == NULL || der_len > LONG_MAX) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "missing container or password");
		goto out;
	}
	if (!CRYPTO_THREAD_run_once(&ctx_once, ctx_load) || p12_ctx == NULL) {
		r = tb_error_set(err, TB_ERR_CRYPTO, "no library context for PKCS#12");
		goto out;
	}
	if ((p12 = d2i_PKCS12(NULL, &p, (long)der_len)) == NULL || p != der + der_len) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "not a PKCS#12 container");
		goto out;
	}
	if (!PKCS12_mac_present(p12)) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "the container has no MAC to check "
		    "the password with");
		goto out;
	}
	if (!PKCS12_verify_mac(p12, password, -1)) {
		ERR_clear_error();
		r = tb_error_set(err, TB_ERR_PIN_INCORRECT, "wrong password for the container");
		goto out;
	}
	if ((safes = PKCS12_unpack_authsafes(p12)) == NULL ||
	    (certs = sk_X509_new_null()) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "unreadable authenticated safes");
		goto out;
	}
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		if ((bags = safe_bags(sk_PKCS7_value(safes, i), password)) == NULL) {
			r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "safe %d cannot be opened", i);
			goto out;
		}
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			bag = sk_PKCS12_SAFEBAG_value(bags, j);
			bid = PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID) != NULL ?
			    PKCS12_SAFEBAG_get0_attr(bag, NID_localKeyID)->value.octet_string : NULL;
			switch (PKCS12_SAFEBAG_get_nid(bag)) {
			case NID_pkcs8ShroudedKeyBag:
			case NID_keyBag:
				if (++nkeys > 1) {
					r = tb_error_set(err, TB_ERR_UNSUPPORTED,
					    "the container holds more than one private key");
					goto out;
				}
				p8 = PKCS12_SAFEBAG_get_nid(bag) == NID_keyBag ?
				    ASN1_item_dup(ASN1_ITEM_rptr(PKCS8_PRIV_KEY_INFO),
				    PKCS12_SAFEBAG_get0_p8inf(bag)) :
				    PKCS12_decrypt_skey_ex(bag, password, -1, p12_ctx, NULL);
				if (p8 == NULL) {
					r = tb_error_set_ossl(err, TB_ERR_MALFORMED,
					    "the private key bag cannot be decrypted");
					goto out;
				}
				if (bid != NULL && (key_id = ASN1_OCTET_STRING_dup(bid)) == NULL)
					goto nomem;
				break;
			case NID_certBag:
				if (PKCS12_SAFEBAG_get_bag_nid(bag) != NID_x509Certificate)
					break;
				if ((x = PKCS12_SAFEBAG_get1_cert(bag)) == NULL) {
					r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "a bad certificate bag");
					goto out;
				}
				if (!sk_X509_push(certs, x)) {
					X509_free(x);
					goto nomem;
				}
				ids = OPENSSL_realloc(cert_ids, (size_t)(nids + 1) * sizeof(*ids));
				if (ids == NULL)
					goto nomem;
				cert_ids = ids;
				cert_ids[nids++] = bid != NULL ? ASN1_OCTET_STRING_dup(bid) : NULL;
				break;
			default:
				break;	/* CRL and secret bags: nothing tanba uses */
			}
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
		bags = NULL;
	}
	if (p8 == NULL) {
		r = tb_error_set(err, TB_ERR_NO_KEY, "the container holds no private key");
		goto out;
	}
	n = sk_X509_num(certs);
	for (i = 0; i < n && leaf < 0; i++)
		if (same_id(cert_ids[i], key_id))
			leaf = i;
	if (leaf < 0 && n == 1)
		leaf = 0;
	if (leaf < 0) {
		r = tb_error_set(err, TB_ERR_NO_CERT, n == 0 ?
		    "the container holds no certificate" :
		    "no certificate in the container carries the key's localKeyID");
		goto out;
	}
	if ((res = OPENSSL_zalloc(sizeof(*res))) == NULL)
		goto nomem;
	res->cert = sk_X509_delete(certs, leaf);
	res->chain = certs;
	certs = NULL;
	res->p8 = p8;
	p8 = NULL;
	*out = res;
	res = NULL;
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "reading the container");
out:
	for (i = 0; i < nids; i++)
		ASN1_OCTET_STRING_free(cert_ids[i]);
	OPENSSL_free(cert_ids);
	ASN1_OCTET_STRING_free(key_id);
	sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	sk_X509_pop_free(certs, X509_free);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(p12);
	PKCS8_PRIV_KEY_INFO_free(p8);
	tb_p12_free(res);
	return r;
}
