/*
 * The checker's life cycle: configuration in (issuers read, URLs limited to
 * http and https, CRL signers resolved, disk copies loaded, the refresh
 * thread started), the status snapshot out, and everything freed. A
 * checker that cannot be built whole is not built at all.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert_read.h"
#include "http_fetch.h"
#include "rev_int.h"
#include "tb_clock.h"

void
tb_rev_conf_init(tb_rev_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->clock_skew_s = 300;
	c->ocsp_ttl_s = 300;
	c->ocsp_cache_max = 10000;
	c->crl_refresh_margin_s = 600;
	c->crl_refresh_max_s = 3600;
	c->crl_retry_s = 60;
	c->background = 1;
	tb_fetch_opts_init(&c->fetch);
	c->fetcher = &tb_http_fetcher;
}

void
tb_rev_issuer_conf_init(tb_rev_issuer_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->order[0] = TB_REV_SRC_OCSP;
	c->order[1] = TB_REV_SRC_CRL;
	c->n_order = 2;
	c->ocsp_nonce = 1;
	c->ocsp_nonce_required = 1;
}

static int
url_list_set(url_list *l, const char *const *urls, size_t n, tb_error *err)
{
	size_t i;

	if (n > TB_REV_MAX_URLS)
		return tb_error_set(err, TB_ERR_CONFIG, "more than %d URLs", TB_REV_MAX_URLS);
	for (i = 0; i < n; i++) {
		/* Issue 4 item 3: only http and https. */
		if (!tb_fetch_url_allowed(urls[i]))
			return tb_error_set(err, TB_ERR_CONFIG,
			    "URL \"%s\": only http and https are allowed", urls[i]);
		if ((l->u[i] = strdup(urls[i])) == NULL)
			return tb_error_set(err, TB_ERR_NOMEM, "URL");
		l->n = i + 1;
	}
	return 0;
}

static void
url_list_free(url_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->u[i]);
	l->n = 0;
}

void
rev_name_of(X509 *x, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(b, buf, (int)len - 1);
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

static int
issuer_init(tb_rev_ctx *ctx, rev_issuer *is, const tb_rev_issuer_conf *c, tb_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, k;
	size_t i;
	int r;
	tb_error e;

	pthread_mutex_init(&is->fetch_lock, NULL);
	pthread_rwlock_init(&is->lock, NULL);
	is->last_ocsp = -1;
	if (c->issuer != NULL) {
		if (!X509_up_ref(c->issuer))
			return tb_error_set(err, TB_ERR_INTERNAL, "X509_up_ref");
		is->ca = c->issuer;
	} else if (c->issuer_file != NULL) {
		if (tb_cert_read_file(c->issuer_file, &is->ca, &e) != 0)
			return tb_error_set(err, TB_ERR_CONFIG, "%s", e.detail);
	} else {
		return tb_error_set(err, TB_ERR_CONFIG, "issuer without a certificate");
	}
	if (c->name != NULL)
		snprintf(is->name, sizeof(is->name), "%s", c->name);
	else
		rev_name_of(is->ca, is->name, sizeof(is->name));
	if (!X509_digest(is->ca, EVP_sha256(), md, &mdlen))
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "issuer digest");
	for (k = 0; k < 16; k++)
		snprintf(is->tag + 2 * k, 3, "%02x", md[k]);
	if ((r = url_list_set(&is->ocsp_urls, c->ocsp_urls, c->n_ocsp_urls, err)) != 0 ||
	    (r = url_list_set(&is->crl_urls, c->crl_urls, c->n_crl_urls, err)) != 0 ||
	    (r = url_list_set(&is->delta_urls, c->delta_urls, c->n_delta_urls, err)) != 0)
		return r;
	if (c->n_order > 2)
		return tb_error_set(err, TB_ERR_CONFIG, "revocation order has more than 2 sources");
	for (i = 0; i < c->n_order; i++) {
		if (c->order[i] != TB_REV_SRC_OCSP && c->order[i] != TB_REV_SRC_CRL)
			return tb_error_set(err, TB_ERR_CONFIG, "unknown revocation source");
		is->order[i] = c->order[i];
	}
	is->n_order = c->n_order;
	if (is->n_order == 0) {
		is->order[0] = TB_REV_SRC_OCSP;
		is->order[1] = TB_REV_SRC_CRL;
		is->n_order = 2;
	}
	is->use_aia = c->use_aia;
	is->soft_fail = c->soft_fail;
	tb_ocsp_opts_init(&is->ocsp_opts);
	is->ocsp_opts.nonce = c->ocsp_nonce;
	is->ocsp_opts.nonce_required = c->ocsp_nonce_required;
	is->ocsp_opts.use_get = c->ocsp_get;
	is->ocsp_opts.certid_sha256 = c->ocsp_certid_sha256;
	is->ocsp_opts.skew_s = ctx->conf.clock_skew_s;
	is->ocsp_opts.max_age_s = ctx->conf.ocsp_max_age_s;
	is->ocsp_opts.fetch = ctx->conf.fetch;
	is->ocsp_opts.fetcher = ctx->conf.fetcher;
	if (is->ocsp_opts.fetch.max_bytes > TB_REV_OCSP_MAX_BYTES)
		is->ocsp_opts.fetch.max_bytes = TB_REV_OCSP_MAX_BYTES;
	if (c->crl_signer != NULL) {
		if (!X509_up_ref(c->crl_signer))
			return tb_error_set(err, TB_ERR_INTERNAL, "X509_up_ref");
		is->signer = c->crl_signer;
	} else if (c->crl_signer_file != NULL) {
		STACK_OF(X509) *sk = NULL;

		if (tb_certs_read_file(c->crl_signer_file, &sk, err) != 0)
			return TB_ERR_CONFIG;
		is->signer = sk_X509_shift(sk);	/* the first one */
		sk_X509_pop_free(sk, X509_free);
	}
	return 0;
}

/* After every issuer is known: CRL signers, then the disk copies. */
static int
issuer_start(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err)
{
	int r;

	if (is->signer != NULL && (r = rev_signer_resolve(ctx, is, err)) != 0)
		return r;
	if (ctx->cache_dir != NULL) {
		rev_disk_load(ctx, is, 0);
		rev_disk_load(ctx, is, 1);
	}
	/* With a current disk copy the first download can wait its turn. */
	is->next_refresh = rev_crl_usable(is, tb_clock_now(), ctx->conf.clock_skew_s) ?
	    tb_clock_now() + 5 : 0;
	return 0;
}

int
tb_rev_ctx_new(const tb_rev_conf *conf, tb_rev_ctx **out, tb_error *err)
{
	tb_rev_ctx *ctx = NULL;
	size_t i;
	int r = TB_ERR_INTERNAL;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "revocation checker");
		goto out;
	}
	pthread_mutex_init(&ctx->mu, NULL);
	pthread_mutex_init(&ctx->stop_mu, NULL);
	pthread_cond_init(&ctx->stop_cond, NULL);
	ctx->conf = *conf;
	ctx->conf.issuers = NULL;
	ctx->conf.cache_dir = NULL;
	if (ctx->conf.ocsp_cache_max == 0)
		ctx->conf.ocsp_cache_max = 1;
	if ((r = tb_fetch_global_init(err)) != 0)
		goto out;
	if (conf->cache_dir != NULL && (ctx->cache_dir = strdup(conf->cache_dir)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "revocation checker");
		goto out;
	}
	ctx->n_buckets = ctx->conf.ocsp_cache_max + 1;
	if ((ctx->buckets = calloc(ctx->n_buckets, sizeof(*ctx->buckets))) == NULL ||
	    (ctx->iss = calloc(conf->n_issuers ? conf->n_issuers : 1, sizeof(*ctx->iss))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "revocation checker");
		goto out;
	}
	for (i = 0; i < conf->n_issuers; i++) {
		ctx->n_iss = i + 1;
		if ((r = issuer_init(ctx, &ctx->iss[i], &conf->issuers[i], err)) != 0)
			goto out;
	}
	for (i = 0; i < ctx->n_iss; i++)
		if ((r = issuer_start(ctx, &ctx->iss[i], err)) != 0)
			goto out;
	if (conf->background && (r = rev_refresh_start(ctx, err)) != 0)
		goto out;
	*out = ctx;
	ctx = NULL;
	r = 0;
 out:
	tb_rev_ctx_free(ctx);
	return r;
}

void
tb_rev_ctx_free(tb_rev_ctx *ctx)
{
	size_t i;

	if (ctx == NULL)
		return;
	rev_refresh_stop(ctx);
	rev_ocsp_cache_clear(ctx);
	for (i = 0; i < ctx->n_iss; i++) {
		rev_issuer *is = &ctx->iss[i];

		X509_free(is->ca);
		X509_free(is->signer);
		url_list_free(&is->ocsp_urls);
		url_list_free(&is->crl_urls);
		url_list_free(&is->delta_urls);
		tb_crl_free(is->base);
		tb_crl_free(is->delta);
		free(is->base_der);
		free(is->delta_der);
		free(is->cdp_url);
		pthread_mutex_destroy(&is->fetch_lock);
		pthread_rwlock_destroy(&is->lock);
	}
	free(ctx->iss);
	free(ctx->buckets);
	free(ctx->cache_dir);
	pthread_mutex_destroy(&ctx->mu);
	pthread_mutex_destroy(&ctx->stop_mu);
	pthread_cond_destroy(&ctx->stop_cond);
	free(ctx);
}

int
tb_rev_status(tb_rev_ctx *ctx, tb_rev_issuer_status **out, size_t *n, tb_error *err)
{
	tb_rev_issuer_status *st;
	time_t now = tb_clock_now();
	size_t i;
	int crl_ok;

	if ((st = calloc(ctx->n_iss ? ctx->n_iss : 1, sizeof(*st))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "revocation status");
	for (i = 0; i < ctx->n_iss; i++) {
		rev_issuer *is = &ctx->iss[i];

		snprintf(st[i].name, sizeof(st[i].name), "%s", is->name);
		pthread_rwlock_rdlock(&is->lock);
		if (is->base != NULL) {
			const tb_crl_info *bi = tb_crl_get_info(is->base);

			st[i].has_crl = 1;
			st[i].crl_this_update = bi->this_update;
			st[i].crl_next_update = bi->next_update;
			st[i].crl_age_s = (long)(now - bi->this_update);
			st[i].crl_entries = bi->entries;
		}
		if (is->delta != NULL) {
			st[i].has_delta = 1;
			st[i].delta_this_update = tb_crl_get_info(is->delta)->this_update;
			st[i].delta_next_update = tb_crl_get_info(is->delta)->next_update;
		}
		crl_ok = is->base != NULL &&
		    tb_crl_fresh(is->base, now, ctx->conf.clock_skew_s, NULL) == 0;
		snprintf(st[i].last_error, sizeof(st[i].last_error), "%s", is->crl_err);
		pthread_rwlock_unlock(&is->lock);
		pthread_mutex_lock(&ctx->mu);
		st[i].ocsp_ok = is->ocsp_ok;
		st[i].ocsp_fail = is->ocsp_fail;
		st[i].crl_fetch_ok = is->crl_ok;
		st[i].crl_fetch_fail = is->crl_fail;
		st[i].ocsp_cache_hits = is->ocsp_cached;
		st[i].crl_answers = __atomic_load_n(&is->crl_answers, __ATOMIC_RELAXED);
		st[i].healthy = crl_ok || (is->ocsp_urls.n > 0 && is->last_ocsp == 1);
		pthread_mutex_unlock(&ctx->mu);
	}
	*out = st;
	*n = ctx->n_iss;
	return 0;
}
