/*
 * Revocation scope (RFC 5280 6.3.3): whether a checked CRL covers a given
 * certificate (issuingDistributionPoint against the certificate's CRL
 * distribution points and cRLIssuer, the onlyContains flags, the reasons
 * it covers) and lookups that count only the entries of the certificate's
 * own issuer (indirect CRLs). A CRL that does not cover a certificate must
 * never be taken as evidence that it is good.
 */
#ifndef TB_CRL_SCOPE_H
#define TB_CRL_SCOPE_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "crl.h"
#include "tb_err.h"

/*
 * 0 when crl covers cert, with *reasons set to the reasons it covers for
 * cert (TB_CRL_REASONS_ALL, or fewer for a CRL partitioned by reason or a
 * distribution point limited to some reasons); TB_ERR_REVOCATION_UNKNOWN
 * with the reason in err when it does not, or when its scope cannot be
 * read (fail closed).
 */
int tb_crl_scope(const tb_crl *crl, X509 *cert, unsigned *reasons, tb_error *err);

/*
 * tb_crl_lookup for cert, counting only the entries of cert's issuer: in
 * an indirect CRL the entries after a certificateIssuer extension are that
 * issuer's. Returns 1 when revoked, 0 when not, a negative error code when
 * cert's serial cannot be read.
 */
int tb_crl_lookup_cert(const tb_crl *base, const tb_crl *delta, X509 *cert,
    time_t *revoked_at, int *reason, int *from_delta, tb_error *err);

/* "keyCompromise, cACompromise, ..." for a TB_CRL_REASONS_ALL mask, into buf. */
void tb_crl_reasons_text(unsigned mask, char *buf, size_t len);

#endif
