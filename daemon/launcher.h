/*
 * The launcher: a small process the front forks at start, before any
 * thread, any client and any secret exist, that keeps the start-up
 * privileges (root) while the front drops them. It does one thing for the
 * front: start the signer program (fork + fexecve of tanbad-signer, a
 * fresh image, on a new socketpair), hand back the front's end of the
 * channel, and reap it. So a signer restarted after a crash starts as root
 * again, opens the PIN file, the token store and the audit trail that only
 * its own account may open, and drops to signer_user; the front never
 * holds a privilege to do that itself. It reads one-byte commands and
 * nothing else, keeps at most one signer, and exits when the front goes.
 */
#ifndef TB_LAUNCHER_H
#define TB_LAUNCHER_H

#include <sys/types.h>

#include "programs.h"
#include "tb_err.h"

typedef struct tb_launcher tb_launcher;

/*
 * Forks the launcher. image_fd is the signer program (opened by the
 * caller; the launcher keeps its own copy), argv its arguments, where the
 * string "FD" stands for the channel's descriptor number. Call before any
 * thread exists.
 */
int tb_launcher_start(int image_fd, char *const argv[], tb_launcher **out, tb_error *err);
/* Closes the control socket (the launcher then exits) and reaps it. NULL is a no-op. */
void tb_launcher_free(tb_launcher *lc);

/* Starts a signer (killing one still there): *fd is the front's end, *pid its pid. */
int tb_launcher_spawn(tb_launcher *lc, int *fd, pid_t *pid, tb_error *err);
/*
 * Waits for signer pid to exit, killing it after wait_s; *status is its
 * wait(2) status. -1 when the launcher could not say.
 */
int tb_launcher_wait(tb_launcher *lc, pid_t pid, double wait_s, int *status);

#endif
