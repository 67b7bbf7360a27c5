/*
 * The check itself: the CA's sources asked in the configured order (OCSP,
 * then CRL by default), a responder's own "unknown" passed on to the next
 * source, and UNKNOWN when none answered (SKIPPED only under an explicit
 * soft-fail). It must never answer GOOD without a checked source.
 */
#include <stdio.h>
#include <string.h>

#include "rev_int.h"
#include "tb_log.h"

rev_issuer *
rev_find_issuer(tb_rev_ctx *ctx, X509 *issuer)
{
	size_t i;

	for (i = 0; i < ctx->n_iss; i++)
		if (X509_cmp(ctx->iss[i].ca, issuer) == 0)
			return &ctx->iss[i];
	return NULL;
}

int
tb_rev_check(tb_rev_ctx *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	rev_issuer *is;
	tb_rev_result res;
	char detail[sizeof(res.detail)] = "", who[200];
	size_t i;
	int got = 0;

	if (ctx == NULL || cert == NULL || issuer == NULL || out == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "revocation check arguments");
	memset(&res, 0, sizeof(res));
	res.reason = -1;
	if ((is = rev_find_issuer(ctx, issuer)) == NULL) {
		rev_name_of(issuer, who, sizeof(who));
		res.status = TB_REV_UNKNOWN;
		snprintf(res.detail, sizeof(res.detail),
		    "no revocation source configured for issuer \"%s\"", who);
		*out = res;
		return 0;
	}
	for (i = 0; i < is->n_order && !got; i++) {
		tb_rev_result_clear(&res);
		memset(&res, 0, sizeof(res));
		res.reason = -1;
		if (is->order[i] == TB_REV_SRC_OCSP)
			got = rev_ocsp_status(ctx, is, cert, issuer, &res, detail, sizeof(detail));
		else if (is->order[i] == TB_REV_SRC_CRL)
			got = rev_crl_status(ctx, is, cert, &res, detail, sizeof(detail));
		/* The responder's own "unknown" is an answer, but the next
		 * source may know better. */
		if (got && res.status == TB_REV_UNKNOWN) {
			tb_rev_detail_add(detail, sizeof(detail), NULL, res.detail);
			got = 0;
		}
	}
	if (!got) {
		tb_rev_result_clear(&res);
		memset(&res, 0, sizeof(res));
		res.reason = -1;
		/* Fail closed unless this issuer is explicitly soft-fail. */
		res.status = is->soft_fail ? TB_REV_SKIPPED : TB_REV_UNKNOWN;
		res.detail[0] = '\0';
		if (is->soft_fail)
			tb_rev_detail_add(res.detail, sizeof(res.detail), NULL,
			    "revocation check skipped (soft-fail)");
		tb_rev_detail_add(res.detail, sizeof(res.detail), NULL,
		    detail[0] ? detail : "no revocation source answered");
		tb_info_f("%s: %s", is->name, res.detail);
	} else if (res.status == TB_REV_REVOKED && res.revoked_at > at) {
		/* Revoked after the evaluation time: not revoked then, but said. */
		res.status = TB_REV_GOOD;
		res.revoked_later = 1;
	}
	*out = res;
	return 0;
}

static int
hook_check(void *vctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	return tb_rev_check(vctx, cert, issuer, at, out, err);
}

void
tb_rev_ctx_hook(tb_rev_ctx *ctx, tb_rev_checker *hook)
{
	hook->check = hook_check;
	hook->ctx = ctx;
}
