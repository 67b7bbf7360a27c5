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
 * test PKI, testpki/testpki_gost.c; file keys, gost_key.c).
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

/*
 * Private keys as the NCA's containers hold them: PKCS#8 under the Kazakh
 * OIDs (1.2.398.3.10.1.1.2.2 with parameters SEQUENCE { curve, hash }) and
 * the scalar as an OCTET STRING of 64 (or 32) bytes, little-endian.
 * tb_gost_p8_to_key makes the gost engine's key of it (*out is new);
 * TB_ERR_UNSUPPORTED for another algorithm or parameter set (GOST 2004
 * private keys are not taken), TB_ERR_MALFORMED for a key of the wrong size.
 */
int tb_gost_p8_to_key(const PKCS8_PRIV_KEY_INFO *kz, EVP_PKEY **out, tb_error *err);
/* The reverse, for the test PKI's containers: *out is new. */
/*
 * Signs digest (the key's row hash: Streebog) with the engine's key and
 * writes the value in the NCA's byte order, the full reverse of RFC 4491's;
 * *sig_len holds the room on entry (128 for 512-bit keys).
 */
int tb_gost_sign_digest(EVP_PKEY *key, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err);
/* The GOST hash named by a dotted OID (Kazakh or Russian) of data; out holds EVP_MAX_MD_SIZE. */
int tb_gost_digest_oid(const char *dotted, const unsigned char *data, size_t len,
    unsigned char *out, unsigned int *out_len, tb_error *err);

/* What signing with a certificate's GOST key takes (OIDs dotted, static strings). */
typedef struct tb_gost_sig_info {
	const char *name;	/* "gost2015-512" */
	const char *hash_oid;	/* the Kazakh hash OID: 1.2.398.3.10.1.3.3 */
	const char *sig_oid;	/* the Kazakh signature OID: 1.2.398.3.10.1.1.2.3.2 */
	size_t hash_len;	/* 64 */
	size_t sig_len;		/* 128 */
} tb_gost_sig_info;
/*
 * The row of cert's Kazakh GOST 2015 key (checked as tb_gost_verify checks
 * it). TB_ERR_UNSUPPORTED for any other key, GOST 2004 included.
 */
int tb_gost_cert_info(X509 *cert, tb_gost_sig_info *out, tb_error *err);
int tb_gost_key_to_p8(EVP_PKEY *key, PKCS8_PRIV_KEY_INFO **out, tb_error *err);

#endif
