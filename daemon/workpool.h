/*
 * A fixed pool of worker threads taking jobs from one queue in order.
 * Knows nothing of requests or sockets: a job is a function and its
 * argument, which the job itself frees.
 */
#ifndef TB_WORKPOOL_H
#define TB_WORKPOOL_H

#include "tb_err.h"

typedef struct tb_workpool tb_workpool;
typedef void (*tb_job_fn)(void *arg);

/* Starts n threads (1..256). */
int tb_workpool_new(unsigned n, tb_workpool **out, tb_error *err);
/* Queues fn(arg); fails only when the pool is stopping or memory is short. */
int tb_workpool_submit(tb_workpool *p, tb_job_fn fn, void *arg);
/* Runs the queued jobs to the end, then joins the threads. NULL is a no-op. */
void tb_workpool_free(tb_workpool *p);

#endif
