/*
 * The revocation checker: for each configured CA, asks its sources in the
 * configured order (OCSP, then CRL by default) and reports what it found.
 * OCSP answers are cached by issuer+serial and concurrent lookups of one
 * certificate share one request; CRLs live as checked indexes refreshed in
 * the background. It must never answer GOOD without a checked source, and
 * never send a request to a URL taken from a certificate unless told to.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert_read.h"
#include "crl.h"
#include "crl_scope.h"
#include "der_reader.h"
#include "sigalg.h"
#include "ocsp_check.h"
#include "rev_checker.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "tb_log.h"
#include "x509_path.h"

#define TB_REV_OCSP_MAX_BYTES (1024 * 1024)

typedef struct url_list {
	char *u[TB_REV_MAX_URLS];
	size_t n;
} url_list;

typedef struct rev_issuer {
	char name[256];
	char tag[33];			/* file name stem: hex of the CA's hash */
	X509 *ca;
	url_list ocsp_urls, crl_urls, delta_urls;
	enum tb_rev_source order[2];
	size_t n_order;
	int use_aia, soft_fail;
	tb_ocsp_opts ocsp_opts;
	X509 *signer;			/* separate CRL signer, or NULL */
	struct rev_issuer *signer_ca;	/* the configured issuer that issued it */

	pthread_mutex_t fetch_lock;	/* one CRL download per issuer at a time */
	pthread_rwlock_t lock;		/* base, delta, crl_err, learned CDP URL */
	tb_crl *base, *delta;
	int base_by_signer, delta_by_signer;	/* signed by signer, not by ca */
	char crl_err[256];
	char *cdp_url;			/* learned from a certificate (use_aia only) */
	time_t next_refresh;
	/* counters, under ctx->mu */
	unsigned long ocsp_ok, ocsp_fail, crl_ok, crl_fail;
	unsigned long ocsp_cached, crl_answers;	/* answers given without a fetch */
	int last_ocsp;			/* -1 none yet, 0 failed, 1 succeeded */
} rev_issuer;

typedef struct cache_ent {
	struct cache_ent *hnext, *prev, *next;	/* bucket chain; LRU list */
	unsigned char key[32];
	time_t expires;
	tb_rev_result res;
} cache_ent;

typedef struct inflight {
	struct inflight *next;
	unsigned char key[32];
	pthread_cond_t cond;
	int done, ok, waiters;
	tb_rev_result res;
	char detail[256];
} inflight;

struct tb_rev_ctx {
	tb_rev_conf conf;		/* numbers only; strings were copied into issuers */
	char *cache_dir;
	rev_issuer *iss;
	size_t n_iss;

	pthread_mutex_t mu;		/* cache, in-flight list, counters */
	cache_ent **buckets;
	size_t n_buckets, n_cached;
	cache_ent *lru_head, *lru_tail;	/* head: most recently used */
	inflight *flights;

	pthread_t thread;
	int thread_started, stop;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cond;
};

void
tb_rev_result_clear(tb_rev_result *res)
{
	if (res == NULL)
		return;
	free(res->ocsp_der);
	res->ocsp_der = NULL;
	res->ocsp_der_len = 0;
}

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

/* ---- small helpers ---- */

static int
result_copy(tb_rev_result *dst, const tb_rev_result *src)
{
	*dst = *src;
	dst->ocsp_der = NULL;
	dst->ocsp_der_len = 0;
	if (src->ocsp_der != NULL) {
		if ((dst->ocsp_der = malloc(src->ocsp_der_len)) == NULL)
			return TB_ERR_NOMEM;
		memcpy(dst->ocsp_der, src->ocsp_der, src->ocsp_der_len);
		dst->ocsp_der_len = src->ocsp_der_len;
	}
	return 0;
}

static void
append_raw(char *buf, size_t len, size_t *used, const char *what)
{
	size_t n = strlen(what);

	if (*used + 1 >= len)
		return;
	if (n > len - *used - 1)
		n = len - *used - 1;
	memcpy(buf + *used, what, n);
	*used += n;
	buf[*used] = '\0';
}

/*
 * Appends "; prefix what" to buf. Reasons are joined and cut at the
 * buffer's end: a long chain of failures still shows its first reasons.
 */
static void
append_detail2(char *buf, size_t len, const char *prefix, const char *what)
{
	size_t used = strlen(buf);

	if (used > 0)
		append_raw(buf, len, &used, "; ");
	if (prefix != NULL)
		append_raw(buf, len, &used, prefix);
	append_raw(buf, len, &used, what);
}

static void
append_detail(char *buf, size_t len, const char *what)
{
	append_detail2(buf, len, NULL, what);
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

static void
name_of(X509 *x, char *buf, size_t len)
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
path_of(const tb_rev_ctx *ctx, const rev_issuer *is, int delta, char *buf, size_t len)
{
	if (ctx->cache_dir == NULL)
		return TB_ERR_INVALID_ARG;
	if ((size_t)snprintf(buf, len, "%s/%s%s", ctx->cache_dir, is->tag,
	    delta ? ".delta.crl" : ".crl") >= len)
		return TB_ERR_INVALID_ARG;
	return 0;
}

/* ---- OCSP cache (LRU, bounded) ---- */

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
	if (result_copy(&e->res, res) != 0) {
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

/* ---- OCSP ---- */

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
static int
ocsp_status(tb_rev_ctx *ctx, rev_issuer *is, X509 *cert, X509 *issuer,
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
		append_detail(detail, dlen, e1.detail);
		return 0;
	}
	ocsp_urls(is, cert, &aia, urls, &n);
	if (n == 0) {
		X509_email_free(aia);
		append_detail(detail, dlen, "OCSP: no responder configured");
		return 0;
	}
	pthread_mutex_lock(&ctx->mu);
	if ((e = cache_find(ctx, key, now)) != NULL) {
		ok = result_copy(res, &e->res) == 0;
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
			ok = result_copy(res, &f->res) == 0;
		else
			append_detail(detail, dlen, f->detail);
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
		append_detail(detail, dlen, "OCSP: out of memory");
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
		append_detail2(f->detail, sizeof(f->detail), "OCSP ", e1.detail);
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
		ok = result_copy(res, &f->res) == 0;
	} else {
		is->ocsp_fail++;
		is->last_ocsp = 0;
		append_detail(detail, dlen, f->detail);
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

/* ---- CRL ---- */

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
static int
signer_resolve(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err)
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
static int
crl_load_either(tb_rev_ctx *ctx, rev_issuer *is, const unsigned char *der, size_t len,
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
	char path[4096];
	tb_error e2;
	int r = TB_ERR_INTERNAL, by_signer = 0;

	if ((r = tb_fetch(url, &ctx->conf.fetch, NULL, NULL, 0, &der, &len, err)) != 0)
		goto out;
	if ((r = crl_load_either(ctx, is, der, len, &pol, 1, &crl, &by_signer, err)) != 0)
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
		old = delta ? is->delta : is->base;
		if (delta) {
			is->delta = crl;
			is->delta_by_signer = by_signer;
		} else {
			is->base = crl;
			is->base_by_signer = by_signer;
		}
		crl = NULL;
		/* A new base may make the held delta obsolete. */
		if (!delta && is->delta != NULL &&
		    tb_crl_delta_applies(is->base, is->delta, &e2) != 0) {
			tb_crl_free(is->delta);
			is->delta = NULL;
		}
	}
	pthread_rwlock_unlock(&is->lock);
	if (r != 0)
		goto out;
	/* Only a CRL that passed every check reaches the disk. */
	if (path_of(ctx, is, delta, path, sizeof(path)) == 0) {
		char *slash = strrchr(path, '/');

		if (tb_crl_save(ctx->cache_dir, slash + 1, der, len, &e2) != 0)
			tb_warn_f(e2.code, "%s", e2.detail);
	}
	tb_info_f("%s: %s CRL loaded from %s", is->name, delta ? "delta" : "complete", url);
	r = 0;
 out:
	tb_crl_free(crl);
	tb_crl_free(old);
	free(der);
	return r;
}

/* Downloads the issuer's CRLs; the old ones stay unless a new one passed. */
static int
crl_refresh(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err)
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
		append_detail2(msg, sizeof(msg), "CRL ", e1.detail);
	}
	for (i = 0; i < is->delta_urls.n; i++) {
		tb_error_clear(&e1);
		if (crl_fetch_one(ctx, is, is->delta_urls.u[i], 1, &e1) == 0)
			break;
		tb_warn_f(e1.code, "%s: delta CRL %s: %s", is->name, is->delta_urls.u[i], e1.detail);
		append_detail2(msg, sizeof(msg), "delta CRL ", e1.detail);
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
static int
has_crl_source(rev_issuer *is)
{
	int yes;

	pthread_rwlock_rdlock(&is->lock);
	yes = is->crl_urls.n > 0 || is->cdp_url != NULL;
	pthread_rwlock_unlock(&is->lock);
	return yes;
}

static int
crl_usable(rev_issuer *is, time_t now, int skew)
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

static int
crl_status(tb_rev_ctx *ctx, rev_issuer *is, X509 *cert, tb_rev_result *res,
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
	have_url = has_crl_source(is);
	if (!have_url && !crl_usable(is, now, ctx->conf.clock_skew_s)) {
		append_detail(detail, dlen, "CRL: no CRL configured");
		return 0;
	}
	/* No current CRL: download now, but not more often than the retry
	 * interval, so a dead server does not cost every request a timeout. */
	if (!crl_usable(is, now, ctx->conf.clock_skew_s) && have_url) {
		pthread_rwlock_rdlock(&is->lock);
		due = is->next_refresh <= now;
		pthread_rwlock_unlock(&is->lock);
		tb_error_clear(&e1);
		if (due)
			(void)crl_refresh(ctx, is, &e1);
	}
	/* A CRL of the separate signer counts while the signer is good (its
	 * status is asked of its own issuer's sources, outside this lock). */
	if (is->signer_ca != NULL) {
		pthread_rwlock_rdlock(&is->lock);
		by_signer = is->base_by_signer || is->delta_by_signer;
		pthread_rwlock_unlock(&is->lock);
		tb_error_clear(&e1);
		if (by_signer && signer_good(ctx, is, &e1) != 0) {
			append_detail2(detail, dlen, "CRL: ", e1.detail);
			return 0;
		}
	}
	pthread_rwlock_rdlock(&is->lock);
	if (is->base == NULL) {
		append_detail(detail, dlen, "CRL: none held");
		if (is->crl_err[0])
			append_detail(detail, dlen, is->crl_err);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	tb_error_clear(&e1);
	if (tb_crl_fresh(is->base, now, ctx->conf.clock_skew_s, &e1) != 0) {
		append_detail(detail, dlen, e1.detail);
		if (is->crl_err[0])
			append_detail(detail, dlen, is->crl_err);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	bi = tb_crl_get_info(is->base);
	/* RFC 5280 6.3.3: a CRL outside the certificate's scope, or one that
	 * answers for some reasons only, is no evidence that it is good. One
	 * CRL is held per issuer, so reasons are not combined here. */
	tb_error_clear(&e1);
	if (tb_crl_scope(is->base, cert, &mask, &e1) != 0) {
		append_detail2(detail, dlen, "CRL: ", e1.detail);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	if (mask != TB_CRL_REASONS_ALL) {
		tb_crl_reasons_text(mask, rtext, sizeof(rtext));
		append_detail2(detail, dlen, "CRL covers only some reasons: ", rtext);
		pthread_rwlock_unlock(&is->lock);
		return 0;
	}
	/* A stale delta is left out: the base alone is still a current answer. */
	if (is->delta != NULL && tb_crl_fresh(is->delta, now, ctx->conf.clock_skew_s, NULL) == 0 &&
	    tb_crl_delta_applies(is->base, is->delta, NULL) == 0)
		delta = is->delta;
	if ((found = tb_crl_lookup_cert(is->base, delta, cert, &when, &why, &from_delta,
	    &e1)) < 0) {
		append_detail(detail, dlen, e1.detail);
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

/* ---- the check ---- */

static rev_issuer *
find_issuer(tb_rev_ctx *ctx, X509 *issuer)
{
	size_t i;

	for (i = 0; i < ctx->n_iss; i++)
		if (X509_cmp(ctx->iss[i].ca, issuer) == 0)
			return &ctx->iss[i];
	return NULL;
}

int
tb_rev_check(tb_rev_ctx *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	rev_issuer *is;
	tb_rev_result res;
	char detail[sizeof(res.detail)] = "", who[200];
	size_t i;
	int got = 0;

	if (ctx == NULL || cert == NULL || issuer == NULL || out == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "revocation check arguments");
	memset(&res, 0, sizeof(res));
	res.reason = -1;
	if ((is = find_issuer(ctx, issuer)) == NULL) {
		name_of(issuer, who, sizeof(who));
		res.status = TB_REV_UNKNOWN;
		snprintf(res.detail, sizeof(res.detail),
		    "no revocation source configured for issuer \"%s\"", who);
		*out = res;
		return 0;
	}
	for (i = 0; i < is->n_order && !got; i++) {
		tb_rev_result_clear(&res);
		memset(&res, 0, sizeof(res));
		res.reason = -1;
		if (is->order[i] == TB_REV_SRC_OCSP)
			got = ocsp_status(ctx, is, cert, issuer, &res, detail, sizeof(detail));
		else if (is->order[i] == TB_REV_SRC_CRL)
			got = crl_status(ctx, is, cert, &res, detail, sizeof(detail));
		/* The responder's own "unknown" is an answer, but the next
		 * source may know better. */
		if (got && res.status == TB_REV_UNKNOWN) {
			append_detail(detail, sizeof(detail), res.detail);
			got = 0;
		}
	}
	if (!got) {
		tb_rev_result_clear(&res);
		memset(&res, 0, sizeof(res));
		res.reason = -1;
		/* Fail closed unless this issuer is explicitly soft-fail. */
		res.status = is->soft_fail ? TB_REV_SKIPPED : TB_REV_UNKNOWN;
		res.detail[0] = '\0';
		if (is->soft_fail)
			append_detail(res.detail, sizeof(res.detail),
			    "revocation check skipped (soft-fail)");
		append_detail(res.detail, sizeof(res.detail),
		    detail[0] ? detail : "no revocation source answered");
		tb_info_f("%s: %s", is->name, res.detail);
	} else if (res.status == TB_REV_REVOKED && res.revoked_at > at) {
		/* Revoked after the evaluation time: not revoked then, but said. */
		res.status = TB_REV_GOOD;
		res.revoked_later = 1;
	}
	*out = res;
	return 0;
}

/*
 * A stored response names the certificate with whichever hash its
 * responder chose (the NCA uses SHA-256): build the CertID with the hash of
 * the response's first CertID, so a stored SHA-256 answer is matched.
 * Only SHA-1 and SHA-256 are accepted; anything else keeps the default.
 */
static int
stored_certid_sha256(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_SINGLERESP *single = bs != NULL ? OCSP_resp_get0(bs, 0) : NULL;
	ASN1_OBJECT *md = NULL;
	int sha256 = 0;

	if (single != NULL &&
	    OCSP_id_get0_info(NULL, &md, NULL, NULL,
	    (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) == 1 && md != NULL)
		sha256 = OBJ_obj2nid(md) == NID_sha256;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return sha256;
}

/*
 * Loads CRL i of an offline check, signed by the certificate's issuer or,
 * failing that, by a candidate signer that in->signer_ok accepts. NULL
 * (with the reason in detail) when none fits.
 */
static tb_crl *
offline_load(const tb_rev_offline *in, size_t i, X509 *issuer, time_t at,
    const tb_crl_policy *pol, char *detail, size_t dlen)
{
	tb_crl *crl = NULL;
	tb_error e1, e2;
	X509 *s;
	int k, n;

	tb_error_clear(&e1);
	if (tb_crl_load(in->crl_der[i], in->crl_len[i], issuer, pol, &crl, &e1) == 0)
		return crl;
	n = in->signers != NULL && in->signer_ok != NULL ? sk_X509_num(in->signers) : 0;
	for (k = 0; k < n && k < TB_REV_MAX_SIGNERS; k++) {
		s = sk_X509_value(in->signers, k);
		tb_error_clear(&e2);
		if (X509_cmp(s, issuer) == 0 ||
		    tb_crl_load(in->crl_der[i], in->crl_len[i], s, pol, &crl, &e2) != 0)
			continue;
		/* RFC 5280 6.3.3 (f): the signer's own path and status. */
		if (in->signer_ok(in->signer_arg, s, at, &e2) == 0)
			return crl;
		tb_crl_free(crl);
		crl = NULL;
		tb_error_set(&e1, e2.code, "CRL signer refused: %s", e2.detail);
	}
	append_detail2(detail, dlen, "CRL ", e1.detail);
	return NULL;
}

/* 1 when a and b are CRLs of one issuer and one scope (issuingDistributionPoint). */
static int
same_scope(const tb_crl *a, const tb_crl *b)
{
	const unsigned char *pa, *pb;
	size_t la, lb;

	pa = tb_crl_index_issuer(tb_crl_get_index(a), &la);
	pb = tb_crl_index_issuer(tb_crl_get_index(b), &lb);
	if (la != lb || memcmp(pa, pb, la) != 0)
		return 0;
	pa = tb_crl_index_idp(tb_crl_get_index(a), &la);
	pb = tb_crl_index_idp(tb_crl_get_index(b), &lb);
	return la == lb && (la == 0 || memcmp(pa, pb, la) == 0);
}

/* 1 when crls[j] supersedes crls[i]: same kind and scope, newer (or the same and earlier). */
static int
superseded(tb_crl **crls, size_t n, size_t i)
{
	const tb_crl_info *a = tb_crl_get_info(crls[i]), *b;
	size_t j;
	int c;

	for (j = 0; j < n; j++) {
		if (j == i || crls[j] == NULL)
			continue;
		b = tb_crl_get_info(crls[j]);
		if (b->is_delta != a->is_delta || !same_scope(crls[i], crls[j]))
			continue;
		c = tb_crl_number_cmp(b->number, b->number_len, a->number, a->number_len);
		if (c > 0 || (c == 0 && j < i))
			return 1;
	}
	return 0;
}

/*
 * RFC 5280 6.3.3 over loaded CRLs: every complete CRL whose scope covers
 * cert (the newest of each scope, with the newest delta that applies) is
 * asked, and the reasons they cover are added up. Returns 1 with res
 * filled (REVOKED as soon as one lists cert; GOOD only when every reason is
 * covered), 0 with detail when the CRLs cannot tell, <0 on error.
 */
static int
offline_crls(tb_crl **crls, size_t n, X509 *cert, tb_rev_result *res, char *detail,
    size_t dlen, tb_error *err)
{
	const tb_crl *base, *delta, *first = NULL, *first_delta = NULL;
	const tb_crl_info *info;
	unsigned m, mask = 0;
	time_t when = 0;
	size_t i, j;
	char rtext[160];
	tb_error e1;
	int found = 0, why = -1, from_delta = 0, removed = 0, any = 0;

	for (i = 0; i < n; i++) {
		if (crls[i] == NULL || tb_crl_get_info(crls[i])->is_delta ||
		    superseded(crls, n, i))
			continue;
		any = 1;
		base = crls[i];
		tb_error_clear(&e1);
		if (tb_crl_scope(base, cert, &m, &e1) != 0) {
			append_detail2(detail, dlen, "CRL: ", e1.detail);
			continue;
		}
		delta = NULL;
		for (j = 0; j < n; j++)
			if (crls[j] != NULL && tb_crl_get_info(crls[j])->is_delta &&
			    !superseded(crls, n, j) &&
			    tb_crl_delta_applies(base, crls[j], NULL) == 0)
				delta = crls[j];
		if ((found = tb_crl_lookup_cert(base, delta, cert, &when, &why, &from_delta,
		    err)) < 0)
			return found;
		if (first == NULL || found) {
			first = base;
			first_delta = delta;
		}
		if (found)
			break;
		removed |= from_delta;
		mask |= m;
	}
	if (first == NULL) {
		append_detail(detail, dlen, any ? "CRL: none covers the certificate" :
		    "CRL: no usable complete CRL");
		return 0;
	}
	if (!found && mask != TB_CRL_REASONS_ALL) {
		tb_crl_reasons_text(TB_CRL_REASONS_ALL & ~mask, rtext, sizeof(rtext));
		append_detail2(detail, dlen, "CRL: no CRL covers the reasons ", rtext);
		return 0;
	}
	res->status = found ? TB_REV_REVOKED : TB_REV_GOOD;
	res->revoked_at = found ? when : 0;
	res->reason = found ? why : -1;
	snprintf(res->source, sizeof(res->source), "%s", first_delta != NULL ? "delta" : "crl");
	snprintf(res->issuer, sizeof(res->issuer), "%s", tb_crl_issuer_text(first));
	info = tb_crl_get_info(first_delta != NULL ? first_delta : first);
	res->this_update = info->this_update;
	res->next_update = info->next_update;
	if (removed && !found)
		snprintf(res->detail, sizeof(res->detail), "removed from the CRL by the delta CRL");
	return 1;
}

int
tb_rev_check_offline(const tb_rev_offline *in, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err)
{
	tb_rev_result res;
	tb_ocsp_opts oo;
	tb_ocsp_answer ans;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	tb_crl *crls[TB_REV_MAX_URLS] = { NULL };
	tb_crl_policy pol;
	char detail[sizeof(res.detail)] = "";
	size_t i;
	tb_error e1;
	int got = 0, r = TB_ERR_INTERNAL;

	memset(&res, 0, sizeof(res));
	memset(&ans, 0, sizeof(ans));
	res.reason = -1;
	if (in == NULL || cert == NULL || issuer == NULL || out == NULL ||
	    in->n_crls > TB_REV_MAX_URLS) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "offline revocation check arguments");
		goto out;
	}
	tb_ocsp_opts_init(&oo);
	oo.nonce = 0;
	oo.skew_s = in->clock_skew_s > 0 ? in->clock_skew_s : 300;
	oo.max_age_s = in->ocsp_max_age_s;
	if (in->ocsp_der != NULL) {
		tb_error_clear(&e1);
		oo.certid_sha256 = stored_certid_sha256(in->ocsp_der, in->ocsp_len);
		if (tb_ocsp_request_new(cert, issuer, &oo, &req, &id, &e1) != 0 ||
		    tb_ocsp_response_check(in->ocsp_der, in->ocsp_len, NULL, id, issuer, &oo,
		    tb_clock_now(), &ans, &e1) != 0) {
			append_detail2(detail, sizeof(detail), "OCSP ", e1.detail);
		} else if (ans.status == TB_REV_UNKNOWN) {
			append_detail(detail, sizeof(detail),
			    "OCSP responder does not know the certificate");
		} else {
			got = 1;
			res.status = ans.status;
			res.revoked_at = ans.revoked_at;
			res.reason = ans.reason;
			snprintf(res.source, sizeof(res.source), "ocsp");
			snprintf(res.issuer, sizeof(res.issuer), "%s", ans.responder);
			res.this_update = ans.this_update;
			res.next_update = ans.next_update;
			res.ocsp_der = ans.der;
			res.ocsp_der_len = ans.der_len;
			ans.der = NULL;
		}
	}
	pol.now = tb_clock_now();
	pol.skew_s = oo.skew_s;
	pol.max_entries = 0;
	pol.allow_expired = 0;
	for (i = 0; !got && i < in->n_crls; i++)
		crls[i] = offline_load(in, i, issuer, at, &pol, detail, sizeof(detail));
	if (!got && in->n_crls > 0) {
		if ((r = offline_crls(crls, in->n_crls, cert, &res, detail, sizeof(detail),
		    err)) < 0)
			goto out;
		got = r;
	}
	if (!got) {
		tb_rev_result_clear(&res);
		memset(&res, 0, sizeof(res));
		res.reason = -1;
		res.status = TB_REV_UNKNOWN;
		append_detail(res.detail, sizeof(res.detail),
		    detail[0] ? detail : "no CRL or OCSP response given");
	} else if (res.status == TB_REV_REVOKED && res.revoked_at > at) {
		res.status = TB_REV_GOOD;
		res.revoked_later = 1;
	}
	*out = res;
	memset(&res, 0, sizeof(res));
	r = 0;
 out:
	tb_rev_result_clear(&res);
	tb_ocsp_answer_clear(&ans);
	for (i = 0; i < TB_REV_MAX_URLS; i++)
		tb_crl_free(crls[i]);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	return r;
}

static int
hook_check(void *vctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	return tb_rev_check(vctx, cert, issuer, at, out, err);
}

void
tb_rev_ctx_hook(tb_rev_ctx *ctx, tb_rev_checker *hook)
{
	hook->check = hook_check;
	hook->ctx = ctx;
}

int
tb_rev_refresh_crls(tb_rev_ctx *ctx, tb_error *err)
{
	tb_error e1;
	size_t i;
	int r = 0;

	for (i = 0; i < ctx->n_iss; i++) {
		if (!has_crl_source(&ctx->iss[i]))
			continue;
		if (crl_refresh(ctx, &ctx->iss[i], &e1) != 0 && r == 0) {
			r = e1.code;
			tb_error_set(err, e1.code, "%s: %s", ctx->iss[i].name, e1.detail);
		}
	}
	return r;
}

/* ---- background refresh ---- */

static void *
refresh_main(void *arg)
{
	tb_rev_ctx *ctx = arg;
	struct timespec ts;
	time_t now, due, wait;
	tb_error e1;
	size_t i;

	pthread_mutex_lock(&ctx->stop_mu);
	while (!ctx->stop) {
		pthread_mutex_unlock(&ctx->stop_mu);
		now = tb_clock_now();
		wait = 30;
		for (i = 0; i < ctx->n_iss; i++) {
			rev_issuer *is = &ctx->iss[i];

			if (!has_crl_source(is))
				continue;
			pthread_rwlock_rdlock(&is->lock);
			due = is->next_refresh;
			pthread_rwlock_unlock(&is->lock);
			if (due <= now) {
				(void)crl_refresh(ctx, is, &e1);
				pthread_rwlock_rdlock(&is->lock);
				due = is->next_refresh;
				pthread_rwlock_unlock(&is->lock);
			}
			if (due - now < wait)
				wait = due - now;
		}
		if (wait < 1)
			wait = 1;
		pthread_mutex_lock(&ctx->stop_mu);
		if (ctx->stop)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait;
		pthread_cond_timedwait(&ctx->stop_cond, &ctx->stop_mu, &ts);
	}
	pthread_mutex_unlock(&ctx->stop_mu);
	return NULL;
}

/* ---- life cycle ---- */

static void
disk_load(tb_rev_ctx *ctx, rev_issuer *is, int delta)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char path[4096];
	tb_crl *crl = NULL;
	/* The disk copy passed every check once; it is checked again (the
	 * file may have been changed), but an expired one is still loaded
	 * so that status can show it: lookups refuse it. */
	tb_crl_policy pol = { tb_clock_now(), ctx->conf.clock_skew_s,
	    ctx->conf.crl_max_entries, 1 };
	tb_error e1;
	int by_signer;

	if (path_of(ctx, is, delta, path, sizeof(path)) != 0)
		return;
	if (tb_file_read(path, ctx->conf.fetch.max_bytes, &der, &len, &e1) != 0)
		return;
	if (crl_load_either(ctx, is, der, len, &pol, 0, &crl, &by_signer, &e1) != 0 ||
	    tb_crl_get_info(crl)->is_delta != delta ||
	    (delta && (is->base == NULL || tb_crl_delta_applies(is->base, crl, &e1) != 0))) {
		tb_warn_f(TB_ERR_REVOCATION_UNKNOWN, "%s: disk copy %s not used: %s", is->name,
		    path, e1.detail);
		tb_crl_free(crl);
		free(der);
		return;
	}
	if (delta) {
		is->delta = crl;
		is->delta_by_signer = by_signer;
	} else {
		is->base = crl;
		is->base_by_signer = by_signer;
	}
	tb_info_f("%s: %s CRL loaded from %s", is->name, delta ? "delta" : "complete", path);
	free(der);
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
		name_of(is->ca, is->name, sizeof(is->name));
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
	/* An OCSP answer is a few kilobytes; a megabyte is already absurd. */
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

	if (is->signer != NULL && (r = signer_resolve(ctx, is, err)) != 0)
		return r;
	if (ctx->cache_dir != NULL) {
		disk_load(ctx, is, 0);
		disk_load(ctx, is, 1);
	}
	/* With a current disk copy the first download can wait its turn. */
	is->next_refresh = crl_usable(is, tb_clock_now(), ctx->conf.clock_skew_s) ?
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
	if (conf->background) {
		if (pthread_create(&ctx->thread, NULL, refresh_main, ctx) != 0) {
			r = tb_error_set(err, TB_ERR_INTERNAL, "CRL refresh thread");
			goto out;
		}
		ctx->thread_started = 1;
	}
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
	if (ctx->thread_started) {
		pthread_mutex_lock(&ctx->stop_mu);
		ctx->stop = 1;
		pthread_cond_broadcast(&ctx->stop_cond);
		pthread_mutex_unlock(&ctx->stop_mu);
		pthread_join(ctx->thread, NULL);
	}
	while (ctx->lru_head != NULL)
		cache_remove(ctx, ctx->lru_head);
	for (i = 0; i < ctx->n_iss; i++) {
		rev_issuer *is = &ctx->iss[i];

		X509_free(is->ca);
		X509_free(is->signer);
		url_list_free(&is->ocsp_urls);
		url_list_free(&is->crl_urls);
		url_list_free(&is->delta_urls);
		tb_crl_free(is->base);
		tb_crl_free(is->delta);
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

/* ---- validation data for embedding (cms_evidence.h) ---- */

int
tb_rev_crl_der(tb_rev_ctx *ctx, X509 *ca, int delta, unsigned char **der, size_t *len,
    tb_error *err)
{
	rev_issuer *is = ctx != NULL ? find_issuer(ctx, ca) : NULL;
	char path[4096];

	if (is == NULL)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "no [issuer] for this CA");
	if (path_of(ctx, is, delta, path, sizeof(path)) != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "%s: no cache_dir, so no copy of its CRL to embed", is->name);
	/* Only CRLs that passed every check are written there (crl_download). */
	return tb_file_read(path, 1024u * 1024 * 1024, der, len, err);
}
