/*
 * The front's link to the signer process (signer_link.h). One thread per
 * link reads the answers, hands each to the request waiting for its id,
 * and, when the channel ends, fails every waiting request at once, reaps
 * the signer and starts a new one after a back-off that doubles up to a
 * ceiling and starts over once a signer stayed up that long. The signer is
 * a program of its own that the parent (launcher.h) starts and reaps, so
 * it shares no memory with the front.
 * Never loads the module, never opens the PIN file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "certinfo.h"
#include "cms_sign.h"
#include "launcher.h"
#include "peers.h"
#include "signer_link.h"
#include "tb_log.h"

#define START_WAIT_S 120
#define STOP_WAIT_S 10
/* Client connections handed to the signer (the server's max_connections is less). */
#define PEERS_MAX 65536

struct pending {
	uint64_t id;
	int done;
	int failed;			/* the link failed: no answer will come */
	tb_sc_ans *ans;
	/*
	 * Its own condition: an answer wakes the one caller it is for, not
	 * every signature in flight.
	 */
	pthread_cond_t cond;
	/*
	 * SIGN_BATCH: want items in all; the records come in parts (one per
	 * record, each with at least one item), done when got reaches want.
	 */
	uint32_t want, got;
	tb_sc_ans **parts;
	size_t nparts;
	struct pending *next;
};

struct tb_signer_link {
	double restart_min_s, restart_max_s;
	void (*on_restart)(void *arg);
	void *arg;
	tb_launcher *launcher;		/* the parent, which starts and reaps the signer */
	int pid_fd;			/* the signer's pid file, opened at start, or -1 */

	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t cond;		/* start and stop; answers use pending.cond */
	pthread_condattr_t cond_attr;	/* CLOCK_MONOTONIC, for every condition */
	int fd;				/* the channel, -1 while the signer is down */
	pid_t pid;
	int up;				/* said ready and not gone since */
	int ever_ready;
	int start_done;			/* the first signer said ready, or failed */
	int start_status;
	char start_detail[TB_SC_DETAIL_MAX];
	int stopping;
	uint64_t next_id;
	struct pending *pending;
	/*
	 * The UNIX-socket clients connected now, each with a duplicate of its
	 * descriptor: a restarted signer is handed every one again.
	 */
	tb_peers *peers;
	unsigned long restarts;
	char last_exit[128];
	double started_at;

	pthread_t thread;
	int thread_started;
};

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
deadline_at(struct timespec *ts, double seconds)
{
	double t = mono_now() + seconds;

	ts->tv_sec = (time_t)t;
	ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
}

static void
pid_file_update(tb_signer_link *l, pid_t pid)
{
	char buf[32];
	int n;

	if (l->pid_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	if (ftruncate(l->pid_fd, 0) == -1 || pwrite(l->pid_fd, buf, (size_t)n, 0) != n)
		tb_warn_f(0, "cannot write the signer's pid file: %s", strerror(errno));
}

/* Called with the lock held. The parent starts the signer (launcher.h): its channel here. */
static int
spawn(tb_signer_link *l, tb_error *err)
{
	int sv[2], r;
	pid_t pid;

	if ((r = tb_launcher_spawn(l->launcher, &sv[0], &pid, err)) != 0)
		return r;
	l->fd = sv[0];
	l->pid = pid;
	l->started_at = mono_now();
	pid_file_update(l, pid);
	tb_info_f("signer process started (pid %ld)", (long)pid);
	return 0;
}

/* Called with the lock held: every request waiting gets its failure now. */
static void
pending_fail_all(tb_signer_link *l)
{
	struct pending *p;

	for (p = l->pending; p != NULL; p = p->next) {
		if (!p->done) {
			p->done = 1;
			p->failed = 1;
			pthread_cond_signal(&p->cond);
		}
	}
	pthread_cond_broadcast(&l->cond);
}

/* Waits for the signer to exit (killing it after wait_s) and says how it ended. */
static void
reap(tb_signer_link *l, pid_t pid, double wait_s)
{
	int st = 0;
	pid_t w;
	char text[128];

	/* The parent reaps it, killing it after wait_s. */
	w = tb_launcher_wait(l->launcher, wait_s, &st) == 0 ? pid : -1;
	if (w != pid)
		snprintf(text, sizeof(text), "exited (status unknown)");
	else if (WIFSIGNALED(st))
		snprintf(text, sizeof(text), "killed by signal %d", WTERMSIG(st));
	else
		snprintf(text, sizeof(text), "exited with status %d", WEXITSTATUS(st));
	pthread_mutex_lock(&l->lock);
	snprintf(l->last_exit, sizeof(l->last_exit), "%s", text);
	pthread_mutex_unlock(&l->lock);
}

/* Called with the lock held: hands one connection to the signer (no answer comes). */
static void
peer_send(tb_signer_link *l, uint64_t conn, int fd)
{
	unsigned char buf[TB_SC_REQ_SIZE];
	tb_sc_req q;
	tb_error e;

	memset(&q, 0, sizeof(q));
	q.type = fd >= 0 ? TB_SC_CONNECT : TB_SC_DISCONNECT;
	q.conn = conn;
	tb_sc_req_encode(&q, buf);
	tb_error_clear(&e);
	if ((fd >= 0 ? tb_sc_send_fd(l->fd, buf, sizeof(buf), fd, &e) :
	    tb_sc_send(l->fd, buf, sizeof(buf), &e)) != 0)
		tb_debug_f("connection %llu: %s", (unsigned long long)conn, e.detail);
}

static void
peer_resend(const tb_peer *p, void *arg)
{
	peer_send(arg, p->conn, p->fd);
}

int
tb_signer_link_peer_add(tb_signer_link *l, uint64_t conn, int fd, tb_error *err)
{
	tb_peer p;
	int r = 0;

	memset(&p, 0, sizeof(p));
	p.conn = conn;
	if ((p.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return tb_error_set(err, TB_ERR_IO, "dup: %s", strerror(errno));
	pthread_mutex_lock(&l->lock);
	if (tb_peers_put(l->peers, &p) != 0)
		r = tb_error_set(err, TB_ERR_BUSY, "too many connections");
	else if (l->up)
		peer_send(l, conn, p.fd);
	pthread_mutex_unlock(&l->lock);
	if (r != 0)
		close(p.fd);
	return r;
}

void
tb_signer_link_peer_remove(tb_signer_link *l, uint64_t conn)
{
	tb_peer p;
	int found;

	pthread_mutex_lock(&l->lock);
	if ((found = tb_peers_take(l->peers, conn, &p)) && l->up)
		peer_send(l, conn, -1);
	pthread_mutex_unlock(&l->lock);
	if (found)
		close(p.fd);
}

/* A received answer goes to the request waiting for its id, or is dropped. */
static void
answer_deliver(tb_signer_link *l, tb_sc_ans *a, int *restarted)
{
	struct pending *p;
	uint32_t n;

	pthread_mutex_lock(&l->lock);
	if (a->type == TB_SC_READY) {
		if (a->status == 0) {
			/* Before any request: a restarted signer knows no connection yet. */
			tb_peers_each(l->peers, peer_resend, l);
			l->up = 1;
			*restarted = l->ever_ready;
			l->ever_ready = 1;
		}
		if (!l->start_done) {
			l->start_done = 1;
			l->start_status = a->status;
			snprintf(l->start_detail, sizeof(l->start_detail), "%s", a->detail);
		}
		pthread_cond_broadcast(&l->cond);
		pthread_mutex_unlock(&l->lock);
		free(a);
		return;
	}
	for (p = l->pending; p != NULL; p = p->next)
		if (p->id == a->id && !p->done)
			break;
	if (p == NULL) {
		pthread_mutex_unlock(&l->lock);
		tb_debug_f("late answer %llu dropped", (unsigned long long)a->id);
		free(a);
		return;
	}
	if (p->want > 0 && a->status == 0) {
		n = tb_sc_batch_ans_count(a);
		/* A record that breaks the count ends the batch: the caller sees it whole. */
		if (a->type != TB_SC_SIGN_BATCH || n == 0 || n > p->want - p->got ||
		    p->nparts >= p->want) {
			tb_error_f(TB_ERR_MALFORMED, "batch answer %llu: %u items after %u of %u",
			    (unsigned long long)a->id, n, p->got, p->want);
			p->failed = 1;
			free(a);
		} else {
			p->parts[p->nparts++] = a;
			if ((p->got += n) < p->want) {
				pthread_mutex_unlock(&l->lock);
				return;
			}
		}
	} else {
		p->ans = a;
	}
	p->done = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&l->lock);
}

/* Reads answers until the channel ends. */
static void
channel_read(tb_signer_link *l, int fd)
{
	unsigned char *buf = malloc(TB_SC_ANS_MAX + 1);
	tb_sc_ans *a;
	int restarted;
	ssize_t n;
	tb_error e;

	if (buf == NULL)
		return;
	for (;;) {
		n = recv(fd, buf, TB_SC_ANS_MAX + 1, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((a = malloc(sizeof(*a))) == NULL)
			continue;
		if (tb_sc_ans_decode(buf, (size_t)n, a, &e) != 0) {
			tb_error_f(TB_ERR_MALFORMED, "bad record from the signer: %s", e.detail);
			free(a);
			continue;
		}
		restarted = 0;
		answer_deliver(l, a, &restarted);
		if (restarted) {
			tb_info_f("signer process is back; signing resumes");
			if (l->on_restart != NULL)
				l->on_restart(l->arg);
		}
	}
	free(buf);
}

static void *
link_main(void *arg)
{
	tb_signer_link *l = arg;
	double delay = l->restart_min_s, lived;
	struct timespec until;
	sigset_t all;
	pid_t pid;
	tb_error e;
	int fd;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		pthread_mutex_lock(&l->lock);
		fd = l->fd;
		pid = l->pid;
		pthread_mutex_unlock(&l->lock);
		channel_read(l, fd);

		pthread_mutex_lock(&l->lock);
		l->up = 0;
		close(l->fd);
		l->fd = -1;
		pending_fail_all(l);
		pthread_mutex_unlock(&l->lock);
		reap(l, pid, l->stopping ? STOP_WAIT_S : 2);

		pthread_mutex_lock(&l->lock);
		if (!l->stopping)
			tb_error_f(TB_ERR_UNAVAILABLE, "signer process %ld %s", (long)pid,
			    l->last_exit);
		else
			tb_info_f("signer process %ld %s", (long)pid, l->last_exit);
		if (!l->start_done) {
			l->start_done = 1;
			l->start_status = TB_ERR_UNAVAILABLE;
			snprintf(l->start_detail, sizeof(l->start_detail),
			    "signer process %s before it was ready", l->last_exit);
		}
		if (l->stopping || !l->ever_ready) {
			/* A signer that never came up once is a start-up failure, not a crash. */
			pthread_cond_broadcast(&l->cond);
			pthread_mutex_unlock(&l->lock);
			break;
		}
		lived = mono_now() - l->started_at;
		if (lived >= l->restart_max_s)
			delay = l->restart_min_s;
		for (;;) {
			tb_warn_f(0, "restarting the signer process in %.1f s", delay);
			deadline_at(&until, delay);
			while (!l->stopping &&
			    pthread_cond_timedwait(&l->cond, &l->lock, &until) != ETIMEDOUT)
				;
			delay = delay * 2 < l->restart_max_s ? delay * 2 : l->restart_max_s;
			if (l->stopping)
				break;
			tb_error_clear(&e);
			if (spawn(l, &e) == 0)
				break;
			tb_error_f(e.code, "signer process: %s", e.detail);
		}
		if (l->stopping) {
			pthread_mutex_unlock(&l->lock);
			break;
		}
		l->restarts++;
		pthread_mutex_unlock(&l->lock);
	}
	return NULL;
}

int
tb_signer_link_new(const tb_signer_link_opts *o, tb_signer_link **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_signer_link *l;
	struct timespec until;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "signer link");
	l->fd = l->pid_fd = -1;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&l->cond_attr);
	pthread_condattr_setclock(&l->cond_attr, CLOCK_MONOTONIC);
	pthread_cond_init(&l->cond, &l->cond_attr);
	l->restart_min_s = o->restart_min_s > 0 ? o->restart_min_s : 0.1;
	l->restart_max_s = o->restart_max_s >= l->restart_min_s ? o->restart_max_s : 30;
	l->on_restart = o->on_restart;
	l->arg = o->arg;
	if ((l->peers = tb_peers_new(PEERS_MAX)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "signer link");
		goto out;
	}
	if ((l->launcher = o->launcher) == NULL) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "no parent to start the signer");
		goto out;
	}
	/* Opened now, before privileges go, so that restarts can still update it. */
	if (o->pid_file != NULL &&
	    (l->pid_fd = open(o->pid_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		tb_warn_f(0, "cannot open pid file %s: %s", o->pid_file, strerror(errno));
	pthread_mutex_lock(&l->lock);
	r = spawn(l, err);
	pthread_mutex_unlock(&l->lock);
	if (r != 0)
		goto out;
	if (pthread_create(&l->thread, NULL, link_main, l) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "cannot start the signer link thread");
		goto out;
	}
	l->thread_started = 1;
	deadline_at(&until, START_WAIT_S);
	pthread_mutex_lock(&l->lock);
	while (!l->start_done &&
	    pthread_cond_timedwait(&l->cond, &l->lock, &until) != ETIMEDOUT)
		;
	if (!l->start_done)
		r = tb_error_set(err, TB_ERR_TIMEOUT, "signer process not ready within %d s",
		    START_WAIT_S);
	else if (l->start_status != 0)
		r = tb_error_set(err, l->start_status, "%s", l->start_detail);
	else
		r = 0;
	pthread_mutex_unlock(&l->lock);
	if (r != 0)
		goto out;
	*out = l;
	l = NULL;
out:
	tb_signer_link_free(l);
	return r;
}

void
tb_signer_link_free(tb_signer_link *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->stopping = 1;
	/* EOF for the signer (it ends its queue and exits) and for our reader. */
	if (l->fd != -1)
		shutdown(l->fd, SHUT_RDWR);
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	if (l->thread_started)
		pthread_join(l->thread, NULL);
	else if (l->pid > 0)
		reap(l, l->pid, STOP_WAIT_S);
	if (l->fd != -1)
		close(l->fd);
	if (l->pid_fd != -1)
		close(l->pid_fd);
	tb_peers_free(l->peers);
	pthread_cond_destroy(&l->cond);
	pthread_condattr_destroy(&l->cond_attr);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/*
 * Sends one request (a SIGN_BATCH when items is not NULL) and waits for
 * its answer: p->ans, or for a batch p->parts (or p->ans when the signer
 * refused it whole). Returns 0 when the answer came, else why not.
 */
static int
link_call(tb_signer_link *l, struct pending *p, tb_sc_req *req, const tb_sc_item *items,
    uint32_t n, unsigned timeout_s, tb_error *err)
{
	unsigned char small[TB_SC_REQ_SIZE], *buf = small;
	struct pending **pp;
	struct timespec until;
	size_t len = sizeof(small);
	tb_error e;
	int r;

	if (items != NULL && (buf = malloc(TB_SC_BATCH_REQ_MAX)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "batch");
	pthread_cond_init(&p->cond, &l->cond_attr);
	pthread_mutex_lock(&l->lock);
	if (!l->up) {
		r = tb_error_set(err, TB_ERR_UNAVAILABLE, "signer process is down (%s); it is "
		    "being restarted", l->last_exit[0] ? l->last_exit : "starting");
		pthread_mutex_unlock(&l->lock);
		pthread_cond_destroy(&p->cond);
		if (buf != small)
			free(buf);
		return r;
	}
	req->id = p->id = ++l->next_id;
	if (items == NULL)
		tb_sc_req_encode(req, buf);
	else
		len = tb_sc_batch_encode(req, items, n, buf);
	p->next = l->pending;
	l->pending = p;
	if (len == 0 || tb_sc_send(l->fd, buf, len, &e) != 0) {
		p->done = p->failed = 1;
	} else {
		deadline_at(&until, timeout_s);
		while (!p->done && pthread_cond_timedwait(&p->cond, &l->lock, &until) != ETIMEDOUT)
			;
	}
	for (pp = &l->pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (!p->done)
		r = tb_error_set(err, TB_ERR_TIMEOUT, "signer process did not answer within %u s",
		    timeout_s);
	else if (p->failed)
		r = tb_error_set(err, TB_ERR_UNAVAILABLE, "signer process %s while the request "
		    "was in flight; it is being restarted", l->fd == -1 && l->last_exit[0] ?
		    l->last_exit : "went away");
	else
		r = 0;
	pthread_mutex_unlock(&l->lock);
	/* Out of the list under the lock: nobody signals p any more. */
	pthread_cond_destroy(&p->cond);
	OPENSSL_cleanse(buf, len);
	if (buf != small)
		free(buf);
	return r;
}

int
tb_signer_link_call(tb_signer_link *l, tb_sc_req *req, unsigned timeout_s, tb_sc_ans **ans,
    tb_error *err)
{
	struct pending p;
	int r;

	memset(&p, 0, sizeof(p));
	if ((r = link_call(l, &p, req, NULL, 0, timeout_s, err)) != 0)
		return r;
	*ans = p.ans;
	if (p.ans->status != 0)
		return tb_error_set(err, p.ans->status, "%s", p.ans->detail);
	return 0;
}

int
tb_signer_link_call_batch(tb_signer_link *l, tb_sc_req *head, const tb_sc_item *items,
    uint32_t n, unsigned timeout_s, tb_sc_ans ***parts, size_t *nparts, tb_sc_ans **refusal,
    tb_error *err)
{
	struct pending p;
	size_t i;
	int r;

	*parts = NULL;
	*nparts = 0;
	*refusal = NULL;
	if (n == 0 || n > TB_SC_BATCH_MAX)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "batch of %u items", n);
	memset(&p, 0, sizeof(p));
	p.want = n;
	if ((p.parts = calloc(n, sizeof(*p.parts))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "batch");
	head->type = TB_SC_SIGN_BATCH;
	r = link_call(l, &p, head, items, n, timeout_s, err);
	if (r == 0 && p.ans != NULL) {
		/* Refused whole (before any item was signed). */
		*refusal = p.ans;
		r = tb_error_set(err, p.ans->status != 0 ? p.ans->status : TB_ERR_MALFORMED, "%s",
		    p.ans->detail);
	}
	if (r != 0) {
		for (i = 0; i < p.nparts; i++)
			free(p.parts[i]);
		free(p.parts);
		return r;
	}
	*parts = p.parts;
	*nparts = p.nparts;
	return 0;
}

void
tb_signer_link_get_state(tb_signer_link *l, tb_signer_link_state *st)
{
	pthread_mutex_lock(&l->lock);
	st->up = l->up;
	st->pid = l->pid;
	st->restarts = l->restarts;
	snprintf(st->last_exit, sizeof(st->last_exit), "%s", l->last_exit);
	pthread_mutex_unlock(&l->lock);
}

/* ---- the described keys ---- */

struct tb_front_keys {
	atomic_uint refs;
	tb_front_key *keys;
	size_t n;
};

static void
front_keys_free(tb_front_keys *ks)
{
	size_t i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->keys[i].name);
		X509_free(ks->keys[i].cert);
		sk_X509_pop_free(ks->keys[i].chain, X509_free);
		json_decref(ks->keys[i].signer_info);
		OPENSSL_free(ks->keys[i].gost_ess);
	}
	free(ks->keys);
	free(ks);
}

static int key_signing_parts(tb_front_key *k, tb_error *err);

static int
key_from_info(const tb_sc_keyinfo *ki, tb_front_key *k, tb_error *err)
{
	const unsigned char *p, *end;
	X509 *x;

	if ((k->name = strdup(ki->name)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "keys");
	k->key_type = ki->key_type;
	k->md_nid = ki->md_nid;
	if (ki->cert != NULL) {
		p = ki->cert;
		if ((k->cert = d2i_X509(NULL, &p, (long)ki->cert_len)) == NULL ||
		    p != ki->cert + ki->cert_len)
			return tb_error_set_ossl(err, TB_ERR_MALFORMED, "key %s: certificate",
			    ki->name);
	}
	if (ki->chain != NULL) {
		if ((k->chain = sk_X509_new_null()) == NULL)
			return tb_error_set(err, TB_ERR_NOMEM, "keys");
		p = ki->chain;
		end = ki->chain + ki->chain_len;
		while (p < end) {
			if ((x = d2i_X509(NULL, &p, (long)(end - p))) == NULL)
				return tb_error_set_ossl(err, TB_ERR_MALFORMED, "key %s: chain",
				    ki->name);
			if (!sk_X509_push(k->chain, x)) {
				X509_free(x);
				return tb_error_set(err, TB_ERR_NOMEM, "keys");
			}
		}
	}
	return k->cert != NULL ? key_signing_parts(k, err) : 0;
}

/* What every signature with k repeats, made here once (see tb_front_key). */
static int
key_signing_parts(tb_front_key *k, tb_error *err)
{
	unsigned int n = 0;
	tb_error e;
	int r;

	if (X509_digest(k->cert, EVP_sha256(), k->cert_sha256, &n) != 1 || n != 32)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "key %s: certificate digest", k->name);
	/* Subject, serial, notAfter: nothing that depends on the time of asking. */
	if ((k->signer_info = json_object()) == NULL ||
	    tb_certinfo_add(k->signer_info, k->cert, 0, 0) != 0)
		return tb_error_set(err, TB_ERR_NOMEM, "key %s: certificate description", k->name);
	/* The Streebog of the certificate each GOST signature's attributes name. */
	if (tb_cms_cert_is_gost(k->cert) &&
	    (r = tb_cms_gost_ess_attr(k->cert, &k->gost_ess, &k->gost_ess_len, &e)) != 0)
		return tb_error_set(err, r, "key %s: signingCertificateV2: %s", k->name, e.detail);
	return 0;
}

int
tb_front_keys_fetch(tb_signer_link *l, tb_front_keys **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_front_keys *ks;
	tb_sc_ans *a = NULL;
	tb_sc_keyinfo ki;
	tb_sc_req q;
	uint32_t i, count = 1;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "keys");
	atomic_init(&ks->refs, 1);
	for (i = 0; i < count; i++) {
		memset(&q, 0, sizeof(q));
		q.type = TB_SC_DESCRIBE;
		q.index = i;
		free(a);
		a = NULL;
		r = tb_signer_link_call(l, &q, 60, &a, err);
		if (a == NULL)
			goto out;
		if ((r = tb_sc_keyinfo_decode(a, &ki, err)) != 0)
			goto out;
		if (i == 0) {
			count = ki.count;
			if (count > TB_SC_PAYLOAD_MAX ||
			    (count > 0 && (ks->keys = calloc(count, sizeof(*ks->keys))) == NULL)) {
				r = tb_error_set(err, TB_ERR_NOMEM, "keys");
				goto out;
			}
			if (count == 0)
				break;
		}
		if (a->status != 0 || ki.count != count) {
			r = tb_error_set(err, TB_ERR_UNAVAILABLE,
			    "the signer's keys changed while they were described");
			goto out;
		}
		ks->n = i + 1;
		if ((r = key_from_info(&ki, &ks->keys[i], err)) != 0)
			goto out;
	}
	*out = ks;
	ks = NULL;
	r = 0;
out:
	free(a);
	front_keys_free(ks);
	return r;
}

tb_front_keys *
tb_front_keys_ref(tb_front_keys *ks)
{
	atomic_fetch_add(&ks->refs, 1);
	return ks;
}

void
tb_front_keys_unref(tb_front_keys *ks)
{
	if (ks != NULL && atomic_fetch_sub(&ks->refs, 1) == 1)
		front_keys_free(ks);
}

size_t
tb_front_keys_count(const tb_front_keys *ks)
{
	return ks->n;
}

const tb_front_key *
tb_front_keys_at(const tb_front_keys *ks, size_t i)
{
	return i < ks->n ? &ks->keys[i] : NULL;
}

const tb_front_key *
tb_front_keys_find(const tb_front_keys *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return &ks->keys[i];
	return NULL;
}
