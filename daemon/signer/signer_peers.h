/*
 * Who a UNIX-socket client is, as the signer process knows it itself: the
 * front passes each client's connection once (CONNECT, SCM_RIGHTS); the
 * signer checks it is a stream connection accepted on the configured
 * socket, reads SO_PEERCRED from the kernel, keeps uid, gid and pid under
 * the front's connection number and closes its copy of the descriptor.
 * A sign request names that number; the uid the front writes beside it is
 * not believed. Thread-safe.
 */
#ifndef TB_SIGNER_PEERS_H
#define TB_SIGNER_PEERS_H

#include <stdint.h>

#include "peers.h"
#include "tb_err.h"

typedef struct tb_signer_peers tb_signer_peers;

/* A table of at most max connections; NULL when out of memory. */
tb_signer_peers *tb_signer_peers_new(size_t max);
void tb_signer_peers_free(tb_signer_peers *sp);	/* NULL is a no-op */

/*
 * Takes fd (always closed here): when it is an AF_UNIX stream socket whose
 * local address is socket_path, records its peer's credentials under conn.
 * Otherwise TB_ERR_FORBIDDEN (or TB_ERR_BUSY when the table is full), and
 * conn stays unknown.
 */
int tb_signer_peers_connect(tb_signer_peers *sp, uint64_t conn, int fd,
    const char *socket_path, tb_error *err);
void tb_signer_peers_disconnect(tb_signer_peers *sp, uint64_t conn);
/* 1 and *out when conn is known, else 0. */
int tb_signer_peers_get(tb_signer_peers *sp, uint64_t conn, tb_peer *out);

#endif
