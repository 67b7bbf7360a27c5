/* Landlock for the front (landlock.h): writes only where the front must write. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "landlock.h"
#include "tb_log.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* Every right that makes, changes or removes a file: what the ruleset handles. */
#define WRITES (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Allows rights beneath path (a directory; or the directory part of a file's path). */
static int
allow(int ruleset, const char *path, int parent, uint64_t rights, uint64_t handled,
    tb_error *err)
{
	struct landlock_path_beneath_attr pb;
	char dir[PATH_MAX];
	char *slash;
	int fd, r = 0;

	if (path == NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	if (parent) {
		if ((slash = strrchr(dir, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
	}
	if ((fd = open(dir, O_PATH | O_CLOEXEC | O_DIRECTORY)) == -1) {
		tb_warn_f(0, "Landlock: %s: %s (no writes allowed there)", dir, strerror(errno));
		return 0;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = rights & handled;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
		r = tb_error_set(err, TB_ERR_INTERNAL, "Landlock rule for %s: %s", dir,
		    strerror(errno));
	close(fd);
	return r;
}

int
tb_landlock_front(const tb_config *cfg, const char *pid_file, tb_error *err)
{
	struct landlock_ruleset_attr attr;
	char signer_pid[PATH_MAX];
	uint64_t handled = WRITES;
	long abi;
	int rs, r = 0;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		tb_warn_f(0, "Landlock not available (%s): the front's writes are bounded by its "
		    "account, seccomp and the unit only", strerror(errno));
		return 0;
	}
	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled;
	if ((rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0)) < 0)
		return tb_error_set(err, TB_ERR_INTERNAL, "Landlock ruleset: %s", strerror(errno));
	/* The CRL cache: temporary files renamed into place, old ones pruned. */
	if ((r = allow(rs, cfg->rev_cache_dir, 0, handled, handled, err)) != 0)
		goto out;
	/*
	 * At exit the signer's pid file goes (the socket files and tanbad's
	 * own pid file are the parent's).
	 */
	if (pid_file != NULL) {
		snprintf(signer_pid, sizeof(signer_pid), "%s.signer", pid_file);
		if ((r = allow(rs, signer_pid, 1, LANDLOCK_ACCESS_FS_REMOVE_FILE, handled,
		    err)) != 0)
			goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "Landlock: %s", strerror(errno));
		goto out;
	}
	tb_info_f("Landlock (ABI %ld) on: the front writes only in %s", abi,
	    cfg->rev_cache_dir != NULL ? cfg->rev_cache_dir : "(no cache directory)");
out:
	close(rs);
	return r;
}
