/*
 * Tokens: finding the slot by PKCS#11 URI, the one login per token, and
 * the bounded session pool. The PIN lives only in a stack buffer for the
 * length of one C_Login; this file must never hold the pool lock across a
 * call that talks to the device's crypto (C_Sign runs unlocked).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "call.h"
#include "p11_int.h"
#include "tb_file.h"
#include "tb_log.h"

#define TOKEN_MAX_SESSIONS 256
#define PIN_MAX 256

/* C_Login as the user. Called with login_lock held. */
static int
token_login(tb_p11_token *tok, CK_SESSION_HANDLE h, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_FUNCTION_LIST *f = tok->mod->funcs;
	char pin[PIN_MAX];
	size_t pin_len = 0;
	CK_SLOT_ID slot;

	if (tok->pin_refused) {
		r = tb_error_set(err, TB_ERR_PIN_INCORRECT,
		    "token %s refused this PIN before; not offering it again", tok->label);
		goto out;
	}
	pthread_mutex_lock(&tok->lock);
	slot = tok->slot;
	pthread_mutex_unlock(&tok->lock);
	if (tok->pin_fd < 0) {
		r = tb_error_set(err, TB_ERR_PIN_FILE, "token %s needs a PIN", tok->label);
		goto out;
	}
	if ((r = tb_secret_read(tok->pin_fd, pin, sizeof(pin), &pin_len, err)) != 0)
		goto out;
	/* The login rule (never at the final try) is the one tanba-admin uses. */
	r = p11_login_user(f, slot, h, pin, pin_len, err);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (r == TB_ERR_PIN_INCORRECT || r == TB_ERR_PIN_LOCKED)
		tok->pin_refused = 1;
	if (r != 0)
		goto out;
	pthread_mutex_lock(&tok->lock);
	tok->login_gen++;
	pthread_mutex_unlock(&tok->lock);
	tb_info_f("token %s: logged in", tok->label);
	r = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return r;
}

int
p11_token_relogin(tb_p11_token *tok, CK_SESSION_HANDLE h, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SESSION_INFO si;

	if (!tok->login_required)
		return 0;
	pthread_mutex_lock(&tok->login_lock);
	/* Another thread may have logged in while this one waited. */
	if ((r = TB_P11_CALL(err, tok->mod->funcs, C_GetSessionInfo, h, &si)) != 0)
		goto out;
	if (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS) {
		r = 0;
		goto out;
	}
	if ((r = token_login(tok, h, err)) != 0)
		goto out;
	r = 0;
out:
	pthread_mutex_unlock(&tok->login_lock);
	return r;
}

/* Opens a session (finding the slot again if the token moved) and logs in. */
static int
session_open(tb_p11_token *tok, CK_SESSION_HANDLE *h_out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_FUNCTION_LIST *f = tok->mod->funcs;
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;

	pthread_mutex_lock(&tok->lock);
	slot = tok->slot;
	pthread_mutex_unlock(&tok->lock);
	r = TB_P11_CALL(err, f, C_OpenSession, slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
	if (r == TB_ERR_TOKEN_GONE) {
		/* A re-inserted token may sit in another slot now. */
		if (p11_find_slot(tok->mod, tok->uri, &slot, &ti, NULL) != 0)
			goto out;
		pthread_mutex_lock(&tok->lock);
		tok->slot = slot;
		pthread_mutex_unlock(&tok->lock);
		r = TB_P11_CALL(err, f, C_OpenSession, slot, CKF_SERIAL_SESSION, NULL,
		    NULL, &h);
	}
	if (r != 0)
		goto out;
	if ((r = p11_token_relogin(tok, h, err)) != 0)
		goto out;
	*h_out = h;
	h = CK_INVALID_HANDLE;
	r = 0;
out:
	if (h != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, f, C_CloseSession, h);
	return r;
}

int
p11_session_get(tb_p11_token *tok, unsigned *idx, CK_SESSION_HANDLE *h, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned i, pick = 0;
	CK_SESSION_HANDLE stale = CK_INVALID_HANDLE, nh = CK_INVALID_HANDLE;
	int found = 0;

	pthread_mutex_lock(&tok->lock);
	while (!found) {
		/* An idle session of the current epoch first. */
		for (i = 0; i < tok->max && !found; i++) {
			if (tok->sess[i].state == SESS_IDLE &&
			    tok->sess[i].epoch == tok->epoch) {
				tok->sess[i].state = SESS_BUSY;
				tok->busy++;
				*idx = i;
				*h = tok->sess[i].h;
				pthread_mutex_unlock(&tok->lock);
				return 0;
			}
		}
		/* Then a stale idle one to replace, then a free entry. */
		for (i = 0; i < tok->max && !found; i++) {
			if (tok->sess[i].state == SESS_IDLE) {
				stale = tok->sess[i].h;
				pick = i;
				found = 1;
			}
		}
		for (i = 0; i < tok->max && !found; i++) {
			if (tok->sess[i].state == SESS_FREE) {
				pick = i;
				found = 1;
				tok->open++;
			}
		}
		if (!found)
			pthread_cond_wait(&tok->cond, &tok->lock);
	}
	tok->sess[pick].state = SESS_OPENING;
	tok->sess[pick].epoch = tok->epoch;
	tok->busy++;
	pthread_mutex_unlock(&tok->lock);

	if (stale != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, tok->mod->funcs, C_CloseSession, stale);
	r = session_open(tok, &nh, err);

	pthread_mutex_lock(&tok->lock);
	if (r == 0) {
		tok->sess[pick].h = nh;
		tok->sess[pick].state = SESS_BUSY;
		*idx = pick;
		*h = nh;
	} else {
		tok->sess[pick].state = SESS_FREE;
		tok->open--;
		tok->busy--;
		pthread_cond_signal(&tok->cond);
	}
	pthread_mutex_unlock(&tok->lock);
	return r;
}

void
p11_session_put(tb_p11_token *tok, unsigned idx, int fail_code)
{
	CK_SESSION_HANDLE close_h = CK_INVALID_HANDLE;

	pthread_mutex_lock(&tok->lock);
	if (fail_code == TB_ERR_SESSION_LOST || fail_code == TB_ERR_TOKEN_GONE) {
		/*
		 * What killed this session may have killed its siblings: a new
		 * epoch makes every idle session be replaced before reuse, so the
		 * one retry never lands on a dead session.
		 */
		if (tok->sess[idx].epoch == tok->epoch)
			tok->epoch++;
	}
	if (fail_code != 0) {
		close_h = tok->sess[idx].h;
		tok->sess[idx].state = SESS_FREE;
		tok->open--;
	} else
		tok->sess[idx].state = SESS_IDLE;
	tok->busy--;
	pthread_cond_signal(&tok->cond);
	pthread_mutex_unlock(&tok->lock);
	if (close_h != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, tok->mod->funcs, C_CloseSession, close_h);
}

void
p11_token_note(tb_p11_token *tok, int ok, int retried, int fail_code)
{
	pthread_mutex_lock(&tok->lock);
	if (retried)
		tok->reconnects++;
	if (ok) {
		tok->healthy = 1;
	} else if (fail_code != 0) {
		tok->failures++;
		/* The retry did not mend it, the token failed outright, or the PIN stopped working. */
		if ((retried && tb_p11_err_retryable(fail_code)) || fail_code == TB_ERR_TOKEN ||
		    fail_code == TB_ERR_PIN_INCORRECT || fail_code == TB_ERR_PIN_LOCKED)
			tok->healthy = 0;
	}
	pthread_mutex_unlock(&tok->lock);
}

void
p11_token_count_signature(tb_p11_token *tok)
{
	pthread_mutex_lock(&tok->lock);
	tok->signatures++;
	pthread_mutex_unlock(&tok->lock);
}

unsigned long
p11_token_login_gen(tb_p11_token *tok)
{
	unsigned long gen;

	pthread_mutex_lock(&tok->lock);
	gen = tok->login_gen;
	pthread_mutex_unlock(&tok->lock);
	return gen;
}

int
tb_p11_token_open(tb_p11_module *mod, const char *token_uri, int pin_fd,
    unsigned max_sessions, tb_p11_token **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_p11_token *tok = NULL;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h;
	unsigned idx;

	if (mod == NULL || token_uri == NULL || max_sessions == 0 ||
	    max_sessions > TOKEN_MAX_SESSIONS) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "token needs a module, a URI and 1..%d sessions", TOKEN_MAX_SESSIONS);
		goto out;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "token");
		goto out;
	}
	pthread_mutex_init(&tok->lock, NULL);
	pthread_mutex_init(&tok->login_lock, NULL);
	pthread_cond_init(&tok->cond, NULL);
	if ((tok->sess = calloc(max_sessions, sizeof(*tok->sess))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "token");
		goto out;
	}
	tok->mod = mod;
	tok->max = max_sessions;
	tok->pin_fd = pin_fd;
	tok->healthy = 1;
	if ((r = p11_uri_parse(token_uri, "token", &tok->uri, err)) != 0)
		goto out;
	if ((r = p11_find_slot(mod, tok->uri, &tok->slot, &ti, err)) != 0)
		goto out;
	tok->info = ti;
	p11_text(tok->label, sizeof(tok->label), ti.label, sizeof(ti.label));
	p11_text(tok->manufacturer, sizeof(tok->manufacturer), ti.manufacturerID,
	    sizeof(ti.manufacturerID));
	p11_text(tok->model, sizeof(tok->model), ti.model, sizeof(ti.model));
	p11_text(tok->serial, sizeof(tok->serial), ti.serialNumber,
	    sizeof(ti.serialNumber));
	tok->login_required = (ti.flags & CKF_LOGIN_REQUIRED) != 0;
	/* Open the first session and log in now: a bad PIN shows at start. */
	if ((r = p11_session_get(tok, &idx, &h, err)) != 0)
		goto out;
	p11_session_put(tok, idx, 0);
	tb_info_f("token %s (%s %s %s): ready, up to %u sessions", tok->label,
	    tok->manufacturer, tok->model, tok->serial, tok->max);
	*out = tok;
	tok = NULL;
	r = 0;
out:
	tb_p11_token_free(tok);
	return r;
}

void
tb_p11_token_free(tb_p11_token *tok)
{
	unsigned i;

	if (tok == NULL)
		return;
	if (tok->sess != NULL) {
		for (i = 0; i < tok->max; i++)
			if (tok->sess[i].state != SESS_FREE)
				(void)TB_P11_CALL(NULL, tok->mod->funcs, C_CloseSession,
				    tok->sess[i].h);
	}
	pthread_mutex_destroy(&tok->lock);
	pthread_mutex_destroy(&tok->login_lock);
	pthread_cond_destroy(&tok->cond);
	if (tok->uri != NULL)
		p11_kit_uri_free(tok->uri);
	free(tok->sess);
	free(tok);
}

void
tb_p11_token_get_status(tb_p11_token *tok, tb_p11_token_status *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&tok->lock);
	memcpy(st->label, tok->label, sizeof(st->label));
	memcpy(st->manufacturer, tok->manufacturer, sizeof(st->manufacturer));
	memcpy(st->model, tok->model, sizeof(st->model));
	memcpy(st->serial, tok->serial, sizeof(st->serial));
	st->healthy = tok->healthy;
	st->sessions_max = tok->max;
	st->sessions_open = tok->open;
	st->sessions_busy = tok->busy;
	st->signatures = tok->signatures;
	st->failures = tok->failures;
	st->reconnects = tok->reconnects;
	pthread_mutex_unlock(&tok->lock);
}

int
tb_p11_token_names(tb_p11_token *tok, const char *uri_text)
{
	P11KitUri *uri = NULL;
	int res;

	if (p11_uri_parse(uri_text, "token", &uri, NULL) != 0)
		return 0;
	res = p11_kit_uri_match_token_info(uri, &tok->info) == 1;
	p11_kit_uri_free(uri);
	return res;
}

int
tb_p11_token_uri_of(const char *uri_text, char **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL, ur;
	P11KitUri *uri = NULL;
	char *s = NULL;

	if ((r = p11_uri_parse(uri_text, "key", &uri, err)) != 0)
		goto out;
	if ((ur = p11_kit_uri_format(uri, P11_KIT_URI_FOR_TOKEN, &s)) != P11_KIT_URI_OK) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "URI '%s': %s", uri_text,
		    p11_kit_uri_message(ur));
		goto out;
	}
	*out = s;
	r = 0;
out:
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return r;
}
