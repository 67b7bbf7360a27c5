/*
 * Checked CRLs: a CRL becomes a tb_crl only after its structure, issuer,
 * signature (through the signature-algorithm table) and times passed; a
 * delta CRL is applied over its base per RFC 5280 5.2.4. A CRL that failed
 * any check must never be returned or used (nor saved: the disk copies
 * are revocation/crl_disk.c's, and it saves only what passed here).
 */
#ifndef TB_CRL_H
#define TB_CRL_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "crl_index.h"
#include "tb_err.h"

typedef struct tb_crl tb_crl;

typedef struct tb_crl_policy {
	time_t now;		/* from tb_clock_now() */
	int skew_s;		/* thisUpdate may be this far in the future */
	size_t max_entries;	/* 0: no limit */
	int allow_expired;	/* only for reading the disk copy at start */
} tb_crl_policy;

/*
 * Parses der as a CRL issued by ca and checks it: structure, issuer name
 * equals ca's subject (and the key identifier when both carry one), ca may
 * sign CRLs, the signature, thisUpdate not later than now + skew, a
 * nextUpdate present and not passed. *out is owned by the caller.
 */
int tb_crl_load(const unsigned char *der, size_t len, X509 *ca,
    const tb_crl_policy *pol, tb_crl **out, tb_error *err);
void tb_crl_free(tb_crl *crl);

const tb_crl_info *tb_crl_get_info(const tb_crl *crl);
/* The index behind crl (for the scope checks of crl_scope.c). */
const tb_crl_index *tb_crl_get_index(const tb_crl *crl);
/* RFC 2253 text of the CRL issuer. */
const char *tb_crl_issuer_text(const tb_crl *crl);
size_t tb_crl_mem(const tb_crl *crl);

/* 0 when now is within [thisUpdate - skew, nextUpdate]; an error saying why otherwise. */
int tb_crl_fresh(const tb_crl *crl, time_t now, int skew_s, tb_error *err);

/*
 * 0 when cand may replace cur (cur may be NULL): same kind (full or delta)
 * and not older by cRLNumber or thisUpdate, so a replayed old CRL never
 * replaces a newer one.
 */
int tb_crl_may_replace(const tb_crl *cur, const tb_crl *cand, tb_error *err);

/*
 * RFC 5280 5.2.4: 0 when delta may be applied over base: same issuer, same
 * scope (issuingDistributionPoint byte for byte), base number at least the
 * delta's BaseCRLNumber, delta newer than the base.
 */
int tb_crl_delta_applies(const tb_crl *base, const tb_crl *delta, tb_error *err);

/* The serial number of cert as INTEGER content octets. */
int tb_crl_cert_serial(X509 *cert, unsigned char *buf, size_t buf_len, size_t *len,
    tb_error *err);

/*
 * Looks serial up in base with delta (may be NULL) applied: an entry in the
 * delta wins; a delta entry with reason removeFromCRL means not revoked.
 * Returns 1 when revoked (revoked_at, reason set; *from_delta says where),
 * 0 when not.
 */
int tb_crl_lookup(const tb_crl *base, const tb_crl *delta, const unsigned char *serial,
    size_t serial_len, time_t *revoked_at, int *reason, int *from_delta);

/* As tb_crl_lookup, counting only the entries mine() accepts (crl_index.h). */
int tb_crl_lookup_issuer(const tb_crl *base, const tb_crl *delta,
    const unsigned char *serial, size_t serial_len, tb_crl_entry_issuer_fn mine, void *arg,
    time_t *revoked_at, int *reason, int *from_delta);

#endif
