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
 * The mapping as code that makes GOST keys and signatures needs it (the
 * test PKI, ca-tools/testpki_gost.c, which holds the signing itself).
 * alg names a row of the table: "gost2015-512", "gost2015-256" or
 * "gost2004".
 */

/* 0 when the engine is loaded; TB_ERR_UNSUPPORTED saying why otherwise. */
int tb_gost_engine_ready(tb_error *err);
/* The engine's key type and parameter set name for generating a key of alg. */
int tb_gost_keygen_params(const char *alg, int *key_nid, const char **paramset,
    tb_error *err);
/* Name of the table row of key ("gost2015-512"...), NULL if not a mapped GOST key. */
const char *tb_gost_key_alg(EVP_PKEY *key);
/*
 * The hash of data that key's row signs (out holds EVP_MAX_MD_SIZE bytes),
 * and the length of the row's raw signature value.
 */
int tb_gost_key_hash(EVP_PKEY *key, const unsigned char *data, size_t len,
    unsigned char *out, unsigned int *out_len, size_t *sig_len, tb_error *err);
/* The Kazakh signature OID (dotted) of key's row, or NULL. */
const char *tb_gost_key_sig_oid(EVP_PKEY *key);
/* Sets kz to key's SubjectPublicKeyInfo under the Kazakh OIDs. */
int tb_gost_kz_spki(EVP_PKEY *key, X509_PUBKEY *kz, tb_error *err);

#endif
