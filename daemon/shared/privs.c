/*
 * Dropping root and closing the ways back: setgroups, setresgid, setresuid
 * in that order (groups first, while still allowed), then a check that
 * uid 0 cannot be taken again. Runs on the main thread before the workers
 * start, so every thread inherits the result. Never runs anything as root
 * after it returns.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "privs.h"
#include "tb_log.h"

/* Locks memory so that a PIN on a stack or session data never reaches swap. */
static void
memory_lock(void)
{
	struct rlimit rl;

	/*
	 * With MCL_FUTURE every later mapping must fit RLIMIT_MEMLOCK; after the
	 * drop an unprivileged limit would make thread stacks and large buffers
	 * fail. So lock only under an unlimited limit, raised here while root.
	 */
	if (geteuid() == 0) {
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		tb_warn_f(0, "memory not locked: RLIMIT_MEMLOCK is %llu bytes, not unlimited "
		    "(LimitMEMLOCK=infinity in the unit)", (unsigned long long)rl.rlim_cur);
		return;
	}
	if (mlockall(MCL_CURRENT | MCL_FUTURE) == -1)
		tb_warn_f(0, "memory not locked: mlockall: %s", strerror(errno));
	else
		tb_info_f("memory locked (mlockall)");
}

static int
drop_to(uid_t uid, gid_t gid, tb_error *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(0, NULL) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "setresgid %u: %s", (unsigned)gid,
		    strerror(errno));
	if (setresuid(uid, uid, uid) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "setresuid %u: %s", (unsigned)uid,
		    strerror(errno));
	/* Trust nothing: read back every id, and try the way back. */
	if (getresuid(&ru, &eu, &su) == -1 || ru != uid || eu != uid || su != uid ||
	    getresgid(&rg, &eg, &sg) == -1 || rg != gid || eg != gid || sg != gid ||
	    getgroups(0, NULL) != 0)
		return tb_error_set(err, TB_ERR_INTERNAL, "privilege drop did not take hold");
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		return tb_error_set(err, TB_ERR_INTERNAL, "root could be regained after the drop");
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		return tb_error_set(err, TB_ERR_INTERNAL,
		    "group root could be regained after the drop");
	return 0;
}

int
tb_privs_harden(const tb_config *cfg, tb_error *err)
{
	return tb_privs_harden_as(cfg->user, cfg->user_uid, cfg->user_gid, err);
}

int
tb_privs_harden_as(const char *user, long user_uid, long user_gid, tb_error *err)
{
	struct rlimit rl = { 0, 0 };
	int r;

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "RLIMIT_CORE: %s", strerror(errno));
	memory_lock();
	if (geteuid() == 0) {
		if (user_uid < 0) {
			tb_warn_f(0, "running as root: set [daemon] user to drop privileges");
		} else {
			if ((r = drop_to((uid_t)user_uid, (gid_t)user_gid, err)) != 0)
				return r;
			tb_info_f("running as user %s (uid %ld, gid %ld), no supplementary groups",
			    user, user_uid, user_gid);
		}
	} else if (user_uid >= 0 && (uid_t)user_uid != geteuid()) {
		return tb_error_set(err, TB_ERR_CONFIG,
		    "[daemon] user %s: started as uid %u, not root: cannot become that user",
		    user, (unsigned)geteuid());
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
	/* setresuid may have reset it; session data must never reach a core. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "PR_SET_DUMPABLE: %s", strerror(errno));
	return 0;
}
