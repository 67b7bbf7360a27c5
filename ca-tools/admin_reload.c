/*
 * tanba-admin reload: asks the running tanbad to re-read its config
 * (SIGHUP). It signals only a process that is tanbad; whether the new
 * config took is reported by tanbad's status op and its log.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "tb_file.h"

/* The pid in a pid file. */
static int
pid_from_file(const char *path, long *out)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char *end;
	long pid;
	tb_error err;

	if (tb_file_read(path, 64, &buf, &len, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		return -1;
	}
	pid = strtol((char *)buf, &end, 10);
	if (end == (char *)buf || (*end != '\0' && *end != '\n') || pid <= 1) {
		fprintf(stderr, "tanba-admin: %s does not hold a process id\n", path);
		free(buf);
		return -1;
	}
	free(buf);
	*out = pid;
	return 0;
}

/* 1 when process pid runs the tanbad program. */
static int
is_tanbad(long pid)
{
	char path[64], comm[64];
	FILE *f;
	int ok = 0;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(comm, sizeof(comm), f) != NULL) {
		comm[strcspn(comm, "\n")] = '\0';
		ok = strcmp(comm, "tanbad") == 0 || strcmp(comm, "lt-tanbad") == 0;
	}
	fclose(f);
	return ok;
}

static void
reload_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin reload [--pid-file FILE | --pid N]\n"
	    "  default pid file: %s\n", ADMIN_DEFAULT_PID_FILE);
}

int
admin_cmd_reload(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pid-file", required_argument, NULL, 'f' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pid_file = NULL;
	long pid = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': pid_file = optarg; break;
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || pid <= 1) {
				fprintf(stderr, "tanba-admin: --pid '%s' is not a process id\n", optarg);
				return ADMIN_EXIT_ERROR;
			}
			break;
		case 'h': reload_usage(stdout); return ADMIN_EXIT_OK;
		default: reload_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind != argc || (pid != 0 && pid_file != NULL)) {
		reload_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	if (pid == 0 && pid_from_file(pid_file != NULL ? pid_file : ADMIN_DEFAULT_PID_FILE,
	    &pid) != 0)
		return ADMIN_EXIT_ERROR;
	/* A stale pid file may name an unrelated process by now. */
	if (!is_tanbad(pid)) {
		fprintf(stderr, "tanba-admin: process %ld is not tanbad; nothing signalled\n", pid);
		return ADMIN_EXIT_FAIL;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		fprintf(stderr, "tanba-admin: SIGHUP to %ld: %s\n", pid, strerror(errno));
		return ADMIN_EXIT_FAIL;
	}
	printf("tanbad (pid %ld) asked to reload its config; see `tanba status` for the result\n",
	    pid);
	return ADMIN_EXIT_OK;
}
