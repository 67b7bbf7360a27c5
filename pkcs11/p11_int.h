/*
 * Shared inside pkcs11/ only: the module, the token with its session pool,
 * and the pool calls key.c signs through. Nothing outside pkcs11/ includes
 * this file; it must never leak a CK_ type into the public header.
 */
#ifndef TB_P11_INT_H
#define TB_P11_INT_H

#include <pthread.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "tb_p11.h"

struct tb_p11_module {
	CK_FUNCTION_LIST *funcs;	/* p11-kit managed: initialise counts */
	char *name;			/* as given, for logs */
};

/* A pool entry. */
struct p11_session {
	CK_SESSION_HANDLE h;
	enum { SESS_FREE, SESS_IDLE, SESS_BUSY, SESS_OPENING } state;
	unsigned long epoch;		/* token epoch when opened */
};

struct tb_p11_token {
	tb_p11_module *mod;
	P11KitUri *uri;			/* token attributes, kept to find the slot again */
	CK_SLOT_ID slot;
	CK_TOKEN_INFO info;		/* as found at open, for matching key URIs */
	int pin_fd;
	int login_required;
	int pin_refused;		/* a PIN the token refused is never offered again */
	/* Counts logins: object handles from before a login may be dead. */
	unsigned long login_gen;
	pthread_mutex_t login_lock;	/* one C_Login at a time */

	pthread_mutex_t lock;		/* guards everything below; never held across C_Sign */
	pthread_cond_t cond;
	struct p11_session *sess;
	unsigned max;
	unsigned open;			/* IDLE + BUSY + OPENING */
	unsigned busy;			/* BUSY + OPENING */
	/* Bumped after a failure that may have killed every session. */
	unsigned long epoch;
	int healthy;
	unsigned long signatures, failures, reconnects;
	char label[33], manufacturer[33], model[17], serial[17];
};

/*
 * Takes a session from tok's pool, opening one (and logging in again if the
 * token forgot the login) when none is idle and the pool has room; waits
 * otherwise. Returns the pool index in *idx and the handle in *h.
 */
int p11_session_get(tb_p11_token *tok, unsigned *idx, CK_SESSION_HANDLE *h,
    tb_error *err);
/*
 * Returns a session. fail_code is 0 after success, else the error the
 * session's last call gave: a retryable one retires the session (and, for
 * token loss, every idle one).
 */
void p11_session_put(tb_p11_token *tok, unsigned idx, int fail_code);
/* Logs in again if the token has forgotten the login (h is an open session). */
int p11_token_relogin(tb_p11_token *tok, CK_SESSION_HANDLE h, tb_error *err);
/*
 * Health after a token operation: ok, or failed with fail_code; retried
 * says the one retry was used (and counts a reconnect).
 */
void p11_token_note(tb_p11_token *tok, int ok, int retried, int fail_code);
/* Counts one signature handed to a caller. */
void p11_token_count_signature(tb_p11_token *tok);
/* The login generation now (see login_gen). */
unsigned long p11_token_login_gen(tb_p11_token *tok);

/* objects.c: what the token code and token management share. */

/* Most certificates read for one key. */
#define P11_MAX_CERTS 16

/* Copies a blank-padded PKCS#11 text field into dst, without the padding. */
void p11_text(char *dst, size_t dst_len, const CK_UTF8CHAR *src, size_t src_len);
/*
 * Parses an RFC 7512 URI (what names it in errors: "token", "key"); text
 * NULL gives an empty URI that matches any token. *out is new.
 */
int p11_uri_parse(const char *text, const char *what, P11KitUri **out, tb_error *err);

/* What a key URI names: a private key by CKA_ID and/or CKA_LABEL, on a token. */
typedef struct p11_key_ref {
	P11KitUri *uri;			/* for the token attributes */
	unsigned char *id;
	size_t id_len;
	int has_id;
	char *label;			/* or NULL */
} p11_key_ref;

/*
 * Parses a key URI: type= other than private is refused, and id= or
 * object= is required (a key is never "the only one on the token").
 */
int p11_key_ref_parse(const char *key_uri, p11_key_ref *ref, tb_error *err);
void p11_key_ref_clear(p11_key_ref *ref);
/* The search template for ref (class, id, label); returns its length. */
CK_ULONG p11_key_ref_template(const p11_key_ref *ref, CK_OBJECT_CLASS *cls,
    CK_ATTRIBUTE tmpl[3]);

/* The slot list (with a token only when tokens_only); *slots is the caller's. */
int p11_slots(CK_FUNCTION_LIST *f, int tokens_only, CK_SLOT_ID **slots, CK_ULONG *n,
    tb_error *err);
/* The one initialised token uri matches; none or several is TB_ERR_NO_TOKEN. */
int p11_find_slot(tb_p11_module *mod, P11KitUri *uri, CK_SLOT_ID *slot_out,
    CK_TOKEN_INFO *info_out, tb_error *err);
/*
 * C_Login as the user on session h, unless the token reports the user PIN
 * locked or at its final try (TB_ERR_PIN_LOCKED, no attempt made).
 */
int p11_login_user(CK_FUNCTION_LIST *f, CK_SLOT_ID slot, CK_SESSION_HANDLE h,
    const char *pin, size_t pin_len, tb_error *err);
/* Up to max objects matching tmpl; *found gets the count. */
int p11_find(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG tn,
    CK_OBJECT_HANDLE *objs, CK_ULONG max, CK_ULONG *found, tb_error *err);
/* One attribute into a new NUL-terminated buffer; *out is the caller's. */
int p11_attr_read(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, unsigned char **out, size_t *out_len, tb_error *err);
/*
 * The X.509 certificate objects with CKA_ID id (at most max, and at most
 * P11_MAX_CERTS); unreadable ones are skipped with a warning. Each is new.
 */
int p11_certs_by_id(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, const unsigned char *id,
    size_t id_len, X509 **certs, size_t max, size_t *ncerts, tb_error *err);

#endif
