/*
 * Revocation without any network: a certificate's status from CRLs and a
 * stored OCSP response the caller read (tanba check-cert, verify
 * --offline). The same rules as the online checker of revocation/.
 */
#ifndef TB_REV_OFFLINE_H
#define TB_REV_OFFLINE_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "revocation.h"
#include "tb_err.h"

#define TB_REV_MAX_URLS 4

#define TB_REV_MAX_SIGNERS 8	/* candidate CRL signers tried per CRL */

/*
 * Validates a CRL signer other than the certificate's issuer (a separate
 * CRL-signing key, the CA after a key rollover, an indirect CRL's issuer):
 * its own path to the same anchor and its revocation, bounded by the
 * caller (no loops). 0 when it may sign CRLs; an error saying why not.
 */
typedef int (*tb_rev_signer_fn)(void *arg, X509 *signer, time_t at, tb_error *err);

/* Inputs of an offline check (tanba check-cert / verify --offline). */
typedef struct tb_rev_offline {
	const unsigned char *crl_der[TB_REV_MAX_URLS];	/* complete and delta CRLs, any order */
	size_t crl_len[TB_REV_MAX_URLS];
	size_t n_crls;
	const unsigned char *ocsp_der;	/* a stored OCSP response, or NULL */
	size_t ocsp_len;
	int clock_skew_s;		/* 300 when 0 */
	int ocsp_max_age_s;		/* 0: no limit */
	STACK_OF(X509) *signers;	/* other candidate CRL signers, or NULL */
	tb_rev_signer_fn signer_ok;	/* NULL: only the issuer itself signs CRLs */
	void *signer_arg;
} tb_rev_offline;

/*
 * The same rules without any network: the OCSP response (no nonce to
 * match) is asked first, then the CRLs: each is signed by the issuer or by
 * a candidate signer that signer_ok accepts; only CRLs whose scope covers
 * the certificate count (RFC 5280 6.3.3), the newest of each scope with
 * the newest delta that applies to it, until every reason is covered
 * (else UNKNOWN). Returns 0 with out filled as tb_rev_check does; a CRL
 * or response that fails a check is named in out->detail.
 * When at lies more than the skew before the clock (a time-stamp's
 * genTime), the data is judged for at instead of for now: it counts when
 * issued at or after at, or when its thisUpdate..nextUpdate window holds
 * at, however old today; a response as of its own producedAt (its
 * responder's certificate then), a CRL's other signer at its thisUpdate.
 */
int tb_rev_check_offline(const tb_rev_offline *in, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err);

#endif
