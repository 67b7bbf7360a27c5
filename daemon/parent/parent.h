/*
 * The parent: the process tanbad is, once it has read the configuration
 * and opened the listening sockets as root. It parses no client byte and
 * holds no key, no PIN and no audit file. It starts, each by fork + exec
 * of a program of its own (a fresh address space), the front
 * (tanbad-front, as [daemon] user from its first instruction: the ids are
 * set and the capabilities gone before exec) with the listeners, the
 * [tls] certificate and key opened for it and its end of a control link,
 * and, whenever that front asks, a signer
 * (tanbad-signer, which drops to [daemon] signer_user) with the front's
 * end of their channel handed to the front. It restarts a front that dies
 * after a back-off: 0.1 s, doubling up to 30 s, back to 0.1 s once a front
 * stayed up 30 s. The front restarts its signer the same way, through
 * this process, which holds it to that back-off: a front that asks for
 * signers faster waits for each (it may be compromised: it parses what
 * clients send), and one that breaks the control protocol is killed.
 * SIGHUP goes on to the front (which reloads itself and its signer);
 * SIGTERM and SIGINT remove the socket file, go on to the front and end
 * the parent once front and signer are gone.
 */
#ifndef TB_PARENT_H
#define TB_PARENT_H

#include "listeners.h"
#include "tb_err.h"

typedef struct tb_parent_opts {
	const char *config_path;
	int debug;
	int foreground;
	int front_image;		/* descriptors open on the programs (fexecve) */
	int signer_image;
	int listen_fd[TB_LISTEN_KINDS];	/* -1 where none; the parent owns them */
	const char *tls_certificate;	/* [tls] files opened for each front, or NULL */
	const char *tls_private_key;
	long front_uid;			/* [daemon] user the front is started as; -1: none */
	long front_gid;
	const char *socket_path;	/* socket files it removes at the end, or NULL */
	const char *metrics_socket_path;
	double restart_min_s;		/* first back-off of a restart (front or signer) */
	double restart_max_s;		/* its ceiling, and the time up that resets it */
} tb_parent_opts;

/*
 * Runs the parent until it stops: returns 0 after SIGTERM or SIGINT (or
 * when the front ended by itself with status 0), 1 when the first front
 * never became ready (its own error is on stderr or in the log). SIGTERM,
 * SIGINT, SIGHUP and SIGCHLD must be blocked by the caller.
 */
int tb_parent_run(const tb_parent_opts *o);

#endif
