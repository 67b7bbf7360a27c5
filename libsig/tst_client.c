/*
 * RFC 3161 over HTTP (see tst_client.h). Nothing the TSA sends is used
 * before tb_tst_verify has found it VALID for the request made.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "cms_verify.h"
#include "sigalg.h"
#include "tst_client.h"

void
tb_tsa_opts_init(tb_tsa_opts *o)
{
	memset(o, 0, sizeof(*o));
	tb_fetch_opts_init(&o->fetch);
	o->fetch.timeout_ms = 10000;
	o->fetch.max_bytes = 1024 * 1024;
}

/* The imprint hashes a request may name: SHA-2, and the GOST ones the NCA's TSA takes. */
static const struct {
	const char *name, *oid;
} hashes[] = {
	{ "sha256", "2.16.840.1.101.3.4.2.1" },
	{ "sha384", "2.16.840.1.101.3.4.2.2" },
	{ "sha512", "2.16.840.1.101.3.4.2.3" },
	{ "gost34311-95", "1.2.398.3.10.1.3.1.1.0" },	/* test S-box, DOMAIN.md */
	{ "streebog256", "1.2.398.3.10.1.3.2" },
	{ "streebog512", "1.2.398.3.10.1.3.3" },
};

/* The DER TimeStampReq for the hash of data, with nonce and certReq. */
static int
make_request(const tb_tsa_opts *o, const unsigned char *data, size_t len,
    ASN1_INTEGER *nonce, unsigned char **der, int *der_len, tb_error *err)
{
	const char *name = o->hash != NULL ? o->hash : "sha256", *oid = NULL;
	unsigned char h[EVP_MAX_MD_SIZE], rnd[8];
	unsigned int h_len = 0;
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_OBJECT *pol = NULL, *hobj = NULL;
	BIGNUM *bn = NULL;
	size_t i;
	int r = TB_ERR_INTERNAL;

	for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (strcmp(hashes[i].name, name) == 0)
			oid = hashes[i].oid;
	if (oid == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "hash: sha256, sha384, sha512, gost34311-95, streebog256 or streebog512");
		goto out;
	}
	if (o->policy != NULL && (pol = OBJ_txt2obj(o->policy, 1)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "policy: not a dotted OID");
		goto out;
	}
	if (req == NULL || mi == NULL || alg == NULL || (hobj = OBJ_txt2obj(oid, 1)) == NULL ||
	    !X509_ALGOR_set0(alg, hobj, strncmp(oid, "2.16", 4) == 0 ? V_ASN1_NULL : V_ASN1_UNDEF,
	    NULL)) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "time-stamp request");
		goto out;
	}
	hobj = NULL;
	/* The same algorithm table computes the imprint as checks it. */
	if ((r = tb_sigalg_digest(alg, data, len, h, &h_len, err)) != 0)
		goto out;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    (bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, nonce) == NULL ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, h, (int)h_len) ||
	    !TS_REQ_set_version(req, 1) || !TS_REQ_set_msg_imprint(req, mi) ||
	    !TS_REQ_set_nonce(req, nonce) || !TS_REQ_set_cert_req(req, 1) ||
	    (pol != NULL && !TS_REQ_set_policy_id(req, pol)) ||
	    (*der_len = i2d_TS_REQ(req, der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "time-stamp request");
		goto out;
	}
	r = 0;
out:
	BN_free(bn);
	ASN1_OBJECT_free(hobj);
	ASN1_OBJECT_free(pol);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}

int
tb_tsa_request(const tb_tsa_opts *o, const unsigned char *data, size_t len,
    unsigned char **tok, size_t *tok_len, tb_tst_info *info, tb_error *err)
{
	ASN1_INTEGER *nonce = ASN1_INTEGER_new();
	unsigned char *req = NULL, *body = NULL, *der = NULL;
	const unsigned char *p;
	int req_len = 0, n, r = TB_ERR_INTERNAL;
	size_t body_len = 0;
	TS_RESP *resp = NULL;
	long status;

	if (nonce == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "nonce");
		goto out;
	}
	if (o->url == NULL || o->trust == NULL || o->pol == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "tsa: url and anchors are needed");
		goto out;
	}
	if ((r = make_request(o, data, len, nonce, &req, &req_len, err)) != 0)
		goto out;
	if ((r = tb_fetcher_call(o->fetcher, o->url, &o->fetch, "application/timestamp-query",
	    req, (size_t)req_len, &body, &body_len, err)) != 0)
		goto out;
	p = body;
	if (body_len > LONG_MAX || (resp = d2i_TS_RESP(NULL, &p, (long)body_len)) == NULL ||
	    p != body + body_len) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s: not a TimeStampResp", o->url);
		goto out;
	}
	/* RFC 3161 2.4.2: granted (0) or grantedWithMods (1) carry a token. */
	status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
	if ((status != 0 && status != 1) || TS_RESP_get_token(resp) == NULL) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s: TSA refused the request (status %ld)",
		    o->url, status);
		goto out;
	}
	if ((n = i2d_PKCS7(TS_RESP_get_token(resp), &der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "%s: token unreadable", o->url);
		goto out;
	}
	if ((r = tb_tst_verify(o->trust, o->pol, o->rev, der, (size_t)n, data, len, nonce,
	    info, err)) != 0)
		goto out;
	if (info->verdict != TB_V_VALID) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s: token refused (%s): %s", o->url,
		    tb_verdict_code(info->verdict), info->reason);
		goto out;
	}
	if (o->policy != NULL && strcmp(info->policy, o->policy) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s: token policy %s, asked %s", o->url,
		    info->policy, o->policy);
		goto out;
	}
	*tok = der;
	*tok_len = (size_t)n;
	der = NULL;
	r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	OPENSSL_free(req);
	free(body);
	TS_RESP_free(resp);
	ASN1_INTEGER_free(nonce);
	return r;
}

/* 1 when every signer's signed attributes encode the same in a and b. */
static int
same_signed_attrs(CMS_ContentInfo *a, CMS_ContentInfo *b)
{
	STACK_OF(CMS_SignerInfo) *sa = CMS_get0_SignerInfos(a), *sb = CMS_get0_SignerInfos(b);
	CMS_SignerInfo *x, *y = NULL;
	unsigned char *da = NULL, *db = NULL;
	int i, j, la, lb, same = sk_CMS_SignerInfo_num(sa) == sk_CMS_SignerInfo_num(sb);

	for (i = 0; same && i < sk_CMS_SignerInfo_num(sa); i++) {
		/*
		 * signerInfos is a SET OF, which DER writes sorted: a token added to
		 * one signer may move it. Each signer is found again by its value.
		 */
		x = sk_CMS_SignerInfo_value(sa, i);
		for (j = 0, y = NULL; y == NULL && j < sk_CMS_SignerInfo_num(sb); j++)
			if (ASN1_OCTET_STRING_cmp(CMS_SignerInfo_get0_signature(x),
			    CMS_SignerInfo_get0_signature(sk_CMS_SignerInfo_value(sb, j))) == 0)
				y = sk_CMS_SignerInfo_value(sb, j);
		same = y != NULL && tb_cms_signed_attrs_der(x, &da, &la) == 0 &&
		    tb_cms_signed_attrs_der(y, &db, &lb) == 0 &&
		    la == lb && memcmp(da, db, (size_t)la) == 0;
		OPENSSL_free(da);
		OPENSSL_free(db);
		da = db = NULL;
	}
	return same;
}

int
tb_tsa_stamp_cms(const tb_tsa_opts *o, const unsigned char *cms, size_t len,
    int signer, unsigned char **out, size_t *out_len, tb_error *err)
{
	const unsigned char *p = cms;
	CMS_ContentInfo *ci = NULL, *check = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *sig;
	unsigned char *tok = NULL, *der = NULL;
	size_t tok_len = 0;
	tb_tst_info info;
	int i, n, r = TB_ERR_INTERNAL;

	if (len > LONG_MAX || (ci = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != cms + len || OBJ_obj2nid(CMS_get0_type(ci)) != NID_pkcs7_signed) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "not a DER CMS SignedData");
		goto out;
	}
	sis = CMS_get0_SignerInfos(ci);
	if (signer < -1 || signer >= sk_CMS_SignerInfo_num(sis)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "signer: the CMS has %d signer(s)",
		    sk_CMS_SignerInfo_num(sis));
		goto out;
	}
	for (i = 0; i < sk_CMS_SignerInfo_num(sis); i++) {
		if (signer >= 0 && i != signer)
			continue;
		si = sk_CMS_SignerInfo_value(sis, i);
		if ((sig = CMS_SignerInfo_get0_signature(si)) == NULL) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "signer %d: no signature value", i);
			goto out;
		}
		/* CAdES-T: the token is over the signature value exactly as stored. */
		if ((r = tb_tsa_request(o, ASN1_STRING_get0_data(sig),
		    (size_t)ASN1_STRING_length(sig), &tok, &tok_len, &info, err)) != 0)
			goto out;
		if (tok_len > INT_MAX || CMS_unsigned_add1_attr_by_NID(si,
		    NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, tok, (int)tok_len) != 1) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "signer %d: adding the token", i);
			goto out;
		}
		OPENSSL_free(tok);
		tok = NULL;
	}
	if ((n = i2d_CMS_ContentInfo(ci, &der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "encoding the CMS");
		goto out;
	}
	/* The re-encoded signed attributes must be the ones signed. */
	p = der;
	if ((check = d2i_CMS_ContentInfo(NULL, &p, n)) == NULL ||
	    !same_signed_attrs(ci, check)) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "the CMS's signed attributes would change on re-encoding");
		goto out;
	}
	*out = der;
	*out_len = (size_t)n;
	der = NULL;
	r = 0;
out:
	ERR_clear_error();
	OPENSSL_free(tok);
	OPENSSL_free(der);
	CMS_ContentInfo_free(check);
	CMS_ContentInfo_free(ci);
	return r;
}
