/*
 * A GOST 34.10-2015 private key held in a file (an NCA PKCS#12 container):
 * loaded once by the process that signs, kept in locked memory that core
 * dumps leave out, wiped at tb_gost_key_free. A lower assurance level than
 * a token (docs/SECURITY.md, docs/OPERATIONS.md): the key is in the signer
 * process's memory. Only the signer may link this; the front never does.
 */
#ifndef TB_GOST_KEY_H
#define TB_GOST_KEY_H

#include <stddef.h>

#include <openssl/x509.h>

#include "gost.h"
#include "tb_err.h"

typedef struct tb_gost_key tb_gost_key;

/*
 * Opens the container at path with password (the caller wipes it): the key
 * must be a GOST 2015 key under the Kazakh OIDs, its public key the
 * certificate's. Errors as tb_p12_read, and TB_ERR_UNSUPPORTED (not a GOST
 * 2015 key, or no gost engine), TB_ERR_CRYPTO (key and certificate differ).
 * The container's bytes are wiped before return. *out is new.
 */
int tb_gost_key_load_p12(const char *path, const char *password, tb_gost_key **out,
    tb_error *err);
/* As tb_gost_key_load_p12, from the container's bytes (left to the caller to wipe). */
int tb_gost_key_load_p12_mem(const unsigned char *der, size_t der_len, const char *password,
    tb_gost_key **out, tb_error *err);
/* Wipes and frees; NULL is a no-op. */
void tb_gost_key_free(tb_gost_key *k);

/* The key's certificate and the container's other certificates (borrowed). */
X509 *tb_gost_key_cert(const tb_gost_key *k);
STACK_OF(X509) *tb_gost_key_chain(const tb_gost_key *k);
/* The row: algorithm name, hash and signature OIDs, sizes. */
const tb_gost_sig_info *tb_gost_key_info(const tb_gost_key *k);

/*
 * Signs digest (the row's Streebog hash, hash_len bytes) and writes the
 * value in the NCA's byte order (r then s, little-endian: the full reverse
 * of RFC 4491's) into sig; *sig_len holds the room on entry.
 */
int tb_gost_key_sign(tb_gost_key *k, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err);
/* A tb_signer callback (signer.h): ctx is the tb_gost_key, md_nid is ignored. */
int tb_gost_signer_cb(void *ctx, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char *sig, size_t *sig_len, tb_error *err);

#endif
