/*
 * The listening sockets of tanbad: the parent (parent.h) opens them as
 * root, before any child runs, and hands them to every front it starts at
 * fixed descriptor numbers; the front takes them instead of binding its
 * own. So a restarted front listens on the very socket clients already
 * know, and needs no right to bind a low port or to chown a socket file.
 */
#ifndef TB_LISTENERS_H
#define TB_LISTENERS_H

#include "conf.h"
#include "tb_err.h"

typedef enum tb_listen_kind {
	TB_LISTEN_UNIX = 0,	/* [daemon] socket */
	TB_LISTEN_TLS,		/* [tls] listen */
	TB_LISTEN_METRICS,	/* [metrics] listen or socket */
	TB_LISTEN_KINDS
} tb_listen_kind;

/*
 * Where the front finds each listener (and its link to the parent, before
 * them), then the [tls] certificate and private key the parent opened for
 * it: the front never runs as root and may not open a key that is root's.
 */
#define TB_FRONT_CTL_FD 3
#define TB_FRONT_LISTEN_FD(kind) (4 + (int)(kind))
#define TB_FRONT_TLS_CERT_FD TB_FRONT_LISTEN_FD(TB_LISTEN_KINDS)
#define TB_FRONT_TLS_KEY_FD (TB_FRONT_TLS_CERT_FD + 1)

/*
 * Makes path free for a new socket: fails when another daemon answers on
 * it or it is not a socket, removes a stale socket nobody answers on.
 */
int tb_listen_claim(const char *path, tb_error *err);

/*
 * Binds a UNIX stream socket at path (claimed first), with owner uid:gid
 * (-1: unchanged) and mode, never open to more than its owner meanwhile,
 * and listens. *fd is non-blocking and close-on-exec.
 */
int tb_listen_unix(const char *path, long uid, long gid, unsigned mode, int backlog, int *fd,
    tb_error *err);

/*
 * Binds a TCP socket at "host:port" ("[v6]:port") and listens; what names
 * the setting in errors ("[tls] listen"). An IPv6 address means IPv6 only.
 */
int tb_listen_tcp(const char *what, const char *address, int backlog, int *fd, tb_error *err);

/*
 * Opens every listener cfg asks for (fds[kind], -1 where none). On error
 * the ones opened are closed and their socket files removed.
 */
int tb_listeners_open(const tb_config *cfg, int fds[TB_LISTEN_KINDS], tb_error *err);

/* ---- the front's side ---- */

/* The front was handed fd for kind (from its command line). */
void tb_listeners_inherit(tb_listen_kind kind, int fd);
/* The handed-over listener of kind, once (the caller owns it then), or -1. */
int tb_listeners_take(tb_listen_kind kind);

#endif
