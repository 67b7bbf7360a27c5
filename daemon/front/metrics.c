/*
 * Counters are atomics; latencies go into a ring of the most recent
 * samples, from which percentiles are computed when status asks. Nothing
 * here blocks a signature for longer than one mutex hold.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define RING 1024
#define VERDICTS 32

const double tb_metrics_bucket_le[TB_METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

static const char *const op_names[TB_MOP_N] = {
	"sign", "keys", "status", "verify", "check-cert", "other"
};

struct tb_metrics {
	atomic_ulong count[TB_COUNT_N];
	atomic_ulong requests[TB_MOP_N], errors[TB_MOP_N];
	atomic_ulong buckets[TB_MOP_N][TB_METRICS_BUCKETS + 1];
	atomic_ulong usec_sum[TB_MOP_N];
	atomic_ulong by_code[-TB_ERR_LAST];
	atomic_ulong verdicts[VERDICTS];
	atomic_ulong audit_buckets[TB_METRICS_BUCKETS + 1];
	atomic_ulong audit_usec, audit_count, audit_failed;
	atomic_ulong gauge[TB_GAUGE_N];
	pthread_mutex_t lock;
	double ring[RING];
	size_t next, filled;
};

tb_metrics *
tb_metrics_new(void)
{
	tb_metrics *m = calloc(1, sizeof(*m));
	int i;

	if (m == NULL)
		return NULL;
	/* calloc's zeroes are valid initial values of these lock-free atomics */
	for (i = 0; i < TB_COUNT_N; i++)
		atomic_init(&m->count[i], 0);
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
tb_metrics_free(tb_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void
tb_metrics_inc(tb_metrics *m, enum tb_counter c)
{
	atomic_fetch_add(&m->count[c], 1);
}

unsigned long
tb_metrics_get(tb_metrics *m, enum tb_counter c)
{
	return atomic_load(&m->count[c]);
}

void
tb_metrics_sign_latency(tb_metrics *m, double ms)
{
	pthread_mutex_lock(&m->lock);
	m->ring[m->next] = ms;
	m->next = (m->next + 1) % RING;
	if (m->filled < RING)
		m->filled++;
	pthread_mutex_unlock(&m->lock);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted samples. */
static double
rank(const double *v, size_t n, unsigned pct)
{
	size_t k = (n * pct + 99) / 100;

	return v[k > 0 ? k - 1 : 0];
}

void
tb_metrics_sign_percentiles(tb_metrics *m, double *p50, double *p99)
{
	double copy[RING];
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->filled;
	memcpy(copy, m->ring, n * sizeof(copy[0]));
	pthread_mutex_unlock(&m->lock);
	*p50 = *p99 = 0;
	if (n == 0)
		return;
	qsort(copy, n, sizeof(copy[0]), cmp_double);
	*p50 = rank(copy, n, 50);
	*p99 = rank(copy, n, 99);
}

enum tb_metrics_op
tb_metrics_op_index(const char *op)
{
	int i;

	for (i = 0; op != NULL && i < TB_MOP_OTHER; i++)
		if (strcmp(op, op_names[i]) == 0)
			return (enum tb_metrics_op)i;
	return TB_MOP_OTHER;
}

const char *
tb_metrics_op_name(enum tb_metrics_op op)
{
	return op_names[op < TB_MOP_N ? op : TB_MOP_OTHER];
}

/* The bucket of a duration: the first whose bound holds it, else +Inf. */
static int
bucket_of(double seconds)
{
	int i;

	for (i = 0; i < TB_METRICS_BUCKETS; i++)
		if (seconds <= tb_metrics_bucket_le[i])
			return i;
	return TB_METRICS_BUCKETS;
}

void
tb_metrics_request(tb_metrics *m, const char *op, int code, double seconds)
{
	enum tb_metrics_op i = tb_metrics_op_index(op);

	if (seconds < 0)
		seconds = 0;
	atomic_fetch_add(&m->requests[i], 1);
	atomic_fetch_add(&m->buckets[i][bucket_of(seconds)], 1);
	atomic_fetch_add(&m->usec_sum[i], (unsigned long)(seconds * 1e6));
	if (code < 0) {
		atomic_fetch_add(&m->errors[i], 1);
		if (code > TB_ERR_LAST)
			atomic_fetch_add(&m->by_code[-code], 1);
	}
}

void
tb_metrics_verdict(tb_metrics *m, int verdict)
{
	if (verdict >= 0 && verdict < VERDICTS)
		atomic_fetch_add(&m->verdicts[verdict], 1);
}

void
tb_metrics_audit(tb_metrics *m, double seconds, int ok)
{
	if (seconds < 0)
		seconds = 0;
	atomic_fetch_add(&m->audit_buckets[bucket_of(seconds)], 1);
	atomic_fetch_add(&m->audit_usec, (unsigned long)(seconds * 1e6));
	atomic_fetch_add(&m->audit_count, 1);
	if (!ok)
		atomic_fetch_add(&m->audit_failed, 1);
}

void
tb_metrics_gauge_set(tb_metrics *m, enum tb_gauge g, unsigned long v)
{
	atomic_store(&m->gauge[g], v);
}

void
tb_metrics_snapshot_get(tb_metrics *m, tb_metrics_snapshot *out)
{
	int i, b;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < TB_MOP_N; i++) {
		out->requests[i] = atomic_load(&m->requests[i]);
		out->errors[i] = atomic_load(&m->errors[i]);
		for (b = 0; b <= TB_METRICS_BUCKETS; b++)
			out->buckets[i][b] = atomic_load(&m->buckets[i][b]);
		out->seconds_sum[i] = (double)atomic_load(&m->usec_sum[i]) / 1e6;
	}
	for (i = 0; i < -TB_ERR_LAST; i++)
		out->by_code[i] = atomic_load(&m->by_code[i]);
	for (i = 0; i < VERDICTS; i++)
		out->verdicts[i] = atomic_load(&m->verdicts[i]);
	for (b = 0; b <= TB_METRICS_BUCKETS; b++)
		out->audit_buckets[b] = atomic_load(&m->audit_buckets[b]);
	out->audit_sum = (double)atomic_load(&m->audit_usec) / 1e6;
	out->audit_count = atomic_load(&m->audit_count);
	out->audit_failed = atomic_load(&m->audit_failed);
	for (i = 0; i < TB_GAUGE_N; i++)
		out->gauge[i] = atomic_load(&m->gauge[i]);
}
