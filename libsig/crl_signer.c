/*
 * Validates the certificate of a CRL signer that is not the certificate's
 * issuer, through the same path validation as any certificate; bounded by
 * TB_CRL_SIGNER_DEPTH. It never accepts a signer whose path ended with a
 * reason, or one it could not finish checking.
 */
#include <string.h>

#include <openssl/x509v3.h>

#include "crl_signer.h"

int
tb_crl_signer_check(void *arg, X509 *signer, time_t at, tb_error *err)
{
	tb_crl_signer_ctx *c = arg;
	tb_path_policy pol;
	tb_reasons rs;
	tb_path *p = NULL;
	tb_error e1;
	char who[256];
	int i, r = TB_ERR_REVOCATION_UNKNOWN;

	memset(&rs, 0, sizeof(rs));
	tb_x509_name_text(X509_get_subject_name(signer), who, sizeof(who));
	if (c == NULL || c->trust == NULL || c->pol == NULL || c->rev == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "CRL signer check without trust");
	/* RFC 5280 4.2.1.3: a CRL signer's key must be meant for CRLs. */
	if (!(X509_get_extension_flags(signer) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(signer) & KU_CRL_SIGN))
		return tb_error_set(err, r, "CRL signer \"%s\" lacks cRLSign", who);
	for (i = 0; i < c->depth; i++)
		if (X509_cmp(c->busy[i], signer) == 0)
			return 0;
	if (c->depth >= TB_CRL_SIGNER_DEPTH)
		return tb_error_set(err, r, "CRL signer \"%s\": signers nested deeper than %d",
		    who, TB_CRL_SIGNER_DEPTH);
	pol = *c->pol;
	pol.check_signing_usage = 0;
	pol.require_non_repudiation = 0;
	c->busy[c->depth++] = signer;
	tb_error_clear(&e1);
	i = tb_path_validate(c->trust, &pol, c->rev, signer, c->extra, at, -1, &rs, &p, &e1);
	c->depth--;
	if (i != 0) {
		r = tb_error_set(err, i, "CRL signer \"%s\": %s", who, e1.detail);
		goto out;
	}
	if (!p->complete || rs.n > 0) {
		r = tb_error_set(err, r, "CRL signer \"%s\" not valid: %s", who,
		    rs.n > 0 ? rs.v[0].detail : "no path to an anchor");
		goto out;
	}
	/* The same anchor as the certificate's own path. */
	if (c->anchor != NULL && X509_cmp(p->certs[p->n - 1], c->anchor) != 0) {
		r = tb_error_set(err, r, "CRL signer \"%s\" chains to another anchor", who);
		goto out;
	}
	r = 0;
 out:
	tb_path_free(p);
	tb_reasons_clear(&rs);
	return r;
}
