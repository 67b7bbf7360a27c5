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

#include "verify.h"

/* Limits of one document; anything over them is MALFORMED, never worked through. */
#define TB_XML_MAX_DEPTH 64		/* element nesting */
#define TB_XML_MAX_NODES 200000		/* elements, attributes and text nodes */
#define TB_XML_MAX_SIGNATURES 16
#define TB_XML_MAX_REFERENCES 16	/* per signature */
#define TB_XML_MAX_TRANSFORMS 4		/* per reference */
#define TB_XML_MAX_CERTS 8		/* in one KeyInfo */

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

#endif
