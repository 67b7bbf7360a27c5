/*
 * The Kazakh GOST mapping: the only module that knows the Kazakh OIDs
 * (1.2.398.3.10.1.*), their Russian equivalents and the reversed byte
 * order of NCA signature values. The mathematics is the gost engine's and
 * provider's (Debian libengine-gost-openssl); see docs/GOST.md.
 */
#ifndef TB_GOST_H
#define TB_GOST_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sigalg.h"
#include "tb_err.h"

/* 1 when oid is in the Kazakh GOST arc 1.2.398.3.10.1 (mapped or not). */
int tb_gost_is_gost_oid(const ASN1_OBJECT *oid);

/*
 * As tb_sigalg_verify, for Kazakh GOST algorithms: sig is the NCA value
 * (r then s, little-endian), tbs the bytes hashed (TBS DER or the DER of
 * CMS signed attributes). TB_ERR_UNSUPPORTED for an unknown Kazakh OID or
 * parameter set, or when the engine or provider is missing at run time.
 */
int tb_gost_verify(const X509_ALGOR *digest_alg, const X509_ALGOR *sig_alg,
    X509_PUBKEY *spki, const unsigned char *tbs, size_t tbs_len,
    const unsigned char *sig, size_t sig_len, tb_sigalg_info *info, tb_error *err);

/*
 * As tb_sigalg_digest, for GOST hashes: the Kazakh hash OIDs (and the
 * Russian Streebog OIDs). out must hold EVP_MAX_MD_SIZE bytes.
 */
int tb_gost_digest(const X509_ALGOR *digest_alg, const unsigned char *data,
    size_t len, unsigned char *out, unsigned int *out_len, tb_error *err);

/*
 * Writes which GOST signature algorithms are usable now, for the status
 * op ("gost2015-512 gost2015-256 gost2004", or "none: <why>"). Returns
 * how many are usable (0 when none).
 */
int tb_gost_available(char *buf, size_t len);

/*
 * Signing side, for the test PKI and GOST tokens. alg names a row of the
 * table: "gost2015-512", "gost2015-256" or "gost2004".
 */

/* Generates a key on the alg's Kazakh parameter set; caller frees *out. */
int tb_gost_key_generate(const char *alg, EVP_PKEY **out, tb_error *err);

/* Reads a GOST private key from PEM (PKCS#8, Russian OIDs); caller frees *out. */
int tb_gost_key_read_pem(const char *path, EVP_PKEY **out, tb_error *err);

/* Name of the table row of key ("gost2015-512"...), NULL if not a mapped GOST key. */
const char *tb_gost_key_alg(EVP_PKEY *key);

/*
 * Signs tbs with key as NCA does: the row's hash of tbs, signed, value
 * reversed. sig must hold 128 bytes; *sig_len gets the length.
 */
int tb_gost_sign(EVP_PKEY *key, const unsigned char *tbs, size_t tbs_len,
    unsigned char *sig, size_t *sig_len, tb_error *err);

/* DER of key's SubjectPublicKeyInfo with the Kazakh OIDs; caller OPENSSL_free()s *der. */
int tb_gost_spki_der(EVP_PKEY *key, unsigned char **der, size_t *der_len, tb_error *err);

/* Sets x's subject public key to key with the Kazakh OIDs. */
int tb_gost_x509_set_pubkey(X509 *x, EVP_PKEY *key, tb_error *err);

/*
 * Re-signs a DER Certificate, CertificateList or BasicOCSPResponse
 * (signed with anything, e.g. a throw-away key) with key: the signature
 * AlgorithmIdentifier inside the TBS (when there is one) and outside both
 * become the Kazakh signature OID; what follows the signature (an OCSP
 * response's certs) is kept. Caller OPENSSL_free()s *out.
 */
int tb_gost_resign(const unsigned char *der, size_t der_len, EVP_PKEY *key,
    unsigned char **out, size_t *out_len, tb_error *err);

#endif
