/*
 * The signed attributes of a tanba signature (cms_sign.h): what the signer
 * process builds and signs. Only encodes: no CMS structure, no parser.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "cms_sign.h"

/* The digests a tanba signature may use; anything weaker is refused. */
static const struct {
	const char *name;
	int nid;
} sign_mds[] = {
	{ "sha256", NID_sha256 },
	{ "sha384", NID_sha384 },
	{ "sha512", NID_sha512 },
};

const char *
tb_cms_md_name(int md_nid)
{
	size_t i;

	for (i = 0; i < sizeof(sign_mds) / sizeof(sign_mds[0]); i++)
		if (sign_mds[i].nid == md_nid)
			return sign_mds[i].name;
	return NULL;
}

int
tb_cms_md_nid(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(sign_mds) / sizeof(sign_mds[0]); i++)
		if (strlen(sign_mds[i].name) == len && memcmp(sign_mds[i].name, name, len) == 0)
			return sign_mds[i].nid;
	return NID_undef;
}

/*
 * What CMS_add1_signer adds for CMS_CADES with a SHA-2 digest, made once:
 * OSSL_ESS_signing_cert_v2_new_init with the issuerSerial, then its DER.
 * It copies the certificate's names and hashes it on every call: about 6 %
 * of the front's time per signature when it ran for each.
 */
ASN1_STRING *
tb_cms_ess_cert_v2(X509 *cert, int md_nid)
{
	ESS_SIGNING_CERT_V2 *sc = NULL;
	ASN1_STRING *seq = NULL;
	unsigned char *der = NULL;
	const EVP_MD *md;
	int len;

	if (cert == NULL || tb_cms_md_name(md_nid) == NULL || (md = EVP_get_digestbynid(md_nid)) == NULL ||
	    (sc = OSSL_ESS_signing_cert_v2_new_init(md, cert, NULL, 1)) == NULL ||
	    (len = i2d_ESS_SIGNING_CERT_V2(sc, &der)) <= 0 ||
	    (seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL ||
	    !ASN1_STRING_set(seq, der, len)) {
		ASN1_STRING_free(seq);
		seq = NULL;
	}
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(sc);
	return seq;
}

/* Appends one attribute (OpenSSL copies the value, as CMS_signed_add1_attr_by_NID does). */
static int
attr_push(STACK_OF(X509_ATTRIBUTE) *attrs, int nid, int type, const void *value, int len,
    const char *what, tb_error *err)
{
	X509_ATTRIBUTE *a;

	if ((a = X509_ATTRIBUTE_create_by_NID(NULL, nid, type, value, len)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot make %s", what);
	if (!sk_X509_ATTRIBUTE_push(attrs, a)) {
		X509_ATTRIBUTE_free(a);
		return tb_error_set_ossl(err, TB_ERR_NOMEM, "cannot add %s", what);
	}
	return 0;
}

/*
 * RFC 5652 5.3/5.4 and RFC 5126 5.7: signingCertificateV2, contentType,
 * messageDigest and signingTime, encoded as the signature covers them (a
 * SET OF with its universal tag, in DER order). PKCS7_ATTR_SIGN is the
 * same template OpenSSL uses for CMS, so these are the bytes a verifier
 * re-encodes from the SignerInfo.
 */
static int
attrs_make(int md_nid, const unsigned char *md, size_t md_len, time_t signing_time,
    const ASN1_STRING *ess_cert_v2, int content_type, unsigned char **der, size_t *der_len,
    tb_error *err);

int
tb_cms_signed_attrs(int md_nid, const unsigned char *md, size_t md_len, time_t signing_time,
    const ASN1_STRING *ess_cert_v2, unsigned char **der, size_t *der_len, tb_error *err)
{
	return attrs_make(md_nid, md, md_len, signing_time, ess_cert_v2, 1, der, der_len, err);
}

/* RFC 5652 11.4: a counter-signature has no contentType; the rest is the same. */
int
tb_cms_counter_attrs(int md_nid, const unsigned char *md, size_t md_len, time_t signing_time,
    const ASN1_STRING *ess_cert_v2, unsigned char **der, size_t *der_len, tb_error *err)
{
	return attrs_make(md_nid, md, md_len, signing_time, ess_cert_v2, 0, der, der_len, err);
}

static int
attrs_make(int md_nid, const unsigned char *md, size_t md_len, time_t signing_time,
    const ASN1_STRING *ess_cert_v2, int content_type, unsigned char **der, size_t *der_len,
    tb_error *err)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	ASN1_TIME *t = NULL;
	unsigned char *buf = NULL;
	int len, want, r = TB_ERR_INTERNAL;

	if (tb_cms_md_name(md_nid) == NULL || md == NULL || ess_cert_v2 == NULL || der == NULL ||
	    der_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "signed attributes: missing argument");
		goto out;
	}
	want = EVP_MD_get_size(EVP_get_digestbynid(md_nid));
	if (want <= 0 || md_len != (size_t)want) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "digest is %zu bytes, %s needs %d",
		    md_len, tb_cms_md_name(md_nid), want);
		goto out;
	}
	/* RFC 5652 11.3: UTCTime for 1950-2049, GeneralizedTime otherwise; ASN1_TIME_set does that. */
	if ((t = ASN1_TIME_set(NULL, signing_time)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_INVALID_ARG,
		    "signing time %lld cannot be encoded", (long long)signing_time);
		goto out;
	}
	if ((attrs = sk_X509_ATTRIBUTE_new_reserve(NULL, 4)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "signed attributes");
		goto out;
	}
	if ((r = attr_push(attrs, NID_id_smime_aa_signingCertificateV2, V_ASN1_SEQUENCE,
	    ess_cert_v2, -1, "signingCertificateV2", err)) != 0 ||
	    (content_type && (r = attr_push(attrs, NID_pkcs9_contentType, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_pkcs7_data), -1, "contentType", err)) != 0) ||
	    (r = attr_push(attrs, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, md, (int)md_len,
	    "messageDigest", err)) != 0 ||
	    (r = attr_push(attrs, NID_pkcs9_signingTime, t->type, t, -1, "signingTime",
	    err)) != 0)
		goto out;
	len = ASN1_item_i2d((ASN1_VALUE *)attrs, &buf, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (len <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot encode signed attributes");
		goto out;
	}
	*der = buf;
	*der_len = (size_t)len;
	buf = NULL;
	r = 0;
out:
	OPENSSL_free(buf);
	ASN1_TIME_free(t);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	return r;
}

/*
 * A per-key template (cms_sign.h). The attribute set's DER order depends on
 * the attributes' lengths and types only, never on the digest's bytes or
 * the time's digits, so the bytes made once with a marker digest and a
 * marker time are those of every signature but for those two fields.
 */
struct tb_cms_attrs_tpl {
	unsigned char *der;
	size_t len, md_off, md_len, time_off;
};

#define MARK_TIME ((time_t)981173106)	/* 2001-02-03T04:05:06Z */
#define MARK_TEXT "010203040506Z"

/* Where needle is in hay, when it is there exactly once; else (size_t)-1. */
static size_t
once_at(const unsigned char *hay, size_t hay_len, const unsigned char *needle, size_t n)
{
	const unsigned char *p, *q;

	if ((p = memmem(hay, hay_len, needle, n)) == NULL)
		return (size_t)-1;
	q = memmem(p + 1, hay_len - (size_t)(p + 1 - hay), needle, n);
	return q == NULL ? (size_t)(p - hay) : (size_t)-1;
}

tb_cms_attrs_tpl *
tb_cms_attrs_tpl_new(int md_nid, const ASN1_STRING *ess_cert_v2)
{
	tb_cms_attrs_tpl *t;
	unsigned char mark[EVP_MAX_MD_SIZE];
	int n = md_nid != NID_undef && tb_cms_md_name(md_nid) != NULL ?
	    EVP_MD_get_size(EVP_get_digestbynid(md_nid)) : 0;
	size_t i;

	if (n <= 0 || ess_cert_v2 == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->md_len = (size_t)n;
	for (i = 0; i < t->md_len; i++)
		mark[i] = (unsigned char)(0xc3 ^ (i * 29));
	if (tb_cms_signed_attrs(md_nid, mark, t->md_len, MARK_TIME, ess_cert_v2, &t->der,
	    &t->len, NULL) != 0 ||
	    (t->md_off = once_at(t->der, t->len, mark, t->md_len)) == (size_t)-1 ||
	    (t->time_off = once_at(t->der, t->len, (const unsigned char *)MARK_TEXT, 13)) ==
	    (size_t)-1 || t->time_off < 2 || t->der[t->time_off - 2] != V_ASN1_UTCTIME ||
	    t->der[t->time_off - 1] != 13) {
		tb_cms_attrs_tpl_free(t);
		return NULL;
	}
	return t;
}

void
tb_cms_attrs_tpl_free(tb_cms_attrs_tpl *t)
{
	if (t == NULL)
		return;
	OPENSSL_free(t->der);
	free(t);
}

size_t
tb_cms_attrs_tpl_len(const tb_cms_attrs_tpl *t)
{
	return t->len;
}

int
tb_cms_attrs_tpl_fill(const tb_cms_attrs_tpl *t, const unsigned char *md, size_t md_len,
    time_t signing_time, unsigned char *out, size_t room, tb_error *err)
{
	struct tm tm;
	char text[64];

	if (md_len != t->md_len || room < t->len)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest of %zu bytes, or room for %zu",
		    md_len, room);
	/* UTCTime only (1950-2049): a GeneralizedTime has another length. */
	if (gmtime_r(&signing_time, &tm) == NULL || tm.tm_year < 50 || tm.tm_year > 149)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "signing time outside UTCTime");
	snprintf(text, sizeof(text), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	memcpy(out, t->der, t->len);
	memcpy(out + t->md_off, md, md_len);
	memcpy(out + t->time_off, text, 13);
	return 0;
}
