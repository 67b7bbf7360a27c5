/*
 * tanbad: signs documents with keys on PKCS#11 tokens for local clients
 * over a UNIX socket. This file reads the command line, sets up logging
 * and signals, starts the signer process (which opens the audit file, the
 * PIN file and the token itself), binds the socket, drops privileges and
 * hands over to the server: this first process is the front. The signer is
 * another program (tanbad-signer), started by the launcher this process
 * forks first when it runs as root (launcher.h), else by the front itself.
 * It never sees the PIN, and takes none from argv or the environment.
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
#include "signer_link.h"
#include "tb_clock.h"
#include "tb_log.h"

#define DEFAULT_CONFIG SYSCONFDIR "/tanba/tanbad.conf"
/* How long SIGTERM waits for requests in flight. */
#define STOP_WAIT_S 10

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tanbad [-c FILE] [-f|--foreground] [--check-config] [-d|--debug]\n"
	    "              [--help] [--version]\n"
	    "  -c, --config FILE  configuration (default %s)\n"
	    "  -f, --foreground   log to stderr even when the configuration says syslog\n"
	    "      --check-config load and validate the configuration, print \"config OK\"\n"
	    "                     or the error, and exit 0 or 1\n"
	    "  -d, --debug        debug logging, whatever log_level says\n"
	    "Signals: SIGHUP reloads the configuration and keys, SIGTERM and SIGINT stop.\n",
	    DEFAULT_CONFIG);
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

static int
check_config(const char *path)
{
	tb_config *cfg = NULL;
	tb_error err;

	tb_error_clear(&err);
	if (tb_config_load(path, &cfg, &err) != 0) {
		fprintf(stderr, "%s\n", err.detail);
		return 1;
	}
	if (cfg->audit_file == NULL) {
		fprintf(stderr, "%s: [audit] file is required\n", path);
		tb_config_unref(cfg);
		return 1;
	}
	printf("config OK\n");
	tb_config_unref(cfg);
	return 0;
}

/* Writes our pid for tanba-admin reload; written as root, before the drop. */
static int
pid_file_write(const char *path)
{
	FILE *f = fopen(path, "we");
	int r;

	if (f == NULL)
		return -1;
	r = fprintf(f, "%ld\n", (long)getpid()) < 0;
	return (fclose(f) != 0 || r) ? -1 : 0;
}

/*
 * Started as root: the launcher keeps root's rights to start every signer
 * (the first and each restart), so that the signer opens files only its
 * own account may open, and the front drops root for good. Forked here,
 * before any thread, any client, any secret.
 */
static int
launcher_start(const char *signer_path, const char *config_path, int debug, int foreground,
    tb_launcher **out, tb_error *err)
{
	char *argv[TB_SIGNER_ARGV_MAX];
	int fd, r;

	*out = NULL;
	if (geteuid() != 0)
		return 0;
	if ((fd = open(signer_path, O_RDONLY | O_CLOEXEC)) == -1)
		return tb_error_set(err, TB_ERR_IO, "signer program %s: %s", signer_path,
		    strerror(errno));
	(void)tb_signer_argv(argv, (char *)"FD", (char *)config_path, debug, foreground);
	r = tb_launcher_start(fd, argv, out, err);
	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = DEFAULT_CONFIG;
	int foreground = 0, check = 0, debug = 0, ch, r;
	char *pid_file = NULL;
	tb_daemon *d = NULL;
	tb_server *s = NULL;
	tb_launcher *launcher = NULL;
	char signer_path[PATH_MAX];
	tb_config *cfg;
	tb_error err;
	sigset_t set;

	while ((ch = getopt_long(argc, argv, "c:fdh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 'C': check = 1; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("tanbad %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	tb_log_init("tanbad", 0, debug ? TB_LOG_DEBUG : TB_LOG_INFO);
	if (check)
		return check_config(path);

	/* Signals are read from a signalfd: block them before any thread exists. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A full audit file (RLIMIT_FSIZE) is a write error to refuse on, not a crash. */
	signal(SIGXFSZ, SIG_IGN);
	/* Client documents pass through this process: no core dumps. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		tb_warn_f(0, "cannot turn off core dumps");
	if (tb_fake_time_apply("tanbad") != 0)
		return 1;

	/* A second daemon on the same socket stops before touching the token. */
	tb_error_clear(&err);
	if ((r = tb_config_load(path, &cfg, &err)) != 0)
		return fail(r, &err);
	r = tb_server_socket_claim(cfg->socket, &err);
	tb_config_unref(cfg);
	if (r != 0)
		return fail(r, &err);
	tb_signer_program(signer_path, sizeof(signer_path));
	if ((r = launcher_start(signer_path, path, debug, foreground, &launcher, &err)) != 0)
		return fail(r, &err);
	if ((r = tb_daemon_new(path, debug, foreground, launcher, signer_path, &d, &err)) != 0) {
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
	if (cfg->pid_file != NULL && (pid_file = strdup(cfg->pid_file)) != NULL &&
	    pid_file_write(pid_file) != 0)
		tb_warn_f(0, "cannot write pid file %s", pid_file);
	r = tb_privs_harden(cfg, &err);
	/* Writes only where the front must write, where the kernel has Landlock. */
	if (r == 0 && cfg->sandbox)
		r = tb_landlock_front(cfg, pid_file, &err);
	/* Last step before serving: from here on only the allow-list. */
	if (r == 0)
		r = tb_sandbox_apply(TB_SANDBOX_FRONT, cfg, &err);
	tb_config_unref(cfg);
	if (r != 0) {
		tb_server_free(s);
		tb_daemon_free(d);
		tb_launcher_free(launcher);
		if (pid_file != NULL)
			(void)unlink(pid_file);
		free(pid_file);
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
	if (pid_file != NULL && unlink(pid_file) == -1)
		tb_warn_f(0, "cannot remove pid file %s", pid_file);
	free(pid_file);
	return r == 0 ? 0 : 1;
}
