/*
 * Internal to libsig's XML part: the algorithm URI table (xml_alg.c) that
 * verification and signing share. Callers outside libsig use xml.h.
 */
#ifndef TB_XML_INT_H
#define TB_XML_INT_H

#include <stddef.h>

#include <libxml/c14n.h>
#include <libxml/hash.h>
#include <openssl/x509.h>

#include "tb_err.h"
#include "xml_limits.h"

typedef struct tb_xml_digest {
	const char *uri;
	const char *name;
	const char *oid;	/* for tb_sigalg_digest */
	int weak;		/* SHA-1: only when the policy allows it */
	int md_nid;		/* the hash as a tb_signer is told it (GOST: the Russian NID) */
} tb_xml_digest;

typedef struct tb_xml_sigmethod {
	const char *uri;
	const char *sig_oid;	/* the signature AlgorithmIdentifier for tb_sigalg_verify */
	const char *digest_oid;	/* GOST: the hash named apart; NULL otherwise */
	int ecdsa;		/* value is r || s, the table wants DER */
	int weak;
	int md_nid;		/* its hash (GOST: the Russian NID, as tb_signer is told) */
	const char *key_oid;	/* GOST: the Kazakh public key OID of its row; NULL otherwise */
} tb_xml_sigmethod;

typedef struct tb_xml_c14n {
	const char *uri;
	int mode;		/* xmlC14NMode */
	int with_comments;
} tb_xml_c14n;

#define TB_XML_DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define TB_XML_ENVELOPED TB_XML_DSIG_NS "enveloped-signature"
#define TB_XML_WSSE_NS \
	"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define TB_XML_WSU_NS \
	"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define TB_XML_X509V3 \
	"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
#define TB_XML_B64BIN \
	"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"

const tb_xml_digest *tb_xml_digest_by_uri(const char *uri);
const tb_xml_sigmethod *tb_xml_sigmethod_by_uri(const char *uri);
const tb_xml_c14n *tb_xml_c14n_by_uri(const char *uri);
const tb_xml_digest *tb_xml_digest_by_nid(int md_nid);
/* The signature method for a key (RSA, EC or a Kazakh GOST row) and, but for GOST, md_nid. */
const tb_xml_sigmethod *tb_xml_sigmethod_for_key(X509_PUBKEY *spki, int md_nid);

/* A new AlgorithmIdentifier of the dotted oid, without parameters; NULL on failure. */
X509_ALGOR *tb_xml_algor(const char *oid);

/*
 * Decodes base64 text, skipping XML whitespace (Kalkan's &#13; line breaks
 * included) into *out (OPENSSL_malloc'd, the caller's). -1 when not base64.
 */
int tb_xml_b64_decode(const char *text, unsigned char **out, size_t *out_len);

/*
 * Parses an XML document as tanba takes it: no DOCTYPE, no network, no
 * entity substitution, no XInclude, and no more attributes to an element
 * than lim allows (NULL: the defaults), counted before the parser runs
 * (tb_xml_scan). 0 with *doc (xmlFreeDoc it); -1 with why for a document
 * refused; TB_ERR_NOMEM.
 */
int tb_xml_parse(const unsigned char *in, size_t len, const tb_xml_limits *lim,
    xmlDocPtr *doc, char *why, size_t why_len);

/*
 * The bytes of a document before it is parsed (xml_scan.c): -1 with why
 * when a start tag has more attributes than lim->max_attributes or elements
 * and attributes pass lim->max_nodes (lim with its defaults filled in).
 */
int tb_xml_scan(const unsigned char *in, size_t len, const tb_xml_limits *lim, char *why,
    size_t why_len);

/*
 * libxml2 reports its errors through a handler of each thread
 * (xmlSetStructuredErrorFunc: thread-local in 2.9). tanba's never prints:
 * tb_xml_errors_keep(buf) keeps the first message from then on in buf
 * (TB_XML_ERR_LEN bytes, emptied), tb_xml_errors_keep(NULL) drops them.
 */
#define TB_XML_ERR_LEN 120
void tb_xml_errors_keep(char *buf);
/*
 * While pctx (an xmlParserCtxtPtr) parses: its first fatal error ends the
 * parse, its message kept in buf (TB_XML_ERR_LEN bytes, emptied).
 */
void tb_xml_errors_stop(void *pctx, char *buf);

/*
 * Every ID value of doc (Id, ID, id, wsu:Id, xml:id) to its element, in a
 * new table (xmlHashFree(ids, NULL)); -1 with why when an ID repeats or a
 * limit of lim (NULL: the defaults of xml_limits.h) is passed (the reason
 * copied into why), TB_ERR_NOMEM.
 */
int tb_xml_ids(xmlDocPtr doc, const tb_xml_limits *lim, xmlHashTablePtr *ids, char *why,
    size_t why_len);

/*
 * The canonical bytes (m, with method's InclusiveNamespaces) of the subtree
 * top (NULL: the document) without the subtree exclude (NULL: none),
 * comments dropped when drop_comments. *out is OPENSSL_malloc'd.
 */
/*
 * The dg digest (RSA/EC: SHA-2; GOST: Streebog through the GOST module) of
 * the canonical (m) node set top (NULL: the document) without exclude,
 * comments dropped; md holds EVP_MAX_MD_SIZE.
 */
int tb_xml_digest_of(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr exclude, const tb_xml_c14n *m,
    const tb_xml_digest *dg, unsigned char *md, unsigned int *md_len, tb_error *err);

/* A fresh ID "prefix-" and 32 hex digits into buf, not yet in ids (-1: none made). */
int tb_xml_new_id(xmlHashTablePtr ids, const char *prefix, char *buf, size_t len);

/*
 * The Envelope, Header (made before the Body when there is none) and Body
 * of a SOAP 1.1 or 1.2 document that has no wsse header yet; otherwise
 * TB_ERR_INVALID_ARG saying why.
 */
int tb_xml_soap_parts(xmlDocPtr doc, xmlNodePtr *env, xmlNodePtr *header, xmlNodePtr *body,
    tb_error *err);

/*
 * The namespace to give a SOAP Body its wsu:Id with: the utility
 * namespace's prefix in scope there, or one declared on the Body.
 * TB_ERR_INVALID_ARG when "wsu" is bound there to another namespace: a
 * declaration on the Body would move the Body's own wsu: names into the
 * utility namespace as written, after they were digested in theirs.
 */
int tb_xml_body_wsu(xmlDocPtr doc, xmlNodePtr body, xmlNsPtr *ns, tb_error *err);

/*
 * The end of a signature made through tanbad (xml_sign_split.c,
 * xml_wsse_split.c): the signer's SignedInfo si must be want (the one the
 * front built for its own digests), byte for byte; it goes into sig and
 * must canonicalize there to the same bytes; then the SignatureValue
 * (ECDSA as r || s). TB_ERR_INTERNAL when the SignedInfo is not the one.
 */
int tb_xml_split_sign_into(xmlDocPtr doc, xmlNodePtr sig, X509 *cert,
    const tb_xml_sigmethod *meth, const unsigned char *want, size_t want_len,
    const unsigned char *si, size_t si_len, const unsigned char *value, size_t value_len,
    tb_error *err);

int tb_xml_c14n_bytes(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr exclude, int drop_comments,
    const tb_xml_c14n *m, xmlNodePtr method, unsigned char **out, size_t *out_len);

/* Shared by the signing paths (xml_sign.c, xml_sign_split.c). */
/*
 * The document parsed as the verifier parses it with the limits lim (NULL:
 * the defaults), and its IDs; TB_ERR_INVALID_ARG when refused.
 */
int tb_xml_parse_for_signing(const unsigned char *in, size_t len, const tb_xml_limits *lim,
    xmlDocPtr *doc, xmlHashTablePtr *ids, tb_error *err);
/* A DER ECDSA-Sig-Value as XML's r || s, each of the key's field size (bits). */
int tb_xml_ecdsa_raw(const unsigned char *der, size_t der_len, int bits, unsigned char *out,
    size_t *out_len);
/*
 * value, as a signer returns it for cert's key (ECDSA DER, as CMS carries
 * it), written as the text of the SignatureValue sv in XML's form (ECDSA
 * r || s) and Kalkan's lines.
 */
int tb_xml_put_value(xmlNodePtr sv, const tb_xml_sigmethod *meth, X509 *cert,
    const unsigned char *value, size_t value_len, tb_error *err);
/* base64 of v as the text of n in lines as Kalkan writes them (framed: line breaks around). */
int tb_xml_set_b64(xmlNodePtr n, const unsigned char *v, size_t len, int framed, tb_error *err);
/* The document as UTF-8 (OPENSSL_malloc'd). */
int tb_xml_dump(xmlDocPtr doc, unsigned char **out, size_t *out_len, tb_error *err);

#endif
