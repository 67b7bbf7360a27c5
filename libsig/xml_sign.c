/*
 * XMLDSig signing in the form NCALayer (Kalkan) writes: one enveloped
 * ds:Signature at the end of the root element, c14n 1.0 for SignedInfo,
 * enveloped-signature then c14n 1.0 with comments for the reference,
 * base64 in lines of 76 ended by a carriage return (serialized "&#13;"),
 * the certificate in KeyInfo/X509Data. Like tb_cms_sign it holds no key:
 * the one signature comes from the tb_signer it is handed, so a token key
 * signs through the daemon's signer. The document is parsed as the
 * verifier parses it (xml_verify.c), so tanba signs nothing it would
 * refuse to verify.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "xml.h"
#include "xml_int.h"

#define B64_LINE 76

/* base64 of v in lines of B64_LINE ended by "\r\n" but the last, as a new string. */
static xmlChar *
b64_lines(const unsigned char *v, size_t len)
{
	size_t n, i, w = 0;
	unsigned char *flat;
	xmlChar *out;

	if (len > 1024 * 1024 || (flat = OPENSSL_malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock(flat, v, (int)len);
	if ((out = xmlMalloc(n + 2 * (n / B64_LINE) + 1)) == NULL) {
		OPENSSL_free(flat);
		return NULL;
	}
	for (i = 0; i < n; i += B64_LINE) {
		size_t k = n - i < B64_LINE ? n - i : B64_LINE;

		memcpy(out + w, flat + i, k);
		w += k;
		if (i + k < n) {
			out[w++] = '\r';
			out[w++] = '\n';
		}
	}
	out[w] = '\0';
	OPENSSL_free(flat);
	return out;
}

/* A ds: child of parent, after a line break as Kalkan writes, with text (may be NULL). */
static xmlNodePtr
child(xmlNodePtr parent, xmlNsPtr ds, const char *name, const xmlChar *text)
{
	xmlNodePtr n;

	if (xmlAddChild(parent, xmlNewText((const xmlChar *)"\n")) == NULL ||
	    (n = xmlNewChild(parent, ds, (const xmlChar *)name, NULL)) == NULL)
		return NULL;
	if (text != NULL && xmlAddChild(n, xmlNewText(text)) == NULL)
		return NULL;
	return n;
}

static int
close_line(xmlNodePtr parent)
{
	return xmlAddChild(parent, xmlNewText((const xmlChar *)"\n")) != NULL ? 0 : -1;
}

static xmlNodePtr
with_alg(xmlNodePtr parent, xmlNsPtr ds, const char *name, const char *uri)
{
	xmlNodePtr n = child(parent, ds, name, NULL);

	if (n == NULL || xmlNewProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)uri) == NULL)
		return NULL;
	return n;
}

/* A DER ECDSA-Sig-Value as XML's r || s, each of the key's field size. */
static int
ecdsa_raw(const unsigned char *der, size_t der_len, int bits, unsigned char *out,
    size_t *out_len)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	size_t half = ((size_t)bits + 7) / 8;
	int ok;

	if (es == NULL || half * 2 > TB_SIG_MAX) {
		ECDSA_SIG_free(es);
		return -1;
	}
	ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)half) == (int)half &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), out + half, (int)half) == (int)half;
	ECDSA_SIG_free(es);
	*out_len = half * 2;
	return ok ? 0 : -1;
}

int
tb_xml_sign(X509 *cert, const tb_signer *signer, const tb_xml_sign_request *req,
    unsigned char **out, size_t *out_len, tb_error *err)
{
	static const tb_xml_c14n c14n = {
		"http://www.w3.org/TR/2001/REC-xml-c14n-20010315", XML_C14N_1_0, 0
	};
	static const tb_xml_c14n c14n_comments = {
		"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", XML_C14N_1_0, 1
	};
	xmlDocPtr doc = NULL;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr root, target, sig, si, ref, tr, dv, sv, ki, xd;
	xmlNsPtr ds;
	const tb_xml_sigmethod *meth;
	const tb_xml_digest *dg;
	X509_ALGOR *da = NULL;
	unsigned char *bytes = NULL, *der = NULL, md[EVP_MAX_MD_SIZE], value[TB_SIG_MAX];
	unsigned char raw[TB_SIG_MAX];
	unsigned int md_len = 0;
	size_t bytes_len = 0, value_len = sizeof(value), raw_len = 0;
	xmlChar *text = NULL, *mem = NULL;
	const char *refuri, *why = NULL;
	char detail[200];
	int r = TB_ERR_INTERNAL, der_len, size = 0, md_nid;

	if (cert == NULL || signer == NULL || req == NULL || req->input == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "XML signing without its parts");
		goto out;
	}
	md_nid = req->md_nid != 0 ? req->md_nid : NID_sha256;
	refuri = req->reference != NULL ? req->reference : "";
	if ((meth = tb_xml_sigmethod_for_key(X509_get_X509_PUBKEY(cert), md_nid)) == NULL ||
	    (dg = tb_xml_digest_by_nid(meth->md_nid)) == NULL) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "no XML signature method for this key with this hash");
		goto out;
	}
	if ((r = tb_xml_parse(req->input, req->input_len, &doc, detail, sizeof(detail))) != 0) {
		r = r == TB_ERR_NOMEM ? tb_error_set(err, r, "XML parser") :
		    tb_error_set(err, TB_ERR_INVALID_ARG, "document: %s", detail);
		goto out;
	}
	if ((r = tb_xml_ids(doc, &ids, &why)) != 0) {
		r = tb_error_set(err, r == TB_ERR_NOMEM ? r : TB_ERR_INVALID_ARG, "document: %s", why);
		goto out;
	}
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "document: no root element");
		goto out;
	}
	if (refuri[0] == '\0')
		target = NULL;
	else if (refuri[0] != '#' || (target = xmlHashLookup(ids, (const xmlChar *)refuri + 1)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "reference: \"\" or \"#ID\" of an element of the document");
		goto out;
	}
	r = TB_ERR_NOMEM;
	/* The signature, its digest and value still empty. */
	if ((sig = xmlNewChild(root, NULL, (const xmlChar *)"Signature", NULL)) == NULL ||
	    (ds = xmlNewNs(sig, (const xmlChar *)TB_XML_DSIG_NS, (const xmlChar *)"ds")) == NULL)
		goto nomem;
	xmlSetNs(sig, ds);
	if ((si = child(sig, ds, "SignedInfo", NULL)) == NULL ||
	    with_alg(si, ds, "CanonicalizationMethod", c14n.uri) == NULL ||
	    with_alg(si, ds, "SignatureMethod", meth->uri) == NULL ||
	    (ref = child(si, ds, "Reference", NULL)) == NULL ||
	    xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)refuri) == NULL ||
	    (tr = child(ref, ds, "Transforms", NULL)) == NULL ||
	    with_alg(tr, ds, "Transform", TB_XML_ENVELOPED) == NULL ||
	    with_alg(tr, ds, "Transform", c14n_comments.uri) == NULL || close_line(tr) != 0 ||
	    with_alg(ref, ds, "DigestMethod", dg->uri) == NULL ||
	    (dv = child(ref, ds, "DigestValue", NULL)) == NULL || close_line(ref) != 0 ||
	    close_line(si) != 0 ||
	    (sv = child(sig, ds, "SignatureValue", NULL)) == NULL ||
	    (ki = child(sig, ds, "KeyInfo", NULL)) == NULL ||
	    (xd = child(ki, ds, "X509Data", NULL)) == NULL || close_line(sig) != 0)
		goto nomem;
	/* The reference: the node set without this signature, comments dropped. */
	if (tb_xml_c14n_bytes(doc, target, sig, 1, &c14n_comments, NULL, &bytes, &bytes_len) != 0 ||
	    (da = tb_xml_algor(dg->oid)) == NULL ||
	    (r = tb_sigalg_digest(da, bytes, bytes_len, md, &md_len, err)) != 0)
		goto fail;
	if ((text = b64_lines(md, md_len)) == NULL || xmlAddChild(dv, xmlNewText(text)) == NULL)
		goto nomem;
	xmlFree(text);
	text = NULL;
	OPENSSL_free(bytes);
	bytes = NULL;
	X509_ALGOR_free(da);
	da = NULL;
	/* SignedInfo, canonical, hashed and signed by the signer. */
	if (tb_xml_c14n_bytes(doc, si, NULL, 1, &c14n, NULL, &bytes, &bytes_len) != 0 ||
	    (da = tb_xml_algor(dg->oid)) == NULL ||
	    (r = tb_sigalg_digest(da, bytes, bytes_len, md, &md_len, err)) != 0)
		goto fail;
	if ((r = signer->sign_digest(signer->ctx, meth->md_nid, md, md_len, value, &value_len,
	    err)) != 0)
		goto out;
	if (meth->ecdsa) {
		EVP_PKEY *pk = X509_get0_pubkey(cert);

		if (pk == NULL || ecdsa_raw(value, value_len, EVP_PKEY_get_bits(pk), raw,
		    &raw_len) != 0) {
			r = tb_error_set(err, TB_ERR_CRYPTO, "ECDSA value from the signer unreadable");
			goto out;
		}
		memcpy(value, raw, raw_len);
		value_len = raw_len;
	}
	if ((text = b64_lines(value, value_len)) == NULL ||
	    xmlAddChild(sv, xmlNewText((const xmlChar *)"\n")) == NULL ||
	    xmlAddChild(sv, xmlNewText(text)) == NULL ||
	    xmlAddChild(sv, xmlNewText((const xmlChar *)"\n")) == NULL)
		goto nomem;
	xmlFree(text);
	text = NULL;
	if ((der_len = i2d_X509(cert, &der)) <= 0 || (text = b64_lines(der, (size_t)der_len)) == NULL ||
	    child(xd, ds, "X509Certificate", text) == NULL || close_line(xd) != 0 ||
	    close_line(ki) != 0)
		goto nomem;
	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0 || (*out = OPENSSL_malloc((size_t)size)) == NULL)
		goto nomem;
	memcpy(*out, mem, (size_t)size);
	*out_len = (size_t)size;
	r = 0;
	goto out;
fail:
	if (r == 0 || r == TB_ERR_NOMEM)
		r = tb_error_set(err, TB_ERR_INTERNAL, "canonicalization failed");
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "XML signature");
out:
	OPENSSL_cleanse(value, sizeof(value));
	OPENSSL_cleanse(raw, sizeof(raw));
	X509_ALGOR_free(da);
	OPENSSL_free(bytes);
	OPENSSL_free(der);
	xmlFree(text);
	xmlFree(mem);
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	return r;
}
