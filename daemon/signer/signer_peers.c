/*
 * The signer's own table of UNIX-socket clients (signer_peers.h). Every
 * fact in it comes from the kernel: the socket's domain, type and local
 * address, and its peer's credentials as they were at connect(2).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "signer_peers.h"

struct tb_signer_peers {
	pthread_mutex_t lock;
	tb_peers *t;
};

tb_signer_peers *
tb_signer_peers_new(size_t max)
{
	tb_signer_peers *sp = calloc(1, sizeof(*sp));

	if (sp == NULL)
		return NULL;
	if ((sp->t = tb_peers_new(max)) == NULL) {
		free(sp);
		return NULL;
	}
	pthread_mutex_init(&sp->lock, NULL);
	return sp;
}

void
tb_signer_peers_free(tb_signer_peers *sp)
{
	if (sp == NULL)
		return;
	tb_peers_free(sp->t);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

/* The connection's kind and where it was accepted, as the kernel says. */
static int
check_socket(int fd, const char *socket_path, tb_error *err)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int v = 0;
	socklen_t vlen = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &vlen) == -1 || v != AF_UNIX)
		return tb_error_set(err, TB_ERR_FORBIDDEN, "not a UNIX socket");
	vlen = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vlen) == -1 || v != SOCK_STREAM)
		return tb_error_set(err, TB_ERR_FORBIDDEN, "not a stream socket");
	/*
	 * A listening socket has a "peer" too: whoever called listen(2) (the
	 * privileged parent). Only a connection accepted from a client counts.
	 */
	vlen = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) == -1 || v != 0)
		return tb_error_set(err, TB_ERR_FORBIDDEN, "a listening socket, not a connection");
	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1 ||
	    len <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] == '\0' ||
	    socket_path == NULL ||
	    strncmp(sa.sun_path, socket_path, sizeof(sa.sun_path)) != 0)
		return tb_error_set(err, TB_ERR_FORBIDDEN,
		    "not a connection to the configured socket %s", socket_path ? socket_path :
		    "(none)");
	return 0;
}

int
tb_signer_peers_connect(tb_signer_peers *sp, uint64_t conn, int fd,
    const char *socket_path, tb_error *err)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	tb_peer e;
	int r;

	if (conn == 0) {
		r = tb_error_set(err, TB_ERR_FORBIDDEN, "connection number 0");
		goto out;
	}
	if ((r = check_socket(fd, socket_path, err)) != 0)
		goto out;
	memset(&cred, 0, sizeof(cred));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    clen != sizeof(cred)) {
		r = tb_error_set(err, TB_ERR_FORBIDDEN, "SO_PEERCRED: %s", strerror(errno));
		goto out;
	}
	/* An unconnected socket reads as pid 0 and the overflow uid: nobody's. */
	if (cred.pid <= 0) {
		r = tb_error_set(err, TB_ERR_FORBIDDEN, "not a connected socket");
		goto out;
	}
	memset(&e, 0, sizeof(e));
	e.conn = conn;
	e.fd = -1;
	e.uid = cred.uid;
	e.gid = cred.gid;
	e.pid = cred.pid;
	pthread_mutex_lock(&sp->lock);
	r = tb_peers_put(sp->t, &e);
	pthread_mutex_unlock(&sp->lock);
	if (r != 0)
		r = tb_error_set(err, TB_ERR_BUSY, "too many client connections");
out:
	/* The signer keeps no client connection open: the client sees the front's close. */
	close(fd);
	return r;
}

void
tb_signer_peers_disconnect(tb_signer_peers *sp, uint64_t conn)
{
	tb_peer e;

	pthread_mutex_lock(&sp->lock);
	(void)tb_peers_take(sp->t, conn, &e);
	pthread_mutex_unlock(&sp->lock);
}

int
tb_signer_peers_get(tb_signer_peers *sp, uint64_t conn, tb_peer *out)
{
	int found;

	pthread_mutex_lock(&sp->lock);
	found = tb_peers_get(sp->t, conn, out);
	pthread_mutex_unlock(&sp->lock);
	return found;
}
