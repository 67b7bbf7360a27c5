/*
 * The client side of tanbad's wire format (docs/PROTOCOL.md), shared by
 * tanba, the benchmarks' load generators and the soak's load: a frame is a
 * 4-byte big-endian length and that many bytes of JSON. Connecting to the
 * socket, sending a frame, reading one back with a size limit, each with
 * an optional deadline. It never trusts a length from the daemon beyond
 * the caller's limit.
 */
#ifndef TB_CLIENT_H
#define TB_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <jansson.h>

#include "tb_err.h"

/* Milliseconds on the monotonic clock (what deadlines count in). */
int64_t tbc_now_ms(void);

/* Writes the frame header for a body of len bytes. */
void tbc_frame_header(unsigned char hdr[4], uint32_t len);
/* The body length a frame header announces. */
uint32_t tbc_frame_len(const unsigned char hdr[4]);

/*
 * Connects to the UNIX socket at path. Returns the descriptor, or -1 with
 * TB_ERR_UNAVAILABLE in err when nobody listens there (no file, refused),
 * TB_ERR_INVALID_ARG for a path too long, TB_ERR_IO otherwise.
 */
int tbc_connect(const char *path, tb_error *err);

/*
 * deadline: tbc_now_ms() value after which the call gives up with
 * TB_ERR_TIMEOUT, or 0 for plain blocking I/O (a socket timeout set by
 * the caller then shows as TB_ERR_TIMEOUT too). A peer that closes is
 * TB_ERR_IO.
 */
/* Sends every byte of iov[0..n) (iov is consumed). */
int tbc_send_iov(int fd, struct iovec *iov, int n, int64_t deadline, tb_error *err);
/* Receives exactly len bytes. */
int tbc_recv_exact(int fd, void *buf, size_t len, int64_t deadline, tb_error *err);
/* Sends one frame: the header, then len bytes of body. */
int tbc_send_frame(int fd, const void *body, size_t len, int64_t deadline, tb_error *err);
/*
 * Reads one frame's body into *buf (grown as needed, *cap its size; one
 * byte more than the body, set to NUL). A length of 0 or over max is
 * TB_ERR_MALFORMED.
 */
int tbc_recv_frame(int fd, size_t max, int64_t deadline, unsigned char **buf, size_t *cap,
    size_t *len, tb_error *err);
/* Reads one frame whose body must be a JSON object; *out is a new reference. */
int tbc_recv_json(int fd, size_t max, int64_t deadline, json_t **out, tb_error *err);

#endif
