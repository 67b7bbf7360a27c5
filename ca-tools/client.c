/*
 * The socket call of the tanba client: one connection, one request frame,
 * then frames are read until the answer carrying our id arrives or the
 * deadline passes. It never trusts a length from the daemon beyond its own
 * limit and never blocks without a deadline.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tanba.h"

/* Answers carry base64 CMS of attached data: allow well over the request limit. */
#define CLIENT_MAX_RESPONSE (512u * 1024u * 1024u)
#define CLIENT_DEFAULT_TIMEOUT_S 60

static json_int_t client_next_id = 1;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds from TANBA_TIMEOUT, or the default when unset or not a positive number. */
static int
client_timeout_s(void)
{
	const char *s = getenv("TANBA_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return CLIENT_DEFAULT_TIMEOUT_S;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > 86400)
		return CLIENT_DEFAULT_TIMEOUT_S;
	return (int)v;
}

/* Waits until fd is ready for events or the deadline passes. */
static int
client_wait(int fd, short events, int64_t deadline, tb_error *err)
{
	struct pollfd p;
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return tb_error_set(err, TB_ERR_TIMEOUT,
			    "no answer from the daemon within %d s", client_timeout_s());
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

static int
client_send_all(int fd, const unsigned char *buf, size_t len, int64_t deadline,
    tb_error *err)
{
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = client_wait(fd, POLLOUT, deadline, err)) != 0)
			return r;
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return tb_error_set(err, TB_ERR_IO,
			    "daemon closed the connection while sending (%s)", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
client_recv_all(int fd, unsigned char *buf, size_t len, int64_t deadline,
    tb_error *err)
{
	ssize_t n;
	int r;

	while (len > 0) {
		if ((r = client_wait(fd, POLLIN, deadline, err)) != 0)
			return r;
		n = recv(fd, buf, len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return tb_error_set(err, TB_ERR_IO, "reading from the daemon: %s",
			    strerror(errno));
		if (n == 0)
			return tb_error_set(err, TB_ERR_IO,
			    "daemon closed the connection without an answer");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
client_connect(const char *path, tb_error *err)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		tb_error_set(err, TB_ERR_INVALID_ARG, "socket path too long: %s", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

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

/* Reads one frame and parses it; *out is a new reference on success. */
static int
client_read_frame(int fd, int64_t deadline, json_t **out, tb_error *err)
{
	unsigned char hdr[4];
	unsigned char *body = NULL;
	json_t *j;
	json_error_t jerr;
	uint32_t len;
	int r = TB_ERR_INTERNAL;

	if ((r = client_recv_all(fd, hdr, sizeof(hdr), deadline, err)) != 0)
		goto out;
	len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (len == 0 || len > CLIENT_MAX_RESPONSE) {
		r = tb_error_set(err, TB_ERR_MALFORMED,
		    "daemon sent a frame of %u bytes", (unsigned)len);
		goto out;
	}
	if ((body = malloc(len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "answer of %u bytes", (unsigned)len);
		goto out;
	}
	if ((r = client_recv_all(fd, body, len, deadline, err)) != 0)
		goto out;
	j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		r = tb_error_set(err, TB_ERR_MALFORMED, "daemon sent invalid JSON: %s",
		    jerr.text);
		goto out;
	}
	*out = j;
	r = 0;
out:
	free(body);
	return r;
}

int
tanba_client_call(const char *socket_path, json_t *request, json_t **response,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	int fd = -1;
	char *text = NULL;
	unsigned char *frame = NULL;
	size_t len;
	json_int_t id = client_next_id++;
	json_t *ans = NULL, *aid;
	int64_t deadline = now_ms() + (int64_t)client_timeout_s() * 1000;

	if (json_object_set_new(request, "id", json_integer(id)) != 0 ||
	    (text = json_dumps(request, JSON_COMPACT)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "building the request");
		goto out;
	}
	len = strlen(text);
	if (len > UINT32_MAX) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "request of %zu bytes", len);
		goto out;
	}
	if ((frame = malloc(len + 4)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "request of %zu bytes", len);
		goto out;
	}
	frame[0] = (unsigned char)(len >> 24);
	frame[1] = (unsigned char)(len >> 16);
	frame[2] = (unsigned char)(len >> 8);
	frame[3] = (unsigned char)len;
	memcpy(frame + 4, text, len);

	if ((fd = client_connect(socket_path, err)) < 0) {
		r = err != NULL ? err->code : TB_ERR_IO;
		goto out;
	}
	if ((r = client_send_all(fd, frame, len + 4, deadline, err)) != 0) {
		/*
		 * A daemon that refuses us (forbidden, too large) answers and
		 * closes, possibly before our request is out: its answer may
		 * still be waiting, and says more than the broken pipe.
		 */
		tb_error e;

		tb_error_clear(&e);
		if (client_read_frame(fd, deadline, &ans, &e) != 0)
			goto out;
		*response = ans;
		ans = NULL;
		r = 0;
		goto out;
	}
	for (;;) {
		if ((r = client_read_frame(fd, deadline, &ans, err)) != 0)
			goto out;
		aid = json_object_get(ans, "id");
		if (json_is_integer(aid) && json_integer_value(aid) == id)
			break;
		/*
		 * id null: the daemon could not read our frame at all (too
		 * large, bad JSON); it can only be about our one request.
		 */
		if (json_is_null(aid) || aid == NULL)
			break;
		json_decref(ans);	/* someone else's answer: cannot happen on our connection */
		ans = NULL;
	}
	*response = ans;
	ans = NULL;
	r = 0;
out:
	json_decref(ans);
	if (fd >= 0)
		close(fd);
	free(frame);
	free(text);
	return r;
}
