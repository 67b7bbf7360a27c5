/*
 * The HTTP(S) fetcher the programs hand to libsig (tb_fetcher, fetcher.h):
 * libcurl under hard limits, http and https only, a size cap, connect and
 * total timeouts, a low-speed cut-off, and no redirects. It must never
 * follow a URL to another scheme, and never keep reading past the cap.
 */
#ifndef TB_HTTP_FETCH_H
#define TB_HTTP_FETCH_H

#include <stddef.h>

#include "fetcher.h"
#include "tb_err.h"
#include "verify_budget.h"

/* Initialises libcurl once for the process; safe to call from any thread. */
int tb_fetch_global_init(tb_error *err);

/* The exchange of tb_fetch_fn (fetcher.h), over libcurl. */
int tb_fetch(const char *url, const tb_fetch_opts *o, const char *post_type,
    const unsigned char *post, size_t post_len, unsigned char **body,
    size_t *body_len, tb_error *err);

/* tb_fetch as a tb_fetcher (no state). */
extern const tb_fetcher tb_http_fetcher;

/*
 * A fetcher that hands every exchange to inner with its timeouts capped by
 * the time left until one deadline, and refuses (TB_ERR_TIMEOUT) once it
 * has passed: several exchanges made for one request (a time stamp per
 * signer) end together by it, not each by its own timeout.
 */
typedef struct tb_deadline_fetcher {
	tb_fetcher self;		/* hand &self out */
	const tb_fetcher *inner;
	tb_verify_budget budget;	/* only its deadline counts */
} tb_deadline_fetcher;

/* Starts the deadline ms milliseconds from now. */
void tb_deadline_fetcher_init(tb_deadline_fetcher *f, const tb_fetcher *inner, long ms);

#endif
