/*
 * The status op: version, uptime, whether the last reload worked, token
 * health and pool figures, key usability (of the keys this client may
 * use), the audit trail's state, counters and signing latency. Token and
 * audit figures come from the signer process (one STATUS round trip);
 * when it is down, status says so instead of waiting for it.
 * Figures only: never a PIN, a document or a client's request.
 */
#include "config.h"

#include <stdlib.h>

#include <openssl/x509.h>

#include "certinfo.h"
#include "daemon.h"
#include "gost.h"
#include "ops.h"
#include "revocation.h"
#include "tb_clock.h"

static json_t *
tokens_list(const tb_sc_status *st)
{
	json_t *list = json_array();
	uint32_t i;

	for (i = 0; list != NULL && i < st->ntokens; i++) {
		const tb_sc_token *t = &st->tokens[i];

		json_array_append_new(list, json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I}",
		    "label", t->label, "healthy", t->healthy,
		    "sessions_max", (json_int_t)t->sessions_max,
		    "sessions_busy", (json_int_t)t->sessions_busy,
		    "signatures", (json_int_t)t->signatures,
		    "failures", (json_int_t)t->failures,
		    "reconnects", (json_int_t)t->reconnects));
	}
	return list;
}

static json_t *
keys_list(struct tb_daemon *d, tb_front_keys *ks, const tb_client *client, time_t now,
    json_t *warnings)
{
	json_t *list = json_array(), *o;
	const tb_front_key *k;
	time_t nb, na;
	long days;
	size_t i;

	for (i = 0; list != NULL && i < tb_front_keys_count(ks); i++) {
		k = tb_front_keys_at(ks, i);
		if (!tb_config_client_key_ok(client->acl, k->name))
			continue;
		if ((o = json_object()) == NULL)
			break;
		json_object_set_new(o, "name", json_string(k->name));
		if (k->cert != NULL && tb_cert_times(k->cert, &nb, &na) == 0)
			json_object_set_new(o, "days_left", json_integer(tb_cert_days_left(na, now)));
		else
			json_object_set_new(o, "days_left", json_null());
		json_object_set_new(o, "usable",
		    json_boolean(tb_ks_cert_check(k->name, k->cert, now, NULL) == 0));
		json_object_set_new(o, "expiring", json_boolean(tb_daemon_expiring(d, k, now, &days)));
		if (json_is_true(json_object_get(o, "expiring")))
			json_array_append_new(warnings, json_sprintf(
			    "certificate of key %s: %ld days left", k->name, days));
		json_array_append_new(list, o);
	}
	return list;
}

int
tb_op_status(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	tb_front_keys *ks = tb_daemon_keys(d);
	tb_metrics *m = tb_daemon_metrics(d);
	char loaded[32], cerr[sizeof(err->detail)];
	tb_signer_link_state ls;
	tb_sc_status *st;
	tb_error se;
	double p50, p99;
	int n_gost, st_ok;
	time_t now = tb_clock_now();
	json_t *warnings;
	tb_config *cfg;
	char gost[128];

	tb_clock_format(tb_daemon_config_loaded(d), loaded, sizeof(loaded));
	tb_metrics_sign_percentiles(m, &p50, &p99);
	json_object_set_new(result, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(result, "uptime_s", json_integer(tb_daemon_uptime(d)));
	json_object_set_new(result, "config_loaded", json_string(loaded));
	json_object_set_new(result, "config_error", tb_daemon_config_error(d, cerr,
	    sizeof(cerr)) ? json_string(cerr) : json_null());
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		tb_front_keys_unref(ks);
		return tb_error_set(err, TB_ERR_NOMEM, "status");
	}
	tb_error_clear(&se);
	st_ok = tb_daemon_signer_status(d, st, &se) == 0;
	tb_daemon_signer_state(d, &ls);
	json_object_set_new(result, "signer", json_pack("{s:b, s:I, s:I, s:o}",
	    "up", st_ok, "pid", (json_int_t)ls.pid, "restarts", (json_int_t)ls.restarts,
	    "error", st_ok ? json_null() : json_string(se.detail)));
	json_object_set_new(result, "tokens", st_ok ? tokens_list(st) : json_array());
	warnings = json_array();
	json_object_set_new(result, "keys", keys_list(d, ks, client, now, warnings));
	cfg = tb_daemon_config(d);
	json_object_set_new(result, "expiry_warning_days",
	    json_integer(cfg->expiry_warning_days));
	tb_config_unref(cfg);
	json_object_set_new(result, "warnings", warnings);
	/* Fail closed is only honest if callers can see what can be verified. */
	n_gost = tb_gost_available(gost, sizeof(gost));
	json_object_set_new(result, "algorithms", json_pack("{s:[s,s,s], s:s, s:b}",
	    "verify", "rsa-pkcs1", "rsa-pss", "ecdsa", "gost", gost,
	    "gost_available", n_gost > 0));
	/* Without the signer nothing can be recorded: the trail is not ok then. */
	json_object_set_new(result, "audit", json_pack("{s:b, s:o, s:I}",
	    "ok", st_ok && !st->audit_failed,
	    "error", !st_ok ? json_string(se.detail) :
	    st->audit_failed ? json_string(st->audit_error) : json_null(),
	    "records", (json_int_t)(st_ok ? st->audit_records : 0)));
	free(st);
	json_object_set_new(result, "counters", json_pack("{s:I, s:I, s:I, s:I}",
	    "connections", (json_int_t)tb_metrics_get(m, TB_COUNT_CONNECTIONS),
	    "requests", (json_int_t)tb_metrics_get(m, TB_COUNT_REQUESTS),
	    "errors", (json_int_t)tb_metrics_get(m, TB_COUNT_ERRORS),
	    "signatures", (json_int_t)tb_metrics_get(m, TB_COUNT_SIGNATURES)));
	json_object_set_new(result, "latency_ms", json_pack("{s:f, s:f}",
	    "sign_p50", p50, "sign_p99", p99));
	{
		/* Per [issuer]: CRL age and nextUpdate, OCSP counters, health. */
		tb_revocation *rv = tb_daemon_revocation(d);

		json_object_set_new(result, "revocation", tb_revocation_status_json(rv));
		tb_revocation_unref(rv);
	}
	tb_front_keys_unref(ks);
	return 0;
}
