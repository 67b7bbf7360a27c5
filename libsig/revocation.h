/*
 * The revocation hook that path validation calls. Verification is handed
 * a checker (OCSP, CRL, caches live behind it); with none, revocation is
 * reported as not checked and the policy decides whether that may pass.
 */
#ifndef TB_REVOCATION_H
#define TB_REVOCATION_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "tb_err.h"

enum tb_rev_status {
	TB_REV_GOOD = 0,
	TB_REV_REVOKED = 1,	/* revoked at or before the evaluation time */
	TB_REV_UNKNOWN = 2,	/* could not be established: fail closed */
	TB_REV_SKIPPED = 3,	/* soft-fail policy let an unknown pass; the answer says so */
	TB_REV_NOT_CHECKED = 4,	/* no checker configured */
};

typedef struct tb_rev_result {
	enum tb_rev_status status;
	time_t revoked_at;		/* when status is REVOKED (or revoked later) */
	int reason;			/* CRLReason code, -1 when absent */
	int revoked_later;		/* revoked after the evaluation time: reported, not applied */
	char source[8];			/* "ocsp", "crl", "delta" */
	char issuer[256];		/* responder or CRL issuer, RFC 2253 text */
	time_t this_update, next_update;
	char detail[256];		/* why, when UNKNOWN */
	unsigned char *ocsp_der;	/* raw OCSP response as evidence (owned), or NULL */
	size_t ocsp_der_len;
} tb_rev_result;

typedef struct tb_rev_checker {
	/* Establishes the status of cert (issued by issuer) at time at. */
	int (*check)(void *ctx, X509 *cert, X509 *issuer, time_t at,
	    tb_rev_result *out, tb_error *err);
	void *ctx;
} tb_rev_checker;

/* Frees what a result owns (the OCSP evidence); the struct itself is the caller's. */
void tb_rev_result_clear(tb_rev_result *res);
/* *dst = *src with its own copy of the evidence; TB_ERR_NOMEM leaves none. */
int tb_rev_result_copy(tb_rev_result *dst, const tb_rev_result *src);
/*
 * Appends "; prefix what" (prefix may be NULL) to the reasons in buf, cut
 * at the buffer's end so that the first reasons of a long chain stay.
 */
void tb_rev_detail_add(char *buf, size_t len, const char *prefix, const char *what);

#endif
