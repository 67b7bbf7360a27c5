/*
 * The optional TCP listener: TLS 1.3 only, a client certificate required
 * and verified against [tls] client_ca (and crl), non-blocking so that the
 * server's one epoll loop drives handshakes and records. Knows nothing of
 * frames or access control: it hands the server the certificate's identity.
 */
#ifndef TB_TLS_LISTENER_H
#define TB_TLS_LISTENER_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "tb_err.h"

typedef struct tb_tls_listener tb_tls_listener;
typedef struct tb_tls_conn tb_tls_conn;

/*
 * The [tls] certificate and private key the parent opened for this front
 * (it runs as [daemon] user and may not open a key that is root's): taken
 * by tb_tls_listener_new, which opens neither path, and closed there.
 */
void tb_tls_listener_files(int cert_fd, int key_fd);

/*
 * Loads [tls] certificate, private_key (from the descriptors given, else
 * the paths), client_ca and crl of cfg, and takes the parent's listening
 * socket, else binds (SO_REUSEADDR) and listens on listen, non-blocking.
 */
int tb_tls_listener_new(const tb_config *cfg, tb_tls_listener **out, tb_error *err);
/* Closes the socket and frees the context. NULL is a no-op. */
void tb_tls_listener_free(tb_tls_listener *l);
/* The listening socket (for epoll and accept4), or -1 once closed. */
int tb_tls_listener_fd(const tb_tls_listener *l);
/* Stops listening (at shutdown); connections already made go on. */
void tb_tls_listener_close(tb_tls_listener *l);
/* The address as configured, for the log. */
const char *tb_tls_listener_address(const tb_tls_listener *l);

/* A TLS session over the accepted, non-blocking socket fd (which stays the caller's). */
tb_tls_conn *tb_tls_conn_new(tb_tls_listener *l, int fd);
/* Sends close_notify if the handshake finished (once, without waiting). NULL is a no-op. */
void tb_tls_conn_free(tb_tls_conn *t);

#define TB_TLS_WANT_READ 1
#define TB_TLS_WANT_WRITE 2
/*
 * Drives the handshake: 0 when done (the peer's certificate verified),
 * TB_TLS_WANT_READ / TB_TLS_WANT_WRITE to wait for the socket, or a
 * tb_err code with err saying why the peer was refused.
 */
int tb_tls_conn_handshake(tb_tls_conn *t, tb_error *err);

/*
 * The verified peer certificate's subject as RFC 2253 text and its
 * SHA-256. Returns 0, or TB_ERR_TOO_LARGE when the subject does not fit.
 */
int tb_tls_conn_identity(tb_tls_conn *t, char *subject, size_t subject_len,
    unsigned char sha256[32]);

/*
 * recv(2) and send(2) over the session: bytes moved, 0 at the peer's
 * close_notify (read), or -1 with errno EAGAIN (wait for the socket) or
 * ECONNRESET (the session failed; close the connection).
 */
ssize_t tb_tls_conn_read(tb_tls_conn *t, void *buf, size_t len);
ssize_t tb_tls_conn_write(tb_tls_conn *t, const void *buf, size_t len);

#endif
