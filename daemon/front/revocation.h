/*
 * The daemon's revocation checker: one libsig tb_rev_ctx per configuration
 * generation, built from [revocation] and [issuer "..."], swapped with the
 * configuration on reload and freed when its last request lets go. Used by
 * verify/check-cert (the hook), by sign (the key's own certificate) and by
 * status. Never lets an unknown status pass as good.
 */
#ifndef TB_DAEMON_REVOCATION_H
#define TB_DAEMON_REVOCATION_H

#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "conf.h"
#include "rev_checker.h"	/* revocation/; libsig's revocation.h has the hook */
#include "tb_err.h"

typedef struct tb_revocation tb_revocation;

/*
 * Builds the checker of cfg: loads the issuers' certificates and the last
 * good CRLs from cache_dir, and starts the CRL refresh thread. Without a
 * [revocation] section the object exists but checks nothing (the hook is
 * NULL, answers say not_checked). One reference.
 */
int tb_revocation_new(const tb_config *cfg, tb_revocation **out, tb_error *err);
tb_revocation *tb_revocation_ref(tb_revocation *rv);
/* Drops a reference; the last one stops the refresh thread. NULL is a no-op. */
void tb_revocation_unref(tb_revocation *rv);

/*
 * The hook for path validation (NULL only for a NULL rv).
 * A certificate whose issuer no [issuer] covers is UNKNOWN when
 * [revocation] required = yes, NOT_CHECKED when required = no.
 */
const tb_rev_checker *tb_revocation_hook(tb_revocation *rv);

/*
 * Whether the key named key may sign with cert at now: 0 when its
 * certificate is not revoked (or revocation is not configured, or
 * required = no and no [issuer] covers it, or the issuer is soft-fail and
 * nothing answered); TB_ERR_CERT_REVOKED with the date and reason;
 * TB_ERR_REVOCATION_UNKNOWN when the status cannot be established. Served
 * from the OCSP cache and the CRL index, so a signature costs no request
 * while the answer is fresh.
 */
int tb_revocation_check_signer(tb_revocation *rv, const char *key, X509 *cert, time_t now,
    tb_error *err);

/* As tb_revocation_check_signer with the daemon's current checker. */
struct tb_daemon;
int tb_revocation_check_key(struct tb_daemon *d, const char *key, X509 *cert, time_t now,
    tb_error *err);

/*
 * The last accepted complete (delta: delta) CRL of the [issuer] whose
 * certificate is ca, as DER (malloc'd), for embedding (daemon/front/evidence.c).
 * An error saying why when there is none (no such issuer, none held, too large).
 */
int tb_revocation_crl_der(tb_revocation *rv, X509 *ca, int delta, unsigned char **der,
    size_t *len, tb_error *err);

/* Per issuer: CRL times and age, OCSP counters, health (a new array). */
json_t *tb_revocation_status_json(tb_revocation *rv);
/* The per-issuer figures (*out freed with free(); *n 0 when none); 0 or an error. */
struct tb_rev_issuer_status;
int tb_revocation_issuers(tb_revocation *rv, struct tb_rev_issuer_status **out, size_t *n);

#endif
