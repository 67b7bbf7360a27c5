/*
 * libcurl downloads under hard limits. Everything fetched here comes from
 * the network and is hostile until libsig (crl.c, ocsp_check.c,
 * tst_client.c) has checked it; this file only bounds how much, how long
 * and from which schemes. It must never follow redirects or read past the
 * size cap.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http_fetch.h"
#include "verify_budget.h"
#include "tb_log.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
tb_fetch_global_init(tb_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return tb_error_set(err, TB_ERR_INTERNAL, "curl_global_init: %s",
		    curl_easy_strerror(curl_init_rc));
	return 0;
}

typedef struct sink {
	unsigned char *p;
	size_t len, cap, max;
	int over;
} sink;

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	sink *s = arg;
	size_t n = size * nmemb, ncap;
	unsigned char *np;

	if (n > s->max - s->len) {
		/* Returning less than n makes curl abort the transfer. */
		s->over = 1;
		return 0;
	}
	if (s->len + n > s->cap) {
		ncap = s->cap ? s->cap : 16384;
		while (ncap < s->len + n)
			ncap *= 2;
		if (ncap > s->max)
			ncap = s->max;
		if ((np = realloc(s->p, ncap)) == NULL)
			return 0;
		s->p = np;
		s->cap = ncap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	return n;
}

int
tb_fetch(const char *url, const tb_fetch_opts *o, const char *post_type,
    const unsigned char *post, size_t post_len, unsigned char **body,
    size_t *body_len, tb_error *err)
{
	CURL *c = NULL;
	struct curl_slist *hdrs = NULL;
	char ebuf[CURL_ERROR_SIZE] = "";
	sink s = { NULL, 0, 0, o->max_bytes, 0 };
	CURLcode cc;
	long status = 0, connect_ms = o->connect_timeout_ms, total_ms = o->timeout_ms, left;
	int r = TB_ERR_INTERNAL;
	tb_verify_budget *budget = tb_verify_budget_current();

	if (!tb_fetch_url_allowed(url)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "only http and https URLs are used");
		goto out;
	}
	/* A fetch made for a verification ends by that verification's deadline. */
	if (budget != NULL) {
		if ((left = tb_verify_budget_ms_left(budget)) == 0) {
			r = tb_error_set(err, TB_ERR_TIMEOUT, "verification time budget spent");
			goto out;
		}
		if (total_ms <= 0 || total_ms > left)
			total_ms = left;
		if (connect_ms <= 0 || connect_ms > left)
			connect_ms = left;
	}
	if ((r = tb_fetch_global_init(err)) != 0)
		goto out;
	if ((c = curl_easy_init()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "curl_easy_init");
		goto out;
	}
	/* The scheme check above is repeated inside curl, which also covers
	 * anything curl might derive from the URL. No redirects at all: a
	 * revocation source is configured, not discovered. */
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_time_s) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "tanba") != CURLE_OK) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "curl_easy_setopt failed");
		goto out;
	}
	if (post_type != NULL) {
		char ct[128];

		snprintf(ct, sizeof(ct), "Content-Type: %s", post_type);
		if ((hdrs = curl_slist_append(hdrs, ct)) == NULL ||
		    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)post) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len) != CURLE_OK) {
			r = tb_error_set(err, TB_ERR_INTERNAL, "curl POST setup failed");
			goto out;
		}
	}
	cc = curl_easy_perform(c);
	if (s.over || cc == CURLE_FILESIZE_EXCEEDED) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "%s: body over %zu bytes, cut off",
		    url, o->max_bytes);
		goto out;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		r = tb_error_set(err, TB_ERR_TIMEOUT, "%s: %s", url,
		    ebuf[0] ? ebuf : curl_easy_strerror(cc));
		goto out;
	}
	if (cc != CURLE_OK) {
		r = tb_error_set(err, TB_ERR_NETWORK, "%s: %s", url,
		    ebuf[0] ? ebuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		r = tb_error_set(err, TB_ERR_NETWORK, "%s: HTTP status %ld", url, status);
		goto out;
	}
	if (s.len == 0) {
		r = tb_error_set(err, TB_ERR_NETWORK, "%s: empty body", url);
		goto out;
	}
	tb_debug_f("%s: %zu bytes", url, s.len);
	*body = s.p;
	*body_len = s.len;
	s.p = NULL;
	r = 0;
 out:
	free(s.p);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return r;
}

static int
http_fetch(void *ctx, const char *url, const tb_fetch_opts *o, const char *post_type,
    const unsigned char *post, size_t post_len, unsigned char **body, size_t *body_len,
    tb_error *err)
{
	(void)ctx;
	return tb_fetch(url, o, post_type, post, post_len, body, body_len, err);
}

const tb_fetcher tb_http_fetcher = { http_fetch, NULL };

static int
deadline_fetch(void *ctx, const char *url, const tb_fetch_opts *o, const char *post_type,
    const unsigned char *post, size_t post_len, unsigned char **body, size_t *body_len,
    tb_error *err)
{
	tb_deadline_fetcher *f = ctx;
	tb_fetch_opts capped = *o;
	long left = tb_verify_budget_ms_left(&f->budget);

	if (left == 0)
		return tb_error_set(err, TB_ERR_TIMEOUT, "%s: not asked, its %ld ms are spent",
		    url, f->budget.lim.max_time_ms);
	if (capped.timeout_ms <= 0 || capped.timeout_ms > left)
		capped.timeout_ms = left;
	if (capped.connect_timeout_ms <= 0 || capped.connect_timeout_ms > left)
		capped.connect_timeout_ms = left;
	return tb_fetcher_call(f->inner, url, &capped, post_type, post, post_len, body,
	    body_len, err);
}

void
tb_deadline_fetcher_init(tb_deadline_fetcher *f, const tb_fetcher *inner, long ms)
{
	tb_budget_limits lim;

	memset(f, 0, sizeof(*f));
	memset(&lim, 0, sizeof(lim));
	lim.max_time_ms = ms;
	tb_budget_limits_default(&lim);
	tb_verify_budget_start(&f->budget, &lim);
	f->inner = inner;
	f->self.fetch = deadline_fetch;
	f->self.ctx = f;
}
