/*
 * Unit tests of daemon/shared/sandbox.c: each role's filter is installed in a
 * forked child that then makes calls the role must be allowed (they work)
 * or must not make (the child dies of SIGSYS, or gets the errno the filter
 * answers). The parent's denylist lets its children's start-up through and
 * stacks under their allow-lists. The signer's filter is also run against
 * real SoftHSM2 signing, including a module reload as tanbad does on SIGHUP.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "sandbox.h"
#include "tb_file.h"
#include "tb_p11.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define USER_PIN "tbUser-5512"

static char g_dir[512];
static const char *g_module;

/* What a child does after its filter is on; returns its exit status. */
typedef int (*child_fn)(void);

/* Runs fn in a child under role's filter (role 0: no filter); its wait status. */
static int
run_child(tb_sandbox_role role, child_fn fn)
{
	int st = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		tb_error err;

		if (role != 0 && tb_sandbox_install(role, &err) != 0) {
			fprintf(stderr, "sandbox: %s\n", err.detail);
			_exit(90);
		}
		_exit(fn());
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void
assert_killed(int st, const char *what)
{
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "%s: expected death by SIGSYS, got %s %d", what,
	    WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static void
assert_exit0(int st, const char *what)
{
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: expected exit 0, got %s %d",
	    what, WIFSIGNALED(st) ? "signal" : "exit",
	    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

/* ---- calls every role makes ---- */

static void *
thread_main(void *arg)
{
	return arg;
}

static int
do_ordinary(void)
{
	char buf[16], path[600];
	pthread_t t;
	void *ret = NULL;
	int fd, sv[2];
	void *p;

	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 || read(fd, buf, 1) != 0)
		return 1;
	close(fd);
	if (getpid() <= 0 || getuid() == (uid_t)-2)
		return 2;
	if (pthread_create(&t, NULL, thread_main, buf) != 0 || pthread_join(t, &ret) != 0 ||
	    ret != buf)
		return 3;
	if ((p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED)
		return 4;
	munmap(p, 8192);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return 5;
	close(sv[0]);
	close(sv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return 6;
	close(fd);
	snprintf(path, sizeof(path), "%s/ordinary.txt", g_dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, "x", 1) != 1 || fdatasync(fd) != 0)
		return 7;
	close(fd);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 8;
	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return 9;
	return 0;
}

START_TEST(test_ordinary_calls)
{
	assert_exit0(run_child(TB_SANDBOX_FRONT, do_ordinary), "front, ordinary calls");
	assert_exit0(run_child(TB_SANDBOX_SIGNER, do_ordinary), "signer, ordinary calls");
}
END_TEST

/* ---- calls no role may make ---- */

static int
do_execve(void)
{
	char *argv[] = { (char *)"/bin/true", NULL };

	execve("/bin/true", argv, argv + 1);
	return 0;
}

static int
do_ptrace(void)
{
	(void)syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), NULL, NULL);
	return 0;
}

static int
do_unshare(void)
{
	(void)syscall(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */);
	return 0;
}

static int
do_setuid(void)
{
	(void)syscall(SYS_setuid, getuid());
	return 0;
}

static int
do_bpf(void)
{
	(void)syscall(SYS_bpf, -1, NULL, 0);
	return 0;
}

static int
do_keyctl(void)
{
	(void)syscall(SYS_keyctl, 0, 0, 0, 0, 0);
	return 0;
}

START_TEST(test_forbidden_killed)
{
	const tb_sandbox_role roles[] = { TB_SANDBOX_FRONT, TB_SANDBOX_SIGNER };
	size_t i;

	for (i = 0; i < 2; i++) {
		assert_killed(run_child(roles[i], do_execve), "execve");
		assert_killed(run_child(roles[i], do_unshare), "unshare");
		assert_killed(run_child(roles[i], do_setuid), "setuid");
		assert_killed(run_child(roles[i], do_bpf), "bpf");
		assert_killed(run_child(roles[i], do_keyctl), "keyctl");
		/* LeakSanitizer needs ptrace in sanitizer builds (sandbox.c). */
		if (!SANITIZED)
			assert_killed(run_child(roles[i], do_ptrace), "ptrace");
	}
	/* Without a filter the same call is not fatal: the test can fail. */
	assert_exit0(run_child(0, do_setuid), "setuid, no filter");
}
END_TEST

/* ---- socket families ---- */

static int
family_refused(int af, int type)
{
	int fd = socket(af, type, 0);

	if (fd != -1) {
		close(fd);
		return 0;
	}
	return errno == EAFNOSUPPORT;
}

static int
do_front_families(void)
{
	int fd;

	if (!family_refused(AF_NETLINK, SOCK_RAW) || !family_refused(AF_PACKET, SOCK_RAW) ||
	    !family_refused(AF_BLUETOOTH, SOCK_STREAM) || !family_refused(AF_ALG, SOCK_SEQPACKET) ||
	    !family_refused(AF_UNSPEC, SOCK_STREAM) || !family_refused(AF_X25, SOCK_SEQPACKET))
		return 1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 2;
	close(fd);
	/* IPv6 may be absent from the kernel, but not refused by us. */
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1 && errno != EAFNOSUPPORT)
		return 3;
	if (fd != -1)
		close(fd);
	return 0;
}

static int
do_signer_families(void)
{
	int sv[2];

	if (!family_refused(AF_INET, SOCK_STREAM) || !family_refused(AF_INET6, SOCK_DGRAM) ||
	    !family_refused(AF_NETLINK, SOCK_RAW) || !family_refused(AF_PACKET, SOCK_RAW))
		return 1;
	/* socketpair of another family: killed */
	(void)socketpair(AF_INET, SOCK_STREAM, 0, sv);
	return 0;
}

START_TEST(test_socket_families)
{
	int st;

	assert_exit0(run_child(TB_SANDBOX_FRONT, do_front_families), "front families");
	st = run_child(TB_SANDBOX_SIGNER, do_signer_families);
	ck_assert_msg(!(WIFEXITED(st) && WEXITSTATUS(st) == 1), "signer: a family not refused");
	assert_killed(st, "signer socketpair(AF_INET)");
}
END_TEST

/* ---- memory and process settings ---- */

static int
do_wx(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED || errno != EPERM)
		return 1;
	if ((p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED)
		return 2;
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != -1 || errno != EPERM)
		return 3;
	if (mprotect(p, 4096, PROT_READ) != 0)
		return 4;
	if (!SANITIZED && (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != -1 || errno != EPERM))
		return 5;
	/* lowering our own limit: yes; another process's: no */
	if (setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }) != 0)
		return 6;
	if (prlimit(getppid(), RLIMIT_CORE, &(struct rlimit){ 0, 0 }, NULL) != -1 ||
	    errno != EPERM)
		return 7;
	return 0;
}

static int
do_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	return pid > 0 ? 0 : 1;
}

static int
do_rename(void)
{
	char a[600], b[600];

	snprintf(a, sizeof(a), "%s/ordinary.txt", g_dir);
	snprintf(b, sizeof(b), "%s/renamed.txt", g_dir);
	return rename(a, b) == 0 ? 0 : 1;
}

START_TEST(test_memory_and_process)
{
	assert_exit0(run_child(TB_SANDBOX_FRONT, do_wx), "front W^X");
	assert_exit0(run_child(TB_SANDBOX_SIGNER, do_wx), "signer W^X");
	/* The parent starts every process: front and signer make threads only. */
	if (!SANITIZED) {
		assert_killed(run_child(TB_SANDBOX_FRONT, do_fork), "front fork");
		assert_killed(run_child(TB_SANDBOX_SIGNER, do_fork), "signer fork");
	}
	/* The CRL cache renames; the signer has no cache. */
	assert_exit0(run_child(TB_SANDBOX_FRONT, do_ordinary), "front, ordinary");
	assert_exit0(run_child(TB_SANDBOX_FRONT, do_rename), "front rename");
	assert_killed(run_child(TB_SANDBOX_SIGNER, do_rename), "signer rename");
}
END_TEST

/* ---- exec: only the parent starts programs ---- */

extern char **environ;

/* A child that opens exe, installs role's filter and fexecve()s it. */
static int
exec_child(tb_sandbox_role role, const char *exe)
{
	char *argv[] = { (char *)"test_sandbox", (char *)"--exec-ok", NULL };
	int fd, st = 0;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		tb_error err;

		if ((fd = open(exe, O_RDONLY | O_CLOEXEC)) == -1)
			_exit(80);
		if (tb_sandbox_install(role, &err) != 0)
			_exit(90);
		fexecve(fd, argv, environ);
		_exit(81);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static int
do_execve_self(void)
{
	char *argv[] = { (char *)"test_sandbox", (char *)"--exec-ok", NULL };

	execve("/proc/self/exe", argv, environ);
	return 0;
}

START_TEST(test_exec_self)
{
	/* The front and the signer start nothing, not even their own image. */
	assert_killed(exec_child(TB_SANDBOX_FRONT, "/proc/self/exe"), "front fexecve");
	assert_killed(run_child(TB_SANDBOX_FRONT, do_execve_self), "front execve by path");
	assert_killed(run_child(TB_SANDBOX_SIGNER, do_execve_self), "signer execve");
	/* The parent does: fork + exec of a program stays possible under its filter. */
	assert_exit0(exec_child(TB_SANDBOX_PARENT, "/proc/self/exe"), "parent fexecve");
	assert_exit0(run_child(TB_SANDBOX_PARENT, do_fork), "parent fork");
}
END_TEST

/* ---- the parent's denylist ---- */

static int
do_mount(void)
{
	/* No source, no target: without a filter it can only fail. */
	(void)syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
	return 0;
}

static int
do_init_module(void)
{
	(void)syscall(SYS_init_module, NULL, 0, "");
	return 0;
}

static int
do_kexec(void)
{
	(void)syscall(SYS_kexec_load, 0, 0, NULL, 0);
	return 0;
}

/* What its children do before their own filters: become a user, open, map, thread. */
static int
do_parent_allowed(void)
{
	int r;

	if ((r = do_ordinary()) != 0)
		return r;
	if (syscall(SYS_setuid, getuid()) != 0)
		return 20;
	return do_wx() == 0 ? 21 : 0;	/* W^X is the children's rule, not the parent's */
}

/* Filters stack: a child's allow-list on the parent's denylist. */
static int
do_parent_then_front(void)
{
	tb_error err;

	if (tb_sandbox_install(TB_SANDBOX_FRONT, &err) != 0)
		return 90;
	return do_ordinary();
}

START_TEST(test_parent_denylist)
{
	assert_exit0(run_child(TB_SANDBOX_PARENT, do_parent_allowed), "parent, what children need");
	assert_exit0(run_child(TB_SANDBOX_PARENT, do_parent_then_front), "parent, then front");
	assert_killed(run_child(TB_SANDBOX_PARENT, do_bpf), "parent bpf");
	assert_killed(run_child(TB_SANDBOX_PARENT, do_keyctl), "parent keyctl");
	assert_killed(run_child(TB_SANDBOX_PARENT, do_unshare), "parent unshare");
	assert_killed(run_child(TB_SANDBOX_PARENT, do_mount), "parent mount");
	assert_killed(run_child(TB_SANDBOX_PARENT, do_init_module), "parent init_module");
	assert_killed(run_child(TB_SANDBOX_PARENT, do_kexec), "parent kexec_load");
	if (!SANITIZED)
		assert_killed(run_child(TB_SANDBOX_PARENT, do_ptrace), "parent ptrace");
	/* Without a filter the same mount only fails: the test can fail. */
	assert_exit0(run_child(0, do_mount), "mount, no filter");
}
END_TEST

/* ---- the switch ---- */

START_TEST(test_config_switch)
{
	tb_config cfg;
	pid_t pid;
	int st = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.sandbox = 1;
	cfg.token_sandbox = 0;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		tb_error err;

		/* [token] sandbox = no: the signer's filter is skipped, so setuid lives */
		if (tb_sandbox_apply(TB_SANDBOX_SIGNER, &cfg, &err) != 0)
			_exit(90);
		(void)do_setuid();
		/* [daemon] sandbox = yes: the front's is on */
		if (tb_sandbox_apply(TB_SANDBOX_FRONT, &cfg, &err) != 0)
			_exit(91);
		(void)do_setuid();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	assert_killed(st, "front on after signer off");
}
END_TEST

/* ---- SoftHSM2 under the signer's filter ---- */

static int
make_token(void)
{
	const char *srcdir = getenv("top_srcdir");
	char cmd[2048], conf[600];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/setup.sh", g_dir);
	if ((f = fopen(cmd, "w")) == NULL)
		return -1;
	fprintf(f,
	    "set -e\n"
	    "cd \"$1\"\n"
	    ". \"$2/tests/system/setup.sh\"\n"
	    "tb_token_init \"$1/hsm\" tbsandbox " USER_PIN " 87654321\n"
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key\n"
	    "tb_token_import_key tbsandbox ec 02 ec.key " USER_PIN "\n"
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null\n"
	    "tb_token_import_key tbsandbox rsa 01 rsa.key " USER_PIN "\n"
	    "umask 077\n"
	    "printf '" USER_PIN "\\n' > pin\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh %s/setup.sh '%s' '%s' >%s/setup.log 2>&1",
	    g_dir, g_dir, srcdir != NULL ? srcdir : "..", g_dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/setup.log >&2", g_dir);
		(void)system(cmd);
		return -1;
	}
	snprintf(conf, sizeof(conf), "%s/hsm/softhsm2.conf", g_dir);
	setenv("SOFTHSM2_CONF", conf, 1);
	return 0;
}

/* Opens the token and signs with both keys; 0 or the step that failed. */
static int
token_sign(int pin_fd)
{
	static const char *const uris[] = { "pkcs11:object=ec", "pkcs11:object=rsa" };
	tb_p11_module *mod = NULL;
	tb_p11_token *tok = NULL;
	tb_p11_key *key = NULL;
	unsigned char md[32], sig[1024];
	size_t i, sig_len;
	tb_error err;
	int r = 10;

	memset(md, 0x5a, sizeof(md));
	if (tb_p11_module_load(g_module, &mod, &err) != 0)
		goto out;
	r = 11;
	if (tb_p11_token_open(mod, "pkcs11:token=tbsandbox", pin_fd, 2, &tok, &err) != 0)
		goto out;
	for (i = 0; i < 2; i++) {
		r = 12 + (int)i;
		if (tb_p11_key_find(tok, uris[i], &key, &err) != 0)
			goto out;
		sig_len = sizeof(sig);
		if (tb_p11_key_sign(key, NID_sha256, md, sizeof(md), sig, &sig_len, &err) != 0 ||
		    sig_len == 0)
			goto out;
		tb_p11_key_free(key);
		key = NULL;
	}
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "token_sign step %d: %s\n", r, err.detail);
	tb_p11_key_free(key);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
	return r;
}

static int g_pin_fd = -1;

/* As the signer: token open before the filter, signing and a reload after. */
static int
do_signer_softhsm(void)
{
	int r;

	if ((r = token_sign(g_pin_fd)) != 0)
		return r;
	return 0;
}

START_TEST(test_signer_softhsm)
{
	char path[600];
	tb_error err;
	pid_t pid;
	int st = 0, r;

	if (g_dir[0] == '\0' || getenv("SOFTHSM2_CONF") == NULL)
		ck_abort_msg("no SoftHSM2 token (setup failed)");
	snprintf(path, sizeof(path), "%s/pin", g_dir);
	ck_assert_int_eq(tb_secret_open(path, &g_pin_fd, &err), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		tb_p11_module *mod = NULL;
		tb_p11_token *tok = NULL;

		/* Module loaded and logged in before the filter, as in the signer. */
		if (tb_p11_module_load(g_module, &mod, &err) != 0 ||
		    tb_p11_token_open(mod, "pkcs11:token=tbsandbox", g_pin_fd, 2, &tok, &err) != 0)
			_exit(80);
		if (tb_sandbox_install(TB_SANDBOX_SIGNER, &err) != 0)
			_exit(90);
		tb_p11_token_free(tok);
		tb_p11_module_free(mod);
		/* A reload: the module loaded, initialised and logged in anew. */
		r = do_signer_softhsm();
		_exit(r == 0 ? do_signer_softhsm() : r);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	assert_exit0(st, "SoftHSM2 signing under the signer filter");
	close(g_pin_fd);
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("filters");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ordinary_calls);
	tcase_add_test(tc, test_forbidden_killed);
	tcase_add_test(tc, test_socket_families);
	tcase_add_test(tc, test_memory_and_process);
	tcase_add_test(tc, test_exec_self);
	tcase_add_test(tc, test_parent_denylist);
	tcase_add_test(tc, test_config_switch);
	tcase_add_test(tc, test_signer_softhsm);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	const char *builddir = getenv("top_builddir");
	char cmd[600];
	SRunner *sr;
	int failed;

	/* the image test_exec_self runs */
	if (argc == 2 && strcmp(argv[1], "--exec-ok") == 0)
		return 0;
	g_module = getenv("SOFTHSM_MODULE");
	if (g_module == NULL || *g_module == '\0')
		g_module = "/usr/lib/softhsm/libsofthsm2.so";
	snprintf(g_dir, sizeof(g_dir), "%s/tests/sandbox-XXXXXX", builddir ? builddir : ".");
	if (mkdtemp(g_dir) == NULL) {
		snprintf(g_dir, sizeof(g_dir), "/tmp/tb-sandbox-XXXXXX");
		if (mkdtemp(g_dir) == NULL)
			return 99;
	}
	if (make_token() != 0)
		fprintf(stderr, "test_sandbox: SoftHSM2 token setup failed\n");
	sr = srunner_create(sandbox_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
	(void)system(cmd);
	return failed == 0 ? 0 : 1;
}
