/*
 * How libsig reaches the network without touching it: an OCSP query or a
 * time-stamp request is given a tb_fetcher (like a tb_signer for keys) and
 * asks it for one bounded HTTP exchange. libsig holds no socket and no
 * HTTP client; the one the programs use is revocation/http_fetch.c
 * (libcurl). Whatever a fetcher returns is hostile until checked.
 */
#ifndef TB_FETCHER_H
#define TB_FETCHER_H

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

/* 1 when url starts with http:// or https:// (case-insensitive). */
int tb_fetch_url_allowed(const char *url);

/*
 * One HTTP exchange: GETs url, or POSTs post (post_len bytes, Content-Type
 * post_type) when post_type is not NULL, within the limits of o. *body is
 * a new buffer (malloc) the caller frees, returned only for HTTP 200 with
 * a non-empty body. Errors: TB_ERR_INVALID_ARG (scheme), TB_ERR_TIMEOUT,
 * TB_ERR_TOO_LARGE, TB_ERR_NETWORK (connection, HTTP status, empty body).
 */
typedef int (*tb_fetch_fn)(void *ctx, const char *url, const tb_fetch_opts *o,
    const char *post_type, const unsigned char *post, size_t post_len,
    unsigned char **body, size_t *body_len, tb_error *err);

typedef struct tb_fetcher {
	tb_fetch_fn fetch;
	void *ctx;
} tb_fetcher;

/*
 * Calls f; without a fetcher (f or f->fetch NULL) nothing is fetched and
 * the answer is TB_ERR_NETWORK: a caller that gave no way out fails closed.
 */
int tb_fetcher_call(const tb_fetcher *f, const char *url, const tb_fetch_opts *o,
    const char *post_type, const unsigned char *post, size_t post_len,
    unsigned char **body, size_t *body_len, tb_error *err);

#endif
