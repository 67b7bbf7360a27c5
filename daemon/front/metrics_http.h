/*
 * The Prometheus scrape endpoint of [metrics]: GET /metrics on a loopback
 * TCP port or a UNIX socket, answered with the text exposition format
 * (version 0.0.4) by a thread of its own, one scrape at a time, each
 * bounded in size and time. Off unless configured. Figures only: never a
 * key's use by a client, a document or a request.
 */
#ifndef TB_METRICS_HTTP_H
#define TB_METRICS_HTTP_H

#include <stddef.h>

#include "conf.h"
#include "daemon.h"
#include "tb_err.h"

typedef struct tb_metrics_http tb_metrics_http;

/* One worker lane as the server reports it. */
typedef struct tb_lane_depth {
	const char *name;
	unsigned queued, running, workers;
} tb_lane_depth;
#define TB_METRICS_LANES_MAX 8

/* Fills out (at most TB_METRICS_LANES_MAX) and returns how many. */
typedef size_t (*tb_metrics_lanes_fn)(void *ctx, tb_lane_depth *out);

/*
 * Takes the endpoint the parent opened for cfg's [metrics] (listeners.h).
 * *out is NULL when [metrics] is absent.
 */
int tb_metrics_http_open(const tb_config *cfg, tb_metrics_http **out, tb_error *err);
/* Starts the thread that serves scrapes of d's figures and the lanes of fn. */
int tb_metrics_http_start(tb_metrics_http *h, tb_daemon *d, tb_metrics_lanes_fn fn,
    void *ctx, tb_error *err);
/* Stops the thread and closes the socket (its file is the parent's). NULL is a no-op. */
void tb_metrics_http_free(tb_metrics_http *h);

/* The exposition of d's figures now (caller frees); NULL when memory is short. */
char *tb_metrics_text(tb_daemon *d, tb_metrics_lanes_fn fn, void *ctx);

#endif
