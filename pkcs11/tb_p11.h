/*
 * The token layer: PKCS#11 modules loaded through p11-kit, keys and
 * certificates located by PKCS#11 URI (RFC 7512), one login per token, a
 * bounded pool of sessions, and one retry after a lost session or token.
 * Nothing outside pkcs11/ sees a CK_RV or a session handle.
 */
#ifndef TB_P11_H
#define TB_P11_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"

typedef struct tb_p11_module tb_p11_module;	/* a loaded, initialised module */
typedef struct tb_p11_token tb_p11_token;	/* a logged-in token with its session pool */
typedef struct tb_p11_key tb_p11_key;		/* a private key (and its certificate) */

/*
 * Loads a module by file path (contains '/') or by p11-kit module name
 * ("softhsm2"), and initialises it for use from several threads.
 */
int tb_p11_module_load(const char *path_or_name, tb_p11_module **out, tb_error *err);
/* The file a module path or p11-kit module name refers to; *path_out is the caller's to free. */
int tb_p11_module_path(const char *path_or_name, char **path_out, tb_error *err);
/* Finalises and unloads; NULL is a no-op. Every token must be closed first. */
void tb_p11_module_free(tb_p11_module *mod);

/*
 * Opens the token that matches token_uri (only its token attributes are
 * used), logs in once as CKU_USER with the PIN read from pin_fd (see
 * tb_secret_open; the descriptor stays owned by the caller and is re-read
 * only to log in again after the token lost the login), and allows up to
 * max_sessions concurrent sessions (1..256). A PIN that the token reports
 * locked or at its final try is never tried, and a PIN the token refused
 * is never offered again by this token object. Fails with TB_ERR_NO_TOKEN
 * when no initialised token, or more than one, matches.
 */
int tb_p11_token_open(tb_p11_module *mod, const char *token_uri, int pin_fd,
    unsigned max_sessions, tb_p11_token **out, tb_error *err);
void tb_p11_token_free(tb_p11_token *tok);

/*
 * 1 if the token attributes of uri (a token or key URI, parsed as every
 * URI in the token layer is) select the open token tok, else 0.
 */
int tb_p11_token_names(tb_p11_token *tok, const char *uri);
/* The URI of uri's token attributes alone (what tb_p11_token_open takes); new string. */
int tb_p11_token_uri_of(const char *uri, char **out, tb_error *err);

/* Health and pool figures for the status op. */
typedef struct tb_p11_token_status {
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	int healthy;		/* 0 after a failure that the retry did not mend */
	unsigned sessions_max;
	unsigned sessions_open;
	unsigned sessions_busy;
	unsigned long signatures;
	unsigned long failures;
	unsigned long reconnects;
} tb_p11_token_status;
void tb_p11_token_get_status(tb_p11_token *tok, tb_p11_token_status *st);

/*
 * Locates the private key that key_uri names on tok (id and/or object
 * label), and its certificate: the certificate object with the same CKA_ID
 * on the token, or NULL if the token holds none (the caller may supply one
 * from a file with tb_p11_key_set_cert). Fails with TB_ERR_NO_KEY when no
 * key or more than one key matches.
 */
int tb_p11_key_find(tb_p11_token *tok, const char *key_uri, tb_p11_key **out,
    tb_error *err);
void tb_p11_key_free(tb_p11_key *key);

/* The key's certificate (owned by key), or NULL. */
X509 *tb_p11_key_cert(const tb_p11_key *key);
/*
 * Replaces the certificate; takes a reference to cert. Fails with
 * TB_ERR_INVALID_ARG if its public key is not the key's (checked by a test
 * signature on the token).
 */
int tb_p11_key_set_cert(tb_p11_key *key, X509 *cert, tb_error *err);
/* EVP_PKEY_RSA or EVP_PKEY_EC. */
int tb_p11_key_type(const tb_p11_key *key);

/*
 * Signs a digest on the token: CKM_RSA_PKCS over the DigestInfo for RSA,
 * CKM_ECDSA over the digest for EC (the raw r||s converted to DER). Uses a
 * session from the pool (waiting if all are busy); after a lost session,
 * lost login, device error or token removal it reopens, logs in again and
 * retries once. Same contract as tb_signer.sign_digest.
 */
int tb_p11_key_sign(tb_p11_key *key, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char *sig, size_t *sig_len, tb_error *err);

/* A tb_signer-compatible callback: ctx is the tb_p11_key. */
int tb_p11_signer_cb(void *ctx, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char *sig, size_t *sig_len, tb_error *err);

#endif
