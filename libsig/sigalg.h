/*
 * The table of signature algorithms: every signature tanba checks
 * (certificates, CRLs, OCSP responses, CMS signer infos) is checked here,
 * never by a direct call into OpenSSL's X509_verify or CMS_verify, so that
 * algorithms OpenSSL does not know (the Kazakh GOST OIDs) join in one place.
 */
#ifndef TB_SIGALG_H
#define TB_SIGALG_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"

/* What a verification rested on, for crypto-floor checks and reports. */
typedef struct tb_sigalg_info {
	char name[48];		/* e.g. "rsa-pkcs1-sha256", "ecdsa-sha256", "gost2015-512" */
	int key_bits;		/* RSA modulus or curve size */
	int md_nid;		/* OpenSSL NID of the hash, NID_undef for GOST hashes */
	int weak_md;		/* 1 for MD5 / SHA-1 */
} tb_sigalg_info;

/*
 * Verifies sig over tbs with the public key spki. sig_alg is the signature
 * AlgorithmIdentifier; digest_alg is the separate digest algorithm of a CMS
 * SignerInfo (NULL elsewhere). Returns 0 only when the mathematics ran and
 * passed; TB_ERR_CRYPTO when the signature is wrong; TB_ERR_UNSUPPORTED
 * when the algorithm or its implementation is unavailable. info may be NULL.
 */
int tb_sigalg_verify(const X509_ALGOR *digest_alg, const X509_ALGOR *sig_alg,
    X509_PUBKEY *spki, const unsigned char *tbs, size_t tbs_len,
    const unsigned char *sig, size_t sig_len, tb_sigalg_info *info, tb_error *err);

/*
 * Computes the digest named by digest_alg (OpenSSL or Kazakh OID) of data.
 * out must hold EVP_MAX_MD_SIZE bytes.
 */
int tb_sigalg_digest(const X509_ALGOR *digest_alg, const unsigned char *data,
    size_t len, unsigned char *out, unsigned int *out_len, tb_error *err);

#endif
