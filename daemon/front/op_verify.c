/*
 * The verify and check-cert ops: read the request's fields, run libsig's
 * verification against the configured trust and the revocation checker of
 * the same configuration, and answer with the one JSON form libsig builds
 * (plus the raw OCSP responses when "evidence" is asked). A bad signature
 * is an answer (a verdict), never an error; errors are for requests that
 * are wrong. Holds no key, no PIN.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "anchors.h"
#include "cms_evidence.h"
#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "revocation.h"
#include "signchan.h"
#include "tb_clock.h"
#include "tb_log.h"
#include "verify.h"
#include "xml.h"

#define MAX_REQ_ROLES 16
#define MAX_REQ_CERTS 16

typedef struct vreq {
	unsigned char *input;
	size_t input_len;
	unsigned char *content;
	size_t content_len;
	const char *roles[MAX_REQ_ROLES];
	STACK_OF(X509) *certs;
	const char *lang;
	const char *format;		/* "cms", "xml", or NULL: told by the input */
	int evidence;			/* add the raw OCSP responses */
	int embedded;			/* "embedded_revocation": the CMS's own data as fallback */
	tb_policy_inputs policy;	/* the request's RFC 5280 6.1.1 inputs */
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
	/* An XML document may come as "xml" rather than "cms" (docs/XML.md). */
	if (!is_cert && json_object_get(req, "xml") != NULL)
		v->format = "xml";
	if ((r = tb_proto_get_b64(req, is_cert ? "cert" : v->format != NULL ? "xml" : "cms", 1,
	    &v->input, &v->input_len, err)) != 0 ||
	    (!is_cert && v->format == NULL &&
	    (r = tb_proto_get_string(req, "format", 0, &v->format, err)) != 0) ||
	    (!is_cert && (r = tb_proto_get_string(req, "signed_element", 0,
	    &v->r.signed_element, err)) != 0) ||
	    (!is_cert && (r = tb_proto_get_b64(req, "content", 0, &v->content,
	    &v->content_len, err)) != 0) ||
	    (r = tb_proto_get_string(req, "iin", 0, &v->r.iin, err)) != 0 ||
	    (r = tb_proto_get_string(req, "bin", 0, &v->r.bin, err)) != 0 ||
	    (r = tb_proto_get_string(req, "lang", 0, &v->lang, err)) != 0 ||
	    (r = tb_proto_get_bool(req, "evidence", 0, &v->evidence, err)) != 0 ||
	    (!is_cert && (r = tb_proto_get_bool(req, "embedded_revocation", 0, &v->embedded,
	    err)) != 0) ||
	    (r = tb_proto_get_string(req, "time", 0, &time, err)) != 0)
		return r;
	if (v->format != NULL && strcmp(v->format, "cms") != 0 && strcmp(v->format, "xml") != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "format: \"cms\" or \"xml\"");
	if (v->lang != NULL && !tb_verdict_lang_ok(v->lang))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "lang: kk, ru or en");
	if (time != NULL) {
		if (strcmp(time, "now") == 0)
			v->r.time = TB_TIME_NOW;
		else if (strcmp(time, "signing_time") == 0 && !is_cert)
			v->r.time = TB_TIME_SIGNING;
		else if (strcmp(time, "timestamp") == 0 && !is_cert)
			v->r.time = TB_TIME_TIMESTAMP;
		else if (tb_clock_parse(time, &v->r.at) == 0)
			v->r.time = TB_TIME_AT;
		else
			return tb_error_set(err, TB_ERR_INVALID_ARG, is_cert ?
			    "time: \"now\" or an RFC 3339 time" :
			    "time: \"now\", \"signing_time\", \"timestamp\" or an RFC 3339 time");
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
	if ((a = json_object_get(req, "policies")) != NULL) {
		if (!json_is_array(a) || json_array_size(a) > TB_POLICY_MAX_INITIAL)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "policies: an array of at most %d OIDs", TB_POLICY_MAX_INITIAL);
		json_array_foreach(a, i, el)
			if (!json_is_string(el) ||
			    tb_policy_inputs_add(&v->policy, json_string_value(el), NULL) != 0)
				return tb_error_set(err, TB_ERR_INVALID_ARG,
				    "policies: element %zu is not a dotted OID string", i);
	}
	if ((r = tb_proto_get_bool(req, "require_explicit_policy", 0, &v->policy.explicit_policy,
	    err)) != 0 ||
	    (r = tb_proto_get_bool(req, "inhibit_policy_mapping", 0, &v->policy.inhibit_mapping,
	    err)) != 0 ||
	    (r = tb_proto_get_bool(req, "inhibit_any_policy", 0, &v->policy.inhibit_any, err)) != 0)
		return r;
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

/* [verify] policies and the flags; conf.c has checked every OID. */
static void
policy_inputs_of(const tb_config *cfg, tb_policy_inputs *in)
{
	const char *s = cfg->verify_policies != NULL ? cfg->verify_policies : "";
	char oid[TB_POLICY_OID_MAX];
	size_t n;

	while (*s != '\0') {
		s += strspn(s, " \t,");
		if ((n = strcspn(s, " \t,")) == 0 || n >= sizeof(oid))
			break;
		memcpy(oid, s, n);
		oid[n] = '\0';
		if (tb_policy_inputs_add(in, oid, NULL) != 0)
			break;
		s += n;
	}
	in->explicit_policy = cfg->verify_require_explicit_policy;
	in->inhibit_mapping = cfg->verify_inhibit_policy_mapping;
	in->inhibit_any = cfg->verify_inhibit_any_policy;
	in->max_nodes = cfg->verify_max_policy_nodes;
}

/*
 * [audit] verify: one record per verification in the signer's trail
 * (sent as the front's report: the signer writes it as such, never as a
 * signing outcome): the client, the digest of the CMS or certificate as
 * sent, the (first) signer certificate's issuer and serial, the verdict
 * and the revocation evidence its status rested on. The answer waits for
 * the record: no verdict without its record.
 */
static int
verification_record(tb_daemon *d, const tb_client *client, const vreq *v, json_t *answer,
    int is_cert, tb_error *err)
{
	json_t *s = json_object_get(answer, is_cert ? "certificate" : "signer"), *rj;
	char doc[7 + 64 + 1], rev[200], detail[TB_SC_DETAIL_MAX], *p;
	const char *status, *source, *upd, *by, *serial, *issuer;

	tb_ops_digest_text(v->input, v->input_len, doc, sizeof(doc));
	rj = json_object_get(s, "revocation");
	status = json_string_value(json_object_get(rj, "status"));
	source = json_string_value(json_object_get(rj, "source"));
	upd = json_string_value(json_object_get(rj, "this_update"));
	by = json_string_value(json_object_get(rj, "issuer"));
	snprintf(rev, sizeof(rev), "%s%s%s%s%s%s%s", status ? status : "not_checked",
	    source ? " from " : "", source ? source : "", upd ? " this_update " : "",
	    upd ? upd : "", by ? " signed by " : "", by ? by : "");
	/* ';' separates the fields: none inside the evidence text */
	for (p = rev; (p = strchr(p, ';')) != NULL; )
		*p = ',';
	serial = json_string_value(json_object_get(s, "serial"));
	issuer = json_string_value(json_object_get(s, "issuer"));
	snprintf(detail, sizeof(detail), "serial=%s;revocation=%s;issuer=%s",
	    serial ? serial : "-", rev, issuer ? issuer : "-");
	if (tb_daemon_audit(d, client->uid, "verification",
	    json_string_value(json_object_get(answer, "verdict")), doc, NULL, 0, detail,
	    err) != 0)
		return tb_error_set(err, TB_ERR_UNAVAILABLE, "audit trail: the verification "
		    "could not be recorded ([audit] verify = yes): %s", err->detail);
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
	policy_inputs_of(cfg, &pol->policy);
	pol->budget.max_time_ms = (long)cfg->verify_max_time_ms;
	pol->budget.max_sig_checks = cfg->verify_max_sig_checks;
	pol->budget.max_candidates = cfg->verify_max_candidates;
	pol->budget.max_nc_checks = cfg->verify_max_nc_checks;
	pol->min_rsa_bits = (int)cfg->verify_min_rsa_bits;
	pol->min_ec_bits = (int)cfg->verify_min_ec_bits;
	tb_ops_xml_limits_of(cfg, &pol->xml);
}

static int
run(tb_daemon *d, const tb_client *client, json_t *req, json_t *result, int is_cert,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	/* Trust, config and revocation of one generation, or the trust one older. */
	tb_anchors *anchors = tb_daemon_anchors(d);
	tb_config *cfg = tb_daemon_config(d);
	tb_trust *trust = tb_anchors_trust(anchors);
	tb_revocation *rv = tb_daemon_revocation(d);	/* the same generation as cfg, or newer */
	tb_verify_policy pol;
	tb_verify_result *res = NULL;
	const tb_rev_checker *rev = tb_revocation_hook(rv);
	tb_cms_evidence ev;
	tb_evidence_checker evc;
	json_t *j = NULL;
	vreq v;

	memset(&v, 0, sizeof(v));
	memset(&ev, 0, sizeof(ev));
	if ((r = read_fields(req, is_cert, &v, err)) != 0)
		goto out;
	/*
	 * The CMS's own CRLs and OCSP responses answer where the network
	 * checker cannot; each is checked as if fetched (libsig/cms_evidence.c).
	 */
	if (v.embedded == 1 && !is_cert && (v.format == NULL || strcmp(v.format, "xml") != 0) &&
	    tb_cms_evidence_read(v.input, v.input_len, &ev, NULL) == 0) {
		tb_evidence_checker_init(&evc, rev, &ev);
		rev = &evc.self;
	}
	if (trust == NULL) {
		r = tb_error_set(err, TB_ERR_UNAVAILABLE,
		    "no trust anchors: [verify] anchors is not configured");
		goto out;
	}
	policy_of(cfg, &pol);
	pol.tsa_trust = tb_anchors_tsa_trust(anchors);
	tb_policy_inputs_merge(&pol.policy, &v.policy);
	if (is_cert)
		r = tb_verify_cert(trust, &pol, rev, &v.r, &res, err);
	else if (v.format != NULL ? strcmp(v.format, "xml") == 0 :
	    tb_xml_looks_like(v.input, v.input_len))
		r = tb_verify_xml(trust, &pol, rev, &v.r, &res, err);
	else
		r = tb_verify_cms(trust, &pol, rev, &v.r, &res, err);
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
	if (cfg->audit_verify &&
	    (r = verification_record(d, client, &v, result, is_cert, err)) != 0)
		goto out;
	tb_debug_f("uid %u %s: %s", client->uid, is_cert ? "check-cert" : "verify",
	    tb_verdict_code(res->verdict));
	tb_metrics_verdict(tb_daemon_metrics(d), (int)res->verdict);
	r = 0;
out:
	json_decref(j);
	tb_verify_result_free(res);
	tb_cms_evidence_clear(&ev);
	tb_anchors_unref(anchors);
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
