/*
 * Encoding and checking of the front <-> signer records (signchan.h).
 * Integers are big-endian at fixed offsets; strings sit in fixed slots and
 * must end with a NUL inside their slot and hold no control character.
 * Every length is checked against the record's size before it is used.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "signchan.h"

#define REQ_MAGIC 0x54425331u	/* "TBS1" */
#define ANS_MAGIC 0x54424131u	/* "TBA1" */

/* Request layout (offsets). */
enum {
	RQ_MAGIC = 0, RQ_TYPE = 4, RQ_ID = 8, RQ_UID = 16, RQ_GID = 20, RQ_PID = 24,
	RQ_MD = 28, RQ_RESULT = 32, RQ_DLEN = 36, RQ_INDEX = 40, RQ_TLS = 44,
	RQ_CLIENT = 48, RQ_KEY = 112, RQ_DIGEST = 176, RQ_OP = 240, RQ_DOC = 256,
	RQ_DETAIL = 400, RQ_CERT = 784, RQ_TLS_SHA = 816, RQ_TLS_SUBJECT = 848,
	RQ_DETACHED = 1360, RQ_CONN = 1364, RQ_FORM = 1372, RQ_URI = 1384,
	RQ_TS_ID = 1512, RQ_TTL = 1576, RQ_END = 1580
};
/* Answer layout. */
enum {
	AN_MAGIC = 0, AN_TYPE = 4, AN_ID = 8, AN_STATUS = 16, AN_PLEN = 20, AN_DETAIL = 24,
	AN_PAYLOAD = 408
};

_Static_assert(RQ_END == TB_SC_REQ_SIZE, "request size");
_Static_assert(AN_PAYLOAD == TB_SC_ANS_HEAD, "answer header size");
_Static_assert(RQ_DIGEST + EVP_MAX_MD_SIZE == RQ_OP, "digest slot");
_Static_assert(RQ_DOC + TB_SC_DOC_MAX == RQ_DETAIL, "doc slot");
_Static_assert(RQ_TLS_SUBJECT + TB_SC_SUBJECT_MAX == RQ_DETACHED, "subject slot");
_Static_assert(RQ_URI + TB_SC_URI_MAX == RQ_TS_ID, "uri slot");
_Static_assert(RQ_TS_ID + TB_SC_ID_MAX == RQ_TTL, "timestamp id slot");

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void
tb_sc_strset(char *dst, size_t room, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n >= room)
		n = room - 1;
	memset(dst, 0, room);
	/* Text may come from a client: a control character would void the record. */
	for (i = 0; i < n; i++)
		dst[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
}

/* A slot holds a NUL-terminated string of printable bytes (UTF-8 allowed). */
static int
str_get(const unsigned char *p, size_t room, char *dst, const char *field, tb_error *err)
{
	size_t i;

	for (i = 0; i < room && p[i] != '\0'; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return tb_error_set(err, TB_ERR_MALFORMED, "%s: control character", field);
	if (i == room)
		return tb_error_set(err, TB_ERR_MALFORMED, "%s: not terminated", field);
	memcpy(dst, p, i);
	memset(dst + i, 0, room - i);
	return 0;
}

void
tb_sc_req_encode(const tb_sc_req *req, unsigned char buf[TB_SC_REQ_SIZE])
{
	size_t dlen = req->digest_len <= EVP_MAX_MD_SIZE ? req->digest_len : 0;

	memset(buf, 0, TB_SC_REQ_SIZE);
	put32(buf + RQ_MAGIC, REQ_MAGIC);
	put32(buf + RQ_TYPE, req->type);
	put64(buf + RQ_ID, req->id);
	put32(buf + RQ_UID, req->uid);
	put32(buf + RQ_GID, req->gid);
	put32(buf + RQ_PID, (uint32_t)req->pid);
	put32(buf + RQ_MD, (uint32_t)req->md_nid);
	put32(buf + RQ_RESULT, (uint32_t)req->result);
	put32(buf + RQ_DLEN, (uint32_t)dlen);
	put32(buf + RQ_INDEX, req->index);
	memcpy(buf + RQ_DIGEST, req->digest, dlen);
	tb_sc_strset((char *)buf + RQ_CLIENT, TB_SC_NAME_MAX, req->client);
	tb_sc_strset((char *)buf + RQ_KEY, TB_SC_NAME_MAX, req->key);
	tb_sc_strset((char *)buf + RQ_OP, TB_SC_OP_MAX, req->op);
	tb_sc_strset((char *)buf + RQ_DOC, TB_SC_DOC_MAX, req->doc);
	tb_sc_strset((char *)buf + RQ_DETAIL, TB_SC_DETAIL_MAX, req->detail);
	memcpy(buf + RQ_CERT, req->cert_sha256, sizeof(req->cert_sha256));
	put32(buf + RQ_TLS, req->tls != 0);
	memcpy(buf + RQ_TLS_SHA, req->tls_sha256, sizeof(req->tls_sha256));
	tb_sc_strset((char *)buf + RQ_TLS_SUBJECT, TB_SC_SUBJECT_MAX, req->tls_subject);
	put32(buf + RQ_DETACHED, req->detached != 0);
	put64(buf + RQ_CONN, req->conn);
	put32(buf + RQ_FORM, req->form);
	tb_sc_strset((char *)buf + RQ_URI, TB_SC_URI_MAX, req->uri);
	tb_sc_strset((char *)buf + RQ_TS_ID, TB_SC_ID_MAX, req->ts_id);
	put32(buf + RQ_TTL, req->ttl);
}

/* The fixed head of every request; a SIGN_BATCH head only with batch set. */
static int
req_head_decode(const unsigned char *buf, size_t len, int batch, tb_sc_req *req, tb_error *err)
{
	tb_sc_req q;
	int r;

	if (len != TB_SC_REQ_SIZE)
		return tb_error_set(err, TB_ERR_MALFORMED, "request of %zu bytes, not %d", len,
		    TB_SC_REQ_SIZE);
	if (get32(buf + RQ_MAGIC) != REQ_MAGIC)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: bad magic");
	memset(&q, 0, sizeof(q));
	q.type = get32(buf + RQ_TYPE);
	if (batch ? q.type != TB_SC_SIGN_BATCH : (q.type < TB_SC_SIGN || q.type > TB_SC_DISCONNECT))
		return tb_error_set(err, TB_ERR_MALFORMED, "request: unknown type %u", q.type);
	q.id = get64(buf + RQ_ID);
	q.uid = get32(buf + RQ_UID);
	q.gid = get32(buf + RQ_GID);
	q.pid = (int32_t)get32(buf + RQ_PID);
	q.md_nid = (int32_t)get32(buf + RQ_MD);
	q.result = (int32_t)get32(buf + RQ_RESULT);
	q.digest_len = get32(buf + RQ_DLEN);
	q.index = get32(buf + RQ_INDEX);
	if (q.digest_len > EVP_MAX_MD_SIZE)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: digest of %u bytes",
		    q.digest_len);
	if (q.result > 0 || q.result <= TB_ERR_LAST)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: result %d", q.result);
	memcpy(q.digest, buf + RQ_DIGEST, q.digest_len);
	memcpy(q.cert_sha256, buf + RQ_CERT, sizeof(q.cert_sha256));
	if ((q.tls = get32(buf + RQ_TLS)) > 1)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: tls %u", q.tls);
	memcpy(q.tls_sha256, buf + RQ_TLS_SHA, sizeof(q.tls_sha256));
	if ((q.detached = get32(buf + RQ_DETACHED)) > 1)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: detached %u", q.detached);
	q.conn = get64(buf + RQ_CONN);
	if ((q.form = get32(buf + RQ_FORM)) > TB_SC_FORM_WSSE)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: form %u", q.form);
	/* A counter-signature or SignedInfo has no content of its own to carry or leave out. */
	if (q.form != TB_SC_FORM_CMS && q.detached)
		return tb_error_set(err, TB_ERR_MALFORMED, "request: form %u and detached",
		    q.form);
	if ((r = str_get(buf + RQ_TLS_SUBJECT, TB_SC_SUBJECT_MAX, q.tls_subject, "tls subject",
	    err)) != 0)
		return r;
	if ((r = str_get(buf + RQ_CLIENT, TB_SC_NAME_MAX, q.client, "client", err)) != 0 ||
	    (r = str_get(buf + RQ_KEY, TB_SC_NAME_MAX, q.key, "key", err)) != 0 ||
	    (r = str_get(buf + RQ_OP, TB_SC_OP_MAX, q.op, "op", err)) != 0 ||
	    (r = str_get(buf + RQ_DOC, TB_SC_DOC_MAX, q.doc, "doc", err)) != 0 ||
	    (r = str_get(buf + RQ_DETAIL, TB_SC_DETAIL_MAX, q.detail, "detail", err)) != 0 ||
	    (r = str_get(buf + RQ_URI, TB_SC_URI_MAX, q.uri, "uri", err)) != 0 ||
	    (r = str_get(buf + RQ_TS_ID, TB_SC_ID_MAX, q.ts_id, "ts_id", err)) != 0)
		return r;
	q.ttl = get32(buf + RQ_TTL);
	/*
	 * Only a SignedInfo has a reference to name. A second reference
	 * (ts_id, ttl) on an enveloped one is the signer's to refuse, on the
	 * record (signer_proc.c).
	 */
	if (q.form != TB_SC_FORM_XML && q.form != TB_SC_FORM_WSSE &&
	    (q.uri[0] != '\0' || q.ts_id[0] != '\0' || q.ttl != 0))
		return tb_error_set(err, TB_ERR_MALFORMED, "request: uri, ts_id or ttl with form %u",
		    q.form);
	*req = q;
	return 0;
}

int
tb_sc_req_decode(const unsigned char *buf, size_t len, tb_sc_req *req, tb_error *err)
{
	return req_head_decode(buf, len, 0, req, err);
}

size_t
tb_sc_ans_encode(const tb_sc_ans *ans, unsigned char *buf)
{
	size_t plen = ans->payload_len <= TB_SC_PAYLOAD_MAX ? ans->payload_len : 0;

	memset(buf, 0, TB_SC_ANS_HEAD);
	put32(buf + AN_MAGIC, ANS_MAGIC);
	put32(buf + AN_TYPE, ans->type);
	put64(buf + AN_ID, ans->id);
	put32(buf + AN_STATUS, (uint32_t)ans->status);
	put32(buf + AN_PLEN, (uint32_t)plen);
	tb_sc_strset((char *)buf + AN_DETAIL, TB_SC_DETAIL_MAX, ans->detail);
	memcpy(buf + AN_PAYLOAD, ans->payload, plen);
	return TB_SC_ANS_HEAD + plen;
}

int
tb_sc_ans_decode(const unsigned char *buf, size_t len, tb_sc_ans *ans, tb_error *err)
{
	uint32_t plen;
	int32_t status;
	int r;

	if (len < TB_SC_ANS_HEAD || len > TB_SC_ANS_MAX)
		return tb_error_set(err, TB_ERR_MALFORMED, "answer of %zu bytes", len);
	if (get32(buf + AN_MAGIC) != ANS_MAGIC)
		return tb_error_set(err, TB_ERR_MALFORMED, "answer: bad magic");
	plen = get32(buf + AN_PLEN);
	if (plen != len - TB_SC_ANS_HEAD)
		return tb_error_set(err, TB_ERR_MALFORMED, "answer: payload length %u in %zu bytes",
		    plen, len);
	status = (int32_t)get32(buf + AN_STATUS);
	if (status > 0 || status <= TB_ERR_LAST)
		return tb_error_set(err, TB_ERR_MALFORMED, "answer: status %d", status);
	if ((r = str_get(buf + AN_DETAIL, TB_SC_DETAIL_MAX, ans->detail, "detail", err)) != 0)
		return r;
	ans->type = get32(buf + AN_TYPE);
	ans->id = get64(buf + AN_ID);
	ans->status = status;
	ans->payload_len = plen;
	memcpy(ans->payload, buf + AN_PAYLOAD, plen);
	return 0;
}

/* DESCRIBE payload: count, type, md_nid, name[64], cert_len, chain_len, cert, chain. */
#define KI_HEAD (4 + 4 + 4 + TB_SC_NAME_MAX + 4 + 4)

int
tb_sc_keyinfo_encode(const tb_sc_keyinfo *ki, tb_sc_ans *ans, tb_error *err)
{
	unsigned char *p = ans->payload;

	if (ki->cert_len > TB_SC_PAYLOAD_MAX - KI_HEAD ||
	    ki->chain_len > TB_SC_PAYLOAD_MAX - KI_HEAD - ki->cert_len)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "key %s: certificates over %d bytes",
		    ki->name, TB_SC_PAYLOAD_MAX - KI_HEAD);
	put32(p, ki->count);
	put32(p + 4, (uint32_t)ki->key_type);
	put32(p + 8, (uint32_t)ki->md_nid);
	tb_sc_strset((char *)p + 12, TB_SC_NAME_MAX, ki->name);
	put32(p + 12 + TB_SC_NAME_MAX, (uint32_t)ki->cert_len);
	put32(p + 16 + TB_SC_NAME_MAX, (uint32_t)ki->chain_len);
	if (ki->cert_len > 0)
		memcpy(p + KI_HEAD, ki->cert, ki->cert_len);
	if (ki->chain_len > 0)
		memcpy(p + KI_HEAD + ki->cert_len, ki->chain, ki->chain_len);
	ans->payload_len = (uint32_t)(KI_HEAD + ki->cert_len + ki->chain_len);
	return 0;
}

int
tb_sc_keyinfo_decode(const tb_sc_ans *ans, tb_sc_keyinfo *ki, tb_error *err)
{
	const unsigned char *p = ans->payload;
	size_t cl, hl;
	int r;

	if (ans->payload_len < KI_HEAD)
		return tb_error_set(err, TB_ERR_MALFORMED, "key description: short");
	cl = get32(p + 12 + TB_SC_NAME_MAX);
	hl = get32(p + 16 + TB_SC_NAME_MAX);
	if (cl > ans->payload_len - KI_HEAD || hl != ans->payload_len - KI_HEAD - cl)
		return tb_error_set(err, TB_ERR_MALFORMED, "key description: lengths");
	if ((r = str_get(p + 12, TB_SC_NAME_MAX, ki->name, "key name", err)) != 0)
		return r;
	ki->count = get32(p);
	ki->key_type = (int32_t)get32(p + 4);
	ki->md_nid = (int32_t)get32(p + 8);
	ki->cert = cl > 0 ? p + KI_HEAD : NULL;
	ki->cert_len = cl;
	ki->chain = hl > 0 ? p + KI_HEAD + cl : NULL;
	ki->chain_len = hl;
	return 0;
}

/* SIGN payload: signing time, attrs_len, sig_len, attrs, sig. */
#define SD_HEAD (8 + 4 + 4)

int
tb_sc_signed_encode(const tb_sc_signed *sd, tb_sc_ans *ans, tb_error *err)
{
	unsigned char *p = ans->payload;

	if (sd->attrs_len > TB_SC_PAYLOAD_MAX - SD_HEAD ||
	    sd->sig_len > TB_SC_PAYLOAD_MAX - SD_HEAD - sd->attrs_len)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "signed attributes and signature "
		    "over %d bytes", TB_SC_PAYLOAD_MAX - SD_HEAD);
	put64(p, (uint64_t)sd->signing_time);
	put32(p + 8, (uint32_t)sd->attrs_len);
	put32(p + 12, (uint32_t)sd->sig_len);
	memcpy(p + SD_HEAD, sd->attrs, sd->attrs_len);
	memcpy(p + SD_HEAD + sd->attrs_len, sd->sig, sd->sig_len);
	ans->payload_len = (uint32_t)(SD_HEAD + sd->attrs_len + sd->sig_len);
	return 0;
}

int
tb_sc_signed_decode(const tb_sc_ans *ans, tb_sc_signed *sd, tb_error *err)
{
	const unsigned char *p = ans->payload;
	size_t al, sl;

	if (ans->payload_len < SD_HEAD)
		return tb_error_set(err, TB_ERR_MALFORMED, "signature: short");
	al = get32(p + 8);
	sl = get32(p + 12);
	if (al == 0 || sl == 0 || al > ans->payload_len - SD_HEAD ||
	    sl != ans->payload_len - SD_HEAD - al)
		return tb_error_set(err, TB_ERR_MALFORMED, "signature: lengths");
	sd->signing_time = (int64_t)get64(p);
	sd->attrs = p + SD_HEAD;
	sd->attrs_len = al;
	sd->sig = p + SD_HEAD + al;
	sd->sig_len = sl;
	return 0;
}

/* STATUS payload: pid, audit records, audit failed, audit error, ntokens, tokens. */
#define ST_HEAD (4 + 8 + 4 + TB_SC_DETAIL_MAX + 4)
#define TOK_SIZE (36 + 4 + 12 + 24)

void
tb_sc_status_encode(const tb_sc_status *st, tb_sc_ans *ans)
{
	unsigned char *p = ans->payload;
	uint32_t n = st->ntokens <= TB_SC_TOKENS_MAX ? st->ntokens : TB_SC_TOKENS_MAX, i;

	memset(p, 0, ST_HEAD + n * TOK_SIZE);
	put32(p, (uint32_t)st->pid);
	put64(p + 4, st->audit_records);
	put32(p + 12, (uint32_t)st->audit_failed);
	tb_sc_strset((char *)p + 16, TB_SC_DETAIL_MAX, st->audit_error);
	put32(p + 16 + TB_SC_DETAIL_MAX, n);
	for (i = 0; i < n; i++) {
		unsigned char *t = p + ST_HEAD + i * TOK_SIZE;
		const tb_sc_token *tk = &st->tokens[i];

		tb_sc_strset((char *)t, 36, tk->label);
		put32(t + 36, (uint32_t)tk->healthy);
		put32(t + 40, tk->sessions_max);
		put32(t + 44, tk->sessions_open);
		put32(t + 48, tk->sessions_busy);
		put64(t + 52, tk->signatures);
		put64(t + 60, tk->failures);
		put64(t + 68, tk->reconnects);
	}
	ans->payload_len = ST_HEAD + n * TOK_SIZE;
}

int
tb_sc_status_decode(const tb_sc_ans *ans, tb_sc_status *st, tb_error *err)
{
	const unsigned char *p = ans->payload;
	char label[36];
	uint32_t n, i;
	int r;

	if (ans->payload_len < ST_HEAD)
		return tb_error_set(err, TB_ERR_MALFORMED, "status: short");
	n = get32(p + 16 + TB_SC_DETAIL_MAX);
	if (n > TB_SC_TOKENS_MAX || ans->payload_len != ST_HEAD + n * TOK_SIZE)
		return tb_error_set(err, TB_ERR_MALFORMED, "status: %u tokens", n);
	memset(st, 0, sizeof(*st));
	if ((r = str_get(p + 16, TB_SC_DETAIL_MAX, st->audit_error, "audit error", err)) != 0)
		return r;
	st->pid = (int32_t)get32(p);
	st->audit_records = get64(p + 4);
	st->audit_failed = (int32_t)get32(p + 12);
	st->ntokens = n;
	for (i = 0; i < n; i++) {
		const unsigned char *t = p + ST_HEAD + i * TOK_SIZE;
		tb_sc_token *tk = &st->tokens[i];

		if ((r = str_get(t, sizeof(label), label, "token label", err)) != 0)
			return r;
		tb_sc_strset(tk->label, sizeof(tk->label), label);
		tk->healthy = (int32_t)get32(t + 36);
		tk->sessions_max = get32(t + 40);
		tk->sessions_open = get32(t + 44);
		tk->sessions_busy = get32(t + 48);
		tk->signatures = get64(t + 52);
		tk->failures = get64(t + 60);
		tk->reconnects = get64(t + 68);
	}
	return 0;
}

void
tb_sc_buffers(int sv[2])
{
	int size = 4 * TB_SC_ANS_MAX, i;

	for (i = 0; i < 2; i++) {
		(void)setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
		(void)setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
}

int
tb_sc_send(int fd, const unsigned char *buf, size_t len, tb_error *err)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)len)
		return tb_error_set(err, TB_ERR_IO, "signer channel: %s",
		    n == -1 ? strerror(errno) : "short send");
	return 0;
}

int
tb_sc_send_fd(int fd, const unsigned char *buf, size_t len, int pass_fd, tb_error *err)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	memset(&ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.room;
	m.msg_controllen = sizeof(ctl.room);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)len)
		return tb_error_set(err, TB_ERR_IO, "signer channel: %s",
		    n == -1 ? strerror(errno) : "short send");
	return 0;
}

ssize_t
tb_sc_recv(int fd, unsigned char *buf, size_t room, int *got_fd)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, room };
	struct msghdr m;
	struct cmsghdr *c;
	size_t i, nfd;
	int one;
	ssize_t n;

	*got_fd = -1;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.room;
	m.msg_controllen = sizeof(ctl.room);
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*got_fd == -1)
				*got_fd = one;
			else
				close(one);
		}
	}
	return n;
}

/* SIGN_BATCH request: the head, then magic, count, count x (md_nid, digest_len, digest). */
#define BATCH_MAGIC 0x54424231u	/* "TBB1" */

size_t
tb_sc_batch_encode(const tb_sc_req *head, const tb_sc_item *items, uint32_t n,
    unsigned char *buf)
{
	unsigned char *p = buf + TB_SC_REQ_SIZE + 8;
	uint32_t i, dlen;

	if (n == 0 || n > TB_SC_BATCH_MAX)
		return 0;
	tb_sc_req_encode(head, buf);
	put32(buf + TB_SC_REQ_SIZE, BATCH_MAGIC);
	put32(buf + TB_SC_REQ_SIZE + 4, n);
	for (i = 0; i < n; i++, p += TB_SC_BATCH_ITEM) {
		dlen = items[i].digest_len <= EVP_MAX_MD_SIZE ? items[i].digest_len : 0;
		memset(p, 0, TB_SC_BATCH_ITEM);
		put32(p, (uint32_t)items[i].md_nid);
		put32(p + 4, dlen);
		memcpy(p + 8, items[i].digest, dlen);
	}
	return TB_SC_REQ_SIZE + 8 + (size_t)n * TB_SC_BATCH_ITEM;
}

int
tb_sc_batch_decode(const unsigned char *buf, size_t len, tb_sc_req *head, tb_sc_item *items,
    uint32_t *n, tb_error *err)
{
	const unsigned char *p = buf + TB_SC_REQ_SIZE + 8;
	uint32_t count, i;
	int r;

	if (len < TB_SC_REQ_SIZE + 8 || len > TB_SC_BATCH_REQ_MAX)
		return tb_error_set(err, TB_ERR_MALFORMED, "batch of %zu bytes", len);
	if ((r = req_head_decode(buf, TB_SC_REQ_SIZE, 1, head, err)) != 0)
		return r;
	if (get32(buf + TB_SC_REQ_SIZE) != BATCH_MAGIC)
		return tb_error_set(err, TB_ERR_MALFORMED, "batch: bad magic");
	count = get32(buf + TB_SC_REQ_SIZE + 4);
	if (count == 0 || count > TB_SC_BATCH_MAX ||
	    len != TB_SC_REQ_SIZE + 8 + (size_t)count * TB_SC_BATCH_ITEM)
		return tb_error_set(err, TB_ERR_MALFORMED, "batch: %u items in %zu bytes", count,
		    len);
	for (i = 0; i < count; i++, p += TB_SC_BATCH_ITEM) {
		items[i].md_nid = (int32_t)get32(p);
		if ((items[i].digest_len = get32(p + 4)) > EVP_MAX_MD_SIZE)
			return tb_error_set(err, TB_ERR_MALFORMED, "batch item %u: digest of %u "
			    "bytes", i, items[i].digest_len);
		memcpy(items[i].digest, p + 8, EVP_MAX_MD_SIZE);
	}
	*n = count;
	return 0;
}

/*
 * SIGN_BATCH answer payload: count, then per item index, status, signing
 * time, the lengths of detail, attrs and sig (16 bits each), and those bytes.
 */
#define IT_HEAD (4 + 4 + 8 + 2 + 2 + 2)

void
tb_sc_batch_ans_start(tb_sc_ans *ans)
{
	put32(ans->payload, 0);
	ans->payload_len = 4;
}

int
tb_sc_batch_ans_add(tb_sc_ans *ans, const tb_sc_item_ans *it, tb_error *err)
{
	size_t dl = it->detail != NULL ? strnlen(it->detail, TB_SC_DETAIL_MAX - 1) : 0;
	size_t need = IT_HEAD + dl + it->attrs_len + it->sig_len, i;
	unsigned char *p;

	if (it->attrs_len > 0xffff || it->sig_len > 0xffff ||
	    need > TB_SC_PAYLOAD_MAX - ans->payload_len)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "batch answer record full");
	p = ans->payload + ans->payload_len;
	put32(p, it->index);
	put32(p + 4, (uint32_t)it->status);
	put64(p + 8, (uint64_t)it->signing_time);
	p[16] = (unsigned char)(dl >> 8);
	p[17] = (unsigned char)dl;
	p[18] = (unsigned char)(it->attrs_len >> 8);
	p[19] = (unsigned char)it->attrs_len;
	p[20] = (unsigned char)(it->sig_len >> 8);
	p[21] = (unsigned char)it->sig_len;
	p += IT_HEAD;
	/* Text may come from a token's error: a control character would void the record. */
	for (i = 0; i < dl; i++)
		p[i] = ((unsigned char)it->detail[i] < 0x20 || it->detail[i] == 0x7f) ? '?' :
		    (unsigned char)it->detail[i];
	if (it->attrs_len > 0)
		memcpy(p + dl, it->attrs, it->attrs_len);
	if (it->sig_len > 0)
		memcpy(p + dl + it->attrs_len, it->sig, it->sig_len);
	ans->payload_len += (uint32_t)need;
	put32(ans->payload, get32(ans->payload) + 1);
	return 0;
}

uint32_t
tb_sc_batch_ans_count(const tb_sc_ans *ans)
{
	return ans->payload_len >= 4 ? get32(ans->payload) : 0;
}

int
tb_sc_batch_ans_items(const tb_sc_ans *ans, tb_sc_item_ans *out, uint32_t room, uint32_t *n,
    tb_error *err)
{
	const unsigned char *p = ans->payload + 4, *end = ans->payload + ans->payload_len;
	uint32_t count = tb_sc_batch_ans_count(ans), i;
	size_t dl, al, sl, j;
	int32_t status;

	if (ans->payload_len < 4 || count > room)
		return tb_error_set(err, TB_ERR_MALFORMED, "batch answer: %u items", count);
	for (i = 0; i < count; i++) {
		if ((size_t)(end - p) < IT_HEAD)
			return tb_error_set(err, TB_ERR_MALFORMED, "batch answer: short item %u", i);
		dl = (size_t)p[16] << 8 | p[17];
		al = (size_t)p[18] << 8 | p[19];
		sl = (size_t)p[20] << 8 | p[21];
		status = (int32_t)get32(p + 4);
		if (dl >= TB_SC_DETAIL_MAX || (size_t)(end - p) - IT_HEAD < dl + al + sl ||
		    status > 0 || status <= TB_ERR_LAST)
			return tb_error_set(err, TB_ERR_MALFORMED, "batch answer: item %u", i);
		for (j = 0; j < dl; j++)
			if (p[IT_HEAD + j] < 0x20 || p[IT_HEAD + j] == 0x7f)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "batch answer: item %u: control character", i);
		out[i].index = get32(p);
		out[i].status = status;
		out[i].signing_time = (int64_t)get64(p + 8);
		out[i].detail = (const char *)p + IT_HEAD;
		out[i].detail_len = dl;
		out[i].attrs = al > 0 ? p + IT_HEAD + dl : NULL;
		out[i].attrs_len = al;
		out[i].sig = sl > 0 ? p + IT_HEAD + dl + al : NULL;
		out[i].sig_len = sl;
		p += IT_HEAD + dl + al + sl;
	}
	if (p != end)
		return tb_error_set(err, TB_ERR_MALFORMED, "batch answer: trailing bytes");
	*n = count;
	return 0;
}
