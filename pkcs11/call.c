/*
 * Sorting of CK_RV values into the tanba error vocabulary. The mapping is
 * the only place a CK_RV is interpreted; it must never drop the original
 * value, which goes into the error detail and the debug log.
 */
#include "config.h"

#include <stdio.h>

#include "call.h"
#include "tb_log.h"

struct rv_entry {
	CK_RV rv;
	const char *name;
	int code;
};

#define RV(x, c) { x, #x, c }
static const struct rv_entry rv_table[] = {
	RV(CKR_OK, TB_OK),
	/* Accepted as success: the state asked for is already there. */
	RV(CKR_USER_ALREADY_LOGGED_IN, TB_OK),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED, TB_OK),

	/* Session lost: the handle or its operation state is gone. */
	RV(CKR_SESSION_HANDLE_INVALID, TB_ERR_SESSION_LOST),
	RV(CKR_SESSION_CLOSED, TB_ERR_SESSION_LOST),
	
	RV(CKR_OPERATION_ACTIVE, TB_ERR_SESSION_LOST),
	RV(CKR_OPERATION_NOT_INITIALIZED, TB_ERR_SESSION_LOST),
	RV(CKR_KEY_HANDLE_INVALID, TB_ERR_SESSION_LOST),
	RV(CKR_OBJECT_HANDLE_INVALID, TB_ERR_SESSION_LOST),

	/* Login needed: the token logged the user out. */
	RV(CKR_USER_NOT_LOGGED_IN, TB_ERR_LOGIN_NEEDED),

	/* Token gone: removed, or the device failed. */
	RV(CKR_DEVICE_ERROR, TB_ERR_TOKEN_GONE),
	RV(CKR_DEVICE_REMOVED, TB_ERR_TOKEN_GONE),
	RV(CKR_DEVICE_MEMORY, TB_ERR_TOKEN_GONE),
	RV(CKR_TOKEN_NOT_PRESENT, TB_ERR_TOKEN_GONE),
	RV(CKR_TOKEN_NOT_RECOGNIZED, TB_ERR_TOKEN_GONE),
	RV(CKR_SLOT_ID_INVALID, TB_ERR_TOKEN_GONE),

	/* PIN: never retried. */
	RV(CKR_PIN_INCORRECT, TB_ERR_PIN_INCORRECT),
	RV(CKR_PIN_INVALID, TB_ERR_PIN_INCORRECT),
	RV(CKR_PIN_LEN_RANGE, TB_ERR_PIN_INCORRECT),
	RV(CKR_PIN_LOCKED, TB_ERR_PIN_LOCKED),
	RV(CKR_PIN_EXPIRED, TB_ERR_PIN_LOCKED),

	/* The caller's error. */
	RV(CKR_ARGUMENTS_BAD, TB_ERR_INVALID_ARG),
	RV(CKR_BUFFER_TOO_SMALL, TB_ERR_INVALID_ARG),
	RV(CKR_DATA_INVALID, TB_ERR_INVALID_ARG),
	RV(CKR_DATA_LEN_RANGE, TB_ERR_INVALID_ARG),
	RV(CKR_ATTRIBUTE_TYPE_INVALID, TB_ERR_INVALID_ARG),
	RV(CKR_ATTRIBUTE_VALUE_INVALID, TB_ERR_INVALID_ARG),
	RV(CKR_ATTRIBUTE_SENSITIVE, TB_ERR_INVALID_ARG),
	RV(CKR_TEMPLATE_INCOMPLETE, TB_ERR_INVALID_ARG),
	RV(CKR_TEMPLATE_INCONSISTENT, TB_ERR_INVALID_ARG),
	RV(CKR_KEY_TYPE_INCONSISTENT, TB_ERR_INVALID_ARG),
	RV(CKR_KEY_SIZE_RANGE, TB_ERR_INVALID_ARG),
	RV(CKR_MECHANISM_INVALID, TB_ERR_UNSUPPORTED),
	RV(CKR_MECHANISM_PARAM_INVALID, TB_ERR_UNSUPPORTED),
	RV(CKR_FUNCTION_NOT_SUPPORTED, TB_ERR_UNSUPPORTED),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED, TB_ERR_FORBIDDEN),
	RV(CKR_USER_TYPE_INVALID, TB_ERR_INVALID_ARG),
	RV(CKR_USER_PIN_NOT_INITIALIZED, TB_ERR_PIN_LOCKED),

	/* Fatal. */
	RV(CKR_HOST_MEMORY, TB_ERR_NOMEM),
	RV(CKR_CRYPTOKI_NOT_INITIALIZED, TB_ERR_MODULE),
	RV(CKR_CANT_LOCK, TB_ERR_MODULE),
	RV(CKR_SESSION_COUNT, TB_ERR_BUSY),
	RV(CKR_GENERAL_ERROR, TB_ERR_TOKEN),
	RV(CKR_FUNCTION_FAILED, TB_ERR_TOKEN),
	RV(CKR_FUNCTION_CANCELED, TB_ERR_TOKEN),
	RV(CKR_TOKEN_WRITE_PROTECTED, TB_ERR_TOKEN),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN, TB_ERR_TOKEN),
	RV(CKR_USER_TOO_MANY_TYPES, TB_ERR_TOKEN),
};
#undef RV

static const struct rv_entry *
rv_lookup(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof(rv_table) / sizeof(rv_table[0]); i++)
		if (rv_table[i].rv == rv)
			return &rv_table[i];
	return NULL;
}

const char *
tb_p11_rv_name(CK_RV rv)
{
	const struct rv_entry *e = rv_lookup(rv);

	return e != NULL ? e->name : NULL;
}

int
tb_p11_call_result(const char *call, CK_RV rv, tb_error *err)
{
	const struct rv_entry *e = rv_lookup(rv);
	int code = e != NULL ? e->code : TB_ERR_TOKEN;
	char hex[32];
	const char *name = e != NULL ? e->name : NULL;

	if (name == NULL) {
		snprintf(hex, sizeof(hex), "CKR_0x%08lx", (unsigned long)rv);
		name = hex;
	}
	tb_debug_f("%s -> %s", call, name);
	if (code == TB_OK)
		return 0;
	return tb_error_set(err, code, "%s: %s", call, name);
}

int
tb_p11_err_retryable(int code)
{
	return code == TB_ERR_SESSION_LOST || code == TB_ERR_LOGIN_NEEDED ||
	    code == TB_ERR_TOKEN_GONE;
}
