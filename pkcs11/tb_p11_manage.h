/*
 * Token management for tanba-admin, in the one token layer: slot listing,
 * token initialisation, key generation, certificate import, object search
 * and destruction. URIs, the key-URI rule, token matching and the login
 * rule are tanbad's own (pkcs11/objects.c), so the tool and the daemon
 * never disagree on what a URI names. No CK_ type crosses this header.
 */
#ifndef TB_P11_MANAGE_H
#define TB_P11_MANAGE_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tb_err.h"

/* A module opened for management, with at most one token selected. */
typedef struct tb_p11_manage tb_p11_manage;
/* An object on the selected token; valid while the tb_p11_manage lives. */
typedef unsigned long tb_p11_object;

/* The object classes management searches. */
enum tb_p11_class {
	TB_P11_PRIVATE_KEY,
	TB_P11_PUBLIC_KEY,
	TB_P11_CERTIFICATE,
};

/* A slot and its token, as the token reports them. */
typedef struct tb_p11_slot {
	unsigned long id;
	char description[65];
	int has_token;
	int initialized;		/* the token is initialised */
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	char flags[256];		/* the flags an officer acts on, comma-separated words */
	long sessions_max;		/* -1 not reported, -2 unlimited */
	long sessions_open;		/* -1 not reported */
	unsigned long mechanisms;
	char *uri;			/* the token's RFC 7512 URI, or NULL */
} tb_p11_slot;

/* Loads the module (path or p11-kit name) through tb_p11_module_load. */
int tb_p11_manage_open(const char *module, tb_p11_manage **out, tb_error *err);
/* Closes the session, unloads; NULL is a no-op. */
void tb_p11_manage_free(tb_p11_manage *m);

/* Every slot (with a token only when tokens_only); free with tb_p11_slots_free. */
int tb_p11_manage_slots(tb_p11_manage *m, int tokens_only, tb_p11_slot **slots,
    size_t *n, tb_error *err);
void tb_p11_slots_free(tb_p11_slot *slots, size_t n);

/*
 * Selects the one initialised token whose attributes uri matches (as
 * tb_p11_token_open matches; NULL or a URI without token attributes needs
 * exactly one token), opens a read-write session and, when pin is not
 * NULL, logs in as the user with tanbad's rule: never when the token
 * reports the PIN locked or at its final try.
 */
int tb_p11_manage_use_token(tb_p11_manage *m, const char *uri, const char *pin,
    tb_error *err);
/* The selected token's label. */
const char *tb_p11_manage_token_label(const tb_p11_manage *m);
/* A URI naming the selected token only (new string). */
int tb_p11_manage_token_uri(const tb_p11_manage *m, char **out, tb_error *err);

/*
 * C_InitToken on slot with the SO PIN and label (1..32 bytes), then sets
 * the user PIN. A wrong SO PIN leaves the token unchanged.
 */
int tb_p11_manage_init_token(tb_p11_manage *m, unsigned long slot, const char *so_pin,
    const char *label, const char *user_pin, tb_error *err);

/*
 * Objects of class cls on the selected token, narrowed by id (when id is
 * not NULL) and label (when not NULL); up to max, the count in *n.
 */
int tb_p11_manage_find(tb_p11_manage *m, enum tb_p11_class cls, const unsigned char *id,
    size_t id_len, const char *label, tb_p11_object *objs, size_t max, size_t *n,
    tb_error *err);
/*
 * The one private key key_uri names (id= and/or object=, the same rule as
 * tb_p11_key_find): none is TB_ERR_NO_KEY, several TB_ERR_INVALID_ARG.
 */
int tb_p11_manage_one_key(tb_p11_manage *m, const char *key_uri, tb_p11_object *out,
    tb_error *err);
/*
 * 1 if key_uri (as tanbad reads a [key] uri) names private key o on the
 * selected token, else 0 (an unparsable URI names nothing).
 */
int tb_p11_manage_uri_names(tb_p11_manage *m, const char *key_uri, tb_p11_object o);

/* The object's CKA_ID (new buffer, *len may be 0). */
int tb_p11_manage_id(tb_p11_manage *m, tb_p11_object o, unsigned char **id, size_t *len,
    tb_error *err);
/* The object's label as text (new string; "" when none), or NULL without memory. */
char *tb_p11_manage_label(tb_p11_manage *m, tb_p11_object o);
/* A private key's protection: sensitive and extractable (missing: the unsafe value). */
void tb_p11_manage_key_flags(tb_p11_manage *m, tb_p11_object o, int *sensitive,
    int *extractable);
/* The RFC 7512 URI of private key o on the selected token (new string). */
int tb_p11_manage_uri(tb_p11_manage *m, tb_p11_object o, char **out, tb_error *err);
/*
 * The public key of private key o: its public key object (same CKA_ID),
 * else the RSA private key's public attributes, else the certificate with
 * its CKA_ID. *out is new.
 */
int tb_p11_manage_pubkey(tb_p11_manage *m, tb_p11_object o, EVP_PKEY **out,
    tb_error *err);
/* Certificates with CKA_ID id (up to max); each X509 is new. */
int tb_p11_manage_certs(tb_p11_manage *m, const unsigned char *id, size_t id_len,
    X509 **certs, size_t max, size_t *n, tb_error *err);

/*
 * A signing key pair on the selected token (rsa_bits > 0 for RSA, else an
 * EC key on P-256 or P-384 by ec_bits): private half sensitive, never
 * extractable; both halves carry id and label.
 */
int tb_p11_manage_generate(tb_p11_manage *m, int rsa_bits, int ec_bits, const char *label,
    const unsigned char *id, size_t id_len, tb_p11_object *priv_out, tb_error *err);
/*
 * Puts key (an RSA or EC private key read from a container) on the selected
 * token as a private-key object with id and label: CKA_SENSITIVE, never
 * extractable, private, CKA_SIGN and nothing else. The key's values pass
 * through buffers that are wiped before return; a token that stores the
 * key extractable or not sensitive has it destroyed. TB_ERR_UNSUPPORTED for
 * any other key type (GOST: no token mechanism here).
 */
int tb_p11_manage_import_key(tb_p11_manage *m, EVP_PKEY *key, const char *label,
    const unsigned char *id, size_t id_len, tb_p11_object *priv_out, tb_error *err);
/* Stores cert as a certificate object with id and label. */
int tb_p11_manage_store_cert(tb_p11_manage *m, X509 *cert, const unsigned char *id,
    size_t id_len, const char *label, tb_error *err);
int tb_p11_manage_destroy(tb_p11_manage *m, tb_p11_object o, tb_error *err);

#endif
