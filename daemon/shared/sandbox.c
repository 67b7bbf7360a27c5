/*
 * The seccomp filters of tanbad (sandbox.h, docs/SANDBOX.md). One table
 * lists every system call a role may make; anything else kills the
 * process. Dangerous calls (execve, ptrace, mount, bpf, keyctl, module
 * loading, namespaces, other socket families) are never in the table, and
 * nothing here may add them for production builds.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <seccomp.h>

#include "sandbox.h"
#include "tb_log.h"

/*
 * Sanitizer builds are for tests only: LeakSanitizer stops the threads with
 * ptrace from a helper it clones, and makes the process dumpable for that,
 * at exit. Those builds get these calls too; a shipped build never does.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define F (1u << TB_SANDBOX_FRONT)
#define S (1u << TB_SANDBOX_SIGNER)
#define FS (F | S)
#define SAN (SANITIZED ? FS : 0u)

/* The namespace flags: neither process ever makes a namespace. */
#define CLONE_NS_FLAGS ((scmp_datum_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | \
    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP))

struct allowed {
	const char *name;
	unsigned roles;
};

/*
 * Calls allowed without looking at their arguments. Names the kernel of
 * this architecture does not have are skipped. Calls with an argument rule
 * (socket, socketpair, clone, clone3, prctl, mmap, mprotect, prlimit64,
 * execveat) are in rules_add and exec_self_rules, not here.
 */
static const struct allowed allowed[] = {
	/* descriptors and plain I/O */
	{ "read", FS }, { "write", FS }, { "readv", FS }, { "writev", FS },
	{ "pread64", FS }, { "pwrite64", FS }, { "preadv", FS }, { "pwritev", FS },
	{ "lseek", FS }, { "close", FS }, { "close_range", FS },
	{ "dup", FS }, { "dup2", FS }, { "dup3", FS }, { "fcntl", FS },
	{ "flock", FS }, { "ioctl", FS },
	{ "fsync", FS }, { "fdatasync", FS }, { "ftruncate", FS }, { "fadvise64", FS },
	/* files: configuration, certificates, the CRL cache, the token directory */
	{ "open", FS }, { "openat", FS }, { "stat", FS }, { "fstat", FS },
	{ "lstat", FS }, { "newfstatat", FS }, { "statx", FS }, { "statfs", FS },
	{ "fstatfs", FS }, { "access", FS }, { "faccessat", FS }, { "faccessat2", FS },
	{ "readlink", FS }, { "readlinkat", FS }, { "getdents", FS }, { "getdents64", FS },
	{ "getcwd", FS }, { "umask", FS }, { "fchmod", FS }, { "chmod", F },
	/* the CRL cache's atomic replace and pruning (front only) */
	{ "rename", F }, { "renameat", F }, { "renameat2", F }, { "unlink", F },
	{ "unlinkat", F }, { "mkdir", F }, { "mkdirat", F },
	/* memory */
	{ "brk", FS }, { "munmap", FS }, { "mremap", FS }, { "madvise", FS },
	{ "mlock", FS }, { "mlock2", FS }, { "munlock", FS }, { "mlockall", FS },
	{ "mincore", FS },
	{ "msync", FS }, { "membarrier", FS },
	/* threads and their synchronisation */
	{ "futex", FS }, { "futex_waitv", FS }, { "set_robust_list", FS }, { "rseq", FS },
	{ "set_tid_address", FS }, { "gettid", FS }, { "getpid", FS }, { "getppid", FS },
	{ "sched_yield", FS }, { "sched_getaffinity", FS }, { "sched_getparam", FS },
	{ "sched_getscheduler", FS }, { "arch_prctl", FS }, { "getcpu", FS },
	{ "exit", FS }, { "exit_group", FS },
	/* signals: the signalfd loop, abort(), sanitizers' alternate stacks */
	{ "rt_sigaction", FS }, { "rt_sigprocmask", FS }, { "rt_sigreturn", FS },
	{ "rt_sigtimedwait", FS }, { "rt_sigpending", FS }, { "sigaltstack", FS },
	{ "signalfd", FS }, { "signalfd4", FS }, { "restart_syscall", FS },
	{ "tgkill", FS }, { "tkill", FS },
	/* the parent starts and reaps every process: here only sanitizers wait */
	{ "wait4", SAN }, { "waitid", SAN },
	/* waiting */
	{ "epoll_create", FS }, { "epoll_create1", FS }, { "epoll_ctl", FS },
	{ "epoll_wait", FS }, { "epoll_pwait", FS }, { "epoll_pwait2", FS },
	{ "poll", FS }, { "ppoll", FS }, { "select", FS }, { "pselect6", FS },
	{ "eventfd", FS }, { "eventfd2", FS }, { "pipe", FS }, { "pipe2", FS },
	{ "timerfd_create", FS }, { "timerfd_settime", FS }, { "timerfd_gettime", FS },
	/* time */
	{ "clock_gettime", FS }, { "clock_getres", FS }, { "gettimeofday", FS },
	{ "time", FS }, { "nanosleep", FS }, { "clock_nanosleep", FS },
	{ "alarm", F }, { "getitimer", F }, { "setitimer", F },
	/* sockets of the families socket() lets through; the signer has no
	 * listening socket and only talks on its channel and to syslog */
	{ "connect", FS }, { "sendto", FS }, { "recvfrom", FS }, { "sendmsg", FS },
	{ "recvmsg", FS }, { "sendmmsg", FS }, { "recvmmsg", F }, { "shutdown", FS },
	{ "getsockname", FS }, { "getpeername", FS }, { "getsockopt", FS },
	{ "setsockopt", FS }, { "bind", F }, { "listen", F }, { "accept", F },
	{ "accept4", F },
	/* who we are: read-only */
	{ "getuid", FS }, { "geteuid", FS }, { "getgid", FS }, { "getegid", FS },
	{ "getgroups", FS }, { "getresuid", FS }, { "getresgid", FS },
	{ "getpgrp", FS }, { "getsid", FS }, { "getrlimit", FS }, { "getrusage", FS },
	{ "getpriority", FS }, { "times", FS }, { "uname", FS }, { "sysinfo", FS },
	{ "getrandom", FS }, { "setrlimit", FS },
	/* adding a filter only narrows: a restarted signer stacks its own */
	{ "seccomp", FS },
	/* LeakSanitizer's thread stop (sanitizer builds only, see SANITIZED) */
	{ "ptrace", SAN },
};

/*
 * Adds one rule: allow call (errnum 0) or fail it with errnum, when the n
 * comparisons in c hold. A call this architecture lacks is skipped.
 */
static int
rule(scmp_filter_ctx ctx, int errnum, const char *call, unsigned n, const struct scmp_arg_cmp *c)
{
	int nr = seccomp_syscall_resolve_name(call);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, errnum == 0 ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(
	    (unsigned)errnum), nr, n, c);
}

/* The calls whose arguments decide. Returns the first libseccomp error. */
static int
rules_add(scmp_filter_ctx ctx, tb_sandbox_role role)
{
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	struct scmp_arg_cmp c[2];
	int rc = 0;

	/* socket(): the front speaks UNIX, IPv4 and IPv6 (libcurl, syslog,
	 * NSS); the signer UNIX only. Other families fail as if the kernel
	 * lacked them, as systemd's RestrictAddressFamilies= does: glibc's
	 * getaddrinfo then goes on without its netlink probe. */
	c[0] = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
	rc = rc ? rc : rule(ctx, 0, "socket", 1, c);
	rc = rc ? rc : rule(ctx, 0, "socketpair", 1, c);
	if (role == TB_SANDBOX_FRONT) {
		c[0] = SCMP_A0(SCMP_CMP_EQ, AF_INET);
		rc = rc ? rc : rule(ctx, 0, "socket", 1, c);
		c[0] = SCMP_A0(SCMP_CMP_EQ, AF_INET6);
		rc = rc ? rc : rule(ctx, 0, "socket", 1, c);
		c[0] = SCMP_A0(SCMP_CMP_GT, AF_INET6);
		rc = rc ? rc : rule(ctx, EAFNOSUPPORT, "socket", 1, c);
		c[0] = SCMP_A0(SCMP_CMP_LT, AF_UNIX);
		rc = rc ? rc : rule(ctx, EAFNOSUPPORT, "socket", 1, c);
		/* AF_AX25 .. AF_ROSE: between AF_INET and AF_INET6 */
		for (scmp_datum_t af = AF_INET + 1; af < AF_INET6; af++) {
			c[0] = SCMP_A0(SCMP_CMP_EQ, af);
			rc = rc ? rc : rule(ctx, EAFNOSUPPORT, "socket", 1, c);
		}
	} else {
		c[0] = SCMP_A0(SCMP_CMP_GT, AF_UNIX);
		rc = rc ? rc : rule(ctx, EAFNOSUPPORT, "socket", 1, c);
		c[0] = SCMP_A0(SCMP_CMP_LT, AF_UNIX);
		rc = rc ? rc : rule(ctx, EAFNOSUPPORT, "socket", 1, c);
	}

	/* clone(): threads only (the parent starts every process); never a
	 * new namespace. Sanitizer builds fork a helper (SANITIZED). clone3()
	 * hides its flags in memory a filter cannot read: ENOSYS makes glibc
	 * fall back to clone(). */
	if (!SANITIZED)
		c[0] = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS | CLONE_THREAD, CLONE_THREAD);
	else
		c[0] = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0);
	rc = rc ? rc : rule(ctx, 0, "clone", 1, c);
	rc = rc ? rc : rule(ctx, ENOSYS, "clone3", 0, NULL);

	/* prctl(): naming threads and reading settings, yes; becoming
	 * dumpable (attachable, core dumps) again, no. */
	if (SANITIZED) {
		rc = rc ? rc : rule(ctx, 0, "prctl", 0, NULL);
	} else {
		c[0] = SCMP_A0(SCMP_CMP_NE, PR_SET_DUMPABLE);
		rc = rc ? rc : rule(ctx, 0, "prctl", 1, c);
		c[0] = SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE);
		c[1] = SCMP_A1(SCMP_CMP_EQ, 0);
		rc = rc ? rc : rule(ctx, 0, "prctl", 2, c);
		c[1] = SCMP_A1(SCMP_CMP_NE, 0);
		rc = rc ? rc : rule(ctx, EPERM, "prctl", 2, c);
	}

	/* Memory is writable or executable, never both (W^X, as systemd's
	 * MemoryDenyWriteExecute=); mapping libraries stays possible, so a
	 * reload can dlopen a PKCS#11 module or an engine. */
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	rc = rc ? rc : rule(ctx, 0, "mmap", 1, c);
	rc = rc ? rc : rule(ctx, 0, "mprotect", 1, c);
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, wx, PROT_EXEC);
	rc = rc ? rc : rule(ctx, 0, "mmap", 1, c);
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx);
	rc = rc ? rc : rule(ctx, EPERM, "mmap", 1, c);
	/* making existing memory executable is how injected code gets run */
	c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
	rc = rc ? rc : rule(ctx, EPERM, "mprotect", 1, c);

	/* prlimit64(): this process's own limits only. Without capabilities
	 * a limit can only go down (a restarted signer sets RLIMIT_CORE 0);
	 * another process's limits are not ours to touch. */
	c[0] = SCMP_A0(SCMP_CMP_EQ, 0);
	rc = rc ? rc : rule(ctx, 0, "prlimit64", 1, c);
	c[0] = SCMP_A0(SCMP_CMP_NE, 0);
	rc = rc ? rc : rule(ctx, EPERM, "prlimit64", 1, c);
	return rc;
}

/*
 * What no tanba program calls, at any stage: the parent's filter (a
 * denylist, since every child inherits it across execve and the children
 * still open modules, become their users and add their own allow-lists on
 * top). Debugging and tracing other processes, mounts and namespaces,
 * kernel modules and kexec, BPF, the kernel keyring, raw I/O ports,
 * clocks, swap, reboot, accounting and quotas, handles that bypass path
 * checks, io_uring (its calls are out of a filter's sight).
 */
static const char *const denied_everywhere[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "perf_event_open",
	"mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"unshare", "setns",
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	"bpf", "userfaultfd",
	"keyctl", "add_key", "request_key",
	"iopl", "ioperm",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd",
	"open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "vhangup",
	"syslog", "uselib", "personality",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
};

static int
parent_rules(scmp_filter_ctx ctx, tb_error *err)
{
	size_t i;
	int nr, rc;

	for (i = 0; i < sizeof(denied_everywhere) / sizeof(denied_everywhere[0]); i++) {
		/* LeakSanitizer's thread stop in the children (sanitizer builds only). */
		if (SANITIZED && strcmp(denied_everywhere[i], "ptrace") == 0)
			continue;
		if ((nr = seccomp_syscall_resolve_name(denied_everywhere[i])) == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0)) != 0)
			return tb_error_set(err, TB_ERR_INTERNAL, "sandbox: rule for %s: %s",
			    denied_everywhere[i], strerror(-rc));
	}
	return 0;
}

const char *
tb_sandbox_role_name(tb_sandbox_role role)
{
	return role == TB_SANDBOX_SIGNER ? "signer" : role == TB_SANDBOX_PARENT ? "parent" :
	    "front";
}

int
tb_sandbox_install(tb_sandbox_role role, tb_error *err)
{
	int r = TB_ERR_INTERNAL, rc;
	scmp_filter_ctx ctx = NULL;
	unsigned bit;
	size_t i;

	if (role != TB_SANDBOX_FRONT && role != TB_SANDBOX_SIGNER && role != TB_SANDBOX_PARENT)
		return tb_error_set(err, TB_ERR_INTERNAL, "sandbox: no role %d", (int)role);
	bit = role == TB_SANDBOX_PARENT ? 0 : 1u << role;
	/* The whole process dies, not one thread: a half-killed daemon could
	 * hold a lock forever. The parent's is a denylist: it allows the rest. */
	if ((ctx = seccomp_init(role == TB_SANDBOX_PARENT ? SCMP_ACT_ALLOW :
	    SCMP_ACT_KILL_PROCESS)) == NULL) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "sandbox: seccomp_init failed");
		goto out;
	}
	/* Threads that exist already (a library's) get the filter too; libseccomp
	 * sets PR_SET_NO_NEW_PRIVS itself (SCMP_FLTATR_CTL_NNP is on). */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "sandbox: TSYNC: %s", strerror(-rc));
		goto out;
	}
	if (role == TB_SANDBOX_PARENT && (r = parent_rules(ctx, err)) != 0)
		goto out;
	for (i = 0; bit != 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr;

		if ((allowed[i].roles & bit) == 0)
			continue;
		if ((nr = seccomp_syscall_resolve_name(allowed[i].name)) == __NR_SCMP_ERROR)
			continue;
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			r = tb_error_set(err, TB_ERR_INTERNAL, "sandbox: rule for %s: %s",
			    allowed[i].name, strerror(-rc));
			goto out;
		}
	}
	if (bit != 0 && (rc = rules_add(ctx, role)) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "sandbox: argument rules: %s",
		    strerror(-rc));
		goto out;
	}
	if ((rc = seccomp_load(ctx)) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "sandbox: loading the %s filter: %s",
		    tb_sandbox_role_name(role), strerror(-rc));
		goto out;
	}
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}

int
tb_sandbox_apply(tb_sandbox_role role, const tb_config *cfg, tb_error *err)
{
	int on = 1, r;

	if (cfg != NULL)
		on = role == TB_SANDBOX_SIGNER ? cfg->token_sandbox : cfg->sandbox;
	if (!on) {
		tb_warn_f(0, "seccomp sandbox of the %s process is off (%s sandbox = no)",
		    tb_sandbox_role_name(role), role == TB_SANDBOX_SIGNER ? "[token]" : "[daemon]");
		return 0;
	}
	if ((r = tb_sandbox_install(role, err)) != 0)
		return r;
	tb_info_f("seccomp sandbox of the %s process is on", tb_sandbox_role_name(role));
	return 0;
}
