/*
 * The fetcher interface's pure parts: default limits, the scheme rule,
 * and the call that fails closed when no fetcher was given.
 */
#include <strings.h>

#include "fetcher.h"

void
tb_fetch_opts_init(tb_fetch_opts *o)
{
	o->connect_timeout_ms = 5000;
	o->timeout_ms = 30000;
	o->max_bytes = 64u * 1024 * 1024;
	o->low_speed_bytes = 1000;
	o->low_speed_time_s = 10;
}

int
tb_fetch_url_allowed(const char *url)
{
	return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0);
}

int
tb_fetcher_call(const tb_fetcher *f, const char *url, const tb_fetch_opts *o,
    const char *post_type, const unsigned char *post, size_t post_len,
    unsigned char **body, size_t *body_len, tb_error *err)
{
	if (f == NULL || f->fetch == NULL)
		return tb_error_set(err, TB_ERR_NETWORK, "%s: no HTTP fetcher given",
		    url != NULL ? url : "?");
	return f->fetch(f->ctx, url, o, post_type, post, post_len, body, body_len, err);
}
