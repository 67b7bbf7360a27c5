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

#endif
