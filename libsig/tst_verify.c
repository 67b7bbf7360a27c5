/*
 * RFC 3161 time-stamp token verification (see tst_verify.h). The token's
 * own signature and its TSA certificate's path go through tb_verify_cms,
 * so that every algorithm of the table (GOST 2004 included) and every
 * path rule apply to a TSA as to a signer; the time-stamp rules are here.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "ess_cert_id.h"
#include "tb_clock.h"
#include "tst_verify.h"

/* CRLReason keyCompromise (RFC 5280 5.3.1). */
#define TB_CRL_REASON_KEY_COMPROMISE 1

/* Clock skew allowed between the TSA and this host. */
#define TST_SKEW_S 300

/* Records a refusal; the first one found is the one reported. */
static void
refuse(tb_tst_info *info, enum tb_verdict v, const char *fmt, ...)
{
	va_list ap;

	if (info->verdict != TB_V_VALID)
		return;
	info->verdict = v;
	va_start(ap, fmt);
	vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
	va_end(ap);
}

static void
obj_text(const ASN1_OBJECT *o, char *buf, size_t len)
{
	int nid = OBJ_obj2nid(o);

	if (nid != NID_undef && len > 0) {
		snprintf(buf, len, "%s", OBJ_nid2sn(nid));
		return;
	}
	if (o == NULL || OBJ_obj2txt(buf, (int)len, o, 1) <= 0)
		snprintf(buf, len, "?");
}

/* The TSTInfo's fields into info; the imprint and nonce checked. */
static void
check_tst_info(TS_TST_INFO *tst, const unsigned char *data, size_t data_len,
    const ASN1_INTEGER *nonce, tb_tst_info *info)
{
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR *alg = mi != NULL ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	ASN1_OCTET_STRING *want = mi != NULL ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(tst);
	const ASN1_INTEGER *sn = TS_TST_INFO_get_serial(tst), *tn = TS_TST_INFO_get_nonce(tst);
	const ASN1_OBJECT *algobj = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	BIGNUM *bn;
	char *hex;
	tb_error e;

	if (TS_TST_INFO_get_version(tst) != 1)
		refuse(info, TB_V_MALFORMED, "TSTInfo version %ld, not 1",
		    TS_TST_INFO_get_version(tst));
	if (gt == NULL || tb_asn1_time_get((const ASN1_TIME *)gt, &info->gen_time) != 0)
		refuse(info, TB_V_MALFORMED, "TSTInfo genTime unreadable");
	/* A stamp from after the time being judged did not exist then. */
	else if (info->gen_time > tb_clock_now() + TST_SKEW_S)
		refuse(info, TB_V_MALFORMED, "TSTInfo genTime is in the future");
	obj_text(TS_TST_INFO_get_policy_id(tst), info->policy,
	    sizeof(info->policy));
	if (sn != NULL && (bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL) {
		if ((hex = BN_bn2hex(bn)) != NULL) {
			snprintf(info->serial, sizeof(info->serial), "%s", hex);
			OPENSSL_free(hex);
		}
		BN_free(bn);
	}
	if (alg == NULL || want == NULL) {
		refuse(info, TB_V_MALFORMED, "TSTInfo without a message imprint");
		return;
	}
	X509_ALGOR_get0(&algobj, NULL, NULL, alg);
	obj_text(algobj, info->hash, sizeof(info->hash));
	info->parsed = 1;
	tb_error_clear(&e);
	if (tb_sigalg_digest(alg, data, data_len, md, &md_len, &e) != 0)
		refuse(info, TB_V_UNSUPPORTED_ALGORITHM, "message imprint: %s", e.detail);
	else if ((size_t)ASN1_STRING_length(want) != md_len ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(want), md, md_len) != 0)
		refuse(info, TB_V_DIGEST_MISMATCH,
		    "message imprint differs from the %s of the stamped data", info->hash);
	if (nonce != NULL && (tn == NULL || ASN1_INTEGER_cmp(nonce, tn) != 0))
		refuse(info, TB_V_MALFORMED, "nonce differs from the one sent");
}

/*
 * RFC 3161 2.3: the TSA certificate has one extendedKeyUsage, critical,
 * with id-kp-timeStamping as its only purpose.
 */
static void
check_tsa_eku(X509 *x, tb_tst_info *info)
{
	int i = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
	X509_EXTENSION *ext;
	EXTENDED_KEY_USAGE *eku;

	if (i < 0) {
		refuse(info, TB_V_KEY_USAGE_INVALID,
		    "TSA certificate has no extendedKeyUsage timeStamping");
		return;
	}
	if (X509_get_ext_by_NID(x, NID_ext_key_usage, i) >= 0) {
		refuse(info, TB_V_KEY_USAGE_INVALID, "TSA certificate has two extendedKeyUsage");
		return;
	}
	ext = X509_get_ext(x, i);
	if (!X509_EXTENSION_get_critical(ext)) {
		refuse(info, TB_V_KEY_USAGE_INVALID,
		    "TSA certificate's extendedKeyUsage is not critical");
		return;
	}
	if ((eku = X509V3_EXT_d2i(ext)) == NULL) {
		ERR_clear_error();
		refuse(info, TB_V_MALFORMED, "TSA certificate's extendedKeyUsage unreadable");
		return;
	}
	if (sk_ASN1_OBJECT_num(eku) != 1 ||
	    OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) != NID_time_stamp)
		refuse(info, TB_V_KEY_USAGE_INVALID,
		    "TSA certificate's extendedKeyUsage is not timeStamping alone");
	EXTENDED_KEY_USAGE_free(eku);
}

static void
subject_text(X509 *x, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;
	long n;

	if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 && (n = BIO_get_mem_data(b, &s)) > 0)
		snprintf(buf, len, "%.*s", (int)n, s);
	BIO_free(b);
}

/*
 * RFC 3161 2.4.1, RFC 5816: the token's ESS signingCertificate(V2) names
 * the TSA certificate that verified it. Otherwise the signature is over a
 * binding to another certificate, which may share the key but not the
 * name, the validity or the revocation status.
 */
static void
check_tsa_ess(CMS_ContentInfo *cms, X509 *x, tb_tst_info *info)
{
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	char why[160];

	switch (tb_ess_check(si, x, why, sizeof(why))) {
	case TB_ESS_MATCH:
		return;
	case TB_ESS_OTHER_CERT:
		refuse(info, TB_V_SIGNATURE_INVALID, "%s", why);
		return;
	default:
		refuse(info, TB_V_MALFORMED, "time-stamp token: %s", why);
		return;
	}
}

/* The TSA certificate's revocation as found at genTime, kept for the report. */
static void
keep_tsa_revocation(const tb_verify_result *res, tb_tst_info *info)
{
	const tb_path *p = res->n_signers == 1 ? res->signers[0].path : NULL;

	info->tsa_rev.status = TB_REV_NOT_CHECKED;
	if (p != NULL && p->rev_checked && p->n > 1) {
		info->tsa_rev = p->rev[0];
		/* The evidence bytes stay with the path; the report keeps the facts. */
		info->tsa_rev.ocsp_der = NULL;
		info->tsa_rev.ocsp_der_len = 0;
		/*
		 * RFC 3161 4 (1): a compromised TSA key can sign any genTime, so
		 * a key compromise declared after the stamp still voids it.
		 * Other reasons revoked later leave the stamp standing.
		 */
		if (info->tsa_rev.revoked_later && info->tsa_rev.reason == TB_CRL_REASON_KEY_COMPROMISE)
			refuse(info, TB_V_CERT_REVOKED, "TSA certificate revoked for keyCompromise "
			    "after the stamp: any genTime its key signed is in doubt");
	} else if (p != NULL && p->n > 0) {
		snprintf(info->tsa_rev.detail, sizeof(info->tsa_rev.detail),
		    "no revocation source was given for the TSA certificate");
	} else {
		snprintf(info->tsa_rev.detail, sizeof(info->tsa_rev.detail),
		    "the token was refused before the TSA certificate's path was built");
	}
}

/* The first reason of res, as text, into info. */
static void
refuse_from(const tb_verify_result *res, tb_tst_info *info)
{
	const tb_reason *r = res->reasons.n > 0 ? &res->reasons.v[0] : NULL;
	size_t i;

	for (i = 0; i < res->reasons.n; i++)
		if (res->reasons.v[i].verdict == res->verdict) {
			r = &res->reasons.v[i];
			break;
		}
	refuse(info, res->verdict, "TSA signature or certificate: %s",
	    r != NULL ? (r->detail[0] ? r->detail : r->msg_id) : tb_verdict_code(res->verdict));
}

/* tb_tst_verify, spending from within (the signature's budget) when not NULL. */
static int
tst_verify(const tb_trust *tsa_trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const unsigned char *tok, size_t tok_len,
    const unsigned char *data, size_t data_len, const ASN1_INTEGER *nonce,
    tb_verify_budget *within, tb_tst_info *info, tb_error *err)
{
	const unsigned char *p = tok;
	CMS_ContentInfo *cms = NULL;
	ASN1_OCTET_STRING **pos;
	TS_TST_INFO *tst = NULL;
	tb_verify_policy tpol = *pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_error e;
	int r = 0;

	memset(info, 0, sizeof(*info));
	info->verdict = TB_V_VALID;
	/* Zero would read as "good": nothing is good until a checker says so. */
	info->tsa_rev.status = TB_REV_NOT_CHECKED;
	if (tok == NULL || tok_len == 0 || tok_len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)tok_len)) == NULL ||
	    p != tok + tok_len) {
		refuse(info, TB_V_MALFORMED, "time-stamp token is not a DER CMS ContentInfo");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_id_smime_ct_TSTInfo) {
		refuse(info, TB_V_MALFORMED, "time-stamp token does not hold a TSTInfo");
		goto out;
	}
	if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) != 1) {
		refuse(info, TB_V_MALFORMED, "time-stamp token without exactly one signer");
		goto out;
	}
	pos = CMS_get0_content(cms);
	if (pos == NULL || *pos == NULL) {
		refuse(info, TB_V_MALFORMED, "time-stamp token without its TSTInfo");
		goto out;
	}
	p = ASN1_STRING_get0_data(*pos);
	if ((tst = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(*pos))) == NULL ||
	    p != ASN1_STRING_get0_data(*pos) + ASN1_STRING_length(*pos)) {
		refuse(info, TB_V_MALFORMED, "TSTInfo unreadable");
		goto out;
	}
	check_tst_info(tst, data, data_len, nonce, info);
	if (!info->parsed)
		goto out;
	/* The token's signature and the TSA's path, at the time the TSA vouches for. */
	memset(&req, 0, sizeof(req));
	req.input = tok;
	req.input_len = tok_len;
	req.time = TB_TIME_AT;
	req.at = info->gen_time;
	req.within = within;
	tpol.require_non_repudiation = 0;
	tpol.use_signing_time = 0;
	/* A TSA is no citizen: its certificate carries no IIN/BIN to check. */
	tpol.check_iin_checksum = 0;
	tb_error_clear(&e);
	if ((r = tb_verify_cms(tsa_trust, &tpol, rev, &req, &res, &e)) != 0) {
		if (r == TB_ERR_NOMEM) {
			tb_error_set(err, r, "%s", e.detail);
			goto out;
		}
		refuse(info, TB_V_MALFORMED, "time-stamp token: %s", e.detail);
		r = 0;
		goto out;
	}
	if (res->n_signers == 1 && res->signers[0].cert != NULL) {
		subject_text(res->signers[0].cert, info->tsa, sizeof(info->tsa));
		check_tsa_eku(res->signers[0].cert, info);
		check_tsa_ess(cms, res->signers[0].cert, info);
	}
	keep_tsa_revocation(res, info);
	if (res->verdict != TB_V_VALID)
		refuse_from(res, info);
out:
	ERR_clear_error();
	tb_verify_result_free(res);
	TS_TST_INFO_free(tst);
	CMS_ContentInfo_free(cms);
	return r;
}

int
tb_tst_verify(const tb_trust *tsa_trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const unsigned char *tok, size_t tok_len,
    const unsigned char *data, size_t data_len, const ASN1_INTEGER *nonce,
    tb_tst_info *info, tb_error *err)
{
	return tst_verify(tsa_trust, pol, rev, tok, tok_len, data, data_len, nonce, NULL, info,
	    err);
}

/* The reason a refused token gives its signer: the token's verdict, worded as a time stamp's. */
static int
signer_reason(tb_verify_result *res, int idx, const tb_tst_info *t)
{
	char id[48], when[32];

	snprintf(id, sizeof(id), "%s.timestamp", tb_verdict_code(t->verdict));
	if (tb_verdict_text(id, "en") == NULL)
		snprintf(id, sizeof(id), "MALFORMED.timestamp");
	if (t->parsed)
		tb_clock_format(t->gen_time, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "?");
	return tb_reasons_add(&res->reasons, t->verdict, id, idx, t->reason, "date", when, NULL);
}

int
tb_tst_check_signer(const tb_trust *tsa_trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, CMS_SignerInfo *si, tb_verify_result *res, int idx,
    tb_error *err)
{
	tb_signer_result *s = &res->signers[idx];
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	tb_tst_info cur;
	int i = -1, j, r;

	while ((i = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, i)) >= 0) {
		a = CMS_unsigned_get_attr(si, i);
		for (j = 0; j < X509_ATTRIBUTE_count(a) || j == 0; j++) {
			t = j < X509_ATTRIBUTE_count(a) ? X509_ATTRIBUTE_get0_type(a, j) : NULL;
			if (t == NULL || t->type != V_ASN1_SEQUENCE || sig == NULL) {
				memset(&cur, 0, sizeof(cur));
				cur.tsa_rev.status = TB_REV_NOT_CHECKED;
				refuse(&cur, TB_V_MALFORMED,
				    "signatureTimeStampToken attribute without a token");
			} else if ((r = tst_verify(tsa_trust, pol, rev,
			    ASN1_STRING_get0_data(t->value.sequence),
			    (size_t)ASN1_STRING_length(t->value.sequence),
			    ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), NULL,
			    &res->budget, &cur, err)) != 0)
				return r;
			if (cur.verdict != TB_V_VALID && signer_reason(res, idx, &cur) != 0)
				return tb_error_set(err, TB_ERR_NOMEM, "reason");
			/* Kept: the first refused token, else the earliest valid one. */
			if (s->tst == NULL) {
				if ((s->tst = malloc(sizeof(*s->tst))) == NULL)
					return tb_error_set(err, TB_ERR_NOMEM, "time stamp");
				*s->tst = cur;
			} else if (s->tst->verdict == TB_V_VALID && (cur.verdict != TB_V_VALID ||
			    cur.gen_time < s->tst->gen_time)) {
				*s->tst = cur;
			}
		}
	}
	ERR_clear_error();
	return 0;
}

json_t *
tb_tst_info_json(const tb_tst_info *info)
{
	char when[32];
	json_t *o;

	if (info == NULL)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "verdict", json_string(tb_verdict_code(info->verdict)));
	if (info->reason[0])
		json_object_set_new(o, "reason", json_string(info->reason));
	if (!info->parsed)
		return o;
	tb_clock_format(info->gen_time, when, sizeof(when));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "tsa", info->tsa[0] ? json_string(info->tsa) : json_null());
	json_object_set_new(o, "policy", json_string(info->policy));
	json_object_set_new(o, "serial", json_string(info->serial));
	json_object_set_new(o, "hash", json_string(info->hash));
	json_object_set_new(o, "tsa_revocation", tb_rev_result_json(&info->tsa_rev));
	return o;
}
