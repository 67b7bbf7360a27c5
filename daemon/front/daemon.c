/*
 * Holds the front's current configuration, keys and revocation checker and
 * swaps them on reload; owns the link to the signer process. Readers take
 * references under a short lock and then work without it, so a slow
 * signature never holds up a reload or another request. Never touches the
 * PIN, the module or the audit file: the signer process does.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "anchors.h"
#include "certinfo.h"
#include "daemon.h"
#include "ops.h"
#include "revocation.h"
#include "tb_clock.h"
#include "tb_log.h"

/* How long the front waits for the signer: a token may be slow, never forever. */
#define SIGN_TIMEOUT_S 60
#define AUDIT_TIMEOUT_S 30
#define STATUS_TIMEOUT_S 5
#define RELOAD_TIMEOUT_S 120
/* Restart back-off of the signer process: doubling from min to max. */
#define RESTART_MIN_S 0.1
#define RESTART_MAX_S 30.0

struct tb_daemon {
	pthread_mutex_t lock;		/* guards cfg, keys, rev, loaded, error */
	char *path;
	tb_config *cfg;
	tb_front_keys *keys;
	time_t loaded;
	char error[sizeof(((tb_error *)0)->detail)];
	atomic_uint generation;
	tb_metrics *metrics;
	struct timespec started;
	int debug;			/* -d: debug logging whatever the file says */
	tb_signer_link *link;
	char *signer_pid_file;

	pthread_mutex_t reload_lock;	/* guards the reload thread's state */
	pthread_t reload_thread;
	int reload_running;		/* a thread exists that is not joined yet */
	atomic_int reload_done;
	int reload_again;		/* guarded by reload_lock: asked for during a run */
	atomic_int resync;		/* the next reload follows a signer restart */
	atomic_int stopping;		/* no reload may start: the link is going */
	atomic_int built;		/* tb_daemon_new has set keys and revocation */
	tb_revocation *rev;		/* guarded by lock; swapped with cfg and keys */
	tb_anchors *anchors;		/* guarded by lock; built and swapped with cfg */
	time_t expiry_warned;		/* last expiry warning round (I/O thread only) */
};

static void
apply_log_level(tb_daemon *d, const tb_config *cfg)
{
	tb_log_set_level(d->debug ? TB_LOG_DEBUG : cfg->log_level);
}

static void reload_request(tb_daemon *d);

/*
 * A restarted signer read the configuration file afresh: the front takes
 * the same file and the signer's keys, so that both agree again.
 */
static void
signer_restarted(void *arg)
{
	tb_daemon *d = arg;

	if (atomic_load(&d->stopping))
		return;
	atomic_store(&d->resync, 1);
	/* Not while tb_daemon_new still sets keys and revocation: it asks then. */
	if (!atomic_load(&d->built))
		return;
	reload_request(d);
}

int
tb_daemon_new(const char *config_path, int debug, struct tb_launcher *launcher,
    tb_daemon **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_signer_link_opts lo;
	tb_daemon *d;
	size_t n;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "daemon");
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->reload_lock, NULL);
	atomic_init(&d->generation, 1);
	atomic_init(&d->reload_done, 0);
	atomic_init(&d->resync, 0);
	atomic_init(&d->stopping, 0);
	atomic_init(&d->built, 0);
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	d->debug = debug;
	if ((d->path = strdup(config_path)) == NULL || (d->metrics = tb_metrics_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "daemon");
		goto out;
	}
	if ((r = tb_config_load(config_path, &d->cfg, err)) != 0 ||
	    (r = tb_anchors_new(d->cfg, &d->anchors, err)) != 0)
		goto out;
	apply_log_level(d, d->cfg);
	/* No signature without a trail: refuse to start rather than sign unrecorded. */
	if (d->cfg->audit_file == NULL) {
		r = tb_error_set(err, TB_ERR_CONFIG,
		    "%s: [audit] file is required: tanbad does not sign without an audit trail",
		    config_path);
		goto out;
	}
	if (d->cfg->pid_file != NULL) {
		n = strlen(d->cfg->pid_file) + sizeof(".signer");
		if ((d->signer_pid_file = malloc(n)) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "daemon");
			goto out;
		}
		snprintf(d->signer_pid_file, n, "%s.signer", d->cfg->pid_file);
	}
	memset(&lo, 0, sizeof(lo));
	lo.launcher = launcher;
	lo.restart_min_s = RESTART_MIN_S;
	lo.restart_max_s = RESTART_MAX_S;
	lo.pid_file = d->signer_pid_file;
	lo.on_restart = signer_restarted;
	lo.arg = d;
	if ((r = tb_signer_link_new(&lo, &d->link, err)) != 0)
		goto out;
	if ((r = tb_front_keys_fetch(d->link, &d->keys, err)) != 0)
		goto out;
	if ((r = tb_revocation_new(d->cfg, &d->rev, err)) != 0)
		goto out;
	d->loaded = tb_clock_now();
	/* A signer restarted meanwhile left its reload to now (signer_restarted). */
	atomic_store(&d->built, 1);
	if (atomic_load(&d->resync))
		reload_request(d);
	*out = d;
	d = NULL;
	r = 0;
out:
	tb_daemon_free(d);
	return r;
}

void
tb_daemon_free(tb_daemon *d)
{
	if (d == NULL)
		return;
	/* Under the reload lock: no reload starts after this one is waited for. */
	pthread_mutex_lock(&d->reload_lock);
	atomic_store(&d->stopping, 1);
	pthread_mutex_unlock(&d->reload_lock);
	tb_daemon_reload_wait(d);
	/* The signer goes next: nothing may call it once the link is gone. */
	tb_signer_link_free(d->link);
	d->link = NULL;
	if (d->signer_pid_file != NULL)
		(void)unlink(d->signer_pid_file);
	free(d->signer_pid_file);
	tb_revocation_unref(d->rev);
	tb_anchors_unref(d->anchors);
	tb_front_keys_unref(d->keys);
	tb_config_unref(d->cfg);
	tb_metrics_free(d->metrics);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->reload_lock);
	free(d->path);
	free(d);
}

tb_config *
tb_daemon_config(tb_daemon *d)
{
	tb_config *cfg;

	pthread_mutex_lock(&d->lock);
	cfg = tb_config_ref(d->cfg);
	pthread_mutex_unlock(&d->lock);
	return cfg;
}

tb_revocation *
tb_daemon_revocation(tb_daemon *d)
{
	tb_revocation *rv;

	pthread_mutex_lock(&d->lock);
	rv = tb_revocation_ref(d->rev);
	pthread_mutex_unlock(&d->lock);
	return rv;
}

tb_anchors *
tb_daemon_anchors(tb_daemon *d)
{
	tb_anchors *a;

	pthread_mutex_lock(&d->lock);
	a = tb_anchors_ref(d->anchors);
	pthread_mutex_unlock(&d->lock);
	return a;
}

tb_front_keys *
tb_daemon_keys(tb_daemon *d)
{
	tb_front_keys *ks;

	pthread_mutex_lock(&d->lock);
	ks = tb_front_keys_ref(d->keys);
	pthread_mutex_unlock(&d->lock);
	return ks;
}

unsigned
tb_daemon_generation(tb_daemon *d)
{
	return atomic_load(&d->generation);
}

tb_metrics *
tb_daemon_metrics(tb_daemon *d)
{
	return d->metrics;
}

long
tb_daemon_uptime(tb_daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - d->started.tv_sec);
}

time_t
tb_daemon_config_loaded(tb_daemon *d)
{
	time_t t;

	pthread_mutex_lock(&d->lock);
	t = d->loaded;
	pthread_mutex_unlock(&d->lock);
	return t;
}

int
tb_daemon_config_error(tb_daemon *d, char *buf, size_t len)
{
	int failed;

	pthread_mutex_lock(&d->lock);
	failed = d->error[0] != '\0';
	snprintf(buf, len, "%s", d->error);
	pthread_mutex_unlock(&d->lock);
	return failed;
}

int
tb_daemon_audit(tb_daemon *d, unsigned uid, const char *op, const char *key,
    const char *doc_digest, const char *sig_digest, int result, const char *detail,
    tb_error *err)
{
	tb_sc_ans *a = NULL;
	struct timespec t0, t1;
	tb_sc_req q;
	tb_error e;
	int r;

	(void)sig_digest;
	memset(&q, 0, sizeof(q));
	q.type = TB_SC_AUDIT;
	q.uid = uid;
	q.result = result;
	tb_sc_strset(q.op, sizeof(q.op), op);
	tb_sc_strset(q.key, sizeof(q.key), key);
	tb_sc_strset(q.doc, sizeof(q.doc), doc_digest);
	tb_sc_strset(q.detail, sizeof(q.detail), detail);
	tb_error_clear(&e);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = tb_signer_link_call(d->link, &q, AUDIT_TIMEOUT_S, &a, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The round trip: the record appended and synced by the signer. */
	tb_metrics_audit(d->metrics, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, r == 0);
	free(a);
	if (r != 0) {
		tb_error_f(r, "audit record (%s) not written: %s", op ? op : "-", e.detail);
		return tb_error_set(err, TB_ERR_UNAVAILABLE, "%s", e.detail);
	}
	return 0;
}

/* What SIGN and SIGN_BATCH say of the client, the key and its certificate. */
static int
sign_head(const tb_client *client, const char *key, const unsigned char cert_sha256[32],
    int detached, tb_sc_req *q, tb_error *err)
{
	if (strlen(key) >= sizeof(q->key) || strlen(client->acl->name) >= sizeof(q->client) ||
	    strlen(client->tls_subject) >= sizeof(q->tls_subject))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "sign request does not fit");
	memset(q, 0, sizeof(*q));
	q->type = TB_SC_SIGN;
	q->uid = client->uid;
	q->gid = client->gid;
	q->pid = client->pid;
	q->tls = client->tls != 0;
	q->conn = client->tls ? 0 : client->conn;
	memcpy(q->tls_sha256, client->tls_sha256, sizeof(q->tls_sha256));
	tb_sc_strset(q->tls_subject, sizeof(q->tls_subject), client->tls_subject);
	q->detached = detached != 0;
	tb_sc_strset(q->client, sizeof(q->client), client->acl->name);
	tb_sc_strset(q->key, sizeof(q->key), key);
	memcpy(q->cert_sha256, cert_sha256, sizeof(q->cert_sha256));
	return 0;
}

/*
 * tb_daemon_sign, with the reference URI of an XML signature, and for
 * WS-Security the Timestamp's ID and life (NULL, 0 otherwise).
 */
static int
sign_call(tb_daemon *d, const tb_client *client, const char *key,
    const unsigned char cert_sha256[32], int md_nid, const unsigned char *digest,
    size_t digest_len, int detached, const char *uri, const char *ts_id, long ttl,
    tb_sc_ans **ans, tb_sc_signed *sd, int *audited, tb_error *err)
{
	tb_sc_ans *a = NULL;
	tb_sc_req q;
	int r;

	if (digest_len > sizeof(q.digest) || (uri != NULL && strlen(uri) >= sizeof(q.uri)) ||
	    (ts_id != NULL && strlen(ts_id) >= sizeof(q.ts_id)) || ttl < 0 || ttl > UINT32_MAX)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "sign request does not fit");
	if ((r = sign_head(client, key, cert_sha256, detached, &q, err)) != 0)
		return r;
	q.md_nid = md_nid;
	q.digest_len = (uint32_t)digest_len;
	memcpy(q.digest, digest, digest_len);
	/* TB_SIGN_COUNTER: the digest is of a signature value (RFC 5652 11.4). */
	q.detached = detached == 1;
	q.form = detached == TB_SIGN_COUNTER ? TB_SC_FORM_COUNTER :
	    detached == TB_SIGN_XML ? TB_SC_FORM_XML : detached == TB_SIGN_WSSE ?
	    TB_SC_FORM_WSSE : TB_SC_FORM_CMS;
	if (uri != NULL)
		memcpy(q.uri, uri, strlen(uri) + 1);
	if (ts_id != NULL)
		memcpy(q.ts_id, ts_id, strlen(ts_id) + 1);
	q.ttl = (uint32_t)ttl;
	r = tb_signer_link_call(d->link, &q, SIGN_TIMEOUT_S, &a, err);
	/* An answer, good or bad, means the signer recorded the outcome. */
	if (a != NULL)
		*audited = 1;
	if (r == 0)
		r = tb_sc_signed_decode(a, sd, err);
	if (r != 0) {
		/* A signature value is public: the answer is freed, not wiped. */
		free(a);
		return r;
	}
	*ans = a;
	return 0;
}

int
tb_daemon_sign(tb_daemon *d, const tb_client *client,
    const char *key, const unsigned char cert_sha256[32], int md_nid,
    const unsigned char *digest, size_t digest_len, int detached, tb_sc_ans **ans,
    tb_sc_signed *sd, int *audited, tb_error *err)
{
	return sign_call(d, client, key, cert_sha256, md_nid, digest, digest_len, detached, NULL,
	    NULL, 0, ans, sd, audited, err);
}

int
tb_daemon_sign_xml(tb_daemon *d, const tb_client *client, const char *key,
    const unsigned char cert_sha256[32], int md_nid, const unsigned char *digest,
    size_t digest_len, const char *uri, tb_sc_ans **ans, tb_sc_signed *sd, int *audited,
    tb_error *err)
{
	return sign_call(d, client, key, cert_sha256, md_nid, digest, digest_len, TB_SIGN_XML,
	    uri, NULL, 0, ans, sd, audited, err);
}

int
tb_daemon_sign_wsse(tb_daemon *d, const tb_client *client, const char *key,
    const unsigned char cert_sha256[32], int md_nid, const unsigned char *digest,
    size_t digest_len, const char *body_uri, const char *ts_id, long ttl, tb_sc_ans **ans,
    tb_sc_signed *sd, int *audited, tb_error *err)
{
	return sign_call(d, client, key, cert_sha256, md_nid, digest, digest_len, TB_SIGN_WSSE,
	    body_uri, ts_id, ttl, ans, sd, audited, err);
}

int
tb_daemon_sign_batch(tb_daemon *d, const tb_client *client, const char *key,
    const unsigned char cert_sha256[32], const tb_sc_item *items, uint32_t n, int detached,
    tb_sc_ans ***parts, size_t *nparts, int *audited, tb_error *err)
{
	tb_sc_ans *refusal = NULL;
	tb_sc_req q;
	int r;

	if ((r = sign_head(client, key, cert_sha256, detached, &q, err)) != 0)
		return r;
	q.type = TB_SC_SIGN_BATCH;
	/* The signer's deadline grows with the items it signs one after another. */
	r = tb_signer_link_call_batch(d->link, &q, items, n, SIGN_TIMEOUT_S + n / 4, parts,
	    nparts, &refusal, err);
	/* An answer, good or bad, means the signer recorded every item's outcome. */
	if (r == 0 || refusal != NULL)
		*audited = 1;
	free(refusal);
	return r;
}

int
tb_daemon_client_connected(tb_daemon *d, uint64_t conn, int fd, tb_error *err)
{
	return tb_signer_link_peer_add(d->link, conn, fd, err);
}

void
tb_daemon_client_gone(tb_daemon *d, uint64_t conn)
{
	tb_signer_link_peer_remove(d->link, conn);
}

int
tb_daemon_signer_status(tb_daemon *d, tb_sc_status *st, tb_error *err)
{
	tb_sc_ans *a = NULL;
	tb_sc_req q;
	int r;

	memset(&q, 0, sizeof(q));
	q.type = TB_SC_STATUS;
	if ((r = tb_signer_link_call(d->link, &q, STATUS_TIMEOUT_S, &a, err)) == 0)
		r = tb_sc_status_decode(a, st, err);
	free(a);
	return r;
}

void
tb_daemon_signer_state(tb_daemon *d, tb_signer_link_state *st)
{
	tb_signer_link_get_state(d->link, st);
}

static int
text_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* Settings that only a restart changes: say so instead of pretending. */
static void
note_restart_needed(const tb_config *old, const tb_config *new)
{
	if (strcmp(old->socket, new->socket) != 0 || old->socket_mode != new->socket_mode)
		tb_warn_f(0, "socket and socket_mode changes take effect at restart");
	if (old->workers != new->workers)
		tb_warn_f(0, "workers change takes effect at restart");
	if (tb_config_sign_workers(old) != tb_config_sign_workers(new))
		tb_warn_f(0, "sign_workers change takes effect at restart");
	if (old->control_workers != new->control_workers ||
	    old->intake_workers != new->intake_workers)
		tb_warn_f(0, "control_workers and intake_workers changes take effect at restart");
	if (text_differs(old->metrics_listen, new->metrics_listen) ||
	    text_differs(old->metrics_socket, new->metrics_socket) ||
	    old->metrics_socket_mode != new->metrics_socket_mode)
		tb_warn_f(0, "[metrics] changes take effect at restart");
	/* The listener, its certificate and its client CAs are set up once. */
	if (text_differs(old->tls_listen, new->tls_listen) ||
	    text_differs(old->tls_certificate, new->tls_certificate) ||
	    text_differs(old->tls_private_key, new->tls_private_key) ||
	    text_differs(old->tls_client_ca, new->tls_client_ca) ||
	    text_differs(old->tls_crl, new->tls_crl))
		tb_warn_f(0, "[tls] changes take effect at restart");
	if (old->syslog != new->syslog)
		tb_warn_f(0, "syslog change takes effect at restart");
	if (strcmp(old->audit_file, new->audit_file) != 0)
		tb_warn_f(0, "audit file changes take effect at restart");
	if (old->user_uid != new->user_uid || old->user_gid != new->user_gid ||
	    old->socket_uid != new->socket_uid || old->socket_gid != new->socket_gid)
		tb_warn_f(0, "user, group and socket owner changes take effect at restart");
}

/* Records a failed reload (the signer writes its own) and keeps the running state. */
static void
reload_failed(tb_daemon *d, int r, const tb_error *e, int record)
{
	tb_error_f(r, "reload failed, keeping the running configuration: %s", e->detail);
	pthread_mutex_lock(&d->lock);
	snprintf(d->error, sizeof(d->error), "%s", e->detail);
	pthread_mutex_unlock(&d->lock);
	if (record)
		(void)tb_daemon_audit(d, (unsigned)getuid(), "reload", NULL, NULL, NULL, r,
		    e->detail, NULL);
}

/* signer_too: ask the signer to reload first (not after its restart: it just did). */
static int
reload_run(tb_daemon *d, int signer_too)
{
	int r = TB_ERR_INTERNAL;
	tb_config *cfg = NULL, *old_cfg = NULL;
	tb_front_keys *keys = NULL, *old_keys = NULL;
	tb_revocation *rv = NULL, *old_rv = NULL;
	tb_anchors *anchors = NULL, *old_anchors = NULL;
	tb_sc_ans *a = NULL;
	tb_sc_req q;
	tb_error e;

	tb_info_f("%s %s", signer_too ? "reloading" : "taking the restarted signer's", d->path);
	tb_error_clear(&e);
	if ((r = tb_config_load(d->path, &cfg, &e)) == 0 && cfg->audit_file == NULL)
		r = tb_error_set(&e, TB_ERR_CONFIG, "%s: [audit] file is required", d->path);
	/* Trust is built before the signer is asked: broken anchors refuse the reload. */
	if (r == 0)
		r = tb_anchors_new(cfg, &anchors, &e);
	if (r != 0) {
		reload_failed(d, r, &e, 1);
		goto out;
	}
	if (signer_too) {
		memset(&q, 0, sizeof(q));
		q.type = TB_SC_RELOAD;
		r = tb_signer_link_call(d->link, &q, RELOAD_TIMEOUT_S, &a, &e);
		if (r != 0) {
			/* With an answer the signer recorded the failure itself. */
			reload_failed(d, r, &e, 0);
			goto out;
		}
	}
	if ((r = tb_front_keys_fetch(d->link, &keys, &e)) != 0 ||
	    (r = tb_revocation_new(cfg, &rv, &e)) != 0) {
		reload_failed(d, r, &e, 0);
		goto out;
	}
	pthread_mutex_lock(&d->lock);
	note_restart_needed(d->cfg, cfg);
	old_cfg = d->cfg;
	old_keys = d->keys;
	old_rv = d->rev;
	old_anchors = d->anchors;
	d->rev = rv;
	d->anchors = anchors;
	d->cfg = cfg;
	d->keys = keys;
	rv = NULL;
	anchors = NULL;
	cfg = NULL;
	keys = NULL;
	d->loaded = tb_clock_now();
	d->error[0] = '\0';
	apply_log_level(d, d->cfg);
	pthread_mutex_unlock(&d->lock);
	atomic_fetch_add(&d->generation, 1);
	tb_info_f("reloaded %s", d->path);
	r = 0;
out:
	/* In-flight requests keep their own references to the old snapshots. */
	free(a);
	tb_revocation_unref(old_rv);
	tb_revocation_unref(rv);
	tb_anchors_unref(old_anchors);
	tb_anchors_unref(anchors);
	tb_front_keys_unref(old_keys);
	tb_front_keys_unref(keys);
	tb_config_unref(old_cfg);
	tb_config_unref(cfg);
	return r;
}

/*
 * A reload asked for while one runs is run after it: the file may have
 * changed after the running one read it, and the last SIGHUP must be the
 * one whose file serves. Several asked for meanwhile make one more run.
 */
static void *
reload_main(void *arg)
{
	tb_daemon *d = arg;
	int again;

	do {
		(void)reload_run(d, !atomic_exchange(&d->resync, 0));
		pthread_mutex_lock(&d->reload_lock);
		again = d->reload_again && !atomic_load(&d->stopping);
		d->reload_again = 0;
		if (!again)
			atomic_store(&d->reload_done, 1);
		pthread_mutex_unlock(&d->reload_lock);
	} while (again);
	return NULL;
}

static void
reload_request(tb_daemon *d)
{
	pthread_mutex_lock(&d->reload_lock);
	if (atomic_load(&d->stopping)) {
		pthread_mutex_unlock(&d->reload_lock);
		return;
	}
	if (d->reload_running && atomic_load(&d->reload_done)) {
		pthread_join(d->reload_thread, NULL);
		d->reload_running = 0;
	}
	if (d->reload_running) {
		if (!d->reload_again)
			tb_info_f("a reload is running; another follows it");
		d->reload_again = 1;
	} else {
		atomic_store(&d->reload_done, 0);
		if (pthread_create(&d->reload_thread, NULL, reload_main, d) != 0)
			tb_error_f(TB_ERR_INTERNAL, "cannot start the reload thread");
		else
			d->reload_running = 1;
	}
	pthread_mutex_unlock(&d->reload_lock);
}

/*
 * An operator's reload asks the signer too, even where it folds into the
 * run a signer's restart asked for: the file may be newer than the one the
 * restarted signer read.
 */
void
tb_daemon_reload_start(tb_daemon *d)
{
	atomic_store(&d->resync, 0);
	reload_request(d);
}

/* Outside the lock: the reload thread takes it when a run ends. */
void
tb_daemon_reload_wait(tb_daemon *d)
{
	pthread_t t;
	int running;

	pthread_mutex_lock(&d->reload_lock);
	running = d->reload_running;
	t = d->reload_thread;
	d->reload_running = 0;
	pthread_mutex_unlock(&d->reload_lock);
	if (running)
		pthread_join(t, NULL);
}

int
tb_daemon_expiring(tb_daemon *d, const tb_front_key *k, time_t now, long *days_left)
{
	tb_config *cfg;
	time_t nb, na;
	int expiring;

	if (k->cert == NULL || tb_cert_times(k->cert, &nb, &na) != 0)
		return 0;
	*days_left = tb_cert_days_left(na, now);
	cfg = tb_daemon_config(d);
	expiring = *days_left <= (long)cfg->expiry_warning_days;
	tb_config_unref(cfg);
	return expiring;
}

void
tb_daemon_expiry_check(tb_daemon *d, int force)
{
	time_t now = tb_clock_now();
	tb_front_keys *ks;
	const tb_front_key *k;
	long days;
	size_t i;

	/* Once a day, and at every start or reload, so officers see it in the log. */
	if (!force && now - d->expiry_warned < 86400)
		return;
	d->expiry_warned = now;
	ks = tb_daemon_keys(d);
	for (i = 0; i < tb_front_keys_count(ks); i++) {
		k = tb_front_keys_at(ks, i);
		if (tb_daemon_expiring(d, k, now, &days))
			tb_warn_f(0, "certificate of key %s %s (%ld days left)",
			    k->name, days < 0 ? "has expired" : "expires soon", days);
	}
	tb_front_keys_unref(ks);
}
