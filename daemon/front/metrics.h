/*
 * Counters and recent signing latencies for the status op, and the
 * figures of the Prometheus exposition ([metrics], metrics_http.h):
 * requests, errors by code and latency histograms per op, verdicts, audit
 * round trips, gauges the I/O thread sets. Figures only: never a key
 * name, a client or a document.
 */
#ifndef TB_METRICS_H
#define TB_METRICS_H

#include "tb_err.h"

typedef struct tb_metrics tb_metrics;

enum tb_counter {
	TB_COUNT_CONNECTIONS,	/* connections accepted */
	TB_COUNT_REQUESTS,	/* frames answered */
	TB_COUNT_ERRORS,	/* answers with ok:false */
	TB_COUNT_SIGNATURES,	/* signatures made */
	TB_COUNT_N
};

/* The ops as the exposition labels them; anything else is "other". */
enum tb_metrics_op {
	TB_MOP_SIGN, TB_MOP_KEYS, TB_MOP_STATUS, TB_MOP_VERIFY, TB_MOP_CHECK_CERT,
	TB_MOP_OTHER, TB_MOP_N
};

/* Upper bounds (seconds) of the latency histograms' buckets; +Inf after them. */
#define TB_METRICS_BUCKETS 14
extern const double tb_metrics_bucket_le[TB_METRICS_BUCKETS];

/* Figures the I/O thread keeps up to date. */
enum tb_gauge {
	TB_GAUGE_CONNECTIONS,	/* connections open */
	TB_GAUGE_CLIENTS,	/* clients with a connection or a request */
	TB_GAUGE_BUFFERED,	/* bytes reserved for frames and answers */
	TB_GAUGE_N
};

tb_metrics *tb_metrics_new(void);
void tb_metrics_free(tb_metrics *m);

void tb_metrics_inc(tb_metrics *m, enum tb_counter c);
unsigned long tb_metrics_get(tb_metrics *m, enum tb_counter c);

/* Records one sign op's duration. */
void tb_metrics_sign_latency(tb_metrics *m, double ms);
/* Median and 99th percentile of the recent sign latencies (0 when none yet). */
void tb_metrics_sign_percentiles(tb_metrics *m, double *p50, double *p99);

/* The label of op (NULL or unknown: "other") and its index. */
enum tb_metrics_op tb_metrics_op_index(const char *op);
const char *tb_metrics_op_name(enum tb_metrics_op op);
/*
 * One answered request: op as the client named it (NULL when unreadable),
 * code 0 or the tb_err of its error answer, seconds from its arrival.
 */
void tb_metrics_request(tb_metrics *m, const char *op, int code, double seconds);
/* One verification's verdict (libsig's enum tb_verdict). */
void tb_metrics_verdict(tb_metrics *m, int verdict);
/* One audit record's round trip to the signer (append and sync), in seconds. */
void tb_metrics_audit(tb_metrics *m, double seconds, int ok);
void tb_metrics_gauge_set(tb_metrics *m, enum tb_gauge g, unsigned long v);

/* A consistent-enough copy for the exposition (each figure read atomically). */
typedef struct tb_metrics_snapshot {
	unsigned long requests[TB_MOP_N];
	unsigned long errors[TB_MOP_N];
	unsigned long buckets[TB_MOP_N][TB_METRICS_BUCKETS + 1];	/* not cumulative */
	double seconds_sum[TB_MOP_N];
	unsigned long by_code[-TB_ERR_LAST];	/* index -code */
	unsigned long verdicts[32];
	unsigned long audit_buckets[TB_METRICS_BUCKETS + 1];
	double audit_sum;
	unsigned long audit_count, audit_failed;
	unsigned long gauge[TB_GAUGE_N];
} tb_metrics_snapshot;
void tb_metrics_snapshot_get(tb_metrics *m, tb_metrics_snapshot *out);

#endif
