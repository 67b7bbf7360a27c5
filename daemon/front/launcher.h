/*
 * The front's control link to the parent (parent.h), which starts every
 * signer: the front asks for one (at start and after each crash) and gets
 * the front's end of its channel, asks the parent to reap it, and says
 * once that it is ready to serve. The parent keeps the start-up
 * privileges, so a restarted signer starts as root again, opens the PIN
 * file, the token store and the audit trail that only its own account may
 * open, and drops to signer_user; the front never holds a privilege to do
 * that itself. Commands are one byte (and a wait's milliseconds); answers
 * are a 32-bit number, with a descriptor for a new signer.
 */
#ifndef TB_LAUNCHER_H
#define TB_LAUNCHER_H

#include <sys/types.h>

#include "launch_cmds.h"
#include "tb_err.h"

typedef struct tb_launcher tb_launcher;

/* Takes ctl, the front's end of the link handed over at exec (TB_FRONT_CTL_FD). */
int tb_launcher_attach(int ctl, tb_launcher **out, tb_error *err);
/* Closes the link (the parent then sees this front go). NULL is a no-op. */
void tb_launcher_free(tb_launcher *lc);

/* Tells the parent the front serves (it then tells systemd). 0, or -1 if the link is gone. */
int tb_launcher_ready(tb_launcher *lc);
/*
 * Starts a signer: *fd is the front's end, *pid its pid. The parent first
 * waits for one still there (killing it after 2 s), then for the restart
 * back-off, which a front that follows its own never meets.
 */
int tb_launcher_spawn(tb_launcher *lc, int *fd, pid_t *pid, tb_error *err);
/*
 * Waits for the signer last started to exit, killing it after wait_s
 * (the parent allows at most 10 s); *status is its wait(2) status. -1
 * when the parent could not say (it was reported already, or none).
 */
int tb_launcher_wait(tb_launcher *lc, double wait_s, int *status);

#endif
