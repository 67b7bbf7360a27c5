/*
 * The one door to a PKCS#11 module: every C_ call in pkcs11/ goes through
 * TB_P11_CALL, which logs it at debug level and turns the CK_RV into a
 * tb_err code with the CKR_ name in the detail. No other file reads a CK_RV.
 */
#ifndef TB_P11_CALL_H
#define TB_P11_CALL_H

#include <p11-kit/pkcs11.h>

#include "tb_err.h"

/*
 * Calls fn of the function list f with the remaining arguments; returns 0
 * or the mapped tb_err code (recorded in err). The classes a caller acts on:
 *   TB_ERR_SESSION_LOST  handle or operation state gone: reopen, retry once
 *   TB_ERR_LOGIN_NEEDED  the token forgot the login: log in again, retry once
 *   TB_ERR_TOKEN_GONE    device error or token removed: reconnect, retry once
 *   anything else        the caller's error or fatal: never retried
 */
#define TB_P11_CALL(err, f, fn, ...) \
	tb_p11_call_result(#fn, (CK_RV)((f)->fn(__VA_ARGS__)), (err))

int tb_p11_call_result(const char *call, CK_RV rv, tb_error *err);
/* "CKR_DEVICE_ERROR", or NULL for a value without a name here. */
const char *tb_p11_rv_name(CK_RV rv);
/* 1 for the codes that warrant one reopen-and-retry. */
int tb_p11_err_retryable(int code);

#endif
