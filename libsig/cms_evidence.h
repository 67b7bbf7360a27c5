/*
 * Validation data inside a CMS SignedData: the CRLs and OCSP responses a
 * signature was judged by, kept in SignedData.crls (RFC 5652
 * RevocationInfoChoices) so that it can be checked later without the
 * network: a CRL as a CertificateList, an OCSP response as
 * OtherRevocationInfoFormat id-ri-ocsp-response (1.3.6.1.5.5.7.16.2,
 * RFC 5940). Chosen over CAdES revocation values (an unsigned attribute
 * per signer) because any CMS reader finds them there, OpenSSL included,
 * and one copy serves every signer and the time-stamp tokens' TSAs.
 *
 * Embedded data is evidence, never a verdict: a checker built here hands
 * it to tb_rev_check_offline, which checks every CRL and response as if
 * fetched (signature by the issuer or its authorized responder, scope,
 * freshness at the time of judgement), and only when the network checker
 * could not establish a status.
 */
#ifndef TB_CMS_EVIDENCE_H
#define TB_CMS_EVIDENCE_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "revocation.h"
#include "tb_err.h"

#define TB_EVIDENCE_MAX 16	/* CRLs, and OCSP responses, read or added */

typedef struct tb_cms_evidence {
	const unsigned char *crl[TB_EVIDENCE_MAX];	/* DER CertificateList */
	size_t crl_len[TB_EVIDENCE_MAX];
	size_t n_crls;
	const unsigned char *ocsp[TB_EVIDENCE_MAX];	/* DER OCSPResponse */
	size_t ocsp_len[TB_EVIDENCE_MAX];
	size_t n_ocsp;
	unsigned char *owned;		/* the DER the pointers are into, when read */
	size_t owned_len;
} tb_cms_evidence;

/*
 * Reads the CRLs and OCSP responses of a CMS SignedData (DER, BER or PEM)
 * into ev (pointers into ev->owned; release with tb_cms_evidence_clear).
 * Other formats are skipped, and what is past TB_EVIDENCE_MAX. A CMS
 * without any gives an empty ev. TB_ERR_MALFORMED when in is no CMS.
 */
int tb_cms_evidence_read(const unsigned char *in, size_t len, tb_cms_evidence *ev,
    tb_error *err);
void tb_cms_evidence_clear(tb_cms_evidence *ev);

/*
 * Adds add's CRLs and OCSP responses (those not already there, byte for
 * byte) to the DER SignedData cms; *out is OPENSSL_malloc'd DER. Nothing
 * signed changes: only SignedData.crls grows, and the SignedData version
 * becomes 5 when an OCSP response (an "other" format) is there (RFC 5652
 * 5.1).
 */
int tb_cms_evidence_add(const unsigned char *cms, size_t len, const tb_cms_evidence *add,
    unsigned char **out, size_t *out_len, tb_error *err);

/*
 * tb_rev_check_offline with each stored OCSP response in turn (a response
 * for another certificate says nothing of this one; none: the CRLs alone),
 * until one gives a status other than UNKNOWN. in's CRLs stay as given.
 */
struct tb_rev_offline;
int tb_rev_check_offline_each(struct tb_rev_offline *in, const unsigned char *const *ocsp,
    const size_t *ocsp_len, size_t n_ocsp, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err);

/* A checker that asks inner first and, when it cannot say, the embedded data. */
typedef struct tb_evidence_checker {
	const tb_rev_checker *inner;	/* the network checker, or NULL */
	const tb_cms_evidence *ev;
	tb_rev_checker self;
} tb_evidence_checker;

/*
 * Sets up c so that c->self checks through inner, and when inner is NULL or
 * answers UNKNOWN or NOT_CHECKED, through the embedded CRLs and responses
 * (tb_rev_check_offline, every response in turn). A status found there
 * says "embedded in the CMS" in its detail. Nothing answering stays
 * UNKNOWN: never GOOD.
 */
void tb_evidence_checker_init(tb_evidence_checker *c, const tb_rev_checker *inner,
    const tb_cms_evidence *ev);

#endif
