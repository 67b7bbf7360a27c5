/*
 * Per-client rate limit: a token bucket for each client uid, refilled at
 * rate per second up to burst. Used by the I/O thread only: not
 * thread-safe. Knows nothing of requests beyond counting them.
 */
#ifndef TB_RATELIMIT_H
#define TB_RATELIMIT_H

typedef struct tb_ratelimit tb_ratelimit;

tb_ratelimit *tb_ratelimit_new(void);
void tb_ratelimit_free(tb_ratelimit *rl);

/*
 * Takes one token from uid's bucket at time now (seconds, monotonic).
 * Returns 1 when the request may go on, 0 when the client is over its rate.
 */
int tb_ratelimit_take(tb_ratelimit *rl, unsigned uid, double now, unsigned rate,
    unsigned burst);

#endif
