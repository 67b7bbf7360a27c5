/*
 * CAdES-BES signing: builds the CMS SignedData around a signature value
 * that the tb_signer makes. This file never sees a private key: OpenSSL is
 * given only the certificate's public key, and the one private-key
 * operation is a call to signer->sign_digest over the signed attributes.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "cms_sign.h"
#include "cms_sign_int.h"

int
tb_cms_key_check(X509 *cert, tb_error *err)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	if (pub == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO,
		    "signer certificate has no usable public key");
	/* EVP_PKEY_is_a("RSA") is false for RSA-PSS keys, which we refuse. */
	if (EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_is_a(pub, "EC"))
		return 0;
	return tb_error_set(err, TB_ERR_UNSUPPORTED,
	    "signer key type %s is not supported (RSA or ECDSA only)",
	    EVP_PKEY_get0_type_name(pub) ? EVP_PKEY_get0_type_name(pub) : "unknown");
}

/* Checks the shape of a request before any work is done. */
static int
check_request(const tb_sign_request *req, int md_nid, tb_error *err)
{
	int md_len;

	if (tb_cms_md_name(md_nid) == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "digest algorithm %s is not allowed (sha256, sha384 or sha512)",
		    OBJ_nid2sn(md_nid) ? OBJ_nid2sn(md_nid) : "unknown");
	if (req->digest != NULL) {
		if (req->data != NULL || req->data_len != 0)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "both document and digest given");
		/* The content is not here to be carried: only a detached signature fits. */
		if (!req->detached)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "an attached signature needs the document, not its digest");
		md_len = EVP_MD_get_size(EVP_get_digestbynid(md_nid));
		if (md_len <= 0 || req->digest_len != (size_t)md_len)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "digest is %zu bytes, %s needs %d", req->digest_len,
			    tb_cms_md_name(md_nid), md_len);
		return 0;
	}
	/* An empty document is legitimate, a missing one is a caller's bug. */
	if (req->data == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "neither document nor digest given");
	if (req->digest_len != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest length without a digest");
	if (!req->detached && req->data_len > INT_MAX)
		return tb_error_set(err, TB_ERR_TOO_LARGE,
		    "document of %zu bytes is too large to attach", req->data_len);
	return 0;
}

/* Adds the certificates of chain that are not already in the CMS. */
static int
add_chain(CMS_ContentInfo *cms, X509 *cert, STACK_OF(X509) *chain, tb_error *err)
{
	X509 *c;
	int i, j, dup;

	for (i = 0; i < sk_X509_num(chain); i++) {
		c = sk_X509_value(chain, i);
		/* CMS_add1_cert refuses a duplicate; a repeat is harmless, so skip it. */
		dup = X509_cmp(c, cert) == 0;
		for (j = 0; !dup && j < i; j++)
			dup = X509_cmp(c, sk_X509_value(chain, j)) == 0;
		if (dup)
			continue;
		if (!CMS_add1_cert(cms, c))
			return tb_error_set_ossl(err, TB_ERR_CRYPTO,
			    "cannot add chain certificate %d", i);
	}
	return 0;
}

int
tb_cms_has_cert(CMS_ContentInfo *cms, X509 *cert)
{
	STACK_OF(X509) *have = CMS_get1_certs(cms);
	int i, found = 0;

	for (i = 0; i < sk_X509_num(have) && !found; i++)
		found = X509_cmp(cert, sk_X509_value(have, i)) == 0;
	sk_X509_pop_free(have, X509_free);
	return found;
}

int
tb_cms_add_chain_new(CMS_ContentInfo *cms, STACK_OF(X509) *chain, tb_error *err)
{
	int i;

	for (i = 0; i < sk_X509_num(chain); i++)
		if (!tb_cms_has_cert(cms, sk_X509_value(chain, i)) &&
		    !CMS_add1_cert(cms, sk_X509_value(chain, i)))
			return tb_error_set_ossl(err, TB_ERR_CRYPTO,
			    "cannot add chain certificate %d", i);
	return 0;
}

/*
 * Hashes the DER of signed attributes with md and has the signer sign the
 * hash; sig has TB_SIG_MAX bytes, *sig_len is set to the value's length.
 */
int
tb_cms_sign_attrs_der(const unsigned char *attrs, size_t attrs_len, const EVP_MD *md, int md_nid,
    const tb_signer *signer, unsigned char *sig, size_t *sig_len, tb_error *err)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int h_len = 0;
	tb_error serr;
	int r;

	*sig_len = TB_SIG_MAX;
	if (!EVP_Digest(attrs, attrs_len, h, &h_len, md, NULL))
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot hash signed attributes");
	tb_error_clear(&serr);
	if ((r = signer->sign_digest(signer->ctx, md_nid, h, h_len, sig, sig_len, &serr)) != 0) {
		/* Keep the signer's own code (token gone, PIN locked...) and reason. */
		if (r > 0 || r <= TB_ERR_LAST)
			r = TB_ERR_INTERNAL;
		return tb_error_set(err, r, "%s", serr.detail[0] ? serr.detail : tb_err_str(r));
	}
	if (*sig_len == 0 || *sig_len > TB_SIG_MAX)
		return tb_error_set(err, TB_ERR_INTERNAL,
		    "signer returned a signature of %zu bytes", *sig_len);
	return 0;
}

int
tb_cms_attrs_take(CMS_SignerInfo *si, const unsigned char *der, size_t der_len,
    const unsigned char *content_md, size_t content_md_len, int content_type, tb_error *err)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	const unsigned char *p = der;
	X509_ATTRIBUTE *a;
	ASN1_TYPE *v;
	int i, nid, seen_md = 0, seen_ct = 0, r = TB_ERR_INTERNAL;

	if (der_len > INT_MAX || (attrs = (STACK_OF(X509_ATTRIBUTE) *)ASN1_item_d2i(NULL, &p,
	    (long)der_len, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN))) == NULL || p != der + der_len) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "signed attributes do not decode");
		goto out;
	}
	for (i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++) {
		a = sk_X509_ATTRIBUTE_value(attrs, i);
		nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
		v = X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
		if (nid == NID_pkcs9_messageDigest) {
			if (v == NULL || v->type != V_ASN1_OCTET_STRING ||
			    (size_t)ASN1_STRING_length(v->value.octet_string) != content_md_len ||
			    memcmp(ASN1_STRING_get0_data(v->value.octet_string), content_md,
			    content_md_len) != 0) {
				r = tb_error_set(err, TB_ERR_CRYPTO,
				    "signed attributes: messageDigest is not the document's");
				goto out;
			}
			seen_md++;
		} else if (nid == NID_pkcs9_contentType) {
			if (v == NULL || v->type != V_ASN1_OBJECT ||
			    OBJ_obj2nid(v->value.object) != NID_pkcs7_data) {
				r = tb_error_set(err, TB_ERR_CRYPTO,
				    "signed attributes: contentType is not data");
				goto out;
			}
			seen_ct++;
		}
		if (!CMS_signed_add1_attr(si, a)) {
			r = tb_error_set_ossl(err, TB_ERR_NOMEM, "cannot add a signed attribute");
			goto out;
		}
	}
	if (seen_md != 1 || seen_ct != (content_type ? 1 : 0)) {
		r = tb_error_set(err, TB_ERR_CRYPTO,
		    "signed attributes: %d messageDigest and %d contentType", seen_md, seen_ct);
		goto out;
	}
	r = 0;
out:
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	return r;
}

/* Puts the document into encapContentInfo, or leaves it out (detached). */
static int
set_content(CMS_ContentInfo *cms, const tb_sign_request *req, tb_error *err)
{
	ASN1_OCTET_STRING **pos;

	if (req->detached) {
		if (!CMS_set_detached(cms, 1))
			return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot detach content");
		return 0;
	}
	if ((pos = CMS_get0_content(cms)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "CMS has no content slot");
	if (*pos == NULL && (*pos = ASN1_OCTET_STRING_new()) == NULL)
		return tb_error_set_ossl(err, TB_ERR_NOMEM, "cannot allocate content");
	if (!ASN1_OCTET_STRING_set(*pos, req->data, (int)req->data_len))
		return tb_error_set_ossl(err, TB_ERR_NOMEM, "cannot store content");
	/* As CMS_final leaves it: content present and final, not to be streamed. */
	(*pos)->flags &= ~ASN1_STRING_FLAG_CONT;
	return 0;
}

/* Checks req and cert, and gives the digest and the content digest. */
static int
prepare(X509 *cert, const tb_sign_request *req, int *md_nid, const EVP_MD **md,
    unsigned char content_md[EVP_MAX_MD_SIZE], size_t *content_md_len, tb_error *err)
{
	unsigned int n = 0;
	int r;

	*md_nid = req->md_nid == NID_undef ? NID_sha256 : req->md_nid;
	if ((r = check_request(req, *md_nid, err)) != 0 || (r = tb_cms_key_check(cert, err)) != 0)
		return r;
	if ((*md = EVP_get_digestbynid(*md_nid)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "digest %s unavailable",
		    tb_cms_md_name(*md_nid));
	if (req->digest != NULL) {
		memcpy(content_md, req->digest, req->digest_len);
		*content_md_len = req->digest_len;
		return 0;
	}
	if (!EVP_Digest(req->data, req->data_len, content_md, &n, *md, NULL))
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot hash the document");
	*content_md_len = n;
	return 0;
}

int
tb_cms_content_digest(X509 *cert, const tb_sign_request *req, unsigned char *out,
    size_t *out_len, tb_error *err)
{
	const EVP_MD *md;
	int md_nid;

	if (cert == NULL || req == NULL || out == NULL || out_len == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
	return prepare(cert, req, &md_nid, &md, out, out_len, err);
}

int
tb_cms_assemble(X509 *cert, STACK_OF(X509) *chain, const tb_sign_request *req,
    const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, tb_error *err)
{
	CMS_ContentInfo *cms = NULL;
	CMS_SignerInfo *si;
	const EVP_MD *md;
	unsigned char *out = NULL;
	int md_nid, out_len, r = TB_ERR_INTERNAL;

	if (cert == NULL || req == NULL || content_md == NULL || attrs == NULL || sig == NULL ||
	    der == NULL || der_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
		goto out;
	}
	md_nid = req->md_nid == NID_undef ? NID_sha256 : req->md_nid;
	if ((r = check_request(req, md_nid, err)) != 0 || (r = tb_cms_key_check(cert, err)) != 0)
		goto out;
	if ((md = EVP_get_digestbynid(md_nid)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "digest %s unavailable",
		    tb_cms_md_name(md_nid));
		goto out;
	}
	if (sig_len == 0 || sig_len > TB_SIG_MAX) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "signature of %zu bytes", sig_len);
		goto out;
	}
	/* An empty SignedData shell: no key, nothing signed yet. */
	if ((cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot create SignedData");
		goto out;
	}
	/*
	 * Given the public key, CMS_add1_signer sets the identifiers and the
	 * algorithms (rsaEncryption, ecdsa-with-SHAn); CMS_PARTIAL stops it
	 * before it would need the private key. It also adds the certificate.
	 * The signed attributes are the signer's, all of them.
	 */
	if ((si = CMS_add1_signer(cms, cert, X509_get0_pubkey(cert), md,
	    CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot add the signer");
		goto out;
	}
	if ((r = add_chain(cms, cert, chain, err)) != 0 ||
	    (r = tb_cms_attrs_take(si, attrs, attrs_len, content_md, content_md_len, 1,
	    err)) != 0)
		goto out;
	if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)sig_len)) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "cannot store the signature value");
		goto out;
	}
	if ((r = set_content(cms, req, err)) != 0)
		goto out;
	if ((out_len = i2d_CMS_ContentInfo(cms, &out)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot encode SignedData");
		goto out;
	}
	*der = out;
	*der_len = (size_t)out_len;
	out = NULL;
	r = 0;
out:
	OPENSSL_free(out);
	CMS_ContentInfo_free(cms);
	return r;
}

size_t
tb_cms_sign_bound(X509 *cert, STACK_OF(X509) *chain, const tb_sign_request *req)
{
	EVP_PKEY *pub = cert != NULL ? X509_get0_pubkey(cert) : NULL;
	int cert_len = cert != NULL ? i2d_X509(cert, NULL) : 0, n, i, sig;
	size_t bound;

	/*
	 * Every part of the SignedData at its largest: the content (attached);
	 * the certificates; the signer's issuer name twice more (sid and the
	 * issuerSerial of signingCertificateV2), each shorter than the whole
	 * certificate; the signature (EVP_PKEY_get_size: its maximum); and 2
	 * KiB for OIDs, algorithms, digests, signingTime and every header.
	 */
	sig = pub != NULL ? EVP_PKEY_get_size(pub) : 0;
	bound = 2048 + (size_t)(cert_len > 0 ? cert_len : 0) * 3 + (size_t)(sig > 0 ? sig : 512);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if ((n = i2d_X509(sk_X509_value(chain, i), NULL)) > 0)
			bound += (size_t)n;
	if (req != NULL && !req->detached && req->data != NULL)
		bound += req->data_len;
	return bound;
}

int
tb_cms_sign(X509 *cert, STACK_OF(X509) *chain, const tb_signer *signer,
    const tb_sign_request *req, unsigned char **der, size_t *der_len, tb_error *err)
{
	ASN1_STRING *ess = NULL;
	const EVP_MD *md;
	unsigned char content_md[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX];
	unsigned char *attrs = NULL;
	size_t content_md_len = 0, attrs_len = 0, sig_len = sizeof(sig);
	int md_nid, r = TB_ERR_INTERNAL;

	if (cert == NULL || signer == NULL || signer->sign_digest == NULL || req == NULL ||
	    der == NULL || der_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "missing argument");
		goto out;
	}
	/* OpenSSL cannot decode a Kazakh GOST key: that signer is written by hand. */
	if (tb_cms_cert_is_gost(cert))
		return tb_cms_sign_gost(cert, chain, signer, req, der, der_len, err);
	if ((r = prepare(cert, req, &md_nid, &md, content_md, &content_md_len, err)) != 0)
		goto out;
	if (req->ess_cert_v2 == NULL && (ess = tb_cms_ess_cert_v2(cert, md_nid)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "cannot make signingCertificateV2");
		goto out;
	}
	if ((r = tb_cms_signed_attrs(md_nid, content_md, content_md_len, req->signing_time,
	    ess != NULL ? ess : req->ess_cert_v2, &attrs, &attrs_len, err)) != 0 ||
	    (r = tb_cms_sign_attrs_der(attrs, attrs_len, md, md_nid, signer, sig, &sig_len, err)) != 0)
		goto out;
	r = tb_cms_assemble(cert, chain, req, content_md, content_md_len, attrs, attrs_len, sig,
	    sig_len, der, der_len, err);
out:
	OPENSSL_free(attrs);
	ASN1_STRING_free(ess);
	return r;
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The Streebog names GOST keys' digests go by, and their sizes (no EVP_MD without the engine). */
static int
streebog_nid(const char *name, size_t len, size_t *size)
{
	if (len == 11 && strncmp(name, "streebog512", 11) == 0) {
		*size = 64;
		return NID_id_GostR3411_2012_512;
	}
	if (len == 11 && strncmp(name, "streebog256", 11) == 0) {
		*size = 32;
		return NID_id_GostR3411_2012_256;
	}
	return NID_undef;
}

int
tb_digest_spec_parse(const char *spec, int *md_nid, unsigned char *digest,
    size_t digest_room, size_t *digest_len, tb_error *err)
{
	unsigned char buf[EVP_MAX_MD_SIZE];
	const char *colon, *hex;
	size_t name_len, hex_len, want = 0, i;
	const char *name;
	int nid = NID_undef, hi, lo, r = TB_ERR_INTERNAL;

	if (spec == NULL || md_nid == NULL || digest == NULL || digest_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "digest spec missing");
		goto out;
	}
	if ((colon = strchr(spec, ':')) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "digest spec has no ':' (expected sha256:<hex>)");
		goto out;
	}
	name_len = (size_t)(colon - spec);
	nid = tb_cms_md_nid(spec, name_len);
	if (nid != NID_undef)
		want = (size_t)EVP_MD_get_size(EVP_get_digestbynid(nid));
	else
		nid = streebog_nid(spec, name_len, &want);
	if (nid == NID_undef) {
		/* The name is client input: echo it only when short and printable. */
		for (i = 0; i < name_len && i < 16; i++)
			if (spec[i] < 0x21 || spec[i] > 0x7e)
				break;
		if (i == name_len && name_len > 0)
			r = tb_error_set(err, TB_ERR_INVALID_ARG,
			    "unknown digest algorithm '%.*s' (sha256, sha384 or sha512)",
			    (int)name_len, spec);
		else
			r = tb_error_set(err, TB_ERR_INVALID_ARG,
			    "unknown digest algorithm (sha256, sha384 or sha512)");
		goto out;
	}
	name = tb_cms_md_name(nid) != NULL ? tb_cms_md_name(nid) :
	    nid == NID_id_GostR3411_2012_512 ? "streebog512" : "streebog256";
	hex = colon + 1;
	hex_len = strlen(hex);
	if (hex_len != 2 * want) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "%s digest has %zu hex digits, expected %zu", name, hex_len, 2 * want);
		goto out;
	}
	if (want > digest_room || want > sizeof(buf)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "%s digest needs %zu bytes, room for %zu", name, want, digest_room);
		goto out;
	}
	for (i = 0; i < want; i++) {
		hi = hex_val(hex[2 * i]);
		lo = hex_val(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			r = tb_error_set(err, TB_ERR_INVALID_ARG,
			    "%s digest has a non-hex character at position %zu", name,
			    2 * i + (hi < 0 ? 0 : 1));
			goto out;
		}
		buf[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(digest, buf, want);
	*digest_len = want;
	*md_nid = nid;
	r = 0;
out:
	return r;
}
