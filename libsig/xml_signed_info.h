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

#include <openssl/x509.h>

#include "tb_err.h"

/*
 * The canonical bytes (exclusive c14n, which takes nothing from where the
 * element stands in a document) of a ds:SignedInfo with one Reference
 * URI="" (enveloped-signature, exclusive c14n) whose DigestValue is digest,
 * made with md_nid (NID_sha256, 384, 512), and the signature method of
 * spki's key (RSA or EC) with md_nid. *out is OPENSSL_malloc'd, not
 * NUL-terminated. TB_ERR_UNSUPPORTED for another key; TB_ERR_INVALID_ARG
 * for a digest that is not md_nid's length.
 */
int tb_xml_signed_info(X509_PUBKEY *spki, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char **out, size_t *out_len, tb_error *err);

#endif
