/*
 * Framing for tanbad's clients (tbclient.h). Every wait is bounded by the
 * caller's deadline when one is given; lengths from the daemon are checked
 * against the caller's limit before anything is allocated.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tbclient.h"

int64_t
tbc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tbc_frame_header(unsigned char hdr[4], uint32_t len)
{
	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
}

uint32_t
tbc_frame_len(const unsigned char hdr[4])
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

int
tbc_connect(const char *path, tb_error *err)
{
	struct sockaddr_un sa;
	int fd, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		tb_error_set(err, TB_ERR_INVALID_ARG, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = errno;
		close(fd);
		/* A stale socket file is as good as none: nobody listens. */
		if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
			tb_error_set(err, TB_ERR_UNAVAILABLE,
			    "daemon not running (no socket at %s)", path);
		else
			tb_error_set(err, TB_ERR_IO, "cannot connect to %s: %s", path,
			    strerror(e));
		return -1;
	}
	return fd;
}

/* Waits until fd is ready for events or the deadline (0: none) passes. */
static int
wait_fd(int fd, short events, int64_t deadline, tb_error *err)
{
	struct pollfd p;
	int64_t left;
	int n;

	if (deadline == 0)
		return 0;
	for (;;) {
		left = deadline - tbc_now_ms();
		if (left <= 0)
			return tb_error_set(err, TB_ERR_TIMEOUT, "no answer from the daemon in time");
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return tb_error_set(err, TB_ERR_IO, "poll: %s", strerror(errno));
		if (n > 0)
			return 0;
	}
}

int
tbc_send_iov(int fd, struct iovec *iov, int n, int64_t deadline, tb_error *err)
{
	struct msghdr m;
	ssize_t w;
	int r;

	while (n > 0) {
		if ((r = wait_fd(fd, POLLOUT, deadline, err)) != 0)
			return r;
		memset(&m, 0, sizeof(m));
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (deadline != 0)
				continue;
			return tb_error_set(err, TB_ERR_TIMEOUT, "sending: timed out");
		}
		if (w <= 0)
			return tb_error_set(err, TB_ERR_IO,
			    "daemon closed the connection while sending (%s)",
			    w < 0 ? strerror(errno) : "no progress");
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int
tbc_recv_exact(int fd, void *buf, size_t len, int64_t deadline, tb_error *err)
{
	unsigned char *p = buf;
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = wait_fd(fd, POLLIN, deadline, err)) != 0)
			return r;
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (deadline != 0)
				continue;
			return tb_error_set(err, TB_ERR_TIMEOUT, "no answer from the daemon in time");
		}
		if (n < 0)
			return tb_error_set(err, TB_ERR_IO, "reading from the daemon: %s",
			    strerror(errno));
		if (n == 0)
			return tb_error_set(err, TB_ERR_IO,
			    "daemon closed the connection without an answer");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
tbc_send_frame(int fd, const void *body, size_t len, int64_t deadline, tb_error *err)
{
	unsigned char hdr[4];
	struct iovec iov[2];

	if (len > UINT32_MAX)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "request of %zu bytes", len);
	tbc_frame_header(hdr, (uint32_t)len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)body;
	iov[1].iov_len = len;
	return tbc_send_iov(fd, iov, 2, deadline, err);
}

int
tbc_recv_frame(int fd, size_t max, int64_t deadline, unsigned char **buf, size_t *cap,
    size_t *len, tb_error *err)
{
	unsigned char hdr[4], *p;
	uint32_t n;
	int r;

	if ((r = tbc_recv_exact(fd, hdr, sizeof(hdr), deadline, err)) != 0)
		return r;
	n = tbc_frame_len(hdr);
	if (n == 0 || n > max)
		return tb_error_set(err, TB_ERR_MALFORMED, "daemon sent a frame of %u bytes",
		    (unsigned)n);
	if ((size_t)n + 1 > *cap) {
		if ((p = realloc(*buf, (size_t)n + 1)) == NULL)
			return tb_error_set(err, TB_ERR_NOMEM, "answer of %u bytes", (unsigned)n);
		*buf = p;
		*cap = (size_t)n + 1;
	}
	if ((r = tbc_recv_exact(fd, *buf, n, deadline, err)) != 0)
		return r;
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

int
tbc_recv_json(int fd, size_t max, int64_t deadline, json_t **out, tb_error *err)
{
	unsigned char *body = NULL;
	size_t cap = 0, len = 0;
	json_t *j;
	json_error_t jerr;
	int r;

	if ((r = tbc_recv_frame(fd, max, deadline, &body, &cap, &len, err)) != 0)
		goto out;
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		r = tb_error_set(err, TB_ERR_MALFORMED, "daemon sent invalid JSON: %s",
		    j == NULL ? jerr.text : "not an object");
		goto out;
	}
	*out = j;
	r = 0;
out:
	free(body);
	return r;
}
