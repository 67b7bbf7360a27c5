/*
 * HTTP(S) downloads of CRLs and OCSP answers with hard limits: http and
 * https only, a size cap, connect and total timeouts, a low-speed cut-off,
 * and no redirects. It must never follow a URL to another scheme, and never
 * keep reading past the cap.
 */
#ifndef TB_FETCH_H
#define TB_FETCH_H

#include <stddef.h>

#include "tb_err.h"

typedef struct tb_fetch_opts {
	long connect_timeout_ms;	/* default 5000 */
	long timeout_ms;		/* whole transfer, default 30000 */
	size_t max_bytes;		/* body cap, default 64 MiB */
	long low_speed_bytes;		/* abort when slower than this ... */
	long low_speed_time_s;		/* ... for this long (default 1000 B/s, 10 s) */
} tb_fetch_opts;

void tb_fetch_opts_init(tb_fetch_opts *o);

/* Initialises libcurl once for the process; safe to call from any thread. */
int tb_fetch_global_init(tb_error *err);

/*
 * GETs url, or POSTs post (post_len bytes, Content-Type post_type) when
 * post_type is not NULL. *body is a new buffer the caller frees; it is
 * returned only for HTTP 200 with a non-empty body. Errors:
 * TB_ERR_INVALID_ARG (scheme), TB_ERR_TIMEOUT, TB_ERR_TOO_LARGE,
 * TB_ERR_NETWORK (connection, HTTP status, empty body).
 */
int tb_fetch(const char *url, const tb_fetch_opts *o, const char *post_type,
    const unsigned char *post, size_t post_len, unsigned char **body,
    size_t *body_len, tb_error *err);

/* 1 when url starts with http:// or https:// (case-insensitive). */
int tb_fetch_url_allowed(const char *url);

#endif
