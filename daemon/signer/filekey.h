/*
 * File keys: a [key] whose private key is in a PKCS#12 container (p12 =,
 * p12_password_file =) rather than on a token. Today that means the NCA's
 * GOST 34.10-2015 keys (512 and 256), which no token tanba drives can
 * hold; an RSA or EC container is refused with a pointer to
 * `tanba-admin key import`, which puts such keys on the token. Opened by
 * the signer process only (keystore.c); the front never reads the files.
 * A lower assurance level than a token (docs/SECURITY.md): the key is in
 * this process's memory, on locked pages left out of core dumps (the
 * holder: gost_key.c; the scalar: OpenSSL's secure heap), in a process
 * that is not dumpable; the container's bytes and the password are on
 * locked pages too while the container is open, and wiped after.
 */
#ifndef TB_FILEKEY_H
#define TB_FILEKEY_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf.h"
#include "tb_err.h"

typedef struct tb_filekey tb_filekey;

/*
 * Sets up OpenSSL's secure heap (locked, left out of core dumps), where
 * the gost engine's EC_KEY keeps the private scalar: called once by the
 * signer process at start, before any thread, whether or not it has file
 * keys yet (a reload may add one).
 */
void tb_filekey_secure_heap(void);

/*
 * Opens kc->p12 with the password in kc->p12_password_file. Both must be
 * regular files no group or other may read (tb_secret_open's rule).
 * Errors name the key and the file: TB_ERR_PIN_INCORRECT for a wrong
 * password, TB_ERR_UNSUPPORTED for an RSA/EC (or other) key, as
 * tb_gost_key_load_p12 otherwise. *out is new.
 */
int tb_filekey_open(const tb_key_conf *kc, tb_filekey **out, tb_error *err);
/* Wipes the key and frees it; NULL is a no-op. */
void tb_filekey_free(tb_filekey *fk);

X509 *tb_filekey_cert(const tb_filekey *fk);		/* borrowed */
STACK_OF(X509) *tb_filekey_chain(const tb_filekey *fk);	/* the container's others, borrowed */
/* "gost2015-512" or "gost2015-256". */
const char *tb_filekey_alg(const tb_filekey *fk);
/* The Streebog the key signs: NID_id_GostR3411_2012_512 or _256, and its length. */
int tb_filekey_md_nid(const tb_filekey *fk);
size_t tb_filekey_md_len(const tb_filekey *fk);
/* "streebog512", "streebog256" for those NIDs (audit records, the keys op), else NULL. */
const char *tb_filekey_md_name(int md_nid);

/*
 * The signer's part of a signature with fk: the GOST signed attributes
 * over the document digest md (the key's Streebog, md_nid and length
 * checked: TB_ERR_INVALID_ARG otherwise) at signing_time, their Streebog
 * into h (EVP_MAX_MD_SIZE bytes), and the signature value over it in the
 * NCA's byte order into sig (*sig_len: room on entry). *attrs is new
 * (OPENSSL_free).
 */
int tb_filekey_sign(tb_filekey *fk, int md_nid, const unsigned char *md, size_t md_len,
    time_t signing_time, unsigned char **attrs, size_t *attrs_len, unsigned char *h,
    unsigned int *h_len, unsigned char *sig, size_t *sig_len, tb_error *err);

/* Streebog (the key's) of data into h (EVP_MAX_MD_SIZE bytes). */
int tb_filekey_digest(tb_filekey *fk, const unsigned char *data, size_t len, unsigned char *h,
    unsigned int *h_len, tb_error *err);

/*
 * data (an XML SignedInfo the signer built) hashed with the key's Streebog
 * into h and signed, the value in the NCA's byte order into sig (*sig_len:
 * room on entry), as Kalkan signs a SignedInfo.
 */
int tb_filekey_sign_bytes(tb_filekey *fk, const unsigned char *data, size_t len, unsigned char *h,
    unsigned int *h_len, unsigned char *sig, size_t *sig_len, tb_error *err);

#endif
