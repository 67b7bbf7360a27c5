/* sign {"timestamp"}: see tsa_client.h. */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "anchors.h"
#include "conf.h"
#include "daemon.h"
#include "http_fetch.h"
#include "revocation.h"
#include "tb_log.h"
#include "tsa_client.h"
#include "tst_client.h"

int
tb_stamp_want_read(json_t *req, enum tb_stamp_want *out, tb_error *err)
{
	json_t *v = json_object_get(req, "timestamp");

	*out = TB_STAMP_NO;
	if (v == NULL || json_is_false(v))
		return 0;
	if (json_is_true(v))
		*out = TB_STAMP_YES;
	else if (json_is_string(v) && strcmp(json_string_value(v), "preferred") == 0)
		*out = TB_STAMP_PREFERRED;
	else
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "timestamp: true, false or \"preferred\"");
	return 0;
}

size_t
tb_stamp_bound(struct tb_daemon *d)
{
	tb_config *cfg = tb_daemon_config(d);
	size_t n = (size_t)cfg->tsa_max_token_bytes + 64;

	tb_config_unref(cfg);
	return n;
}

int
tb_stamp_cms(struct tb_daemon *d, enum tb_stamp_want want, int signer,
    unsigned char **der, size_t *der_len, json_t *result, tb_error *err)
{
	tb_config *cfg = tb_daemon_config(d);
	tb_anchors *anchors = tb_daemon_anchors(d);
	struct tb_revocation *rv = tb_daemon_revocation(d);
	tb_trust *trust = tb_anchors_tsa_trust(anchors);
	tb_verify_policy pol;
	tb_tsa_opts o;
	tb_deadline_fetcher fetcher;
	unsigned char *out = NULL;
	size_t out_len = 0;
	tb_error e;
	int r;

	tb_error_clear(&e);
	if (trust == NULL)
		trust = tb_anchors_trust(anchors);
	tb_tsa_opts_init(&o);
	/* timeout_ms bounds the stamping of the whole request: a CMS of many
	 * signers, handed to the timestamp op, holds a worker no longer than
	 * one does. */
	tb_deadline_fetcher_init(&fetcher, &tb_http_fetcher, (long)cfg->tsa_timeout_ms);
	o.fetcher = &fetcher.self;
	o.url = cfg->tsa_url;
	o.policy = cfg->tsa_policy;
	o.hash = cfg->tsa_hash;
	o.fetch.connect_timeout_ms = (long)cfg->tsa_connect_timeout_ms;
	o.fetch.timeout_ms = (long)cfg->tsa_timeout_ms;
	o.fetch.max_bytes = cfg->tsa_max_token_bytes;
	tb_verify_policy_default(&pol);
	pol.check_iin_checksum = 0;
	pol.min_rsa_bits = (int)cfg->verify_min_rsa_bits;
	pol.min_ec_bits = (int)cfg->verify_min_ec_bits;
	o.trust = trust;
	o.pol = &pol;
	o.rev = tb_revocation_hook(rv);
	if (cfg->tsa_url == NULL)
		r = tb_error_set(&e, TB_ERR_UNAVAILABLE, "no TSA: [tsa] url is not configured");
	else if (trust == NULL)
		r = tb_error_set(&e, TB_ERR_UNAVAILABLE, "no TSA trust: [tsa] or [verify] anchors");
	else
		r = tb_tsa_stamp_cms(&o, *der, *der_len, signer, &out, &out_len, &e);
	if (r == 0) {
		OPENSSL_free(*der);
		*der = out;
		*der_len = out_len;
		json_object_set_new(result, "timestamp", json_true());
	} else if (r == TB_ERR_NOMEM || r == TB_ERR_UNSUPPORTED || r == TB_ERR_INVALID_ARG) {
		/* The CMS's fault or ours, not the TSA's: said as such. */
		r = tb_error_set(err, r, "cms: %s", e.detail);
	} else if (want == TB_STAMP_PREFERRED) {
		tb_warn_f(r, "sign: no time stamp (preferred): %s", e.detail);
		json_object_set_new(result, "timestamp", json_false());
		json_object_set_new(result, "timestamp_error", json_string(e.detail));
		r = 0;
	} else {
		tb_error_f(r, "time stamp: %s", e.detail);
		r = tb_error_set(err, TB_ERR_UNAVAILABLE, "timestamp: %s", e.detail);
	}
	tb_revocation_unref(rv);
	tb_anchors_unref(anchors);
	tb_config_unref(cfg);
	return r;
}
