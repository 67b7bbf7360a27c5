/*
 * The OCSP client: builds a request (nonce on by default), sends it by POST
 * or GET, and checks the answer completely: status, the signature of the
 * CA or of a delegated responder the CA authorised, the CertID, the nonce
 * and the time window. An answer that fails any check is never reported
 * as good.
 */
#ifndef TB_OCSP_CHECK_H
#define TB_OCSP_CHECK_H

#include <stddef.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "fetcher.h"
#include "revocation.h"
#include "tb_err.h"

typedef struct tb_ocsp_opts {
	int nonce;		/* send a nonce (default 1) */
	int nonce_required;	/* the answer must echo it (default 1) */
	int use_get;		/* GET when the encoded request fits 255 bytes (default 0) */
	int certid_sha256;	/* CertID hashes with SHA-256 instead of SHA-1 (default 0) */
	int skew_s;		/* thisUpdate / producedAt may be this far ahead (300) */
	int max_age_s;		/* producedAt no older than this; 0: no limit (default 0) */
	tb_fetch_opts fetch;
	const tb_fetcher *fetcher;	/* the HTTP exchange of tb_ocsp_query (NULL: none) */
} tb_ocsp_opts;

void tb_ocsp_opts_init(tb_ocsp_opts *o);

typedef struct tb_ocsp_answer {
	enum tb_rev_status status;	/* GOOD, REVOKED or UNKNOWN (the responder's) */
	time_t revoked_at;
	int reason;			/* CRLReason, -1 when absent */
	time_t this_update, next_update, produced_at;	/* next_update 0 when absent */
	char responder[256];		/* the signer's subject, RFC 2253 */
	unsigned char *der;		/* the raw response (owned) */
	size_t der_len;
} tb_ocsp_answer;

void tb_ocsp_answer_clear(tb_ocsp_answer *a);

/* A request for cert (issued by issuer); *id is the CertID to match the answer. */
int tb_ocsp_request_new(X509 *cert, X509 *issuer, const tb_ocsp_opts *o,
    OCSP_REQUEST **req, OCSP_CERTID **id, tb_error *err);

/*
 * Checks the DER response der against the request (req may be NULL when no
 * nonce was sent), the CertID id and the CA issuer at time now. On success
 * fills a (taking a copy of der). Any failed check returns an error with the
 * reason in err, and a stays untouched.
 */
int tb_ocsp_response_check(const unsigned char *der, size_t len, OCSP_REQUEST *req,
    OCSP_CERTID *id, X509 *issuer, const tb_ocsp_opts *o, time_t now,
    tb_ocsp_answer *a, tb_error *err);

/* Builds, sends to url through o->fetcher, and checks: the whole exchange. */
int tb_ocsp_query(const char *url, X509 *cert, X509 *issuer, const tb_ocsp_opts *o,
    tb_ocsp_answer *a, tb_error *err);

#endif
