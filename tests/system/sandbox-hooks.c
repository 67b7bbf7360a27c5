/*
 * Test hook of tests/system/tanbad-hooks, a build of tanbad for tests/system/sandbox-kill.sh
 * only: the op "x-forbidden-syscall" makes the front make the system call
 * the request names, so the test can watch the seccomp filter kill it. It is
 * linked in with -Wl,--wrap around the op table; the installed tanbad never
 * contains it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "ops.h"

#ifndef TB_TEST_HOOKS
#error "sandbox-hooks.c is for the test build (TB_TEST_HOOKS) only"
#endif

#define HOOK_OP "x-forbidden-syscall"

const tb_op *__real_tb_op_lookup(const char *name);
const tb_op *__wrap_tb_op_lookup(const char *name);
unsigned __real_tb_config_op_bit(const char *name);
unsigned __wrap_tb_config_op_bit(const char *name);

/*
 * Each call with arguments that make it fail harmlessly where it is
 * allowed (a missing file, a bad descriptor), so that with the filter off
 * the daemon answers the errno and keeps running.
 */
static long
write_file(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "tanba-landlock-test.%ld", (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	close(fd);
	return unlink(path);
}

static long
attempt(const char *call)
{
	if (strcmp(call, "execve") == 0)
		return syscall(SYS_execve, "/nonexistent/tanba-sandbox-test", NULL, NULL);
	if (strcmp(call, "ptrace") == 0)
		return syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 0, NULL, NULL);
	if (strcmp(call, "unshare") == 0)
		return syscall(SYS_unshare, 0);
	if (strcmp(call, "bpf") == 0)
		return syscall(SYS_bpf, -1, NULL, 0);
	if (strcmp(call, "mount") == 0)
		return syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
	if (strcmp(call, "socket-netlink") == 0)
		return socket(AF_NETLINK, SOCK_RAW, 0);
	if (strcmp(call, "socket-inet") == 0)
		return socket(AF_INET, SOCK_STREAM, 0);
	/* A file made in the front's working directory (Landlock refuses it). */
	if (strcmp(call, "write-file") == 0)
		return write_file();
	errno = EINVAL;
	return -2;
}

static int
op_forbidden_syscall(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err)
{
	json_t *v = json_object_get(req, "syscall");
	const char *call;
	long rc;
	int e;

	(void)d;
	(void)client;
	if (!json_is_string(v))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "syscall: a string is required");
	call = json_string_value(v);
	errno = 0;
	rc = attempt(call);
	e = errno;
	if (rc == -2)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "syscall: '%s' not known", call);
	if (rc >= 0)
		close((int)rc);
	/* Still alive: say what the kernel answered. */
	json_object_set_new(result, "syscall", json_string(call));
	json_object_set_new(result, "result", json_integer(rc < 0 ? -1 : 0));
	json_object_set_new(result, "errno", json_integer(rc < 0 ? e : 0));
	return 0;
}

static const tb_op hook = { HOOK_OP, op_forbidden_syscall, TB_LANE_CONTROL };

const tb_op *
__wrap_tb_op_lookup(const char *name)
{
	if (strcmp(name, HOOK_OP) == 0)
		return &hook;
	return __real_tb_op_lookup(name);
}

/* Whoever may ask for status may ask for the hook. */
unsigned
__wrap_tb_config_op_bit(const char *name)
{
	if (strcmp(name, HOOK_OP) == 0)
		return TB_OP_STATUS;
	return __real_tb_config_op_bit(name);
}
