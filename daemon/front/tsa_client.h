/*
 * The front's side of sign {"timestamp"} and of the timestamp op: once the
 * CMS is assembled (or handed in), the [tsa] TSA is asked for a token over
 * each signature value and the token, verified first (libsig/tst_client.c),
 * is added as CAdES-T. The signer process and its exchange are not involved.
 */
#ifndef TB_TSA_CLIENT_H
#define TB_TSA_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "tb_err.h"

struct tb_daemon;

/* What a sign request asks: no stamp, a stamp or fail, a stamp if one can be had. */
enum tb_stamp_want { TB_STAMP_NO = 0, TB_STAMP_YES, TB_STAMP_PREFERRED };

/* The request's "timestamp": absent/false, true, or "preferred"; TB_ERR_INVALID_ARG else. */
int tb_stamp_want_read(json_t *req, enum tb_stamp_want *out, tb_error *err);

/* Bytes a stamp may add to the CMS ([tsa] max_token_bytes and its attribute). */
size_t tb_stamp_bound(struct tb_daemon *d);

/*
 * Stamps signer (-1: every signer) of the CMS *der (replaced by the stamped
 * one on success) and sets result's "timestamp": true, or false with
 * "timestamp_error" when want is preferred and no valid token could be had.
 * With want YES a TSA that is down, slow or answers wrongly is an error
 * (TB_ERR_UNAVAILABLE naming the cause): an unstamped CMS is never passed
 * off as stamped. A CMS that cannot be stamped as it is (its signed
 * attributes would change on re-encoding) is TB_ERR_UNSUPPORTED.
 */
int tb_stamp_cms(struct tb_daemon *d, enum tb_stamp_want want, int signer,
    unsigned char **der, size_t *der_len, json_t *result, tb_error *err);

#endif
