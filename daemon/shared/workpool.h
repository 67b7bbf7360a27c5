/*
 * A fixed pool of worker threads taking jobs from one bounded queue in order.
 * Knows nothing of requests or sockets: a job is a function and its
 * argument, which the job itself frees.
 */
#ifndef TB_WORKPOOL_H
#define TB_WORKPOOL_H

#include "tb_err.h"

typedef struct tb_workpool tb_workpool;
typedef void (*tb_job_fn)(void *arg);

/* Starts n threads (1..256); the queue has no limit until one is set. */
int tb_workpool_new(unsigned n, tb_workpool **out, tb_error *err);
/* At most max_queue jobs wait (0: no limit); jobs already queued stay. */
void tb_workpool_set_max_queue(tb_workpool *p, unsigned max_queue);
/*
 * Queues fn(arg). TB_ERR_BUSY at once when max_queue jobs are waiting;
 * TB_ERR_UNAVAILABLE when the pool is stopping, TB_ERR_NOMEM.
 */
int tb_workpool_submit(tb_workpool *p, tb_job_fn fn, void *arg);
/* The number of threads. */
unsigned tb_workpool_threads(const tb_workpool *p);
/* Jobs waiting in the queue and jobs running now. */
void tb_workpool_depth(tb_workpool *p, unsigned *queued, unsigned *running);
/* Runs the queued jobs to the end, then joins the threads. NULL is a no-op. */
void tb_workpool_free(tb_workpool *p);

#endif
