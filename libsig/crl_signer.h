/*
 * The CRL issuer's own path (RFC 5280 6.3.3 (f)): a CRL signed by another
 * key than the one that issued the certificate (a separate CRL-signing
 * certificate, the CA after a key rollover, an indirect CRL's issuer) is
 * used only when that signer validates to the same anchor, may sign CRLs
 * and is not revoked itself, with nesting bounded so that CRL signers
 * vouching for each other cannot loop.
 */
#ifndef TB_CRL_SIGNER_H
#define TB_CRL_SIGNER_H

#include <time.h>

#include <openssl/x509.h>

#include "revocation.h"
#include "tb_err.h"
#include "x509_path.h"

#define TB_CRL_SIGNER_DEPTH 2	/* signers of signers' CRLs checked, at most */

/* One per verification (it keeps the signers being checked; not shared by threads). */
typedef struct tb_crl_signer_ctx {
	const tb_trust *trust;
	const tb_path_policy *pol;	/* key floor and depth; leaf usage is not asked */
	const tb_rev_checker *rev;	/* the signer's own revocation: required */
	STACK_OF(X509) *extra;		/* certificates its path may use, or NULL */
	X509 *anchor;			/* its path must end here; NULL: any anchor of trust */
	X509 *busy[TB_CRL_SIGNER_DEPTH];	/* signers being checked, outermost first */
	int depth;
} tb_crl_signer_ctx;

/*
 * A tb_rev_signer_fn (rev_checker.h) over a tb_crl_signer_ctx: 0 when
 * signer carries cRLSign and its path validates at time at with no reason
 * against it (its revocation included). A signer already being checked
 * further out answers for itself through the CRL it signed (RFC 5280
 * allows a CRL issuer's certificate on its own CRL); the outer check still
 * decides its path.
 */
int tb_crl_signer_check(void *arg, X509 *signer, time_t at, tb_error *err);

#endif
