/*
 * Counters and recent signing latencies for the status op. Figures only:
 * never a key name, a client or a document.
 */
#ifndef TB_METRICS_H
#define TB_METRICS_H

typedef struct tb_metrics tb_metrics;

enum tb_counter {
	TB_COUNT_CONNECTIONS,	/* connections accepted */
	TB_COUNT_REQUESTS,	/* frames answered */
	TB_COUNT_ERRORS,	/* answers with ok:false */
	TB_COUNT_SIGNATURES,	/* signatures made */
	TB_COUNT_N
};

tb_metrics *tb_metrics_new(void);
void tb_metrics_free(tb_metrics *m);

void tb_metrics_inc(tb_metrics *m, enum tb_counter c);
unsigned long tb_metrics_get(tb_metrics *m, enum tb_counter c);

/* Records one sign op's duration. */
void tb_metrics_sign_latency(tb_metrics *m, double ms);
/* Median and 99th percentile of the recent sign latencies (0 when none yet). */
void tb_metrics_sign_percentiles(tb_metrics *m, double *p50, double *p99);

#endif
