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

struct tb_metrics {
	atomic_ulong count[TB_COUNT_N];
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
