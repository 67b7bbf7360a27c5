/*
 * The TCP listener of [tls]: an OpenSSL 3 context pinned to TLS 1.3 that
 * demands a client certificate issued under client_ca (checked against
 * crl when given, at tb_clock time), and the non-blocking session calls the
 * server's epoll loop drives. Never maps a certificate to a client and never
 * reads a frame: the server and the [client] table decide what a peer may do.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "tb_clock.h"
#include "listeners.h"
#include "tb_log.h"
#include "tls_listener.h"

#define KEY_FILE_MAX (256 * 1024)
/* Client chains are short; a deeper one is more likely an attack on the verifier. */
#define VERIFY_DEPTH 8

struct tb_tls_listener {
	SSL_CTX *ctx;
	int fd;
	char *address;
};

struct tb_tls_conn {
	SSL *ssl;
};

/* The [tls] certificate and key the parent opened for this front, or -1. */
static int given_cert_fd = -1, given_key_fd = -1;

void
tb_tls_listener_files(int cert_fd, int key_fd)
{
	given_cert_fd = cert_fd;
	given_key_fd = key_fd;
}

/* Takes a descriptor the parent gave (once): the front opens neither file itself. */
static int
file_take(int *given, const char *what, int *fd, tb_error *err)
{
	if ((*fd = *given) == -1)
		return tb_error_set(err, TB_ERR_CONFIG, "[tls] %s: tanbad opened none; "
		    "[tls] changes take effect at restart", what);
	*given = -1;
	return 0;
}

/*
 * The certificate and its chain from fd: the first PEM certificate is the
 * server's, the ones after it are sent as its chain.
 */
static int
chain_load(SSL_CTX *ctx, int fd, const char *path, tb_error *err)
{
	BIO *bio;
	X509 *x = NULL;
	unsigned long e;
	int r = TB_ERR_CONFIG;

	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_NOMEM, "[tls] certificate");
	if ((x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 || SSL_CTX_clear_chain_certs(ctx) != 1)
		goto fail;
	X509_free(x);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1)
			goto fail;
		x = NULL;
	}
	/* The end of the file reads as an error: only that one is not. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
		goto fail;
	ERR_clear_error();
	r = 0;
	goto out;
fail:
	X509_free(x);
	r = tb_error_set_ossl(err, TB_ERR_CONFIG, "[tls] certificate %s: cannot use it", path);
out:
	BIO_free(bio);
	return r;
}

/* Reads the private key the parent opened by the secret-file rule (no group or other read). */
static int
key_load(SSL_CTX *ctx, const char *path, tb_error *err)
{
	int r = TB_ERR_INTERNAL, fd = -1;
	unsigned char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;

	if ((r = file_take(&given_key_fd, "private_key", &fd, err)) != 0)
		goto out;
	if ((buf = malloc(KEY_FILE_MAX)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "private_key");
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, KEY_FILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = tb_error_set(err, TB_ERR_IO, "private_key %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == KEY_FILE_MAX) {
			r = tb_error_set(err, TB_ERR_TOO_LARGE, "private_key %s: over %d bytes",
			    path, KEY_FILE_MAX);
			goto out;
		}
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CONFIG, "private_key %s: not a PEM private key",
		    path);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CONFIG, "private_key %s: does not match the "
		    "certificate", path);
		goto out;
	}
	r = 0;
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, KEY_FILE_MAX);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	return r;
}

/* Adds every CRL of a PEM file to the store and turns on the leaf's revocation check. */
static int
crl_load(SSL_CTX *ctx, const char *path, tb_error *err)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_CRL *crl;
	BIO *bio;
	int n = 0, r = TB_ERR_CONFIG;

	if ((bio = BIO_new_file(path, "r")) == NULL)
		return tb_error_set_ossl(err, TB_ERR_IO, "crl %s: cannot open", path);
	while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_crl(store, crl) != 1) {
			X509_CRL_free(crl);
			r = tb_error_set_ossl(err, TB_ERR_CONFIG, "crl %s: cannot use CRL %d",
			    path, n + 1);
			goto out;
		}
		X509_CRL_free(crl);
		n++;
	}
	ERR_clear_error();	/* the end of the file reads as an error */
	if (n == 0) {
		r = tb_error_set(err, TB_ERR_CONFIG, "crl %s: no PEM CRL in it", path);
		goto out;
	}
	/*
	 * A client certificate whose issuer has no CRL here fails: with a crl
	 * configured, an unchecked certificate is not let in. A CRL past its
	 * nextUpdate fails too, so the file must be refreshed (and tanbad
	 * restarted) in time.
	 */
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	r = 0;
out:
	BIO_free(bio);
	return r;
}

static int
ctx_make(const tb_config *cfg, SSL_CTX **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx;
	int fd;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "SSL_CTX_new");
	/* TLS 1.3 only: no older version, no renegotiation, no fallback to argue about. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "TLS 1.3 not available");
		goto out;
	}
	/*
	 * No session tickets or cache: every connection presents and verifies
	 * its certificate, so a revoked or remapped client cannot resume.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* The server retries a write from where the last one stopped, like send(2). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	if ((r = file_take(&given_cert_fd, "certificate", &fd, err)) != 0)
		goto out;
	r = chain_load(ctx, fd, cfg->tls_certificate, err);
	close(fd);
	if (r != 0)
		goto out;
	if ((r = key_load(ctx, cfg->tls_private_key, err)) != 0)
		goto out;
	if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(cfg->tls_client_ca)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CONFIG, "[tls] client_ca %s: no PEM "
		    "certificate in it", cfg->tls_client_ca);
		goto out;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	if (cfg->tls_crl != NULL && (r = crl_load(ctx, cfg->tls_crl, err)) != 0)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT |
	    SSL_VERIFY_CLIENT_ONCE, NULL);
	SSL_CTX_set_verify_depth(ctx, VERIFY_DEPTH);
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	SSL_CTX_free(ctx);
	return r;
}

/*
 * The parent's listener (listeners.h): the front binds none. None when
 * [tls] came into the file after tanbad started (a restarted front reads
 * it afresh).
 */
static int
socket_listen(int *out, tb_error *err)
{
	if ((*out = tb_listeners_take(TB_LISTEN_TLS)) == -1)
		return tb_error_set(err, TB_ERR_CONFIG, "[tls] listen: tanbad opened no listener "
		    "for it; [tls] changes take effect at restart");
	return 0;
}

int
tb_tls_listener_new(const tb_config *cfg, tb_tls_listener **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_tls_listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "tls listener");
	l->fd = -1;
	if ((l->address = strdup(cfg->tls_listen)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "tls listener");
		goto out;
	}
	if ((r = ctx_make(cfg, &l->ctx, err)) != 0)
		goto out;
	if ((r = socket_listen(&l->fd, err)) != 0)
		goto out;
	*out = l;
	l = NULL;
	r = 0;
out:
	tb_tls_listener_free(l);
	return r;
}

void
tb_tls_listener_close(tb_tls_listener *l)
{
	if (l != NULL && l->fd != -1) {
		close(l->fd);
		l->fd = -1;
	}
}

void
tb_tls_listener_free(tb_tls_listener *l)
{
	if (l == NULL)
		return;
	tb_tls_listener_close(l);
	SSL_CTX_free(l->ctx);
	free(l->address);
	free(l);
}

int
tb_tls_listener_fd(const tb_tls_listener *l)
{
	return l->fd;
}

const char *
tb_tls_listener_address(const tb_tls_listener *l)
{
	return l->address;
}

tb_tls_conn *
tb_tls_conn_new(tb_tls_listener *l, int fd)
{
	tb_tls_conn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ssl = SSL_new(l->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		ERR_clear_error();
		tb_tls_conn_free(t);
		return NULL;
	}
	SSL_set_accept_state(t->ssl);
	/* The one clock: validity of client certificates and CRLs as tb_clock says. */
	X509_VERIFY_PARAM_set_time(SSL_get0_param(t->ssl), tb_clock_now());
	return t;
}

void
tb_tls_conn_free(tb_tls_conn *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* One try at close_notify; SIGPIPE is ignored process-wide by tanbad. */
		if (SSL_is_init_finished(t->ssl))
			(void)SSL_shutdown(t->ssl);
		ERR_clear_error();
		SSL_free(t->ssl);
	}
	free(t);
}

int
tb_tls_conn_handshake(tb_tls_conn *t, tb_error *err)
{
	long vr;
	int rc, e;

	ERR_clear_error();
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		/* SSL_VERIFY_FAIL_IF_NO_PEER_CERT already enforces both; kept explicit. */
		if (SSL_get0_peer_certificate(t->ssl) == NULL ||
		    SSL_get_verify_result(t->ssl) != X509_V_OK)
			return tb_error_set(err, TB_ERR_FORBIDDEN, "no verified client certificate");
		return 0;
	}
	e = SSL_get_error(t->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		ERR_clear_error();
		return TB_TLS_WANT_READ;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return TB_TLS_WANT_WRITE;
	}
	vr = SSL_get_verify_result(t->ssl);
	if (vr != X509_V_OK) {
		ERR_clear_error();
		return tb_error_set(err, TB_ERR_FORBIDDEN, "client certificate: %s",
		    X509_verify_cert_error_string(vr));
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return tb_error_set(err, TB_ERR_IO, "handshake: peer went away");
	/* No certificate, TLS 1.2, a bad Finished: the peer is refused, with OpenSSL's why. */
	return tb_error_set_ossl(err, TB_ERR_FORBIDDEN, "handshake");
}

int
tb_tls_conn_identity(tb_tls_conn *t, char *subject, size_t subject_len,
    unsigned char sha256[32])
{
	int r = TB_ERR_INTERNAL;
	X509 *x = SSL_get0_peer_certificate(t->ssl);
	unsigned int mdlen = 0;
	BIO *bio = NULL;
	char *text;
	long n;

	if (x == NULL)
		return TB_ERR_FORBIDDEN;
	/* The same text `openssl x509 -noout -subject -nameopt RFC2253` prints. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0 ||
	    X509_digest(x, EVP_sha256(), sha256, &mdlen) != 1 || mdlen != 32) {
		r = TB_ERR_CRYPTO;
		goto out;
	}
	n = BIO_get_mem_data(bio, &text);
	if (n < 0 || (size_t)n >= subject_len) {
		r = TB_ERR_TOO_LARGE;
		goto out;
	}
	memcpy(subject, text, (size_t)n);
	subject[n] = '\0';
	r = 0;
out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

/* Sorts a failed SSL_read/SSL_write into recv(2)-style errno. */
static ssize_t
io_fail(tb_tls_conn *t, int rc)
{
	int e = SSL_get_error(t->ssl, rc);

	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN)
		return 0;
	errno = ECONNRESET;
	return -1;
}

ssize_t
tb_tls_conn_read(tb_tls_conn *t, void *buf, size_t len)
{
	int rc;

	ERR_clear_error();
	rc = SSL_read(t->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (rc > 0)
		return rc;
	return io_fail(t, rc);
}

ssize_t
tb_tls_conn_write(tb_tls_conn *t, const void *buf, size_t len)
{
	ssize_t n;
	int rc;

	ERR_clear_error();
	rc = SSL_write(t->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (rc > 0)
		return rc;
	n = io_fail(t, rc);
	if (n == 0) {
		/* A write after the peer's close_notify: the connection is over. */
		errno = ECONNRESET;
		return -1;
	}
	return n;
}
