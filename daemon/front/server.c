/*
 * The I/O loop: epoll over the listening socket, the connections, an
 * eventfd the workers ring when an answer is ready, and a signalfd. Only
 * this thread touches a connection; workers hand answers back through a
 * queue keyed by (fd, serial), so an answer for a connection that has gone
 * (or whose fd was reused) is dropped, never delivered to another client.
 * A peer that matches no [client] entry is refused at accept, before a
 * byte of its is read. Requests run in lanes (control, verify, sign) picked
 * by their decoded op, each with a bounded queue and a deadline; clients
 * have budgets of connections, requests in flight and buffered bytes
 * (budget.h). Decodes only frames of up to 64 KiB (larger ones on the
 * intake lane) and never waits on a token.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "metrics_http.h"
#include "proto.h"
#include "ratelimit.h"
#include "request.h"
#include "server.h"
#include "tb_log.h"
#include "ops.h"
#include "tls_listener.h"
#include "listeners.h"
#include "workpool.h"

#define READ_CHUNK 65536
#define READS_PER_EVENT 16	/* then let other connections have a turn */
#define MAX_EVENTS 64
/* Stop reading from a client that does not read its answers. */
#define OUT_HIGH_WATER (8u * 1024 * 1024)
/*
 * Frames up to this size are decoded on the I/O thread to pick their lane
 * (bounded work: well under a millisecond); larger ones are decoded on the
 * intake lane. They also pass the global budget of buffered bytes (still
 * counted, and held to the client's budget), so that clients filling it
 * with large frames cannot stop small requests of others.
 */
#define SMALL_FRAME 65536
/* The intake lane after the three of enum tb_lane. */
#define LANE_INTAKE 3
#define NLANES 4

static const char *const lane_names[NLANES] = { "control", "verify", "sign", "intake" };

struct outbuf {
	unsigned char *data;
	size_t len, off;
	struct outbuf *next;
};

struct conn {
	struct tb_server *s;
	int fd;
	uint64_t serial;
	tb_peer *peer;		/* the client's budget; NULL for TLS before its handshake */
	size_t charge;		/* buffered bytes reserved for the frame being read */
	int framed;		/* a complete frame has arrived */
	double accepted;	/* when it was accepted (TLS: when its handshake ended) */
	tb_client client;
	tb_frame_reader *rd;
	struct outbuf *out_head, *out_tail;
	size_t out_bytes;
	unsigned inflight;
	int closing;		/* answer what is queued, then close */
	int eof;		/* the peer will send no more */
	uint32_t events;	/* the epoll mask now registered */
	double last_active;
	double frame_start;	/* when the frame being read began, or 0 */
	tb_tls_conn *tls;	/* a TLS client's session, or NULL (UNIX socket) */
	uint32_t hs_events;	/* TLS handshake under way: what it waits for; else 0 */
	unsigned tls_rate_key;	/* the rate-limit bucket of a TLS client (its name's) */
};

/* A worker's answer on its way back to the I/O thread. */
struct done {
	int fd;
	uint64_t serial;
	unsigned char *buf;	/* NULL: no answer could be made */
	size_t len;
	tb_peer *peer;		/* whose request it was, and what it reserved */
	size_t charge;
	struct done *next;
};

struct job {
	struct tb_server *s;
	int fd;
	uint64_t serial;
	tb_client client;
	unsigned char *frame;
	size_t len;
	json_t *req;		/* the decoded frame, or NULL (not decoded yet, or not JSON) */
	int lane;		/* enum tb_lane, or LANE_INTAKE */
	double arrived;		/* when its frame was complete */
	struct done *dn;	/* its answer's record, made with it */
};

struct tb_server {
	tb_daemon *d;
	tb_config *cfg;
	unsigned cfg_gen;
	unsigned expiry_gen;		/* config generation of the last expiry check */
	int lfd, epfd, evfd, sigfd;
	char *path;
	struct conn **conns;	/* indexed by fd */
	size_t conns_room;
	unsigned nconns;
	uint64_t next_serial;
	/*
	 * The lanes, by enum tb_lane and LANE_INTAKE: sign requests wait on
	 * the signer process (and the token behind it), verifications on
	 * responders; each holds only its own workers, so that status and keys
	 * (control) are answered beside them.
	 */
	tb_workpool *lanes[NLANES];
	atomic_uint deadline_ms[NLANES];	/* read by the workers */
	tb_budget *budget;
	tb_metrics_http *metrics_http;	/* [metrics], or NULL (the default: off) */
	tb_ratelimit *rate;
	pthread_mutex_t done_lock;
	struct done *done_head, *done_tail;
	unsigned outstanding;	/* jobs whose answer has not come back */
	int stopping;
	int accept_paused;
	double accept_resume;
	tb_tls_listener *tls;	/* [tls] listen, or NULL (the default: off) */
	tb_ratelimit *tls_rate;	/* TLS clients' buckets, keyed by client name */
	int tls_paused;
	double tls_resume;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the socket file ---- */

/*
 * The listener the parent opened (listeners.h): the front never binds its
 * own, and the socket file outlives it as the parent's to remove.
 */
static int
socket_bind(tb_server *s, tb_error *err)
{
	if ((s->lfd = tb_listeners_take(TB_LISTEN_UNIX)) == -1)
		return tb_error_set(err, TB_ERR_INTERNAL, "no listening socket from the parent");
	if (fcntl(s->lfd, F_SETFL, O_NONBLOCK) == -1)
		return tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
	return 0;
}

/* ---- connections ---- */

static struct conn *
conn_get(tb_server *s, int fd, uint64_t serial)
{
	struct conn *c;

	if (fd < 0 || (size_t)fd >= s->conns_room || (c = s->conns[fd]) == NULL)
		return NULL;
	return c->serial == serial ? c : NULL;
}

static void
conn_close(tb_server *s, struct conn *c)
{
	struct outbuf *o;

	if (c->events != 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	tb_tls_conn_free(c->tls);
	if (c->client.conn != 0)
		tb_daemon_client_gone(s->d, c->client.conn);
	close(c->fd);
	s->conns[c->fd] = NULL;
	s->nconns--;
	while ((o = c->out_head) != NULL) {
		c->out_head = o->next;
		free(o->data);
		free(o);
	}
	tb_frame_reader_free(c->rd);
	tb_debug_f("connection %llu (uid %u) closed, %u answers dropped",
	    (unsigned long long)c->serial, c->client.uid, c->inflight);
	if (c->peer != NULL) {
		tb_budget_unreserve(s->budget, c->peer, c->charge + c->out_bytes);
		c->peer->conns--;
		tb_budget_peer_release(s->budget, c->peer);
	}
	free(c);
}

/*
 * Registers the epoll mask the connection's state calls for. A connection
 * that wants nothing is taken out of epoll altogether: a peer that hung up
 * would otherwise report EPOLLHUP on every turn while its answers are made.
 */
static void
conn_update_events(tb_server *s, struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = 0;
	int op;

	if (!c->closing && !c->eof && !s->stopping && c->out_bytes < OUT_HIGH_WATER)
		want |= EPOLLIN;
	if (c->out_head != NULL)
		want |= EPOLLOUT;
	if (c->hs_events != 0)
		want = c->hs_events;	/* a TLS handshake: only what it waits for */
	if (want == c->events)
		return;
	if (want == 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		c->events = 0;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.fd = c->fd;
	op = c->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(s->epfd, op, c->fd, &ev) == 0)
		c->events = want;
}

/* Whether the connection has nothing left to do and can go. */
static int
conn_done(const struct conn *c)
{
	return (c->closing || c->eof) && c->inflight == 0 && c->out_head == NULL;
}

/* send(2) or recv(2) on the connection, through its TLS session when it has one. */
static ssize_t
conn_xmit(struct conn *c, const void *buf, size_t len)
{
	if (c->tls != NULL)
		return tb_tls_conn_write(c->tls, buf, len);
	return send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t
conn_recv(struct conn *c, void *buf, size_t len)
{
	if (c->tls != NULL)
		return tb_tls_conn_read(c->tls, buf, len);
	return recv(c->fd, buf, len, MSG_DONTWAIT);
}

/*
 * Writes what is queued. Returns -1 when the connection was closed (the
 * peer went away, or it is finished), else 0.
 */
static int
conn_flush(tb_server *s, struct conn *c)
{
	struct outbuf *o;
	ssize_t n;

	while ((o = c->out_head) != NULL) {
		n = conn_xmit(c, o->data + o->off, o->len - o->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			tb_debug_f("connection %llu: send: %s", (unsigned long long)c->serial,
			    strerror(errno));
			conn_close(s, c);
			return -1;
		}
		c->last_active = now_s();
		o->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (c->peer != NULL)
			tb_budget_unreserve(s->budget, c->peer, (size_t)n);
		if (o->off == o->len) {
			c->out_head = o->next;
			if (c->out_head == NULL)
				c->out_tail = NULL;
			free(o->data);
			free(o);
		}
	}
	if (conn_done(c)) {
		conn_close(s, c);
		return -1;
	}
	conn_update_events(s, c);
	return 0;
}

/* Queues an answer frame (taking buf) and tries to send it at once. */
static int
conn_send(tb_server *s, struct conn *c, unsigned char *buf, size_t len)
{
	struct outbuf *o;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		free(buf);
		conn_close(s, c);
		return -1;
	}
	o->data = buf;
	o->len = len;
	if (c->out_tail != NULL)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += len;
	/* Answers count against the budgets too, but are never refused: they are owed. */
	if (c->peer != NULL)
		(void)tb_budget_reserve(s->budget, c->peer, len, SIZE_MAX, SIZE_MAX, NULL);
	return conn_flush(s, c);
}

/*
 * Sends an error answer made here (id may be NULL for null) to a request
 * for op (NULL: not known).
 */
static int
conn_send_error(tb_server *s, struct conn *c, json_t *id, const char *op, int code,
    const char *message)
{
	unsigned char *buf;
	size_t len;

	tb_metrics_inc(tb_daemon_metrics(s->d), TB_COUNT_ERRORS);
	tb_metrics_request(tb_daemon_metrics(s->d), op, code, 0);
	if (tb_request_error_frame(id, code, message, &buf, &len) != 0) {
		conn_close(s, c);
		return -1;
	}
	return conn_send(s, c, buf, len);
}

/* The queue length of a lane in cfg. */
static unsigned
lane_queue(const tb_config *cfg, int lane)
{
	switch (lane) {
	case TB_LANE_CONTROL:
		return cfg->control_queue;
	case TB_LANE_VERIFY:
		return cfg->verify_queue;
	case TB_LANE_SIGN:
		return cfg->sign_queue;
	default:
		return cfg->intake_queue;
	}
}

/* Queue lengths and deadlines from cfg (at start and after a reload). */
static void
lanes_configure(tb_server *s)
{
	const tb_config *cfg = s->cfg;
	int i;

	for (i = 0; i < NLANES; i++)
		if (s->lanes[i] != NULL)
			tb_workpool_set_max_queue(s->lanes[i], lane_queue(cfg, i));
	atomic_store(&s->deadline_ms[TB_LANE_CONTROL], cfg->control_deadline_ms);
	atomic_store(&s->deadline_ms[TB_LANE_VERIFY], cfg->verify_deadline_ms);
	atomic_store(&s->deadline_ms[TB_LANE_SIGN], cfg->sign_deadline_ms);
	/* The intake's wait counts against the deadline of the lane it hands over to. */
	atomic_store(&s->deadline_ms[LANE_INTAKE], UINT_MAX);
}

/* The op a decoded request names, or NULL. */
static const char *
req_op(const json_t *req)
{
	return req != NULL ? json_string_value(json_object_get(req, "op")) : NULL;
}

/* Hands a finished job's answer (buf, len: NULL when none could be made) to the I/O thread. */
static void
job_finish(struct job *j, unsigned char *buf, size_t len)
{
	tb_server *s = j->s;
	struct done *dn = j->dn;
	uint64_t one = 1;
	ssize_t w;

	dn->buf = buf;
	dn->len = buf != NULL ? len : 0;
	json_decref(j->req);
	free(j->frame);
	free(j);
	pthread_mutex_lock(&s->done_lock);
	if (s->done_tail != NULL)
		s->done_tail->next = dn;
	else
		s->done_head = dn;
	s->done_tail = dn;
	pthread_mutex_unlock(&s->done_lock);
	do {
		w = write(s->evfd, &one, sizeof(one));
	} while (w == -1 && errno == EINTR);
}

static void job_run(void *arg);

/* Answers a job with an error made on its worker (busy, timeout, bad_request). */
static void
job_refuse(struct job *j, int code, double waited_s, const char *message)
{
	tb_metrics *m = tb_daemon_metrics(j->s->d);
	json_t *id = tb_proto_id(j->req);
	unsigned char *buf = NULL;
	size_t len = 0;

	tb_metrics_inc(m, TB_COUNT_REQUESTS);
	tb_metrics_inc(m, TB_COUNT_ERRORS);
	tb_metrics_request(m, req_op(j->req), code, waited_s);
	if (tb_request_error_frame(id, code, message, &buf, &len) != 0)
		buf = NULL;
	json_decref(id);
	job_finish(j, buf, len);
}

/*
 * The intake lane: decodes a large frame and hands it to the lane of its
 * op; a frame that is not JSON is answered here, once.
 */
static void
intake_run(struct job *j)
{
	char msg[160];
	tb_error err;
	int r;

	tb_error_clear(&err);
	if (tb_proto_decode(j->frame, j->len, &j->req, &err) != 0) {
		j->req = NULL;
		job_refuse(j, err.code, now_s() - j->arrived, err.detail);
		return;
	}
	j->lane = (int)tb_op_lane(j->req);
	if ((r = tb_workpool_submit(j->s->lanes[j->lane], job_run, j)) == 0)
		return;
	if (r == TB_ERR_BUSY)
		snprintf(msg, sizeof(msg), "the %s lane is full (%s_queue requests waiting); "
		    "retry later", lane_names[j->lane], lane_names[j->lane]);
	else
		snprintf(msg, sizeof(msg), "cannot queue the request");
	job_refuse(j, r == TB_ERR_BUSY ? TB_ERR_BUSY : TB_ERR_UNAVAILABLE,
	    now_s() - j->arrived, msg);
}

static void
job_run(void *arg)
{
	struct job *j = arg;
	tb_server *s = j->s;
	unsigned char *buf = NULL;
	size_t len = 0;
	unsigned deadline;
	double waited;
	char msg[160];

	if (j->frame == NULL) {
		/* A refused connection: the audit record is written here, off the I/O thread. */
		tb_request_deny_connection(s->d, &j->client, &buf, &len);
		job_finish(j, buf, len);
		return;
	}
	if (j->lane == LANE_INTAKE) {
		intake_run(j);
		return;
	}
	/* A request that waited past its lane's deadline is not run: its client gave up. */
	waited = now_s() - j->arrived;
	deadline = atomic_load(&s->deadline_ms[j->lane]);
	if (waited * 1000 >= (double)deadline) {
		snprintf(msg, sizeof(msg), "waited %.0f ms for a worker of the %s lane, over "
		    "%s_deadline_ms %u; not run", waited * 1000, lane_names[j->lane],
		    lane_names[j->lane], deadline);
		job_refuse(j, TB_ERR_TIMEOUT, waited, msg);
		return;
	}
	tb_request_handle(s->d, &j->client, j->frame, j->len, j->req, waited, &buf, &len);
	j->req = NULL;
	job_finish(j, buf, len);
}

/* A job for c's worker (frame NULL: a refused connection); NULL when memory is short. */
static struct job *
job_new(tb_server *s, struct conn *c, unsigned char *frame, size_t len, size_t charge)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL || (j->dn = calloc(1, sizeof(*j->dn))) == NULL) {
		free(j);
		return NULL;
	}
	j->s = s;
	j->fd = j->dn->fd = c->fd;
	j->serial = j->dn->serial = c->serial;
	j->client = c->client;
	j->frame = frame;
	j->len = len;
	j->arrived = now_s();
	j->dn->peer = c->peer;
	j->dn->charge = charge;
	return j;
}

/* Counts a job submitted for c. */
static void
job_started(tb_server *s, struct conn *c)
{
	c->inflight++;
	if (c->peer != NULL)
		c->peer->inflight++;
	s->outstanding++;
}

/*
 * A complete frame from c, holding charge reserved bytes: hand it to the
 * lane of its op, or answer busy at once. Takes frame.
 */
static int
conn_request(tb_server *s, struct conn *c, unsigned char *frame, size_t len, size_t charge)
{
	json_t *req = NULL, *id;
	struct job *j = NULL;
	char msg[160];
	int lane = LANE_INTAKE, code = TB_ERR_BUSY, r;

	/* The lane follows the decoded op, never the bytes: a nested "op" is just data. */
	if (len <= SMALL_FRAME) {
		if (tb_proto_decode(frame, len, &req, NULL) != 0)
			req = NULL;
		lane = (int)(req != NULL ? tb_op_lane(req) : TB_LANE_CONTROL);
	}
	if (!tb_ratelimit_take(c->tls != NULL ? s->tls_rate : s->rate,
	    c->tls != NULL ? c->tls_rate_key : c->client.uid, now_s(), s->cfg->rate_per_client,
	    s->cfg->rate_burst)) {
		snprintf(msg, sizeof(msg), "over rate_per_client requests per second for this "
		    "client; slow down");
	} else if (c->inflight >= s->cfg->max_inflight_per_connection) {
		snprintf(msg, sizeof(msg), "too many requests in flight on this connection");
	} else if (c->peer != NULL && c->peer->inflight >= s->cfg->max_inflight_per_client) {
		snprintf(msg, sizeof(msg), "too many requests in flight for this client "
		    "(max_inflight_per_client %u)", s->cfg->max_inflight_per_client);
	} else if ((j = job_new(s, c, frame, len, charge)) == NULL) {
		code = TB_ERR_NOMEM;
		snprintf(msg, sizeof(msg), "out of memory");
	} else {
		j->req = req;
		j->lane = lane;
		if ((r = tb_workpool_submit(s->lanes[lane], job_run, j)) == 0) {
			job_started(s, c);
			return 0;
		}
		free(j->dn);
		free(j);
		code = r == TB_ERR_BUSY ? TB_ERR_BUSY : TB_ERR_UNAVAILABLE;
		if (r == TB_ERR_BUSY)
			snprintf(msg, sizeof(msg), "the %s lane is full (%s_queue = %u requests "
			    "waiting); retry later", lane_names[lane], lane_names[lane],
			    lane_queue(s->cfg, lane));
		else
			snprintf(msg, sizeof(msg), "cannot queue the request");
	}
	if (c->peer != NULL)
		tb_budget_unreserve(s->budget, c->peer, charge);
	/* Counted here: a request that runs is counted where it is handled. */
	tb_metrics_inc(tb_daemon_metrics(s->d), TB_COUNT_REQUESTS);
	/* A large frame is not decoded here for its id: the refusal has id null. */
	id = tb_proto_id(req);
	r = conn_send_error(s, c, id, req_op(req), code, msg);
	json_decref(id);
	json_decref(req);
	free(frame);
	return r;
}

/*
 * Refuses a peer no [client] matches: nothing it sends is read; a worker
 * audits the refusal and makes the forbidden answer, then it is closed.
 */
static void
conn_deny(tb_server *s, struct conn *c)
{
	struct job *j;

	c->closing = 1;
	conn_update_events(s, c);
	if ((j = job_new(s, c, NULL, 0, 0)) == NULL) {
		conn_close(s, c);
		return;
	}
	j->lane = TB_LANE_CONTROL;
	if (tb_workpool_submit(s->lanes[TB_LANE_CONTROL], job_run, j) != 0) {
		free(j->dn);
		free(j);
		conn_close(s, c);
		return;
	}
	job_started(s, c);
}

/*
 * The frame reader's admission: a frame's bytes are reserved against the
 * client's budget and all clients' before its buffer exists; a refusal is
 * busy, and the connection is closed (its bytes cannot be skipped).
 */
static int
conn_admit(void *ctx, size_t len, tb_error *err)
{
	struct conn *c = ctx;
	tb_server *s = c->s;
	size_t n = len + TB_FRAME_HEADER;
	int r;

	if (c->peer == NULL)
		return tb_error_set(err, TB_ERR_BUSY, "no client budget for this connection");
	r = tb_budget_reserve(s->budget, c->peer, n, s->cfg->max_buffered_bytes_per_client,
	    len <= SMALL_FRAME ? SIZE_MAX : s->cfg->max_buffered_bytes, err);
	if (r != 0) {
		tb_debug_f("connection %llu (uid %u): frame of %zu bytes refused: %s",
		    (unsigned long long)c->serial, c->client.uid, len, err->detail);
		return r;
	}
	c->charge += n;
	return 0;
}

/* Reads what the peer sent and starts each complete request. */
static void
conn_read(tb_server *s, struct conn *c)
{
	unsigned char buf[READ_CHUNK], *frame;
	size_t off, used, flen, charge;
	ssize_t n;
	tb_error err;
	int i, r;

	for (i = 0; i < READS_PER_EVENT && !c->closing && !c->eof; i++) {
		n = conn_recv(c, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			tb_debug_f("connection %llu: recv: %s", (unsigned long long)c->serial,
			    strerror(errno));
			conn_close(s, c);
			return;
		}
		if (n == 0) {
			/* Answer what was asked, then go. */
			c->eof = 1;
			break;
		}
		c->last_active = now_s();
		for (off = 0; off < (size_t)n && !c->closing;) {
			r = tb_frame_reader_feed(c->rd, buf + off, (size_t)n - off, &used, &err);
			off += used;
			if (r < 0) {
				tb_debug_f("connection %llu: %s", (unsigned long long)c->serial,
				    err.detail);
				c->closing = 1;
				if (conn_send_error(s, c, NULL, NULL, r, err.detail) != 0)
					return;
				break;
			}
			if (r == 1) {
				tb_frame_reader_take(c->rd, &frame, &flen);
				c->frame_start = 0;
				c->framed = 1;
				charge = c->charge;
				c->charge = 0;
				if (conn_request(s, c, frame, flen, charge) != 0)
					return;
			}
		}
		if (c->closing)
			break;
		if (tb_frame_reader_started(c->rd) && c->frame_start == 0)
			c->frame_start = c->last_active;
	}
	if (conn_done(c)) {
		conn_close(s, c);
		return;
	}
	conn_update_events(s, c);
}

static int
conns_reserve(tb_server *s, int fd)
{
	size_t room;
	struct conn **n;

	if ((size_t)fd < s->conns_room)
		return 0;
	room = s->conns_room ? s->conns_room : 64;
	while (room <= (size_t)fd)
		room *= 2;
	if ((n = realloc(s->conns, room * sizeof(*n))) == NULL)
		return -1;
	memset(n + s->conns_room, 0, (room - s->conns_room) * sizeof(*n));
	s->conns = n;
	s->conns_room = room;
	return 0;
}

/* Stops watching a listener for a second (out of descriptors or memory). */
static void
listener_pause(tb_server *s, int lfd, int *paused, double *resume)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.data.fd = lfd;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, lfd, &ev);
	*paused = 1;
	*resume = now_s() + 1;
}

static void
listener_resume(tb_server *s, int lfd, int *paused)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, lfd, &ev);
	*paused = 0;
}

/*
 * A connection past max_connections: one busy frame (id null) that the
 * socket buffer of a new connection always has room for, then closed; a
 * client that cannot take it has gone anyway.
 */
static void
refuse_busy(int fd, const char *message)
{
	unsigned char *buf = NULL;
	size_t len = 0;

	if (tb_request_error_frame(NULL, TB_ERR_BUSY, message, &buf, &len) == 0)
		(void)send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	free(buf);
	close(fd);
}

/*
 * Closes the idle connections whose peers have already hung up. accept
 * drains the listener's backlog before the loop reads the hang-ups that
 * arrived with it, so after a burst of short connections the table can be
 * full of closed peers; a new client must not be refused for them. Only
 * connections with nothing in flight or queued are touched.
 */
static void
reap_hung_up(tb_server *s)
{
	struct conn *c;
	char b;
	size_t fd;

	for (fd = 0; fd < s->conns_room; fd++) {
		if ((c = s->conns[fd]) == NULL || c->inflight != 0 || c->out_head != NULL ||
		    c->hs_events != 0)
			continue;
		if (c->eof || recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
			conn_close(s, c);
	}
}

/*
 * The next connection waiting on listener lfd, or -1 when none is left.
 * Past max_connections (one limit for both listeners) a UNIX client gets
 * busy and a TLS one, which has no channel yet, is closed; short of
 * descriptors or memory the listener pauses for a second.
 */
static int
accept_next(tb_server *s, int lfd, int is_tls)
{
	int reaped = 0;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				tb_warn_f(TB_ERR_BUSY, "%saccept: %s; pausing for a second",
				    is_tls ? "tls " : "", strerror(errno));
				if (is_tls)
					listener_pause(s, lfd, &s->tls_paused, &s->tls_resume);
				else
					listener_pause(s, lfd, &s->accept_paused, &s->accept_resume);
			}
			return -1;
		}
		if (s->nconns >= s->cfg->max_connections && !reaped) {
			reap_hung_up(s);
			reaped = 1;
		}
		if (s->nconns < s->cfg->max_connections)
			return fd;
		tb_warn_f(TB_ERR_BUSY, "max_connections (%u) reached: %sconnection refused",
		    s->cfg->max_connections, is_tls ? "tls " : "");
		if (is_tls)
			close(fd);
		else
			refuse_busy(fd, "max_connections reached; retry later");
	}
}

/* A connection record for fd with its frame reader; NULL (fd closed) on failure. */
static struct conn *
conn_take(tb_server *s, int fd)
{
	struct conn *c = NULL;

	if (conns_reserve(s, fd) != 0 || (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->rd = tb_frame_reader_new(s->cfg->max_frame_bytes)) == NULL) {
		tb_warn_f(TB_ERR_NOMEM, "cannot take a connection");
		free(c);
		close(fd);
		return NULL;
	}
	c->s = s;
	c->fd = fd;
	c->serial = ++s->next_serial;
	c->last_active = c->accepted = now_s();
	tb_frame_reader_set_admit(c->rd, conn_admit, c);
	return c;
}

/* Watches c for input and counts it; -1 when epoll refuses (c untouched). */
static int
conn_watch(tb_server *s, struct conn *c)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = c->fd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		return -1;
	c->events = EPOLLIN;
	s->conns[c->fd] = c;
	s->nconns++;
	tb_metrics_inc(tb_daemon_metrics(s->d), TB_COUNT_CONNECTIONS);
	return 0;
}

static void
accept_all(tb_server *s)
{
	struct ucred cred;
	socklen_t clen;
	struct conn *c;
	tb_peer *peer;
	tb_error err;
	int fd;

	while ((fd = accept_next(s, s->lfd, 0)) != -1) {
		clen = sizeof(cred);
		memset(&cred, 0, sizeof(cred));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1) {
			tb_warn_f(TB_ERR_INTERNAL, "SO_PEERCRED: %s", strerror(errno));
			close(fd);
			continue;
		}
		/* One uid cannot hold the connections the others need. */
		if ((peer = tb_budget_peer_uid(s->budget, cred.uid)) == NULL) {
			close(fd);
			continue;
		}
		if (peer->conns >= s->cfg->max_connections_per_client) {
			tb_debug_f("uid %u: max_connections_per_client (%u) reached: connection "
			    "refused", cred.uid, s->cfg->max_connections_per_client);
			tb_budget_peer_release(s->budget, peer);
			refuse_busy(fd, "max_connections_per_client reached for this client; "
			    "retry later");
			continue;
		}
		if ((c = conn_take(s, fd)) == NULL) {
			tb_budget_peer_release(s->budget, peer);
			continue;
		}
		c->client.uid = cred.uid;
		c->client.gid = cred.gid;
		c->client.pid = cred.pid;
		if (conn_watch(s, c) != 0) {
			tb_budget_peer_release(s->budget, peer);
			tb_frame_reader_free(c->rd);
			free(c);
			close(fd);
			continue;
		}
		c->peer = peer;
		peer->conns++;
		if (tb_config_client(s->cfg, cred.uid, cred.gid) == NULL) {
			conn_deny(s, c);
			continue;
		}
		/* The signer reads the peer itself: its sign requests name this number. */
		if (tb_daemon_client_connected(s->d, c->serial, fd, &err) == 0)
			c->client.conn = c->serial;
		else
			tb_warn_f(err.code, "connection %llu not handed to the signer: %s",
			    (unsigned long long)c->serial, err.detail);
		tb_debug_f("connection %llu from uid %u gid %u pid %d",
		    (unsigned long long)c->serial, c->client.uid, c->client.gid, c->client.pid);
	}
}

/* ---- TLS clients ([tls] listen) ---- */

/* The rate-limit key of a TLS client: FNV-1a of its [client] name. */
static unsigned
tls_rate_key(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/*
 * Drives a TLS client's handshake. Once its certificate has verified, the
 * [client] table decides: no tls_subject / tls_cert_sha256 matching it
 * means the same refusal (audited, FORBIDDEN) as an unknown UNIX peer.
 */
static void
conn_handshake(tb_server *s, struct conn *c)
{
	const tb_client_conf *acl;
	unsigned char drain[4096];
	tb_peer *peer;
	tb_error err;
	int r, n;

	tb_error_clear(&err);
	r = tb_tls_conn_handshake(c->tls, &err);
	if (r == TB_TLS_WANT_READ || r == TB_TLS_WANT_WRITE) {
		c->hs_events = r == TB_TLS_WANT_READ ? EPOLLIN : EPOLLOUT;
		conn_update_events(s, c);
		return;
	}
	if (r == 0 && tb_tls_conn_identity(c->tls, c->client.tls_subject,
	    sizeof(c->client.tls_subject), c->client.tls_sha256) != 0)
		r = tb_error_set(&err, TB_ERR_FORBIDDEN, "client certificate: subject "
		    "unreadable or over %zu bytes", sizeof(c->client.tls_subject) - 1);
	if (r != 0) {
		tb_warn_f(r, "tls connection %llu refused: %s", (unsigned long long)c->serial,
		    err.detail);
		/*
		 * Read what the peer already sent (its first request, usually):
		 * closing on unread data resets the connection, and the peer would
		 * lose the alert that tells it why it was refused.
		 */
		for (n = 0; n < 16 && recv(c->fd, drain, sizeof(drain), MSG_DONTWAIT) > 0; n++)
			;
		conn_close(s, c);
		return;
	}
	c->hs_events = 0;
	c->frame_start = 0;
	c->last_active = c->accepted = now_s();
	if ((acl = tb_config_client_tls(s->cfg, c->client.tls_subject,
	    c->client.tls_sha256)) == NULL) {
		conn_deny(s, c);
		return;
	}
	c->tls_rate_key = tls_rate_key(acl->name);
	/* The budgets of a TLS client are its [client]'s, whatever certificate it shows. */
	if ((peer = tb_budget_peer_tls(s->budget, acl->name)) == NULL) {
		conn_close(s, c);
		return;
	}
	if (peer->conns >= s->cfg->max_connections_per_client) {
		tb_debug_f("tls client %s: max_connections_per_client (%u) reached: connection "
		    "refused", acl->name, s->cfg->max_connections_per_client);
		tb_budget_peer_release(s->budget, peer);
		c->closing = 1;
		if (conn_send_error(s, c, NULL, NULL, TB_ERR_BUSY, "max_connections_per_client "
		    "reached for this client; retry later") == 0)
			conn_close(s, c);
		return;
	}
	c->peer = peer;
	peer->conns++;
	tb_debug_f("tls connection %llu: client %s (%s)", (unsigned long long)c->serial,
	    acl->name, c->client.tls_subject);
	/* Requests may have come with the client's last handshake flight. */
	conn_read(s, c);
}

static void
accept_tls(tb_server *s)
{
	struct conn *c;
	int fd;

	while ((fd = accept_next(s, tb_tls_listener_fd(s->tls), 1)) != -1) {
		if ((c = conn_take(s, fd)) == NULL)
			continue;
		c->client.uid = c->client.gid = TB_CLIENT_NO_ID;
		c->client.tls = 1;
		/* The handshake must end within read_timeout_s, like a frame. */
		c->frame_start = c->last_active;
		c->hs_events = EPOLLIN;
		if ((c->tls = tb_tls_conn_new(s->tls, fd)) == NULL || conn_watch(s, c) != 0) {
			tb_tls_conn_free(c->tls);
			tb_frame_reader_free(c->rd);
			free(c);
			close(fd);
			continue;
		}
		tb_debug_f("tls connection %llu accepted", (unsigned long long)c->serial);
	}
}

/* Opens the [tls] listener (before privileges are dropped: key file, low port). */
static int
tls_open(tb_server *s, tb_error *err)
{
	struct epoll_event ev;
	int r;

	if ((r = tb_tls_listener_new(s->cfg, &s->tls, err)) != 0)
		return r;
	if ((s->tls_rate = tb_ratelimit_new()) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "server");
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = tb_tls_listener_fd(s->tls);
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) == -1)
		return tb_error_set(err, TB_ERR_IO, "epoll: %s", strerror(errno));
	return 0;
}

/* Delivers the answers the workers finished. */
static void
answers_collect(tb_server *s)
{
	struct done *dn, *next;
	struct conn *c;
	uint64_t v;

	if (read(s->evfd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		tb_debug_f("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&s->done_lock);
	dn = s->done_head;
	s->done_head = s->done_tail = NULL;
	pthread_mutex_unlock(&s->done_lock);
	for (; dn != NULL; dn = next) {
		next = dn->next;
		s->outstanding--;
		if ((c = conn_get(s, dn->fd, dn->serial)) == NULL) {
			/* The client left before its answer: nobody to tell. */
			free(dn->buf);
		} else {
			c->inflight--;
			if (dn->buf == NULL) {
				c->closing = 1;
				(void)conn_flush(s, c);
			} else {
				(void)conn_send(s, c, dn->buf, dn->len);
			}
		}
		if (dn->peer != NULL) {
			dn->peer->inflight--;
			tb_budget_unreserve(s->budget, dn->peer, dn->charge);
			tb_budget_peer_release(s->budget, dn->peer);
		}
		free(dn);
	}
}

/* Closes c after one try to say why: a stalled peer does not hold the connection. */
static void
conn_time_out(tb_server *s, struct conn *c, const char *why)
{
	c->closing = 1;
	c->frame_start = 0;
	if (conn_send_error(s, c, NULL, NULL, TB_ERR_TIMEOUT, why) == 0)
		conn_close(s, c);
}

/* Closes connections past their first-frame, read or idle timeout; updates the gauges. */
static void
timeouts_sweep(tb_server *s, double now)
{
	tb_metrics *m = tb_daemon_metrics(s->d);
	struct conn *c;
	size_t fd;

	tb_metrics_gauge_set(m, TB_GAUGE_CONNECTIONS, s->nconns);
	tb_metrics_gauge_set(m, TB_GAUGE_CLIENTS, tb_budget_peers(s->budget));
	tb_metrics_gauge_set(m, TB_GAUGE_BUFFERED, tb_budget_buffered(s->budget));

	if (s->accept_paused && !s->stopping && now >= s->accept_resume)
		listener_resume(s, s->lfd, &s->accept_paused);
	if (s->tls_paused && !s->stopping && now >= s->tls_resume)
		listener_resume(s, tb_tls_listener_fd(s->tls), &s->tls_paused);
	for (fd = 0; fd < s->conns_room; fd++) {
		if ((c = s->conns[fd]) == NULL)
			continue;
		if (c->hs_events != 0) {
			/* Nothing can be said to a peer that has no session yet. */
			if (now - c->frame_start >= s->cfg->read_timeout_s) {
				tb_debug_f("tls connection %llu: handshake not completed within "
				    "%u s", (unsigned long long)c->serial, s->cfg->read_timeout_s);
				conn_close(s, c);
			}
			continue;
		}
		/* A new connection must ask something soon: silence holds a slot for nothing. */
		if (!c->framed && !c->closing && c->inflight == 0 &&
		    now - c->accepted >= s->cfg->first_frame_timeout_s) {
			tb_debug_f("connection %llu: no complete frame within %u s of connecting",
			    (unsigned long long)c->serial, s->cfg->first_frame_timeout_s);
			conn_time_out(s, c,
			    "no complete frame within first_frame_timeout_s of connecting");
			continue;
		}
		if (c->frame_start != 0 && !c->closing &&
		    now - c->frame_start >= s->cfg->read_timeout_s) {
			tb_debug_f("connection %llu: frame not completed within %u s",
			    (unsigned long long)c->serial, s->cfg->read_timeout_s);
			conn_time_out(s, c, "frame not completed within read_timeout_s");
			continue;
		}
		if (c->inflight == 0 && now - c->last_active >= s->cfg->idle_timeout_s) {
			tb_debug_f("connection %llu: idle for %u s", (unsigned long long)c->serial,
			    s->cfg->idle_timeout_s);
			conn_close(s, c);
		}
	}
}

/* Takes the configuration a reload put in place. */
static void
config_refresh(tb_server *s)
{
	unsigned gen = tb_daemon_generation(s->d);
	size_t fd;

	if (gen == s->cfg_gen)
		return;
	tb_config_unref(s->cfg);
	s->cfg = tb_daemon_config(s->d);
	s->cfg_gen = gen;
	lanes_configure(s);
	for (fd = 0; fd < s->conns_room; fd++)
		if (s->conns[fd] != NULL)
			tb_frame_reader_set_max(s->conns[fd]->rd, s->cfg->max_frame_bytes);
}

static void
stop_begin(tb_server *s, int signo)
{
	size_t fd;
	struct conn *c;

	tb_info_f("signal %d: stopping; %u requests in flight", signo, s->outstanding);
	s->stopping = 1;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
	close(s->lfd);
	s->lfd = -1;
	if (s->tls != NULL && tb_tls_listener_fd(s->tls) != -1) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, tb_tls_listener_fd(s->tls), NULL);
		tb_tls_listener_close(s->tls);
	}
	for (fd = 0; fd < s->conns_room; fd++) {
		if ((c = s->conns[fd]) == NULL)
			continue;
		c->closing = 1;
		if (conn_done(c))
			conn_close(s, c);
		else
			conn_update_events(s, c);
	}
}

static void
signals_read(tb_server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			tb_info_f("SIGHUP: reloading the configuration");
			tb_daemon_reload_start(s->d);
		} else if (!s->stopping) {
			stop_begin(s, (int)si.ssi_signo);
		}
	}
}

int
tb_server_new(tb_daemon *d, tb_server **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	struct epoll_event ev;
	tb_server *s;
	sigset_t set;
	int fds[3], i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "server");
	s->lfd = s->epfd = s->evfd = s->sigfd = -1;
	pthread_mutex_init(&s->done_lock, NULL);
	s->d = d;
	s->cfg_gen = tb_daemon_generation(d);
	s->cfg = tb_daemon_config(d);
	if ((s->path = strdup(s->cfg->socket)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "server");
		goto out;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "event setup: %s", strerror(errno));
		goto out;
	}
	if ((r = socket_bind(s, err)) != 0)
		goto out;
	if (s->cfg->tls_listen != NULL && (r = tls_open(s, err)) != 0)
		goto out;
	fds[0] = s->lfd;
	fds[1] = s->evfd;
	fds[2] = s->sigfd;
	for (i = 0; i < 3; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fds[i], &ev) == -1) {
			r = tb_error_set(err, TB_ERR_IO, "epoll: %s", strerror(errno));
			goto out;
		}
	}
	if ((s->rate = tb_ratelimit_new()) == NULL || (s->budget = tb_budget_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "server");
		goto out;
	}
	/* The scrape endpoint is bound now, before privileges are dropped. */
	if ((r = tb_metrics_http_open(s->cfg, &s->metrics_http, err)) != 0)
		goto out;
	*out = s;
	s = NULL;
	r = 0;
out:
	tb_server_free(s);
	return r;
}

/* The lanes for the metrics thread (workpool depths are read under their locks). */
static size_t
lanes_depth(void *ctx, tb_lane_depth *out)
{
	tb_server *s = ctx;
	size_t n = 0;
	int i;

	for (i = 0; i < NLANES; i++) {
		if (s->lanes[i] == NULL)
			continue;
		out[n].name = lane_names[i];
		tb_workpool_depth(s->lanes[i], &out[n].queued, &out[n].running);
		out[n].workers = tb_workpool_threads(s->lanes[i]);
		n++;
	}
	return n;
}

/* Starts each lane's workers (1..256 each). */
static int
lanes_start(tb_server *s, tb_error *err)
{
	unsigned n[NLANES];
	int i, r;

	n[TB_LANE_CONTROL] = s->cfg->control_workers;
	n[TB_LANE_VERIFY] = s->cfg->workers;
	n[TB_LANE_SIGN] = tb_config_sign_workers(s->cfg);
	n[LANE_INTAKE] = s->cfg->intake_workers;
	for (i = 0; i < NLANES; i++)
		if (s->lanes[i] == NULL && (r = tb_workpool_new(n[i], &s->lanes[i], err)) != 0)
			return r;
	lanes_configure(s);
	return 0;
}

int
tb_server_run(tb_server *s, unsigned stop_wait_s, tb_error *err)
{
	struct epoll_event evs[MAX_EVENTS];
	double now, last_sweep = now_s(), deadline = 0;
	struct conn *c;
	int n, i, fd;

	/* Workers start here, after the caller dropped privileges: they inherit it all. */
	if (lanes_start(s, err) != 0 || (s->metrics_http != NULL &&
	    tb_metrics_http_start(s->metrics_http, s->d, lanes_depth, s, err) != 0))
		return err != NULL ? err->code : TB_ERR_INTERNAL;
	tb_info_f("ready: listening on %s (mode %04o, workers: %u control, %u verify, %u sign, "
	    "%u intake; up to %u connections, %u per client)", s->path, s->cfg->socket_mode,
	    s->cfg->control_workers, s->cfg->workers, tb_config_sign_workers(s->cfg),
	    s->cfg->intake_workers, s->cfg->max_connections, s->cfg->max_connections_per_client);
	if (s->tls != NULL)
		tb_info_f("listening for TLS 1.3 clients on %s", tb_tls_listener_address(s->tls));
	for (;;) {
		n = epoll_wait(s->epfd, evs, MAX_EVENTS, 1000);
		if (n == -1 && errno != EINTR)
			return tb_error_set(err, TB_ERR_IO, "epoll_wait: %s", strerror(errno));
		config_refresh(s);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == s->sigfd) {
				signals_read(s);
			} else if (fd == s->evfd) {
				answers_collect(s);
			} else if (fd == s->lfd && s->lfd != -1) {
				accept_all(s);
			} else if (s->tls != NULL && fd == tb_tls_listener_fd(s->tls)) {
				accept_tls(s);
			} else if ((size_t)fd < s->conns_room && (c = s->conns[fd]) != NULL) {
				if (c->hs_events != 0) {
					conn_handshake(s, c);
					continue;
				}
				if (evs[i].events & EPOLLOUT) {
					if (conn_flush(s, c) != 0)
						continue;
				}
				if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					conn_read(s, c);
			}
		}
		now = now_s();
		if (now - last_sweep >= 1.0) {
			unsigned gen = tb_daemon_generation(s->d);

			timeouts_sweep(s, now);
			/* A reload may bring a key close to expiry: warn at once. */
			tb_daemon_expiry_check(s->d, gen != s->expiry_gen);
			s->expiry_gen = gen;
			last_sweep = now;
		}
		if (s->stopping) {
			if (deadline == 0)
				deadline = now + stop_wait_s;
			if (s->outstanding == 0 && s->nconns == 0)
				break;
			if (now >= deadline) {
				if (s->outstanding > 0) {
					tb_error_f(TB_ERR_TIMEOUT, "%u requests still running after "
					    "%u s; leaving them", s->outstanding, stop_wait_s);
					return TB_ERR_TIMEOUT;
				}
				break;
			}
		}
	}
	tb_info_f("stopped");
	return 0;
}

void
tb_server_free(tb_server *s)
{
	struct done *dn;
	size_t fd;
	int i;

	if (s == NULL)
		return;
	/* The scrape thread reads the lanes: it goes first. */
	tb_metrics_http_free(s->metrics_http);
	/* The intake first: its last jobs may still hand requests to the other lanes. */
	tb_workpool_free(s->lanes[LANE_INTAKE]);
	for (i = 0; i < LANE_INTAKE; i++)
		tb_workpool_free(s->lanes[i]);
	tb_ratelimit_free(s->rate);
	for (fd = 0; fd < s->conns_room; fd++)
		if (s->conns[fd] != NULL)
			conn_close(s, s->conns[fd]);
	free(s->conns);
	tb_tls_listener_free(s->tls);
	tb_ratelimit_free(s->tls_rate);
	while ((dn = s->done_head) != NULL) {
		s->done_head = dn->next;
		free(dn->buf);
		free(dn);
	}
	tb_budget_free(s->budget);
	if (s->lfd != -1)
		close(s->lfd);
	if (s->epfd != -1)
		close(s->epfd);
	if (s->evfd != -1)
		close(s->evfd);
	if (s->sigfd != -1)
		close(s->sigfd);
	pthread_mutex_destroy(&s->done_lock);
	tb_config_unref(s->cfg);
	free(s->path);
	free(s);
}
