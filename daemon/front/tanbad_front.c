/*
 * tanbad-front: the front of tanbad, started only by the parent (tanbad,
 * parent.h) with its listening sockets and its control link already open:
 *   tanbad-front --parent FD --listen FD [--tls-listen FD]
 *                [--tls-certificate FD --tls-key FD]
 *                [--metrics-listen FD] -c FILE [-d] [-f]
 * It runs as [daemon] user from its first instruction (the parent set the
 * ids before exec) and reads the [tls] certificate and key from the
 * descriptors the parent opened. It reads the configuration, asks the
 * parent for a signer and the signer for its keys, and serves clients. It never sees the PIN, links no
 * PKCS#11 code (tests/system/split-programs.sh) and opens no audit file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "privs.h"
#include "sandbox.h"
#include "server.h"
#include "fake_time.h"
#include "landlock.h"
#include "launcher.h"
#include "listeners.h"
#include "signer_link.h"
#include "tls_listener.h"
#include "tb_clock.h"
#include "tb_log.h"

/* How long SIGTERM waits for requests in flight. */
#define STOP_WAIT_S 10

static void
usage(FILE *f)
{
	fprintf(f, "usage: tanbad-front --parent FD --listen FD [--tls-listen FD]\n"
	    "                    [--tls-certificate FD --tls-key FD]\n"
	    "                    [--metrics-listen FD] -c FILE [-d] [-f]\n"
	    "(started by tanbad only)\n");
}

static int to_syslog;

/* Startup failures go to stderr, and to syslog too once logging is there. */
static int
fail(int r, const tb_error *err)
{
	fprintf(stderr, "tanbad: %s: %s\n", tb_err_str(r), err->detail);
	if (to_syslog)
		tb_error_f(r, "%s", err->detail);
	return 1;
}

/* A descriptor number from the command line, or -1. */
static int
fd_arg(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);

	return (*text == '\0' || *end != '\0' || v < 0 || v > INT_MAX) ? -1 : (int)v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "parent", required_argument, NULL, 'P' },
		{ "listen", required_argument, NULL, 'L' },
		{ "tls-listen", required_argument, NULL, 'T' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "tls-certificate", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL;
	int foreground = 0, debug = 0, ctl = -1, lfd = -1, cert_fd = -1, key_fd = -1, ch, r;
	int bad = 0;
	char *pid_file = NULL;
	tb_daemon *d = NULL;
	tb_server *s = NULL;
	tb_launcher *launcher = NULL;
	pid_t parent = getppid();
	tb_config *cfg;
	tb_error err;
	sigset_t set;

	while ((ch = getopt_long(argc, argv, "c:fd", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 'd': debug = 1; break;
		case 'P': bad |= (ctl = fd_arg(optarg)) < 0; break;
		case 'L': bad |= (lfd = fd_arg(optarg)) < 0; break;
		case 'T': bad |= fd_arg(optarg) < 0;
			tb_listeners_inherit(TB_LISTEN_TLS, fd_arg(optarg)); break;
		case 'M': bad |= fd_arg(optarg) < 0;
			tb_listeners_inherit(TB_LISTEN_METRICS, fd_arg(optarg)); break;
		case 'C': bad |= (cert_fd = fd_arg(optarg)) < 0; break;
		case 'K': bad |= (key_fd = fd_arg(optarg)) < 0; break;
		default: bad = 1; break;
		}
	}
	if (bad || optind != argc || path == NULL || ctl < 0 || lfd < 0 ||
	    (cert_fd < 0) != (key_fd < 0)) {
		usage(stderr);
		return 2;
	}
	tb_listeners_inherit(TB_LISTEN_UNIX, lfd);
	tb_tls_listener_files(cert_fd, key_fd);
	(void)prctl(PR_SET_NAME, "tanbad-front", 0, 0, 0);
	tb_log_init("tanbad", 0, debug ? TB_LOG_DEBUG : TB_LOG_INFO);

	/* Signals are read from a signalfd: block them before any thread exists. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A full cache disk (RLIMIT_FSIZE) is a write error to refuse on, not a crash. */
	signal(SIGXFSZ, SIG_IGN);
	/* Client documents pass through this process: no core dumps. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		tb_warn_f(0, "cannot turn off core dumps");
	if (tb_fake_time_apply("tanbad") != 0)
		return 1;

	tb_error_clear(&err);
	if ((r = tb_launcher_attach(ctl, &launcher, &err)) != 0)
		return fail(r, &err);
	if ((r = tb_daemon_new(path, debug, launcher, &d, &err)) != 0) {
		tb_launcher_free(launcher);
		return fail(r, &err);
	}
	cfg = tb_daemon_config(d);
	if (cfg->syslog && !foreground) {
		tb_log_init("tanbad", 1, debug ? TB_LOG_DEBUG : cfg->log_level);
		to_syslog = 1;
	}
	tb_config_unref(cfg);
	if ((r = tb_server_new(d, &s, &err)) != 0) {
		tb_daemon_free(d);
		tb_launcher_free(launcher);
		return fail(r, &err);
	}
	cfg = tb_daemon_config(d);
	if (cfg->pid_file != NULL && (pid_file = strdup(cfg->pid_file)) == NULL)
		r = tb_error_set(&err, TB_ERR_NOMEM, "pid file");
	if (r == 0)
		r = tb_privs_harden(cfg, &err);
	/* A drop here (a root front) clears the parent-death signal: set again, parent checked. */
	if (r == 0 && (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 || getppid() != parent))
		r = tb_error_set(&err, TB_ERR_INTERNAL, "the parent process is gone");
	/* Writes only where the front must write, where the kernel has Landlock. */
	if (r == 0 && cfg->sandbox)
		r = tb_landlock_front(cfg, pid_file, &err);
	/* Last step before serving: from here on only the allow-list. */
	if (r == 0)
		r = tb_sandbox_apply(TB_SANDBOX_FRONT, cfg, &err);
	tb_config_unref(cfg);
	free(pid_file);
	if (r == 0 && tb_launcher_ready(launcher) != 0)
		r = tb_error_set(&err, TB_ERR_INTERNAL, "the parent process is gone");
	if (r != 0) {
		tb_server_free(s);
		tb_daemon_free(d);
		tb_launcher_free(launcher);
		return fail(r, &err);
	}
	if ((r = tb_server_run(s, STOP_WAIT_S, &err)) == TB_ERR_TIMEOUT) {
		/* Workers still run: leave without freeing under them (the signer sees EOF). */
		_exit(0);
	}
	if (r != 0)
		tb_error_f(r, "%s", err.detail);
	tb_server_free(s);
	tb_daemon_free(d);
	tb_launcher_free(launcher);
	return r == 0 ? 0 : 1;
}
