/*
 * The CRLs held per CA: downloaded through the fetcher, checked by crl.c
 * (signed by the CA or by its configured CRL signer, whose own status is
 * asked in turn), kept only when newer than what is held, and asked for a
 * certificate within their scope. A CRL that failed any check never
 * replaces the one held and never reaches the disk.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crl_scope.h"
#include "der_reader.h"
#include "rev_int.h"
#include "sigalg.h"
#include "tb_clock.h"
#include "tb_log.h"

/* ---- a separate CRL signer (RFC 5280 6.3.3 (f)) ---- */

/* Checks nested through CRL signers' own status, per thread. */
static __thread int signer_depth;
/* The issuers whose CRL this thread is downloading (fetch_lock held). */
static __thread const struct rev_issuer *fetching[4];
static __thread int n_fetching;

static int
fetching_self(const rev_issuer *is)
{
	int i;

	for (i = 0; i < n_fetching; i++)
		if (fetching[i] == is)
			return 1;
	return 0;
}

static void
fetching_push(const rev_issuer *is)
{
	if (n_fetching < (int)(sizeof(fetching) / sizeof(fetching[0])))
		fetching[n_fetching] = is;
	n_fetching++;
}

static void
fetching_pop(void)
{
	n_fetching--;
}

/*
 * The static checks of a configured CRL signer, once all issuers are
 * known: cRLSign, and a signature by another configured issuer (never by
 * the CA itself: its status would hang on the CRL it signs). Of the CA's
 * name it signs the CA's own CRLs; of another name it can only be an
 * indirect CRL's issuer, which the scope rules (crl_scope.c) accept only
 * for certificates whose distribution point names it as cRLIssuer.
 */
int
rev_signer_resolve(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err)
{
	const ASN1_BIT_STRING *sig = NULL;
	const X509_ALGOR *alg = NULL;
	unsigned char *der = NULL;
	tb_sigalg_info info;
	tb_der all, cert, tbs;
	size_t i;
	int len, r = TB_ERR_CONFIG;

	if (!(X509_get_extension_flags(is->signer) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(is->signer) & KU_CRL_SIGN))
		return tb_error_set(err, r, "%s: the CRL signer lacks cRLSign", is->name);
	X509_get0_signature(&sig, &alg, is->signer);
	if (sig == NULL || alg == NULL || (len = i2d_X509(is->signer, &der)) <= 0)
		return tb_error_set_ossl(err, r, "%s: the CRL signer's signature", is->name);
	tb_der_init(&all, der, (size_t)len);
	if (tb_der_expect(&all, TB_DER_SEQUENCE, &cert, NULL) != 0 ||
	    tb_der_expect(&cert, TB_DER_SEQUENCE, NULL, &tbs) != 0) {
		OPENSSL_free(der);
		return tb_error_set(err, r, "%s: the CRL signer is malformed", is->name);
	}
	for (i = 0; i < ctx->n_iss && is->signer_ca == NULL; i++) {
		rev_issuer *up = &ctx->iss[i];

		if (up->ca == is->ca || X509_NAME_cmp(X509_get_subject_name(up->ca),
		    X509_get_issuer_name(is->signer)) != 0)
			continue;
		if (tb_sigalg_verify(NULL, alg, X509_get_X509_PUBKEY(up->ca), tbs.p, tbs.len,
		    ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), &info, NULL) == 0)
			is->signer_ca = up;
	}
	OPENSSL_free(der);
	ERR_clear_error();
	if (is->signer_ca == NULL)
		return tb_error_set(err, r, "%s: the CRL signer is not signed by another "
		    "configured issuer", is->name);
	return 0;
}

/*
 * 0 when the CRL signer may vouch now: valid, and its own status GOOD by
 * its issuer's sources, nested at most TB_CRL_SIGNER_DEPTH_MAX deep.
 */
#define TB_CRL_SIGNER_DEPTH_MAX 2
static int
signer_good(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err)
{
	tb_rev_result res;
	tb_error e1;
	time_t now = tb_clock_now();
	int r;

	if (X509_cmp_time(X509_get0_notBefore(is->signer), &now) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(is->signer), &now) < 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL signer certificate not valid now");
	if (signer_depth >= TB_CRL_SIGNER_DEPTH_MAX)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL signers nested deeper than %d", TB_CRL_SIGNER_DEPTH_MAX);
	memset(&res, 0, sizeof(res));
	tb_error_clear(&e1);
	signer_depth++;
	r = tb_rev_check(ctx, is->signer, is->signer_ca->ca, now, &res, &e1);
	signer_depth--;
	if (r == 0 && res.status != TB_REV_GOOD)
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "CRL signer %s: %s",
		    res.status == TB_REV_REVOKED ? "revoked" : "status unknown",
		    res.status == TB_REV_REVOKED ? res.source : res.detail);
	else if (r != 0)
		tb_error_set(err, r, "CRL signer: %s", e1.detail);
	tb_rev_result_clear(&res);
	return r;
}

/*
 * Loads der as a CRL of is: signed by the CA's own key, or else by its
 * configured CRL signer (checked now when check_signer is set).
 */
tb_crl *
rev_crl_put(rev_issuer *is, int delta, tb_crl *crl, int by_signer, const unsigned char *der,
    size_t len)
{
	tb_crl *old = delta ? is->delta : is->base;
	unsigned char **keep = delta ? &is->delta_der : &is->base_der;
	size_t *keep_len = delta ? &is->delta_der_len : &is->base_der_len;

	free(*keep);
	*keep = NULL;
	*keep_len = 0;
	/* Without room for the copy the CRL still serves lookups; only
	 * embedding it then fails (tb_rev_crl_der says so). */
	if (crl != NULL && len <= TB_REV_EMBED_MAX_BYTES && (*keep = malloc(len)) != NULL) {
		memcpy(*keep, der, len);
		*keep_len = len;
	}
	if (delta) {
		is->delta = crl;
		is->delta_by_signer = by_signer;
	} else {
		is->base = crl;
		is->base_by_signer = by_signer;
	}
	return old;
}

int
rev_crl_load_either(tb_rev_ctx *ctx, rev_issuer *is, const unsigned char *der, size_t len,
    const tb_crl_policy *pol, int check_signer, tb_crl **out, int *by_signer, tb_error *err)
{
	tb_error e2;
	int r;

	*by_signer = 0;
	if ((r = tb_crl_load(der, len, is->ca, pol, out, err)) == 0 || is->signer_ca == NULL)
		return r;
	tb_error_clear(&e2);
	if (tb_crl_load(der, len, is->signer, pol, out, &e2) != 0)
		return r;	/* the CA's reason says more */
	if (check_signer && (r = signer_good(ctx, is, err)) != 0) {
		tb_crl_free(*out);
		*out = NULL;
		return r;
	}
	*by_signer = 1;
	return 0;
}

static int
crl_fetch_one(tb_rev_ctx *ctx, rev_issuer *is, const char *url, int delta, tb_error *err)
{
	unsigned char *der = NULL;
	size_t len = 0;
	tb_crl *crl = NULL, *old = NULL;
	tb_crl_policy pol = { tb_clock_now(), ctx->conf.clock_skew_s,
	    ctx->conf.crl_max_entries, 0 };
	tb_error e2;
	int r = TB_ERR_INTERNAL, by_signer = 0;

	if ((r = tb_fetcher_call(ctx->conf.fetcher, url, &ctx->conf.fetch, NULL, NULL, 0, &der,
	    &len, err)) != 0)
		goto out;
	if ((r = rev_crl_load_either(ctx, is, der, len, &pol, 1, &crl, &by_signer, err)) != 0)
		goto out;
	if (tb_crl_get_info(crl)->is_delta != delta) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "%s: %s where a %s was expected",
		    url, delta ? "complete CRL" : "delta CRL", delta ? "delta CRL" : "complete CRL");
		goto out;
	}
	pthread_rwlock_wrlock(&is->lock);
	if ((r = tb_crl_may_replace(delta ? is->delta : is->base, crl, err)) == 0 && delta) {
		if (is->base == NULL)
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "delta CRL without a base CRL");
		else
			r = tb_crl_delta_applies(is->base, crl, err);
	}
	if (r == 0) {
		old = rev_crl_put(is, delta, crl, by_signer, der, len);
		crl = NULL;
		/* A new base may make the held delta obsolete. */
		if (!delta && is->delta != NULL &&
		    tb_crl_delta_applies(is->base, is->delta, &e2) != 0)
			tb_crl_free(rev_crl_put(is, 1, NULL, 0, NULL, 0));
	}
	pthread_rwlock_unlock(&is->lock);
	if (r != 0)
		goto out;
	/* Only a CRL that passed every check reaches the disk. */
	rev_disk_save(ctx, is, delta, der, len);
	tb_info_f("%s: %s CRL loaded from %s", is->name, delta ? "delta" : "complete", url);
	r = 0;
 out:
	tb_crl_free(crl);
	tb_crl_free(old);
	free(der);
	return r;
}

/* Downloads the issuer's CRLs; the old ones stay unless a new one passed. */
int
rev_crl_refresh(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err)
{
	char msg[256] = "";
	const char *cdp = NULL;
	tb_error e1;
	time_t now, next;
	size_t i;
	int r = TB_ERR_REVOCATION_UNKNOWN, got = 0;

	/* A CRL signer's status checked while this thread downloads this
	 * issuer's CRL must not wait for its own lock. */
	if (fetching_self(is))
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "%s: CRL download already under way on this thread", is->name);
	pthread_mutex_lock(&is->fetch_lock);
	fetching_push(is);
	pthread_rwlock_rdlock(&is->lock);
	if (is->crl_urls.n == 0 && is->cdp_url != NULL)
		cdp = is->cdp_url;
	pthread_rwlock_unlock(&is->lock);
	for (i = 0; i < is->crl_urls.n || (i == 0 && cdp != NULL); i++) {
		const char *url = is->crl_urls.n ? is->crl_urls.u[i] : cdp;

		tb_error_clear(&e1);
		if (crl_fetch_one(ctx, is, url, 0, &e1) == 0) {
			got = 1;
			break;
		}
		tb_warn_f(e1.code, "%s: CRL %s: %s", is->name, url, e1.detail);
		tb_rev_detail_add(msg, sizeof(msg), "CRL ", e1.detail);
	}
	for (i = 0; i < is->delta_urls.n; i++) {
		tb_error_clear(&e1);
		if (crl_fetch_one(ctx, is, is->delta_urls.u[i], 1, &e1) == 0)
			break;
		tb_warn_f(e1.code, "%s: delta CRL %s: %s", is->name, is->delta_urls.u[i], e1.detail);
		tb_rev_detail_add(msg, sizeof(msg), "delta CRL ", e1.detail);
	}
	now = tb_clock_now();
	pthread_rwlock_wrlock(&is->lock);
	snprintf(is->crl_err, sizeof(is->crl_err), "%s", msg);
	next = now + (got ? ctx->conf.crl_refresh_max_s : ctx->conf.crl_retry_s);
	if (got && is->base != NULL) {
		time_t nu = tb_crl_get_info(is->base)->next_update - ctx->conf.crl_refresh_margin_s;

		if (nu < next)
			next = nu;
	}
	if (next < now + 5)
		next = now + 5;
	is->next_refresh = next;
	pthread_rwlock_unlock(&is->lock);
	pthread_mutex_lock(&ctx->mu);
	if (got)
		is->crl_ok++;
	else
		is->crl_fail++;
	pthread_mutex_unlock(&ctx->mu);
	fetching_pop();
	pthread_mutex_unlock(&is->fetch_lock);
	if (got)
		return 0;
	r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "%s", msg[0] ? msg : "no CRL URL");
	return r;
}

/* 1 when the issuer has somewhere to download a CRL from. */
int
rev_has_crl_source(rev_issuer *is)
{
	int yes;

	pthread_rwlock_rdlock(&is->lock);
	yes = is->crl_urls.n > 0 || is->cdp_url != NULL;
	pthread_rwlock_unlock(&is->lock);
	return yes;
}

int
rev_crl_usable(rev_issuer *is, time_t now, int skew)
{
	int ok;

	pthread_rwlock_rdlock(&is->lock);
	ok = is->base != NULL && tb_crl_fresh(is->base, now, skew, NULL) == 0;
	pthread_rwlock_unlock(&is->lock);
	return ok;
}

/* Learns the CDP URL from cert when allowed and nothing is configured. */
static void
learn_cdp(rev_issuer *is, X509 *cert)
{
	STACK_OF(DIST_POINT) *dps;
	int i, j;

	if (!is->use_aia || is->crl_urls.n > 0)
		return;
	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *gns;

		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		gns = dp->distpoint->name.fullname;
		for (j = 0; j < sk_GENERAL_NAME_num(gns); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(gns, j);
			const char *u;

			if (gn->type != GEN_URI)
				continue;
			u = (const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
			if (!tb_fetch_url_allowed(u))
				continue;
			pthread_rwlock_wrlock(&is->lock);
			if (is->cdp_url == NULL)
				is->cdp_url = strdup(u);
			pthread_rwlock_unlock(&is->lock);
			goto done;
		}
	}
 done:
	CRL_DIST_POINTS_free(dps);
}

int
rev_crl_status(tb_rev_ctx *ctx, rev_issuer *is, X509 *cert, tb_rev_result *res,
    char *detail, size_t dlen)
{
	const tb_crl_info *bi, *di;
	const tb_crl *delta = NULL;
	time_t now = tb_clock_now(), when = 0;
	tb_error e1;
	int why = -1, from_delta = 0, found, have_url, due, by_signer;
	unsigned mask = 0;
	char rtext[160];

	learn_cdp(is, cert);
	have_url = rev_has_crl_source(is);
	if (!have_url && !rev_crl_usable(is, now, ctx->conf.clock_skew_s)) {
		tb_rev_detail_add(detail, dlen, NULL, "CRL: no CRL configured");
		return 0;
	}
	/* No current CRL: download now, but not more often than the retry
	 * interval, so a dead server does not cost every request a timeout. */
	if (!rev_crl_usable(is, now, ctx->conf.clock_skew_s) && have_url) {
		pthread_rwlock_rdlock(&is->lock);
		due = is->next_refresh <= now;
		pthread_rwlock_unlock(&is->lock);
		tb_error_clear(&e1);
		if (due)
			(void)rev_crl_refresh(ctx, is, &e1);
	}
	/* A CRL of the separate signer counts while the signer is good (its
	 * status is asked of its own issuer's sources, outside this lock). */
	if (is->signer_ca != NULL) {
		pthread_rwlock_rdlock(&is->lock);
		by_signer = is->base_by_signer || is->delta_by_signer;
		pthread_rwlock_unlock(&is->lock);
		tb_error_clear(&e1);
		if (by_signer && signer_good(ctx, is, &e1) != 0) {
			tb_rev_detail_add(detail, dlen, "CRL: ", e1.detail);
			return 0;
		}
	}
	pthread_rwlock_rdlock(&is->lock);
	if (is->base == NULL) {
		tb_rev_detail_add(detail, dlen, NULL, "CRL: none held");
		if (is->crl_err[0])
			tb_rev_detail_add(detail, dlen, NULL, is->crl_err);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	tb_error_clear(&e1);
	if (tb_crl_fresh(is->base, now, ctx->conf.clock_skew_s, &e1) != 0) {
		tb_rev_detail_add(detail, dlen, NULL, e1.detail);
		if (is->crl_err[0])
			tb_rev_detail_add(detail, dlen, NULL, is->crl_err);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	bi = tb_crl_get_info(is->base);
	/* RFC 5280 6.3.3: a CRL outside the certificate's scope, or one that
	 * answers for some reasons only, is no evidence that it is good. One
	 * CRL is held per issuer, so reasons are not combined here. */
	tb_error_clear(&e1);
	if (tb_crl_scope(is->base, cert, &mask, &e1) != 0) {
		tb_rev_detail_add(detail, dlen, "CRL: ", e1.detail);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	if (mask != TB_CRL_REASONS_ALL) {
		tb_crl_reasons_text(mask, rtext, sizeof(rtext));
		tb_rev_detail_add(detail, dlen, "CRL covers only some reasons: ", rtext);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	/* A stale delta is left out: the base alone is still a current answer. */
	if (is->delta != NULL && tb_crl_fresh(is->delta, now, ctx->conf.clock_skew_s, NULL) == 0 &&
	    tb_crl_delta_applies(is->base, is->delta, NULL) == 0)
		delta = is->delta;
	if ((found = tb_crl_lookup_cert(is->base, delta, cert, &when, &why, &from_delta,
	    &e1)) < 0) {
		tb_rev_detail_add(detail, dlen, NULL, e1.detail);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	res->status = found ? TB_REV_REVOKED : TB_REV_GOOD;
	res->revoked_at = found ? when : 0;
	res->reason = found ? why : -1;
	snprintf(res->source, sizeof(res->source), "%s", delta != NULL ? "delta" : "crl");
	snprintf(res->issuer, sizeof(res->issuer), "%s", tb_crl_issuer_text(is->base));
	di = delta != NULL ? tb_crl_get_info(delta) : bi;
	res->this_update = di->this_update;
	res->next_update = di->next_update;
	if (from_delta && !found)
		snprintf(res->detail, sizeof(res->detail), "removed from the CRL by the delta CRL");
	pthread_rwlock_unlock(&is->lock);
	/* A counter only: no lock on the path every cached answer takes. */
	__atomic_fetch_add(&is->crl_answers, 1, __ATOMIC_RELAXED);
	return 1;
}

int
tb_rev_refresh_crls(tb_rev_ctx *ctx, tb_error *err)
{
	tb_error e1;
	size_t i;
	int r = 0;

	for (i = 0; i < ctx->n_iss; i++) {
		if (!rev_has_crl_source(&ctx->iss[i]))
			continue;
		if (rev_crl_refresh(ctx, &ctx->iss[i], &e1) != 0 && r == 0) {
			r = e1.code;
			tb_error_set(err, e1.code, "%s: %s", ctx->iss[i].name, e1.detail);
		}
	}
	return r;
}

/* ---- validation data for embedding (cms_evidence.h) ---- */

int
tb_rev_crl_der(tb_rev_ctx *ctx, X509 *ca, int delta, unsigned char **der, size_t *len,
    tb_error *err)
{
	rev_issuer *is = ctx != NULL ? rev_find_issuer(ctx, ca) : NULL;
	const unsigned char *held;
	size_t held_len;
	int r = 0;

	if (is == NULL)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "no [issuer] for this CA");
	/* The copy kept with the CRL lookups use, not the disk's: that may be
	 * older (a failed save) or changed since it was written. */
	pthread_rwlock_rdlock(&is->lock);
	held = delta ? is->delta_der : is->base_der;
	held_len = delta ? is->delta_der_len : is->base_der_len;
	if ((delta ? is->delta : is->base) == NULL)
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "%s: no %s CRL held", is->name,
		    delta ? "delta" : "complete");
	else if (held == NULL)
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "%s: its %s CRL is over %u bytes, too "
		    "large to embed", is->name, delta ? "delta" : "complete",
		    TB_REV_EMBED_MAX_BYTES);
	else if ((*der = malloc(held_len)) == NULL)
		r = tb_error_set(err, TB_ERR_NOMEM, "%s: CRL copy", is->name);
	else {
		memcpy(*der, held, held_len);
		*len = held_len;
	}
	pthread_rwlock_unlock(&is->lock);
	return r;
}
