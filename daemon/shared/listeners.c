/* The listening sockets, opened by the parent and taken by the front (listeners.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listeners.h"
#include "tb_log.h"

/* The front's inherited descriptors; set once at start, before any thread. */
static int inherited[TB_LISTEN_KINDS] = { -1, -1, -1 };

int
tb_listen_claim(const char *path, tb_error *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return tb_error_set(err, TB_ERR_CONFIG, "socket %s: path too long", path);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		return tb_error_set(err, TB_ERR_IO, "socket %s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return tb_error_set(err, TB_ERR_IO,
		    "socket %s: exists and is not a socket; not removing it", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r == 0)
		return tb_error_set(err, TB_ERR_IO,
		    "socket %s: another daemon is listening on it", path);
	if (errno != ECONNREFUSED)
		return tb_error_set(err, TB_ERR_IO, "socket %s: %s", path, strerror(errno));
	/* Nobody answers: a stale socket from a daemon that did not clean up. */
	if (unlink(path) == -1)
		return tb_error_set(err, TB_ERR_IO, "socket %s: cannot remove the stale one: %s",
		    path, strerror(errno));
	tb_info_f("removed stale socket %s", path);
	return 0;
}

int
tb_listen_unix(const char *path, long uid, long gid, unsigned mode, int backlog, int *fd,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, s = -1;
	struct sockaddr_un sun;
	mode_t old;

	if ((r = tb_listen_claim(path, err)) != 0)
		return r;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	/* No moment where the socket is open to more than its owner. */
	old = umask(0177);
	r = bind(s, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1) {
		r = tb_error_set(err, TB_ERR_IO, "bind %s: %s", path, strerror(errno));
		close(s);
		return r;
	}
	if ((uid >= 0 || gid >= 0) && chown(path, (uid_t)uid, (gid_t)gid) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "chown %s: %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, (mode_t)mode) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	if (listen(s, backlog) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	*fd = s;
	return 0;
fail:
	unlink(path);
	close(s);
	return r;
}

int
tb_listen_tcp(const char *what, const char *address, int backlog, int *fd, tb_error *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t slen;
	char host[64];
	unsigned port;
	int s, one = 1, r;

	if (tb_config_tls_address(address, host, sizeof(host), &port) != 0)
		return tb_error_set(err, TB_ERR_CONFIG, "%s %s: not an address", what, address);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		slen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		slen = sizeof(*sin6);
	} else {
		return tb_error_set(err, TB_ERR_CONFIG, "%s %s: not an address", what, address);
	}
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return tb_error_set(err, TB_ERR_IO, "%s: socket: %s", what, strerror(errno));
	/* An IPv6 address means IPv6 only: "::" does not quietly take IPv4 as well. */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (ss.ss_family == AF_INET6 &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(s, (struct sockaddr *)&ss, slen) == -1 || listen(s, backlog) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "%s %s: %s", what, address, strerror(errno));
		close(s);
		return r;
	}
	*fd = s;
	return 0;
}

int
tb_listeners_open(const tb_config *cfg, int fds[TB_LISTEN_KINDS], tb_error *err)
{
	int r = TB_ERR_INTERNAL, i;

	for (i = 0; i < TB_LISTEN_KINDS; i++)
		fds[i] = -1;
	if ((r = tb_listen_unix(cfg->socket, cfg->socket_uid, cfg->socket_gid, cfg->socket_mode,
	    SOMAXCONN, &fds[TB_LISTEN_UNIX], err)) != 0)
		goto out;
	if (cfg->tls_listen != NULL && (r = tb_listen_tcp("[tls] listen", cfg->tls_listen,
	    SOMAXCONN, &fds[TB_LISTEN_TLS], err)) != 0)
		goto out;
	if (cfg->metrics_listen != NULL)
		r = tb_listen_tcp("[metrics] listen", cfg->metrics_listen, 16,
		    &fds[TB_LISTEN_METRICS], err);
	else if (cfg->metrics_socket != NULL)
		r = tb_listen_unix(cfg->metrics_socket, cfg->socket_uid, cfg->socket_gid,
		    cfg->metrics_socket_mode, 16, &fds[TB_LISTEN_METRICS], err);
	else
		r = 0;
out:
	if (r != 0) {
		if (fds[TB_LISTEN_UNIX] != -1)
			unlink(cfg->socket);
		for (i = 0; i < TB_LISTEN_KINDS; i++) {
			if (fds[i] != -1)
				close(fds[i]);
			fds[i] = -1;
		}
	}
	return r;
}

void
tb_listeners_inherit(tb_listen_kind kind, int fd)
{
	if ((int)kind >= 0 && kind < TB_LISTEN_KINDS)
		inherited[kind] = fd;
}

int
tb_listeners_take(tb_listen_kind kind)
{
	int fd;

	if ((int)kind < 0 || kind >= TB_LISTEN_KINDS)
		return -1;
	fd = inherited[kind];
	inherited[kind] = -1;
	return fd;
}
