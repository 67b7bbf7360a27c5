/*
 * Counter-signatures (RFC 5652 11.4) of one SignerInfo, checked as a signer
 * of their own: the signature over their signed attributes, a
 * messageDigest that is the hash of the counter-signed signature value,
 * no contentType, and the counter-signer's certificate path and identity
 * at the signer's evaluation time. Each gets its own verdict in the
 * signer's "countersigners"; a counter-signature that is not VALID makes
 * the overall verdict, not the counter-signed signer's own.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "cms_verify.h"
#include "der_reader.h"
#include "der_writer.h"
#include "sigalg.h"
#include "tb_clock.h"

/* Counter-signatures checked per signer; each costs a path validation. */
#define COUNTERSIGS_MAX 8

/*
 * The counter-signature's SignerInfo parsed through a SignedData made
 * around it (OpenSSL has no d2i for a bare SignerInfo): version 1, no
 * digest algorithms, id-data without content, the one SignerInfo.
 */
static CMS_ContentInfo *
wrap(const unsigned char *si, size_t si_len)
{
	static const unsigned char head[] = {
		0x02, 0x01, 0x01, 0x31, 0x00,
		0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
	};
	static const unsigned char oid_sd[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
	};
	size_t set_l, sd_l, e_l, ci_l, all;
	unsigned char *b, *w;
	const unsigned char *p;
	CMS_ContentInfo *cms = NULL;

	if (si_len > (size_t)INT_MAX / 2)
		return NULL;
	set_l = si_len;
	sd_l = sizeof(head) + tb_der_hdr_len(set_l) + set_l;
	e_l = tb_der_hdr_len(sd_l) + sd_l;
	ci_l = sizeof(oid_sd) + tb_der_hdr_len(e_l) + e_l;
	all = tb_der_hdr_len(ci_l) + ci_l;
	if ((b = malloc(all)) == NULL)
		return NULL;
	w = tb_der_hdr_put(b, TB_DER_SEQUENCE, ci_l);
	memcpy(w, oid_sd, sizeof(oid_sd));
	w = tb_der_hdr_put(w + sizeof(oid_sd), TB_DER_CTX_CONS(0), e_l);
	w = tb_der_hdr_put(w, TB_DER_SEQUENCE, sd_l);
	memcpy(w, head, sizeof(head));
	w = tb_der_hdr_put(w + sizeof(head), TB_DER_SET, set_l);
	memcpy(w, si, si_len);
	p = b;
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)all)) != NULL && p != b + all) {
		CMS_ContentInfo_free(cms);
		cms = NULL;
	}
	free(b);
	ERR_clear_error();
	return cms;
}

/* Adds a reason to r; nonzero without memory. */
static int
reason(tb_verify_result *r, enum tb_verdict v, const char *detail)
{
	return tb_reasons_add(&r->reasons, v, NULL, 0, detail, NULL);
}

/*
 * The counter-signature's own checks into sub (one signer): what it signs
 * and its signature. sigval is the counter-signed signature value.
 */
static int
check_one(const tb_verify_policy *pol, CMS_SignerInfo *csi, const ASN1_OCTET_STRING *sigval,
    tb_verify_result *sub)
{
	tb_signer_result *s = &sub->signers[0];
	X509_ALGOR *dig = NULL, *alg = NULL;
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(csi), *md_attr;
	unsigned char md[EVP_MAX_MD_SIZE], *attrs = NULL;
	unsigned int md_len = 0;
	int attrs_len = 0, rc = 0;
	tb_error e;

	tb_error_clear(&e);
	CMS_SignerInfo_get0_algs(csi, NULL, NULL, &dig, &alg);
	md_attr = CMS_signed_get0_data_by_OBJ(csi, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
	    V_ASN1_OCTET_STRING);
	ERR_clear_error();
	/* RFC 5652 11.4: signed attributes with messageDigest, and never contentType. */
	if (dig == NULL || alg == NULL || sig == NULL || md_attr == NULL)
		return reason(sub, TB_V_MALFORMED, "counter-signature without messageDigest");
	/* The signer's own digest rule: a counter-signature is no way around it. */
	if (tb_cms_digest_refused(pol, dig))
		return reason(sub, TB_V_UNSUPPORTED_ALGORITHM,
		    "counter-signature digest algorithm refused by policy");
	if (CMS_signed_get_attr_by_NID(csi, NID_pkcs9_contentType, -1) >= 0)
		rc |= reason(sub, TB_V_MALFORMED, "counter-signature with a contentType attribute");
	if (tb_sigalg_digest(dig, ASN1_STRING_get0_data(sigval),
	    (size_t)ASN1_STRING_length(sigval), md, &md_len, &e) != 0)
		return rc | reason(sub, TB_V_UNSUPPORTED_ALGORITHM, e.detail);
	if ((size_t)ASN1_STRING_length(md_attr) != md_len ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(md_attr), md, md_len) != 0)
		rc |= reason(sub, TB_V_DIGEST_MISMATCH,
		    "messageDigest is not the hash of the counter-signed signature value");
	tb_cms_read_signing_time(csi, s);
	if (tb_cms_signed_attrs_der(csi, &attrs, &attrs_len) != 0)
		return rc | reason(sub, TB_V_MALFORMED, "signed attributes cannot be encoded");
	tb_error_clear(&e);
	switch (tb_sigalg_verify(dig, alg, X509_get_X509_PUBKEY(s->cert), attrs,
	    (size_t)attrs_len, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
	    &s->alg, &e)) {
	case 0:
		break;
	case TB_ERR_UNSUPPORTED:
		rc |= reason(sub, TB_V_UNSUPPORTED_ALGORITHM, e.detail);
		break;
	default:
		rc |= reason(sub, TB_V_SIGNATURE_INVALID, e.detail[0] ? e.detail :
		    "counter-signature does not verify");
	}
	OPENSSL_free(attrs);
	return rc;
}

/*
 * The entry of one counter-signer: its signer JSON, its verdict and its
 * reasons (code, id, detail: the answer's language is not known here, so
 * no message).
 */
static json_t *
entry_json(tb_verify_result *sub)
{
	json_t *all = tb_verify_result_to_json(sub, NULL), *e, *rj;
	size_t i;

	if (all == NULL)
		return NULL;
	e = json_object_get(all, "signer");
	e = json_is_object(e) ? json_incref(e) : json_object();
	if (e != NULL) {
		json_array_foreach(json_object_get(all, "reasons"), i, rj)
			json_object_del(rj, "message");
		json_object_set(e, "verdict", json_object_get(all, "verdict"));
		json_object_set(e, "reasons", json_object_get(all, "reasons"));
	}
	json_decref(all);
	return e;
}

/* One counter-signature (value v), checked and appended to list; its verdict in *v_out. */
static int
countersig_one(const tb_trust *trust, const tb_verify_policy *pol, const tb_rev_checker *rev,
    const ASN1_TYPE *v, const ASN1_OCTET_STRING *sigval, STACK_OF(X509) *pool,
    const tb_signer_result *parent, tb_verify_budget *budget, json_t *list,
    enum tb_verdict *v_out, tb_error *err)
{
	tb_verify_result *sub = NULL;
	CMS_ContentInfo *w = NULL;
	CMS_SignerInfo *csi;
	X509 *cert;
	json_t *e;
	int r = 0;

	if ((sub = tb_verify_result_new(0, 1)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "counter-signature");
	/* Its path is paid for by the verification it is part of, and counted there. */
	sub->budget = *budget;
	/*
	 * A time-stamp covers the counter-signed signature, not a counter-
	 * signature added to it later: that one is judged now, never at genTime.
	 */
	sub->signers[0].eval_time = parent->eval_at_timestamp ? tb_clock_now() : parent->eval_time;
	sub->signers[0].eval_at_given_time = parent->eval_at_given_time;
	if (v->type != V_ASN1_SEQUENCE || (w = wrap(ASN1_STRING_get0_data(v->value.sequence),
	    (size_t)ASN1_STRING_length(v->value.sequence))) == NULL ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(w)) != 1) {
		if (reason(sub, TB_V_MALFORMED, "counter-signature is not a SignerInfo") != 0)
			goto nomem;
	} else if ((cert = tb_cms_signer_cert_find(csi = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(w), 0),
	    pool)) == NULL) {
		if (tb_reasons_add(&sub->reasons, TB_V_MALFORMED, "MALFORMED.no_signer_cert", 0,
		    "no certificate matches the counter-signer's identifier", NULL) != 0)
			goto nomem;
	} else {
		X509_up_ref(cert);
		sub->signers[0].cert = cert;
		if (check_one(pol, csi, sigval, sub) != 0)
			goto nomem;
		/* Judged when the counter-signed signer is, or at its own signing time. */
		if (parent->eval_at_signing_time && sub->signers[0].has_signing_time) {
			sub->signers[0].eval_time = sub->signers[0].signing_time;
			sub->signers[0].eval_at_signing_time = 1;
		}
		if ((r = tb_verify_signer_cert(trust, pol, rev, sub, 0, pool, err)) != 0)
			goto out;
	}
	tb_verify_result_finish(sub);
	*v_out = sub->verdict;
	if ((e = entry_json(sub)) == NULL || json_array_append_new(list, e) != 0)
		goto nomem;
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "counter-signature");
out:
	*budget = sub->budget;
	CMS_ContentInfo_free(w);
	tb_verify_result_free(sub);
	return r;
}

int
tb_cms_check_countersigs(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, CMS_SignerInfo *si, STACK_OF(X509) *pool,
    tb_verify_result *res, int idx, tb_error *err)
{
	tb_signer_result *s = &res->signers[idx];
	const ASN1_OCTET_STRING *sigval = CMS_SignerInfo_get0_signature(si);
	X509_ATTRIBUTE *a;
	json_t *list = NULL;
	enum tb_verdict v;
	char detail[160];
	int i, k, n = 0, r = 0;

	for (i = -1; (i = CMS_unsigned_get_attr_by_NID(si, NID_pkcs9_countersignature, i)) >= 0;) {
		a = CMS_unsigned_get_attr(si, i);
		for (k = 0; a != NULL && k < X509_ATTRIBUTE_count(a); k++, n++) {
			if (n >= COUNTERSIGS_MAX) {
				snprintf(detail, sizeof(detail), "signer %d: more than %d "
				    "counter-signatures", idx, COUNTERSIGS_MAX);
				if (tb_reasons_add(&res->reasons, TB_V_MALFORMED, NULL, -1, detail,
				    NULL) != 0)
					r = tb_error_set(err, TB_ERR_NOMEM, "counter-signature");
				goto out;
			}
			if (list == NULL && (list = json_array()) == NULL) {
				r = tb_error_set(err, TB_ERR_NOMEM, "counter-signature");
				goto out;
			}
			v = TB_V_MALFORMED;
			if ((r = countersig_one(trust, pol, rev, X509_ATTRIBUTE_get0_type(a, k),
			    sigval, pool, s, &res->budget, list, &v, err)) != 0)
				goto out;
			if (v == TB_V_VALID)
				continue;
			/* The document holds a bad signature: the whole answer says so. */
			snprintf(detail, sizeof(detail), "counter-signature %d of signer %d: %s", n,
			    idx, tb_verdict_code(v));
			if (tb_reasons_add(&res->reasons, v, NULL, -1, detail, NULL) != 0) {
				r = tb_error_set(err, TB_ERR_NOMEM, "counter-signature");
				goto out;
			}
		}
	}
	if (list != NULL) {
		if (s->extra == NULL && (s->extra = json_object()) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "counter-signature");
			goto out;
		}
		json_object_set(s->extra, "countersigners", list);
	}
out:
	ERR_clear_error();
	json_decref(list);
	return r;
}
