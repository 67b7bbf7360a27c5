/*
 * String tables for the error vocabulary. Names are part of the socket
 * protocol: never rename one, only add.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "tb_err.h"

struct err_entry {
	int code;
	const char *name;
	const char *text;
};

static const struct err_entry err_table[] = {
	{ TB_OK, "ok", "success" },
	{ TB_ERR_INTERNAL, "internal", "internal error" },
	{ TB_ERR_NOMEM, "no_memory", "out of memory" },
	{ TB_ERR_INVALID_ARG, "bad_request", "invalid request" },
	{ TB_ERR_IO, "io_error", "input/output error" },
	{ TB_ERR_CONFIG, "bad_config", "invalid configuration" },
	{ TB_ERR_PIN_FILE, "pin_file", "PIN file unusable" },
	{ TB_ERR_MODULE, "module_error", "PKCS#11 module could not be loaded" },
	{ TB_ERR_NO_TOKEN, "no_token", "no such token" },
	{ TB_ERR_NO_KEY, "no_such_key", "no such key" },
	{ TB_ERR_NO_CERT, "no_certificate", "key has no certificate" },
	{ TB_ERR_PIN_INCORRECT, "pin_incorrect", "PIN incorrect" },
	{ TB_ERR_PIN_LOCKED, "pin_locked", "PIN locked or at its final try" },
	{ TB_ERR_TOKEN_GONE, "token_unavailable", "token unavailable" },
	{ TB_ERR_SESSION_LOST, "session_lost", "token session lost" },
	{ TB_ERR_LOGIN_NEEDED, "login_needed", "token login lost" },
	{ TB_ERR_TOKEN, "token_error", "token error" },
	{ TB_ERR_CERT_EXPIRED, "cert_expired", "certificate expired" },
	{ TB_ERR_CERT_NOT_YET_VALID, "cert_not_yet_valid", "certificate not yet valid" },
	{ TB_ERR_CRYPTO, "crypto_error", "cryptographic operation failed" },
	{ TB_ERR_MALFORMED, "malformed", "malformed input" },
	{ TB_ERR_TOO_LARGE, "too_large", "input too large" },
	{ TB_ERR_TIMEOUT, "timeout", "timed out" },
	{ TB_ERR_UNSUPPORTED, "unsupported", "not supported" },
	{ TB_ERR_FORBIDDEN, "forbidden", "forbidden" },
	{ TB_ERR_BUSY, "busy", "too many requests" },
	{ TB_ERR_CERT_REVOKED, "cert_revoked", "certificate revoked" },
	{ TB_ERR_REVOCATION_UNKNOWN, "revocation_unknown", "revocation status unknown" },
	{ TB_ERR_UNAVAILABLE, "unavailable", "service component unavailable" },
	{ TB_ERR_NETWORK, "network_error", "network fetch failed" },
};

static const struct err_entry *
err_lookup(int code)
{
	size_t i;

	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return &err_table[i];
	return &err_table[1];	/* unknown codes read as internal */
}

const char *
tb_err_str(int code)
{
	return err_lookup(code)->text;
}

const char *
tb_err_name(int code)
{
	return err_lookup(code)->name;
}

static void
error_vset(tb_error *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
}

int
tb_error_set(tb_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
tb_error_set_ossl(tb_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	size_t len;

	if (err == NULL) {
		ERR_clear_error();
		return code;
	}
	va_start(ap, fmt);
	error_vset(err, code, fmt, ap);
	va_end(ap);
	/* Keep the innermost OpenSSL reason: it names the real cause. */
	while ((e = ERR_get_error()) != 0) {
		len = strlen(err->detail);
		if (len + 3 >= sizeof(err->detail))
			continue;
		snprintf(err->detail + len, sizeof(err->detail) - len, " (%s)",
		    ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "openssl error");
	}
	return code;
}

void
tb_error_clear(tb_error *err)
{
	if (err == NULL)
		return;
	err->code = TB_OK;
	err->detail[0] = '\0';
}
