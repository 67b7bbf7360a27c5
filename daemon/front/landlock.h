/*
 * The front's file writes, narrowed by Landlock where the kernel has it:
 * after the privilege drop the front may create, write, rename or remove
 * files only in its CRL cache directory, and remove the signer's pid file
 * at exit (the socket files and tanbad's pid file are the parent's).
 * Reading is not restricted (reloads read the configuration and
 * certificates wherever they are). Where Landlock is missing or off,
 * this is said in the log and nothing else changes: the seccomp filter,
 * the account's permissions and the unit's ProtectSystem still hold.
 */
#ifndef TB_LANDLOCK_H
#define TB_LANDLOCK_H

#include "conf.h"
#include "tb_err.h"

/*
 * Restricts this process (and threads created later) to those writes.
 * pid_file may be NULL. Returns 0 also when Landlock is not available;
 * an error only when a ruleset the kernel offers cannot be built or
 * applied.
 */
int tb_landlock_front(const tb_config *cfg, const char *pid_file, tb_error *err);

#endif
