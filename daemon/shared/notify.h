/*
 * systemd readiness (sd_notify protocol) without libsystemd: one datagram
 * to $NOTIFY_SOCKET. Says nothing when not started by systemd.
 */
#ifndef TB_NOTIFY_H
#define TB_NOTIFY_H

/* Sends state ("READY=1", "STOPPING=1", "RELOADING=1") if NOTIFY_SOCKET is set. */
void tb_notify(const char *state);

#endif
