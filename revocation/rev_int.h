/*
 * The checker's inside, shared by the files of revocation/ only: one
 * rev_issuer per configured CA, the context that holds them, and the calls
 * each file makes of another. Locks: ctx->mu guards the OCSP cache, the
 * in-flight list and the counters; is->lock a CA's CRLs; is->fetch_lock
 * one CRL download per CA at a time.
 */
#ifndef TB_REV_INT_H
#define TB_REV_INT_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "crl.h"
#include "ocsp_check.h"
#include "rev_checker.h"

/* An OCSP answer is a few kilobytes; a megabyte is already absurd. */
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
	/* their DER when at most TB_REV_EMBED_MAX_BYTES, else NULL (0: too large) */
	unsigned char *base_der, *delta_der;
	size_t base_der_len, delta_der_len;
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

/* rev_ctx.c: RFC 2253 text of x's subject (bounded). */
void rev_name_of(X509 *x, char *buf, size_t len);

/* ocsp_cache.c: 1 with *res filled when a checked OCSP answer exists, 0 with detail. */
int rev_ocsp_status(tb_rev_ctx *ctx, rev_issuer *is, X509 *cert, X509 *issuer,
    tb_rev_result *res, char *detail, size_t dlen);
/* ocsp_cache.c: drops every cached answer. */
void rev_ocsp_cache_clear(tb_rev_ctx *ctx);

/* crl_store.c: the static checks of a configured CRL signer. */
int rev_signer_resolve(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err);
/* crl_store.c: der as a CRL of is, signed by the CA or its CRL signer. */
int rev_crl_load_either(tb_rev_ctx *ctx, rev_issuer *is, const unsigned char *der,
    size_t len, const tb_crl_policy *pol, int check_signer, tb_crl **out, int *by_signer,
    tb_error *err);
/*
 * crl_store.c: puts crl (parsed from der) into is's delta or base slot
 * (lock held), with a copy of der when small enough to embed; returns the
 * CRL it held. crl NULL empties the slot.
 */
tb_crl *rev_crl_put(rev_issuer *is, int delta, tb_crl *crl, int by_signer,
    const unsigned char *der, size_t len);
/* crl_store.c: downloads is's CRLs; the held ones stay unless a new one passed. */
int rev_crl_refresh(tb_rev_ctx *ctx, rev_issuer *is, tb_error *err);
int rev_has_crl_source(rev_issuer *is);
int rev_crl_usable(rev_issuer *is, time_t now, int skew);
/* crl_store.c: 1 with *res filled when a held CRL answers for cert, 0 with detail. */
int rev_crl_status(tb_rev_ctx *ctx, rev_issuer *is, X509 *cert, tb_rev_result *res,
    char *detail, size_t dlen);

/* rev_order.c: the configured [issuer] for this CA, or NULL. */
rev_issuer *rev_find_issuer(tb_rev_ctx *ctx, X509 *issuer);

/* crl_disk.c: the last good CRLs in cache_dir. */
int rev_disk_path(const tb_rev_ctx *ctx, const rev_issuer *is, int delta, char *buf,
    size_t len);
void rev_disk_load(tb_rev_ctx *ctx, rev_issuer *is, int delta);
void rev_disk_save(tb_rev_ctx *ctx, rev_issuer *is, int delta, const unsigned char *der,
    size_t len);

/* crl_refresh.c: the background thread (conf.background). */
int rev_refresh_start(tb_rev_ctx *ctx, tb_error *err);
void rev_refresh_stop(tb_rev_ctx *ctx);

#endif
