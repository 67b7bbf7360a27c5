/*
 * Co-signing and counter-signing an existing SignedData (cms_sign.h). The
 * signed attributes and the signature value come from elsewhere (the
 * signer process, or a tb_signer here); this file computes what is to be
 * signed, and puts the new SignerInfo into the CMS so that every SignerInfo
 * already there keeps its bytes. It checks that by comparing them.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cms_sign.h"
#include "cms_sign_int.h"
#include "der_reader.h"
#include "gost.h"
#include "sigalg.h"

/* Where each SignerInfo sits in a SignedData's DER. */
typedef struct si_span {
	const unsigned char *p;
	size_t len;
} si_span;

/* A SignedData as given, parsed, and the bytes of its SignerInfos. */
typedef struct cms_in {
	CMS_ContentInfo *cms;
	si_span si[TB_CMS_SIGNERS_MAX];
	int n;
} cms_in;

/*
 * The SignerInfos of the SignedData in der (signerInfos is its last
 * element), byte ranges into der. Definite lengths only: -1 for anything
 * else, or more than TB_CMS_SIGNERS_MAX signers.
 */
static int
signer_spans(const unsigned char *der, size_t len, si_span *out, int *n)
{
	tb_der d, ci, sd, el, last, whole;
	unsigned char tag;

	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &ci, NULL) != 0 || !tb_der_empty(&d) ||
	    tb_der_skip(&ci) != 0 || tb_der_expect(&ci, TB_DER_CTX_CONS(0), &sd, NULL) != 0 ||
	    tb_der_expect(&sd, TB_DER_SEQUENCE, &el, NULL) != 0)
		return -1;
	last.p = NULL;
	last.len = 0;
	tag = 0;
	while (!tb_der_empty(&el))
		if (tb_der_next(&el, &tag, &last, NULL) != 0)
			return -1;
	if (tag != TB_DER_SET)
		return -1;
	*n = 0;
	tb_der_init(&d, last.p, last.len);
	while (!tb_der_empty(&d)) {
		if (*n >= TB_CMS_SIGNERS_MAX || tb_der_next(&d, &tag, &el, &whole) != 0 ||
		    tag != TB_DER_SEQUENCE)
			return -1;
		out[*n].p = whole.p;
		out[*n].len = whole.len;
		(*n)++;
	}
	return 0;
}

static void
cms_in_free(cms_in *in)
{
	CMS_ContentInfo_free(in->cms);
	in->cms = NULL;
}

/*
 * Parses der as a SignedData and makes sure OpenSSL writes each of its
 * SignerInfos back with the same bytes (DER in, DER out): otherwise adding
 * a signer would change the others, which is refused before anything is
 * signed. The spans point into der.
 */
static int
cms_in_open(const unsigned char *der, size_t len, cms_in *in, tb_error *err)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	si_span again[TB_CMS_SIGNERS_MAX];
	int re_len, n2 = 0, i, r = TB_ERR_INTERNAL;

	memset(in, 0, sizeof(*in));
	if (der == NULL || len == 0 || len > LONG_MAX)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "cms: no CMS given");
	if ((in->cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL || p != der + len ||
	    OBJ_obj2nid(CMS_get0_type(in->cms)) != NID_pkcs7_signed) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "cms: not a CMS SignedData");
		goto out;
	}
	if (signer_spans(der, len, in->si, &in->n) != 0 ||
	    in->n != sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(in->cms))) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "cms: not DER, or more than %d signers: "
		    "the existing signatures would not keep their bytes", TB_CMS_SIGNERS_MAX);
		goto out;
	}
	if (in->n == 0) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "cms: the SignedData has no signer");
		goto out;
	}
	if ((re_len = i2d_CMS_ContentInfo(in->cms, &re)) <= 0 ||
	    signer_spans(re, (size_t)re_len, again, &n2) != 0 || n2 != in->n) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "cms: cannot be written back");
		goto out;
	}
	for (i = 0; i < n2; i++)
		if (again[i].len != in->si[i].len || memcmp(again[i].p, in->si[i].p,
		    again[i].len) != 0) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED, "cms: signer %d is not in DER: "
			    "its bytes would change", i);
			goto out;
		}
	r = 0;
out:
	OPENSSL_free(re);
	if (r != 0)
		cms_in_free(in);
	return r;
}

/*
 * The new CMS keeps every old SignerInfo byte for byte but for number
 * changed (-1: none; a counter-signed target); out has in->n + added
 * SignerInfos. DER sorts a SET OF, so an old one may have moved. *at (may
 * be NULL) is where the first SignerInfo not from in is (-1: none).
 */
static int
kept_check(const cms_in *in, const unsigned char *out, size_t out_len, int changed, int added,
    int *at, tb_error *err)
{
	si_span now[TB_CMS_SIGNERS_MAX];
	unsigned char used[TB_CMS_SIGNERS_MAX];
	int n = 0, i, j;

	if (signer_spans(out, out_len, now, &n) != 0 || n != in->n + added)
		return tb_error_set(err, TB_ERR_INTERNAL, "the new CMS has %d signers, not %d", n,
		    in->n + added);
	memset(used, 0, sizeof(used));
	for (i = 0; i < in->n; i++) {
		if (i == changed)
			continue;
		for (j = 0; j < n; j++)
			if (!used[j] && now[j].len == in->si[i].len &&
			    memcmp(now[j].p, in->si[i].p, now[j].len) == 0)
				break;
		if (j == n)
			return tb_error_set(err, TB_ERR_INTERNAL, "signer %d changed its bytes", i);
		used[j] = 1;
	}
	if (at != NULL)
		for (*at = -1, j = 0; j < n && *at < 0; j++)
			if (!used[j])
				*at = j;
	return 0;
}

/* The signer's messageDigest, or NULL when it has no signed attributes. */
static const ASN1_OCTET_STRING *
signer_md(CMS_SignerInfo *si)
{
	return CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
	    V_ASN1_OCTET_STRING);
}

/*
 * The content the new signer signs is the one the existing signers signed:
 * each signer whose digest can be made here (tb_sigalg_digest: SHA-2 and
 * Streebog) must have it as messageDigest.
 * With the content (data) every signer with a known digest is checked;
 * with a digest only the signers of that algorithm are. At least one
 * signer must be checked when the content is not the CMS's own.
 */
static int
content_check(CMS_ContentInfo *cms, const unsigned char *data, size_t data_len, int md_nid,
    const unsigned char *digest, size_t digest_len, int attached, tb_error *err)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si = NULL;
	const ASN1_OCTET_STRING *have;
	X509_ALGOR *dig = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int h_len = 0;
	int i, nid, checked = 0;

	for (i = 0; i < sk_CMS_SignerInfo_num(sis); i++) {
		si = sk_CMS_SignerInfo_value(sis, i);
		CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
		nid = dig != NULL ? OBJ_obj2nid(dig->algorithm) : NID_undef;
		if ((have = signer_md(si)) == NULL)
			continue;
		if (data != NULL) {
			/* Any digest libsig verifies with (Streebog too); one it cannot make is skipped. */
			if (tb_sigalg_digest(dig, data, data_len, h, &h_len, NULL) != 0) {
				ERR_clear_error();
				continue;
			}
		} else {
			if (nid != md_nid)
				continue;
			memcpy(h, digest, digest_len);
			h_len = (unsigned int)digest_len;
		}
		if ((size_t)ASN1_STRING_length(have) != h_len ||
		    memcmp(ASN1_STRING_get0_data(have), h, h_len) != 0)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: not the content signer %d "
			    "signed (its messageDigest differs)", attached ? "cms" : data != NULL ?
			    "data" : "digest", i);
		checked++;
	}
	if (checked == 0 && !attached)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: no existing signer to check it "
		    "against (give the document, or a digest of the algorithm the signers used)",
		    data != NULL ? "data" : "digest");
	return 0;
}

/* The Kazakh OID of a Streebog digest (a GOST co-signer's), or NULL for another. */
static const char *
streebog_oid(int md_nid)
{
	return md_nid == NID_id_GostR3411_2012_512 ? "1.2.398.3.10.1.3.3" :
	    md_nid == NID_id_GostR3411_2012_256 ? "1.2.398.3.10.1.3.2" : NULL;
}

int
tb_cms_cosign_digest(const unsigned char *cms_der, size_t cms_len, const tb_sign_request *req,
    int *attached, unsigned char *out, size_t *out_len, tb_error *err)
{
	cms_in in;
	ASN1_OCTET_STRING **pos;
	const unsigned char *data;
	size_t data_len, want;
	unsigned int n = 0;
	const EVP_MD *md;
	int md_nid, att, r;

	if (req == NULL || attached == NULL || out == NULL || out_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	md_nid = req->md_nid == NID_undef ? NID_sha256 : req->md_nid;
	md = streebog_oid(md_nid) != NULL ? NULL : EVP_get_digestbynid(md_nid);
	if (streebog_oid(md_nid) == NULL && (tb_cms_md_name(md_nid) == NULL || md == NULL))
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "digest algorithm is not allowed "
		    "(sha256, sha384, sha512; streebog512, streebog256 for a GOST key)");
	if ((r = cms_in_open(cms_der, cms_len, &in, err)) != 0)
		return r;
	/*
	 * The new CMS is checked with the same bound as the input: a co-signer
	 * of a CMS already at it would be signed (and recorded) and then fail
	 * that check. Refused here, before anything is signed.
	 */
	if (in.n >= TB_CMS_SIGNERS_MAX) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "cms: has %d signers already, the most "
		    "a co-signed CMS may have", in.n);
		goto out;
	}
	/* The content is the CMS's own when attached; the caller's when detached. */
	pos = CMS_get0_content(in.cms);
	att = pos != NULL && *pos != NULL;
	data = req->data;
	data_len = req->data_len;
	if (att) {
		if (req->data != NULL || req->digest != NULL) {
			r = tb_error_set(err, TB_ERR_INVALID_ARG,
			    "cms: carries its content: give neither document nor digest");
			goto out;
		}
		data = ASN1_STRING_get0_data(*pos);
		data_len = (size_t)ASN1_STRING_length(*pos);
	} else if ((req->data == NULL) == (req->digest == NULL)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "cms: detached: give the document or its digest (one of them)");
		goto out;
	}
	if (data != NULL) {
		if (md == NULL) {
			if ((r = tb_gost_digest_oid(streebog_oid(md_nid), data, data_len, out, &n,
			    err)) != 0)
				goto out;
		} else if (!EVP_Digest(data, data_len, out, &n, md, NULL)) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot hash the content");
			goto out;
		}
		*out_len = n;
	} else {
		want = md != NULL ? (size_t)EVP_MD_get_size(md) :
		    md_nid == NID_id_GostR3411_2012_512 ? 64 : 32;
		if (req->digest_len != want) {
			r = tb_error_set(err, TB_ERR_INVALID_ARG, "digest is %zu bytes, the "
			    "algorithm needs %zu", req->digest_len, want);
			goto out;
		}
		memcpy(out, req->digest, want);
		*out_len = want;
	}
	if ((r = content_check(in.cms, data, data_len, md_nid, req->digest, req->digest_len,
	    att, err)) != 0)
		goto out;
	*attached = att;
	r = 0;
out:
	cms_in_free(&in);
	return r;
}

/* The DER of cms into a new buffer. */
static int
cms_encode(CMS_ContentInfo *cms, unsigned char **der, size_t *der_len, tb_error *err)
{
	unsigned char *out = NULL;
	int out_len;

	if ((out_len = i2d_CMS_ContentInfo(cms, &out)) <= 0) {
		OPENSSL_free(out);
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot encode SignedData");
	}
	*der = out;
	*der_len = (size_t)out_len;
	return 0;
}

/*
 * A SignerInfo for cert in cms around signed attributes and a signature
 * made elsewhere: CMS_add1_signer with the public key only (CMS_PARTIAL
 * stops it before it would need the private key) sets the identifiers and
 * the algorithms; the attributes are all the signer's.
 */
static int
signer_add(CMS_ContentInfo *cms, X509 *cert, const EVP_MD *md, unsigned int flags,
    const unsigned char *md_val, size_t md_len, int content_type,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    tb_error *err)
{
	CMS_SignerInfo *si = NULL;
	int r;

	if (sig == NULL || sig_len == 0 || sig_len > TB_SIG_MAX)
		return tb_error_set(err, TB_ERR_INTERNAL, "signature of %zu bytes", sig_len);
	/* CMS_add1_cert refuses a certificate the CMS carries already. */
	if (tb_cms_has_cert(cms, cert))
		flags |= CMS_NOCERTS;
	if ((si = CMS_add1_signer(cms, cert, X509_get0_pubkey(cert), md,
	    flags | CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot add the signer");
	if ((r = tb_cms_attrs_take(si, attrs, attrs_len, md_val, md_len, content_type, err)) != 0)
		return r;
	if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sig_len))
		return tb_error_set_ossl(err, TB_ERR_NOMEM, "cannot store the signature value");
	return 0;
}

/* What a signer joining an existing CMS may be: RSA or EC, a SHA-2 digest. */
static int
joiner_check(X509 *cert, int md_nid, const EVP_MD **md, tb_error *err)
{
	if (cert == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing certificate");
	if (tb_cms_cert_is_gost(cert))
		return tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "a GOST co-signer is added by tb_cms_cosign_gost_assemble");
	if (tb_cms_md_name(md_nid) == NULL || (*md = EVP_get_digestbynid(md_nid)) == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "digest algorithm is not allowed (sha256, sha384 or sha512)");
	return tb_cms_key_check(cert, err);
}

int
tb_cms_cosign_assemble(const unsigned char *cms_der, size_t cms_len, X509 *cert,
    STACK_OF(X509) *chain, int md_nid, const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, int *index, tb_error *err)
{
	cms_in in;
	const EVP_MD *md;
	unsigned char *out = NULL;
	size_t out_len = 0;
	int r;

	if (content_md == NULL || attrs == NULL || der == NULL || der_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = joiner_check(cert, md_nid, &md, err)) != 0 ||
	    (r = cms_in_open(cms_der, cms_len, &in, err)) != 0)
		return r;
	if ((r = signer_add(in.cms, cert, md, 0, content_md, content_md_len, 1, attrs, attrs_len,
	    sig, sig_len, err)) != 0 ||
	    (r = tb_cms_add_chain_new(in.cms, chain, err)) != 0 ||
	    (r = cms_encode(in.cms, &out, &out_len, err)) != 0 ||
	    (r = kept_check(&in, out, out_len, -1, 1, index, err)) != 0)
		goto out;
	*der = out;
	*der_len = out_len;
	out = NULL;
out:
	OPENSSL_free(out);
	cms_in_free(&in);
	return r;
}

int
tb_cms_cosign_gost_assemble(const unsigned char *cms_der, size_t cms_len, X509 *cert,
    STACK_OF(X509) *chain, const unsigned char *ess, size_t ess_len,
    const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    time_t signing_time, unsigned char **der, size_t *der_len, int *index, tb_error *err)
{
	tb_sign_request one;
	cms_in in;
	unsigned char *single = NULL, *out = NULL;
	size_t single_len = 0, out_len = 0;
	int r;

	if (cert == NULL || content_md == NULL || der == NULL || der_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = cms_in_open(cms_der, cms_len, &in, err)) != 0)
		return r;
	/*
	 * The GOST writer makes the SignerInfo (and checks the signer's
	 * attributes) in a detached SignedData of its own over the same
	 * digest; its signer, algorithm and certificates join the CMS.
	 */
	memset(&one, 0, sizeof(one));
	one.detached = 1;
	one.digest = content_md;
	one.digest_len = content_md_len;
	one.signing_time = signing_time;
	if ((r = tb_cms_gost_assemble(cert, chain, ess, ess_len, &one, content_md,
	    content_md_len, attrs, attrs_len, sig, sig_len, &single, &single_len, err)) != 0 ||
	    (r = tb_cms_signed_data_join(cms_der, cms_len, single, single_len, &out, &out_len,
	    err)) != 0 ||
	    (r = kept_check(&in, out, out_len, -1, 1, index, err)) != 0)
		goto out;
	*der = out;
	*der_len = out_len;
	out = NULL;
out:
	OPENSSL_free(single);
	OPENSSL_free(out);
	cms_in_free(&in);
	return r;
}

/* The target SignerInfo, number target of the CMS's; a clear refusal for a bad number. */
static int
target_get(const cms_in *in, int target, CMS_SignerInfo **si, tb_error *err)
{
	if (target < 0 || target >= in->n)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "countersign: no signer %d (the CMS has %d, numbered from 0)", target, in->n);
	*si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(in->cms), target);
	return 0;
}

/* RFC 5652 11.4: the counter-signer signs the hash of the target's signature value. */
static int
sigval_digest(CMS_SignerInfo *si, const EVP_MD *md, unsigned char *out, size_t *out_len,
    tb_error *err)
{
	ASN1_OCTET_STRING *v = CMS_SignerInfo_get0_signature(si);
	unsigned int n = 0;

	if (!EVP_Digest(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), out, &n, md,
	    NULL))
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot hash the signature value");
	*out_len = n;
	return 0;
}

int
tb_cms_counter_digest(const unsigned char *cms_der, size_t cms_len, int target, int md_nid,
    unsigned char *out, size_t *out_len, tb_error *err)
{
	cms_in in;
	CMS_SignerInfo *si = NULL;
	const EVP_MD *md;
	int r;

	if (out == NULL || out_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if (tb_cms_md_name(md_nid) == NULL || (md = EVP_get_digestbynid(md_nid)) == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "digest algorithm is not allowed (sha256, sha384 or sha512)");
	if ((r = cms_in_open(cms_der, cms_len, &in, err)) != 0)
		return r;
	if ((r = target_get(&in, target, &si, err)) == 0)
		r = sigval_digest(si, md, out, out_len, err);
	cms_in_free(&in);
	return r;
}

/* The DER of the one SignerInfo of a SignedData built to hold it. */
static int
only_signer(CMS_ContentInfo *tmp, unsigned char **der, const unsigned char **si,
    size_t *si_len, tb_error *err)
{
	si_span s[TB_CMS_SIGNERS_MAX];
	size_t len = 0;
	int n = 0, r;

	if ((r = cms_encode(tmp, der, &len, err)) != 0)
		return r;
	if (signer_spans(*der, len, s, &n) != 0 || n != 1)
		return tb_error_set(err, TB_ERR_INTERNAL, "own SignedData has %d signers", n);
	*si = s[0].p;
	*si_len = s[0].len;
	return 0;
}

int
tb_cms_counter_assemble(const unsigned char *cms_der, size_t cms_len, int target, X509 *cert,
    STACK_OF(X509) *chain, int md_nid, const unsigned char *attrs, size_t attrs_len,
    const unsigned char *sig, size_t sig_len, unsigned char **der, size_t *der_len,
    tb_error *err)
{
	cms_in in;
	CMS_ContentInfo *tmp = NULL;
	CMS_SignerInfo *tsi = NULL;
	ASN1_STRING *seq = NULL;
	const EVP_MD *md;
	const unsigned char *si_der = NULL;
	unsigned char h[EVP_MAX_MD_SIZE], *tder = NULL, *out = NULL;
	size_t h_len = 0, si_len = 0, out_len = 0;
	int r;

	if (attrs == NULL || der == NULL || der_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	if ((r = joiner_check(cert, md_nid, &md, err)) != 0 ||
	    (r = cms_in_open(cms_der, cms_len, &in, err)) != 0)
		return r;
	if ((r = target_get(&in, target, &tsi, err)) != 0 ||
	    (r = sigval_digest(tsi, md, h, &h_len, err)) != 0)
		goto out;
	/* The SignerInfo is built in a SignedData of its own, then taken out of its DER. */
	if ((tmp = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot create SignedData");
		goto out;
	}
	if ((r = signer_add(tmp, cert, md, CMS_NOCERTS, h, h_len, 0, attrs, attrs_len, sig,
	    sig_len, err)) != 0 ||
	    (r = only_signer(tmp, &tder, &si_der, &si_len, err)) != 0)
		goto out;
	if ((seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL ||
	    !ASN1_STRING_set(seq, si_der, (int)si_len) ||
	    !CMS_unsigned_add1_attr_by_NID(tsi, NID_pkcs9_countersignature, V_ASN1_SEQUENCE,
	    seq, -1)) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot add the countersignature");
		goto out;
	}
	if (!tb_cms_has_cert(in.cms, cert) && !CMS_add1_cert(in.cms, cert)) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot add the certificate");
		goto out;
	}
	if ((r = tb_cms_add_chain_new(in.cms, chain, err)) != 0 ||
	    (r = cms_encode(in.cms, &out, &out_len, err)) != 0 ||
	    (r = kept_check(&in, out, out_len, target, 0, NULL, err)) != 0)
		goto out;
	*der = out;
	*der_len = out_len;
	out = NULL;
out:
	OPENSSL_free(out);
	ASN1_STRING_free(seq);
	OPENSSL_free(tder);
	CMS_ContentInfo_free(tmp);
	cms_in_free(&in);
	return r;
}

/*
 * In process: the attributes over md (a content digest, or with counter a
 * signature value's hash) and the tb_signer's signature over them; *attrs
 * is the caller's (OPENSSL_free). signingCertificateV2 is the request's,
 * or made here.
 */
static int
sign_here(X509 *cert, const tb_sign_request *req, int md_nid, const EVP_MD *md,
    const unsigned char *h, size_t h_len, int counter, const tb_signer *signer,
    unsigned char **attrs, size_t *attrs_len, unsigned char *sig, size_t *sig_len,
    tb_error *err)
{
	ASN1_STRING *made = NULL;
	const ASN1_STRING *ess = req->ess_cert_v2;
	int r;

	if (ess == NULL && (ess = made = tb_cms_ess_cert_v2(cert, md_nid)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot make signingCertificateV2");
	r = (counter ? tb_cms_counter_attrs : tb_cms_signed_attrs)(md_nid, h, h_len,
	    req->signing_time, ess, attrs, attrs_len, err);
	if (r == 0 && (r = tb_cms_sign_attrs_der(*attrs, *attrs_len, md, md_nid, signer, sig,
	    sig_len, err)) != 0) {
		OPENSSL_free(*attrs);
		*attrs = NULL;
	}
	ASN1_STRING_free(made);
	return r;
}

int
tb_cms_add_signer(const unsigned char *cms_der, size_t cms_len, X509 *cert,
    STACK_OF(X509) *chain, const tb_signer *signer, const tb_sign_request *req,
    unsigned char **der, size_t *der_len, tb_error *err)
{
	const EVP_MD *md;
	unsigned char h[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX], *attrs = NULL;
	size_t h_len = 0, attrs_len = 0, sig_len = sizeof(sig);
	int md_nid, attached = 0, r;

	if (signer == NULL || signer->sign_digest == NULL || req == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	md_nid = req->md_nid == NID_undef ? NID_sha256 : req->md_nid;
	if ((r = tb_cms_cosign_digest(cms_der, cms_len, req, &attached, h, &h_len, err)) != 0 ||
	    (r = joiner_check(cert, md_nid, &md, err)) != 0 ||
	    (r = sign_here(cert, req, md_nid, md, h, h_len, 0, signer, &attrs, &attrs_len, sig,
	    &sig_len, err)) != 0)
		return r;
	r = tb_cms_cosign_assemble(cms_der, cms_len, cert, chain, md_nid, h, h_len, attrs,
	    attrs_len, sig, sig_len, der, der_len, NULL, err);
	OPENSSL_free(attrs);
	return r;
}

int
tb_cms_countersign(const unsigned char *cms_der, size_t cms_len, int target, X509 *cert,
    STACK_OF(X509) *chain, const tb_signer *signer, const tb_sign_request *req,
    unsigned char **der, size_t *der_len, tb_error *err)
{
	const EVP_MD *md;
	unsigned char h[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX], *attrs = NULL;
	size_t h_len = 0, attrs_len = 0, sig_len = sizeof(sig);
	int md_nid, r;

	if (signer == NULL || signer->sign_digest == NULL || req == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	md_nid = req->md_nid == NID_undef ? NID_sha256 : req->md_nid;
	if ((r = joiner_check(cert, md_nid, &md, err)) != 0 ||
	    (r = tb_cms_counter_digest(cms_der, cms_len, target, md_nid, h, &h_len, err)) != 0 ||
	    (r = sign_here(cert, req, md_nid, md, h, h_len, 1, signer, &attrs, &attrs_len, sig,
	    &sig_len, err)) != 0)
		return r;
	r = tb_cms_counter_assemble(cms_der, cms_len, target, cert, chain, md_nid, attrs,
	    attrs_len, sig, sig_len, der, der_len, err);
	OPENSSL_free(attrs);
	return r;
}
