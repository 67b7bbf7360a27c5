/*
 * CMS SignedData verification (RFC 5652 5.4, 5.6): finds each signer's
 * certificate, checks the signed attributes against the content and the
 * signature through tb_sigalg_verify, then hands the certificate to path
 * validation. It never calls CMS_verify: the algorithm table decides.
 * Anything it cannot parse ends as MALFORMED, never as a crash or an error.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "cert_cache.h"
#include "cms_verify.h"
#include "der_reader.h"
#include "der_writer.h"
#include "tb_clock.h"
#include "tst_verify.h"

#define MAX_SIGNERS 64
/* Certificates taken from the cache per CMS; more and the CMS is parsed whole. */
#define MAX_CMS_CERTS 32
/*
 * Certificates a CMS may carry at all: each costs a parse (OpenSSL 3.0:
 * about half a millisecond with its key) before any budget runs. Counted
 * on the DER first.
 */
#define MAX_CMS_CERTS_ACCEPTED 256

/* Decodes a PEM block of any label ("CMS", "PKCS7") into DER; -1 when not PEM. */
static int
pem_to_der(const unsigned char *in, size_t len, unsigned char **der, long *der_len)
{
	BIO *b;
	char *name = NULL, *header = NULL;
	int ok;

	if (len < 11 || memcmp(in, "-----BEGIN ", 11) != 0 || len > INT32_MAX)
		return -1;
	if ((b = BIO_new_mem_buf(in, (int)len)) == NULL)
		return -1;
	ok = PEM_read_bio(b, &name, &header, der, der_len);
	BIO_free(b);
	OPENSSL_free(name);
	OPENSSL_free(header);
	return ok == 1 ? 0 : -1;
}

/*
 * Splits a DER SignedData ContentInfo into the same ContentInfo without its
 * certificates field (*stripped, OPENSSL_malloc'd) and the certificates
 * themselves (windows into der, at most max). Parsing the certificates
 * through d2i_CMS_ContentInfo decodes every public key again for each
 * request; taken out, they come from the certificate cache instead.
 * Returns -1 whenever the input is not the plain DER shape handled here
 * (BER, other certificate choices, too many): the caller then parses the
 * whole as before, so the verdict never depends on this path.
 */
static int
split_certs(const unsigned char *der, size_t len, unsigned char **stripped,
    size_t *stripped_len, tb_der *certs, int max, int *ncerts)
{
	static const unsigned char oid_signed[] = {
		0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02
	};
	tb_der d, ci, oid_whole, oid, ctx, sd, version, digests, encap, set, cert;
	size_t rest_len, sd_len, ctx_len, ci_len;
	const unsigned char *rest;
	unsigned char *buf, *w;
	int present, n = 0;

	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &ci, NULL) != 0 || !tb_der_empty(&d) ||
	    tb_der_expect(&ci, TB_DER_OID, &oid, &oid_whole) != 0 ||
	    !tb_der_oid_is(&oid, oid_signed, sizeof(oid_signed)) ||
	    tb_der_expect(&ci, TB_DER_CTX_CONS(0), &ctx, NULL) != 0 || !tb_der_empty(&ci) ||
	    tb_der_expect(&ctx, TB_DER_SEQUENCE, &sd, NULL) != 0 || !tb_der_empty(&ctx) ||
	    tb_der_expect(&sd, TB_DER_INTEGER, NULL, &version) != 0 ||
	    tb_der_expect(&sd, TB_DER_SET, NULL, &digests) != 0 ||
	    tb_der_expect(&sd, TB_DER_SEQUENCE, NULL, &encap) != 0 ||
	    tb_der_optional(&sd, TB_DER_CTX_CONS(0), &set, NULL, &present) != 0 || !present)
		return -1;
	while (!tb_der_empty(&set)) {
		if (tb_der_expect(&set, TB_DER_SEQUENCE, NULL, &cert) != 0)
			return -1;
		if (n < max)
			certs[n] = cert;
		/* Counted on: the caller refuses a flood before anything is parsed. */
		if (++n > MAX_CMS_CERTS_ACCEPTED) {
			*ncerts = n;
			return -1;
		}
	}
	*ncerts = n;
	if (n > max)
		return -1;
	/* crls and signerInfos stay as they are; d2i_CMS_ContentInfo checks them. */
	rest = sd.p;
	rest_len = sd.len;
	/* The three leading fields are contiguous in the input. */
	if (digests.p != version.p + version.len || encap.p != digests.p + digests.len)
		return -1;
	sd_len = version.len + digests.len + encap.len + rest_len;
	ctx_len = tb_der_hdr_len(sd_len) + sd_len;
	ci_len = oid_whole.len + tb_der_hdr_len(ctx_len) + ctx_len;
	if ((buf = OPENSSL_malloc(tb_der_hdr_len(ci_len) + ci_len)) == NULL)
		return -1;
	w = tb_der_hdr_put(buf, TB_DER_SEQUENCE, ci_len);
	memcpy(w, oid_whole.p, oid_whole.len);
	w += oid_whole.len;
	w = tb_der_hdr_put(w, TB_DER_CTX_CONS(0), ctx_len);
	w = tb_der_hdr_put(w, TB_DER_SEQUENCE, sd_len);
	memcpy(w, version.p, version.len + digests.len + encap.len);
	w += version.len + digests.len + encap.len;
	memcpy(w, rest, rest_len);
	w += rest_len;
	*stripped = buf;
	*stripped_len = (size_t)(w - buf);
	*ncerts = n;
	return 0;
}

/*
 * BER (indefinite lengths allowed) for the count below: the element at *p
 * skipped, or its content's bounds. -1 when it does not decode.
 */
static int
ber_enter(const unsigned char **p, const unsigned char *end, const unsigned char **cbeg,
    const unsigned char **cend, int *tag, int depth);

static int
ber_skip(const unsigned char **p, const unsigned char *end, int depth)
{
	const unsigned char *b, *e;
	int tag;

	if (ber_enter(p, end, &b, &e, &tag, depth) != 0)
		return -1;
	return 0;
}

static int
ber_enter(const unsigned char **p, const unsigned char *end, const unsigned char **cbeg,
    const unsigned char **cend, int *tag, int depth)
{
	const unsigned char *q = *p;
	long len;
	int cls, ret;

	if (depth > 32 || q >= end || end - q > LONG_MAX)
		return -1;
	ret = ASN1_get_object(&q, &len, tag, &cls, (long)(end - q));
	if (ret & 0x80)
		return -1;
	*tag |= cls;
	*cbeg = q;
	if (ret == 0x21) {
		/* indefinite: the children up to the end-of-contents octets */
		while (!(end - q >= 2 && q[0] == 0 && q[1] == 0))
			if (ber_skip(&q, end, depth + 1) != 0)
				return -1;
		*cend = q;
		*p = q + 2;
	} else {
		*cend = q + len;
		*p = q + len;
	}
	return 0;
}

/*
 * The certificates of a SignedData ContentInfo in BER, counted up to
 * cap + 1 without parsing any; 0 when the shape is not found (d2i then
 * says what is wrong). For the inputs split_certs does not take.
 */
static int
ber_cert_count(const unsigned char *der, size_t len, int cap)
{
	const unsigned char *p = der, *end = der + len, *b, *e, *sd_end;
	int tag, n = 0;

	if (ber_enter(&p, end, &b, &e, &tag, 0) != 0 || tag != V_ASN1_SEQUENCE)
		return 0;
	p = b;
	end = e;
	/* contentType, then [0] EXPLICIT SignedData */
	if (ber_skip(&p, end, 1) != 0 || ber_enter(&p, end, &b, &e, &tag, 1) != 0 ||
	    tag != V_ASN1_CONTEXT_SPECIFIC)
		return 0;
	p = b;
	if (ber_enter(&p, e, &b, &sd_end, &tag, 2) != 0 || tag != V_ASN1_SEQUENCE)
		return 0;
	p = b;
	/* version, digestAlgorithms, encapContentInfo */
	if (ber_skip(&p, sd_end, 3) != 0 || ber_skip(&p, sd_end, 3) != 0 ||
	    ber_skip(&p, sd_end, 3) != 0 || p >= sd_end || *p != 0xa0 ||
	    ber_enter(&p, sd_end, &b, &e, &tag, 3) != 0)
		return 0;
	for (p = b; p < e && n <= cap; n++)
		if (ber_skip(&p, e, 4) != 0)
			return 0;
	return n;
}

/*
 * The CMS of der with its certificates in *certs (new references, in the
 * order of the certificates field), the certificates coming from the cache.
 * NULL when this path does not apply (see split_certs) or a certificate
 * does not parse: the caller then parses the whole.
 */
static CMS_ContentInfo *
cms_parse_cached(const unsigned char *der, size_t len, STACK_OF(X509) **certs, int *ncerts)
{
	tb_der slices[MAX_CMS_CERTS];
	unsigned char *stripped = NULL;
	size_t stripped_len = 0;
	const unsigned char *p;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(X509) *sk = NULL;
	tb_cert_cache *cache = tb_cert_cache_default();
	X509 *x;
	int i, n = 0;

	*ncerts = 0;
	if (split_certs(der, len, &stripped, &stripped_len, slices, MAX_CMS_CERTS, ncerts) != 0 ||
	    cache == NULL) {
		/* Not the DER shape: counted all the same, before d2i parses them all. */
		if (*ncerts == 0)
			*ncerts = ber_cert_count(der, len, MAX_CMS_CERTS_ACCEPTED);
		OPENSSL_free(stripped);
		return NULL;
	}
	n = *ncerts;
	if ((sk = sk_X509_new_reserve(NULL, n)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((x = tb_cert_cache_get(cache, slices[i].p, slices[i].len)) == NULL)
			goto fail;
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	}
	p = stripped;
	if (stripped_len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)stripped_len)) == NULL ||
	    p != stripped + stripped_len)
		goto fail;
	OPENSSL_free(stripped);
	*certs = sk;
	return cms;
fail:
	ERR_clear_error();
	CMS_ContentInfo_free(cms);
	sk_X509_pop_free(sk, X509_free);
	OPENSSL_free(stripped);
	return NULL;
}

int
tb_cms_signed_attrs_der(CMS_SignerInfo *si, unsigned char **der, int *der_len)
{
	STACK_OF(X509_ATTRIBUTE) *sk = sk_X509_ATTRIBUTE_new_null();
	int i, n = CMS_signed_get_attr_count(si), r = -1;

	if (sk == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (!sk_X509_ATTRIBUTE_push(sk, CMS_signed_get_attr(si, i)))
			goto out;
	/*
	 * PKCS7_ATTR_VERIFY encodes a SET OF in the order received, as the
	 * signer encoded it, rather than re-sorting it.
	 */
	*der = NULL;
	if ((*der_len = ASN1_item_i2d((ASN1_VALUE *)sk, der,
	    ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY))) > 0)
		r = 0;
out:
	sk_X509_ATTRIBUTE_free(sk);
	return r;
}

static int
add(tb_verify_result *res, enum tb_verdict v, const char *id, int signer,
    const char *detail, const char *pname, const char *pvalue)
{
	return tb_reasons_add(&res->reasons, v, id, signer, detail, pname, pvalue, NULL);
}

static const char *
alg_name(const X509_ALGOR *alg, char *buf, size_t len)
{
	const ASN1_OBJECT *obj = NULL;

	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(buf, (int)len, obj, 0) <= 0)
		snprintf(buf, len, "?");
	return buf;
}

void
tb_cms_read_signing_time(CMS_SignerInfo *si, tb_signer_result *s)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;

	if (i < 0 || (a = CMS_signed_get_attr(si, i)) == NULL ||
	    X509_ATTRIBUTE_count(a) != 1 || (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL)
		return;
	if (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)
		return;
	if (tb_asn1_time_get((ASN1_TIME *)t->value.asn1_string, &s->signing_time) == 0)
		s->has_signing_time = 1;
}

/*
 * The signature of one SignerInfo over content. Adds its reasons; returns
 * an error only when out of memory.
 */
/*
 * The content's digests made so far, one per digest algorithm: the content
 * (up to a frame) is hashed once per algorithm, not once per SignerInfo.
 */
#define DIGESTS_KEPT 8
typedef struct content_digests {
	int n;
	struct {
		const X509_ALGOR *alg;	/* owned by the CMS */
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int md_len;
	} d[DIGESTS_KEPT];
} content_digests;

static int
content_digest(content_digests *cd, const X509_ALGOR *alg, const unsigned char *content,
    size_t content_len, unsigned char *md, unsigned int *md_len, tb_error *err)
{
	int i, rc;

	for (i = 0; i < cd->n; i++) {
		if (X509_ALGOR_cmp(cd->d[i].alg, alg) == 0) {
			memcpy(md, cd->d[i].md, cd->d[i].md_len);
			*md_len = cd->d[i].md_len;
			return 0;
		}
	}
	if ((rc = tb_sigalg_digest(alg, content, content_len, md, md_len, err)) != 0)
		return rc;
	if (cd->n < DIGESTS_KEPT) {
		cd->d[cd->n].alg = alg;
		memcpy(cd->d[cd->n].md, md, *md_len);
		cd->d[cd->n].md_len = *md_len;
		cd->n++;
	}
	return 0;
}

static int
check_signer_info(const tb_verify_policy *pol, tb_verify_result *res, int idx,
    CMS_ContentInfo *cms, CMS_SignerInfo *si, const unsigned char *content,
    size_t content_len, content_digests *cd, tb_error *err)
{
	int r = TB_ERR_INTERNAL, rc, md_nid, attrs_len = 0;
	tb_signer_result *s = &res->signers[idx];
	X509_ALGOR *digest_alg = NULL, *sig_alg = NULL;
	EVP_PKEY *pk = NULL;
	X509 *dummy = NULL;
	unsigned char md[EVP_MAX_MD_SIZE], *attrs = NULL;
	unsigned int md_len = 0;
	ASN1_OCTET_STRING *sig, *md_attr;
	const ASN1_OBJECT *ct_attr;
	char name[96];
	tb_error e;

	tb_error_clear(&e);
	CMS_SignerInfo_get0_algs(si, &pk, &dummy, &digest_alg, &sig_alg);
	sig = CMS_SignerInfo_get0_signature(si);
	if (digest_alg == NULL || sig_alg == NULL || sig == NULL) {
		if (add(res, TB_V_MALFORMED, NULL, idx, "SignerInfo incomplete", NULL, NULL))
			goto nomem;
		r = 0;
		goto out;
	}
	md_nid = OBJ_obj2nid(digest_alg->algorithm);
	if (tb_cms_digest_refused(pol, digest_alg)) {
		if (add(res, TB_V_UNSUPPORTED_ALGORITHM, NULL, idx,
		    "digest algorithm refused by policy", "alg", OBJ_nid2sn(md_nid)))
			goto nomem;
		r = 0;
		goto out;
	}
	if ((rc = content_digest(cd, digest_alg, content, content_len, md, &md_len, &e)) != 0) {
		if (add(res, TB_V_UNSUPPORTED_ALGORITHM, NULL, idx, e.detail, "alg",
		    alg_name(digest_alg, name, sizeof(name))))
			goto nomem;
		r = 0;
		goto out;
	}
	if (CMS_signed_get_attr_count(si) > 0) {
		/* RFC 5652 5.3: with signed attributes, contentType and messageDigest must be there once. */
		ct_attr = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3,
		    V_ASN1_OBJECT);
		md_attr = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
		    V_ASN1_OCTET_STRING);
		ERR_clear_error();
		if (ct_attr == NULL || md_attr == NULL) {
			if (add(res, TB_V_MALFORMED, NULL, idx,
			    "signed attributes lack contentType or messageDigest", NULL, NULL))
				goto nomem;
			r = 0;
			goto out;
		}
		if (OBJ_cmp(ct_attr, CMS_get0_eContentType(cms)) != 0) {
			if (add(res, TB_V_MALFORMED, NULL, idx,
			    "contentType attribute differs from the content's type", NULL, NULL))
				goto nomem;
		}
		if ((size_t)ASN1_STRING_length(md_attr) != md_len ||
		    CRYPTO_memcmp(ASN1_STRING_get0_data(md_attr), md, md_len) != 0) {
			if (add(res, TB_V_DIGEST_MISMATCH, NULL, idx,
			    "messageDigest differs from the content's digest", NULL, NULL))
				goto nomem;
		}
		tb_cms_read_signing_time(si, s);
		if (tb_cms_signed_attrs_der(si, &attrs, &attrs_len) != 0) {
			if (add(res, TB_V_MALFORMED, NULL, idx, "signed attributes cannot be encoded",
			    NULL, NULL))
				goto nomem;
			r = 0;
			goto out;
		}
		rc = tb_sigalg_verify(digest_alg, sig_alg, X509_get_X509_PUBKEY(s->cert), attrs,
		    (size_t)attrs_len, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig),
		    &s->alg, &e);
	} else {
		/* RFC 5652 5.4: without signed attributes the signature covers the content. */
		rc = tb_sigalg_verify(digest_alg, sig_alg, X509_get_X509_PUBKEY(s->cert),
		    content != NULL ? content : (const unsigned char *)"", content_len,
		    ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), &s->alg, &e);
	}
	if (rc == TB_ERR_UNSUPPORTED) {
		if (add(res, TB_V_UNSUPPORTED_ALGORITHM, NULL, idx, e.detail, "alg",
		    s->alg.name[0] ? s->alg.name : alg_name(sig_alg, name, sizeof(name))))
			goto nomem;
	} else if (rc != 0) {
		if (add(res, TB_V_SIGNATURE_INVALID, NULL, idx, e.detail, NULL, NULL))
			goto nomem;
	}
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "recording a reason");
out:
	OPENSSL_free(attrs);
	return r;
}

int
tb_cms_digest_refused(const tb_verify_policy *pol, const X509_ALGOR *digest_alg)
{
	int nid = OBJ_obj2nid(digest_alg->algorithm);

	/* SHA-1 only when the policy allows it for old archives; MD5 never. */
	return (nid == NID_sha1 && !pol->allow_sha1) || nid == NID_md5;
}

X509 *
tb_cms_signer_cert_find(CMS_SignerInfo *si, STACK_OF(X509) *pool)
{
	int i;

	for (i = 0; i < sk_X509_num(pool); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(pool, i)) == 0)
			return sk_X509_value(pool, i);
	return NULL;
}

/* A verdict without signers: MALFORMED with why. */
static int
malformed(tb_verify_result **out, const char *id, const char *detail, tb_error *err)
{
	tb_verify_result *res = tb_verify_result_new(0, 0);

	if (res == NULL || tb_reasons_add(&res->reasons, TB_V_MALFORMED, id, -1, detail,
	    NULL) != 0) {
		tb_verify_result_free(res);
		return tb_error_set(err, TB_ERR_NOMEM, "result");
	}
	tb_verify_result_finish(res);
	*out = res;
	return 0;
}

int
tb_verify_cms(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const tb_verify_request *req, tb_verify_result **out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, i, n;
	unsigned char *pem_der = NULL;
	long pem_len = 0;
	const unsigned char *der = req->input, *p;
	size_t der_len = req->input_len;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *pool = NULL, *cms_certs = NULL;
	ASN1_OCTET_STRING **pos;
	const unsigned char *content = NULL;
	size_t content_len = 0;
	tb_verify_result *res = NULL;
	time_t now = tb_clock_now();
	int want_signing_time, ncerts = 0;
	content_digests digests;

	if ((r = tb_verify_request_check(req, pol, err)) != 0)
		goto out;
	if (req->input_len > pol->max_input_bytes ||
	    (req->content != NULL && req->content_len > pol->max_input_bytes)) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "input over %zu bytes", pol->max_input_bytes);
		goto out;
	}
	if (pem_to_der(req->input, req->input_len, &pem_der, &pem_len) == 0) {
		der = pem_der;
		der_len = (size_t)pem_len;
	}
	ERR_clear_error();
	p = der;
	if (der != NULL && der_len > 0 &&
	    (cms = cms_parse_cached(der, der_len, &cms_certs, &ncerts)) != NULL) {
		/* Parsed without its certificates, which came from the cache. */
		p = der + der_len;
	} else if (ncerts > MAX_CMS_CERTS_ACCEPTED) {
		r = malformed(out, NULL, "more certificates than tanba accepts", err);
		goto out;
	} else if (der == NULL || der_len == 0 || der_len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len)) == NULL) {
		ERR_clear_error();
		r = malformed(out, NULL, "not a DER CMS ContentInfo", err);
		goto out;
	}
	if (p != der + der_len) {
		r = malformed(out, NULL, "bytes after the CMS ContentInfo", err);
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		r = malformed(out, NULL, "CMS content is not SignedData", err);
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if ((n = sk_CMS_SignerInfo_num(sis)) <= 0) {
		r = malformed(out, "MALFORMED.no_signers", "SignedData without SignerInfo", err);
		goto out;
	}
	/* Each signer costs a path validation: a flood of them is not a document. */
	if (n > MAX_SIGNERS) {
		r = malformed(out, NULL, "more SignerInfos than tanba accepts", err);
		goto out;
	}
	pos = CMS_get0_content(cms);
	/* Content given by the caller wins: it is what the caller wants checked. */
	if (req->content != NULL) {
		content = req->content;
		content_len = req->content_len;
	} else if (pos != NULL && *pos != NULL) {
		content = ASN1_STRING_get0_data(*pos);
		content_len = (size_t)ASN1_STRING_length(*pos);
	} else {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "content: the signature is detached and no content was given");
		goto out;
	}
	if ((res = tb_verify_result_new(0, (size_t)n)) == NULL ||
	    (pool = sk_X509_new_null()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "result");
		goto out;
	}
	res->detached = pos == NULL || *pos == NULL;
	tb_verify_budget_start(&res->budget, &pol->budget);
	if (req->within != NULL)
		res->budget = *req->within;
	memset(&digests, 0, sizeof(digests));
	if (cms_certs == NULL)
		cms_certs = CMS_get1_certs(cms);
	for (i = 0; i < sk_X509_num(cms_certs); i++)
		if (!sk_X509_push(pool, sk_X509_value(cms_certs, i)))
			goto nomem;
	for (i = 0; req->certs != NULL && i < sk_X509_num(req->certs); i++)
		if (!sk_X509_push(pool, sk_X509_value(req->certs, i)))
			goto nomem;
	want_signing_time = req->time == TB_TIME_SIGNING ||
	    (req->time == TB_TIME_POLICY && pol->use_signing_time);
	for (i = 0; i < n; i++) {
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, i);
		tb_signer_result *s = &res->signers[i];
		X509 *cert;

		s->eval_time = req->time == TB_TIME_AT ? req->at : now;
		s->eval_at_given_time = req->time == TB_TIME_AT;
		/*
		 * Every signer hashes the content and validates a path: once the
		 * budget is spent the rest are refused unchecked, not worked on.
		 */
		if (tb_verify_budget_over(&res->budget)) {
			char detail[200];

			snprintf(detail, sizeof(detail), "signer not checked: budget of %s spent "
			    "([verify] %s)", tb_verify_budget_what(res->budget.spent),
			    tb_verify_budget_setting(res->budget.spent));
			if (add(res, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.cut_off", i, detail,
			    "limit", tb_verify_budget_what(res->budget.spent)) != 0)
				goto nomem;
			continue;
		}
		cert = tb_cms_signer_cert_find(si, pool);
		if (cert == NULL) {
			if (tb_reasons_add(&res->reasons, TB_V_MALFORMED, "MALFORMED.no_signer_cert",
			    i, "no certificate matches the SignerIdentifier", NULL) != 0)
				goto nomem;
			continue;
		}
		X509_up_ref(cert);
		s->cert = cert;
		if ((r = check_signer_info(pol, res, i, cms, si, content, content_len, &digests,
		    err)) != 0)
			goto out;
		/*
		 * CAdES-T: each token checked and reported; a bad one refuses the
		 * signer. A token's own signer is not: nothing is judged by a
		 * stamp on a stamp, and tokens in tokens would nest without end.
		 */
		if (req->within == NULL && (r = tb_tst_check_signer(pol->tsa_trust != NULL ?
		    pol->tsa_trust : trust, pol, rev, si, res, i, err)) != 0)
			goto out;
		/* The signingTime is the signer's claim: used only when asked, and reported. */
		if (want_signing_time && s->has_signing_time) {
			s->eval_time = s->signing_time;
			s->eval_at_signing_time = 1;
		}
		if (req->time == TB_TIME_TIMESTAMP && s->tst != NULL &&
		    s->tst->verdict == TB_V_VALID) {
			s->eval_time = s->tst->gen_time;
			s->eval_at_timestamp = 1;
		}
		if ((r = tb_verify_signer_cert(trust, pol, rev, res, (size_t)i, pool, err)) != 0 ||
		    (r = tb_cms_check_countersigs(trust, pol, rev, si, pool, res, i, err)) != 0)
			goto out;
	}
	if ((r = tb_verify_identity_demands(req, res)) != 0) {
		tb_error_set(err, r, "identity");
		goto out;
	}
	tb_verify_result_finish(res);
	if (req->within != NULL)
		*req->within = res->budget;
	*out = res;
	res = NULL;
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "certificate pool");
out:
	ERR_clear_error();
	if (res != NULL && req->within != NULL)
		*req->within = res->budget;
	tb_verify_result_free(res);
	sk_X509_free(pool);
	sk_X509_pop_free(cms_certs, X509_free);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(pem_der);
	return r;
}
