/*
 * XML signatures (XMLDSig, enveloped, as NCALayer and Kalkan make them):
 * verification with the same path, identity, revocation and verdicts as
 * CMS (verify.h). libxml2 parses and canonicalizes; every signature value
 * goes through the algorithm table (sigalg.h), so GOST comes from the GOST
 * module. See docs/XML.md.
 */
#ifndef TB_XML_H
#define TB_XML_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "signer.h"
#include "verify.h"

/*
 * lim with every 0 field given its default and every field held to its
 * cap (xml_limits.h): what the verifier works with.
 */
void tb_xml_limits_default(tb_xml_limits *lim);

/* 1 when input looks like an XML document (a '<' after an optional BOM and spaces). */
int tb_xml_looks_like(const unsigned char *input, size_t len);

/*
 * Verifies every ds:Signature of the XML document req->input; as
 * tb_verify_cms otherwise (a verdict for any input, MALFORMED included;
 * an error only for a wrong request). Each signer's JSON gains "verdict"
 * (its own), "references" (which node each reference covered) and the
 * signature's algorithms; the result's format is "xml". When
 * req->signed_element is set, a signature that does not cover it is not
 * VALID (signature wrapping).
 */
int tb_verify_xml(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const tb_verify_request *req, tb_verify_result **out,
    tb_error *err);

typedef struct tb_xml_sign_request {
	const unsigned char *input;	/* the XML document */
	size_t input_len;
	const char *reference;		/* "" or NULL: the whole document; "#ID": that element */
	int md_nid;			/* RSA, ECDSA: NID_sha256 (also 0), 384, 512; GOST: its own */
} tb_xml_sign_request;

/*
 * Signs req's document with an enveloped ds:Signature in the form NCALayer
 * writes (docs/XML.md "Signing"), made by signer with the key of cert:
 * RSA and ECDSA with req->md_nid, GOST 2015-512/256 and 2004 with their
 * Kazakh URIs. The signer is called once with the digest of the canonical
 * SignedInfo and md_nid the hash's NID (for GOST the Russian Streebog or
 * GOST R 34.11-94 NID), and returns the value as CMS carries it (RSA
 * PKCS#1, ECDSA DER, GOST in the NCA byte order). On success *out is the
 * signed document (OPENSSL_free). TB_ERR_INVALID_ARG for a document tanba
 * would not verify (no DOCTYPE, IDs unique) or a reference naming nothing;
 * TB_ERR_UNSUPPORTED for a key without an XML method.
 */
int tb_xml_sign(X509 *cert, const tb_signer *signer, const tb_xml_sign_request *req,
    unsigned char **out, size_t *out_len, tb_error *err);

typedef struct tb_wsse_sign_request {
	const unsigned char *input;	/* a SOAP 1.1 or 1.2 Envelope with a Body */
	size_t input_len;
	int md_nid;			/* as tb_xml_sign_request */
	long ttl;			/* seconds from Created to Expires (0: 300) */
	time_t now;			/* Created (0: tb_clock_now()) */
} tb_wsse_sign_request;

/*
 * Signs a SOAP message for the e-government gateway with WS-Security (as
 * NCANode's wsse signing does): a wsse:Security header (made, with a
 * Header when there is none) holding a BinarySecurityToken with cert, a
 * wsu:Timestamp and a ds:Signature with exclusive c14n over the Body (given
 * a wsu:Id when it has none) and the Timestamp, its KeyInfo a
 * SecurityTokenReference to the token. The signer as for tb_xml_sign.
 * TB_ERR_INVALID_ARG when the input is no Envelope with a Body or already
 * has a wsse header.
 */
int tb_xml_sign_wsse(X509 *cert, const tb_signer *signer, const tb_wsse_sign_request *req,
    unsigned char **out, size_t *out_len, tb_error *err);

/*
 * An XML signature made through tanbad, in halves: the signer process
 * builds and signs the SignedInfo (xml_signed_info.h) around the digest
 * begin gives, and never sees the document. begin parses in as tb_xml_sign
 * does (duplicate IDs refused), appends an empty ds:Signature to the root
 * and gives the reference digest (exclusive c14n of the document, or with
 * reference "#ID" of the element with that ID, without the signature)
 * made with
 * *ref_md_nid, the hash of the signature method of cert's key (RSA or EC)
 * for md_nid (0: SHA-256); digest holds EVP_MAX_MD_SIZE. finish takes the
 * SignedInfo and value the signer returned (RSA PKCS#1, ECDSA DER), checks
 * the SignedInfo is the one for that digest and canonicalizes to the same
 * bytes in the document (else TB_ERR_INTERNAL), and writes the signed
 * document to *out (OPENSSL_free). free takes NULL. lim: the document's
 * limits, as the verifier takes them from [verify] (NULL: the defaults);
 * a document over one is TB_ERR_INVALID_ARG naming the setting.
 */
typedef struct tb_xml_split tb_xml_split;
int tb_xml_split_begin(X509 *cert, int md_nid, const char *reference,
    const unsigned char *in, size_t len, const tb_xml_limits *lim, tb_xml_split **out,
    int *ref_md_nid, unsigned char *digest, size_t *digest_len, tb_error *err);
int tb_xml_split_finish(tb_xml_split *s, const unsigned char *si, size_t si_len,
    const unsigned char *sig, size_t sig_len, unsigned char **out, size_t *out_len,
    tb_error *err);
void tb_xml_split_free(tb_xml_split *s);

/*
 * A WS-Security signature made through tanbad, in halves as above
 * (xml_wsse_split.c). begin parses a SOAP 1.1 or 1.2 envelope as
 * tb_xml_sign_wsse does (no wsse header yet), gives the Body a wsu:Id when
 * it has none, begins a wsse:Security header with cert's
 * BinarySecurityToken, and says in *refs what the signer is sent: the Body's
 * URI and digest (exclusive c14n, the hash of cert's method for md_nid, 0:
 * SHA-256) and the wsu:Id the signer gives the Timestamp (pointers into the
 * split). ttl: the Timestamp's life in seconds, 1 to TB_WSSE_TTL_MAX.
 * finish writes the Timestamp the signer made (Created signing_time,
 * Expires ttl later), checks the SignedInfo si is the one for the Body's
 * and that Timestamp's digests (else TB_ERR_INTERNAL), and writes the
 * signature (value RSA PKCS#1, ECDSA DER, GOST as the signer made it)
 * with a SecurityTokenReference to the token.
 */
typedef struct tb_wsse_split tb_wsse_split;
typedef struct tb_wsse_split_refs {
	int md_nid;
	const char *body_uri;
	const unsigned char *body_digest;
	size_t body_digest_len;
	const char *ts_id;
} tb_wsse_split_refs;
int tb_wsse_split_begin(X509 *cert, int md_nid, long ttl, const unsigned char *in, size_t len,
    const tb_xml_limits *lim, tb_wsse_split **out, tb_wsse_split_refs *refs, tb_error *err);
int tb_wsse_split_finish(tb_wsse_split *s, time_t signing_time, const unsigned char *si,
    size_t si_len, const unsigned char *value, size_t value_len, unsigned char **out,
    size_t *out_len, tb_error *err);
void tb_wsse_split_free(tb_wsse_split *s);

#endif
