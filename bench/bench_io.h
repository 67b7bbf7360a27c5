/*
 * What the benchmark programs share: the clock they time with. Their
 * socket I/O is the clients' framing library (ca-tools/tbclient.h), used
 * without deadlines.
 */
#ifndef TB_BENCH_IO_H
#define TB_BENCH_IO_H

/* Seconds on the monotonic clock. */
double bench_now_s(void);
/* qsort's comparison of doubles, for percentiles. */
int bench_cmp_double(const void *a, const void *b);

#endif
