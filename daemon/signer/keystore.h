/*
 * The keys tanbad signs with: the token module, the logged-in tokens and
 * each configured key with its certificate and chain, built from one
 * tb_config. A keystore is an immutable, reference-counted snapshot: a
 * request holds a reference while it signs, so a reload can swap in a new
 * keystore while the old one finishes its work. File keys (p12 =) are
 * opened through filekey.h and wiped with the keystore. Never holds the PIN in
 * memory beyond a login (the token layer reads it from the descriptor).
 * Opened only in the signer process (signer_proc.c); the front never does.
 */
#ifndef TB_KEYSTORE_H
#define TB_KEYSTORE_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "certinfo.h"
#include "conf.h"
#include "tb_err.h"
#include "tb_p11.h"

typedef struct tb_keystore tb_keystore;
typedef struct tb_ks_key tb_ks_key;

/* Loads the module, opens and logs in to the tokens, finds every key. */
int tb_keystore_open(const tb_config *cfg, tb_keystore **out, tb_error *err);
tb_keystore *tb_keystore_ref(tb_keystore *ks);
/* Drops a reference; the last one closes the tokens. NULL is a no-op. */
void tb_keystore_unref(tb_keystore *ks);

size_t tb_keystore_key_count(const tb_keystore *ks);
const tb_ks_key *tb_keystore_key_at(const tb_keystore *ks, size_t i);
/* The key configured under name, or NULL. */
const tb_ks_key *tb_keystore_key(const tb_keystore *ks, const char *name);

size_t tb_keystore_token_count(const tb_keystore *ks);
tb_p11_token *tb_keystore_token_at(const tb_keystore *ks, size_t i);

const char *tb_ks_key_name(const tb_ks_key *k);
tb_p11_key *tb_ks_key_p11(const tb_ks_key *k);		/* NULL for a file key */
/* The file key (filekey.h) of a [key] with p12 =, NULL for a token key. */
struct tb_filekey *tb_ks_key_file(const tb_ks_key *k);
/* EVP_PKEY_RSA or EVP_PKEY_EC for a token key, 0 for a file key (GOST). */
int tb_ks_key_type(const tb_ks_key *k);
X509 *tb_ks_key_cert(const tb_ks_key *k);		/* owned by the key, or NULL */
/* SHA-256 of that certificate's DER (32 bytes), or NULL without one. */
const unsigned char *tb_ks_key_cert_sha256(const tb_ks_key *k);
/* The signingCertificateV2 value of that certificate for md_nid (made at open), or NULL. */
const ASN1_STRING *tb_ks_key_ess(const tb_ks_key *k, int md_nid);
/* Its signed attributes for md_nid as a template (made at open), or NULL: the encoder. */
const struct tb_cms_attrs_tpl *tb_ks_key_attrs_tpl(const tb_ks_key *k, int md_nid);
STACK_OF(X509) *tb_ks_key_chain(const tb_ks_key *k);	/* owned by the key, or NULL */
int tb_ks_key_md_nid(const tb_ks_key *k);		/* default digest; a file key's Streebog */

/*
 * Whether the key may sign at now: TB_ERR_NO_CERT without a certificate,
 * TB_ERR_CERT_EXPIRED after notAfter, TB_ERR_CERT_NOT_YET_VALID before
 * notBefore (both bounds themselves are valid, RFC 5280 4.1.2.5), with a
 * detail naming the key and the date.
 */
int tb_ks_key_check(const tb_ks_key *k, time_t now, tb_error *err);
/* tb_ks_cert_check (certinfo.h) is the same check for the front's copy. */

#endif
