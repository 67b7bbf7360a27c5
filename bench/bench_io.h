/*
 * What the benchmark programs share: the clock they time with and the
 * blocking socket I/O of their load generators. Benchmarks only: no
 * timeouts, a broken connection is simply -1.
 */
#ifndef TB_BENCH_IO_H
#define TB_BENCH_IO_H

#include <stddef.h>
#include <sys/uio.h>

/* Seconds on the monotonic clock. */
double bench_now_s(void);
/* A connection to the UNIX socket at path, or -1. */
int bench_connect(const char *path);
/* Sends all of iov[0..n) (iov is consumed); 0 or -1. */
int bench_send_iov(int fd, struct iovec *iov, int n);
/* Receives exactly len bytes; 0 or -1 when the peer closed first. */
int bench_read_exact(int fd, unsigned char *buf, size_t len);

#endif
