/*
 * The front's half of an XML signature made through tanbad: the document
 * is parsed and digested here, the SignedInfo is built and signed by the
 * signer process around that digest (xml_signed_info.c), and the signed
 * document is written here around what it returned, once the SignedInfo
 * is checked to be the one for this digest. The form: one enveloped
 * ds:Signature at the end of the root element, exclusive c14n for
 * SignedInfo and reference (docs/XML.md "Signing through tanbad").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "xml.h"
#include "xml_int.h"
#include "xml_signed_info.h"

#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

struct tb_xml_split {
	xmlDocPtr doc;
	xmlNodePtr sig;			/* the ds:Signature appended, empty until finish */
	X509 *cert;			/* reference held */
	const tb_xml_sigmethod *meth;
	char uri[TB_XML_REF_URI_MAX + 1];	/* the reference's: "" or "#ID" */
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t digest_len;
};

void
tb_xml_split_free(tb_xml_split *s)
{
	if (s == NULL)
		return;
	xmlFreeDoc(s->doc);
	X509_free(s->cert);
	free(s);
}

int
tb_xml_split_begin(X509 *cert, int md_nid, const char *reference, const unsigned char *in,
    size_t len, const tb_xml_limits *lim, tb_xml_split **out, int *ref_md_nid,
    unsigned char *digest, size_t *digest_len,
    tb_error *err)
{
	tb_xml_split *s = NULL;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr root, target = NULL;
	xmlNsPtr ds;
	const tb_xml_digest *dg;
	unsigned int md_len = 0;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "XML signature");
	/* The hashes and keys the signer builds a SignedInfo for (xml_signed_info.c). */
	s->meth = tb_xml_sigmethod_for_key(X509_get_X509_PUBKEY(cert),
	    md_nid != 0 ? md_nid : NID_sha256);
	if (s->meth == NULL || tb_xml_signed_info_md_len(s->meth->md_nid) == 0 ||
	    (dg = tb_xml_digest_by_nid(s->meth->md_nid)) == NULL) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "XML through tanbad: an RSA or EC key "
		    "with SHA-256, 384 or 512, or a GOST 2015 key");
		goto fail;
	}
	if (reference == NULL)
		reference = "";
	if (!tb_xml_ref_uri_ok(reference)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "reference: \"\" or \"#\" and an ID (an "
		    "XML name of letters, digits, '.', '-', '_', at most %d)",
		    TB_XML_REF_URI_MAX - 1);
		goto fail;
	}
	snprintf(s->uri, sizeof(s->uri), "%s", reference);
	/* The IDs as the verifier finds them: a duplicate refuses the document. */
	if ((r = tb_xml_parse_for_signing(in, len, lim, &s->doc, &ids, err)) != 0)
		goto fail;
	if (reference[0] != '\0')
		target = xmlHashLookup(ids, (const xmlChar *)reference + 1);
	xmlHashFree(ids, NULL);
	if ((root = xmlDocGetRootElement(s->doc)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "document: no root element");
		goto fail;
	}
	if (reference[0] != '\0' && target == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "reference %s: no element with that ID",
		    reference);
		goto fail;
	}
	/* In place before the digest: the reference leaves this element out, nothing else. */
	if ((s->sig = xmlNewChild(root, NULL, (const xmlChar *)"Signature", NULL)) == NULL ||
	    (ds = xmlNewNs(s->sig, (const xmlChar *)TB_XML_DSIG_NS, (const xmlChar *)"ds")) == NULL)
		goto nomem;
	xmlSetNs(s->sig, ds);
	if ((r = tb_xml_digest_of(s->doc, target, s->sig, tb_xml_c14n_by_uri(EXC_C14N), dg,
	    s->digest, &md_len, err)) != 0)
		goto fail;
	s->digest_len = md_len;
	X509_up_ref(cert);
	s->cert = cert;
	memcpy(digest, s->digest, s->digest_len);
	*digest_len = s->digest_len;
	*ref_md_nid = s->meth->md_nid;
	*out = s;
	return 0;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "XML signature");
fail:
	tb_xml_split_free(s);
	return r;
}

int
tb_xml_split_sign_into(xmlDocPtr doc, xmlNodePtr sig, X509 *cert, const tb_xml_sigmethod *meth,
    const unsigned char *want, size_t want_len, const unsigned char *si, size_t si_len,
    const unsigned char *value, size_t value_len, tb_error *err)
{
	xmlDocPtr sidoc = NULL;
	xmlNodePtr node, sv;
	unsigned char *back = NULL;
	size_t back_len = 0;
	char why[200];
	int r;

	/* The signer's SignedInfo must be the one for this document's digests, byte for byte. */
	if (want_len != si_len || memcmp(want, si, si_len) != 0)
		return tb_error_set(err, TB_ERR_INTERNAL, "the signer's SignedInfo is not the one "
		    "for this document");
	if ((r = tb_xml_parse(si, si_len, NULL, &sidoc, why, sizeof(why))) != 0)
		return tb_error_set(err, r == TB_ERR_NOMEM ? r : TB_ERR_INTERNAL, "SignedInfo: %s",
		    why);
	/* In the signature, read back as a verifier will. */
	if ((node = xmlDocCopyNode(xmlDocGetRootElement(sidoc), doc, 1)) == NULL ||
	    xmlAddChild(sig, node) == NULL) {
		xmlFreeNode(node);
		r = tb_error_set(err, TB_ERR_NOMEM, "XML signature");
		goto out;
	}
	if (tb_xml_c14n_bytes(doc, node, NULL, 1, tb_xml_c14n_by_uri(EXC_C14N), NULL, &back,
	    &back_len) != 0 || back_len != si_len || memcmp(back, si, si_len) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "SignedInfo does not canonicalize in the "
		    "document to the bytes signed");
		goto out;
	}
	if ((sv = xmlNewChild(sig, sig->ns, (const xmlChar *)"SignatureValue", NULL)) == NULL)
		r = tb_error_set(err, TB_ERR_NOMEM, "XML signature");
	else
		r = tb_xml_put_value(sv, meth, cert, value, value_len, err);
out:
	OPENSSL_free(back);
	xmlFreeDoc(sidoc);
	return r;
}

int
tb_xml_split_finish(tb_xml_split *s, const unsigned char *si, size_t si_len,
    const unsigned char *sig, size_t sig_len, unsigned char **out, size_t *out_len,
    tb_error *err)
{
	unsigned char *want = NULL, *der = NULL;
	size_t want_len = 0;
	xmlNodePtr xd;
	int r, der_len;

	if ((r = tb_xml_signed_info(X509_get_X509_PUBKEY(s->cert), s->meth->md_nid, s->uri,
	    s->digest, s->digest_len, &want, &want_len, err)) != 0 ||
	    (r = tb_xml_split_sign_into(s->doc, s->sig, s->cert, s->meth, want, want_len, si,
	    si_len, sig, sig_len, err)) != 0)
		goto out;
	if ((xd = xmlNewChild(xmlNewChild(s->sig, s->sig->ns, (const xmlChar *)"KeyInfo", NULL),
	    s->sig->ns, (const xmlChar *)"X509Data", NULL)) == NULL ||
	    (der_len = i2d_X509(s->cert, &der)) <= 0 ||
	    (r = tb_xml_set_b64(xmlNewChild(xd, s->sig->ns, (const xmlChar *)"X509Certificate",
	    NULL), der, (size_t)der_len, 0, err)) != 0) {
		r = r != 0 ? r : tb_error_set(err, TB_ERR_NOMEM, "XML signature");
		goto out;
	}
	r = tb_xml_dump(s->doc, out, out_len, err);
out:
	OPENSSL_free(want);
	OPENSSL_free(der);
	return r;
}
