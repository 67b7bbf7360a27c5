/*
 * Worker threads for the daemon: a mutex, a condition variable and a FIFO
 * of jobs of bounded length. Threads are created with every signal
 * blocked, so that signals reach only the I/O thread's signalfd. A full
 * queue refuses at once: a job never waits for room.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "tb_log.h"
#include "workpool.h"

struct job {
	tb_job_fn fn;
	void *arg;
	struct job *next;
};

struct tb_workpool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	unsigned queued, max_queue;	/* jobs waiting (not running); their limit */
	unsigned running;
	int stopping;
	pthread_t *threads;
	unsigned n;
};

static void *
worker_main(void *arg)
{
	tb_workpool *p = arg;
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		if ((j = p->head) == NULL) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		if ((p->head = j->next) == NULL)
			p->tail = NULL;
		p->queued--;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&p->lock);
		p->running--;
		pthread_mutex_unlock(&p->lock);
	}
}

int
tb_workpool_new(unsigned n, tb_workpool **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_workpool *p;
	sigset_t all, old;

	if (n == 0 || n > 256)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%u workers (1..256)", n);
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->threads = calloc(n, sizeof(*p->threads))) == NULL) {
		free(p);
		return tb_error_set(err, TB_ERR_NOMEM, "worker pool");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (p->n = 0; p->n < n; p->n++) {
		if (pthread_create(&p->threads[p->n], NULL, worker_main, p) != 0) {
			r = tb_error_set(err, TB_ERR_INTERNAL, "cannot start worker %u", p->n);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p->n < n) {
		tb_workpool_free(p);
		return r;
	}
	*out = p;
	return 0;
}

int
tb_workpool_submit(tb_workpool *p, tb_job_fn fn, void *arg)
{
	struct job *j;

	if ((j = malloc(sizeof(*j))) == NULL)
		return TB_ERR_NOMEM;
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return TB_ERR_UNAVAILABLE;
	}
	if (p->max_queue != 0 && p->queued >= p->max_queue) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return TB_ERR_BUSY;
	}
	p->queued++;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

unsigned
tb_workpool_threads(const tb_workpool *p)
{
	return p->n;
}

void
tb_workpool_set_max_queue(tb_workpool *p, unsigned max_queue)
{
	pthread_mutex_lock(&p->lock);
	p->max_queue = max_queue;
	pthread_mutex_unlock(&p->lock);
}

void
tb_workpool_depth(tb_workpool *p, unsigned *queued, unsigned *running)
{
	pthread_mutex_lock(&p->lock);
	*queued = p->queued;
	*running = p->running;
	pthread_mutex_unlock(&p->lock);
}

void
tb_workpool_free(tb_workpool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->threads);
	free(p);
}
