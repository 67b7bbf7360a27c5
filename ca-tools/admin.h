/*
 * tanba-admin: the security officers' tool. Each command group lives in
 * its own file; commands return the process exit status. Shared here: the
 * global options, PIN input (never from argv), the small PKCS#11 wrapper
 * the tool uses for what the token layer does not offer, and the reading of
 * tanbad's config for the keys it names.
 */
#ifndef TANBA_ADMIN_H
#define TANBA_ADMIN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "tb_err.h"

#define ADMIN_EXIT_OK 0
#define ADMIN_EXIT_FAIL 1	/* the check ran and found a problem */
#define ADMIN_EXIT_ERROR 2	/* usage or input error */

#define ADMIN_DEFAULT_CONFIG SYSCONFDIR "/tanba/tanbad.conf"
#define ADMIN_DEFAULT_PID_FILE "/run/tanba/tanbad.pid"
#define ADMIN_DEFAULT_MODULE "softhsm2"
#define ADMIN_PIN_MAX 256

/* Commands: argv[0] is the last word of the command's name. */
int admin_cmd_audit_verify(int argc, char **argv);
int admin_cmd_token_list(int argc, char **argv);
int admin_cmd_token_init(int argc, char **argv);
int admin_cmd_key_generate(int argc, char **argv);
int admin_cmd_key_list(int argc, char **argv);
int admin_cmd_key_destroy(int argc, char **argv);
int admin_cmd_csr(int argc, char **argv);
int admin_cmd_cert_import(int argc, char **argv);
int admin_cmd_reload(int argc, char **argv);

/* Global options (tanba-admin.c). */
/* The --module given, or NULL. */
const char *admin_opt_module(void);
/* The --config given, or NULL. */
const char *admin_opt_config(void);
/* Sets them (tanba-admin.c and the per-command --module/--config). */
void admin_opt_set_module(const char *module);
void admin_opt_set_config(const char *config);

/*
 * The module to load: --module, else the [token] module of the config
 * (explicit --config, or the default one when it is readable), else
 * softhsm2. Returns a new string.
 */
char *admin_module_choose(void);

/* PINs (admin_pin.c). */
/*
 * Reads a PIN from path (mode 0600/0400 enforced) or, when path is NULL
 * and stdin is a terminal, from /dev/tty without echo after prompt. With
 * confirm set the prompt is asked twice and must match. buf is wiped on
 * failure; the caller wipes it after use with OPENSSL_cleanse.
 */
int admin_pin_get(const char *path, const char *prompt, int confirm, char *buf,
    size_t buf_len, tb_error *err);
/*
 * A descriptor the token layer can read the PIN from (tb_secret_read): the
 * opened PIN file, or an anonymous memory file holding the prompted PIN.
 * The caller closes it.
 */
int admin_pin_fd(const char *path, const char *prompt, int *fd_out, tb_error *err);
/* Reads one line from /dev/tty with echo on (a confirmation). 0 or -1. */
int admin_tty_line(const char *prompt, char *buf, size_t buf_len);

/* The PKCS#11 wrapper (admin_p11.c). */
typedef struct admin_p11 {
	CK_FUNCTION_LIST *f;		/* p11-kit managed */
	char *module;			/* as chosen, for messages */
	CK_SLOT_ID slot;
	CK_TOKEN_INFO tinfo;
	CK_SESSION_HANDLE h;		/* CK_INVALID_HANDLE when none */
	int have_token;
} admin_p11;

/* Loads and initialises the module (path or p11-kit name). */
int admin_p11_open(const char *module, admin_p11 **out, tb_error *err);
/*
 * admin_p11_open on the chosen module, then admin_p11_use_token on the
 * token the URI names, logged in with the user PIN from pin_file (NULL
 * prompts). The PIN is wiped before it returns.
 */
int admin_p11_login(const char *token_uri, const char *pin_file, admin_p11 **out,
    tb_error *err);
/* Closes the session, finalises and releases. NULL is a no-op. */
void admin_p11_free(admin_p11 *p);
/* Slot list (present tokens only when tokens_only); *slots is malloc'ed. */
int admin_p11_slots(admin_p11 *p, int tokens_only, CK_SLOT_ID **slots, CK_ULONG *n,
    tb_error *err);
/*
 * Selects the one initialised token the URI's token attributes match (a
 * URI with none matches any, so then there must be exactly one token),
 * opens a read-write session on it and, when pin is not NULL, logs in as
 * the user.
 */
int admin_p11_use_token(admin_p11 *p, const char *uri, const char *pin, tb_error *err);
/* Finds up to max objects matching tmpl; *n gets the count found. */
int admin_p11_find(admin_p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG tn, CK_OBJECT_HANDLE *objs,
    CK_ULONG max, CK_ULONG *n, tb_error *err);
/*
 * Reads one attribute into a new buffer (*len may be 0). An attribute the
 * object does not have, or that is sensitive, is TB_ERR_UNSUPPORTED.
 */
int admin_p11_attr(admin_p11 *p, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    unsigned char **val, size_t *len, tb_error *err);
/* A CK_BBOOL attribute; a missing one reads as dflt. */
int admin_p11_bool(admin_p11 *p, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, int dflt);
/* The private keys the key URI names (id and/or object); 0 found is TB_ERR_NO_KEY. */
int admin_p11_find_keys(admin_p11 *p, const char *key_uri, CK_OBJECT_HANDLE *objs,
    CK_ULONG max, CK_ULONG *n, tb_error *err);
/* The one private key key_uri names; an error when it names none or several. */
int admin_p11_one_key(admin_p11 *p, const char *key_uri, CK_OBJECT_HANDLE *out,
    tb_error *err);
/*
 * The public key of the private key o: its public key object (same
 * CKA_ID), else the RSA private key's public attributes, else the
 * certificate with the same CKA_ID. *out is new.
 */
int admin_p11_pubkey(admin_p11 *p, CK_OBJECT_HANDLE o, EVP_PKEY **out, tb_error *err);
/* Certificates with CKA_ID id (up to max); each X509 is new. */
int admin_p11_certs(admin_p11 *p, const unsigned char *id, size_t id_len, X509 **certs,
    size_t max, size_t *n, tb_error *err);
/* The RFC 7512 URI of object o on the selected token (new string). */
int admin_p11_uri(admin_p11 *p, CK_OBJECT_HANDLE o, char **out, tb_error *err);
/* Slot and token info (has_token 0 when the slot is empty) and the mechanism count. */
int admin_p11_slot_info(admin_p11 *p, CK_SLOT_ID slot, CK_SLOT_INFO *si, CK_TOKEN_INFO *ti,
    int *has_token, CK_ULONG *nmech, tb_error *err);
/*
 * C_InitToken on slot with the SO PIN and label, then C_InitPIN with the
 * user PIN; *new_slot is where the token is afterwards.
 */
int admin_p11_init_token(admin_p11 *p, CK_SLOT_ID slot, const char *so_pin, const char *label,
    const char *user_pin, CK_SLOT_ID *new_slot, tb_error *err);
/*
 * A signing key pair on the selected token (rsa_bits > 0 for RSA, else an
 * EC key on P-256 or P-384 by ec_bits): private half sensitive, never
 * extractable; both halves carry id and label.
 */
int admin_p11_generate(admin_p11 *p, int rsa_bits, int ec_bits, const char *label,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *priv_out, tb_error *err);
/* Stores cert as a CKO_CERTIFICATE token object with id and label. */
int admin_p11_store_cert(admin_p11 *p, X509 *cert, const unsigned char *id, size_t id_len,
    const char *label, tb_error *err);
int admin_p11_destroy(admin_p11 *p, CK_OBJECT_HANDLE o, tb_error *err);
/* Label as text (new string; "" when none). */
char *admin_p11_label(admin_p11 *p, CK_OBJECT_HANDLE o);
/* Copies a blank-padded PKCS#11 text field into dst, without the padding. */
void admin_p11_text(char *dst, size_t dst_len, const CK_UTF8CHAR *src, size_t src_len);
/* Hex of an id into dst ("" when empty). */
void admin_hex(char *dst, size_t dst_len, const unsigned char *v, size_t len);

/* tanbad's config as far as the tool needs it (admin_conf.c). */
typedef struct admin_conf_key {
	char *name;
	char *uri;
} admin_conf_key;

typedef struct admin_conf {
	char *path;
	char *module;			/* [token] module, or NULL */
	admin_conf_key *keys;
	size_t nkeys;
} admin_conf;

/* Parses path; a missing file is TB_ERR_IO. */
int admin_conf_load(const char *path, admin_conf **out, tb_error *err);
void admin_conf_free(admin_conf *c);
/*
 * Loads the config chosen by --config (must exist) or the default path (a
 * missing default is fine: *out is NULL then).
 */
int admin_conf_load_chosen(admin_conf **out, tb_error *err);
/*
 * The name of the first configured key whose URI names this key (token
 * info plus CKA_CLASS/CKA_ID/CKA_LABEL), or NULL.
 */
const char *admin_conf_key_for(const admin_conf *c, const CK_TOKEN_INFO *ti,
    const unsigned char *id, size_t id_len, const char *label);

/* The SHA-256 fingerprint of a public key's SubjectPublicKeyInfo, hex with colons. */
int admin_spki_fingerprint(EVP_PKEY *pkey, char *buf, size_t buf_len);
/* A name as UTF-8 text, RFC 2253 escaping, CN first as certificates show it (new string). */
char *admin_name_text(const X509_NAME *name);
/* "RSA 2048", "EC prime256v1". */
void admin_pkey_describe(EVP_PKEY *pkey, char *buf, size_t buf_len);

#endif
