/*
 * A tiny OCSP responder for tests (RFC 6960 over HTTP/1.0, RFC 6960 A.1)
 * that answers from the test PKI's index and signs through the responder
 * key's tp_alg row, so that it can sign with the Kazakh GOST OIDs, which
 * `openssl ocsp` cannot. It listens on 127.0.0.1 only, serves one request
 * at a time and always ends: after --max-requests, --max-seconds or SIGTERM.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "sigalg.h"
#include "tb_clock.h"
#include "testpki.h"

#define MAX_HEAD 16384
#define MAX_BODY 65536
#define IO_TIMEOUT_SEC 5
#define OID_OCSP_BASIC "1.3.6.1.5.5.7.48.1.1"

/* OCSPResponseStatus (RFC 6960 4.2.1). */
enum { ST_SUCCESSFUL = 0, ST_MALFORMED = 1, ST_INTERNAL = 2 };

typedef struct srv {
	const tp_ocsp_opts *o;
	X509 *ca, *root;	/* the issuers it answers for */
	X509 *rcert;
	EVP_PKEY *rkey;
	const tp_alg *ralg;
	char *ca_index, *root_index;
} srv;

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* ---- answering ---- */

static int
hash_with(const ASN1_OBJECT *hobj, const unsigned char *data, size_t len,
    unsigned char *md, unsigned int *md_len)
{
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_OBJECT *obj = OBJ_dup(hobj);
	int r = -1;

	if (alg != NULL && obj != NULL && X509_ALGOR_set0(alg, obj, V_ASN1_UNDEF, NULL) == 1) {
		obj = NULL;
		r = tb_sigalg_digest(alg, data, len, md, md_len, NULL);
	}
	ASN1_OBJECT_free(obj);
	X509_ALGOR_free(alg);
	return r;
}

/* 1 when the CertID's issuer hashes (in its own hash algorithm) are issuer's. */
static int
issuer_matches(X509 *issuer, const ASN1_OBJECT *hobj, const ASN1_OCTET_STRING *nhash,
    const ASN1_OCTET_STRING *khash)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int md_len = 0;
	const ASN1_BIT_STRING *key;
	int len, ok;

	if (issuer == NULL || (len = i2d_X509_NAME(X509_get_subject_name(issuer), &der)) <= 0)
		return 0;
	ok = hash_with(hobj, der, (size_t)len, md, &md_len) == 0 &&
	    (int)md_len == ASN1_STRING_length(nhash) &&
	    memcmp(md, ASN1_STRING_get0_data(nhash), md_len) == 0;
	OPENSSL_free(der);
	/* RFC 6960 4.1.1: the hash of the key's BIT STRING value (X509_get0_pubkey_bitstr). */
	if (!ok || (key = X509_get0_pubkey_bitstr(issuer)) == NULL)
		return 0;
	return hash_with(hobj, ASN1_STRING_get0_data(key), (size_t)ASN1_STRING_length(key),
	    md, &md_len) == 0 && (int)md_len == ASN1_STRING_length(khash) &&
	    memcmp(md, ASN1_STRING_get0_data(khash), md_len) == 0;
}

/* certStatus of one CertID into d; what it said goes to the log line. */
static int
put_status(srv *s, OCSP_CERTID *cid, tp_der *d, const char **said, tb_error *err)
{
	static const unsigned char good[] = { 0x80, 0x00 }, unknown[] = { 0x82, 0x00 };
	ASN1_OCTET_STRING *nhash = NULL, *khash = NULL;
	ASN1_OBJECT *hobj = NULL;
	ASN1_INTEGER *serial = NULL;
	const char *index = NULL;
	tp_index *ix = NULL;
	tp_index_entry *e;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	tp_der rev;
	int r = 0;

	tp_der_init(&rev);
	*said = "unknown";
	if (OCSP_id_get0_info(&nhash, &hobj, &khash, &serial, cid) != 1)
		goto unknown;
	if (issuer_matches(s->ca, hobj, nhash, khash))
		index = s->ca_index;
	else if (issuer_matches(s->root, hobj, nhash, khash))
		index = s->root_index;
	if (index == NULL || (bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto unknown;
	/* Read at every request: revocations made while serving count at once. */
	if ((r = tp_index_load(index, &ix, err)) != 0)
		goto out;
	if ((e = tp_index_find(ix, BN_is_zero(bn) ? "00" : hex)) == NULL)
		goto unknown;
	if (e->status != 'R') {
		*said = "good";
		tp_der_put(d, good, sizeof(good));
		goto out;
	}
	/* revoked [1] IMPLICIT RevokedInfo { revocationTime, [0] EXPLICIT CRLReason } */
	*said = "revoked";
	if ((r = tp_der_put_time(&rev, e->revoked, 1, err)) != 0)
		goto out;
	if (e->reason != TP_REASON_NONE) {
		unsigned char en[] = { 0xa0, 0x03, 0x0a, 0x01, (unsigned char)e->reason };

		tp_der_put(&rev, en, sizeof(en));
	}
	tp_der_wrap(&rev, 0xa1);
	tp_der_put(d, rev.p, rev.len);
	goto out;
unknown:
	tp_der_put(d, unknown, sizeof(unknown));
out:
	tp_der_release(&rev);
	tp_index_free(ix);
	OPENSSL_free(hex);
	BN_free(bn);
	return r;
}

/* A response carrying only a status (RFC 6960 4.2.1: no responseBytes). */
static void
status_only(tp_der *out, int status)
{
	unsigned char b[] = { 0x30, 0x03, 0x0a, 0x01, (unsigned char)status };

	tp_der_init(out);
	tp_der_put(out, b, sizeof(b));
}

/* Builds the OCSPResponse for the DER request req into out. */
static int
respond(srv *s, const unsigned char *req, size_t req_len, tp_der *out, tb_error *err)
{
	const unsigned char *p = req;
	OCSP_REQUEST *rq = NULL;
	OCSP_CERTID *cid;
	X509_EXTENSION *nonce;
	tp_der tbs, list, one, basic, tail;
	unsigned char *der = NULL;
	const char *said;
	time_t now = tb_clock_now();
	int i, n, len, idx, r = 0;

	tp_der_init(&tbs);
	tp_der_init(&list);
	tp_der_init(&one);
	tp_der_init(&basic);
	tp_der_init(&tail);
	if ((rq = d2i_OCSP_REQUEST(NULL, &p, (long)req_len)) == NULL ||
	    (n = OCSP_request_onereq_count(rq)) <= 0) {
		fprintf(stderr, "tanba-testpki ocsp-respond: malformed request\n");
		status_only(out, ST_MALFORMED);
		goto out;
	}
	/* ResponseData: responderID byName [1] (as the NCA's responder), producedAt. */
	if ((len = i2d_X509_NAME(X509_get_subject_name(s->rcert), &der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "responder name");
		goto out;
	}
	tp_der_put_hdr(&tbs, 0xa1, (size_t)len);
	tp_der_put(&tbs, der, (size_t)len);
	if ((r = tp_der_put_time(&tbs, now, 1, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(rq, i));
		OPENSSL_free(der);
		der = NULL;
		/* The CertID goes back exactly as it came. */
		if ((len = i2d_OCSP_CERTID(cid, &der)) <= 0) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "CertID");
			goto out;
		}
		tp_der_put(&one, der, (size_t)len);
		if ((r = put_status(s, cid, &one, &said, err)) != 0 ||
		    (r = tp_der_put_time(&one, now, 1, err)) != 0)
			goto out;
		{
			tp_der nu;

			tp_der_init(&nu);
			r = tp_der_put_time(&nu, now + (time_t)s->o->valid_minutes * 60, 1, err);
			tp_der_wrap(&nu, 0xa0);
			tp_der_put(&one, nu.p, nu.len);
			tp_der_release(&nu);
			if (r != 0)
				goto out;
		}
		tp_der_wrap(&one, 0x30);
		tp_der_put(&list, one.p, one.len);
		tp_der_release(&one);
		{
			ASN1_INTEGER *serial = NULL;
			BIGNUM *bn = NULL;
			char *hex = NULL;

			if (OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid) == 1 &&
			    (bn = ASN1_INTEGER_to_BN(serial, NULL)) != NULL)
				hex = BN_bn2hex(bn);
			fprintf(stderr, "tanba-testpki ocsp-respond: %s %s\n",
			    hex != NULL ? hex : "?", said);
			OPENSSL_free(hex);
			BN_free(bn);
		}
	}
	tp_der_wrap(&list, 0x30);
	tp_der_put(&tbs, list.p, list.len);
	/* responseExtensions [1]: the nonce echoed (RFC 6960 4.4.1). */
	if ((idx = OCSP_REQUEST_get_ext_by_NID(rq, NID_id_pkix_OCSP_Nonce, -1)) >= 0 &&
	    (nonce = OCSP_REQUEST_get_ext(rq, idx)) != NULL) {
		tp_der ext;

		OPENSSL_free(der);
		der = NULL;
		if ((len = i2d_X509_EXTENSION(nonce, &der)) <= 0) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "nonce");
			goto out;
		}
		tp_der_init(&ext);
		tp_der_put(&ext, der, (size_t)len);
		tp_der_wrap(&ext, 0x30);
		tp_der_wrap(&ext, 0xa1);
		tp_der_put(&tbs, ext.p, ext.len);
		tp_der_release(&ext);
	}
	tp_der_wrap(&tbs, 0x30);
	/* certs [0] EXPLICIT SEQUENCE OF Certificate: the delegated responder. */
	OPENSSL_free(der);
	der = NULL;
	if ((len = i2d_X509(s->rcert, &der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "responder certificate");
		goto out;
	}
	tp_der_put(&tail, der, (size_t)len);
	tp_der_wrap(&tail, 0x30);
	tp_der_wrap(&tail, 0xa0);
	if (tbs.oom || list.oom || one.oom || tail.oom) {
		r = tb_error_set(err, TB_ERR_NOMEM, "response");
		goto out;
	}
	if ((r = tp_der_signed_tail(s->ralg, s->rkey, tbs.p, tbs.len, tail.p, tail.len,
	    &basic, err)) != 0)
		goto out;
	/* OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING } } */
	tp_der_init(out);
	{
		static const unsigned char ok[] = { 0x0a, 0x01, ST_SUCCESSFUL };
		tp_der rb;

		tp_der_init(&rb);
		r = tp_der_put_oid(&rb, OID_OCSP_BASIC, err);
		tp_der_put_hdr(&rb, 0x04, basic.len);
		tp_der_put(&rb, basic.p, basic.len);
		tp_der_wrap(&rb, 0x30);
		tp_der_wrap(&rb, 0xa0);
		tp_der_put(out, ok, sizeof(ok));
		tp_der_put(out, rb.p, rb.len);
		tp_der_wrap(out, 0x30);
		if (rb.oom || out->oom)
			r = tb_error_set(err, TB_ERR_NOMEM, "response");
		tp_der_release(&rb);
		if (r != 0)
			tp_der_release(out);
	}
out:
	OPENSSL_free(der);
	OCSP_REQUEST_free(rq);
	tp_der_release(&tbs);
	tp_der_release(&list);
	tp_der_release(&one);
	tp_der_release(&basic);
	tp_der_release(&tail);
	return r;
}

/* ---- HTTP/1.0 ---- */

static int
send_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = send(fd, p, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void
http_reply(int fd, int code, const char *reason, const tp_der *body)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.0 %d %s\r\nContent-Type: "
	    "application/ocsp-response\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
	    code, reason, body != NULL ? body->len : 0);
	if (send_all(fd, head, (size_t)n) == 0 && body != NULL)
		(void)send_all(fd, body->p, body->len);
}

/* RFC 6960 A.1 GET: the path's last segment is the URL-encoded base64 request. */
static int
decode_get(const char *path, unsigned char **out, size_t *out_len)
{
	const char *seg = strrchr(path, '/');
	size_t n, i, j = 0;
	char *b64;
	unsigned char *bin;
	int len, pad = 0;

	seg = seg != NULL ? seg + 1 : path;
	n = strlen(seg);
	if (n == 0 || (b64 = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (seg[i] == '%' && i + 2 < n &&
		    (hi = OPENSSL_hexchar2int((unsigned char)seg[i + 1])) >= 0 &&
		    (lo = OPENSSL_hexchar2int((unsigned char)seg[i + 2])) >= 0) {
			b64[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			b64[j++] = seg[i];
	}
	b64[j] = '\0';
	if (j % 4 != 0 || (bin = malloc(j / 4 * 3 + 1)) == NULL) {
		free(b64);
		return -1;
	}
	while (pad < 2 && j > (size_t)pad && b64[j - 1 - pad] == '=')
		pad++;
	len = EVP_DecodeBlock(bin, (unsigned char *)b64, (int)j);
	free(b64);
	if (len < pad) {
		free(bin);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as data bytes. */
	*out = bin;
	*out_len = (size_t)(len - pad);
	return 0;
}

/* Reads one request from fd and answers it. */
static void
serve_one(srv *s, int fd)
{
	char *buf = NULL, *end, *line_end, *cl, method[8], path[MAX_HEAD];
	size_t have = 0, head_len, body_len = 0, total;
	unsigned char *body = NULL, *get_body = NULL;
	ssize_t got;
	tp_der resp;
	tb_error err;

	tp_der_init(&resp);
	tb_error_clear(&err);
	if ((buf = malloc(MAX_HEAD + MAX_BODY + 1)) == NULL)
		goto out;
	/* The header, up to the empty line. */
	for (;;) {
		if (have >= MAX_HEAD) {
			http_reply(fd, 400, "Bad Request", NULL);
			goto out;
		}
		if ((got = recv(fd, buf + have, MAX_HEAD - have, 0)) <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			goto out;
		}
		have += (size_t)got;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	head_len = (size_t)(end - buf) + 4;
	if ((line_end = strstr(buf, "\r\n")) == NULL ||
	    sscanf(buf, "%7s %16383s", method, path) != 2) {
		http_reply(fd, 400, "Bad Request", NULL);
		goto out;
	}
	if (strcmp(method, "POST") == 0) {
		unsigned long v;

		*end = '\0';
		for (cl = line_end; (cl = strchr(cl, '\n')) != NULL; cl++)
			if (strncasecmp(cl + 1, "Content-Length:", 15) == 0)
				break;
		if (cl == NULL || (v = strtoul(cl + 16, NULL, 10)) == 0 || v > MAX_BODY) {
			http_reply(fd, 411, "Length Required", NULL);
			goto out;
		}
		body_len = v;
		total = head_len + body_len;
		while (have < total) {
			if ((got = recv(fd, buf + have, total - have, 0)) <= 0) {
				if (got < 0 && errno == EINTR)
					continue;
				goto out;
			}
			have += (size_t)got;
		}
		body = (unsigned char *)buf + head_len;
	} else if (strcmp(method, "GET") == 0) {
		if (decode_get(path, &get_body, &body_len) != 0) {
			status_only(&resp, ST_MALFORMED);
			http_reply(fd, 200, "OK", &resp);
			goto out;
		}
		body = get_body;
	} else {
		http_reply(fd, 405, "Method Not Allowed", NULL);
		goto out;
	}
	if (respond(s, body, body_len, &resp, &err) != 0) {
		fprintf(stderr, "tanba-testpki ocsp-respond: %s\n", err.detail);
		status_only(&resp, ST_INTERNAL);
	}
	http_reply(fd, 200, "OK", &resp);
out:
	tp_der_release(&resp);
	free(get_body);
	free(buf);
}

static int
listen_on(unsigned long port, unsigned long *bound, tb_error *err)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	/* Loopback only: a test responder must not be reachable from elsewhere. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		tb_error_set(err, TB_ERR_IO, "127.0.0.1:%lu: %s", port, strerror(errno));
		close(fd);
		return -TB_ERR_IO;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

static int
write_port(const char *path, unsigned long port, tb_error *err)
{
	char tmp[4096];
	FILE *f;

	/* Written whole, then renamed: a reader never sees half a number. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
	fprintf(f, "%lu\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	return 0;
}

int
tp_ocsp_serve(const tp_ocsp_opts *o, tb_error *err)
{
	srv s;
	char *path = NULL;
	struct sigaction sa;
	struct timeval tv = { IO_TIMEOUT_SEC, 0 };
	unsigned long served = 0, bound = 0;
	time_t deadline;
	int lfd = -1, cfd, r = TB_ERR_NOMEM;

	memset(&s, 0, sizeof(s));
	s.o = o;
	if ((path = tp_path(o->dir, "ca.pem")) == NULL ||
	    (r = tb_cert_read_file(path, &s.ca, err)) != 0)
		goto out;
	free(path);
	/* The root is optional: it answers for the CA certificate too when there. */
	if ((path = tp_path(o->dir, "root.pem")) == NULL) {
		r = TB_ERR_NOMEM;
		goto out;
	}
	if (access(path, R_OK) == 0 && (r = tb_cert_read_file(path, &s.root, err)) != 0)
		goto out;
	free(path);
	path = NULL;
	if ((s.ca_index = tp_path(o->dir, "index.txt")) == NULL ||
	    (s.root_index = tp_path(o->dir, "root-index.txt")) == NULL) {
		r = TB_ERR_NOMEM;
		goto out;
	}
	{
		char *rc = o->rsigner != NULL ? NULL : tp_path(o->dir, "ocsp.pem");
		char *rk = o->rkey != NULL ? NULL : tp_path(o->dir, "ocsp.key");

		r = TB_ERR_NOMEM;
		if ((o->rsigner == NULL && rc == NULL) || (o->rkey == NULL && rk == NULL) ||
		    (r = tb_cert_read_file(o->rsigner != NULL ? o->rsigner : rc, &s.rcert, err)) != 0 ||
		    (r = tp_read_key(o->rkey != NULL ? o->rkey : rk, &s.rkey, err)) != 0) {
			free(rc);
			free(rk);
			goto out;
		}
		free(rc);
		free(rk);
	}
	if ((s.ralg = tp_alg_for_key(s.rkey)) == NULL) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "no signer for the responder key");
		goto out;
	}
	if ((lfd = listen_on(o->port, &bound, err)) < 0) {
		r = -lfd;
		goto out;
	}
	if (o->port_file != NULL && (r = write_port(o->port_file, bound, err)) != 0)
		goto out;
	printf("listening on 127.0.0.1:%lu\n", bound);
	fflush(stdout);

	/* No SA_RESTART: poll returns at once on SIGTERM. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	/* The deadline is wall time, not tb_clock: --at must not stop a responder. */
	deadline = time(NULL) + (time_t)o->max_seconds;
	while (!stop_flag && (o->max_requests == 0 || served < o->max_requests)) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		time_t left = deadline - time(NULL);
		int pr;

		if (left <= 0)
			break;
		pr = poll(&pfd, 1, (int)(left > 1 ? 1000 : left * 1000));
		if (pr < 0 && errno != EINTR) {
			r = tb_error_set(err, TB_ERR_IO, "poll: %s", strerror(errno));
			goto out;
		}
		if (pr <= 0)
			continue;
		if ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		/* A client that stalls must not hold the responder. */
		(void)setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		serve_one(&s, cfd);
		close(cfd);
		served++;
	}
	r = 0;
out:
	if (lfd >= 0)
		close(lfd);
	free(path);
	free(s.ca_index);
	free(s.root_index);
	X509_free(s.ca);
	X509_free(s.root);
	X509_free(s.rcert);
	EVP_PKEY_free(s.rkey);
	return r;
}
