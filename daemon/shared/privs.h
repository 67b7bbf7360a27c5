/*
 * Process hardening of tanbad, done once after the socket, the audit file,
 * the PIN file and the token are open and before any worker thread exists:
 * drop from root to the configured user and group, no new privileges, no
 * core dumps, memory locked where permitted. Never raises a privilege.
 */
#ifndef TB_PRIVS_H
#define TB_PRIVS_H

#include "conf.h"
#include "tb_err.h"

/*
 * Started as root with [daemon] user set: becomes that user and group with
 * no supplementary groups, and checks that root cannot be regained. Started
 * as another user: stays that user (user, if set, must be that user). In
 * both cases: PR_SET_NO_NEW_PRIVS, RLIMIT_CORE 0, not dumpable, and
 * mlockall(MCL_CURRENT | MCL_FUTURE) when RLIMIT_MEMLOCK allows it (logged
 * when not). Returns 0 or an error naming the step that failed.
 */
int tb_privs_harden(const tb_config *cfg, tb_error *err);
/* The same for another account (user_uid -1: none): the signer's signer_user. */
int tb_privs_harden_as(const char *user, long user_uid, long user_gid, tb_error *err);

#endif
