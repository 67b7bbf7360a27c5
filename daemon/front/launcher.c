/*
 * The front's end of the control link to the parent (launcher.h). 'S'
 * asks for a new signer and gets its pid and the front's end of its
 * channel (SCM_RIGHTS); 'W' + milliseconds waits for it and gets its wait
 * status; 'R' says the front is ready. The parent's side is parent.c.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"
#include "signchan.h"
#include "tb_log.h"

struct tb_launcher {
	pthread_mutex_t lock;
	int ctl;
};

int
tb_launcher_attach(int ctl, tb_launcher **out, tb_error *err)
{
	tb_launcher *lc;

	if ((lc = calloc(1, sizeof(*lc))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "launcher");
	pthread_mutex_init(&lc->lock, NULL);
	lc->ctl = ctl;
	*out = lc;
	return 0;
}

void
tb_launcher_free(tb_launcher *lc)
{
	if (lc == NULL)
		return;
	close(lc->ctl);
	pthread_mutex_destroy(&lc->lock);
	free(lc);
}

int
tb_launcher_ready(tb_launcher *lc)
{
	unsigned char cmd = TB_LAUNCH_READY;
	ssize_t n;

	pthread_mutex_lock(&lc->lock);
	n = send(lc->ctl, &cmd, 1, MSG_NOSIGNAL);
	pthread_mutex_unlock(&lc->lock);
	return n == 1 ? 0 : -1;
}

int
tb_launcher_spawn(tb_launcher *lc, int *fd, pid_t *pid, tb_error *err)
{
	unsigned char cmd = TB_LAUNCH_SIGNER;
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
tb_launcher_wait(tb_launcher *lc, double wait_s, int *status)
{
	unsigned char cmd[1 + sizeof(int32_t)];
	int32_t v = (int32_t)(wait_s * 1000), reply = -1;
	int got = -1, r = -1;

	cmd[0] = TB_LAUNCH_WAIT;
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
