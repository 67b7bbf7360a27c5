/*
 * Certificate path validation (RFC 5280 6.1) to configured trust anchors.
 * Every signature on a certificate is checked through tb_sigalg_verify;
 * OpenSSL's X509_verify_cert is not used. It reports what it finds as
 * verdict reasons and never decides the overall verdict.
 */
#ifndef TB_X509_PATH_H
#define TB_X509_PATH_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "cert_read.h"
#include "revocation.h"
#include "sigalg.h"
#include "tb_err.h"
#include "verdict.h"
#include "x509_policy.h"
#include "verify_budget.h"
#include "trust_store.h"
#include "x509_text.h"

/* tb_certs_read_file, tb_certs_read_mem: cert_read.h. */

typedef struct tb_path_policy {
	int require_non_repudiation;	/* the leaf must carry nonRepudiation */
	int check_signing_usage;	/* the leaf must carry digitalSignature or nonRepudiation */
	int min_rsa_bits;		/* 0: 2048 */
	int min_ec_bits;		/* 0: 256 */
	int max_depth;			/* certificates in a path, 0: 8 */
	const tb_policy_inputs *policy;	/* RFC 5280 6.1.1 policy inputs; NULL: the defaults */
	tb_verify_budget *budget;	/* the verification's; NULL: a fresh one with defaults */
} tb_path_policy;

#define TB_PATH_MAX 16

/* A path as built: certs[0] the leaf, certs[n-1] the anchor when complete. */
typedef struct tb_path {
	X509 *certs[TB_PATH_MAX];	/* references held */
	int n;
	int complete;			/* ends at an anchor */
	tb_sigalg_info link[TB_PATH_MAX];	/* link[i]: certs[i] checked with certs[i+1]'s key */
	tb_rev_result rev[TB_PATH_MAX];	/* rev[i]: status of certs[i]; anchors are not checked */
	int rev_checked;		/* a checker ran */
	tb_policy_result policy;	/* RFC 5280 policy processing of a complete path */
} tb_path;

void tb_path_free(tb_path *p);

/*
 * Validates leaf at time at, building a path from extra (may be NULL) and
 * trust's untrusted certificates to one of its anchors, and appends every
 * problem found to reasons (tagged with signer). rev may be NULL: then
 * revocation is not checked. *out gets the path as far as it was built.
 * Returns 0 when validation ran (the reasons say how it ended); an error
 * only when it could not run (out of memory).
 */
int tb_path_validate(const tb_trust *trust, const tb_path_policy *pol,
    const tb_rev_checker *rev, X509 *leaf, STACK_OF(X509) *extra, time_t at, int signer,
    tb_reasons *reasons, tb_path **out, tb_error *err);

#endif
