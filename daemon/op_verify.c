/*
 * The verify and check-cert ops: read the request's fields, run libsig's
 * verification against the configured trust and the revocation checker of
 * the same configuration, and answer with the one JSON form libsig builds
 * (plus the raw OCSP responses when "evidence" is asked). A bad signature
 * is an answer (a verdict), never an error; errors are for requests that
 * are wrong. Holds no key, no PIN.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "revocation.h"
#include "tb_clock.h"
#include "tb_log.h"
#include "verify.h"

#define MAX_REQ_ROLES 16
#define MAX_REQ_CERTS 16

/*
 * The trust of one configuration generation, built on first use after a
 * reload and shared by the requests of that generation.
 */
typedef struct trust_snap {
	tb_trust *trust;
	unsigned generation;
	int refs;			/* under snap_lock */
} trust_snap;

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static trust_snap *snap_current;

static void
snap_unref(trust_snap *s)
{
	int last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&snap_lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&snap_lock);
	if (last) {
		tb_trust_free(s->trust);
		free(s);
	}
}

static int
snap_build(const tb_config *cfg, unsigned gen, trust_snap **out, tb_error *err)
{
	trust_snap *s = calloc(1, sizeof(*s));
	tb_error e;

	tb_error_clear(&e);
	if (s == NULL || (s->trust = tb_trust_new()) == NULL) {
		free(s);
		return tb_error_set(err, TB_ERR_NOMEM, "trust");
	}
	s->generation = gen;
	s->refs = 1;
	if (tb_trust_load_anchors(s->trust, cfg->verify_anchors, &e) != 0 ||
	    (cfg->verify_untrusted != NULL &&
	    tb_trust_load_untrusted(s->trust, cfg->verify_untrusted, &e) != 0)) {
		tb_error_f(e.code, "[verify]: %s", e.detail);
		tb_trust_free(s->trust);
		free(s);
		return tb_error_set(err, TB_ERR_UNAVAILABLE, "trust anchors unusable: %s", e.detail);
	}
	tb_info_f("[verify]: %zu trust anchors loaded", tb_trust_anchor_count(s->trust));
	*out = s;
	return 0;
}

/* The trust of the current configuration, with a reference the caller drops. */
static int
snap_get(tb_daemon *d, const tb_config *cfg, unsigned gen, trust_snap **out, tb_error *err)
{
	trust_snap *s = NULL, *old = NULL;
	int r;

	pthread_mutex_lock(&snap_lock);
	if (snap_current != NULL && snap_current->generation == gen) {
		snap_current->refs++;
		*out = snap_current;
		pthread_mutex_unlock(&snap_lock);
		return 0;
	}
	pthread_mutex_unlock(&snap_lock);
	/* Loaded outside the lock: a large bundle must not stall other requests. */
	if ((r = snap_build(cfg, gen, &s, err)) != 0)
		return r;
	pthread_mutex_lock(&snap_lock);
	if (snap_current != NULL && snap_current->generation == gen) {
		/* Another request built the same meanwhile: use the one in place. */
		old = s;
		s = snap_current;
		s->refs++;
	} else {
		/* s->refs is 1, the cache's; the caller's is added here. */
		old = snap_current;
		snap_current = s;
		s->refs++;
	}
	pthread_mutex_unlock(&snap_lock);
	snap_unref(old);
	*out = s;
	return 0;
}

typedef struct vreq {
	unsigned char *input;
	size_t input_len;
	unsigned char *content;
	size_t content_len;
	const char *roles[MAX_REQ_ROLES];
	STACK_OF(X509) *certs;
	const char *lang;
	int evidence;			/* add the raw OCSP responses */
	tb_verify_request r;
} vreq;

static void
vreq_clear(vreq *v)
{
	free(v->input);
	free(v->content);
	sk_X509_pop_free(v->certs, X509_free);
}

static int
read_fields(json_t *req, int is_cert, vreq *v, tb_error *err)
{
	int r;
	const char *time = NULL;
	json_t *a, *el;
	size_t i;
	unsigned char *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	X509 *x;

	memset(v, 0, sizeof(*v));
	if ((r = tb_proto_get_b64(req, is_cert ? "cert" : "cms", 1, &v->input, &v->input_len,
	    err)) != 0 ||
	    (!is_cert && (r = tb_proto_get_b64(req, "content", 0, &v->content,
	    &v->content_len, err)) != 0) ||
	    (r = tb_proto_get_string(req, "iin", 0, &v->r.iin, err)) != 0 ||
	    (r = tb_proto_get_string(req, "bin", 0, &v->r.bin, err)) != 0 ||
	    (r = tb_proto_get_string(req, "lang", 0, &v->lang, err)) != 0 ||
	    (r = tb_proto_get_bool(req, "evidence", 0, &v->evidence, err)) != 0 ||
	    (!is_cert && (r = tb_proto_get_string(req, "time", 0, &time, err)) != 0))
		return r;
	if (v->lang != NULL && !tb_verdict_lang_ok(v->lang))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "lang: kk, ru or en");
	if (time != NULL) {
		if (strcmp(time, "now") == 0)
			v->r.time = TB_TIME_NOW;
		else if (strcmp(time, "signing_time") == 0)
			v->r.time = TB_TIME_SIGNING;
		else
			return tb_error_set(err, TB_ERR_INVALID_ARG, "time: \"now\" or \"signing_time\"");
	}
	if ((a = json_object_get(req, "roles")) != NULL) {
		if (!json_is_array(a) || json_array_size(a) > MAX_REQ_ROLES)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "roles: an array of at most %d role names", MAX_REQ_ROLES);
		json_array_foreach(a, i, el) {
			if (!json_is_string(el))
				return tb_error_set(err, TB_ERR_INVALID_ARG, "roles: strings only");
			v->roles[i] = json_string_value(el);
		}
		v->r.roles = v->roles;
		v->r.n_roles = json_array_size(a);
	}
	if ((a = json_object_get(req, "certs")) != NULL) {
		if (!json_is_array(a) || json_array_size(a) > MAX_REQ_CERTS)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "certs: an array of at most %d base64 DER certificates", MAX_REQ_CERTS);
		if ((v->certs = sk_X509_new_null()) == NULL)
			return tb_error_set(err, TB_ERR_NOMEM, "certs");
		json_array_foreach(a, i, el) {
			if (!json_is_string(el) || tb_b64_decode(json_string_value(el),
			    json_string_length(el), &der, &der_len, NULL) != 0)
				return tb_error_set(err, TB_ERR_INVALID_ARG, "certs: base64 strings only");
			p = der;
			x = d2i_X509(NULL, &p, (long)der_len);
			free(der);
			der = NULL;
			if (x == NULL)
				return tb_error_set(err, TB_ERR_INVALID_ARG,
				    "certs: element %zu is not a DER certificate", i);
			if (!sk_X509_push(v->certs, x)) {
				X509_free(x);
				return tb_error_set(err, TB_ERR_NOMEM, "certs");
			}
		}
		v->r.certs = v->certs;
	}
	v->r.input = v->input;
	v->r.input_len = v->input_len;
	/* An empty content is still content: a detached signature over nothing. */
	if (v->content != NULL) {
		v->r.content = v->content;
		v->r.content_len = v->content_len;
	}
	return 0;
}

/*
 * What libsig's JSON leaves out of each signer's (or the certificate's)
 * revocation object: a revocation after the evaluation time (not applied,
 * but reported with its date and reason) and, when asked, the raw OCSP
 * response the status rested on, base64, as "ocsp_response", so that a
 * portal can archive it with the document.
 */
static int
revocation_add(const tb_verify_result *res, json_t *answer, int evidence)
{
	json_t *list = res->is_cert ? NULL : json_object_get(answer, "signers"), *s, *rj;
	const tb_rev_result *rr;
	char *b64, when[32];
	size_t i;

	for (i = 0; i < res->n_signers; i++) {
		s = res->is_cert ? json_object_get(answer, "certificate") : json_array_get(list, i);
		rj = json_object_get(s, "revocation");
		if (!json_is_object(rj) || res->signers[i].path == NULL ||
		    !res->signers[i].path->rev_checked || res->signers[i].path->n < 2)
			continue;
		rr = &res->signers[i].path->rev[0];
		if (rr->revoked_later && json_object_get(rj, "revoked_later") == NULL) {
			tb_clock_format(rr->revoked_at, when, sizeof(when));
			json_object_set_new(rj, "revoked_later", json_true());
			json_object_set_new(rj, "revoked_at", json_string(when));
			json_object_set_new(rj, "reason", json_integer(rr->reason));
		}
		if (!evidence || rr->ocsp_der == NULL)
			continue;
		if ((b64 = tb_b64_encode(rr->ocsp_der, rr->ocsp_der_len)) == NULL)
			return TB_ERR_NOMEM;
		json_object_set_new(rj, "ocsp_response", json_string(b64));
		free(b64);
	}
	return 0;
}

static void
policy_of(const tb_config *cfg, tb_verify_policy *pol)
{
	tb_verify_policy_default(pol);
	pol->require_non_repudiation = cfg->verify_require_non_repudiation;
	pol->check_iin_checksum = cfg->verify_check_iin_checksum;
	pol->allow_sha1 = cfg->verify_allow_sha1;
	pol->use_signing_time = cfg->verify_use_signing_time;
	pol->max_input_bytes = cfg->max_frame_bytes;
}

static int
run(tb_daemon *d, const tb_client *client, json_t *req, json_t *result, int is_cert,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned gen = tb_daemon_generation(d);	/* before the config: a reload in between rebuilds */
	tb_config *cfg = tb_daemon_config(d);
	trust_snap *snap = NULL;
	tb_revocation *rv = tb_daemon_revocation(d);	/* the same generation as cfg, or newer */
	tb_verify_policy pol;
	tb_verify_result *res = NULL;
	json_t *j = NULL;
	vreq v;

	memset(&v, 0, sizeof(v));
	if ((r = read_fields(req, is_cert, &v, err)) != 0)
		goto out;
	if (cfg->verify_anchors == NULL) {
		r = tb_error_set(err, TB_ERR_UNAVAILABLE,
		    "no trust anchors: [verify] anchors is not configured");
		goto out;
	}
	if ((r = snap_get(d, cfg, gen, &snap, err)) != 0)
		goto out;
	policy_of(cfg, &pol);
	r = is_cert ? tb_verify_cert(snap->trust, &pol, tb_revocation_hook(rv), &v.r, &res, err) :
	    tb_verify_cms(snap->trust, &pol, tb_revocation_hook(rv), &v.r, &res, err);
	if (r != 0)
		goto out;
	if ((j = tb_verify_result_to_json(res, v.lang)) == NULL ||
	    json_object_update(result, j) != 0) {
		r = tb_error_set(err, TB_ERR_NOMEM, "answer");
		goto out;
	}
	if ((r = revocation_add(res, result, v.evidence == 1)) != 0) {
		tb_error_set(err, r, "answer");
		goto out;
	}
	tb_debug_f("uid %u %s: %s", client->uid, is_cert ? "check-cert" : "verify",
	    tb_verdict_code(res->verdict));
	tb_metrics_verdict(tb_daemon_metrics(d), (int)res->verdict);
	r = 0;
out:
	json_decref(j);
	tb_verify_result_free(res);
	snap_unref(snap);
	tb_revocation_unref(rv);
	vreq_clear(&v);
	tb_config_unref(cfg);
	return r;
}

int
tb_op_verify(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	return run(d, client, req, result, 0, err);
}

int
tb_op_check_cert(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	return run(d, client, req, result, 1, err);
}
