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
#include <openssl/rand.h>

#include "tb_clock.h"
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

static xmlNodePtr
first_child_elem(xmlNodePtr n)
{
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
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
int
tb_xml_ecdsa_raw(const unsigned char *der, size_t der_len, int bits, unsigned char *out,
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

/* The signature and digest methods for cert's key with md_nid. */
static int
methods(X509 *cert, int md_nid, const tb_xml_sigmethod **meth, const tb_xml_digest **dg,
    tb_error *err)
{
	if ((*meth = tb_xml_sigmethod_for_key(X509_get_X509_PUBKEY(cert),
	    md_nid != 0 ? md_nid : NID_sha256)) == NULL ||
	    (*dg = tb_xml_digest_by_nid((*meth)->md_nid)) == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "no XML signature method for this key with this hash");
	return 0;
}

/* dg of the canonical (m) node set top without exclude, comments dropped. */
int
tb_xml_digest_of(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr exclude, const tb_xml_c14n *m,
    const tb_xml_digest *dg, unsigned char *md, unsigned int *md_len, tb_error *err)
{
	unsigned char *bytes = NULL;
	size_t bytes_len = 0;
	X509_ALGOR *da = NULL;
	int r;

	if (tb_xml_c14n_bytes(doc, top, exclude, 1, m, NULL, &bytes, &bytes_len) != 0)
		r = tb_error_set(err, TB_ERR_INTERNAL, "canonicalization failed");
	else if ((da = tb_xml_algor(dg->oid)) == NULL)
		r = tb_error_set(err, TB_ERR_NOMEM, "digest algorithm");
	else
		r = tb_sigalg_digest(da, bytes, bytes_len, md, md_len, err);
	X509_ALGOR_free(da);
	OPENSSL_free(bytes);
	return r;
}

/* base64 of v as the text of n (lines as Kalkan writes them), framed by line breaks when framed. */
int
tb_xml_set_b64(xmlNodePtr n, const unsigned char *v, size_t len, int framed, tb_error *err)
{
	xmlChar *text = b64_lines(v, len);
	int ok;

	ok = text != NULL && (!framed || xmlAddChild(n, xmlNewText((const xmlChar *)"\n")) != NULL) &&
	    xmlAddChild(n, xmlNewText(text)) != NULL &&
	    (!framed || xmlAddChild(n, xmlNewText((const xmlChar *)"\n")) != NULL);
	xmlFree(text);
	return ok ? 0 : tb_error_set(err, TB_ERR_NOMEM, "XML signature");
}

/* The DigestValue dv of the node set top without exclude. */
static int
fill_digest(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr exclude, const tb_xml_c14n *m,
    const tb_xml_digest *dg, xmlNodePtr dv, tb_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int r;

	if ((r = tb_xml_digest_of(doc, top, exclude, m, dg, md, &md_len, err)) != 0)
		return r;
	return tb_xml_set_b64(dv, md, md_len, 0, err);
}

int
tb_xml_put_value(xmlNodePtr sv, const tb_xml_sigmethod *meth, X509 *cert,
    const unsigned char *value, size_t value_len, tb_error *err)
{
	unsigned char raw[TB_SIG_MAX];
	size_t raw_len = 0;
	EVP_PKEY *pk;
	int r;

	if (!meth->ecdsa)
		return tb_xml_set_b64(sv, value, value_len, 1, err);
	if ((pk = X509_get0_pubkey(cert)) == NULL ||
	    tb_xml_ecdsa_raw(value, value_len, EVP_PKEY_get_bits(pk), raw, &raw_len) != 0)
		return tb_error_set(err, TB_ERR_CRYPTO, "ECDSA value from the signer unreadable");
	r = tb_xml_set_b64(sv, raw, raw_len, 1, err);
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

/* The SignatureValue sv: the canonical (m) SignedInfo si hashed and signed by signer. */
static int
fill_value(xmlDocPtr doc, xmlNodePtr si, const tb_xml_c14n *m, const tb_xml_sigmethod *meth,
    const tb_xml_digest *dg, X509 *cert, const tb_signer *signer, xmlNodePtr sv, tb_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], value[TB_SIG_MAX];
	unsigned int md_len = 0;
	size_t value_len = sizeof(value);
	int r;

	if ((r = tb_xml_digest_of(doc, si, NULL, m, dg, md, &md_len, err)) == 0 &&
	    (r = signer->sign_digest(signer->ctx, meth->md_nid, md, md_len, value, &value_len,
	    err)) == 0)
		r = tb_xml_put_value(sv, meth, cert, value, value_len, err);
	OPENSSL_cleanse(value, sizeof(value));
	return r;
}

/* The document as UTF-8 (OPENSSL_malloc'd). */
int
tb_xml_dump(xmlDocPtr doc, unsigned char **out, size_t *out_len, tb_error *err)
{
	xmlChar *mem = NULL;
	int size = 0;

	xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
	if (mem == NULL || size <= 0 || (*out = OPENSSL_malloc((size_t)size)) == NULL) {
		xmlFree(mem);
		return tb_error_set(err, TB_ERR_NOMEM, "XML output");
	}
	memcpy(*out, mem, (size_t)size);
	*out_len = (size_t)size;
	xmlFree(mem);
	return 0;
}

/* The document parsed as the verifier parses it, and its IDs. */
int
tb_xml_parse_for_signing(const unsigned char *in, size_t len, const tb_xml_limits *lim,
    xmlDocPtr *doc, xmlHashTablePtr *ids, tb_error *err)
{
	char detail[200], why[160];
	int r;

	if ((r = tb_xml_parse(in, len, lim, doc, detail, sizeof(detail))) != 0)
		return r == TB_ERR_NOMEM ? tb_error_set(err, r, "XML parser") :
		    tb_error_set(err, TB_ERR_INVALID_ARG, "document: %s", detail);
	if ((r = tb_xml_ids(*doc, lim, ids, why, sizeof(why))) != 0) {
		xmlFreeDoc(*doc);
		*doc = NULL;
		return tb_error_set(err, r == TB_ERR_NOMEM ? r : TB_ERR_INVALID_ARG, "document: %s",
		    why);
	}
	return 0;
}

static const tb_xml_c14n c14n = {
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315", XML_C14N_1_0, 0
};
static const tb_xml_c14n c14n_comments = {
	"http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", XML_C14N_1_0, 1
};
static const tb_xml_c14n exc_c14n = {
	"http://www.w3.org/2001/10/xml-exc-c14n#", XML_C14N_EXCLUSIVE_1_0, 0
};

int
tb_xml_sign(X509 *cert, const tb_signer *signer, const tb_xml_sign_request *req,
    unsigned char **out, size_t *out_len, tb_error *err)
{
	xmlDocPtr doc = NULL;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr root, target = NULL, sig, si, ref, tr, dv, sv, ki, xd;
	xmlNsPtr ds;
	const tb_xml_sigmethod *meth;
	const tb_xml_digest *dg;
	unsigned char *der = NULL;
	const char *refuri;
	int r = TB_ERR_INTERNAL, der_len;

	if (cert == NULL || signer == NULL || req == NULL || req->input == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "XML signing without its parts");
		goto out;
	}
	refuri = req->reference != NULL ? req->reference : "";
	if ((r = methods(cert, req->md_nid, &meth, &dg, err)) != 0 ||
	    (r = tb_xml_parse_for_signing(req->input, req->input_len, NULL, &doc, &ids,
	    err)) != 0)
		goto out;
	if ((root = xmlDocGetRootElement(doc)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "document: no root element");
		goto out;
	}
	if (refuri[0] != '\0' && (refuri[0] != '#' ||
	    (target = xmlHashLookup(ids, (const xmlChar *)refuri + 1)) == NULL)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "reference: \"\" or \"#ID\" of an element of the document");
		goto out;
	}
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
	if ((r = fill_digest(doc, target, sig, &c14n_comments, dg, dv, err)) != 0 ||
	    (r = fill_value(doc, si, &c14n, meth, dg, cert, signer, sv, err)) != 0)
		goto out;
	if ((der_len = i2d_X509(cert, &der)) <= 0 ||
	    (r = tb_xml_set_b64(child(xd, ds, "X509Certificate", NULL), der, (size_t)der_len, 0,
	    err)) != 0 || close_line(xd) != 0 || close_line(ki) != 0)
		goto nomem;
	r = tb_xml_dump(doc, out, out_len, err);
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "XML signature");
out:
	OPENSSL_free(der);
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	return r;
}

#define SOAP11_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"

/* A fresh ID "prefix-" and 32 hex digits, not yet in ids. */
int
tb_xml_new_id(xmlHashTablePtr ids, const char *prefix, char *buf, size_t len)
{
	unsigned char rnd[16];
	size_t i, w;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	w = (size_t)snprintf(buf, len, "%s-", prefix);
	for (i = 0; i < sizeof(rnd) && w + 2 < len; i++, w += 2)
		snprintf(buf + w, len - w, "%02x", rnd[i]);
	return xmlHashLookup(ids, (const xmlChar *)buf) == NULL ? 0 : -1;
}

static xmlNodePtr
soap_child(xmlNodePtr env, const char *name)
{
	xmlNodePtr n;

	for (n = env->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns == env->ns &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

int
tb_xml_soap_parts(xmlDocPtr doc, xmlNodePtr *envp, xmlNodePtr *headerp, xmlNodePtr *bodyp,
    tb_error *err)
{
	xmlNodePtr env = xmlDocGetRootElement(doc), header, body, sec;

	if (env == NULL || strcmp((const char *)env->name, "Envelope") != 0 || env->ns == NULL ||
	    (strcmp((const char *)env->ns->href, SOAP11_NS) != 0 &&
	    strcmp((const char *)env->ns->href, SOAP12_NS) != 0) ||
	    (body = soap_child(env, "Body")) == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "document: not a SOAP 1.1 or 1.2 "
		    "Envelope with a Body");
	if ((header = soap_child(env, "Header")) == NULL) {
		if ((header = xmlNewDocNode(doc, env->ns, (const xmlChar *)"Header", NULL)) == NULL)
			return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
		if (xmlAddPrevSibling(body, header) == NULL) {
			xmlFreeNode(header);
			return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
		}
	}
	for (sec = first_child_elem(header); sec != NULL; sec = sec->next)
		if (sec->type == XML_ELEMENT_NODE && sec->ns != NULL &&
		    strcmp((const char *)sec->ns->href, TB_XML_WSSE_NS) == 0)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "document: already has a wsse "
			    "header");
	*envp = env;
	*headerp = header;
	*bodyp = body;
	return 0;
}

int
tb_xml_body_wsu(xmlDocPtr doc, xmlNodePtr body, xmlNsPtr *ns, tb_error *err)
{
	if ((*ns = xmlSearchNsByHref(doc, body, (const xmlChar *)TB_XML_WSU_NS)) != NULL &&
	    (*ns)->prefix != NULL)
		return 0;
	if (xmlSearchNs(doc, body, (const xmlChar *)"wsu") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "document: the prefix wsu is bound to "
		    "another namespace at the Body, which has no wsu:Id to sign it by");
	if ((*ns = xmlNewNs(body, (const xmlChar *)TB_XML_WSU_NS, (const xmlChar *)"wsu")) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
	return 0;
}

/* A ds:Reference to #id with exclusive c14n; its DigestValue in *dv. */
static xmlNodePtr
wsse_reference(xmlNodePtr si, xmlNsPtr ds, const char *id, const tb_xml_digest *dg,
    xmlNodePtr *dv)
{
	xmlNodePtr ref, tr;
	char uri[80];

	snprintf(uri, sizeof(uri), "#%s", id);
	if ((ref = child(si, ds, "Reference", NULL)) == NULL ||
	    xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)uri) == NULL ||
	    (tr = child(ref, ds, "Transforms", NULL)) == NULL ||
	    with_alg(tr, ds, "Transform", exc_c14n.uri) == NULL || close_line(tr) != 0 ||
	    with_alg(ref, ds, "DigestMethod", dg->uri) == NULL ||
	    (*dv = child(ref, ds, "DigestValue", NULL)) == NULL || close_line(ref) != 0)
		return NULL;
	return ref;
}

int
tb_xml_sign_wsse(X509 *cert, const tb_signer *signer, const tb_wsse_sign_request *req,
    unsigned char **out, size_t *out_len, tb_error *err)
{
	xmlDocPtr doc = NULL;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr env, body, header, sec, bst, ts, sig, si, dv_body, dv_ts, sv, ki, str, rf;
	xmlNsPtr wsse, wsu, bwsu, ds;
	const tb_xml_sigmethod *meth;
	const tb_xml_digest *dg;
	xmlChar *body_id = NULL;
	unsigned char *der = NULL;
	char bst_id[64], ts_id[64], body_new[64], uri[80], created[32], expires[32];
	time_t now;
	int r = TB_ERR_INTERNAL, der_len;

	if (cert == NULL || signer == NULL || req == NULL || req->input == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "SOAP signing without its parts");
		goto out;
	}
	if ((r = methods(cert, req->md_nid, &meth, &dg, err)) != 0 ||
	    (r = tb_xml_parse_for_signing(req->input, req->input_len, NULL, &doc, &ids,
	    err)) != 0)
		goto out;
	if ((r = tb_xml_soap_parts(doc, &env, &header, &body, err)) != 0)
		goto out;
	now = req->now != 0 ? req->now : tb_clock_now();
	tb_clock_format(now, created, sizeof(created));
	tb_clock_format(now + (req->ttl > 0 ? req->ttl : 300), expires, sizeof(expires));
	if (tb_xml_new_id(ids, "X509", bst_id, sizeof(bst_id)) != 0 ||
	    tb_xml_new_id(ids, "TS", ts_id, sizeof(ts_id)) != 0 ||
	    tb_xml_new_id(ids, "id", body_new, sizeof(body_new)) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "no fresh ID");
		goto out;
	}
	/* The Body's wsu:Id, made when it has none. */
	if ((body_id = xmlGetNsProp(body, (const xmlChar *)"Id", (const xmlChar *)TB_XML_WSU_NS)) == NULL) {
		if ((r = tb_xml_body_wsu(doc, body, &bwsu, err)) != 0)
			goto out;
		if (xmlSetNsProp(body, bwsu, (const xmlChar *)"Id", (const xmlChar *)body_new) == NULL ||
		    (body_id = xmlStrdup((const xmlChar *)body_new)) == NULL)
			goto nomem;
	}
	/* wsse:Security: the token, the time stamp, the signature */
	if ((sec = xmlNewChild(header, NULL, (const xmlChar *)"Security", NULL)) == NULL ||
	    (wsse = xmlNewNs(sec, (const xmlChar *)TB_XML_WSSE_NS, (const xmlChar *)"wsse")) == NULL ||
	    (wsu = xmlNewNs(sec, (const xmlChar *)TB_XML_WSU_NS, (const xmlChar *)"wsu")) == NULL)
		goto nomem;
	xmlSetNs(sec, wsse);
	if (xmlSetNsProp(sec, env->ns, (const xmlChar *)"mustUnderstand", (const xmlChar *)"1") == NULL ||
	    (bst = xmlNewChild(sec, wsse, (const xmlChar *)"BinarySecurityToken", NULL)) == NULL ||
	    xmlNewProp(bst, (const xmlChar *)"EncodingType", (const xmlChar *)TB_XML_B64BIN) == NULL ||
	    xmlNewProp(bst, (const xmlChar *)"ValueType", (const xmlChar *)TB_XML_X509V3) == NULL ||
	    xmlSetNsProp(bst, wsu, (const xmlChar *)"Id", (const xmlChar *)bst_id) == NULL ||
	    (der_len = i2d_X509(cert, &der)) <= 0 ||
	    tb_xml_set_b64(bst, der, (size_t)der_len, 0, err) != 0 ||
	    (ts = xmlNewChild(sec, wsu, (const xmlChar *)"Timestamp", NULL)) == NULL ||
	    xmlSetNsProp(ts, wsu, (const xmlChar *)"Id", (const xmlChar *)ts_id) == NULL ||
	    xmlNewTextChild(ts, wsu, (const xmlChar *)"Created", (const xmlChar *)created) == NULL ||
	    xmlNewTextChild(ts, wsu, (const xmlChar *)"Expires", (const xmlChar *)expires) == NULL ||
	    (sig = xmlNewChild(sec, NULL, (const xmlChar *)"Signature", NULL)) == NULL ||
	    (ds = xmlNewNs(sig, (const xmlChar *)TB_XML_DSIG_NS, (const xmlChar *)"ds")) == NULL)
		goto nomem;
	xmlSetNs(sig, ds);
	if ((si = child(sig, ds, "SignedInfo", NULL)) == NULL ||
	    with_alg(si, ds, "CanonicalizationMethod", exc_c14n.uri) == NULL ||
	    with_alg(si, ds, "SignatureMethod", meth->uri) == NULL ||
	    wsse_reference(si, ds, (const char *)body_id, dg, &dv_body) == NULL ||
	    wsse_reference(si, ds, ts_id, dg, &dv_ts) == NULL || close_line(si) != 0 ||
	    (sv = child(sig, ds, "SignatureValue", NULL)) == NULL ||
	    (ki = child(sig, ds, "KeyInfo", NULL)) == NULL ||
	    (str = xmlNewChild(ki, wsse, (const xmlChar *)"SecurityTokenReference", NULL)) == NULL ||
	    (rf = xmlNewChild(str, wsse, (const xmlChar *)"Reference", NULL)) == NULL ||
	    close_line(sig) != 0)
		goto nomem;
	snprintf(uri, sizeof(uri), "#%s", bst_id);
	if (xmlNewProp(rf, (const xmlChar *)"URI", (const xmlChar *)uri) == NULL ||
	    xmlNewProp(rf, (const xmlChar *)"ValueType", (const xmlChar *)TB_XML_X509V3) == NULL)
		goto nomem;
	if ((r = fill_digest(doc, body, NULL, &exc_c14n, dg, dv_body, err)) != 0 ||
	    (r = fill_digest(doc, ts, NULL, &exc_c14n, dg, dv_ts, err)) != 0 ||
	    (r = fill_value(doc, si, &exc_c14n, meth, dg, cert, signer, sv, err)) != 0)
		goto out;
	r = tb_xml_dump(doc, out, out_len, err);
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
out:
	xmlFree(body_id);
	OPENSSL_free(der);
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	return r;
}
