/*
 * The commands on the front's control link to the parent (the descriptor
 * TB_FRONT_CTL_FD, listeners.h): the front's end is daemon/front/launcher.h,
 * the parent's daemon/parent/parent.c. Both include this header, so that
 * neither includes the other's. Commands are one byte (and a wait's
 * milliseconds); answers are a 32-bit number, with a descriptor for a new
 * signer.
 */
#ifndef TB_LAUNCH_CMDS_H
#define TB_LAUNCH_CMDS_H

#define TB_LAUNCH_SIGNER 'S'	/* start a signer: answer pid, with the channel */
#define TB_LAUNCH_WAIT 'W'	/* + int32 ms: wait for it (then kill): answer status */
#define TB_LAUNCH_READY 'R'	/* the front serves: no answer */

#endif
