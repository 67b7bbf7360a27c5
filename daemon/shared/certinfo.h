/*
 * A certificate's fields as the socket protocol shows them: RFC 2253
 * names in UTF-8, lower-case hex serials, YYYY-MM-DDTHH:MM:SSZ times.
 * Only reads certificates; decides nothing about their validity beyond a
 * signing key's dates (tb_ks_cert_check).
 */
#ifndef TB_CERTINFO_H
#define TB_CERTINFO_H

#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "tb_err.h"

/* notBefore and notAfter as time_t; -1 when a time cannot be read. */
int tb_cert_times(X509 *cert, time_t *not_before, time_t *not_after);
/* Whole days from now to t, rounded down (negative once past). */
long tb_cert_days_left(time_t not_after, time_t now);

/* New strings the caller frees; NULL on failure. */
char *tb_cert_name_text(const X509_NAME *name);
char *tb_cert_serial_hex(X509 *cert);

/*
 * Adds "subject", "serial", "not_after" and, when full, "issuer",
 * "not_before" and "days_left" (against now) to obj. Returns 0 or -1.
 */
int tb_certinfo_add(json_t *obj, X509 *cert, time_t now, int full);

/*
 * Whether the certificate of the key called name may sign at now:
 * TB_ERR_NO_CERT without one, TB_ERR_CERT_EXPIRED after notAfter,
 * TB_ERR_CERT_NOT_YET_VALID before notBefore, with a detail naming the key
 * and the date (tb_ks_key_check in the signer; the front's copy of it).
 */
int tb_ks_cert_check(const char *name, X509 *cert, time_t now, tb_error *err);

#endif
