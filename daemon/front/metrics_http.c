/*
 * The scrape endpoint (metrics_http.h). Its thread polls the listener and
 * a stop pipe; a scrape is read (4 KiB at most), answered and closed within
 * SCRAPE_TIMEOUT_MS, so a stalled scraper holds only this thread. The
 * figures come from the counters (metrics.h), the signer's status (token
 * sessions, the audit trail), the revocation checker and the lanes.
 * Never touches a connection of the socket protocol.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "listeners.h"
#include "metrics_http.h"
#include "revocation.h"
#include "server.h"
#include "tb_log.h"
#include "verdict.h"

#define REQUEST_MAX 4096
#define SCRAPE_TIMEOUT_MS 5000

struct tb_metrics_http {
	int lfd;
	int stop[2];		/* a pipe: a byte on it stops the thread */
	char where[160];
	pthread_t thread;
	int started;
	tb_daemon *d;
	tb_metrics_lanes_fn lanes;
	void *lanes_ctx;
};

/* ---- the text ---- */

typedef struct text {
	char *buf;
	size_t len, room;
	int failed;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
text_add(text *t, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	char *n;
	int w;

	if (t->failed)
		return;
	for (;;) {
		room = t->room - t->len;
		va_start(ap, fmt);
		w = vsnprintf(t->buf != NULL ? t->buf + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (w < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)w < room) {
			t->len += (size_t)w;
			return;
		}
		room = t->room == 0 ? 16384 : t->room * 2;
		while (room - t->len <= (size_t)w)
			room *= 2;
		if ((n = realloc(t->buf, room)) == NULL) {
			t->failed = 1;
			return;
		}
		t->buf = n;
		t->room = room;
	}
}

/* A label value as the format wants it: backslash, quote and newline escaped. */
static const char *
label(const char *v, char *out, size_t room)
{
	size_t o = 0;

	for (; *v != '\0' && o + 3 < room; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
	return out;
}

static void
head(text *t, const char *name, const char *type, const char *help)
{
	text_add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One histogram's series: counts per bucket (not cumulative) and the sum. */
static void
histogram(text *t, const char *name, const char *labels, const unsigned long *b,
    double sum)
{
	unsigned long cum = 0;
	int i;

	for (i = 0; i < TB_METRICS_BUCKETS; i++) {
		cum += b[i];
		text_add(t, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, labels, *labels ? "," : "",
		    tb_metrics_bucket_le[i], cum);
	}
	cum += b[TB_METRICS_BUCKETS];
	text_add(t, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, labels, *labels ? "," : "", cum);
	text_add(t, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
	    sum);
	text_add(t, "%s_count%s%s%s %lu\n", name, *labels ? "{" : "", labels,
	    *labels ? "}" : "", cum);
}

static void
requests_text(text *t, tb_metrics *m, const tb_metrics_snapshot *sn)
{
	char lb[64];
	int i, code;

	head(t, "tanba_requests_total", "counter", "Frames answered, by the op they named "
	    "(other: none or an unknown one), refusals included.");
	for (i = 0; i < TB_MOP_N; i++)
		text_add(t, "tanba_requests_total{op=\"%s\"} %lu\n", tb_metrics_op_name(i),
		    sn->requests[i]);
	head(t, "tanba_request_errors_total", "counter", "Answers with ok false, by op.");
	for (i = 0; i < TB_MOP_N; i++)
		text_add(t, "tanba_request_errors_total{op=\"%s\"} %lu\n", tb_metrics_op_name(i),
		    sn->errors[i]);
	head(t, "tanba_errors_total", "counter", "Error answers by protocol error code.");
	for (code = TB_ERR_INTERNAL; code > TB_ERR_LAST; code--)
		text_add(t, "tanba_errors_total{code=\"%s\"} %lu\n", tb_err_name(code),
		    sn->by_code[-code]);
	head(t, "tanba_request_duration_seconds", "histogram", "Time from a complete frame "
	    "to its answer, queueing included, by op.");
	for (i = 0; i < TB_MOP_N; i++) {
		snprintf(lb, sizeof(lb), "op=\"%s\"", tb_metrics_op_name(i));
		histogram(t, "tanba_request_duration_seconds", lb, sn->buckets[i],
		    sn->seconds_sum[i]);
	}
	head(t, "tanba_verdicts_total", "counter", "Verification verdicts (verify, check-cert).");
	for (i = 0; i < TB_V_COUNT; i++)
		text_add(t, "tanba_verdicts_total{verdict=\"%s\"} %lu\n", tb_verdict_code(i),
		    sn->verdicts[i]);
	head(t, "tanba_signatures_total", "counter", "Signatures made.");
	text_add(t, "tanba_signatures_total %lu\n", tb_metrics_get(m, TB_COUNT_SIGNATURES));
	head(t, "tanba_connections_total", "counter", "Connections accepted.");
	text_add(t, "tanba_connections_total %lu\n", tb_metrics_get(m, TB_COUNT_CONNECTIONS));
	head(t, "tanba_connections_open", "gauge", "Connections open.");
	text_add(t, "tanba_connections_open %lu\n", sn->gauge[TB_GAUGE_CONNECTIONS]);
	head(t, "tanba_clients", "gauge", "Clients holding a connection or a request.");
	text_add(t, "tanba_clients %lu\n", sn->gauge[TB_GAUGE_CLIENTS]);
	head(t, "tanba_buffered_bytes", "gauge", "Bytes reserved for frames being read, "
	    "requests in flight and answers not yet sent (max_buffered_bytes bounds it).");
	text_add(t, "tanba_buffered_bytes %lu\n", sn->gauge[TB_GAUGE_BUFFERED]);
}

static void
lanes_text(text *t, tb_metrics_lanes_fn fn, void *ctx)
{
	tb_lane_depth l[TB_METRICS_LANES_MAX];
	size_t n = fn != NULL ? fn(ctx, l) : 0, i;

	head(t, "tanba_lane_queued", "gauge", "Requests waiting for a worker, by lane.");
	for (i = 0; i < n; i++)
		text_add(t, "tanba_lane_queued{lane=\"%s\"} %u\n", l[i].name, l[i].queued);
	head(t, "tanba_lane_running", "gauge", "Requests running, by lane.");
	for (i = 0; i < n; i++)
		text_add(t, "tanba_lane_running{lane=\"%s\"} %u\n", l[i].name, l[i].running);
	head(t, "tanba_lane_workers", "gauge", "Workers, by lane.");
	for (i = 0; i < n; i++)
		text_add(t, "tanba_lane_workers{lane=\"%s\"} %u\n", l[i].name, l[i].workers);
}

static void
signer_text(text *t, tb_daemon *d, const tb_metrics_snapshot *sn)
{
	tb_signer_link_state ls;
	tb_sc_status *st = calloc(1, sizeof(*st));
	char lb[80];
	tb_error e;
	uint32_t i;
	int ok;

	tb_error_clear(&e);
	ok = st != NULL && tb_daemon_signer_status(d, st, &e) == 0;
	tb_daemon_signer_state(d, &ls);
	head(t, "tanba_signer_up", "gauge", "1 when the signer process answered its status.");
	text_add(t, "tanba_signer_up %d\n", ok);
	head(t, "tanba_signer_restarts_total", "counter", "Restarts of the signer process.");
	text_add(t, "tanba_signer_restarts_total %lu\n", ls.restarts);
	head(t, "tanba_token_sessions_in_use", "gauge", "Token sessions busy signing.");
	for (i = 0; ok && i < st->ntokens; i++)
		text_add(t, "tanba_token_sessions_in_use{token=\"%s\"} %u\n",
		    label(st->tokens[i].label, lb, sizeof(lb)), st->tokens[i].sessions_busy);
	head(t, "tanba_token_sessions_max", "gauge", "Token sessions the signer may open.");
	for (i = 0; ok && i < st->ntokens; i++)
		text_add(t, "tanba_token_sessions_max{token=\"%s\"} %u\n",
		    label(st->tokens[i].label, lb, sizeof(lb)), st->tokens[i].sessions_max);
	head(t, "tanba_token_healthy", "gauge", "1 while the token answers.");
	for (i = 0; ok && i < st->ntokens; i++)
		text_add(t, "tanba_token_healthy{token=\"%s\"} %d\n",
		    label(st->tokens[i].label, lb, sizeof(lb)), st->tokens[i].healthy ? 1 : 0);
	head(t, "tanba_audit_ok", "gauge", "1 while the audit trail can be written (0 also "
	    "when the signer is down: nothing can be recorded then).");
	text_add(t, "tanba_audit_ok %d\n", ok && !st->audit_failed);
	head(t, "tanba_audit_records_total", "counter", "Audit records the current signer "
	    "process wrote.");
	text_add(t, "tanba_audit_records_total %llu\n",
	    ok ? (unsigned long long)st->audit_records : 0ULL);
	head(t, "tanba_audit_record_seconds", "histogram", "Round trip of one audit record "
	    "the front has the signer append and sync (refusals; a signature's record is "
	    "synced inside its sign round trip).");
	histogram(t, "tanba_audit_record_seconds", "", sn->audit_buckets, sn->audit_sum);
	head(t, "tanba_audit_record_failures_total", "counter", "Audit records that could "
	    "not be written.");
	text_add(t, "tanba_audit_record_failures_total %lu\n", sn->audit_failed);
	free(st);
}

static void
revocation_text(text *t, tb_daemon *d)
{
	tb_revocation *rv = tb_daemon_revocation(d);
	tb_rev_issuer_status *st = NULL;
	size_t n = 0, i;
	char lb[300];

	(void)tb_revocation_issuers(rv, &st, &n);
	head(t, "tanba_revocation_cache_hits_total", "counter", "Revocation answers given "
	    "without a fetch: from the OCSP cache or a CRL already held.");
	for (i = 0; i < n; i++) {
		label(st[i].name, lb, sizeof(lb));
		text_add(t, "tanba_revocation_cache_hits_total{issuer=\"%s\",source=\"ocsp\"} "
		    "%lu\n", lb, st[i].ocsp_cache_hits);
		text_add(t, "tanba_revocation_cache_hits_total{issuer=\"%s\",source=\"crl\"} "
		    "%lu\n", lb, st[i].crl_answers);
	}
	head(t, "tanba_revocation_fetches_total", "counter", "OCSP exchanges and CRL "
	    "downloads that succeeded.");
	for (i = 0; i < n; i++) {
		label(st[i].name, lb, sizeof(lb));
		text_add(t, "tanba_revocation_fetches_total{issuer=\"%s\",source=\"ocsp\"} %lu\n",
		    lb, st[i].ocsp_ok);
		text_add(t, "tanba_revocation_fetches_total{issuer=\"%s\",source=\"crl\"} %lu\n",
		    lb, st[i].crl_fetch_ok);
	}
	head(t, "tanba_revocation_fetch_failures_total", "counter", "OCSP exchanges and CRL "
	    "downloads that failed.");
	for (i = 0; i < n; i++) {
		label(st[i].name, lb, sizeof(lb));
		text_add(t, "tanba_revocation_fetch_failures_total{issuer=\"%s\",source=\"ocsp\"} "
		    "%lu\n", lb, st[i].ocsp_fail);
		text_add(t, "tanba_revocation_fetch_failures_total{issuer=\"%s\",source=\"crl\"} "
		    "%lu\n", lb, st[i].crl_fetch_fail);
	}
	head(t, "tanba_revocation_healthy", "gauge", "1 while the issuer has a fresh CRL or "
	    "its last OCSP exchange succeeded.");
	for (i = 0; i < n; i++)
		text_add(t, "tanba_revocation_healthy{issuer=\"%s\"} %d\n",
		    label(st[i].name, lb, sizeof(lb)), st[i].healthy ? 1 : 0);
	free(st);
	tb_revocation_unref(rv);
}

char *
tb_metrics_text(tb_daemon *d, tb_metrics_lanes_fn fn, void *ctx)
{
	tb_metrics *m = tb_daemon_metrics(d);
	tb_metrics_snapshot *sn = calloc(1, sizeof(*sn));
	text t;

	memset(&t, 0, sizeof(t));
	if (sn == NULL)
		return NULL;
	tb_metrics_snapshot_get(m, sn);
	head(&t, "tanba_up", "gauge", "1 while tanbad answers scrapes.");
	text_add(&t, "tanba_up 1\n");
	head(&t, "tanba_uptime_seconds", "gauge", "Seconds since tanbad started.");
	text_add(&t, "tanba_uptime_seconds %ld\n", tb_daemon_uptime(d));
	requests_text(&t, m, sn);
	lanes_text(&t, fn, ctx);
	signer_text(&t, d, sn);
	revocation_text(&t, d);
	free(sn);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	return t.buf;
}

/* ---- the endpoint ---- */

static long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until deadline; 0 when it is. */
static int
wait_fd(int fd, short events, long deadline)
{
	struct pollfd p;
	long left;
	int r;

	for (;;) {
		if ((left = deadline - ms_now()) <= 0)
			return -1;
		p.fd = fd;
		p.events = events;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0 || errno != EINTR)
			return -1;
	}
}

static void
send_all(int fd, const char *buf, size_t len, long deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			return;
		} else if (n < 0 && errno != EINTR && wait_fd(fd, POLLOUT, deadline) != 0) {
			return;
		}
	}
}

static void
answer(int fd, const char *status, const char *body, long deadline)
{
	char hdr[256];
	int n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status,
	    strncmp(status, "200", 3) == 0 ? "text/plain; version=0.0.4; charset=utf-8" :
	    "text/plain; charset=utf-8", strlen(body));
	send_all(fd, hdr, (size_t)n, deadline);
	send_all(fd, body, strlen(body), deadline);
}

/* One scrape: the request's head, then the answer, then close. */
static void
scrape(tb_metrics_http *h, int fd)
{
	char req[REQUEST_MAX + 1];
	long deadline = ms_now() + SCRAPE_TIMEOUT_MS;
	size_t got = 0;
	ssize_t n;
	char *body;

	while (got < REQUEST_MAX) {
		if (wait_fd(fd, POLLIN, deadline) != 0)
			return;
		n = recv(fd, req + got, REQUEST_MAX - got, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return;
		}
		got += (size_t)n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[got] = '\0';
	if (strncmp(req, "GET ", 4) != 0) {
		answer(fd, "405 Method Not Allowed", "GET /metrics only\n", deadline);
		return;
	}
	if (strncmp(req + 4, "/metrics ", 9) != 0 && strncmp(req + 4, "/metrics?", 9) != 0) {
		answer(fd, "404 Not Found", "GET /metrics only\n", deadline);
		return;
	}
	if ((body = tb_metrics_text(h->d, h->lanes, h->lanes_ctx)) == NULL) {
		answer(fd, "503 Service Unavailable", "out of memory\n", deadline);
		return;
	}
	answer(fd, "200 OK", body, deadline);
	free(body);
}

static void *
serve(void *arg)
{
	tb_metrics_http *h = arg;
	struct pollfd p[2];
	int fd;

	for (;;) {
		p[0].fd = h->stop[0];
		p[0].events = POLLIN;
		p[1].fd = h->lfd;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (p[0].revents != 0)
			return NULL;
		if ((fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
			continue;
		scrape(h, fd);
		close(fd);
	}
}

int
tb_metrics_http_open(const tb_config *cfg, tb_metrics_http **out, tb_error *err)
{
	tb_metrics_http *h;
	int r;

	*out = NULL;
	if (cfg->metrics_listen == NULL && cfg->metrics_socket == NULL)
		return 0;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "metrics");
	h->lfd = h->stop[0] = h->stop[1] = -1;
	if (pipe2(h->stop, O_CLOEXEC | O_NONBLOCK) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	/*
	 * The parent's listener (listeners.h): its socket file is the parent's
	 * to remove. None when [metrics] came into the file after tanbad
	 * started (a restarted front reads it afresh).
	 */
	if ((h->lfd = tb_listeners_take(TB_LISTEN_METRICS)) == -1) {
		r = tb_error_set(err, TB_ERR_CONFIG, "[metrics]: tanbad opened no listener for it; "
		    "[metrics] changes take effect at restart");
		goto fail;
	}
	snprintf(h->where, sizeof(h->where), "%s", cfg->metrics_listen != NULL ?
	    cfg->metrics_listen : cfg->metrics_socket);
	*out = h;
	return 0;
fail:
	tb_metrics_http_free(h);
	return r;
}

int
tb_metrics_http_start(tb_metrics_http *h, tb_daemon *d, tb_metrics_lanes_fn fn, void *ctx,
    tb_error *err)
{
	sigset_t all, old;
	int r;

	h->d = d;
	h->lanes = fn;
	h->lanes_ctx = ctx;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&h->thread, NULL, serve, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return tb_error_set(err, TB_ERR_INTERNAL, "cannot start the metrics thread");
	h->started = 1;
	tb_info_f("metrics: Prometheus exposition on %s (GET /metrics)", h->where);
	return 0;
}

void
tb_metrics_http_free(tb_metrics_http *h)
{
	char b = 1;

	if (h == NULL)
		return;
	if (h->started) {
		while (write(h->stop[1], &b, 1) == -1 && errno == EINTR)
			;
		pthread_join(h->thread, NULL);
	}
	if (h->lfd != -1)
		close(h->lfd);
	if (h->stop[0] != -1)
		close(h->stop[0]);
	if (h->stop[1] != -1)
		close(h->stop[1]);
	free(h);
}
