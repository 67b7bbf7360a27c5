/*
 * The offline check: a stored OCSP response first, then the given CRLs,
 * each checked by crl.c and counted only within its scope (RFC 5280
 * 6.3.3). Nothing here fetches, caches or writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "crl.h"
#include "crl_scope.h"
#include "ocsp_check.h"
#include "rev_offline.h"
#include "tb_clock.h"
#include "x509_text.h"

/*
 * A stored response names the certificate with whichever hash its
 * responder chose (the NCA uses SHA-256): build the CertID with the hash of
 * the response's first CertID, so a stored SHA-256 answer is matched.
 * Only SHA-1 and SHA-256 are accepted; anything else keeps the default.
 */
static int
stored_certid_sha256(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_SINGLERESP *single = bs != NULL ? OCSP_resp_get0(bs, 0) : NULL;
	ASN1_OBJECT *md = NULL;
	int sha256 = 0;

	if (single != NULL &&
	    OCSP_id_get0_info(NULL, &md, NULL, NULL,
	    (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(single)) == 1 && md != NULL)
		sha256 = OBJ_obj2nid(md) == NID_sha256;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return sha256;
}

/*
 * When the time being judged lies in the past (a time-stamp's genTime),
 * data is not asked to be current: a response or CRL speaks for time at
 * when it was issued at or after at (it still lists or clears the
 * certificate then, so nothing before at is hidden; a later revocation
 * becomes revoked_later), or when its own window thisUpdate..nextUpdate
 * holds at. Data issued before at with an earlier nextUpdate says nothing
 * about at. 1 when it counts.
 */
static int
speaks_for(time_t this_update, time_t next_update, time_t at, int skew)
{
	if (this_update >= at - skew)
		return 1;
	return next_update != 0 && next_update >= at;
}

/* The producedAt of a stored response, 0 when it has none to read. */
static time_t
stored_produced_at(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
	const ASN1_GENERALIZEDTIME *g = bs != NULL ? OCSP_resp_get0_produced_at(bs) : NULL;
	time_t t = 0;

	if (g == NULL || tb_asn1_time_get((const ASN1_TIME *)g, &t) != 0)
		t = 0;
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return t;
}

/* crl when it speaks for the past time at; else NULL, freed, with why in detail. */
static tb_crl *
past_crl_counts(tb_crl *crl, time_t at, int skew, char *detail, size_t dlen)
{
	const tb_crl_info *info = tb_crl_get_info(crl);
	char t1[32], t2[32], why[96];

	if (speaks_for(info->this_update, info->next_update, at, skew))
		return crl;
	tb_clock_format(info->this_update, t1, sizeof(t1));
	tb_clock_format(at, t2, sizeof(t2));
	snprintf(why, sizeof(why), "of %s says nothing about %s", t1, t2);
	tb_rev_detail_add(detail, dlen, "CRL ", why);
	tb_crl_free(crl);
	return NULL;
}

/*
 * Loads CRL i of an offline check, signed by the certificate's issuer or,
 * failing that, by a candidate signer that in->signer_ok accepts. NULL
 * (with the reason in detail) when none fits. past: at lies in the past,
 * so the CRL counts only when it speaks for at, and a candidate signer is
 * judged at the CRL's own thisUpdate.
 */
static tb_crl *
offline_load(const tb_rev_offline *in, size_t i, X509 *issuer, time_t at, int past,
    const tb_crl_policy *pol, char *detail, size_t dlen)
{
	tb_crl *crl = NULL;
	tb_error e1, e2;
	X509 *s;
	int k, n;

	tb_error_clear(&e1);
	if (tb_crl_load(in->crl_der[i], in->crl_len[i], issuer, pol, &crl, &e1) == 0)
		return past ? past_crl_counts(crl, at, pol->skew_s, detail, dlen) : crl;
	n = in->signers != NULL && in->signer_ok != NULL ? sk_X509_num(in->signers) : 0;
	for (k = 0; k < n && k < TB_REV_MAX_SIGNERS; k++) {
		s = sk_X509_value(in->signers, k);
		tb_error_clear(&e2);
		if (X509_cmp(s, issuer) == 0 ||
		    tb_crl_load(in->crl_der[i], in->crl_len[i], s, pol, &crl, &e2) != 0)
			continue;
		/* RFC 5280 6.3.3 (f): the signer's own path and status. */
		if (in->signer_ok(in->signer_arg, s,
		    past ? tb_crl_get_info(crl)->this_update : at, &e2) == 0)
			return past ? past_crl_counts(crl, at, pol->skew_s, detail, dlen) : crl;
		tb_crl_free(crl);
		crl = NULL;
		tb_error_set(&e1, e2.code, "CRL signer refused: %s", e2.detail);
	}
	tb_rev_detail_add(detail, dlen, "CRL ", e1.detail);
	return NULL;
}

/* 1 when a and b are CRLs of one issuer and one scope (issuingDistributionPoint). */
static int
same_scope(const tb_crl *a, const tb_crl *b)
{
	const unsigned char *pa, *pb;
	size_t la, lb;

	pa = tb_crl_index_issuer(tb_crl_get_index(a), &la);
	pb = tb_crl_index_issuer(tb_crl_get_index(b), &lb);
	if (la != lb || memcmp(pa, pb, la) != 0)
		return 0;
	pa = tb_crl_index_idp(tb_crl_get_index(a), &la);
	pb = tb_crl_index_idp(tb_crl_get_index(b), &lb);
	return la == lb && (la == 0 || memcmp(pa, pb, la) == 0);
}

/* 1 when crls[j] supersedes crls[i]: same kind and scope, newer (or the same and earlier). */
static int
superseded(tb_crl **crls, size_t n, size_t i)
{
	const tb_crl_info *a = tb_crl_get_info(crls[i]), *b;
	size_t j;
	int c;

	for (j = 0; j < n; j++) {
		if (j == i || crls[j] == NULL)
			continue;
		b = tb_crl_get_info(crls[j]);
		if (b->is_delta != a->is_delta || !same_scope(crls[i], crls[j]))
			continue;
		c = tb_crl_number_cmp(b->number, b->number_len, a->number, a->number_len);
		if (c > 0 || (c == 0 && j < i))
			return 1;
	}
	return 0;
}

/*
 * RFC 5280 6.3.3 over loaded CRLs: every complete CRL whose scope covers
 * cert (the newest of each scope, with the newest delta that applies) is
 * asked, and the reasons they cover are added up. Returns 1 with res
 * filled (REVOKED as soon as one lists cert; GOOD only when every reason is
 * covered), 0 with detail when the CRLs cannot tell, <0 on error.
 */
static int
offline_crls(tb_crl **crls, size_t n, X509 *cert, tb_rev_result *res, char *detail,
    size_t dlen, tb_error *err)
{
	const tb_crl *base, *delta, *first = NULL, *first_delta = NULL;
	const tb_crl_info *info;
	unsigned m, mask = 0;
	time_t when = 0;
	size_t i, j;
	char rtext[160];
	tb_error e1;
	int found = 0, why = -1, from_delta = 0, removed = 0, any = 0;

	for (i = 0; i < n; i++) {
		if (crls[i] == NULL || tb_crl_get_info(crls[i])->is_delta ||
		    superseded(crls, n, i))
			continue;
		any = 1;
		base = crls[i];
		tb_error_clear(&e1);
		if (tb_crl_scope(base, cert, &m, &e1) != 0) {
			tb_rev_detail_add(detail, dlen, "CRL: ", e1.detail);
			continue;
		}
		delta = NULL;
		for (j = 0; j < n; j++)
			if (crls[j] != NULL && tb_crl_get_info(crls[j])->is_delta &&
			    !superseded(crls, n, j) &&
			    tb_crl_delta_applies(base, crls[j], NULL) == 0)
				delta = crls[j];
		if ((found = tb_crl_lookup_cert(base, delta, cert, &when, &why, &from_delta,
		    err)) < 0)
			return found;
		if (first == NULL || found) {
			first = base;
			first_delta = delta;
		}
		if (found)
			break;
		removed |= from_delta;
		mask |= m;
	}
	if (first == NULL) {
		tb_rev_detail_add(detail, dlen, NULL, any ? "CRL: none covers the certificate" :
		    "CRL: no usable complete CRL");
		return 0;
	}
	if (!found && mask != TB_CRL_REASONS_ALL) {
		tb_crl_reasons_text(TB_CRL_REASONS_ALL & ~mask, rtext, sizeof(rtext));
		tb_rev_detail_add(detail, dlen, "CRL: no CRL covers the reasons ", rtext);
		return 0;
	}
	res->status = found ? TB_REV_REVOKED : TB_REV_GOOD;
	res->revoked_at = found ? when : 0;
	res->reason = found ? why : -1;
	snprintf(res->source, sizeof(res->source), "%s", first_delta != NULL ? "delta" : "crl");
	snprintf(res->issuer, sizeof(res->issuer), "%s", tb_crl_issuer_text(first));
	info = tb_crl_get_info(first_delta != NULL ? first_delta : first);
	res->this_update = info->this_update;
	res->next_update = info->next_update;
	if (removed && !found)
		snprintf(res->detail, sizeof(res->detail), "removed from the CRL by the delta CRL");
	return 1;
}

int
tb_rev_check_offline(const tb_rev_offline *in, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err)
{
	tb_rev_result res;
	tb_ocsp_opts oo;
	tb_ocsp_answer ans;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	tb_crl *crls[TB_REV_MAX_URLS] = { NULL };
	tb_crl_policy pol;
	char detail[sizeof(res.detail)] = "", t1[32], t2[32];
	time_t now = tb_clock_now(), produced = 0;
	size_t i;
	tb_error e1;
	int got = 0, past, r = TB_ERR_INTERNAL;

	memset(&res, 0, sizeof(res));
	memset(&ans, 0, sizeof(ans));
	res.reason = -1;
	if (in == NULL || cert == NULL || issuer == NULL || out == NULL ||
	    in->n_crls > TB_REV_MAX_URLS) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "offline revocation check arguments");
		goto out;
	}
	tb_ocsp_opts_init(&oo);
	oo.nonce = 0;
	oo.skew_s = in->clock_skew_s > 0 ? in->clock_skew_s : 300;
	oo.max_age_s = in->ocsp_max_age_s;
	/* A past time (a time-stamp's): data judged for it, not for today. */
	past = at < now - oo.skew_s;
	if (in->ocsp_der != NULL) {
		tb_error_clear(&e1);
		oo.certid_sha256 = stored_certid_sha256(in->ocsp_der, in->ocsp_len);
		/* Judged at its own production time: its responder's
		 * certificate then, its window then; never from the future. */
		if (past && ((produced = stored_produced_at(in->ocsp_der, in->ocsp_len)) == 0 ||
		    produced > now + oo.skew_s))
			produced = now;
		if (tb_ocsp_request_new(cert, issuer, &oo, &req, &id, &e1) != 0 ||
		    tb_ocsp_response_check(in->ocsp_der, in->ocsp_len, NULL, id, issuer, &oo,
		    past ? produced : now, &ans, &e1) != 0) {
			tb_rev_detail_add(detail, sizeof(detail), "OCSP ", e1.detail);
		} else if (past && !speaks_for(ans.this_update, ans.next_update, at,
		    oo.skew_s)) {
			tb_clock_format(ans.this_update, t1, sizeof(t1));
			tb_clock_format(at, t2, sizeof(t2));
			snprintf(e1.detail, sizeof(e1.detail), "response of %s says nothing about %s",
			    t1, t2);
			tb_rev_detail_add(detail, sizeof(detail), "OCSP ", e1.detail);
		} else if (ans.status == TB_REV_UNKNOWN) {
			tb_rev_detail_add(detail, sizeof(detail), NULL,
			    "OCSP responder does not know the certificate");
		} else {
			got = 1;
			res.status = ans.status;
			res.revoked_at = ans.revoked_at;
			res.reason = ans.reason;
			snprintf(res.source, sizeof(res.source), "ocsp");
			snprintf(res.issuer, sizeof(res.issuer), "%s", ans.responder);
			res.this_update = ans.this_update;
			res.next_update = ans.next_update;
			res.ocsp_der = ans.der;
			res.ocsp_der_len = ans.der_len;
			ans.der = NULL;
		}
	}
	pol.now = now;
	pol.skew_s = oo.skew_s;
	pol.max_entries = 0;
	pol.allow_expired = past;	/* then past_crl_counts decides */
	for (i = 0; !got && i < in->n_crls; i++)
		crls[i] = offline_load(in, i, issuer, at, past, &pol, detail, sizeof(detail));
	if (!got && in->n_crls > 0) {
		if ((r = offline_crls(crls, in->n_crls, cert, &res, detail, sizeof(detail),
		    err)) < 0)
			goto out;
		got = r;
	}
	if (!got) {
		tb_rev_result_clear(&res);
		memset(&res, 0, sizeof(res));
		res.reason = -1;
		res.status = TB_REV_UNKNOWN;
		tb_rev_detail_add(res.detail, sizeof(res.detail), NULL,
		    detail[0] ? detail : "no CRL or OCSP response given");
	} else if (res.status == TB_REV_REVOKED && res.revoked_at > at) {
		res.status = TB_REV_GOOD;
		res.revoked_later = 1;
	}
	*out = res;
	memset(&res, 0, sizeof(res));
	r = 0;
 out:
	tb_rev_result_clear(&res);
	tb_ocsp_answer_clear(&ans);
	for (i = 0; i < TB_REV_MAX_URLS; i++)
		tb_crl_free(crls[i]);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	return r;
}
