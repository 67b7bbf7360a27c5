/*
 * The SignedInfo of an XML signature made through tanbad, written from its
 * parts. The signer process builds it around the reference digest the
 * front sends, as it builds CMS signed attributes around a document
 * digest, and signs it; it never parses XML. docs/XML.md "Signing through
 * tanbad".
 */
#ifndef TB_XML_SIGNED_INFO_H
#define TB_XML_SIGNED_INFO_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "tb_err.h"

/*
 * The longest reference URI: "#" and an ID of 126 characters (the signer
 * channel's slot, NUL included, is TB_SC_URI_MAX = 128).
 */
#define TB_XML_REF_URI_MAX 127

/*
 * True when uri may be a reference's URI in a SignedInfo made here: "" (the
 * whole document) or "#" and an ASCII NCName, at most TB_XML_REF_URI_MAX
 * bytes. Nothing else goes into the signed bytes: no quote, no markup.
 */
int tb_xml_ref_uri_ok(const char *uri);

/*
 * The canonical bytes (exclusive c14n, which takes nothing from where the
 * element stands in a document) of a ds:SignedInfo with one Reference
 * to uri (tb_xml_ref_uri_ok, else TB_ERR_INVALID_ARG) with the transforms
 * enveloped-signature, exclusive c14n, whose DigestValue is digest,
 * made with md_nid (NID_sha256, 384, 512; for a GOST 2015 key its own
 * Streebog, NID_id_GostR3411_2012_512 or 256, with the Kazakh URIs of
 * docs/XML.md), and the signature method of spki's key with md_nid.
 * *out is OPENSSL_malloc'd, not NUL-terminated. TB_ERR_UNSUPPORTED for
 * another key or hash; TB_ERR_INVALID_ARG for a digest that is not
 * md_nid's length.
 */
/* The length of an md_nid digest a SignedInfo made here takes; 0: not one it takes. */
size_t tb_xml_signed_info_md_len(int md_nid);

int tb_xml_signed_info(X509_PUBKEY *spki, int md_nid, const char *uri,
    const unsigned char *digest, size_t digest_len, unsigned char **out, size_t *out_len,
    tb_error *err);

/* One reference of a SignedInfo: its URI and its digest. */
typedef struct tb_xml_ref {
	const char *uri;
	const unsigned char *digest;
	size_t digest_len;
} tb_xml_ref;

/* The most references a SignedInfo made here has: WS-Security's Body and Timestamp. */
#define TB_XML_SIGNED_INFO_REFS_MAX 2

/*
 * As tb_xml_signed_info with 1 to TB_XML_SIGNED_INFO_REFS_MAX references
 * in that order (more: TB_ERR_INVALID_ARG), each with the exclusive c14n
 * transform, after the enveloped-signature one when enveloped.
 */
int tb_xml_signed_info_refs(X509_PUBKEY *spki, int md_nid, int enveloped, const tb_xml_ref *refs,
    size_t nrefs, unsigned char **out, size_t *out_len, tb_error *err);

/*
 * The SignedInfo of a WS-Security signature (not enveloped): a reference
 * to body_uri with body_digest, then one to "#" ts_id with ts_digest, the
 * digest of the Timestamp tb_wsse_timestamp made. As
 * tb_xml_signed_info_refs otherwise.
 */
int tb_wsse_signed_info(X509_PUBKEY *spki, int md_nid, const char *body_uri,
    const unsigned char *body_digest, size_t body_digest_len, const char *ts_id,
    const unsigned char *ts_digest, size_t ts_digest_len, unsigned char **out,
    size_t *out_len, tb_error *err);

/* The longest life of a WS-Security time stamp made through tanbad, in seconds. */
#define TB_WSSE_TTL_MAX 86400

/*
 * The canonical bytes (exclusive c14n) of a wsu:Timestamp with wsu:Id id (an
 * ASCII NCName, else TB_ERR_INVALID_ARG), Created at created and Expires
 * ttl seconds later (1 to TB_WSSE_TTL_MAX), as the signer builds it from
 * its own clock and the front writes it into the wsse:Security header.
 * *out is OPENSSL_malloc'd, not NUL-terminated.
 */
int tb_wsse_timestamp(const char *id, time_t created, long ttl, unsigned char **out,
    size_t *out_len, tb_error *err);

#endif
