/*
 * CAdES-BES signatures: CMS SignedData with contentType, messageDigest,
 * signingTime and signingCertificateV2 signed attributes. Never given a
 * private key: the one signature comes from the tb_signer it is handed.
 */
#ifndef TB_CMS_SIGN_H
#define TB_CMS_SIGN_H

#include <stddef.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "signer.h"
#include "tb_err.h"

typedef struct tb_sign_request {
	int md_nid;			/* NID_sha256 (also when 0), NID_sha384, NID_sha512 */
	int detached;			/* 1: content not carried in the CMS */
	const unsigned char *data;	/* the document, or NULL when digest is given */
	size_t data_len;
	const unsigned char *digest;	/* content digest made by the client (md_nid) */
	size_t digest_len;
	time_t signing_time;		/* from tb_clock_now(); goes into signingTime */
	/*
	 * The signingCertificateV2 value for this certificate and md_nid, made
	 * once by tb_cms_ess_cert_v2 and kept by the caller, or NULL: then it
	 * is made here for every signature.
	 */
	const ASN1_STRING *ess_cert_v2;
} tb_sign_request;

/* "sha256", "sha384", "sha512" for their NIDs, NULL for any other digest. */
const char *tb_cms_md_name(int md_nid);
/* The NID of one of those names (len bytes of name), NID_undef otherwise. */
int tb_cms_md_nid(const char *name, size_t len);

/*
 * The signingCertificateV2 attribute value (RFC 5035: the md_nid hash of
 * cert with its issuerSerial) that tb_cms_sign puts in the signed
 * attributes, DER in an ASN1_STRING of type V_ASN1_SEQUENCE, for callers
 * that sign many times with one certificate. NULL on failure (md_nid not
 * SHA-256/384/512, or no memory).
 */
ASN1_STRING *tb_cms_ess_cert_v2(X509 *cert, int md_nid);

/*
 * Builds a CAdES-BES SignedData for req, signed by signer with the key of
 * cert (tb_cms_signed_attrs, then tb_cms_assemble). chain (may be NULL) adds further certificates; repeats are left out.
 * Exactly one of data (an empty document is a non-NULL data with length 0)
 * and digest is given; a digest makes only a detached signature. The signer
 * is called once, with the md_nid digest of the DER signed attributes.
 * Errors: TB_ERR_INVALID_ARG for a malformed request, TB_ERR_UNSUPPORTED for
 * a digest other than SHA-256/384/512 or a key neither RSA nor EC, the
 * signer's own code when it fails, TB_ERR_CRYPTO for OpenSSL failures. The
 * signature value is not checked here: a wrong one makes a CMS that fails
 * verification. On success *der is a new buffer the caller frees with
 * OPENSSL_free; on failure *der and *der_len are left alone.
 */
int tb_cms_sign(X509 *cert, STACK_OF(X509) *chain, const tb_signer *signer,
    const tb_sign_request *req, unsigned char **der, size_t *der_len, tb_error *err);

/*
 * An upper bound of the DER length tb_cms_sign makes for req with cert and
 * chain, known before anything is signed: callers that must deliver the
 * signature refuse a request whose answer could not fit before they ask
 * for the signature.
 */
size_t tb_cms_sign_bound(X509 *cert, STACK_OF(X509) *chain, const tb_sign_request *req);

/*
 * The signed attributes of a CAdES-BES signature, DER as the signature
 * covers them (RFC 5652 5.4: a SET OF in DER order): signingCertificateV2
 * (ess_cert_v2, from tb_cms_ess_cert_v2), contentType id-data,
 * messageDigest md (md_len must be md_nid's size: TB_ERR_INVALID_ARG
 * otherwise) and signingTime. The signer process builds these itself from
 * the document digest the front sends. *der is the caller's (OPENSSL_free).
 */
int tb_cms_signed_attrs(int md_nid, const unsigned char *md, size_t md_len, time_t signing_time,
    const ASN1_STRING *ess_cert_v2, unsigned char **der, size_t *der_len, tb_error *err);

/*
 * The same attributes from a template made once per certificate and
 * digest: the DER of tb_cms_signed_attrs with the digest and the time
 * written in place, byte for byte what the encoder makes, without it.
 * tb_cms_attrs_tpl_new gives NULL when no template can be made (the
 * caller then uses tb_cms_signed_attrs). tb_cms_attrs_tpl_fill writes
 * tb_cms_attrs_tpl_len bytes into out; TB_ERR_UNSUPPORTED for a time
 * outside 1950-2049 (GeneralizedTime: use the encoder), TB_ERR_INVALID_ARG
 * for a digest of another length or too little room.
 */
typedef struct tb_cms_attrs_tpl tb_cms_attrs_tpl;
tb_cms_attrs_tpl *tb_cms_attrs_tpl_new(int md_nid, const ASN1_STRING *ess_cert_v2);
void tb_cms_attrs_tpl_free(tb_cms_attrs_tpl *t);	/* NULL is a no-op */
size_t tb_cms_attrs_tpl_len(const tb_cms_attrs_tpl *t);
int tb_cms_attrs_tpl_fill(const tb_cms_attrs_tpl *t, const unsigned char *md, size_t md_len,
    time_t signing_time, unsigned char *out, size_t room, tb_error *err);

/*
 * The digest that goes into messageDigest for req (req->digest itself, or
 * the md_nid hash of req->data), after the checks tb_cms_sign makes of
 * req and cert. out has EVP_MAX_MD_SIZE bytes.
 */
int tb_cms_content_digest(X509 *cert, const tb_sign_request *req, unsigned char *out,
    size_t *out_len, tb_error *err);

/*
 * Builds the SignedData of req around signed attributes and a signature
 * value made elsewhere (the signer process): attrs is the DER SET OF that
 * sig covers, and must hold exactly one contentType of id-data and one
 * messageDigest equal to content_md (from tb_cms_content_digest), else
 * TB_ERR_CRYPTO. req->signing_time and req->ess_cert_v2 are not used: the
 * attributes carry their own. Output as tb_cms_sign.
 */
int tb_cms_assemble(X509 *cert, STACK_OF(X509) *chain, const tb_sign_request *req,
    const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, tb_error *err);

/*
 * tb_cms_sign for a certificate with a Kazakh GOST 2015 key
 * (cms_gost_sign.c; tb_cms_sign hands such a certificate over by itself):
 * the Kazakh hash and signature OIDs, Streebog messageDigest, a
 * signingCertificateV2 with the Streebog certHash. md_nid and ess_cert_v2
 * are ignored; a digest must be the row's Streebog (64 bytes for
 * GOST 2015-512). The signer gets the Streebog of the signed attributes
 * and returns the value in the NCA's byte order (gost_key.h).
 */
int tb_cms_sign_gost(X509 *cert, STACK_OF(X509) *chain, const tb_signer *signer,
    const tb_sign_request *req, unsigned char **der, size_t *der_len, tb_error *err);
/*
 * The split of tb_cms_sign_gost between the front and the signer process
 * (daemon/signer/filekey.c), as tb_cms_content_digest, tb_cms_signed_attrs and
 * tb_cms_assemble split tb_cms_sign. tb_cms_gost_content_digest: the
 * document's Streebog for cert's row (req->digest of that length, or the
 * hash of req->data; out has EVP_MAX_MD_SIZE bytes).
 * tb_cms_gost_ess_attr: cert's signingCertificateV2 attribute (its
 * Streebog certHash and IssuerSerial), DER, *der new (OPENSSL_free): the
 * same for every signature with the key, so the signer and the front make
 * it once per key and hand it in as ess (NULL: built per call).
 * tb_cms_gost_signed_attrs: the DER SET the signature covers (md must have
 * the row's length: TB_ERR_INVALID_ARG otherwise); *der is new.
 * tb_cms_gost_assemble: the SignedData around attrs and the NCA-order value
 * sig; attrs must be byte for byte what tb_cms_gost_signed_attrs makes for
 * cert, content_md and req->signing_time (the signer's time), else
 * TB_ERR_CRYPTO. Output as tb_cms_sign.
 */
int tb_cms_gost_content_digest(X509 *cert, const tb_sign_request *req, unsigned char *out,
    size_t *out_len, tb_error *err);
int tb_cms_gost_ess_attr(X509 *cert, unsigned char **der, size_t *der_len, tb_error *err);
int tb_cms_gost_signed_attrs(X509 *cert, const unsigned char *ess, size_t ess_len,
    const unsigned char *md, size_t md_len, time_t signing_time, unsigned char **der,
    size_t *der_len, tb_error *err);
int tb_cms_gost_assemble(X509 *cert, STACK_OF(X509) *chain, const unsigned char *ess,
    size_t ess_len, const tb_sign_request *req,
    const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, tb_error *err);
/*
 * Co-signing: adds a SignerInfo for cert (RSA or EC) to the SignedData in
 * cms_der, attached or detached, and leaves the existing SignerInfos, the
 * content and the certificates already there as they were (the DER of a
 * DER input re-encodes to the same bytes). An attached CMS is hashed from
 * its own content (req->data and req->digest must be NULL); a detached one
 * needs req->data or req->digest. req->detached is ignored. Certificates of
 * chain not yet carried are added. TB_ERR_MALFORMED for input that is not a
 * SignedData, TB_ERR_UNSUPPORTED for a GOST co-signer (tanbad's signer
 * process co-signs with GOST file keys: tb_cms_cosign_gost_assemble);
 * the content checks of tb_cms_cosign_digest.
 * *der is new (OPENSSL_free).
 */
int tb_cms_add_signer(const unsigned char *cms_der, size_t cms_len, X509 *cert,
    STACK_OF(X509) *chain, const tb_signer *signer, const tb_sign_request *req,
    unsigned char **der, size_t *der_len, tb_error *err);
/*
 * Counter-signature (RFC 5652 11.4): cert (RSA or EC) signs the signature
 * value of SignerInfo number target (0-based, in the CMS's order); the new
 * SignerInfo, whose signed attributes are messageDigest, signingTime and
 * signingCertificateV2 but no contentType, becomes a countersignature
 * unsigned attribute of the target. The target's signed part and every
 * other SignerInfo are left as they were. *der is new (OPENSSL_free).
 */
int tb_cms_countersign(const unsigned char *cms_der, size_t cms_len, int target, X509 *cert,
    STACK_OF(X509) *chain, const tb_signer *signer, const tb_sign_request *req,
    unsigned char **der, size_t *der_len, tb_error *err);
/*
 * The same two steps for a signer elsewhere (tanbad's signer process),
 * each parsing cms_der again. TB_CMS_SIGNERS_MAX bounds the SignerInfos a
 * CMS may have after co-signing (tb_cms_cosign_digest refuses one that has
 * them all already, TB_ERR_UNSUPPORTED) and to be counter-signed; a CMS
 * that is not DER is refused
 * (TB_ERR_UNSUPPORTED) since its signers would not keep their bytes.
 *
 * tb_cms_cosign_digest: the content digest (req->md_nid) a new signer of
 * cms_der signs, into out (EVP_MAX_MD_SIZE bytes), and whether the CMS
 * carries the content (*attached: then req gives neither data nor digest;
 * detached: exactly one of them). The existing signers' messageDigest must
 * be that content's: a signer whose digest can be made here and differs is
 * TB_ERR_INVALID_ARG naming it; for a detached CMS at least one signer must
 * have been checked (a digest checks only the signers of its algorithm).
 *
 * tb_cms_cosign_assemble: adds the SignerInfo of cert around attrs (with
 * contentType id-data and messageDigest content_md) and sig, and the
 * certificates of cert and chain the CMS lacks. Every SignerInfo already
 * there is compared byte for byte with its place in *der (TB_ERR_INTERNAL
 * if one differs). *index (may be NULL) is the new SignerInfo's number in
 * *der (DER sorts the SET OF, so not always the last).
 */
#define TB_CMS_SIGNERS_MAX 64
int tb_cms_cosign_digest(const unsigned char *cms_der, size_t cms_len,
    const tb_sign_request *req, int *attached, unsigned char *out, size_t *out_len,
    tb_error *err);
int tb_cms_cosign_assemble(const unsigned char *cms_der, size_t cms_len, X509 *cert,
    STACK_OF(X509) *chain, int md_nid, const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    unsigned char **der, size_t *der_len, int *index, tb_error *err);
/*
 * tb_cms_cosign_gost_assemble: the same for a GOST cert (md_nid its
 * Streebog, content_md that digest of the content): the SignerInfo is the
 * GOST writer's (tb_cms_gost_assemble's checks of attrs at signing_time;
 * ess as there).
 */
int tb_cms_cosign_gost_assemble(const unsigned char *cms_der, size_t cms_len, X509 *cert,
    STACK_OF(X509) *chain, const unsigned char *ess, size_t ess_len,
    const unsigned char *content_md, size_t content_md_len,
    const unsigned char *attrs, size_t attrs_len, const unsigned char *sig, size_t sig_len,
    time_t signing_time, unsigned char **der, size_t *der_len, int *index, tb_error *err);
/*
 * Counter-signing in two steps: tb_cms_counter_digest gives the md_nid
 * hash of SignerInfo target's signature value (TB_ERR_INVALID_ARG for a
 * target the CMS does not have), which becomes the messageDigest of
 * tb_cms_counter_attrs (tb_cms_signed_attrs without contentType);
 * tb_cms_counter_assemble checks attrs against that hash again and puts
 * the SignerInfo of cert, attrs and sig into the target's unsigned
 * attributes; the other SignerInfos keep their bytes (compared).
 */
int tb_cms_counter_digest(const unsigned char *cms_der, size_t cms_len, int target, int md_nid,
    unsigned char *out, size_t *out_len, tb_error *err);
int tb_cms_counter_attrs(int md_nid, const unsigned char *md, size_t md_len,
    time_t signing_time, const ASN1_STRING *ess_cert_v2, unsigned char **der,
    size_t *der_len, tb_error *err);
int tb_cms_counter_assemble(const unsigned char *cms_der, size_t cms_len, int target,
    X509 *cert, STACK_OF(X509) *chain, int md_nid, const unsigned char *attrs,
    size_t attrs_len, const unsigned char *sig, size_t sig_len, unsigned char **der,
    size_t *der_len, tb_error *err);
/* 1 when cert's key is in the Kazakh GOST arc (1.2.398.3.10.1). */
int tb_cms_cert_is_gost(X509 *cert);

/*
 * Parses "sha256:<hex>" (also sha384, sha512, and streebog512, streebog256
 * for GOST keys: NID_id_GostR3411_2012_512/_256; lower-case names, hex in
 * either case, exactly the digest's length) into md_nid and digest, which
 * has digest_room bytes. Anything else is TB_ERR_INVALID_ARG with a detail
 * saying what is wrong; out-parameters are written only on success.
 */
int tb_digest_spec_parse(const char *spec, int *md_nid, unsigned char *digest,
    size_t digest_room, size_t *digest_len, tb_error *err);

#endif
