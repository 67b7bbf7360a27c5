/*
 * CAdES-BES with a Kazakh GOST 2015 key, as the NCA's own software makes it:
 * the Kazakh hash and signature OIDs, Streebog messageDigest, a
 * signingCertificateV2 whose certHash is the signer's Streebog (its
 * AlgorithmIdentifier written out, not the SHA-256 default), and the
 * signature value in the NCA's byte order from the tb_signer. OpenSSL's CMS
 * code cannot build a signer for a key it cannot decode, so the DER is
 * written here, from parts OpenSSL encodes. Never sees a private key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cms_sign.h"
#include "cms_sign_int.h"
#include "der_reader.h"
#include "der_writer.h"
#include "gost.h"

#define OID_DATA "1.2.840.113549.1.7.1"
#define OID_SIGNED_DATA "1.2.840.113549.1.7.2"
#define OID_CONTENT_TYPE "1.2.840.113549.1.9.3"
#define OID_MESSAGE_DIGEST "1.2.840.113549.1.9.4"
#define OID_SIGNING_TIME "1.2.840.113549.1.9.5"
#define OID_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"
#define MAX_CERTS 16

/* A DER encoding being built; oom is sticky, so steps chain and one check ends them. */
typedef struct blob {
	unsigned char *p;
	size_t len;
} blob;

static void
blob_free(blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

/* tag, length, then the parts in order; the parts are freed (out may be one of them). 0 or -1. */
static int
tlv(blob *out, unsigned char tag, blob *parts, size_t n)
{
	size_t len = 0, i, h;
	blob res;
	int ok = 1;

	for (i = 0; i < n; i++) {
		ok &= parts[i].p != NULL || parts[i].len == 0;
		len += parts[i].len;
	}
	h = tb_der_hdr_len(len);
	if (!ok || (res.p = malloc(h + len)) == NULL) {
		for (i = 0; i < n; i++)
			blob_free(&parts[i]);
		return -1;
	}
	tb_der_hdr_put(res.p, tag, len);
	res.len = h;
	for (i = 0; i < n; i++) {
		if (parts[i].len > 0)
			memcpy(res.p + res.len, parts[i].p, parts[i].len);
		res.len += parts[i].len;
		blob_free(&parts[i]);
	}
	*out = res;
	return 0;
}

/* Takes over what an i2d function made (len <= 0: failure). */
static int
from_i2d(blob *out, int len, unsigned char *der)
{
	if (len <= 0 || der == NULL) {
		OPENSSL_free(der);
		return -1;
	}
	out->p = malloc((size_t)len);
	if (out->p != NULL)
		memcpy(out->p, der, (size_t)len);
	out->len = out->p != NULL ? (size_t)len : 0;
	OPENSSL_free(der);
	return out->p != NULL ? 0 : -1;
}

static int
raw(blob *out, unsigned char tag, const unsigned char *v, size_t len)
{
	blob b = { NULL, len };

	if (len > 0 && (b.p = malloc(len)) == NULL)
		return -1;
	if (len > 0)
		memcpy(b.p, v, len);
	return tlv(out, tag, &b, 1);
}

static int
oid(blob *out, const char *dotted)
{
	ASN1_OBJECT *o = OBJ_txt2obj(dotted, 1);
	unsigned char *der = NULL;
	int len = o != NULL ? i2d_ASN1_OBJECT(o, &der) : 0;

	ASN1_OBJECT_free(o);
	return from_i2d(out, len, der);
}

/* AlgorithmIdentifier { oid } with the parameters absent (as NCA signers write it). */
static int
algid(blob *out, const char *dotted)
{
	blob o;

	return oid(&o, dotted) == 0 ? tlv(out, 0x30, &o, 1) : -1;
}

/* Attribute { type, SET { value } }; value is freed. */
static int
attr(blob *out, const char *type, blob *value)
{
	blob p[2], set;

	if (tlv(&set, 0x31, value, 1) != 0)
		return -1;
	if (oid(&p[0], type) != 0) {
		blob_free(&set);
		return -1;
	}
	p[1] = set;
	return tlv(out, 0x30, p, 2);
}

/* X.690 11.6: a SET OF's elements in the order of their encodings. */
static int
der_cmp(const void *a, const void *b)
{
	const blob *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* IssuerAndSerialNumber of cert; with general_names, RFC 5035's IssuerSerial. */
static int
issuer_serial(blob *out, X509 *cert, int general_names)
{
	blob p[2], gn;
	unsigned char *der = NULL;
	int len;

	len = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
	if (from_i2d(&p[0], len, der) != 0)
		return -1;
	der = NULL;
	len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
	if (from_i2d(&p[1], len, der) != 0) {
		blob_free(&p[0]);
		return -1;
	}
	if (general_names) {
		/* GeneralNames { directoryName [4] Name } */
		if (tlv(&gn, 0xa4, &p[0], 1) != 0 || tlv(&p[0], 0x30, &gn, 1) != 0) {
			blob_free(&p[1]);
			return -1;
		}
	}
	return tlv(out, 0x30, p, 2);
}

/*
 * signingCertificateV2 as an Attribute: RFC 5035 ESSCertIDv2 with the
 * Streebog certHash and its hashAlgorithm spelt out, and the IssuerSerial.
 * The same for every signature with cert: made once per key
 * (tb_cms_gost_ess_attr), not hashed again per signature.
 */
static int
ess_attr(X509 *cert, const tb_gost_sig_info *gi, blob *out, tb_error *err)
{
	blob e[3], v;
	unsigned char *der = NULL, ch[EVP_MAX_MD_SIZE];
	unsigned int ch_len = 0;
	int len, r, i;

	if ((len = i2d_X509(cert, &der)) <= 0) {
		OPENSSL_free(der);
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "encoding the certificate");
	}
	r = tb_gost_digest_oid(gi->hash_oid, der, (size_t)len, ch, &ch_len, err);
	OPENSSL_free(der);
	if (r != 0)
		return r;
	/* SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { hashAlgorithm, certHash, issuerSerial } } */
	memset(e, 0, sizeof(e));
	if (algid(&e[0], gi->hash_oid) != 0 || raw(&e[1], 0x04, ch, ch_len) != 0 ||
	    issuer_serial(&e[2], cert, 1) != 0) {
		for (i = 0; i < 3; i++)
			blob_free(&e[i]);
		return tb_error_set(err, TB_ERR_NOMEM, "building signingCertificateV2");
	}
	if (tlv(&v, 0x30, e, 3) != 0 || tlv(&v, 0x30, &v, 1) != 0 || tlv(&v, 0x30, &v, 1) != 0 ||
	    attr(out, OID_SIGNING_CERT_V2, &v) != 0)
		return tb_error_set(err, TB_ERR_NOMEM, "building signingCertificateV2");
	return 0;
}

/*
 * The signed attributes as the SET the signature covers: contentType,
 * signingTime, messageDigest, and signingCertificateV2 (ess, the key's
 * made once, or built here when NULL).
 */
static int
signed_attrs(X509 *cert, const tb_gost_sig_info *gi, const unsigned char *ess,
    size_t ess_len, const unsigned char *md, size_t md_len, time_t signing_time, blob *set,
    tb_error *err)
{
	blob a[4], v;
	unsigned char *der = NULL;
	ASN1_TIME *t = NULL;
	int len, r, i;

	memset(a, 0, sizeof(a));
	if (ess == NULL || ess_len == 0) {
		if ((r = ess_attr(cert, gi, &a[3], err)) != 0)
			return r;
	} else {
		if ((a[3].p = malloc(ess_len)) == NULL)
			return tb_error_set(err, TB_ERR_NOMEM, "building the signed attributes");
		memcpy(a[3].p, ess, ess_len);
		a[3].len = ess_len;
	}
	r = TB_ERR_NOMEM;
	if (oid(&v, OID_DATA) != 0 || attr(&a[0], OID_CONTENT_TYPE, &v) != 0)
		goto out;
	/* RFC 5652 11.3: UTCTime through 2049; ASN1_TIME_set chooses. */
	if ((t = ASN1_TIME_set(NULL, signing_time)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_INVALID_ARG, "signing time");
		goto out;
	}
	len = i2d_ASN1_TIME(t, &der);
	if (from_i2d(&v, len, der) != 0 || attr(&a[1], OID_SIGNING_TIME, &v) != 0)
		goto out;
	if (raw(&v, 0x04, md, md_len) != 0 || attr(&a[2], OID_MESSAGE_DIGEST, &v) != 0)
		goto out;
	qsort(a, 4, sizeof(a[0]), der_cmp);
	if (tlv(set, 0x31, a, 4) != 0)
		goto out;
	r = 0;
out:
	ASN1_TIME_free(t);
	for (i = 0; i < 4; i++)
		blob_free(&a[i]);
	if (r == TB_ERR_NOMEM)
		r = tb_error_set(err, TB_ERR_NOMEM, "building the signed attributes");
	return r;
}

int
tb_cms_gost_ess_attr(X509 *cert, unsigned char **der, size_t *der_len, tb_error *err)
{
	tb_gost_sig_info gi;
	blob a = { NULL, 0 };
	int r;

	if (cert == NULL || der == NULL || der_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = tb_gost_cert_info(cert, &gi, err)) != 0 ||
	    (r = ess_attr(cert, &gi, &a, err)) != 0)
		return r;
	*der = OPENSSL_memdup(a.p, a.len);
	*der_len = a.len;
	blob_free(&a);
	return *der != NULL ? 0 : tb_error_set(err, TB_ERR_NOMEM, "signingCertificateV2");
}

int
tb_cms_cert_is_gost(X509 *cert)
{
	ASN1_OBJECT *kobj = NULL;
	X509_PUBKEY *spki = cert != NULL ? X509_get_X509_PUBKEY(cert) : NULL;

	return spki != NULL && X509_PUBKEY_get0_param(&kobj, NULL, NULL, NULL, spki) &&
	    tb_gost_is_gost_oid(kobj);
}

/* The document's Streebog: req->digest checked for the row's length, or the hash of req->data. */
static int
doc_md(const tb_gost_sig_info *gi, const tb_sign_request *req, unsigned char *md,
    unsigned int *md_len, tb_error *err)
{
	if (req->digest != NULL) {
		if (req->data != NULL || !req->detached || req->digest_len != gi->hash_len)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: a detached signature "
			    "over a %zu-byte Streebog digest", gi->name, gi->hash_len);
		memcpy(md, req->digest, req->digest_len);
		*md_len = (unsigned int)req->digest_len;
		return 0;
	}
	if (req->data == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "neither document nor digest given");
	return tb_gost_digest_oid(gi->hash_oid, req->data, req->data_len, md, md_len, err);
}

int
tb_cms_gost_content_digest(X509 *cert, const tb_sign_request *req, unsigned char *out,
    size_t *out_len, tb_error *err)
{
	tb_gost_sig_info gi;
	unsigned int len = 0;
	int r;

	if (cert == NULL || req == NULL || out == NULL || out_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = tb_gost_cert_info(cert, &gi, err)) != 0 ||
	    (r = doc_md(&gi, req, out, &len, err)) != 0)
		return r;
	*out_len = len;
	return 0;
}

int
tb_cms_gost_signed_attrs(X509 *cert, const unsigned char *ess, size_t ess_len,
    const unsigned char *md, size_t md_len, time_t signing_time, unsigned char **der,
    size_t *der_len, tb_error *err)
{
	tb_gost_sig_info gi;
	blob attrs = { NULL, 0 };
	int r;

	if (cert == NULL || md == NULL || der == NULL || der_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = tb_gost_cert_info(cert, &gi, err)) != 0)
		return r;
	if (md_len != gi.hash_len)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s signs a %zu-byte Streebog "
		    "digest, not %zu bytes", gi.name, gi.hash_len, md_len);
	if ((r = signed_attrs(cert, &gi, ess, ess_len, md, md_len, signing_time, &attrs,
	    err)) != 0)
		return r;
	*der = OPENSSL_memdup(attrs.p, attrs.len);
	*der_len = attrs.len;
	blob_free(&attrs);
	return *der != NULL ? 0 : tb_error_set(err, TB_ERR_NOMEM, "signed attributes");
}

static int assemble(X509 *cert, STACK_OF(X509) *chain, const tb_gost_sig_info *gi,
    const tb_sign_request *req, blob *attrs, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, tb_error *err);

int
tb_cms_sign_gost(X509 *cert, STACK_OF(X509) *chain, const tb_signer *signer,
    const tb_sign_request *req, unsigned char **der, size_t *der_len, tb_error *err)
{
	tb_gost_sig_info gi;
	unsigned char md[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX];
	unsigned int md_len = 0, h_len = 0;
	size_t sig_len = sizeof(sig);
	blob attrs = { NULL, 0 };
	int r = TB_ERR_INTERNAL;
	tb_error serr;

	if (cert == NULL || signer == NULL || signer->sign_digest == NULL || req == NULL ||
	    der == NULL || der_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
		goto out;
	}
	if ((r = tb_gost_cert_info(cert, &gi, err)) != 0 ||
	    (r = doc_md(&gi, req, md, &md_len, err)) != 0)
		goto out;
	if ((r = signed_attrs(cert, &gi, NULL, 0, md, md_len, req->signing_time, &attrs,
	    err)) != 0)
		goto out;
	if ((r = tb_gost_digest_oid(gi.hash_oid, attrs.p, attrs.len, h, &h_len, err)) != 0)
		goto out;
	tb_error_clear(&serr);
	if ((r = signer->sign_digest(signer->ctx, NID_undef, h, h_len, sig, &sig_len, &serr)) != 0) {
		if (r > 0 || r <= TB_ERR_LAST)
			r = TB_ERR_INTERNAL;
		r = tb_error_set(err, r, "%s", serr.detail[0] ? serr.detail : tb_err_str(r));
		goto out;
	}
	r = assemble(cert, chain, &gi, req, &attrs, sig, sig_len, der, der_len, err);
out:
	OPENSSL_cleanse(sig, sizeof(sig));
	blob_free(&attrs);
	return r;
}

int
tb_cms_gost_assemble(X509 *cert, STACK_OF(X509) *chain, const unsigned char *ess,
    size_t ess_len, const tb_sign_request *req,
    const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, tb_error *err)
{
	tb_gost_sig_info gi;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	blob a = { NULL, 0 };
	int r;

	if (cert == NULL || req == NULL || content_md == NULL || attrs == NULL || sig == NULL ||
	    der == NULL || der_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = tb_gost_cert_info(cert, &gi, err)) != 0)
		return r;
	/*
	 * The attributes came from the signer process: they must be, byte for
	 * byte, the ones built here for this certificate and document at the
	 * signer's time (signingCertificateV2, contentType, messageDigest).
	 */
	if ((r = doc_md(&gi, req, md, &md_len, err)) != 0)
		return r;
	if (md_len != content_md_len || memcmp(md, content_md, md_len) != 0)
		return tb_error_set(err, TB_ERR_CRYPTO, "the content digest is not the document's");
	if (attrs_len < 2 || attrs[0] != 0x31 || attrs_len > 65536)
		return tb_error_set(err, TB_ERR_CRYPTO, "signed attributes are not a SET");
	if ((r = signed_attrs(cert, &gi, ess, ess_len, md, md_len, req->signing_time, &a,
	    err)) != 0)
		return r;
	if (a.len != attrs_len || memcmp(a.p, attrs, attrs_len) != 0) {
		blob_free(&a);
		return tb_error_set(err, TB_ERR_CRYPTO, "the signed attributes are not this "
		    "certificate's over this document at their signing time");
	}
	blob_free(&a);
	if ((a.p = malloc(attrs_len)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "signed attributes");
	memcpy(a.p, attrs, attrs_len);
	a.len = attrs_len;
	r = assemble(cert, chain, &gi, req, &a, sig, sig_len, der, der_len, err);
	blob_free(&a);
	return r;
}

/* SignerInfo and SignedData around attrs (a DER SET, rewritten to [0] here) and sig. */
static int
assemble(X509 *cert, STACK_OF(X509) *chain, const tb_gost_sig_info *gi,
    const tb_sign_request *req, blob *attrs, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, tb_error *err)
{
	static const unsigned char v1[] = { 0x02, 0x01, 0x01 };
	unsigned char *x = NULL;
	size_t n_certs = 0, nchain, i, k;
	blob si[7], sd[6], certs[MAX_CERTS], tmp[2], out;
	int r = TB_ERR_INTERNAL, xl, dup;
	tb_gost_sig_info g = *gi;

	memset(si, 0, sizeof(si));
	memset(sd, 0, sizeof(sd));
	memset(tmp, 0, sizeof(tmp));
	memset(certs, 0, sizeof(certs));
	if (sig_len != g.sig_len) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "signer returned %zu bytes, %s makes %zu",
		    sig_len, g.name, g.sig_len);
		goto out;
	}
	r = TB_ERR_NOMEM;
	/* SignerInfo: version 1, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature. */
	attrs->p[0] = 0xa0;
	if (raw(&si[0], 0x02, v1 + 2, 1) != 0 || issuer_serial(&si[1], cert, 0) != 0 ||
	    algid(&si[2], g.hash_oid) != 0 || algid(&si[4], g.sig_oid) != 0 ||
	    raw(&si[5], 0x04, sig, sig_len) != 0)
		goto out;
	si[3] = *attrs;
	attrs->p = NULL;
	attrs->len = 0;
	if (tlv(&tmp[0], 0x30, si, 6) != 0 || tlv(&sd[4], 0x31, &tmp[0], 1) != 0)
		goto out;
	/* SignedData: version 1, digestAlgorithms, encapContentInfo, [0] certificates, signerInfos. */
	if (raw(&sd[0], 0x02, v1 + 2, 1) != 0 || algid(&tmp[0], g.hash_oid) != 0 ||
	    tlv(&sd[1], 0x31, &tmp[0], 1) != 0 || oid(&tmp[0], OID_DATA) != 0)
		goto out;
	if (!req->detached) {
		if (raw(&tmp[1], 0x04, req->data, req->data_len) != 0 ||
		    tlv(&tmp[1], 0xa0, &tmp[1], 1) != 0) {
			blob_free(&tmp[0]);
			goto out;
		}
		if (tlv(&sd[2], 0x30, tmp, 2) != 0)
			goto out;
	} else if (tlv(&sd[2], 0x30, tmp, 1) != 0)
		goto out;
	/* The signer's certificate, then the chain's others, each once, in a DER SET. */
	nchain = chain != NULL && sk_X509_num(chain) > 0 ? (size_t)sk_X509_num(chain) : 0;
	for (i = 0; i <= nchain; i++) {
		X509 *c = i == 0 ? cert : sk_X509_value(chain, (int)i - 1);

		dup = 0;
		for (k = 0; k < i && !dup; k++)
			dup = X509_cmp(c, k == 0 ? cert : sk_X509_value(chain, (int)k - 1)) == 0;
		if (dup)
			continue;
		if (n_certs == MAX_CERTS) {
			r = tb_error_set(err, TB_ERR_INVALID_ARG, "more than %d certificates",
			    MAX_CERTS);
			goto out;
		}
		x = NULL;
		xl = i2d_X509(c, &x);
		if (from_i2d(&certs[n_certs++], xl, x) != 0)
			goto out;
	}
	qsort(certs, n_certs, sizeof(certs[0]), der_cmp);
	if (tlv(&sd[3], 0xa0, certs, n_certs) != 0)
		goto out;
	if (tlv(&tmp[1], 0x30, sd, 5) != 0 || tlv(&tmp[1], 0xa0, &tmp[1], 1) != 0 ||
	    oid(&tmp[0], OID_SIGNED_DATA) != 0 || tlv(&out, 0x30, tmp, 2) != 0)
		goto out;
	*der = OPENSSL_memdup(out.p, out.len);
	*der_len = out.len;
	blob_free(&out);
	r = *der != NULL ? 0 : tb_error_set(err, TB_ERR_NOMEM, "SignedData");
	goto done;
out:
	if (r == TB_ERR_NOMEM)
		r = tb_error_set(err, TB_ERR_NOMEM, "building the SignedData");
done:
	for (i = 0; i < 7; i++)
		blob_free(&si[i]);
	for (i = 0; i < 6; i++)
		blob_free(&sd[i]);
	blob_free(&tmp[0]);
	blob_free(&tmp[1]);
	for (i = 0; i < MAX_CERTS; i++)
		blob_free(&certs[i]);
	return r;
}

/*
 * Joining a SignedData written here (one GOST signer) to an existing one:
 * OpenSSL cannot parse a SignerInfo whose algorithms it does not know, so
 * the union is made in DER. Every element of the existing SignedData is
 * copied as it is; the SET OFs are sorted again (X.690 11.6), so an old
 * SignerInfo may move but keeps its bytes.
 */
#define JOIN_MAX (2 * TB_CMS_SIGNERS_MAX)

/* The parts of a SignedData's DER, as windows into it. */
typedef struct sd_parts {
	tb_der version, encap, crls;
	tb_der algs[JOIN_MAX], certs[JOIN_MAX], sis[JOIN_MAX];
	size_t n_algs, n_certs, n_sis;
	int has_certs, has_crls;
} sd_parts;

/* The whole TLVs inside content, into out[*n..]. */
static int
set_elems(tb_der content, tb_der *out, size_t *n)
{
	tb_der el, whole;
	unsigned char tag;

	while (!tb_der_empty(&content)) {
		if (*n == JOIN_MAX || tb_der_next(&content, &tag, &el, &whole) != 0)
			return -1;
		out[(*n)++] = whole;
	}
	return 0;
}

static int
sd_parse(const unsigned char *der, size_t len, sd_parts *p)
{
	tb_der d, ci, x, sd, set;

	memset(p, 0, sizeof(*p));
	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &ci, NULL) != 0 || !tb_der_empty(&d) ||
	    tb_der_skip(&ci) != 0 || tb_der_expect(&ci, TB_DER_CTX_CONS(0), &x, NULL) != 0 ||
	    tb_der_expect(&x, TB_DER_SEQUENCE, &sd, NULL) != 0 ||
	    tb_der_expect(&sd, TB_DER_INTEGER, &set, &p->version) != 0 ||
	    tb_der_expect(&sd, TB_DER_SET, &set, NULL) != 0 ||
	    set_elems(set, p->algs, &p->n_algs) != 0 ||
	    tb_der_expect(&sd, TB_DER_SEQUENCE, &set, &p->encap) != 0 ||
	    tb_der_optional(&sd, TB_DER_CTX_CONS(0), &set, NULL, &p->has_certs) != 0 ||
	    (p->has_certs && set_elems(set, p->certs, &p->n_certs) != 0) ||
	    tb_der_optional(&sd, TB_DER_CTX_CONS(1), &set, &p->crls, &p->has_crls) != 0 ||
	    tb_der_expect(&sd, TB_DER_SET, &set, NULL) != 0 ||
	    set_elems(set, p->sis, &p->n_sis) != 0 || !tb_der_empty(&sd))
		return -1;
	return 0;
}

static int
blob_copy(blob *out, const tb_der *d)
{
	out->len = d->len;
	if ((out->p = malloc(d->len > 0 ? d->len : 1)) == NULL)
		return -1;
	memcpy(out->p, d->p, d->len);
	return 0;
}

/* tag { a's elements and b's not in a, sorted }. */
static int
set_join(blob *out, unsigned char tag, const tb_der *a, size_t na, const tb_der *b, size_t nb)
{
	blob el[2 * JOIN_MAX];
	size_t n = 0, i, j;
	int dup;

	for (i = 0; i < na + nb; i++) {
		const tb_der *e = i < na ? &a[i] : &b[i - na];

		for (dup = 0, j = 0; j < n && !dup; j++)
			dup = el[j].len == e->len && memcmp(el[j].p, e->p, e->len) == 0;
		if (dup)
			continue;
		if (blob_copy(&el[n], e) != 0) {
			while (n > 0)
				blob_free(&el[--n]);
			return -1;
		}
		n++;
	}
	qsort(el, n, sizeof(el[0]), der_cmp);
	return tlv(out, tag, el, n);
}

int
tb_cms_signed_data_join(const unsigned char *cms_der, size_t cms_len,
    const unsigned char *add_der, size_t add_len, unsigned char **der, size_t *der_len,
    tb_error *err)
{
	sd_parts *a = calloc(2, sizeof(*a));
	blob sd[6], tmp[2], out;
	uint64_t va = 0, vb = 0;
	size_t n = 0, i;
	int r = TB_ERR_NOMEM;

	memset(sd, 0, sizeof(sd));
	memset(tmp, 0, sizeof(tmp));
	if (a == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SignedData");
	if (sd_parse(cms_der, cms_len, &a[0]) != 0 || sd_parse(add_der, add_len, &a[1]) != 0 ||
	    a[1].n_sis != 1 || tb_der_uint(&(tb_der){ a[0].version.p + 2,
	    a[0].version.len - 2 }, &va) != 0 || tb_der_uint(&(tb_der){ a[1].version.p + 2,
	    a[1].version.len - 2 }, &vb) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "cms: cannot be read as a DER SignedData");
		goto done;
	}
	/* The higher version of the two (RFC 5652 5.1); the content is the existing one. */
	if (blob_copy(&sd[n++], va >= vb ? &a[0].version : &a[1].version) != 0 ||
	    set_join(&sd[n++], 0x31, a[0].algs, a[0].n_algs, a[1].algs, a[1].n_algs) != 0 ||
	    blob_copy(&sd[n++], &a[0].encap) != 0 ||
	    set_join(&sd[n++], 0xa0, a[0].certs, a[0].n_certs, a[1].certs, a[1].n_certs) != 0 ||
	    (a[0].has_crls && blob_copy(&sd[n++], &a[0].crls) != 0) ||
	    set_join(&sd[n++], 0x31, a[0].sis, a[0].n_sis, a[1].sis, a[1].n_sis) != 0)
		goto out;
	if (tlv(&tmp[1], 0x30, sd, n) != 0 || tlv(&tmp[1], 0xa0, &tmp[1], 1) != 0 ||
	    oid(&tmp[0], OID_SIGNED_DATA) != 0 || tlv(&out, 0x30, tmp, 2) != 0)
		goto out;
	*der = OPENSSL_memdup(out.p, out.len);
	*der_len = out.len;
	blob_free(&out);
	r = *der != NULL ? 0 : tb_error_set(err, TB_ERR_NOMEM, "SignedData");
	goto done;
out:
	r = tb_error_set(err, TB_ERR_NOMEM, "joining the SignedData");
done:
	for (i = 0; i < 6; i++)
		blob_free(&sd[i]);
	blob_free(&tmp[0]);
	blob_free(&tmp[1]);
	free(a);
	return r;
}
