/* "evidence": "embed": see evidence.h. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "anchors.h"
#include "cms_evidence.h"
#include "conf.h"
#include "daemon.h"
#include "evidence.h"
#include "revocation.h"
#include "tb_log.h"
#include "verify.h"
#include "verify_budget.h"

/* The most validation data one CMS may carry: NCA-sized CRLs go by OCSP instead. */
#define TB_EVIDENCE_MAX_BYTES TB_REV_EMBED_MAX_BYTES

int
tb_evidence_want_read(json_t *req, int *embed, tb_error *err)
{
	json_t *v = json_object_get(req, "evidence");

	*embed = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || strcmp(json_string_value(v), "embed") != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "evidence: \"embed\" or absent");
	*embed = 1;
	return 0;
}

size_t
tb_evidence_bound(struct tb_daemon *d)
{
	(void)d;
	/* The data itself, and the headers of at most 2 * TB_EVIDENCE_MAX entries. */
	return TB_EVIDENCE_MAX_BYTES + 2 * TB_EVIDENCE_MAX * 24 + 16;
}

/* What is gathered: owned copies, and the total against the cap. */
typedef struct gather {
	tb_cms_evidence ev;		/* pointers to the copies below */
	unsigned char *own[2 * TB_EVIDENCE_MAX];
	size_t n_own, bytes;
	struct tb_revocation *rv;
	const tb_trust *trust;
	tb_verify_policy pol;
	/* One [verify] max_time_ms for every path together: a CMS of many
	 * signers or stamps, each path's check slow, still ends by it. */
	tb_verify_budget budget;
} gather;

static void
gather_clear(gather *g)
{
	size_t i;

	for (i = 0; i < g->n_own; i++)
		free(g->own[i]);
	memset(&g->ev, 0, sizeof(g->ev));
	g->n_own = 0;
}

/* Keeps a copy of der (taking buf when given) unless the same bytes are kept already. */
static int
keep(gather *g, int is_ocsp, const unsigned char *der, size_t len, unsigned char *buf,
    tb_error *err)
{
	const unsigned char **v = is_ocsp ? g->ev.ocsp : g->ev.crl;
	size_t *lens = is_ocsp ? g->ev.ocsp_len : g->ev.crl_len;
	size_t *n = is_ocsp ? &g->ev.n_ocsp : &g->ev.n_crls, i;
	unsigned char *copy = buf;

	for (i = 0; i < *n; i++)
		if (lens[i] == len && memcmp(v[i], der, len) == 0) {
			free(buf);
			return 0;
		}
	if (*n >= TB_EVIDENCE_MAX || g->bytes + len > TB_EVIDENCE_MAX_BYTES) {
		free(buf);
		return tb_error_set(err, TB_ERR_TOO_LARGE, "evidence: over %u bytes or %d %s to "
		    "embed", TB_EVIDENCE_MAX_BYTES, TB_EVIDENCE_MAX, is_ocsp ? "OCSP responses" :
		    "CRLs");
	}
	if (copy == NULL && (copy = malloc(len)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "evidence");
	if (copy != buf)
		memcpy(copy, der, len);
	g->own[g->n_own++] = copy;
	v[*n] = copy;
	lens[(*n)++] = len;
	g->bytes += len;
	return 0;
}

/* The evidence for one certificate of a path (issued by issuer). */
static int
keep_status(gather *g, const tb_rev_result *rr, X509 *cert, X509 *issuer, tb_error *err)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char who[160];
	tb_error e;
	int r;

	tb_x509_name_text(X509_get_subject_name(cert), who, sizeof(who));
	if (rr->status != TB_REV_GOOD)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "evidence: \"%s\" is not "
		    "known good now (%s): nothing to embed", who, rr->detail[0] ? rr->detail :
		    rr->status == TB_REV_REVOKED ? "revoked" : "no status");
	if (rr->ocsp_der != NULL)
		return keep(g, 1, rr->ocsp_der, rr->ocsp_der_len, NULL, err);
	if (strcmp(rr->source, "crl") != 0 && strcmp(rr->source, "delta") != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "evidence: \"%s\": its status came from no OCSP response or CRL kept", who);
	tb_error_clear(&e);
	if (tb_revocation_crl_der(g->rv, issuer, 0, &der, &len, &e) != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "evidence: \"%s\": the CRL it was judged by: %s", who, e.detail);
	if ((r = keep(g, 0, der, len, der, err)) != 0 || strcmp(rr->source, "delta") != 0)
		return r;
	if (tb_revocation_crl_der(g->rv, issuer, 1, &der, &len, &e) != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "evidence: \"%s\": the delta CRL it was judged by: %s", who, e.detail);
	return keep(g, 0, der, len, der, err);
}

/* Checks cert's path now (certs: the CMS's own, as untrusted) and keeps its evidence. */
static int
gather_path(gather *g, const tb_trust *trust, X509 *cert, STACK_OF(X509) *certs,
    tb_error *err)
{
	tb_verify_request req;
	tb_verify_result *res = NULL;
	const tb_path *p;
	unsigned char *der = NULL;
	char who[160];
	int n, i, r = TB_ERR_INTERNAL;

	if ((g->pol.budget.max_time_ms = tb_verify_budget_ms_left(&g->budget)) == 0)
		return tb_error_set(err, TB_ERR_TIMEOUT, "evidence: the paths were not all "
		    "checked within [verify] max_time_ms (%ld ms)", g->budget.lim.max_time_ms);
	if ((n = i2d_X509(cert, &der)) <= 0)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "evidence: certificate");
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = (size_t)n;
	req.certs = certs;
	req.time = TB_TIME_NOW;
	if ((r = tb_verify_cert(trust, &g->pol, tb_revocation_hook(g->rv), &req, &res,
	    err)) != 0)
		goto out;
	p = res->n_signers == 1 ? res->signers[0].path : NULL;
	if (res->verdict != TB_V_VALID || p == NULL || !p->rev_checked) {
		tb_x509_name_text(X509_get_subject_name(cert), who, sizeof(who));
		/* A check cut short by the shared deadline says so, not only
		 * the verdict it left (REVOCATION_UNKNOWN, CHAIN_UNTRUSTED). */
		if (tb_verify_budget_ms_left(&g->budget) == 0)
			r = tb_error_set(err, TB_ERR_TIMEOUT, "evidence: \"%s\" was not checked "
			    "within [verify] max_time_ms (%ld ms for all the paths): %s", who,
			    g->budget.lim.max_time_ms, tb_verdict_code(res->verdict));
		else
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "evidence: \"%s\" is %s "
			    "now: nothing to embed", who, p != NULL && !p->rev_checked &&
			    res->verdict == TB_V_VALID ? "not checked for revocation" :
			    tb_verdict_code(res->verdict));
		goto out;
	}
	for (i = 0; i + 1 < p->n; i++)
		if ((r = keep_status(g, &p->rev[i], p->certs[i], p->certs[i + 1], err)) != 0)
			goto out;
	r = 0;
out:
	tb_verify_result_free(res);
	OPENSSL_free(der);
	return r;
}

/* The certificate among certs that si names, or NULL. */
static X509 *
signer_cert(CMS_SignerInfo *si, STACK_OF(X509) *certs)
{
	int k;

	for (k = 0; k < sk_X509_num(certs); k++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, k)) == 0)
			return sk_X509_value(certs, k);
	return NULL;
}

/* The TSA certificate of each time-stamp token of si (tokens without one are verify's to refuse). */
static int
gather_tokens(gather *g, const tb_trust *tsa_trust, CMS_SignerInfo *si, tb_error *err)
{
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	CMS_ContentInfo *tok;
	STACK_OF(X509) *certs;
	CMS_SignerInfo *tsi;
	X509 *x;
	const unsigned char *p;
	int i = -1, j, r = 0;

	while (r == 0 && (i = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
	    i)) >= 0) {
		a = CMS_unsigned_get_attr(si, i);
		for (j = 0; r == 0 && j < X509_ATTRIBUTE_count(a); j++) {
			if ((t = X509_ATTRIBUTE_get0_type(a, j)) == NULL ||
			    t->type != V_ASN1_SEQUENCE)
				continue;
			p = ASN1_STRING_get0_data(t->value.sequence);
			if ((tok = d2i_CMS_ContentInfo(NULL, &p,
			    ASN1_STRING_length(t->value.sequence))) == NULL)
				continue;
			certs = CMS_get1_certs(tok);
			tsi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(tok), 0);
			if (tsi != NULL && (x = signer_cert(tsi, certs)) != NULL)
				r = gather_path(g, tsa_trust, x, certs, err);
			sk_X509_pop_free(certs, X509_free);
			CMS_ContentInfo_free(tok);
		}
	}
	ERR_clear_error();
	return r;
}

int
tb_evidence_embed(struct tb_daemon *d, unsigned char **der, size_t *der_len,
    json_t *result, tb_error *err)
{
	tb_config *cfg = tb_daemon_config(d);
	tb_anchors *anchors = tb_daemon_anchors(d);
	const tb_trust *trust = tb_anchors_trust(anchors), *tsa_trust;
	const unsigned char *p = *der;
	CMS_ContentInfo *ci = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	X509 *x;
	unsigned char *out = NULL;
	size_t out_len = 0;
	gather g;
	int i, r = TB_ERR_INTERNAL;

	memset(&g, 0, sizeof(g));
	g.rv = tb_daemon_revocation(d);
	tsa_trust = tb_anchors_tsa_trust(anchors) != NULL ? tb_anchors_tsa_trust(anchors) : trust;
	tb_verify_policy_default(&g.pol);
	g.pol.check_iin_checksum = 0;
	g.pol.min_rsa_bits = (int)cfg->verify_min_rsa_bits;
	g.pol.min_ec_bits = (int)cfg->verify_min_ec_bits;
	g.pol.budget.max_sig_checks = cfg->verify_max_sig_checks;
	g.pol.budget.max_candidates = cfg->verify_max_candidates;
	g.pol.budget.max_nc_checks = cfg->verify_max_nc_checks;
	g.pol.budget.max_time_ms = (long)cfg->verify_max_time_ms;
	tb_verify_budget_start(&g.budget, &g.pol.budget);
	if (trust == NULL || tb_revocation_hook(g.rv) == NULL) {
		r = tb_error_set(err, TB_ERR_UNAVAILABLE, "evidence: needs [verify] anchors and "
		    "[revocation]");
		goto out;
	}
	if (*der_len > LONG_MAX || (ci = d2i_CMS_ContentInfo(NULL, &p, (long)*der_len)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(ci)) != NID_pkcs7_signed) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "cms: not a DER CMS SignedData");
		goto out;
	}
	certs = CMS_get1_certs(ci);
	sis = CMS_get0_SignerInfos(ci);
	for (i = 0; i < sk_CMS_SignerInfo_num(sis); i++) {
		si = sk_CMS_SignerInfo_value(sis, i);
		if ((x = signer_cert(si, certs)) == NULL) {
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "evidence: signer %d's certificate is not in the CMS", i);
			goto out;
		}
		if ((r = gather_path(&g, trust, x, certs, err)) != 0 ||
		    (r = gather_tokens(&g, tsa_trust, si, err)) != 0)
			goto out;
	}
	if ((r = tb_cms_evidence_add(*der, *der_len, &g.ev, &out, &out_len, err)) != 0)
		goto out;
	OPENSSL_free(*der);
	*der = out;
	*der_len = out_len;
	json_object_set_new(result, "evidence", json_pack("{s:I, s:I}",
	    "ocsp", (json_int_t)g.ev.n_ocsp, "crls", (json_int_t)g.ev.n_crls));
	r = 0;
out:
	if (r != 0)
		tb_error_f(r, "%s", err->detail);
	ERR_clear_error();
	gather_clear(&g);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(ci);
	tb_revocation_unref(g.rv);
	tb_anchors_unref(anchors);
	tb_config_unref(cfg);
	return r;
}
