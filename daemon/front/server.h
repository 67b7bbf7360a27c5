/*
 * The socket server: one I/O thread (the caller of tb_server_run) owns the
 * listening socket and every connection; a pool of workers runs the
 * requests. Signals arrive through a signalfd in the same loop: SIGTERM and
 * SIGINT stop the server, SIGHUP starts a reload. Never runs an op on the
 * I/O thread and never blocks it on a token.
 */
#ifndef TB_SERVER_H
#define TB_SERVER_H

#include "daemon.h"
#include "tb_err.h"

typedef struct tb_server tb_server;

/*
 * Takes the listening socket the parent handed over (listeners.h), or
 * binds the socket of d's configuration (refusing when another daemon
 * answers on it, removing a stale one) and sets its owner and mode. The
 * workers start in tb_server_run, so that privileges dropped in between
 * hold for every thread. SIGTERM, SIGINT and SIGHUP must already be
 * blocked (they are read from a signalfd).
 */
int tb_server_new(tb_daemon *d, tb_server **out, tb_error *err);

/*
 * Starts the workers and serves until SIGTERM or SIGINT, then stops
 * accepting (the socket file and systemd's notices are the parent's) and
 * lets requests in flight finish for up to stop_wait_s seconds.
 * Returns 0, or TB_ERR_TIMEOUT when requests were still running at the
 * deadline (the workers are then still busy: exit without freeing).
 */
int tb_server_run(tb_server *s, unsigned stop_wait_s, tb_error *err);

/* Joins the workers and closes everything. NULL is a no-op. */
void tb_server_free(tb_server *s);

#endif
