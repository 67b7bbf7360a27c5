/*
 * The daemon's revocation checker (see revocation.h): maps the
 * configuration onto libsig's tb_rev_conf, wraps the hook with the
 * "no [issuer] covers it" rule, checks the signing key's certificate and
 * turns tb_rev_status into the status op's JSON. It never sends a request
 * itself (libsig does, only to configured URLs) and never turns an unknown
 * status into a good one.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert_read.h"
#include "daemon.h"
#include "owned_file.h"
#include "revocation.h"		/* this directory's: the daemon's checker */
#include "tb_clock.h"
#include "tb_log.h"

struct tb_revocation {
	atomic_uint refs;
	int required;
	tb_rev_ctx *ctx;
	X509 **cas;			/* the [issuer] certificates, in config order */
	char **names;
	size_t ncas;
	tb_rev_checker hook;		/* our wrapper around ctx's */
};

static X509 *
cert_read(const char *path, tb_error *err)
{
	X509 *x = NULL;
	tb_error e;

	if (tb_cert_read_file(path, &x, &e) != 0)
		tb_error_set(err, TB_ERR_CONFIG, "%s", e.detail);
	return x;
}

static void
rv_free(tb_revocation *rv)
{
	size_t i;

	if (rv == NULL)
		return;
	tb_rev_ctx_free(rv->ctx);
	for (i = 0; i < rv->ncas; i++) {
		X509_free(rv->cas[i]);
		free(rv->names[i]);
	}
	free(rv->cas);
	free(rv->names);
	free(rv);
}

/* The configured CA that is issuer itself (byte for byte, as libsig matches), or -1. */
static long
ca_index(const tb_revocation *rv, X509 *issuer)
{
	size_t i;

	for (i = 0; i < rv->ncas; i++)
		if (X509_cmp(rv->cas[i], issuer) == 0)
			return (long)i;
	return -1;
}

static int
hook_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out, tb_error *err)
{
	tb_revocation *rv = ctx;
	char who[160];

	if (!rv->required && ca_index(rv, issuer) < 0) {
		/* Explicitly allowed by required = no: said, never silently good. */
		memset(out, 0, sizeof(*out));
		out->status = TB_REV_NOT_CHECKED;
		out->reason = -1;
		X509_NAME_oneline(X509_get_subject_name(issuer), who, sizeof(who));
		snprintf(out->detail, sizeof(out->detail),
		    "no [issuer] section covers \"%s\" and [revocation] required = no", who);
		return 0;
	}
	return tb_rev_check(rv->ctx, cert, issuer, at, out, err);
}

static int
rev_conf_fill(const tb_config *cfg, tb_revocation *rv, tb_rev_conf *rc,
    tb_rev_issuer_conf *ic)
{
	const tb_issuer_conf *is;
	size_t i, j;

	tb_rev_conf_init(rc);
	rc->cache_dir = cfg->rev_cache_dir;
	rc->clock_skew_s = (int)cfg->rev_clock_skew_s;
	rc->ocsp_max_age_s = (int)cfg->rev_ocsp_max_age_s;
	rc->ocsp_ttl_s = (int)cfg->rev_ocsp_ttl_s;
	rc->ocsp_cache_max = cfg->rev_ocsp_cache_entries;
	rc->fetch.connect_timeout_ms = (long)cfg->rev_connect_timeout_ms;
	rc->fetch.timeout_ms = (long)cfg->rev_timeout_ms;
	rc->fetch.max_bytes = cfg->rev_crl_max_bytes;
	for (i = 0; i < cfg->nissuers; i++) {
		is = &cfg->issuers[i];
		tb_rev_issuer_conf_init(&ic[i]);
		ic[i].name = is->name;
		ic[i].issuer = rv->cas[i];
		for (j = 0; j < is->nocsp && j < TB_REV_MAX_URLS; j++)
			ic[i].ocsp_urls[j] = is->ocsp[j];
		ic[i].n_ocsp_urls = j;
		for (j = 0; j < is->ncrl && j < TB_REV_MAX_URLS; j++)
			ic[i].crl_urls[j] = is->crl[j];
		ic[i].n_crl_urls = j;
		for (j = 0; j < is->ndelta && j < TB_REV_MAX_URLS; j++)
			ic[i].delta_urls[j] = is->delta[j];
		ic[i].n_delta_urls = j;
		for (j = 0; j < is->norder && j < 2; j++)
			ic[i].order[j] = is->order[j] == 1 ? TB_REV_SRC_OCSP : TB_REV_SRC_CRL;
		ic[i].n_order = j;
		ic[i].use_aia = is->use_certificate_urls;
		ic[i].soft_fail = is->soft_fail > 0;
		ic[i].crl_signer_file = is->crl_signer;
		ic[i].ocsp_nonce = cfg->rev_ocsp_nonce;
		ic[i].ocsp_nonce_required = cfg->rev_ocsp_nonce && cfg->rev_ocsp_nonce_required;
	}
	rc->issuers = ic;
	rc->n_issuers = cfg->nissuers;
	return 0;
}

int
tb_revocation_new(const tb_config *cfg, tb_revocation **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_revocation *rv;
	tb_rev_issuer_conf *ic = NULL;
	tb_rev_conf rc;
	tb_error e;
	size_t i;

	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "revocation");
	atomic_init(&rv->refs, 1);
	rv->required = cfg->rev_required;
	if (!rv->required && cfg->nissuers == 0)
		tb_warn_f(0, "[revocation] required = no and no [issuer] section: certificates "
		    "are not checked for revocation (answers say not_checked)");
	/* The front's cache is the front account's alone, checked at every load. */
	if (cfg->rev_cache_dir != NULL && tb_owned_dir_check(cfg->rev_cache_dir,
	    cfg->user_uid, cfg->user_gid, &e) != 0) {
		r = tb_error_set(err, TB_ERR_CONFIG, "[revocation] cache_dir %s", e.detail);
		goto out;
	}
	if (cfg->nissuers > 0 &&
	    ((rv->cas = calloc(cfg->nissuers, sizeof(*rv->cas))) == NULL ||
	    (rv->names = calloc(cfg->nissuers, sizeof(*rv->names))) == NULL ||
	    (ic = calloc(cfg->nissuers, sizeof(*ic))) == NULL)) {
		r = tb_error_set(err, TB_ERR_NOMEM, "revocation");
		goto out;
	}
	for (i = 0; i < cfg->nissuers; i++, rv->ncas++) {
		if ((rv->cas[i] = cert_read(cfg->issuers[i].certificate, err)) == NULL) {
			r = TB_ERR_CONFIG;
			goto out;
		}
		if ((rv->names[i] = strdup(cfg->issuers[i].name)) == NULL) {
			X509_free(rv->cas[i]);
			r = tb_error_set(err, TB_ERR_NOMEM, "revocation");
			goto out;
		}
	}
	rev_conf_fill(cfg, rv, &rc, ic);
	if ((r = tb_rev_ctx_new(&rc, &rv->ctx, err)) != 0)
		goto out;
	rv->hook.check = hook_check;
	rv->hook.ctx = rv;
	tb_info_f("[revocation]: %zu issuers, required = %s, cache %s", rv->ncas,
	    rv->required ? "yes" : "no", cfg->rev_cache_dir ? cfg->rev_cache_dir : "(memory)");
	*out = rv;
	rv = NULL;
	r = 0;
out:
	free(ic);
	rv_free(rv);
	return r;
}

tb_revocation *
tb_revocation_ref(tb_revocation *rv)
{
	if (rv != NULL)
		atomic_fetch_add(&rv->refs, 1);
	return rv;
}

void
tb_revocation_unref(tb_revocation *rv)
{
	if (rv != NULL && atomic_fetch_sub(&rv->refs, 1) == 1)
		rv_free(rv);
}

const tb_rev_checker *
tb_revocation_hook(tb_revocation *rv)
{
	return rv != NULL ? &rv->hook : NULL;
}

/*
 * The configured CA that issued cert: same name, and the same key
 * identifier when both carry one (an impostor with the same name is not
 * taken for the CA). The signature itself is checked by
 * whatever answers (the OCSP response or CRL must be signed by that CA).
 */
static X509 *
issuer_of(const tb_revocation *rv, X509 *cert)
{
	const ASN1_OCTET_STRING *ski, *aki;
	size_t i;

	for (i = 0; i < rv->ncas; i++) {
		if (X509_NAME_cmp(X509_get_subject_name(rv->cas[i]),
		    X509_get_issuer_name(cert)) != 0)
			continue;
		ski = X509_get0_subject_key_id(rv->cas[i]);
		aki = X509_get0_authority_key_id(cert);
		if (ski == NULL || aki == NULL || ASN1_OCTET_STRING_cmp(ski, aki) == 0)
			return rv->cas[i];
	}
	return NULL;
}

static const char *
reason_name(int code)
{
	static const char *const names[] = {
		"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
		"superseded", "cessationOfOperation", "certificateHold", NULL,
		"removeFromCRL", "privilegeWithdrawn", "aACompromise",
	};

	if (code < 0 || code >= (int)(sizeof(names) / sizeof(names[0])) || names[code] == NULL)
		return "no reason given";
	return names[code];
}

int
tb_revocation_check_signer(tb_revocation *rv, const char *key, X509 *cert, time_t now,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_rev_result res;
	tb_error e;
	X509 *ca;
	char when[32];

	memset(&res, 0, sizeof(res));
	if (rv == NULL || cert == NULL)
		return 0;
	if ((ca = issuer_of(rv, cert)) == NULL) {
		if (!rv->required)
			return 0;
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "revocation of the certificate of key %s cannot be checked: no [issuer] "
		    "section covers its issuer ([revocation] required = yes)", key);
	}
	tb_error_clear(&e);
	if ((r = tb_rev_check(rv->ctx, cert, ca, now, &res, &e)) != 0) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "revocation status of the certificate of key %s unknown: %s", key, e.detail);
		goto out;
	}
	switch (res.status) {
	case TB_REV_REVOKED:
		if (!res.revoked_later) {
			tb_clock_format(res.revoked_at, when, sizeof(when));
			r = tb_error_set(err, TB_ERR_CERT_REVOKED,
			    "certificate of key %s revoked on %s (%s; %s)", key, when,
			    reason_name(res.reason), res.source);
			goto out;
		}
		break;
	case TB_REV_UNKNOWN:
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "revocation status of the certificate of key %s unknown: %s", key,
		    res.detail);
		goto out;
	case TB_REV_SKIPPED:
		tb_warn_f(0, "key %s: %s", key, res.detail);
		break;
	default:
		break;
	}
	r = 0;
out:
	tb_rev_result_clear(&res);
	return r;
}

int
tb_revocation_check_key(struct tb_daemon *d, const char *key, X509 *cert, time_t now,
    tb_error *err)
{
	tb_revocation *rv = tb_daemon_revocation(d);
	int r = tb_revocation_check_signer(rv, key, cert, now, err);

	tb_revocation_unref(rv);
	return r;
}

int
tb_revocation_crl_der(tb_revocation *rv, X509 *ca, int delta, unsigned char **der,
    size_t *len, tb_error *err)
{
	if (rv == NULL || rv->ctx == NULL)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "no [revocation]");
	return tb_rev_crl_der(rv->ctx, ca, delta, der, len, err);
}

static json_t *
time_or_null(int has, time_t t)
{
	char buf[32];

	if (!has || t == 0)
		return json_null();
	tb_clock_format(t, buf, sizeof(buf));
	return json_string(buf);
}

int
tb_revocation_issuers(tb_revocation *rv, tb_rev_issuer_status **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (rv == NULL)
		return 0;
	return tb_rev_status(rv->ctx, out, n, NULL);
}

json_t *
tb_revocation_status_json(tb_revocation *rv)
{
	json_t *list = json_array(), *o;
	tb_rev_issuer_status *st = NULL;
	tb_error e;
	size_t i, n = 0;

	if (list == NULL || rv == NULL)
		return list;
	tb_error_clear(&e);
	if (tb_rev_status(rv->ctx, &st, &n, &e) != 0)
		return list;
	for (i = 0; i < n; i++) {
		o = json_pack("{s:s, s:b, s:o, s:o, s:o, s:o, s:I, s:b, s:o, s:I, s:I, s:I, s:b}",
		    "issuer", st[i].name,
		    "crl", st[i].has_crl,
		    "crl_this_update", time_or_null(st[i].has_crl, st[i].crl_this_update),
		    "crl_next_update", time_or_null(st[i].has_crl, st[i].crl_next_update),
		    "crl_age_s", st[i].has_crl ? json_integer(st[i].crl_age_s) : json_null(),
		    "crl_entries", st[i].has_crl ? json_integer((json_int_t)st[i].crl_entries) :
		    json_null(),
		    "crl_fetch_ok", (json_int_t)st[i].crl_fetch_ok,
		    "delta", st[i].has_delta,
		    "delta_next_update", time_or_null(st[i].has_delta, st[i].delta_next_update),
		    "crl_fetch_fail", (json_int_t)st[i].crl_fetch_fail,
		    "ocsp_ok", (json_int_t)st[i].ocsp_ok,
		    "ocsp_fail", (json_int_t)st[i].ocsp_fail,
		    "healthy", st[i].healthy);
		if (o == NULL)
			continue;
		json_object_set_new(o, "last_error",
		    st[i].last_error[0] ? json_string(st[i].last_error) : json_null());
		json_array_append_new(list, o);
	}
	free(st);
	return list;
}
