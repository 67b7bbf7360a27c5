/*
 * The revocation checker behind the tb_rev_checker hook: per-issuer OCSP
 * and CRL sources from configuration, an OCSP cache with coalesced
 * lookups, CRL indexes kept fresh in the background and on disk, and a
 * status snapshot. When no source answers, the result is UNKNOWN (or
 * SKIPPED under an explicit soft-fail): never GOOD. This module holds the
 * network, the thread and the disk; every decision on a CRL or an OCSP
 * answer is libsig's (crl.c, crl_scope.c, ocsp_check.c).
 */
#ifndef TB_REV_CHECKER_H
#define TB_REV_CHECKER_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "fetcher.h"
#include "rev_offline.h"
#include "revocation.h"
#include "tb_err.h"

enum tb_rev_source {
	TB_REV_SRC_OCSP = 1,
	TB_REV_SRC_CRL = 2,
};

/* One CA whose certificates are checked, as the daemon's [issuer "..."] section says. */
typedef struct tb_rev_issuer_conf {
	const char *name;		/* label for logs and status; default: the CA subject */
	const char *issuer_file;	/* PEM file of the CA certificate, or ... */
	X509 *issuer;			/* ... the certificate itself (borrowed; the checker takes a reference) */
	const char *ocsp_urls[TB_REV_MAX_URLS];
	size_t n_ocsp_urls;
	const char *crl_urls[TB_REV_MAX_URLS];
	size_t n_crl_urls;
	const char *delta_urls[TB_REV_MAX_URLS];
	size_t n_delta_urls;
	enum tb_rev_source order[2];	/* default { OCSP, CRL } */
	size_t n_order;
	int use_aia;			/* also use AIA OCSP / CDP URLs from certificates (default 0) */
	int soft_fail;			/* unknown passes as SKIPPED (default 0: UNKNOWN) */
	int ocsp_nonce;			/* default 1 */
	int ocsp_nonce_required;	/* responder must echo the nonce (default 1) */
	int ocsp_get;			/* GET instead of POST when small enough (default 0) */
	int ocsp_certid_sha256;		/* default 0: SHA-1 CertID */
	/*
	 * A separate CRL signer (RFC 5280 6.3.3 (f)), issued by another
	 * configured issuer: a certificate of the CA's name with its own key (a
	 * CRL-signing key, or the CA's new key after a rollover), or an
	 * indirect CRL's issuer (another name, for certificates whose
	 * distribution point names it as cRLIssuer). Its CRLs are used while it
	 * carries cRLSign, is valid and is not revoked itself.
	 */
	const char *crl_signer_file;	/* PEM or DER, or ... */
	X509 *crl_signer;		/* ... the certificate (borrowed), or NULL */
} tb_rev_issuer_conf;

typedef struct tb_rev_conf {
	const tb_rev_issuer_conf *issuers;
	size_t n_issuers;
	const char *cache_dir;		/* last good CRLs; NULL: kept in memory only */
	int clock_skew_s;		/* default 300 */
	int ocsp_max_age_s;		/* producedAt at most this old; 0: no limit (default) */
	int ocsp_ttl_s;			/* cache time when nextUpdate is absent (default 300) */
	size_t ocsp_cache_max;		/* entries (default 10000) */
	size_t crl_max_entries;		/* 0: no limit (default) */
	int crl_refresh_margin_s;	/* refresh this long before nextUpdate (default 600) */
	int crl_refresh_max_s;		/* and at least this often (default 3600) */
	int crl_retry_s;		/* after a failed download (default 60) */
	int background;			/* refresh CRLs in a thread (default 1) */
	tb_fetch_opts fetch;
	const tb_fetcher *fetcher;	/* OCSP and CRL downloads (default: tb_http_fetcher) */
} tb_rev_conf;

void tb_rev_conf_init(tb_rev_conf *c);
void tb_rev_issuer_conf_init(tb_rev_issuer_conf *c);

typedef struct tb_rev_ctx tb_rev_ctx;

/*
 * Builds a checker from conf (copied; conf may be freed afterwards). Last
 * good CRLs found in cache_dir are loaded at once, then the background
 * thread (if enabled) starts. Fails on an unreadable issuer or a bad URL,
 * and on a CRL signer that lacks cRLSign or is not signed by another
 * configured issuer.
 */
int tb_rev_ctx_new(const tb_rev_conf *conf, tb_rev_ctx **out, tb_error *err);
/* Stops the background thread and frees everything. */
void tb_rev_ctx_free(tb_rev_ctx *ctx);

/* Fills hook so that path validation calls this checker. */
void tb_rev_ctx_hook(tb_rev_ctx *ctx, tb_rev_checker *hook);

/*
 * Status of cert (issued by issuer) at time at. Returns 0 with out filled
 * (GOOD, REVOKED, UNKNOWN with detail, or SKIPPED); a negative code only
 * for a caller error or lack of memory. out must be cleared with
 * tb_rev_result_clear.
 */
int tb_rev_check(tb_rev_ctx *ctx, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err);

/*
 * The most DER one held CRL keeps beside its index, for embedding: all the
 * validation data one CMS may carry (daemon/front/evidence.c). A larger CRL
 * (NCA-sized) is indexed only, and its certificates go by OCSP instead.
 */
#define TB_REV_EMBED_MAX_BYTES (256u * 1024)

/*
 * A copy of the DER of the complete CRL (delta: the delta CRL) held now
 * for the configured issuer ca, the very one lookups judge by: validation
 * data to embed in a CMS (cms_evidence.h). *der malloc'd.
 * TB_ERR_REVOCATION_UNKNOWN when ca is not configured or no such CRL is
 * held; TB_ERR_TOO_LARGE when it is over TB_REV_EMBED_MAX_BYTES.
 */
int tb_rev_crl_der(tb_rev_ctx *ctx, X509 *ca, int delta, unsigned char **der, size_t *len,
    tb_error *err);

/* Downloads every configured CRL now (returns the first error; others still tried). */
int tb_rev_refresh_crls(tb_rev_ctx *ctx, tb_error *err);

typedef struct tb_rev_issuer_status {
	char name[256];
	int has_crl;
	time_t crl_this_update, crl_next_update;
	long crl_age_s;			/* now - thisUpdate */
	size_t crl_entries;
	int has_delta;
	time_t delta_this_update, delta_next_update;
	unsigned long ocsp_ok, ocsp_fail, crl_fetch_ok, crl_fetch_fail;
	/* answers from the OCSP cache, and from a CRL already held: no fetch */
	unsigned long ocsp_cache_hits, crl_answers;
	int healthy;			/* a fresh CRL, or the last OCSP exchange succeeded */
	char last_error[256];
} tb_rev_issuer_status;

/* A snapshot for the status op: *out (n entries) is freed with free(). */
int tb_rev_status(tb_rev_ctx *ctx, tb_rev_issuer_status **out, size_t *n, tb_error *err);

/* Number of OCSP answers in the cache. */
size_t tb_rev_ocsp_cached(tb_rev_ctx *ctx);

#endif
