/*
 * What CMS verification and certificate checks share: the policy defaults,
 * the signer's path and identity, the caller's identity demands, the
 * overall verdict, and the one JSON form of the answer. The JSON is built
 * here only, so the daemon and the offline CLI cannot drift apart.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cms_verify.h"
#include "tb_clock.h"
#include "tst_verify.h"

#define DEFAULT_MAX_INPUT (64u * 1024 * 1024)
/*
 * Certificates a check-cert input may hold. Each costs a parse (OpenSSL
 * 3.0: about half a millisecond with its key) before the budget starts, so
 * a frame of copies would hold a worker for seconds; counted first, on the
 * bytes.
 */
#define MAX_INPUT_CERTS 256

void
tb_verify_policy_default(tb_verify_policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->max_input_bytes = DEFAULT_MAX_INPUT;
	pol->max_chain_depth = 8;
	pol->check_iin_checksum = 1;
}

/* 12 digits, and the check digit right unless the policy skips it. */
static int
number_ok(const char *s, int check_digit)
{
	size_t i;

	if (check_digit)
		return tb_iin_valid(s);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return i == 12;
}

int
tb_verify_request_check(const tb_verify_request *req, const tb_verify_policy *pol,
    tb_error *err)
{
	size_t i;
	int cd = pol->check_iin_checksum;

	if (req->input == NULL || req->input_len == 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "input: empty");
	/* The caller's numbers must be right: a typo is the caller's error, not the citizen's. */
	if (req->iin != NULL && !number_ok(req->iin, cd))
		return tb_error_set(err, TB_ERR_INVALID_ARG, cd ?
		    "iin: not 12 digits with a valid check digit" : "iin: not 12 digits");
	if (req->bin != NULL && !number_ok(req->bin, cd))
		return tb_error_set(err, TB_ERR_INVALID_ARG, cd ?
		    "bin: not 12 digits with a valid check digit" : "bin: not 12 digits");
	for (i = 0; i < req->n_roles; i++)
		if (req->roles[i] == NULL || tb_role_lookup(req->roles[i]) == NULL)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "roles: unknown role '%s'",
			    req->roles[i] != NULL ? req->roles[i] : "");
	return 0;
}

/* PEM certificate blocks in buf, counted up to MAX_INPUT_CERTS + 1. */
static int
pem_blocks(const unsigned char *buf, size_t len)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	const unsigned char *p = buf, *hit;
	int n = 0;

	while (n <= MAX_INPUT_CERTS && p < buf + len &&
	    (hit = memmem(p, (size_t)(buf + len - p), begin, sizeof(begin) - 1)) != NULL) {
		n++;
		p = hit + sizeof(begin) - 1;
	}
	return n;
}

tb_verify_result *
tb_verify_result_new(int is_cert, size_t n_signers)
{
	tb_verify_result *res = calloc(1, sizeof(*res));

	if (res == NULL)
		return NULL;
	res->is_cert = is_cert;
	res->identity_signer = -1;
	res->eval_time = tb_clock_now();
	tb_verify_budget_start(&res->budget, NULL);
	if (n_signers > 0 && (res->signers = calloc(n_signers, sizeof(*res->signers))) == NULL) {
		free(res);
		return NULL;
	}
	res->n_signers = n_signers;
	return res;
}

void
tb_verify_result_free(tb_verify_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n_signers; i++) {
		X509_free(res->signers[i].cert);
		tb_path_free(res->signers[i].path);
		json_decref(res->signers[i].extra);
		free(res->signers[i].tst);
	}
	free(res->signers);
	tb_reasons_clear(&res->reasons);
	free(res);
}

void
tb_verify_result_finish(tb_verify_result *res)
{
	res->verdict = tb_reasons_verdict(&res->reasons);
	if (res->n_signers > 0) {
		res->eval_time = res->signers[0].eval_time;
		res->eval_at_signing_time = res->signers[0].eval_at_signing_time;
		res->eval_at_given_time = res->signers[0].eval_at_given_time;
		res->eval_at_timestamp = res->signers[0].eval_at_timestamp;
	}
}

int
tb_verify_signer_cert(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, tb_verify_result *res, size_t idx, STACK_OF(X509) *extra,
    tb_error *err)
{
	tb_signer_result *s = &res->signers[idx];
	tb_path_policy pp;
	tb_identity *id = &s->id;
	int r;

	memset(&pp, 0, sizeof(pp));
	pp.require_non_repudiation = pol->require_non_repudiation;
	pp.check_signing_usage = 1;
	pp.max_depth = pol->max_chain_depth;
	pp.policy = &pol->policy;
	pp.min_rsa_bits = pol->min_rsa_bits;
	pp.min_ec_bits = pol->min_ec_bits;
	pp.budget = &res->budget;
	/* Fetches made for revocation learn the time left from the thread's budget. */
	tb_verify_budget_set_current(&res->budget);
	r = tb_path_validate(trust, &pp, rev, s->cert, extra, s->eval_time, (int)idx,
	    &res->reasons, &s->path, err);
	tb_verify_budget_set_current(NULL);
	if (r != 0)
		return r;
	if ((r = tb_identity_from_cert(s->cert, id, err)) != 0)
		return r;
	/* The certificate's own numbers: a switch, because test PKIs fail it. */
	if (pol->check_iin_checksum && id->iin[0] != '\0' && !tb_iin_valid(id->iin) &&
	    tb_reasons_add(&res->reasons, TB_V_IDENTITY_MISMATCH, "IDENTITY_MISMATCH.iin_checksum",
	    (int)idx, "certificate IIN fails its check digit", "found", id->iin, NULL) != 0)
		return tb_error_set(err, TB_ERR_NOMEM, "reason");
	if (pol->check_iin_checksum && id->bin[0] != '\0' && !tb_iin_valid(id->bin) &&
	    tb_reasons_add(&res->reasons, TB_V_IDENTITY_MISMATCH, "IDENTITY_MISMATCH.bin_checksum",
	    (int)idx, "certificate BIN fails its check digit", "found", id->bin, NULL) != 0)
		return tb_error_set(err, TB_ERR_NOMEM, "reason");
	/* DOMAIN.md: a legal-entity role belongs to an organisation's certificate. */
	if (id->legal_role && id->bin[0] == '\0' &&
	    tb_reasons_add(&res->reasons, TB_V_IDENTITY_MISMATCH,
	    "IDENTITY_MISMATCH.role_without_bin", (int)idx,
	    "legal-entity role OID without OU=BIN", NULL) != 0)
		return tb_error_set(err, TB_ERR_NOMEM, "reason");
	return 0;
}

static int
has_role(const tb_identity *id, const char *name)
{
	int i;

	for (i = 0; i < id->n_roles; i++)
		if (strcmp(id->roles[i], name) == 0)
			return 1;
	return 0;
}

/* "@role.a, @role.b": the message shows each role in its language. */
static void
join_roles(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t i, pos = 0;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n && pos + 1 < len; i++) {
		w = snprintf(buf + pos, len - pos, "%s@role.%s", i ? ", " : "", names[i]);
		if (w < 0 || (size_t)w >= len - pos)
			break;
		pos += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, len, "@role.none");
}

/* The mismatches of one signer against the request; 0 found means it matches. */
static int
demands_of(const tb_verify_request *req, const tb_signer_result *s, int idx,
    tb_reasons *out)
{
	const tb_identity *id = &s->id;
	const char *names[TB_ID_MAX_ROLES + 1];
	char want[256], have[256], detail[600];
	size_t i;
	int ok = 0, rc = 0;

	if (req->iin != NULL && strcmp(req->iin, id->iin) != 0)
		rc |= tb_reasons_add(out, TB_V_IDENTITY_MISMATCH,
		    id->iin[0] ? "IDENTITY_MISMATCH.iin" : "IDENTITY_MISMATCH.iin_absent", idx,
		    "IIN differs from the request", "expected", req->iin, "found", id->iin, NULL);
	if (req->bin != NULL && strcmp(req->bin, id->bin) != 0)
		rc |= tb_reasons_add(out, TB_V_IDENTITY_MISMATCH,
		    id->bin[0] ? "IDENTITY_MISMATCH.bin" : "IDENTITY_MISMATCH.bin_absent", idx,
		    "BIN differs from the request", "expected", req->bin, "found", id->bin, NULL);
	if (req->n_roles > 0) {
		for (i = 0; i < req->n_roles; i++)
			if (has_role(id, tb_role_lookup(req->roles[i])))
				ok = 1;
		if (!ok) {
			for (i = 0; i < req->n_roles && i < TB_ID_MAX_ROLES; i++)
				names[i] = tb_role_lookup(req->roles[i]);
			join_roles(names, i, want, sizeof(want));
			join_roles(id->roles, (size_t)id->n_roles, have, sizeof(have));
			snprintf(detail, sizeof(detail), "no accepted role: required %s; found %s",
			    want, have);
			rc |= tb_reasons_add(out, TB_V_IDENTITY_MISMATCH, "IDENTITY_MISMATCH.role",
			    idx, detail, "expected", want, "found", have, NULL);
		}
	}
	return rc != 0 ? TB_ERR_NOMEM : 0;
}

static enum tb_verdict signer_verdict(const tb_verify_result *res, int idx);

int
tb_verify_identity_demands(const tb_verify_request *req, tb_verify_result *res)
{
	tb_reasons all = { NULL, 0, 0 }, one;
	size_t i, before, k;
	int r = 0;

	if (req->iin == NULL && req->bin == NULL && req->n_roles == 0)
		return 0;
	for (i = 0; i < res->n_signers; i++) {
		if (res->signers[i].cert == NULL)
			continue;
		memset(&one, 0, sizeof(one));
		if ((r = demands_of(req, &res->signers[i], (int)i, &one)) != 0) {
			tb_reasons_clear(&one);
			goto out;
		}
		/*
		 * One signer is who the request names: satisfied. The answer says
		 * which: the first valid one, else the first that matched.
		 */
		if (one.n == 0) {
			tb_reasons_clear(&one);
			if (res->identity_signer < 0)
				res->identity_signer = (int)i;
			if (signer_verdict(res, (int)i) == TB_V_VALID) {
				res->identity_signer = (int)i;
				goto matched;
			}
			continue;
		}
		before = all.n;
		for (k = 0; k < one.n && r == 0; k++) {
			if (tb_reasons_add(&all, one.v[k].verdict, one.v[k].msg_id, one.v[k].signer,
			    one.v[k].detail, NULL) != 0)
				r = TB_ERR_NOMEM;
			else {
				memcpy(all.v[before + k].params, one.v[k].params, sizeof(one.v[k].params));
				all.v[before + k].n_params = one.v[k].n_params;
			}
		}
		tb_reasons_clear(&one);
		if (r != 0)
			goto out;
	}
	if (res->identity_signer >= 0)
		goto matched;
	for (k = 0; k < all.n; k++) {
		if (tb_reasons_add(&res->reasons, all.v[k].verdict, all.v[k].msg_id,
		    all.v[k].signer, all.v[k].detail, NULL) != 0) {
			r = TB_ERR_NOMEM;
			goto out;
		}
		memcpy(res->reasons.v[res->reasons.n - 1].params, all.v[k].params,
		    sizeof(all.v[k].params));
		res->reasons.v[res->reasons.n - 1].n_params = all.v[k].n_params;
	}
	goto out;
matched:
	r = 0;
out:
	tb_reasons_clear(&all);
	return r;
}

int
tb_verify_cert(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const tb_verify_request *req, tb_verify_result **out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, i;
	STACK_OF(X509) *sk = NULL, *pool = NULL;
	tb_verify_result *res = NULL;
	tb_error e;

	tb_error_clear(&e);
	if ((r = tb_verify_request_check(req, pol, err)) != 0)
		goto out;
	if (req->input_len > pol->max_input_bytes) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "input over %zu bytes", pol->max_input_bytes);
		goto out;
	}
	if (pem_blocks(req->input, req->input_len) > MAX_INPUT_CERTS) {
		tb_error_set(&e, TB_ERR_MALFORMED, "more than %d certificates in the input",
		    MAX_INPUT_CERTS);
	} else if (tb_certs_read_mem(req->input, req->input_len, &sk, &e) != 0) {
		ERR_clear_error();
	}
	if (sk == NULL) {
		if ((res = tb_verify_result_new(1, 0)) == NULL ||
		    tb_reasons_add(&res->reasons, TB_V_MALFORMED, "MALFORMED.cert", -1, e.detail,
		    NULL) != 0)
			goto nomem;
		tb_verify_result_finish(res);
		*out = res;
		res = NULL;
		r = 0;
		goto out;
	}
	if ((res = tb_verify_result_new(1, 1)) == NULL || (pool = sk_X509_new_null()) == NULL)
		goto nomem;
	tb_verify_budget_start(&res->budget, &pol->budget);
	/* Certificates after the first in the input, and the caller's, may be intermediates. */
	for (i = 1; i < sk_X509_num(sk); i++)
		if (!sk_X509_push(pool, sk_X509_value(sk, i)))
			goto nomem;
	for (i = 0; req->certs != NULL && i < sk_X509_num(req->certs); i++)
		if (!sk_X509_push(pool, sk_X509_value(req->certs, i)))
			goto nomem;
	res->signers[0].cert = sk_X509_value(sk, 0);
	X509_up_ref(res->signers[0].cert);
	res->signers[0].eval_time = req->time == TB_TIME_AT ? req->at : tb_clock_now();
	res->signers[0].eval_at_given_time = req->time == TB_TIME_AT;
	if ((r = tb_verify_signer_cert(trust, pol, rev, res, 0, pool, err)) != 0)
		goto out;
	/* A bare certificate has no signature of its own: report its issuer's. */
	if (res->signers[0].path != NULL && res->signers[0].path->n > 1)
		res->signers[0].alg = res->signers[0].path->link[0];
	if ((r = tb_verify_identity_demands(req, res)) != 0) {
		tb_error_set(err, r, "identity");
		goto out;
	}
	tb_verify_result_finish(res);
	*out = res;
	res = NULL;
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "result");
out:
	tb_verify_result_free(res);
	sk_X509_free(pool);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

/* ---- JSON ---- */

static json_t *
message_json(const tb_reason *r, const char *lang)
{
	char buf[1024];
	json_t *o;
	size_t i;

	if (lang != NULL) {
		tb_reason_message(r, lang, buf, sizeof(buf));
		return json_string(buf);
	}
	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < 3; i++) {
		tb_reason_message(r, tb_verdict_langs[i], buf, sizeof(buf));
		json_object_set_new(o, tb_verdict_langs[i], json_string(buf));
	}
	return o;
}

static json_t *
time_json(time_t t)
{
	char buf[32];

	tb_clock_format(t, buf, sizeof(buf));
	return json_string(buf);
}

/* Where the evaluation time came from: "timestamp", "signing_time", "at" (given) or "now". */
static const char *
time_source(int at_timestamp, int at_signing_time, int at_given_time)
{
	return at_timestamp ? "timestamp" : at_signing_time ? "signing_time" :
	    at_given_time ? "at" : "now";
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
cert_time_json(const ASN1_TIME *t)
{
	time_t v;

	return tb_asn1_time_get(t, &v) == 0 ? time_json(v) : json_null();
}

/*
 * A certificate's summary depends on nothing but the certificate, and the
 * certificates of an answer mostly come from the cache (cert_cache.c) as
 * the same X509 objects: the summary is kept with the certificate (ex_data,
 * freed with it) and copied for each answer. Printing the two names
 * (X509_NAME_print_ex) was a tenth of a verify answer's time.
 */
static int summary_idx = -1;
static pthread_once_t summary_once = PTHREAD_ONCE_INIT;
/* X509 ex_data is not safe to set and read from threads at once. */
static pthread_mutex_t summary_lock = PTHREAD_MUTEX_INITIALIZER;

static void
summary_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	json_decref(ptr);
}

static void
summary_index_make(void)
{
	summary_idx = X509_get_ex_new_index(0, NULL, NULL, NULL, summary_free);
}

static json_t *
cert_summary_make(X509 *x)
{
	char buf[512];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	tb_x509_name_text(X509_get_subject_name(x), buf, sizeof(buf));
	json_object_set_new(o, "subject", json_string(buf));
	tb_x509_name_text(X509_get_issuer_name(x), buf, sizeof(buf));
	json_object_set_new(o, "issuer", json_string(buf));
	tb_x509_serial_hex(x, buf, sizeof(buf));
	json_object_set_new(o, "serial", json_string(buf));
	json_object_set_new(o, "not_before", cert_time_json(X509_get0_notBefore(x)));
	json_object_set_new(o, "not_after", cert_time_json(X509_get0_notAfter(x)));
	return o;
}

/* A new summary object of x (the caller's), made once per X509 object. */
static json_t *
cert_summary_json(X509 *x)
{
	json_t *kept, *made;

	pthread_once(&summary_once, summary_index_make);
	if (summary_idx < 0)
		return cert_summary_make(x);
	pthread_mutex_lock(&summary_lock);
	kept = X509_get_ex_data(x, summary_idx);
	pthread_mutex_unlock(&summary_lock);
	if (kept != NULL)
		return json_deep_copy(kept);
	if ((made = cert_summary_make(x)) == NULL)
		return NULL;
	pthread_mutex_lock(&summary_lock);
	/* Another thread may have kept one meanwhile: the same text, keep that. */
	if ((kept = X509_get_ex_data(x, summary_idx)) == NULL &&
	    X509_set_ex_data(x, summary_idx, made) == 1) {
		kept = made;
		made = NULL;
	}
	kept = kept != NULL ? json_deep_copy(kept) : NULL;
	pthread_mutex_unlock(&summary_lock);
	if (kept == NULL)
		return made;
	json_decref(made);
	return kept;
}

static const char *
rev_status_name(enum tb_rev_status s)
{
	switch (s) {
	case TB_REV_GOOD: return "good";
	case TB_REV_REVOKED: return "revoked";
	case TB_REV_UNKNOWN: return "unknown";
	case TB_REV_SKIPPED: return "skipped";
	default: return "not_checked";
	}
}

json_t *
tb_rev_result_json(const tb_rev_result *rr)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "status", json_string(rev_status_name(rr->status)));
	if (rr->source[0])
		json_object_set_new(o, "source", json_string(rr->source));
	if (rr->issuer[0])
		json_object_set_new(o, "issuer", json_string(rr->issuer));
	if (rr->status == TB_REV_REVOKED || rr->revoked_later) {
		json_object_set_new(o, "revoked_at", time_json(rr->revoked_at));
		json_object_set_new(o, "reason", json_integer(rr->reason));
		json_object_set_new(o, "revoked_later", json_boolean(rr->revoked_later));
	}
	if (rr->this_update)
		json_object_set_new(o, "this_update", time_json(rr->this_update));
	if (rr->next_update)
		json_object_set_new(o, "next_update", time_json(rr->next_update));
	if (rr->detail[0])
		json_object_set_new(o, "detail", json_string(rr->detail));
	return o;
}

static json_t *
revocation_json(const tb_path *p, int i)
{
	json_t *o;

	if (p == NULL || !p->rev_checked || i >= p->n - 1) {
		if ((o = json_object()) != NULL)
			json_object_set_new(o, "status", json_string("not_checked"));
		return o;
	}
	return tb_rev_result_json(&p->rev[i]);
}

static json_t *
identity_json(const tb_identity *id)
{
	json_t *o = json_object(), *roles = json_array(), *pols = json_array();
	int i;

	if (o == NULL || roles == NULL || pols == NULL) {
		json_decref(o);
		json_decref(roles);
		json_decref(pols);
		return NULL;
	}
	json_object_set_new(o, "iin", str_or_null(id->iin));
	json_object_set_new(o, "bin", str_or_null(id->bin));
	json_object_set_new(o, "common_name", str_or_null(id->common_name));
	json_object_set_new(o, "surname", str_or_null(id->surname));
	json_object_set_new(o, "given_name", str_or_null(id->given_name));
	json_object_set_new(o, "organization", str_or_null(id->organization));
	json_object_set_new(o, "country", str_or_null(id->country));
	if (id->email[0])
		json_object_set_new(o, "email", json_string(id->email));
	for (i = 0; i < id->n_roles; i++)
		json_array_append_new(roles, json_string(id->roles[i]));
	for (i = 0; i < id->n_policies; i++)
		json_array_append_new(pols, json_string(id->policies[i]));
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "policies", pols);
	return o;
}

/*
 * The policies RFC 5280 policy processing left valid for the path (the
 * authorities-constrained set, or the user-constrained one); null when
 * it did not run (no path to an anchor).
 */
static json_t *
policies_json(const tb_path *p, int user)
{
	json_t *a;
	char **set;
	size_t i, n;

	if (p == NULL || p->policy.status == TB_POLICY_NOT_RUN || (a = json_array()) == NULL)
		return json_null();
	set = user ? p->policy.user : p->policy.valid;
	n = user ? p->policy.n_user : p->policy.n_valid;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(set[i]));
	return a;
}

static json_t *
signer_json(const tb_signer_result *s)
{
	json_t *o, *chain, *c;
	int i;

	if (s->cert == NULL) {
		if ((o = json_pack("{s:n}", "subject")) != NULL && s->extra != NULL)
			json_object_update(o, s->extra);
		return o;
	}
	if ((o = cert_summary_json(s->cert)) == NULL)
		return NULL;
	json_object_set_new(o, "identity", identity_json(&s->id));
	json_object_set_new(o, "algorithm", str_or_null(s->alg.name));
	json_object_set_new(o, "signing_time",
	    s->has_signing_time ? time_json(s->signing_time) : json_null());
	json_object_set_new(o, "evaluation_time", time_json(s->eval_time));
	json_object_set_new(o, "time_source", json_string(time_source(s->eval_at_timestamp,
	    s->eval_at_signing_time, s->eval_at_given_time)));
	json_object_set_new(o, "timestamp", tb_tst_info_json(s->tst));
	json_object_set_new(o, "trusted", json_boolean(s->path != NULL && s->path->complete));
	json_object_set_new(o, "valid_policies", policies_json(s->path, 0));
	json_object_set_new(o, "user_constrained_policies", policies_json(s->path, 1));
	chain = json_array();
	for (i = 0; s->path != NULL && chain != NULL && i < s->path->n; i++) {
		if ((c = cert_summary_json(s->path->certs[i])) == NULL)
			continue;
		json_object_set_new(c, "anchor",
		    json_boolean(s->path->complete && i == s->path->n - 1));
		json_array_append_new(chain, c);
	}
	json_object_set_new(o, "chain", chain);
	json_object_set_new(o, "revocation", revocation_json(s->path, 0));
	if (s->extra != NULL)
		json_object_update(o, s->extra);
	return o;
}

/* The verdict of signer idx from the reasons that name it; VALID when none does. */
static enum tb_verdict
signer_verdict(const tb_verify_result *res, int idx)
{
	tb_reasons own = { NULL, 0, 0 };
	enum tb_verdict v;
	size_t i;

	for (i = 0; i < res->reasons.n; i++)
		if (res->reasons.v[i].signer == idx &&
		    tb_reasons_add(&own, res->reasons.v[i].verdict, NULL, idx, NULL, NULL) != 0) {
			tb_reasons_clear(&own);
			return TB_V_MALFORMED;	/* no memory: never VALID */
		}
	v = tb_reasons_verdict(&own);
	tb_reasons_clear(&own);
	return v;
}

/* Which signer the request's iin/bin/roles found: its number, subject and verdict. */
static json_t *
identity_match_json(const tb_verify_result *res, json_t *signer)
{
	json_t *subject = json_object_get(signer, "subject");

	return json_pack("{s:i, s:O, s:s}", "signer", res->identity_signer, "subject",
	    subject != NULL ? subject : json_null(), "verdict",
	    tb_verdict_code(signer_verdict(res, res->identity_signer)));
}

json_t *
tb_verify_result_to_json(const tb_verify_result *res, const char *lang)
{
	json_t *o = json_object(), *reasons = json_array(), *signers = json_array(), *rj;
	const tb_reason *top = NULL;
	tb_reason valid;
	size_t i;

	if (o == NULL || reasons == NULL || signers == NULL)
		goto fail;
	if (lang != NULL && !tb_verdict_lang_ok(lang))
		lang = NULL;
	/* The headline is the first reason with the overall verdict. */
	for (i = 0; i < res->reasons.n && top == NULL; i++)
		if (res->reasons.v[i].verdict == res->verdict)
			top = &res->reasons.v[i];
	if (top == NULL) {
		memset(&valid, 0, sizeof(valid));
		valid.verdict = TB_V_VALID;
		valid.signer = -1;
		snprintf(valid.msg_id, sizeof(valid.msg_id), "%s", res->is_cert ? "VALID.cert" : "VALID");
		top = &valid;
	}
	json_object_set_new(o, "verdict", json_string(tb_verdict_code(res->verdict)));
	json_object_set_new(o, "message", message_json(top, lang));
	if (res->format != NULL)
		json_object_set_new(o, "format", json_string(res->format));
	for (i = 0; i < res->reasons.n; i++) {
		const tb_reason *r = &res->reasons.v[i];

		rj = json_pack("{s:s, s:s}", "code", tb_verdict_code(r->verdict), "id", r->msg_id);
		if (rj == NULL)
			goto fail;
		json_object_set_new(rj, "message", message_json(r, lang));
		if (r->detail[0])
			json_object_set_new(rj, "detail", json_string(r->detail));
		if (r->signer >= 0)
			json_object_set_new(rj, "signer", json_integer(r->signer));
		json_array_append_new(reasons, rj);
	}
	json_object_set_new(o, "reasons", reasons);
	reasons = NULL;
	json_object_set_new(o, "evaluation_time", time_json(res->eval_time));
	json_object_set_new(o, "time_source", json_string(time_source(res->eval_at_timestamp,
	    res->eval_at_signing_time, res->eval_at_given_time)));
	for (i = 0; i < res->n_signers; i++) {
		json_t *sj = signer_json(&res->signers[i]);

		/* Each signer's own verdict: its reasons alone (the top-level one weighs all). */
		if (json_is_object(sj) && !res->is_cert)
			json_object_set_new(sj, "verdict",
			    json_string(tb_verdict_code(signer_verdict(res, (int)i))));
		json_array_append_new(signers, sj);
	}
	if (res->is_cert) {
		json_object_set_new(o, "certificate",
		    res->n_signers > 0 ? json_incref(json_array_get(signers, 0)) : json_null());
		json_decref(signers);
	} else {
		json_object_set_new(o, "detached", json_boolean(res->detached));
		json_object_set_new(o, "signer",
		    res->n_signers > 0 ? json_incref(json_array_get(signers, 0)) : json_null());
		json_object_set_new(o, "signers", signers);
		if (res->identity_signer >= 0 && (size_t)res->identity_signer < res->n_signers)
			json_object_set_new(o, "identity_match", identity_match_json(res,
			    json_array_get(signers, (size_t)res->identity_signer)));
	}
	return o;
fail:
	json_decref(o);
	json_decref(reasons);
	json_decref(signers);
	return NULL;
}
