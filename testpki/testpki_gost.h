/*
 * The test PKI's GOST signing (testpki_gost.c) over libsig's mapping
 * (gost.h). alg names a row: "gost2015-512", "gost2015-256", "gost2004".
 */
#ifndef TP_GOST_H
#define TP_GOST_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tb_err.h"

/* Generates a key on the alg's Kazakh parameter set; caller frees *out. */
int tp_gost_key_generate(const char *alg, EVP_PKEY **out, tb_error *err);
/* Reads a GOST private key from PEM (PKCS#8, Russian OIDs); caller frees *out. */
int tp_gost_key_read_pem(const char *path, EVP_PKEY **out, tb_error *err);
/*
 * Signs tbs with key as NCA does: the row's hash of tbs, signed, value
 * reversed. sig must hold 128 bytes; *sig_len gets the length.
 */
int tp_gost_sign(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len,
    unsigned char *sig, size_t *sig_len, tb_error *err);
/* DER of key's SubjectPublicKeyInfo with the Kazakh OIDs; caller OPENSSL_free()s *der. */
int tp_gost_spki_der(EVP_PKEY *key, unsigned char **der, size_t *der_len, tb_error *err);
/* Sets x's subject public key to key with the Kazakh OIDs. */
int tp_gost_x509_set_pubkey(X509 *x, EVP_PKEY *key, tb_error *err);
/*
 * Re-signs a DER Certificate, CertificateList or BasicOCSPResponse
 * (signed with anything, e.g. a throw-away key) with key: the signature
 * AlgorithmIdentifier inside the TBS (when there is one) and outside both
 * become the Kazakh signature OID; what follows the signature (an OCSP
 * response's certs) is kept. The DER is walked with libsig's der_reader.
 * Caller OPENSSL_free()s *out.
 */
int tp_gost_resign(const unsigned char *der, size_t der_len, EVP_PKEY *key,
    unsigned char **out, size_t *out_len, tb_error *err);

#endif
