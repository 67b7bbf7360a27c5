/*
 * Reading a PKCS#12 key container as the NCA issues it (one key, its
 * certificate, perhaps a chain; a password): the MAC checked first, the
 * bags decrypted in a library context of its own that has the legacy
 * provider (RC2-40 certificate bags), so the process's default context is
 * left as it was. The key is handed out as PKCS#8, undecoded: a GOST key
 * under the Kazakh OIDs is not an EVP_PKEY OpenSSL can make (gost_key.c).
 */
#ifndef TB_P12_READ_H
#define TB_P12_READ_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"

typedef struct tb_p12 {
	PKCS8_PRIV_KEY_INFO *p8;	/* the one private key, decrypted */
	X509 *cert;			/* the certificate of that key (its localKeyID) */
	STACK_OF(X509) *chain;		/* the container's other certificates (may be empty) */
} tb_p12;

/*
 * Opens the container der with password. Errors: TB_ERR_MALFORMED (not a
 * PKCS#12, or an unreadable bag), TB_ERR_PIN_INCORRECT (the MAC does not
 * verify with this password: never retried here), TB_ERR_NO_KEY / TB_ERR_NO_CERT
 * (none inside), TB_ERR_UNSUPPORTED (several keys). *out is new.
 */
int tb_p12_read(const unsigned char *der, size_t der_len, const char *password,
    tb_p12 **out, tb_error *err);
/* Wipes the key and frees everything; NULL is a no-op. */
void tb_p12_free(tb_p12 *p);
/* The dotted OID of the key's algorithm into buf ("" when unreadable). */
void tb_p12_key_oid(const tb_p12 *p, char *buf, size_t len);

#endif
