/*
 * tanbad: signs documents with keys on PKCS#11 tokens for local clients
 * over a UNIX socket. This program is the parent (parent.h): it reads the
 * command line and the configuration, opens the listening sockets, writes
 * the pid file, puts on its own seccomp filter (a list of calls no tanba
 * program makes) and then only starts, watches and restarts two other
 * programs: tanbad-front, which serves clients as [daemon] user (set
 * before its exec, with the [tls] key handed over open), and
 * tanbad-signer, which holds the token and the audit trail as
 * [daemon] signer_user. It takes no PIN from argv or the environment and
 * never opens the PIN file, the token or the audit file.
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
#include <sys/resource.h>
#include <unistd.h>

#include "conf.h"
#include "listeners.h"
#include "owned_file.h"
#include "parent.h"
#include "programs.h"
#include "sandbox.h"
#include "tb_log.h"

#define DEFAULT_CONFIG SYSCONFDIR "/tanba/tanbad.conf"
/* A front that dies is started again after 0.1 s, doubling up to 30 s. */
#define RESTART_MIN_S 0.1
#define RESTART_MAX_S 30.0

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

/* Startup failures go to stderr, and to syslog too once logging is there. */
static int
fail(int r, const tb_error *err, int to_syslog)
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

/* Writes our pid for tanba-admin reload: the parent's, which passes SIGHUP on. */
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

/* The programs as they are now: an upgrade on disk does not mix versions. */
static int
images_open(int *front, int *signer, tb_error *err)
{
	char path[PATH_MAX];

	tb_front_program(path, sizeof(path));
	if ((*front = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return tb_error_set(err, TB_ERR_IO, "front program %s: %s", path, strerror(errno));
	tb_signer_program(path, sizeof(path));
	if ((*signer = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		close(*front);
		return tb_error_set(err, TB_ERR_IO, "signer program %s: %s", path,
		    strerror(errno));
	}
	return 0;
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
	int foreground = 0, check = 0, debug = 0, to_syslog = 0, ch, r, i;
	struct rlimit no_core = { 0, 0 };
	tb_parent_opts po;
	tb_config *cfg = NULL;
	tb_error err, e;
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

	/* Signals are read from a signalfd: blocked before any child exists. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Nothing secret passes through here, but nothing needs a core either. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)setrlimit(RLIMIT_CORE, &no_core);

	memset(&po, 0, sizeof(po));
	po.front_image = po.signer_image = -1;
	for (i = 0; i < TB_LISTEN_KINDS; i++)
		po.listen_fd[i] = -1;
	tb_error_clear(&err);
	if ((r = tb_config_load(path, &cfg, &err)) != 0)
		return fail(r, &err, 0);
	if (cfg->syslog && !foreground) {
		tb_log_init("tanbad", 1, debug ? TB_LOG_DEBUG : cfg->log_level);
		to_syslog = 1;
	}
	tb_log_set_level(debug ? TB_LOG_DEBUG : cfg->log_level);
	/* No signature without a trail: said here, before anything starts. */
	if (cfg->audit_file == NULL) {
		r = tb_error_set(&err, TB_ERR_CONFIG,
		    "%s: [audit] file is required: tanbad does not sign without an audit trail",
		    path);
		goto out;
	}
	if ((r = images_open(&po.front_image, &po.signer_image, &err)) != 0)
		goto out;
	/* A second daemon on the same socket stops here, before touching the token. */
	if ((r = tb_listeners_open(cfg, po.listen_fd, &err)) != 0)
		goto out;
	po.socket_path = cfg->socket;
	po.metrics_socket_path = cfg->metrics_listen == NULL ? cfg->metrics_socket : NULL;
	/* What no tanba program ever calls, for this process and every child. */
	if ((r = tb_sandbox_apply(TB_SANDBOX_PARENT, cfg, &err)) != 0)
		goto unlink;
	/*
	 * The front's CRL cache, made by root as an operator's first start
	 * leaves it: given to [daemon] user now, since the front never is root.
	 */
	if (cfg->rev_cache_dir != NULL && cfg->user_uid >= 0 && geteuid() == 0 &&
	    tb_owned_dir_check(cfg->rev_cache_dir, cfg->user_uid, cfg->user_gid, &e) != 0) {
		r = tb_error_set(&err, TB_ERR_CONFIG, "[revocation] cache_dir %s", e.detail);
		goto unlink;
	}
	po.tls_certificate = cfg->tls_listen != NULL ? cfg->tls_certificate : NULL;
	po.tls_private_key = cfg->tls_private_key;
	po.front_uid = cfg->user_uid;
	po.front_gid = cfg->user_gid;
	po.config_path = path;
	po.debug = debug;
	po.foreground = foreground;
	po.restart_min_s = RESTART_MIN_S;
	po.restart_max_s = RESTART_MAX_S;
	/* Last before the front: no pid file is left by a start that failed before. */
	if (cfg->pid_file != NULL && pid_file_write(cfg->pid_file) != 0)
		tb_warn_f(0, "cannot write pid file %s", cfg->pid_file);
	r = tb_parent_run(&po) == 0 ? 0 : TB_ERR_UNAVAILABLE;
	if (r != 0)
		tb_error_set(&err, r, "the front process did not start");
	if (cfg->pid_file != NULL && unlink(cfg->pid_file) == -1)
		tb_warn_f(0, "cannot remove pid file %s", cfg->pid_file);
	goto out;
unlink:
	/* The socket files made for a front that never started. */
	(void)unlink(po.socket_path);
	if (po.metrics_socket_path != NULL)
		(void)unlink(po.metrics_socket_path);
out:
	for (i = 0; i < TB_LISTEN_KINDS; i++)
		if (po.listen_fd[i] != -1)
			close(po.listen_fd[i]);
	if (po.front_image != -1)
		close(po.front_image);
	if (po.signer_image != -1)
		close(po.signer_image);
	tb_config_unref(cfg);
	if (r == TB_ERR_UNAVAILABLE)
		return 1;	/* the front said why, on stderr or in the log */
	return r == 0 ? 0 : fail(r, &err, to_syslog);
}
