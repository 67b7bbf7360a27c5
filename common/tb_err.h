/*
 * The one error vocabulary of tanba: negative codes, one string table.
 * PKCS#11 return values and OpenSSL errors are mapped to these where they
 * arise; the original goes into the detail text of a tb_error.
 */
#ifndef TB_ERR_H
#define TB_ERR_H

#include <stddef.h>

enum {
	TB_OK = 0,
	TB_ERR_INTERNAL = -1,		/* a bug or an unexpected library failure */
	TB_ERR_NOMEM = -2,
	TB_ERR_INVALID_ARG = -3,	/* the caller's request is wrong */
	TB_ERR_IO = -4,			/* a file or socket could not be used */
	TB_ERR_CONFIG = -5,		/* configuration is invalid */
	TB_ERR_PIN_FILE = -6,		/* PIN file missing, unreadable or not 0600 */
	TB_ERR_MODULE = -7,		/* PKCS#11 module failed to load or initialise */
	TB_ERR_NO_TOKEN = -8,		/* no token matches */
	TB_ERR_NO_KEY = -9,		/* no such key (name or object) */
	TB_ERR_NO_CERT = -10,		/* the key has no certificate */
	TB_ERR_PIN_INCORRECT = -11,
	TB_ERR_PIN_LOCKED = -12,	/* PIN locked or at its final try: no login attempted */
	TB_ERR_TOKEN_GONE = -13,	/* token removed or device error after retry */
	TB_ERR_SESSION_LOST = -14,	/* session handle invalid (retried once) */
	TB_ERR_LOGIN_NEEDED = -15,	/* user not logged in (retried once) */
	TB_ERR_TOKEN = -16,		/* any other token failure */
	TB_ERR_CERT_EXPIRED = -17,	/* the signing certificate has expired */
	TB_ERR_CERT_NOT_YET_VALID = -18,
	TB_ERR_CRYPTO = -19,		/* an OpenSSL operation failed */
	TB_ERR_MALFORMED = -20,		/* input could not be parsed */
	TB_ERR_TOO_LARGE = -21,		/* input over a configured limit */
	TB_ERR_TIMEOUT = -22,
	TB_ERR_UNSUPPORTED = -23,	/* algorithm or feature not supported */
	TB_ERR_FORBIDDEN = -24,		/* access control refused */
	TB_ERR_BUSY = -25,		/* a limit on concurrent work was reached */
	TB_ERR_CERT_REVOKED = -26,	/* the signing certificate is revoked */
	TB_ERR_REVOCATION_UNKNOWN = -27,/* revocation status could not be established */
	TB_ERR_UNAVAILABLE = -28,	/* a required component is down (signer, audit) */
	TB_ERR_NETWORK = -29,		/* a network fetch failed */
	TB_ERR_LAST = -30		/* sentinel: keep last */
};

/* An error with its reason, for callers that must say why. */
typedef struct tb_error {
	int code;
	char detail[384];
} tb_error;

/* Human-readable English text of a code ("no such key"). */
const char *tb_err_str(int code);
/* Stable protocol name of a code ("no_such_key"), for clients to branch on. */
const char *tb_err_name(int code);

/* Records code and a formatted detail in err (which may be NULL); returns code. */
int tb_error_set(tb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As tb_error_set, and appends (then clears) the OpenSSL error queue. */
int tb_error_set_ossl(tb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tb_error_clear(tb_error *err);

#endif
