/*
 * OCSP through a bounded LRU cache keyed by issuer and serial: an answer
 * is kept until its nextUpdate (or a TTL), and concurrent lookups of one
 * certificate share the first caller's request. Only answers that
 * ocsp_check.c accepted are cached; a failed exchange is never remembered
 * as an answer.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "rev_int.h"
#include "tb_clock.h"
#include "tb_log.h"

static size_t
bucket_of(const tb_rev_ctx *ctx, const unsigned char *key)
{
	size_t h;

	memcpy(&h, key, sizeof(h));	/* the key is a SHA-256: uniform already */
	return h % ctx->n_buckets;
}

static void
lru_unlink(tb_rev_ctx *ctx, cache_ent *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		ctx->lru_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		ctx->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(tb_rev_ctx *ctx, cache_ent *e)
{
	e->prev = NULL;
	e->next = ctx->lru_head;
	if (ctx->lru_head != NULL)
		ctx->lru_head->prev = e;
	ctx->lru_head = e;
	if (ctx->lru_tail == NULL)
		ctx->lru_tail = e;
}

static void
cache_remove(tb_rev_ctx *ctx, cache_ent *e)
{
	cache_ent **pp = &ctx->buckets[bucket_of(ctx, e->key)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(ctx, e);
	tb_rev_result_clear(&e->res);
	free(e);
	ctx->n_cached--;
}

/* Under ctx->mu. A fresh entry or NULL; an expired one is dropped. */
static cache_ent *
cache_find(tb_rev_ctx *ctx, const unsigned char *key, time_t now)
{
	cache_ent *e;

	for (e = ctx->buckets[bucket_of(ctx, key)]; e != NULL; e = e->hnext) {
		if (memcmp(e->key, key, sizeof(e->key)) != 0)
			continue;
		if (e->expires <= now) {
			cache_remove(ctx, e);
			return NULL;
		}
		lru_unlink(ctx, e);
		lru_push(ctx, e);
		return e;
	}
	return NULL;
}

/* Under ctx->mu. Takes a copy of res. */
static void
cache_put(tb_rev_ctx *ctx, const unsigned char *key, const tb_rev_result *res,
    time_t expires)
{
	cache_ent *e;
	size_t b;

	if ((e = cache_find(ctx, key, 0)) != NULL)
		cache_remove(ctx, e);
	while (ctx->n_cached >= ctx->conf.ocsp_cache_max && ctx->lru_tail != NULL)
		cache_remove(ctx, ctx->lru_tail);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	if (tb_rev_result_copy(&e->res, res) != 0) {
		free(e);
		return;
	}
	memcpy(e->key, key, sizeof(e->key));
	e->expires = expires;
	b = bucket_of(ctx, key);
	e->hnext = ctx->buckets[b];
	ctx->buckets[b] = e;
	lru_push(ctx, e);
	ctx->n_cached++;
}

size_t
tb_rev_ocsp_cached(tb_rev_ctx *ctx)
{
	size_t n;

	pthread_mutex_lock(&ctx->mu);
	n = ctx->n_cached;
	pthread_mutex_unlock(&ctx->mu);
	return n;
}

void
rev_ocsp_cache_clear(tb_rev_ctx *ctx)
{
	while (ctx->lru_head != NULL)
		cache_remove(ctx, ctx->lru_head);
}

static int
cache_key(X509 *cert, X509 *issuer, unsigned char *key, tb_error *err)
{
	unsigned char serial[256], idig[EVP_MAX_MD_SIZE];
	unsigned int ilen = 0;
	size_t slen;
	EVP_MD_CTX *md = NULL;
	int r;

	if ((r = tb_crl_cert_serial(cert, serial, sizeof(serial), &slen, err)) != 0)
		return r;
	if (!X509_digest(issuer, EVP_sha256(), idig, &ilen) ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, idig, ilen) ||
	    !EVP_DigestUpdate(md, serial, slen) ||
	    !EVP_DigestFinal_ex(md, key, NULL))
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cache key");
	EVP_MD_CTX_free(md);
	return r;
}

/* The URLs to ask: configured first, then the certificate's AIA when allowed. */
static void
ocsp_urls(const rev_issuer *is, X509 *cert, STACK_OF(OPENSSL_STRING) **aia,
    const char **urls, size_t *n)
{
	int i;

	*n = 0;
	for (size_t k = 0; k < is->ocsp_urls.n; k++)
		urls[(*n)++] = is->ocsp_urls.u[k];
	*aia = NULL;
	if (!is->use_aia)
		return;
	*aia = X509_get1_ocsp(cert);
	for (i = 0; *aia != NULL && i < sk_OPENSSL_STRING_num(*aia) &&
	    *n < 2 * TB_REV_MAX_URLS; i++) {
		const char *u = sk_OPENSSL_STRING_value(*aia, i);

		if (tb_fetch_url_allowed(u))
			urls[(*n)++] = u;
	}
}

/*
 * Asks OCSP, through the cache; concurrent callers for the same key wait
 * for the first one's request. Returns 1 with *res filled when a checked
 * answer exists, 0 with detail otherwise.
 */
int
rev_ocsp_status(tb_rev_ctx *ctx, rev_issuer *is, X509 *cert, X509 *issuer,
    tb_rev_result *res, char *detail, size_t dlen)
{
	unsigned char key[32];
	const char *urls[2 * TB_REV_MAX_URLS];
	STACK_OF(OPENSSL_STRING) *aia = NULL;
	tb_ocsp_answer ans;
	cache_ent *e;
	inflight *f, **pp;
	tb_error e1;
	time_t now = tb_clock_now(), expires;
	size_t n, i;
	int ok = 0;

	memset(&ans, 0, sizeof(ans));
	if (cache_key(cert, issuer, key, &e1) != 0) {
		tb_rev_detail_add(detail, dlen, NULL, e1.detail);
		return 0;
	}
	ocsp_urls(is, cert, &aia, urls, &n);
	if (n == 0) {
		X509_email_free(aia);
		tb_rev_detail_add(detail, dlen, NULL, "OCSP: no responder configured");
		return 0;
	}
	pthread_mutex_lock(&ctx->mu);
	if ((e = cache_find(ctx, key, now)) != NULL) {
		ok = tb_rev_result_copy(res, &e->res) == 0;
		is->ocsp_cached++;
		pthread_mutex_unlock(&ctx->mu);
		X509_email_free(aia);
		return ok;
	}
	for (f = ctx->flights; f != NULL; f = f->next)
		if (memcmp(f->key, key, sizeof(key)) == 0)
			break;
	if (f != NULL) {
		/* Someone is already asking: wait for that answer. */
		f->waiters++;
		while (!f->done)
			pthread_cond_wait(&f->cond, &ctx->mu);
		if (f->ok)
			ok = tb_rev_result_copy(res, &f->res) == 0;
		else
			tb_rev_detail_add(detail, dlen, NULL, f->detail);
		if (--f->waiters == 0) {
			tb_rev_result_clear(&f->res);
			pthread_cond_destroy(&f->cond);
			free(f);
		}
		pthread_mutex_unlock(&ctx->mu);
		X509_email_free(aia);
		return ok;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		pthread_mutex_unlock(&ctx->mu);
		X509_email_free(aia);
		tb_rev_detail_add(detail, dlen, NULL, "OCSP: out of memory");
		return 0;
	}
	memcpy(f->key, key, sizeof(key));
	pthread_cond_init(&f->cond, NULL);
	f->next = ctx->flights;
	ctx->flights = f;
	pthread_mutex_unlock(&ctx->mu);

	for (i = 0; i < n && !ok; i++) {
		tb_error_clear(&e1);
		if (tb_ocsp_query(urls[i], cert, issuer, &is->ocsp_opts, &ans, &e1) == 0) {
			ok = 1;
			break;
		}
		tb_warn_f(e1.code, "OCSP %s: %s", urls[i], e1.detail);
		tb_rev_detail_add(f->detail, sizeof(f->detail), "OCSP ", e1.detail);
	}
	if (ok) {
		f->res.status = ans.status;
		f->res.revoked_at = ans.revoked_at;
		f->res.reason = ans.reason;
		snprintf(f->res.source, sizeof(f->res.source), "ocsp");
		snprintf(f->res.issuer, sizeof(f->res.issuer), "%s", ans.responder);
		f->res.this_update = ans.this_update;
		f->res.next_update = ans.next_update;
		f->res.ocsp_der = ans.der;
		f->res.ocsp_der_len = ans.der_len;
		ans.der = NULL;
		if (ans.status == TB_REV_UNKNOWN)
			snprintf(f->res.detail, sizeof(f->res.detail),
			    "OCSP responder does not know the certificate");
	}
	tb_ocsp_answer_clear(&ans);
	X509_email_free(aia);

	pthread_mutex_lock(&ctx->mu);
	if (ok) {
		is->ocsp_ok++;
		is->last_ocsp = 1;
		/* Cached until nextUpdate; without one, for the TTL. */
		expires = f->res.next_update != 0 ? f->res.next_update : now + ctx->conf.ocsp_ttl_s;
		cache_put(ctx, key, &f->res, expires);
		ok = tb_rev_result_copy(res, &f->res) == 0;
	} else {
		is->ocsp_fail++;
		is->last_ocsp = 0;
		tb_rev_detail_add(detail, dlen, NULL, f->detail);
	}
	f->ok = ok;
	f->done = 1;
	for (pp = &ctx->flights; *pp != NULL; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	pthread_cond_broadcast(&f->cond);
	if (f->waiters == 0) {
		tb_rev_result_clear(&f->res);
		pthread_cond_destroy(&f->cond);
		free(f);
	}
	pthread_mutex_unlock(&ctx->mu);
	return ok;
}
