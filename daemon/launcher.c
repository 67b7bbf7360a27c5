/*
 * The launcher process (launcher.h). Its side reads commands on a
 * SOCK_SEQPACKET socketpair: 'S' starts a signer and answers its pid with
 * the front's end of a new channel (SCM_RIGHTS); 'W' + milliseconds waits
 * for that signer and answers its wait status. Nothing else is read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "signchan.h"
#include "tb_log.h"

extern char **environ;

#define ARGS_MAX 16
#define STOP_WAIT_MS 10000

struct tb_launcher {
	pthread_mutex_t lock;
	int ctl;
	pid_t pid;
};

/* Waits for pid until ms have passed, then kills it; its status, or -1. */
static int
wait_kill(pid_t pid, long ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	long waited = 0;
	int st = 0, killed = 0;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return st;
		if (w == -1 && errno != EINTR)
			return -1;
		if (!killed && waited >= ms) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		nanosleep(&nap, NULL);
		waited += 10;
	}
}

/* The launcher's side: never returns. */
static void
launcher_main(int ctl, int image_fd, char *const argv[])
{
	char *args[ARGS_MAX + 1], fdarg[16];
	unsigned char cmd[16];
	int32_t reply;
	pid_t cur = -1, pid;
	ssize_t n;
	int sv[2], i;
	long ms;
	tb_error e;

	(void)prctl(PR_SET_NAME, "tanbad-launch", 0, 0, 0);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Gone with the front, whatever happens to it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (i = 0; argv[i] != NULL && i < ARGS_MAX; i++)
		args[i] = strcmp(argv[i], "FD") == 0 ? fdarg : argv[i];
	args[i] = NULL;
	for (;;) {
		n = recv(ctl, cmd, sizeof(cmd), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (cmd[0] == 'S' && n == 1) {
			if (cur > 0)
				(void)wait_kill(cur, 0);
			cur = -1;
			reply = -1;
			if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
				(void)send(ctl, &reply, sizeof(reply), MSG_NOSIGNAL);
				continue;
			}
			tb_sc_buffers(sv);
			snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
			if ((pid = fork()) == 0) {
				(void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
				if (fcntl(sv[1], F_SETFD, 0) == 0)
					fexecve(image_fd, args, environ);
				_exit(127);
			}
			close(sv[1]);
			if (pid > 0) {
				cur = pid;
				reply = (int32_t)pid;
				if (tb_sc_send_fd(ctl, (unsigned char *)&reply, sizeof(reply), sv[0],
				    &e) != 0)
					break;
			} else {
				(void)send(ctl, &reply, sizeof(reply), MSG_NOSIGNAL);
			}
			close(sv[0]);
		} else if (cmd[0] == 'W' && n == 1 + (ssize_t)sizeof(int32_t)) {
			memcpy(&reply, cmd + 1, sizeof(reply));
			ms = reply;
			reply = cur > 0 ? (int32_t)wait_kill(cur, ms) : -1;
			cur = -1;
			(void)send(ctl, &reply, sizeof(reply), MSG_NOSIGNAL);
		}
	}
	if (cur > 0)
		(void)wait_kill(cur, STOP_WAIT_MS);
	_exit(0);
}

int
tb_launcher_start(int image_fd, char *const argv[], tb_launcher **out, tb_error *err)
{
	tb_launcher *lc;
	sigset_t set;
	int sv[2], c, im;
	pid_t pid;

	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "launcher");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		free(lc);
		return tb_error_set(err, TB_ERR_IO, "socketpair: %s", strerror(errno));
	}
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		free(lc);
		return tb_error_set(err, TB_ERR_INTERNAL, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* The front's handle is not the launcher's: it never returns here. */
		free(lc);
		/* Its life is bound to the control socket: stop signals are the front's. */
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGHUP);
		sigprocmask(SIG_BLOCK, &set, NULL);
		signal(SIGPIPE, SIG_IGN);
		close(sv[0]);
		/* Only the control socket and the signer's image stay, neither inherited. */
		c = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
		im = fcntl(image_fd, F_DUPFD_CLOEXEC, 10);
		if (c == -1 || im == -1 || dup3(c, 3, O_CLOEXEC) == -1 ||
		    dup3(im, 4, O_CLOEXEC) == -1 || close_range(5, ~0U, 0) == -1)
			_exit(1);
		launcher_main(3, 4, argv);
	}
	close(sv[1]);
	pthread_mutex_init(&lc->lock, NULL);
	lc->ctl = sv[0];
	lc->pid = pid;
	tb_info_f("launcher process started (pid %ld)", (long)pid);
	*out = lc;
	return 0;
}

void
tb_launcher_free(tb_launcher *lc)
{
	int st;

	if (lc == NULL)
		return;
	close(lc->ctl);
	while (waitpid(lc->pid, &st, 0) == -1 && errno == EINTR)
		;
	pthread_mutex_destroy(&lc->lock);
	free(lc);
}

int
tb_launcher_spawn(tb_launcher *lc, int *fd, pid_t *pid, tb_error *err)
{
	unsigned char cmd = 'S';
	int32_t reply = -1;
	ssize_t n;
	int got = -1, r = 0;

	pthread_mutex_lock(&lc->lock);
	if (send(lc->ctl, &cmd, 1, MSG_NOSIGNAL) != 1)
		r = tb_error_set(err, TB_ERR_UNAVAILABLE, "launcher: %s", strerror(errno));
	else if ((n = tb_sc_recv(lc->ctl, (unsigned char *)&reply, sizeof(reply), &got)) !=
	    (ssize_t)sizeof(reply) || reply <= 0 || got == -1)
		r = tb_error_set(err, TB_ERR_UNAVAILABLE, "launcher could not start the signer");
	pthread_mutex_unlock(&lc->lock);
	if (r != 0) {
		if (got != -1)
			close(got);
		return r;
	}
	*fd = got;
	*pid = (pid_t)reply;
	return 0;
}

int
tb_launcher_wait(tb_launcher *lc, pid_t pid, double wait_s, int *status)
{
	unsigned char cmd[1 + sizeof(int32_t)];
	int32_t v = (int32_t)(wait_s * 1000), reply = -1;
	int got = -1, r = -1;

	(void)pid;	/* the launcher has one signer: the one it started last */
	cmd[0] = 'W';
	memcpy(cmd + 1, &v, sizeof(v));
	pthread_mutex_lock(&lc->lock);
	if (send(lc->ctl, cmd, sizeof(cmd), MSG_NOSIGNAL) == (ssize_t)sizeof(cmd) &&
	    tb_sc_recv(lc->ctl, (unsigned char *)&reply, sizeof(reply), &got) ==
	    (ssize_t)sizeof(reply) && reply != -1) {
		*status = reply;
		r = 0;
	}
	pthread_mutex_unlock(&lc->lock);
	if (got != -1)
		close(got);
	return r;
}
