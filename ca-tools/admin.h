/*
 * tanba-admin: the security officers' tool. Each command group lives in
 * its own file; commands return the process exit status. Shared here: the
 * global options, PIN input (never from argv), the login to a token through
 * the token layer, and tanbad's config (read by tanbad's parser) for the
 * keys it names.
 */
#ifndef TANBA_ADMIN_H
#define TANBA_ADMIN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf.h"
#include "tb_err.h"
#include "tb_p11_manage.h"

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
int admin_cmd_key_import(int argc, char **argv);
int admin_cmd_csr(int argc, char **argv);
int admin_cmd_cert_import(int argc, char **argv);
int admin_cmd_reload(int argc, char **argv);

/*
 * Before a new key goes on the token (admin_key.c): no private key there
 * has label yet, and id gets id_len fresh random bytes. Returns an exit
 * status, having said what is wrong.
 */
int admin_key_new_id(tb_p11_manage *p, const char *label, unsigned char *id, size_t id_len);

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

/* The token, through the token layer's management API (pkcs11/tb_p11_manage.h). */
/*
 * Opens the chosen module and selects the token the URI names, logged in
 * with the user PIN from pin_file (NULL prompts). The PIN is wiped before
 * it returns.
 */
int admin_p11_login(const char *token_uri, const char *pin_file, tb_p11_manage **out,
    tb_error *err);
/* Hex of an id into dst ("" when empty). */
void admin_hex(char *dst, size_t dst_len, const unsigned char *v, size_t len);

/* tanbad's config, read by tanbad's own parser (daemon/shared/conf.h). */
/*
 * Loads the config chosen by --config (must exist) or the default path (a
 * missing default is fine: *out is NULL then).
 */
int admin_conf_load_chosen(tb_config **out, tb_error *err);
/* The name of the first [key] whose URI names private key o, or NULL. */
const char *admin_conf_key_for(const tb_config *c, tb_p11_manage *m, tb_p11_object o);

/* The SHA-256 fingerprint of a public key's SubjectPublicKeyInfo, hex with colons. */
int admin_spki_fingerprint(EVP_PKEY *pkey, char *buf, size_t buf_len);
/* A name as UTF-8 text, RFC 2253 escaping, CN first as certificates show it (new string). */
char *admin_name_text(const X509_NAME *name);
/* "RSA 2048", "EC prime256v1". */
void admin_pkey_describe(EVP_PKEY *pkey, char *buf, size_t buf_len);

#endif
