/*
 * Verification as callers see it: a CMS signature or a bare certificate in,
 * one verdict with all its reasons, the signer's identity and path out, and
 * the one JSON form of that answer that the daemon and the CLI both print.
 * It never signs and never fetches anything itself: revocation comes
 * through the tb_rev_checker it is handed.
 */
#ifndef TB_VERIFY_H
#define TB_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "identity.h"
#include "revocation.h"
#include "sigalg.h"
#include "tb_err.h"
#include "verdict.h"
#include "verify_budget.h"
#include "x509_path.h"
#include "xml_limits.h"

/* The [verify] policy. tb_verify_policy_default gives the safe values. */
typedef struct tb_verify_policy {
	int require_non_repudiation;	/* signer must carry nonRepudiation (default 0) */
	int check_iin_checksum;		/* the IIN/BIN check digit, the caller's and the certificate's (default 1) */
	int allow_sha1;			/* SHA-1 as the CMS digest, for old archives (default 0) */
	int use_signing_time;		/* evaluate at the CMS signingTime (default 0: now) */
	size_t max_input_bytes;		/* CMS, content or certificate (default 64 MiB) */
	int max_chain_depth;		/* default 8 */
	tb_policy_inputs policy;	/* RFC 5280 6.1.1 inputs (default: any policy, nothing required) */
	tb_budget_limits budget;	/* work and time per verification (0: defaults) */
	tb_xml_limits xml;		/* the limits of an XML document (0: defaults) */
	int min_rsa_bits;		/* key floor for every certificate, anchors too (0: 2048) */
	int min_ec_bits;		/* (0: 256) */
	const tb_trust *tsa_trust;	/* [tsa] anchors for time-stamp tokens (NULL: the signers' anchors) */
} tb_verify_policy;

void tb_verify_policy_default(tb_verify_policy *pol);

enum tb_time_choice {
	TB_TIME_POLICY = 0,		/* as the policy says */
	TB_TIME_NOW = 1,
	TB_TIME_SIGNING = 2,		/* the CMS signingTime, when the signer has one */
	TB_TIME_AT = 3,			/* the instant in the request's at */
	TB_TIME_TIMESTAMP = 4,		/* the genTime of the signer's valid time-stamp token */
};

typedef struct tb_verify_request {
	const unsigned char *input;	/* CMS (DER or PEM) or certificate (DER or PEM) */
	size_t input_len;
	const unsigned char *content;	/* detached content, or NULL */
	size_t content_len;
	STACK_OF(X509) *certs;		/* the caller's extra certificates, or NULL */
	const char *iin;		/* demanded IIN, or NULL */
	const char *bin;		/* demanded BIN, or NULL */
	const char *const *roles;	/* acceptable roles (names or OIDs), any one suffices */
	size_t n_roles;
	enum tb_time_choice time;
	time_t at;			/* with TB_TIME_AT */
	const char *signed_element;	/* XML: the element that must be signed ("/", "#id" or a name), or NULL */
	/*
	 * A verification inside another (a time-stamp token's, in
	 * tb_tst_check_signer): it spends from the outer one's budget and
	 * leaves it as spent, and its own signers' tokens are not looked at.
	 * NULL: a budget of its own.
	 */
	tb_verify_budget *within;
} tb_verify_request;

struct tb_tst_info;

typedef struct tb_signer_result {
	X509 *cert;			/* reference held; NULL when not found */
	tb_identity id;
	tb_path *path;
	tb_sigalg_info alg;
	int has_signing_time;
	time_t signing_time;
	time_t eval_time;
	int eval_at_signing_time;
	int eval_at_given_time;		/* the request named the instant */
	json_t *extra;			/* format-specific facts added to the signer's JSON (owned), or NULL */
	int eval_at_timestamp;		/* judged at the time-stamp token's genTime */
	struct tb_tst_info *tst;	/* the signatureTimeStampToken's check; NULL when none */
} tb_signer_result;

typedef struct tb_verify_result {
	int is_cert;			/* check-cert rather than verify */
	enum tb_verdict verdict;
	tb_reasons reasons;
	tb_signer_result *signers;
	size_t n_signers;
	time_t eval_time;		/* of the first signer, or now */
	int eval_at_signing_time;
	int eval_at_given_time;
	int eval_at_timestamp;
	int detached;
	tb_verify_budget budget;	/* what the verification spent */
	const char *format;		/* "xml" when not CMS, shown in the answer; NULL for CMS */
	/*
	 * The signer that satisfied the request's iin/bin/roles (a VALID one
	 * first), shown as "identity_match"; -1 when none did or none was asked.
	 */
	int identity_signer;
} tb_verify_result;

/*
 * Verifies a CMS SignedData. Returns 0 with *out set whenever a verdict
 * was reached (MALFORMED included); an error only for a wrong request
 * (TB_ERR_INVALID_ARG with "field: why" in err: a bad iin/bin/role, a
 * detached signature without content), TB_ERR_TOO_LARGE, or no memory.
 * rev may be NULL: revocation is then reported as not checked.
 */
int tb_verify_cms(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const tb_verify_request *req, tb_verify_result **out,
    tb_error *err);

/* As tb_verify_cms for a certificate (req->input; req->content unused). */
int tb_verify_cert(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const tb_verify_request *req, tb_verify_result **out,
    tb_error *err);

void tb_verify_result_free(tb_verify_result *res);

/*
 * The answer as JSON (a new object): verdict, message, reasons, signers
 * with identity and chain, evaluation time. lang "kk", "ru" or "en" gives
 * message strings in that language; NULL gives objects with all three.
 */
json_t *tb_verify_result_to_json(const tb_verify_result *res, const char *lang);

/* One revocation finding as JSON: status, source, issuer, dates, detail. */
json_t *tb_rev_result_json(const tb_rev_result *rr);

/*
 * Checks the caller's iin/bin/roles before any work; TB_ERR_INVALID_ARG
 * "field: why". The check digit is checked when pol->check_iin_checksum.
 */
int tb_verify_request_check(const tb_verify_request *req, const tb_verify_policy *pol,
    tb_error *err);

#endif
