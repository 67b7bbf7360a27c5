/*
 * The parent process (parent.h): one thread, one poll loop over a
 * signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP) and the control link of the
 * current front. It starts programs, reaps them and passes signals on;
 * it reads nothing but one-byte commands from its own front, one command
 * at a time, and never sleeps on one: a command that waits for a signer
 * is finished from the loop, so signals and a front's death are seen at
 * once whatever the front asks. The front may be compromised (it parses
 * what clients send): it gets no more signers than the restart back-off
 * allows, and a front that breaks the protocol is killed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch_cmds.h"
#include "notify.h"
#include "parent.h"
#include "signchan.h"
#include "tb_file.h"
#include "tb_log.h"

extern char **environ;

/* How long the front and its signer get to stop before they are killed. */
#define STOP_WAIT_S 20.0
/* How long a signer of a gone front gets before a new one replaces it. */
#define OLD_SIGNER_WAIT_MS 2000
/*
 * The longest the front may have the parent wait for a signer (its own
 * stop wait): a larger number from a compromised front would stall the
 * parent's signals and restarts.
 */
#define SIGNER_WAIT_MAX_MS 10000
#define ARGS_MAX 20
/* The front's link, its listeners, the [tls] certificate and key. */
#define FRONT_FDS (TB_LISTEN_KINDS + 3)

/* The front's command being carried out. */
enum { CMD_NONE, CMD_SPAWN, CMD_WAIT };

typedef struct parent {
	const tb_parent_opts *o;
	int sigfd;
	int ctl;			/* the current front's link, or -1 */
	pid_t front;			/* 0 when none runs */
	double front_started;
	int ever_ready;			/* some front said it serves */
	int front_ready;		/* the current front said so */
	int cmd;			/* CMD_*: the link is not read meanwhile */
	double cmd_kill_at;		/* then the signer the command waits for is killed */
	double delay;			/* the next restart's back-off */
	double restart_at;		/* when to start the next front, or 0 */
	unsigned long restarts;
	pid_t signer;			/* the last signer started, 0 once reported */
	int signer_status;		/* its wait status, once reaped */
	int signer_reaped;
	int signer_killed;
	double signer_started;		/* when it started, and when it was reaped */
	double signer_ended;
	double signer_delay;		/* the least time from its start to the next */
	double signer_next;		/* no signer starts before then */
	int stopping;
	double stop_deadline;
	int killed;			/* the stragglers got SIGKILL */
	int exit_code;
	dev_t sock_dev[2];		/* the socket files it made: removed only if still those */
	ino_t sock_ino[2];
} parent;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
exit_text(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

/* In a child, before exec: the signals the parent blocked are the program's own business. */
static void
child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Only the parent speaks to systemd (NotifyAccess=main). */
	unsetenv("NOTIFY_SOCKET");
}

/*
 * In the front's child: fds[i] becomes descriptor first + i (-1: that one
 * stays closed), the image goes above them, everything else closes.
 * Returns the image's new number, or -1.
 */
static int
child_fds(const int *fds, int n, int first, int image)
{
	int high[FRONT_FDS], i, im;

	for (i = 0; i < n; i++)
		if ((high[i] = fds[i] == -1 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, 64)) == -1 &&
		    fds[i] != -1)
			return -1;
	if ((im = fcntl(image, F_DUPFD_CLOEXEC, 64)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (high[i] == -1)
			(void)close(first + i);
		else if (dup2(high[i], first + i) == -1)
			return -1;
	}
	if (dup3(im, first + n, O_CLOEXEC) == -1 ||
	    close_range((unsigned)(first + n + 1), ~0U, 0) == -1)
		return -1;
	return first + n;
}

/* In the front's child, before exec: a word on stderr, then out (async-signal-safe). */
static void
child_fail(const char *what)
{
	static const char head[] = "tanbad: cannot start the front as [daemon] user: ";

	(void)!write(2, head, sizeof(head) - 1);
	(void)!write(2, what, strlen(what));
	(void)!write(2, "\n", 1);
	_exit(127);
}

/*
 * In the front's child, before exec: [daemon] user and its group, no
 * supplementary groups, every uid and gid that user's (so no capability is
 * left: the kernel clears them all when no uid is 0) and no way to gain
 * one by exec. The memory lock limit is raised first, while it still
 * may be: the front locks its memory (privs.h) and may not raise it later.
 */
static void
child_drop(const tb_parent_opts *o)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	uid_t uid = (uid_t)o->front_uid, ru, eu, su;
	gid_t gid = (gid_t)o->front_gid, rg, eg, sg;

	if (o->front_uid < 0 || geteuid() != 0)
		return;	/* the front says why it runs as what it is (privs.c) */
	(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	if (setgroups(0, NULL) == -1)
		child_fail("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		child_fail("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		child_fail("setresuid");
	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid || su != uid ||
	    getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid || sg != gid ||
	    (uid != 0 && setresuid(0, 0, 0) != -1))
		child_fail("the ids did not take hold");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		child_fail("PR_SET_NO_NEW_PRIVS");
}

/*
 * The [tls] certificate and key for the next front, opened as root (the
 * key by the secret-file rule): fds[0] and fds[1], -1 without [tls].
 */
static int
tls_files_open(const tb_parent_opts *o, int fds[2])
{
	tb_error e;
	int r;

	fds[0] = fds[1] = -1;
	if (o->tls_certificate == NULL)
		return 0;
	if ((fds[0] = open(o->tls_certificate, O_RDONLY | O_CLOEXEC)) == -1) {
		tb_error_f(TB_ERR_CONFIG, "[tls] certificate %s: %s", o->tls_certificate,
		    strerror(errno));
		return -1;
	}
	tb_error_clear(&e);
	if ((r = tb_secret_open(o->tls_private_key, &fds[1], &e)) != 0) {
		tb_error_f(r, "[tls] private_key: %s", e.detail);
		close(fds[0]);
		fds[0] = fds[1] = -1;
		return -1;
	}
	return 0;
}

static void
tls_files_close(int fds[2])
{
	if (fds[0] != -1)
		close(fds[0]);
	if (fds[1] != -1)
		close(fds[1]);
}

static int
front_spawn(parent *p)
{
	const tb_parent_opts *o = p->o;
	static const char *const flags[TB_LISTEN_KINDS] = {
		"--listen", "--tls-listen", "--metrics-listen"
	};
	char nums[FRONT_FDS][12];
	char *argv[ARGS_MAX];
	int fds[FRONT_FDS], tls[2], sv[2], argc = 0, i, im;
	pid_t pid;

	if (tls_files_open(o, tls) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		tb_error_f(TB_ERR_IO, "socketpair: %s", strerror(errno));
		tls_files_close(tls);
		return -1;
	}
	argv[argc++] = (char *)"tanbad-front";
	snprintf(nums[0], sizeof(nums[0]), "%d", TB_FRONT_CTL_FD);
	argv[argc++] = (char *)"--parent";
	argv[argc++] = nums[0];
	fds[0] = sv[1];
	for (i = 0; i < TB_LISTEN_KINDS; i++) {
		fds[1 + i] = o->listen_fd[i];
		if (o->listen_fd[i] == -1)
			continue;
		snprintf(nums[1 + i], sizeof(nums[1 + i]), "%d", TB_FRONT_LISTEN_FD(i));
		argv[argc++] = (char *)flags[i];
		argv[argc++] = nums[1 + i];
	}
	fds[1 + TB_LISTEN_KINDS] = tls[0];
	fds[2 + TB_LISTEN_KINDS] = tls[1];
	if (tls[0] != -1) {
		snprintf(nums[1 + TB_LISTEN_KINDS], sizeof(nums[0]), "%d", TB_FRONT_TLS_CERT_FD);
		snprintf(nums[2 + TB_LISTEN_KINDS], sizeof(nums[0]), "%d", TB_FRONT_TLS_KEY_FD);
		argv[argc++] = (char *)"--tls-certificate";
		argv[argc++] = nums[1 + TB_LISTEN_KINDS];
		argv[argc++] = (char *)"--tls-key";
		argv[argc++] = nums[2 + TB_LISTEN_KINDS];
	}
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)o->config_path;
	if (o->debug)
		argv[argc++] = (char *)"-d";
	if (o->foreground)
		argv[argc++] = (char *)"-f";
	argv[argc] = NULL;
	if ((pid = fork()) == -1) {
		tb_error_f(TB_ERR_INTERNAL, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		tls_files_close(tls);
		return -1;
	}
	if (pid == 0) {
		child_signals();
		child_drop(o);
		/* After the drop, which clears it: the front stops when the parent is gone. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
		if ((im = child_fds(fds, FRONT_FDS, TB_FRONT_CTL_FD, o->front_image)) != -1)
			fexecve(im, argv, environ);
		_exit(127);
	}
	close(sv[1]);
	tls_files_close(tls);
	p->ctl = sv[0];
	p->front = pid;
	p->front_ready = 0;
	p->front_started = now_s();
	tb_info_f("front process started (pid %ld)", (long)pid);
	return 0;
}

static int
signer_alive(const parent *p)
{
	return p->signer > 0 && !p->signer_reaped;
}

static void
signer_reaped(parent *p, int st)
{
	p->signer_status = st;
	p->signer_reaped = 1;
	p->signer_ended = now_s();
}

/*
 * A new signer, its pid and the front's end of its channel back to the
 * front. The next may start no sooner than the back-off of the front's
 * restarts allows (0.1 s, doubling up to 30 s, back to 0.1 s after a
 * signer that stayed up 30 s): a front that asks in a loop gets no storm
 * of token logins, and a front that follows its own back-off
 * (signer_link.c, the same numbers) never waits here.
 */
static void
signer_spawn(parent *p)
{
	char fdarg[16];
	char *argv[ARGS_MAX];
	int32_t reply = -1;
	int sv[2], argc = 0;
	pid_t pid;
	tb_error e;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		tb_error_f(TB_ERR_IO, "socketpair: %s", strerror(errno));
		(void)send(p->ctl, &reply, sizeof(reply), MSG_NOSIGNAL);
		return;
	}
	tb_sc_buffers(sv);
	snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
	argv[argc++] = (char *)"tanbad-signer";
	argv[argc++] = (char *)"--signer";
	argv[argc++] = fdarg;
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)p->o->config_path;
	if (p->o->debug)
		argv[argc++] = (char *)"-d";
	if (p->o->foreground)
		argv[argc++] = (char *)"-f";
	argv[argc] = NULL;
	if ((pid = fork()) == 0) {
		child_signals();
		if (fcntl(sv[1], F_SETFD, 0) == 0)
			fexecve(p->o->signer_image, argv, environ);
		_exit(127);
	}
	close(sv[1]);
	if (pid > 0) {
		if (p->signer_started > 0 &&
		    p->signer_ended - p->signer_started >= p->o->restart_max_s)
			p->signer_delay = p->o->restart_min_s;
		p->signer = pid;
		p->signer_reaped = p->signer_killed = 0;
		p->signer_started = now_s();
		p->signer_next = p->signer_started + p->signer_delay;
		p->signer_delay = p->signer_delay * 2 < p->o->restart_max_s ?
		    p->signer_delay * 2 : p->o->restart_max_s;
		reply = (int32_t)pid;
		tb_error_clear(&e);
		if (tb_sc_send_fd(p->ctl, (unsigned char *)&reply, sizeof(reply), sv[0], &e) != 0)
			tb_warn_f(0, "the front did not take its signer's channel: %s", e.detail);
	} else {
		tb_error_f(TB_ERR_INTERNAL, "fork: %s", strerror(errno));
		(void)send(p->ctl, &reply, sizeof(reply), MSG_NOSIGNAL);
	}
	close(sv[0]);
}

/*
 * Carries the front's command on as far as it can go now: called from
 * the loop after every event. Both commands first wait for the signer
 * there is (killing it at cmd_kill_at: a front's earlier signer, its
 * channel closed, ends by itself); a new one then waits for its turn.
 */
static void
cmd_step(parent *p)
{
	double now = now_s();
	int32_t reply;

	if (p->cmd == CMD_NONE)
		return;
	if (p->ctl == -1) {
		p->cmd = CMD_NONE;	/* the front went: nobody to answer */
		return;
	}
	if (signer_alive(p)) {
		if (!p->signer_killed && now >= p->cmd_kill_at) {
			kill(p->signer, SIGKILL);
			p->signer_killed = 1;
		}
		return;			/* SIGCHLD comes */
	}
	if (p->cmd == CMD_WAIT) {
		reply = p->signer > 0 ? p->signer_status : -1;
		p->signer = 0;
		p->cmd = CMD_NONE;
		(void)send(p->ctl, &reply, sizeof(reply), MSG_NOSIGNAL);
		return;
	}
	if (now < p->signer_next)
		return;			/* the timer comes */
	p->cmd = CMD_NONE;
	signer_spawn(p);
}

/*
 * A front that breaks the protocol is not the front this parent started
 * (it sends each command once, in order): it is killed, once, and
 * restarted after the back-off; nothing it sends is logged per byte.
 */
static void
front_break(parent *p, const char *what)
{
	tb_error_f(TB_ERR_MALFORMED, "front process %ld broke the control protocol (%s): "
	    "killing it", (long)p->front, what);
	close(p->ctl);
	p->ctl = -1;
	p->cmd = CMD_NONE;
	if (p->front > 0)
		kill(p->front, SIGKILL);
}

/* The front's commands; its link closing means the front is going. */
static void
ctl_read(parent *p)
{
	unsigned char cmd[16];
	int32_t v;
	ssize_t n;

	n = recv(p->ctl, cmd, sizeof(cmd), MSG_DONTWAIT | MSG_TRUNC);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(p->ctl);
		p->ctl = -1;
		return;
	}
	if (cmd[0] == TB_LAUNCH_SIGNER && n == 1) {
		p->cmd = CMD_SPAWN;
		p->cmd_kill_at = now_s() + OLD_SIGNER_WAIT_MS / 1000.0;
	} else if (cmd[0] == TB_LAUNCH_WAIT && n == 1 + (ssize_t)sizeof(int32_t)) {
		memcpy(&v, cmd + 1, sizeof(v));
		v = v < 0 ? 0 : v > SIGNER_WAIT_MAX_MS ? SIGNER_WAIT_MAX_MS : v;
		p->cmd = CMD_WAIT;
		p->cmd_kill_at = now_s() + v / 1000.0;
	} else if (cmd[0] == TB_LAUNCH_READY && n == 1 && !p->front_ready) {
		p->front_ready = 1;
		tb_info_f("front process %ld serves", (long)p->front);
		if (!p->ever_ready) {
			p->ever_ready = 1;
			tb_notify("READY=1");
		}
	} else {
		front_break(p, cmd[0] == TB_LAUNCH_READY ? "ready twice" : "unknown command");
	}
}

/* Removes a socket file this parent made, if it is still that one. */
static void
sockets_remove(parent *p)
{
	const char *paths[2] = { p->o->socket_path, p->o->metrics_socket_path };
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		if (paths[i] == NULL || p->sock_ino[i] == 0)
			continue;
		if (stat(paths[i], &st) == 0 && st.st_dev == p->sock_dev[i] &&
		    st.st_ino == p->sock_ino[i])
			(void)unlink(paths[i]);
		p->sock_ino[i] = 0;
	}
}

static void
stop_begin(parent *p, int signo)
{
	if (p->stopping)
		return;
	if (signo != 0)
		tb_info_f("signal %d: stopping the front and the signer", signo);
	p->stopping = 1;
	p->stop_deadline = now_s() + STOP_WAIT_S;
	p->restart_at = 0;
	tb_notify("STOPPING=1");
	/* New clients are refused at once, not queued for a front that is going. */
	sockets_remove(p);
	if (p->front > 0 && kill(p->front, SIGTERM) == -1)
		tb_error_f(TB_ERR_INTERNAL, "SIGTERM to the front: %s (CAP_KILL in the unit?)",
		    strerror(errno));
}

static void
front_gone(parent *p, int st)
{
	char text[64];
	double lived = now_s() - p->front_started;

	exit_text(st, text, sizeof(text));
	if (p->ctl != -1) {
		close(p->ctl);
		p->ctl = -1;
	}
	p->cmd = CMD_NONE;
	if (p->stopping || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
		tb_info_f("front process %ld %s after %.1f s", (long)p->front, text, lived);
	else
		tb_error_f(TB_ERR_UNAVAILABLE, "front process %ld %s after %.1f s",
		    (long)p->front, text, lived);
	p->front = 0;
	if (p->stopping)
		return;
	if (!p->ever_ready) {
		/* The first front never served: a start-up failure, said by the front. */
		p->exit_code = 1;
		stop_begin(p, 0);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		/* Told to stop by someone else (systemd stops the whole unit so). */
		stop_begin(p, 0);
		return;
	}
	if (lived >= p->o->restart_max_s)
		p->delay = p->o->restart_min_s;
	tb_warn_f(0, "restarting the front process in %.1f s", p->delay);
	p->restart_at = now_s() + p->delay;
	p->delay = p->delay * 2 < p->o->restart_max_s ? p->delay * 2 : p->o->restart_max_s;
}

static void
children_reap(parent *p)
{
	int st;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
		if (w == p->front) {
			front_gone(p, st);
		} else if (w == p->signer) {
			signer_reaped(p, st);
		}
	}
}

static void
signals_read(parent *p)
{
	struct signalfd_siginfo si;

	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			children_reap(p);
			break;
		case SIGHUP:
			if (p->front > 0) {
				tb_info_f("SIGHUP: the front (pid %ld) reloads", (long)p->front);
				if (kill(p->front, SIGHUP) == -1)
					tb_error_f(TB_ERR_INTERNAL, "SIGHUP to the front: %s "
					    "(CAP_KILL in the unit?)", strerror(errno));
			} else {
				tb_warn_f(0, "SIGHUP: no front runs now; nothing reloaded");
			}
			break;
		default:
			stop_begin(p, (int)si.ssi_signo);
			break;
		}
	}
}

/* t, or the earlier of t and u when t is set (0: none). */
static double
sooner(double t, double u)
{
	return t == 0 || u < t ? u : t;
}

/*
 * Milliseconds until the next timer (a restart, the stop deadline, the
 * kill or the start a command waits for), -1 for none.
 */
static int
poll_timeout(const parent *p)
{
	double t = 0, now = now_s();

	if (p->restart_at > 0)
		t = p->restart_at;
	if (p->stopping && !p->killed)
		t = sooner(t, p->stop_deadline);
	if (p->cmd != CMD_NONE && signer_alive(p) && !p->signer_killed)
		t = sooner(t, p->cmd_kill_at);
	else if (p->cmd == CMD_SPAWN && !signer_alive(p))
		t = sooner(t, p->signer_next);
	if (t == 0)
		return -1;
	return t <= now ? 0 : (int)((t - now) * 1000) + 1;
}

static void
timers_run(parent *p)
{
	double now = now_s();

	if (p->restart_at > 0 && now >= p->restart_at && !p->stopping) {
		p->restart_at = 0;
		p->restarts++;
		if (front_spawn(p) != 0) {
			tb_warn_f(0, "restarting the front process in %.1f s", p->delay);
			p->restart_at = now + p->delay;
			p->delay = p->delay * 2 < p->o->restart_max_s ? p->delay * 2 :
			    p->o->restart_max_s;
		}
	}
	if (p->stopping && !p->killed && now >= p->stop_deadline) {
		tb_warn_f(0, "front or signer still running %.0f s after the stop: killing them",
		    STOP_WAIT_S);
		if (p->front > 0)
			kill(p->front, SIGKILL);
		if (p->signer > 0 && !p->signer_reaped)
			kill(p->signer, SIGKILL);
		p->killed = 1;
	}
}

int
tb_parent_run(const tb_parent_opts *o)
{
	const char *paths[2] = { o->socket_path, o->metrics_socket_path };
	struct pollfd pfd[2];
	struct stat st;
	sigset_t set;
	parent p;
	int i, n;

	memset(&p, 0, sizeof(p));
	p.o = o;
	p.ctl = -1;
	p.delay = p.signer_delay = o->restart_min_s;
	for (i = 0; i < 2; i++) {
		if (paths[i] != NULL && stat(paths[i], &st) == 0) {
			p.sock_dev[i] = st.st_dev;
			p.sock_ino[i] = st.st_ino;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if ((p.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		tb_error_f(TB_ERR_IO, "signalfd: %s", strerror(errno));
		sockets_remove(&p);
		return 1;
	}
	if (front_spawn(&p) != 0) {
		sockets_remove(&p);
		close(p.sigfd);
		return 1;
	}
	while (!(p.stopping && p.front == 0 && (p.signer == 0 || p.signer_reaped))) {
		n = 0;
		pfd[n].fd = p.sigfd;
		pfd[n++].events = POLLIN;
		/* One command at a time: the next waits in the link until this one is done. */
		if (p.ctl != -1 && p.cmd == CMD_NONE) {
			pfd[n].fd = p.ctl;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, poll_timeout(&p)) == -1 && errno != EINTR) {
			tb_error_f(TB_ERR_IO, "poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN)
			signals_read(&p);
		if (n > 1 && p.ctl != -1 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			ctl_read(&p);
		timers_run(&p);
		cmd_step(&p);
	}
	sockets_remove(&p);
	close(p.sigfd);
	if (p.ctl != -1)
		close(p.ctl);
	tb_info_f("stopped (front restarts: %lu)", p.restarts);
	return p.exit_code;
}
