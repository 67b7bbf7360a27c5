/*
 * The front's half of a WS-Security signature made through tanbad, as
 * xml_sign_split.c is for an enveloped one: the SOAP envelope is parsed
 * here, its Body digested (exclusive c14n) and given a wsu:Id when it has
 * none, a wsse:Security header begun with the certificate's
 * BinarySecurityToken. The signer process makes the wsu:Timestamp from
 * its own clock, digests it, builds the SignedInfo over Body and
 * Timestamp and signs it (xml_signed_info.c); finish writes that same
 * Timestamp from the signing time it returned, checks the SignedInfo is
 * the one for both digests and puts the signature after it
 * (docs/XML.md "WS-Security through tanbad").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tb_clock.h"
#include "xml.h"
#include "xml_int.h"
#include "xml_signed_info.h"

#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

struct tb_wsse_split {
	xmlDocPtr doc;
	xmlNodePtr sec;			/* wsse:Security: the token; Timestamp and Signature at finish */
	xmlNsPtr wsse, wsu;
	X509 *cert;			/* reference held */
	const tb_xml_sigmethod *meth;
	const tb_xml_digest *dg;
	long ttl;
	char body_uri[TB_XML_REF_URI_MAX + 1], ts_id[64], bst_id[64];
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t digest_len;
};

void
tb_wsse_split_free(tb_wsse_split *s)
{
	if (s == NULL)
		return;
	xmlFreeDoc(s->doc);
	X509_free(s->cert);
	free(s);
}

/* The Body's wsu:Id as a reference URI into s->body_uri, made when it has none. */
static int
body_id(tb_wsse_split *s, xmlHashTablePtr ids, xmlNodePtr body, tb_error *err)
{
	xmlChar *id = xmlGetNsProp(body, (const xmlChar *)"Id", (const xmlChar *)TB_XML_WSU_NS);
	char fresh[64];
	xmlNsPtr ns;
	int r;

	if (id != NULL) {
		snprintf(s->body_uri, sizeof(s->body_uri), "#%s", (const char *)id);
		if (strlen((const char *)id) + 1 >= sizeof(s->body_uri) ||
		    !tb_xml_ref_uri_ok(s->body_uri)) {
			xmlFree(id);
			return tb_error_set(err, TB_ERR_INVALID_ARG, "document: the Body's wsu:Id is "
			    "not an XML name of letters, digits, '.', '-', '_' (at most %d)",
			    TB_XML_REF_URI_MAX - 1);
		}
		xmlFree(id);
		return 0;
	}
	if (tb_xml_new_id(ids, "id", fresh, sizeof(fresh)) != 0)
		return tb_error_set(err, TB_ERR_INTERNAL, "no fresh ID");
	if ((r = tb_xml_body_wsu(s->doc, body, &ns, err)) != 0)
		return r;
	if (xmlSetNsProp(body, ns, (const xmlChar *)"Id", (const xmlChar *)fresh) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
	snprintf(s->body_uri, sizeof(s->body_uri), "#%s", fresh);
	return 0;
}

/* wsse:Security in header with the certificate's BinarySecurityToken. */
static int
security_begin(tb_wsse_split *s, xmlNodePtr env, xmlNodePtr header, tb_error *err)
{
	unsigned char *der = NULL;
	xmlNodePtr bst;
	int der_len, r;

	if ((s->sec = xmlNewChild(header, NULL, (const xmlChar *)"Security", NULL)) == NULL ||
	    (s->wsse = xmlNewNs(s->sec, (const xmlChar *)TB_XML_WSSE_NS,
	    (const xmlChar *)"wsse")) == NULL ||
	    (s->wsu = xmlNewNs(s->sec, (const xmlChar *)TB_XML_WSU_NS,
	    (const xmlChar *)"wsu")) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
	xmlSetNs(s->sec, s->wsse);
	if (xmlSetNsProp(s->sec, env->ns, (const xmlChar *)"mustUnderstand",
	    (const xmlChar *)"1") == NULL ||
	    (bst = xmlNewChild(s->sec, s->wsse, (const xmlChar *)"BinarySecurityToken",
	    NULL)) == NULL ||
	    xmlNewProp(bst, (const xmlChar *)"EncodingType", (const xmlChar *)TB_XML_B64BIN) == NULL ||
	    xmlNewProp(bst, (const xmlChar *)"ValueType", (const xmlChar *)TB_XML_X509V3) == NULL ||
	    xmlSetNsProp(bst, s->wsu, (const xmlChar *)"Id", (const xmlChar *)s->bst_id) == NULL ||
	    (der_len = i2d_X509(s->cert, &der)) <= 0)
		return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
	r = tb_xml_set_b64(bst, der, (size_t)der_len, 0, err);
	OPENSSL_free(der);
	return r;
}

int
tb_wsse_split_begin(X509 *cert, int md_nid, long ttl, const unsigned char *in, size_t len,
    const tb_xml_limits *lim, tb_wsse_split **out, tb_wsse_split_refs *refs, tb_error *err)
{
	tb_wsse_split *s = NULL;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr env, header, body;
	unsigned int md_len = 0;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
	X509_up_ref(cert);
	s->cert = cert;
	s->ttl = ttl;
	s->meth = tb_xml_sigmethod_for_key(X509_get_X509_PUBKEY(cert),
	    md_nid != 0 ? md_nid : NID_sha256);
	if (s->meth == NULL || tb_xml_signed_info_md_len(s->meth->md_nid) == 0 ||
	    (s->dg = tb_xml_digest_by_nid(s->meth->md_nid)) == NULL) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "WS-Security through tanbad: an RSA or "
		    "EC key with SHA-256, 384 or 512, or a GOST 2015 key");
		goto fail;
	}
	if (ttl < 1 || ttl > TB_WSSE_TTL_MAX) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "ttl: %ld seconds, not 1 to %d", ttl,
		    TB_WSSE_TTL_MAX);
		goto fail;
	}
	if ((r = tb_xml_parse_for_signing(in, len, lim, &s->doc, &ids, err)) != 0 ||
	    (r = tb_xml_soap_parts(s->doc, &env, &header, &body, err)) != 0)
		goto fail;
	if (tb_xml_new_id(ids, "X509", s->bst_id, sizeof(s->bst_id)) != 0 ||
	    tb_xml_new_id(ids, "TS", s->ts_id, sizeof(s->ts_id)) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "no fresh ID");
		goto fail;
	}
	if ((r = body_id(s, ids, body, err)) != 0 ||
	    (r = security_begin(s, env, header, err)) != 0 ||
	    (r = tb_xml_digest_of(s->doc, body, NULL, tb_xml_c14n_by_uri(EXC_C14N), s->dg,
	    s->digest, &md_len, err)) != 0)
		goto fail;
	xmlHashFree(ids, NULL);
	s->digest_len = md_len;
	refs->md_nid = s->meth->md_nid;
	refs->body_uri = s->body_uri;
	refs->body_digest = s->digest;
	refs->body_digest_len = s->digest_len;
	refs->ts_id = s->ts_id;
	*out = s;
	return 0;
fail:
	xmlHashFree(ids, NULL);
	tb_wsse_split_free(s);
	return r;
}

/* The wsu:Timestamp of signing_time, after the token, and its digest. */
static int
timestamp_put(tb_wsse_split *s, time_t signing_time, unsigned char *md, unsigned int *md_len,
    tb_error *err)
{
	char created[32], expires[32];
	xmlNodePtr ts;

	tb_clock_format(signing_time, created, sizeof(created));
	tb_clock_format(signing_time + s->ttl, expires, sizeof(expires));
	if ((ts = xmlNewChild(s->sec, s->wsu, (const xmlChar *)"Timestamp", NULL)) == NULL ||
	    xmlSetNsProp(ts, s->wsu, (const xmlChar *)"Id", (const xmlChar *)s->ts_id) == NULL ||
	    xmlNewTextChild(ts, s->wsu, (const xmlChar *)"Created", (const xmlChar *)created) == NULL ||
	    xmlNewTextChild(ts, s->wsu, (const xmlChar *)"Expires", (const xmlChar *)expires) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
	/* As a verifier digests it: in place, exclusive c14n. */
	return tb_xml_digest_of(s->doc, ts, NULL, tb_xml_c14n_by_uri(EXC_C14N), s->dg, md, md_len,
	    err);
}

int
tb_wsse_split_finish(tb_wsse_split *s, time_t signing_time, const unsigned char *si,
    size_t si_len, const unsigned char *value, size_t value_len, unsigned char **out,
    size_t *out_len, tb_error *err)
{
	unsigned char ts_md[EVP_MAX_MD_SIZE], *want = NULL;
	unsigned int ts_md_len = 0;
	size_t want_len = 0;
	char ts_uri[80];
	xmlNodePtr sig, ki, str, rf;
	xmlNsPtr ds;
	int r;

	if ((r = timestamp_put(s, signing_time, ts_md, &ts_md_len, err)) != 0)
		return r;
	if ((r = tb_wsse_signed_info(X509_get_X509_PUBKEY(s->cert), s->meth->md_nid, s->body_uri,
	    s->digest, s->digest_len, s->ts_id, ts_md, ts_md_len, &want, &want_len, err)) != 0)
		goto out;
	if ((sig = xmlNewChild(s->sec, NULL, (const xmlChar *)"Signature", NULL)) == NULL ||
	    (ds = xmlNewNs(sig, (const xmlChar *)TB_XML_DSIG_NS, (const xmlChar *)"ds")) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
		goto out;
	}
	xmlSetNs(sig, ds);
	if ((r = tb_xml_split_sign_into(s->doc, sig, s->cert, s->meth, want, want_len, si, si_len,
	    value, value_len, err)) != 0)
		goto out;
	snprintf(ts_uri, sizeof(ts_uri), "#%s", s->bst_id);
	if ((ki = xmlNewChild(sig, ds, (const xmlChar *)"KeyInfo", NULL)) == NULL ||
	    (str = xmlNewChild(ki, s->wsse, (const xmlChar *)"SecurityTokenReference",
	    NULL)) == NULL ||
	    (rf = xmlNewChild(str, s->wsse, (const xmlChar *)"Reference", NULL)) == NULL ||
	    xmlNewProp(rf, (const xmlChar *)"URI", (const xmlChar *)ts_uri) == NULL ||
	    xmlNewProp(rf, (const xmlChar *)"ValueType", (const xmlChar *)TB_XML_X509V3) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "SOAP signature");
		goto out;
	}
	r = tb_xml_dump(s->doc, out, out_len, err);
out:
	OPENSSL_free(want);
	return r;
}
