/*
 * Unit tests of libsig's XML parts that the shell tests reach only through
 * whole documents: base64 as Kalkan writes it, format detection, the URI
 * table, the safe parse (refusals and their reasons), the ID index, and
 * node-set canonicalization against the canonical forms of the W3C c14n
 * recommendation's examples; the [verify] xml_max_* limits on documents
 * signed by tb_xml_sign and tb_xml_sign_wsse; the halves of a signature
 * made through tanbad (the front's and the signer's).
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <check.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "trust_store.h"
#include "xml.h"
#include "xml_int.h"
#include "xml_signed_info.h"

START_TEST(test_b64_kalkan_lines)
{
	unsigned char *out = NULL;
	size_t len = 0;

	/* "Қазақстан" in UTF-8, base64 broken by carriage returns and newlines */
	ck_assert_int_eq(tb_xml_b64_decode("0prQsNC3\r\n0LDSm9GB\r\n0YLQsNC9", &out, &len), 0);
	ck_assert_uint_eq(len, 18);
	ck_assert(memcmp(out, "Қазақстан", 18) == 0);
	OPENSSL_free(out);
	ck_assert_int_eq(tb_xml_b64_decode(" QQ==\n", &out, &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(out[0], 'A');
	OPENSSL_free(out);
	ck_assert_int_eq(tb_xml_b64_decode("QUI=", &out, &len), 0);
	ck_assert_uint_eq(len, 2);
	OPENSSL_free(out);
}
END_TEST

START_TEST(test_b64_refused)
{
	static const char *const bad[] = {
		"", "Q", "QQ", "QQ=", "QQ===", "QQ=A", "QUJD=", "QU*D", "QUJDRA", "QR==",
	};
	unsigned char *out = NULL;
	size_t len = 0, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tb_xml_b64_decode(bad[i], &out, &len) == -1, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_looks_like)
{
	ck_assert(tb_xml_looks_like((const unsigned char *)"<a/>", 4));
	ck_assert(tb_xml_looks_like((const unsigned char *)"\xef\xbb\xbf \r\n<a/>", 9));
	ck_assert(!tb_xml_looks_like((const unsigned char *)"\x30\x82\x01", 3));
	ck_assert(!tb_xml_looks_like((const unsigned char *)"-----BEGIN CMS-----", 19));
	ck_assert(!tb_xml_looks_like((const unsigned char *)"   ", 3));
}
END_TEST

START_TEST(test_uri_table)
{
	const tb_xml_sigmethod *m;
	const tb_xml_digest *d;

	m = tb_xml_sigmethod_by_uri("urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"
	    "gostr34102015-gostr34112015-512");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->sig_oid, "1.2.398.3.10.1.1.2.3.2");
	ck_assert_str_eq(m->digest_oid, "1.2.398.3.10.1.3.3");
	m = tb_xml_sigmethod_by_uri("http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->sig_oid, "1.2.398.3.10.1.1.1.2");
	m = tb_xml_sigmethod_by_uri("http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256");
	ck_assert(m != NULL && m->ecdsa && !m->weak);
	m = tb_xml_sigmethod_by_uri("http://www.w3.org/2000/09/xmldsig#rsa-sha1");
	ck_assert(m != NULL && m->weak);
	ck_assert_ptr_null(tb_xml_sigmethod_by_uri("http://www.w3.org/2000/09/xmldsig#dsa-sha1"));
	ck_assert_ptr_null(tb_xml_sigmethod_by_uri("http://www.w3.org/2000/09/xmldsig#hmac-sha1"));
	d = tb_xml_digest_by_uri("urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-256");
	ck_assert(d != NULL && strcmp(d->oid, "1.2.398.3.10.1.3.2") == 0);
	d = tb_xml_digest_by_nid(NID_sha384);
	ck_assert(d != NULL && strcmp(d->uri, "http://www.w3.org/2001/04/xmldsig-more#sha384") == 0);
	ck_assert_ptr_null(tb_xml_digest_by_uri("http://www.w3.org/2001/04/xmldsig-more#md5"));
	ck_assert_ptr_null(tb_xml_c14n_by_uri("http://www.w3.org/TR/1999/REC-xslt-19991116"));
	ck_assert_int_eq(tb_xml_c14n_by_uri("http://www.w3.org/2001/10/xml-exc-c14n#WithComments")->with_comments, 1);
}
END_TEST

static int
parse(const char *text, xmlDocPtr *doc, char *why, size_t len)
{
	*doc = NULL;
	return tb_xml_parse((const unsigned char *)text, strlen(text), NULL, doc, why, len);
}

START_TEST(test_parse_refusals)
{
	static const struct { const char *doc, *why; } cases[] = {
		{ "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", "DOCTYPE" },
		{ "<?xml version=\"1.0\"?>\n<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/a.dtd\"><a/>", "DOCTYPE" },
		{ "<a><b></a>", "not well-formed" },
		{ "<a>&undefined;</a>", "not well-formed" },
		{ "", "not well-formed" },
		/* the comment's text is the document's: not in the reason */
		{ "<a><!-- secret -- text --></a>", "Double hyphen within comment" },
	};
	xmlDocPtr doc;
	char why[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		ck_assert_int_eq(parse(cases[i].doc, &doc, why, sizeof(why)), -1);
		ck_assert_ptr_null(doc);
		ck_assert_msg(strstr(why, cases[i].why) != NULL, "'%s': %s", cases[i].doc, why);
		ck_assert_msg(strstr(why, "secret") == NULL, "'%s': %s", cases[i].doc, why);
	}
}
END_TEST

/*
 * libxml2 2.9 parses on after a fatal error, where the scan has stopped
 * counting: past "<a <b" it parsed b with all its attributes (80,000 of
 * them took 2.5 s). The parse ends at the first fatal error, which is the
 * reason given; b's repeated attribute is never looked at.
 */
START_TEST(test_parse_stops)
{
	static const char doc[] = "<r><a <b x=\"1\" x=\"1\"/></r>";
	xmlErrorPtr last;
	xmlDocPtr d;
	char why[200];

	xmlResetLastError();
	ck_assert_int_eq(parse(doc, &d, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, "not well-formed XML: error parsing attribute name") != NULL,
	    "%s", why);
	last = xmlGetLastError();
	ck_assert_msg(last == NULL || last->message == NULL ||
	    strstr(last->message, "redefined") == NULL, "parsed on to b: %s", last->message);
}
END_TEST

START_TEST(test_ids)
{
	xmlDocPtr doc;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr n;
	char why[160], buf[200], *deep;
	tb_error e;
	size_t i;

	ck_assert_int_eq(parse("<a xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/"
	    "oasis-200401-wss-wssecurity-utility-1.0.xsd\"><b Id=\"x\"/><c wsu:Id=\"y\"/>"
	    "<d xml:id=\"z\"/><e other:Id=\"w\" xmlns:other=\"urn:o\"/></a>", &doc, buf,
	    sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, NULL, &ids, why, sizeof(why)), 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"x")) != NULL && strcmp((const char *)n->name, "b") == 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"y")) != NULL && strcmp((const char *)n->name, "c") == 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"z")) != NULL && strcmp((const char *)n->name, "d") == 0);
	/* an Id in a namespace that is not WS-Security's is no ID */
	ck_assert_ptr_null(xmlHashLookup(ids, (const xmlChar *)"w"));
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	ck_assert_int_eq(parse("<a><b Id=\"x\"/><c ID=\"x\"/></a>", &doc, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, NULL, &ids, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "more than once"));
	xmlFreeDoc(doc);
	/*
	 * A limit's reason outlives the walk that wrote it: signing a document
	 * nested deeper than xml_max_depth is refused naming the setting.
	 */
	ck_assert_ptr_nonnull(deep = malloc(200 * 7 + 1));
	deep[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(deep, "<e>");
	for (i = 0; i < 100; i++)
		strcat(deep, "</e>");
	tb_error_clear(&e);
	ck_assert_int_eq(tb_xml_parse_for_signing((const unsigned char *)deep, strlen(deep), NULL, &doc,
	    &ids, &e), TB_ERR_INVALID_ARG);
	ck_assert_msg(strstr(e.detail, "xml_max_depth") != NULL, "deep: %s", e.detail);
	free(deep);
}
END_TEST

/* The canonical bytes of the subtree of the element with ID id (NULL: document). */
static char *
c14n_of(const char *text, const char *id, int exclude_sig, const char *method)
{
	xmlDocPtr doc;
	xmlHashTablePtr ids = NULL;
	xmlNodePtr top = NULL, ex = NULL;
	unsigned char *out = NULL;
	size_t len = 0;
	char why[160], buf[200], *s;

	ck_assert_int_eq(parse(text, &doc, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, NULL, &ids, why, sizeof(why)), 0);
	if (id != NULL)
		ck_assert_ptr_nonnull(top = xmlHashLookup(ids, (const xmlChar *)id));
	if (exclude_sig)
		ck_assert_ptr_nonnull(ex = xmlHashLookup(ids, (const xmlChar *)"sig"));
	ck_assert_int_eq(tb_xml_c14n_bytes(doc, top, ex, 1, tb_xml_c14n_by_uri(method), NULL,
	    &out, &len), 0);
	s = strndup((const char *)out, len);
	OPENSSL_free(out);
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	return s;
}

#define C14N "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define EXC "http://www.w3.org/2001/10/xml-exc-c14n#"

START_TEST(test_c14n_node_sets)
{
	static const char doc[] =
	    "<?xml version=\"1.0\"?>\n<!-- before -->\n<r xmlns=\"urn:r\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\">"
	    "<e Id=\"e1\" b='2'   a=\"1\"><p:x/><!-- c -->&#13;</e><s Id=\"sig\">gone</s></r>";
	char *s;

	/* URI="": no comments, the XML declaration gone, attributes sorted, CR as &#xD; */
	s = c14n_of(doc, NULL, 0, C14N);
	ck_assert_str_eq(s, "<r xmlns=\"urn:r\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><e Id=\"e1\" a=\"1\" b=\"2\">"
	    "<p:x></p:x>&#xD;</e><s Id=\"sig\">gone</s></r>");
	free(s);
	/* ... also under c14n with comments: a same-document reference has none */
	s = c14n_of(doc, NULL, 0, C14N "#WithComments");
	ck_assert_str_eq(s, "<r xmlns=\"urn:r\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><e Id=\"e1\" a=\"1\" b=\"2\">"
	    "<p:x></p:x>&#xD;</e><s Id=\"sig\">gone</s></r>");
	free(s);
	/* enveloped: the signature's subtree left out */
	s = c14n_of(doc, NULL, 1, C14N);
	ck_assert_str_eq(s, "<r xmlns=\"urn:r\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><e Id=\"e1\" a=\"1\" b=\"2\">"
	    "<p:x></p:x>&#xD;</e></r>");
	free(s);
	/* #e1 inclusive: the ancestors' namespaces carried onto the apex */
	s = c14n_of(doc, "e1", 0, C14N);
	ck_assert_str_eq(s, "<e xmlns=\"urn:r\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" Id=\"e1\" a=\"1\" b=\"2\">"
	    "<p:x></p:x>&#xD;</e>");
	free(s);
	/* #e1 exclusive: only the namespaces used */
	s = c14n_of(doc, "e1", 0, EXC);
	ck_assert_str_eq(s, "<e xmlns=\"urn:r\" Id=\"e1\" a=\"1\" b=\"2\"><p:x xmlns:p=\"urn:p\"></p:x>&#xD;</e>");
	free(s);
}
END_TEST

/* ---- the document limits ---- */

static EVP_PKEY *lim_key;
static X509 *lim_cert;

/* RSA PKCS#1 v1.5 over a digest with the key in memory, as a token would. */
static int
lim_sign_digest(void *ctx, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(ctx, NULL);
	int ok = pc != NULL && EVP_PKEY_sign_init(pc) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_get_digestbynid(md_nid)) > 0 &&
	    EVP_PKEY_sign(pc, sig, sig_len, digest, digest_len) > 0;

	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : tb_error_set(err, TB_ERR_CRYPTO, "test signer");
}

/* A self-signed RSA signer, its own trust anchor. */
static void
lim_setup(void)
{
	static const struct { int nid; const char *v; } ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_key_usage, "critical,digitalSignature,nonRepudiation,keyCertSign" },
	};
	X509V3_CTX ctx;
	X509_EXTENSION *x;
	X509_NAME *n;
	size_t i;

	if (lim_cert != NULL)
		return;
	ck_assert_ptr_nonnull(lim_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	ck_assert_ptr_nonnull(lim_cert = X509_new());
	X509_set_version(lim_cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(lim_cert), 19);
	n = X509_get_subject_name(lim_cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"XML LIMITS",
	    -1, -1, 0);
	X509_set_issuer_name(lim_cert, n);
	X509_gmtime_adj(X509_getm_notBefore(lim_cert), -86400);
	X509_gmtime_adj(X509_getm_notAfter(lim_cert), 86400);
	X509_set_pubkey(lim_cert, lim_key);
	X509V3_set_ctx(&ctx, lim_cert, lim_cert, NULL, NULL, 0);
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		ck_assert_ptr_nonnull(x = X509V3_EXT_conf_nid(NULL, &ctx, ext[i].nid, ext[i].v));
		ck_assert(X509_add_ext(lim_cert, x, -1));
		X509_EXTENSION_free(x);
	}
	ck_assert(X509_sign(lim_cert, lim_key, EVP_sha256()) > 0);
}

/* text signed: enveloped over ref ("" the whole document), or (NULL) a SOAP message. */
static unsigned char *
lim_signed(const void *text, size_t text_len, const char *ref, size_t *len)
{
	tb_signer signer = { lim_sign_digest, NULL };
	tb_xml_sign_request req = { text, text_len, ref, 0 };
	tb_wsse_sign_request wreq = { text, text_len, 0, 0, 0 };
	unsigned char *out = NULL;
	tb_error e;

	lim_setup();
	signer.ctx = lim_key;
	tb_error_clear(&e);
	if (ref == NULL)
		ck_assert_msg(tb_xml_sign_wsse(lim_cert, &signer, &wreq, &out, len, &e) == 0,
		    "%s", e.detail);
	else
		ck_assert_msg(tb_xml_sign(lim_cert, &signer, &req, &out, len, &e) == 0,
		    "%s", e.detail);
	return out;
}

/*
 * The verdict of doc under lim; when MALFORMED, the first reason's detail
 * must name setting.
 */
static enum tb_verdict
lim_verdict(const unsigned char *doc, size_t len, const tb_xml_limits *lim,
    const char *setting)
{
	tb_trust *t = tb_trust_new();
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	enum tb_verdict v;
	tb_error e;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tb_trust_add_anchor(t, lim_cert, &e), 0);
	tb_verify_policy_default(&pol);
	pol.check_iin_checksum = 0;
	pol.xml = *lim;
	memset(&req, 0, sizeof(req));
	req.input = doc;
	req.input_len = len;
	tb_error_clear(&e);
	ck_assert_msg(tb_verify_xml(t, &pol, NULL, &req, &res, &e) == 0, "%s", e.detail);
	v = res->verdict;
	if (v == TB_V_MALFORMED)
		ck_assert_msg(res->reasons.n > 0 && strstr(res->reasons.v[0].detail, setting) != NULL,
		    "MALFORMED without naming %s: %s", setting,
		    res->reasons.n > 0 ? res->reasons.v[0].detail : "(no reason)");
	else if (v != TB_V_VALID)
		ck_abort_msg("verdict %s: %s", tb_verdict_code(v),
		    res->reasons.n > 0 ? res->reasons.v[0].detail : "(no reason)");
	tb_verify_result_free(res);
	tb_trust_free(t);
	return v;
}

/* doc VALID with one limit at n, its own count, and MALFORMED naming setting at n - 1. */
static void
lim_edge(const unsigned char *doc, size_t len, size_t field, unsigned n, const char *setting)
{
	tb_xml_limits lim;
	unsigned *v = (unsigned *)((char *)&lim + field);

	memset(&lim, 0, sizeof(lim));
	*v = n;
	ck_assert_int_eq(lim_verdict(doc, len, &lim, ""), TB_V_VALID);
	*v = n - 1;
	ck_assert_int_eq(lim_verdict(doc, len, &lim, setting), TB_V_MALFORMED);
}

START_TEST(test_limits_lowered)
{
	/* a/Signature/SignedInfo/Reference/Transforms/Transform: 6 deep, 2 transforms */
	static const char plain[] = "<a><b Id=\"b1\">Қазақстан</b></a>";
	static const char soap[] =
	    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
	    "<s:Body><q>1</q></s:Body></s:Envelope>";
	tb_xml_limits lim;
	unsigned char *doc, *two;
	size_t len, two_len;

	doc = lim_signed(plain, strlen(plain), "", &len);
	memset(&lim, 0, sizeof(lim));
	ck_assert_int_eq(lim_verdict(doc, len, &lim, ""), TB_V_VALID);
	lim_edge(doc, len, offsetof(tb_xml_limits, max_depth), 6, "xml_max_depth");
	lim_edge(doc, len, offsetof(tb_xml_limits, max_transforms), 2, "xml_max_transforms");
	lim.max_nodes = 10;
	ck_assert_int_eq(lim_verdict(doc, len, &lim, "xml_max_nodes"), TB_V_MALFORMED);
	memset(&lim, 0, sizeof(lim));
	lim.max_certs = 1;
	ck_assert_int_eq(lim_verdict(doc, len, &lim, ""), TB_V_VALID);
	/* over the caps: held to them, the document still VALID */
	lim.max_depth = lim.max_nodes = lim.max_references = ~0u;
	ck_assert_int_eq(lim_verdict(doc, len, &lim, ""), TB_V_VALID);
	OPENSSL_free(doc);
	/* two signatures: over b, and over the whole document with the first */
	doc = lim_signed(plain, strlen(plain), "#b1", &len);
	two = lim_signed(doc, len, "", &two_len);
	lim_edge(two, two_len, offsetof(tb_xml_limits, max_signatures), 2, "xml_max_signatures");
	OPENSSL_free(two);
	OPENSSL_free(doc);

	/* WS-Security: two references, Body and Timestamp */
	doc = lim_signed(soap, strlen(soap), NULL, &len);
	lim_edge(doc, len, offsetof(tb_xml_limits, max_references), 2, "xml_max_references");
	OPENSSL_free(doc);
}
END_TEST

/* Parsed under lim, or refused with a reason holding want. */
static int
scan_parse(const char *text, size_t len, const tb_xml_limits *lim, const char *want)
{
	xmlDocPtr doc = NULL;
	char why[200];
	int r;

	why[0] = '\0';
	r = tb_xml_parse((const unsigned char *)text, len, lim, &doc, why, sizeof(why));
	if (r == 0)
		xmlFreeDoc(doc);
	else
		ck_assert_msg(want != NULL && strstr(why, want) != NULL, "refused: %s", why);
	return r;
}

/* An element with n attributes (xmlns: prefixes n namespace declarations). */
static char *
attrs_elem(size_t n, const char *prefix)
{
	char *t = malloc(n * 32 + 16), *p = t;
	size_t i;

	ck_assert_ptr_nonnull(t);
	p += sprintf(p, "<a");
	for (i = 0; i < n; i++)
		p += sprintf(p, " %s%zu=\"urn:%zu\"", prefix, i, i);
	sprintf(p, "/>");
	return t;
}

/*
 * Attributes per element and namespace declarations in scope are counted
 * before libxml2 parses (its duplicate checks are quadratic): an element
 * over [verify] xml_max_attributes never reaches the parser, a '=' in a
 * value, comment, CDATA section or PI is no attribute, and a signed
 * document at its own count is VALID and one below MALFORMED.
 */
START_TEST(test_attribute_limits)
{
	static const char quoted[] = "<a b=\"x=y\" c='=='><!-- d=1 e=2 --><![CDATA[f=1 g=2]]>"
	    "<?pi h=1 i=2?></a>";
	static const char plain[] = "<a><b Id=\"b1\" x=\"1\" y=\"=\">Қазақстан</b></a>";
	tb_xml_limits lim;
	unsigned char *doc;
	size_t len;
	char *t, *big;

	memset(&lim, 0, sizeof(lim));
	lim.max_attributes = 2;
	ck_assert_int_eq(scan_parse(quoted, strlen(quoted), &lim, NULL), 0);
	lim.max_attributes = 1;
	ck_assert_int_eq(scan_parse(quoted, strlen(quoted), &lim, "xml_max_attributes"), -1);
	/* the default, 256, and the flood that held a worker for seconds */
	t = attrs_elem(256, "a");
	ck_assert_int_eq(scan_parse(t, strlen(t), NULL, NULL), 0);
	free(t);
	t = attrs_elem(257, "a");
	ck_assert_int_eq(scan_parse(t, strlen(t), NULL, "xml_max_attributes allows (256)"), -1);
	free(t);
	t = attrs_elem(75000, "a");
	ck_assert_int_eq(scan_parse(t, strlen(t), NULL, "xml_max_attributes"), -1);
	free(t);
	/* namespace declarations: per element, and 64 in scope at once */
	t = attrs_elem(64, "xmlns:p");
	ck_assert_int_eq(scan_parse(t, strlen(t), NULL, NULL), 0);
	free(t);
	t = attrs_elem(65, "xmlns:p");
	ck_assert_int_eq(scan_parse(t, strlen(t), NULL, "namespace declarations in scope"), -1);
	free(t);
	ck_assert_ptr_nonnull(big = malloc(64 * 2 * 40 + 64));
	t = attrs_elem(40, "xmlns:p");
	/* two siblings of 40: each goes out of scope at its end */
	sprintf(big, "<r>%s%s</r>", t, t);
	ck_assert_int_eq(scan_parse(big, strlen(big), NULL, NULL), 0);
	/* nested, 40 + 40 are in scope at once */
	t[strlen(t) - 2] = '\0';
	sprintf(big, "%s><b xmlns:q=\"urn:q\">", t);
	free(t);
	t = attrs_elem(40, "xmlns:s");
	strcat(big, t);
	strcat(big, "</b></a>");
	ck_assert_int_eq(scan_parse(big, strlen(big), NULL, "namespace declarations in scope"),
	    -1);
	free(t);
	free(big);
	/* elements and attributes over xml_max_nodes before parsing */
	memset(&lim, 0, sizeof(lim));
	lim.max_nodes = 3;
	ck_assert_int_eq(scan_parse("<a b=\"1\"><c d=\"2\"/></a>", 22, &lim, "xml_max_nodes"),
	    -1);
	/* a signed document: b has three attributes */
	doc = lim_signed(plain, strlen(plain), "", &len);
	lim_edge(doc, len, offsetof(tb_xml_limits, max_attributes), 3, "xml_max_attributes");
	OPENSSL_free(doc);
}
END_TEST

/*
 * The scan reads bytes as ASCII: a document libxml2 would read otherwise
 * (UTF-16 with or without a byte order mark, EBCDIC, UTF-7 by its
 * declaration) is refused before the parser, for in UTF-16 a name
 * character such as U+0A3E holds the byte '>' and hid 300 attributes from
 * the count; UTF-8 with a byte order mark and windows-1251 are parsed.
 */
START_TEST(test_scan_encodings)
{
	static const char cp1251[] = "<?xml version=\"1.0\" encoding=\"windows-1251\"?>"
	    "<a b=\"\xc0\">\xd2\xe0\xed\xe1\xe0</a>";
	static const char bom8[] = "\xEF\xBB\xBF<?xml version='1.0' encoding = 'utf-8'?><a/>";
	static const char utf7[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"?>+ADw-a/+AD4-";
	static const char ebcdic[] = "\x4c\x6f\xa7\x94\x93\x40\xa5\x85\x99\xa2\x89\x96\x95";
	static const char twice[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" encoding=\"UTF-16\"?><a/>";
	char *t = malloc(300 * 16 + 16), *p = t, *u16;
	size_t i, n;

	ck_assert_int_eq(scan_parse(cp1251, strlen(cp1251), NULL, NULL), 0);
	ck_assert_int_eq(scan_parse(bom8, strlen(bom8), NULL, NULL), 0);
	ck_assert_int_eq(scan_parse(utf7, strlen(utf7), NULL, "not in UTF-8"), -1);
	ck_assert_int_eq(scan_parse(ebcdic, strlen(ebcdic), NULL, "not in UTF-8"), -1);
	ck_assert_int_eq(scan_parse(twice, strlen(twice), NULL, "not in UTF-8"), -1);
	/* <r a\u0a3e0="v" ... a\u0a3e299="v"/> in UTF-16LE, with and without its mark */
	ck_assert_ptr_nonnull(t);
	p += sprintf(p, "<r");
	for (i = 0; i < 300; i++)
		p += sprintf(p, " a\x01%zu=\"v\"", i);
	sprintf(p, "/>");
	n = strlen(t);
	ck_assert_ptr_nonnull(u16 = malloc(2 * n + 2));
	u16[0] = '\xff';
	u16[1] = '\xfe';
	for (i = 0; i < n; i++) {
		u16[2 + 2 * i] = t[i] == '\x01' ? '\x3e' : t[i];
		u16[3 + 2 * i] = t[i] == '\x01' ? '\x0a' : '\0';
	}
	ck_assert_int_eq(scan_parse(u16, 2 * n + 2, NULL, "not in UTF-8"), -1);
	ck_assert_int_eq(scan_parse(u16 + 2, 2 * n, NULL, "not in UTF-8"), -1);
	free(u16);
	free(t);
}
END_TEST

/*
 * Parsing and canonicalization spend from the verification's time budget:
 * a document that takes longer than [verify] max_time_ms is refused
 * CHAIN_UNTRUSTED.cut_off, never VALID; libxml2's messages go to the
 * reason, not to stderr.
 */
START_TEST(test_xml_budget)
{
	tb_trust *t = tb_trust_new();
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	unsigned char *doc;
	char *text, *p;
	size_t i, len;
	tb_error e;
	FILE *errf;
	int saved;

	ck_assert_ptr_nonnull(text = malloc(60000 * 8 + 64));
	p = text + sprintf(text, "<a><b Id=\"b1\">");
	for (i = 0; i < 60000; i++)
		p += sprintf(p, "<c>%zu</c>", i % 10);
	sprintf(p, "</b></a>");
	doc = lim_signed(text, strlen(text), "", &len);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tb_trust_add_anchor(t, lim_cert, &e), 0);
	tb_verify_policy_default(&pol);
	pol.check_iin_checksum = 0;
	memset(&req, 0, sizeof(req));
	req.input = doc;
	req.input_len = len;
	ck_assert_msg(tb_verify_xml(t, &pol, NULL, &req, &res, &e) == 0, "%s", e.detail);
	ck_assert_msg(res->verdict == TB_V_VALID, "%s", res->reasons.n ? res->reasons.v[0].detail : "");
	tb_verify_result_free(res);
	/* 1 ms: the parse of 60,000 elements alone takes longer */
	pol.budget.max_time_ms = 1;
	ck_assert_msg(tb_verify_xml(t, &pol, NULL, &req, &res, &e) == 0, "%s", e.detail);
	ck_assert_int_eq(res->verdict, TB_V_CHAIN_UNTRUSTED);
	ck_assert_str_eq(res->reasons.v[0].msg_id, "CHAIN_UNTRUSTED.cut_off");
	ck_assert_msg(strstr(res->reasons.v[0].detail, "XML not checked") != NULL &&
	    strstr(res->reasons.v[0].detail, "max_time_ms") != NULL, "%s",
	    res->reasons.v[0].detail);
	tb_verify_result_free(res);
	OPENSSL_free(doc);

	/* c14n refuses a relative namespace URI: its message is the reason, stderr stays empty */

	tb_verify_policy_default(&pol);
	pol.check_iin_checksum = 0;
	doc = (unsigned char *)strdup("<a xmlns:p=\"rel\"><p:b Id=\"b1\">x</p:b><ds:Signature "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:Canonicali"
	    "zationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>"
	    "<ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
	    "<ds:Reference URI=\"#b1\"><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/"
	    "xmlenc#sha256\"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"
	    "<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></a>");

	req.input = doc;
	req.input_len = strlen((char *)doc);
	fflush(stderr);
	ck_assert_ptr_nonnull(errf = tmpfile());
	saved = dup(2);
	dup2(fileno(errf), 2);
	i = (size_t)tb_verify_xml(t, &pol, NULL, &req, &res, &e);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq((int)i, 0);
	ck_assert_msg(res->verdict == TB_V_MALFORMED && strstr(res->reasons.v[0].detail,
	    "cannot be canonicalized: ") != NULL && strstr(res->reasons.v[0].detail,
	    "libxml2 failed") == NULL, "%s", res->reasons.v[0].detail);
	ck_assert_msg(ftell(errf) == 0 && fseek(errf, 0, SEEK_END) == 0 && ftell(errf) == 0,
	    "libxml2 wrote to stderr");
	fclose(errf);
	tb_verify_result_free(res);
	free(doc);
	free(text);
	tb_trust_free(t);
}
END_TEST

/*
 * The front's half around the signer's: VALID, whatever the root's default
 * namespace and xml:lang; a SignedInfo that is not the one for the
 * front's digest is refused before anything is written.
 */
START_TEST(test_sign_split)
{
	static const char plain[] = "<r xmlns=\"urn:r\" xmlns:p=\"urn:p\" xml:lang=\"kk\">"
	    "<p:x a=\"1\">Қазақстан</p:x><!-- c --></r>";
	tb_xml_split *s = NULL;
	tb_xml_limits lim;
	unsigned char digest[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX];
	unsigned char *si = NULL, *out = NULL, *p;
	size_t digest_len = 0, si_len = 0, out_len = 0, sig_len = sizeof(sig);
	unsigned int h_len = 0;
	int md = 0;
	unsigned char was;
	tb_error e;

	lim_setup();
	tb_error_clear(&e);
	ck_assert_msg(tb_xml_split_begin(lim_cert, 0, "", (const unsigned char *)plain,
	    strlen(plain), NULL, &s, &md, digest, &digest_len, &e) == 0, "%s", e.detail);
	ck_assert_int_eq(md, NID_sha256);
	ck_assert_uint_eq(digest_len, 32);
	/* the signer's half: SignedInfo from the digest alone, signed */
	ck_assert_int_eq(tb_xml_signed_info(X509_get_X509_PUBKEY(lim_cert), md, "", digest,
	    digest_len, &si, &si_len, &e), 0);
	ck_assert_int_eq(EVP_Digest(si, si_len, h, &h_len, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(lim_sign_digest(lim_key, md, h, h_len, sig, &sig_len, &e), 0);
	/* another digest in it: refused, nothing written */
	ck_assert_ptr_nonnull(p = memmem(si, si_len, "<ds:DigestValue>", 16));
	was = p[16];
	p[16] = was == 'A' ? 'B' : 'A';
	ck_assert_int_eq(tb_xml_split_finish(s, si, si_len, sig, sig_len, &out, &out_len, &e),
	    TB_ERR_INTERNAL);
	ck_assert_ptr_null(out);
	p[16] = was;
	ck_assert_msg(tb_xml_split_finish(s, si, si_len, sig, sig_len, &out, &out_len, &e) == 0,
	    "%s", e.detail);
	memset(&lim, 0, sizeof(lim));
	ck_assert_int_eq(lim_verdict(out, out_len, &lim, ""), TB_V_VALID);
	OPENSSL_free(out);
	OPENSSL_free(si);
	tb_xml_split_free(s);
	/* a digest of the wrong length is not built into a SignedInfo */
	ck_assert_int_eq(tb_xml_signed_info(X509_get_X509_PUBKEY(lim_cert), NID_sha384, "",
	    digest, 32, &si, &si_len, &e), TB_ERR_INVALID_ARG);
}
END_TEST

/*
 * The split over a referenced element: the SignedInfo names "#ID", the
 * signature verifies with that element required to be signed; a reference
 * to no element, or in a document whose IDs repeat, is refused.
 */
START_TEST(test_sign_split_reference)
{
	static const char doc[] = "<r xmlns=\"urn:r\"><a Id=\"part-1\">x</a><b>y</b></r>";
	static const char dup[] = "<r><a Id=\"p\">x</a><b Id=\"p\">y</b></r>";
	tb_xml_split *s = NULL;
	tb_xml_limits lim;
	unsigned char digest[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX];
	unsigned char *si = NULL, *out = NULL;
	size_t digest_len = 0, si_len = 0, out_len = 0, sig_len = sizeof(sig);
	unsigned int h_len = 0;
	int md = 0;
	tb_error e;

	lim_setup();
	ck_assert_msg(tb_xml_split_begin(lim_cert, 0, "#part-1", (const unsigned char *)doc,
	    strlen(doc), NULL, &s, &md, digest, &digest_len, &e) == 0, "%s", e.detail);
	ck_assert_int_eq(tb_xml_signed_info(X509_get_X509_PUBKEY(lim_cert), md, "#part-1",
	    digest, digest_len, &si, &si_len, &e), 0);
	ck_assert_ptr_nonnull(memmem(si, si_len, "URI=\"#part-1\"", 13));
	ck_assert_int_eq(EVP_Digest(si, si_len, h, &h_len, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(lim_sign_digest(lim_key, md, h, h_len, sig, &sig_len, &e), 0);
	ck_assert_msg(tb_xml_split_finish(s, si, si_len, sig, sig_len, &out, &out_len, &e) == 0,
	    "%s", e.detail);
	memset(&lim, 0, sizeof(lim));
	ck_assert_int_eq(lim_verdict(out, out_len, &lim, ""), TB_V_VALID);
	OPENSSL_free(out);
	OPENSSL_free(si);
	tb_xml_split_free(s);
	s = NULL;
	ck_assert_int_eq(tb_xml_split_begin(lim_cert, 0, "#nosuch", (const unsigned char *)doc,
	    strlen(doc), NULL, &s, &md, digest, &digest_len, &e), TB_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(e.detail, "no element with that ID"));
	ck_assert_int_eq(tb_xml_split_begin(lim_cert, 0, "#p", (const unsigned char *)dup,
	    strlen(dup), NULL, &s, &md, digest, &digest_len, &e), TB_ERR_INVALID_ARG);
	ck_assert_ptr_null(s);
}
END_TEST

/* The signer's half of a WS-Security signature at time when: SignedInfo, value. */
static void
wsse_signer(const tb_wsse_split_refs *refs, time_t when, unsigned char **si, size_t *si_len,
    unsigned char *sig, size_t *sig_len)
{
	unsigned char *ts = NULL, tsd[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE];
	unsigned int tsd_len = 0, h_len = 0;
	size_t ts_len = 0;
	char uri[80];
	tb_xml_ref r[2];
	tb_error e;

	ck_assert_msg(tb_wsse_timestamp(refs->ts_id, when, 300, &ts, &ts_len, &e) == 0, "%s",
	    e.detail);
	ck_assert_int_eq(EVP_Digest(ts, ts_len, tsd, &tsd_len, EVP_sha256(), NULL), 1);
	snprintf(uri, sizeof(uri), "#%s", refs->ts_id);
	r[0].uri = refs->body_uri;
	r[0].digest = refs->body_digest;
	r[0].digest_len = refs->body_digest_len;
	r[1].uri = uri;
	r[1].digest = tsd;
	r[1].digest_len = tsd_len;
	ck_assert_msg(tb_xml_signed_info_refs(X509_get_X509_PUBKEY(lim_cert), NID_sha256, 0, r, 2,
	    si, si_len, &e) == 0, "%s", e.detail);
	ck_assert_int_eq(EVP_Digest(*si, *si_len, h, &h_len, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(lim_sign_digest(lim_key, NID_sha256, h, h_len, sig, sig_len, &e), 0);
	OPENSSL_free(ts);
}

/* An envelope signed in halves now; its verdict (0 when begin or finish refused it). */
static enum tb_verdict
wsse_round(const char *soap)
{
	tb_wsse_split *s = NULL;
	tb_wsse_split_refs refs;
	tb_xml_limits lim;
	unsigned char *si = NULL, *out = NULL, sig[TB_SIG_MAX];
	size_t si_len = 0, out_len = 0, sig_len = sizeof(sig);
	time_t now = time(NULL);
	enum tb_verdict v = 0;
	tb_error e;

	lim_setup();
	if (tb_wsse_split_begin(lim_cert, 0, 300, (const unsigned char *)soap, strlen(soap), NULL,
	    &s, &refs, &e) != 0)
		return 0;
	wsse_signer(&refs, now, &si, &si_len, sig, &sig_len);
	if (tb_wsse_split_finish(s, now, si, si_len, sig, sig_len, &out, &out_len, &e) == 0) {
		memset(&lim, 0, sizeof(lim));
		v = lim_verdict(out, out_len, &lim, "");
	}
	OPENSSL_free(out);
	OPENSSL_free(si);
	tb_wsse_split_free(s);
	return v;
}

/*
 * The Body given its wsu:Id: a "wsu" the Body's content uses for another
 * namespace is refused, not shadowed (the envelope written would put that
 * content in the utility namespace, after its digest was made in its own),
 * and a prefix already bound to the utility namespace is used.
 */
START_TEST(test_wsse_shadow)
{
#define ENV_OPEN "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	/* "wsu" of the Body's own content is another namespace: no declaration shadows it */
	static const char other[] = ENV_OPEN "xmlns:wsu=\"urn:other\"><s:Body><wsu:x>a</wsu:x>"
	    "</s:Body></s:Envelope>";
	static const char own[] = ENV_OPEN "><s:Body xmlns:wsu=\"urn:other\" wsu:a=\"1\"/>"
	    "</s:Envelope>";
	/* the utility namespace in scope under another prefix is the one used */
	static const char util[] = ENV_OPEN "xmlns:u=\"" TB_XML_WSU_NS "\" xmlns:wsu=\"urn:other\">"
	    "<s:Body><wsu:x>a</wsu:x></s:Body></s:Envelope>";
#undef ENV_OPEN

	ck_assert_int_eq(wsse_round(other), 0);
	ck_assert_int_eq(wsse_round(own), 0);
	ck_assert_int_eq(wsse_round(util), TB_V_VALID);
}
END_TEST

/*
 * WS-Security in halves: the envelope the front writes around the
 * signer's Timestamp and SignedInfo verifies; a SignedInfo over a
 * Timestamp of another time than the signing time the signer answered
 * with is refused, nothing written.
 */
START_TEST(test_wsse_split)
{
	static const char soap[] = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
	    "<s:Body><m xmlns=\"urn:m\">Өтініш</m></s:Body></s:Envelope>";
	tb_wsse_split *s = NULL;
	tb_wsse_split_refs refs;
	tb_xml_limits lim;
	tb_xml_ref three[3];
	unsigned char *si = NULL, *out = NULL, sig[TB_SIG_MAX];
	size_t si_len = 0, out_len = 0, sig_len = sizeof(sig);
	time_t now = time(NULL);
	tb_error e;

	lim_setup();
	ck_assert_msg(tb_wsse_split_begin(lim_cert, 0, 300, (const unsigned char *)soap,
	    strlen(soap), NULL, &s, &refs, &e) == 0, "%s", e.detail);
	ck_assert_int_eq(refs.md_nid, NID_sha256);
	ck_assert(tb_xml_ref_uri_ok(refs.body_uri) && refs.body_uri[0] == '#');
	wsse_signer(&refs, now, &si, &si_len, sig, &sig_len);
	ck_assert_int_eq(tb_wsse_split_finish(s, now + 1, si, si_len, sig, sig_len, &out,
	    &out_len, &e), TB_ERR_INTERNAL);
	ck_assert_ptr_null(out);
	tb_wsse_split_free(s);
	OPENSSL_free(si);
	s = NULL;
	si = NULL;
	sig_len = sizeof(sig);
	ck_assert_msg(tb_wsse_split_begin(lim_cert, 0, 300, (const unsigned char *)soap,
	    strlen(soap), NULL, &s, &refs, &e) == 0, "%s", e.detail);
	wsse_signer(&refs, now, &si, &si_len, sig, &sig_len);
	ck_assert_msg(tb_wsse_split_finish(s, now, si, si_len, sig, sig_len, &out, &out_len,
	    &e) == 0, "%s", e.detail);
	memset(&lim, 0, sizeof(lim));
	ck_assert_int_eq(lim_verdict(out, out_len, &lim, ""), TB_V_VALID);
	OPENSSL_free(out);
	OPENSSL_free(si);
	tb_wsse_split_free(s);
	/* no third reference, no life past a day, nothing but SOAP */
	memset(three, 0, sizeof(three));
	ck_assert_int_eq(tb_xml_signed_info_refs(X509_get_X509_PUBKEY(lim_cert), NID_sha256, 0,
	    three, 3, &si, &si_len, &e), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_wsse_timestamp("TS-1", now, TB_WSSE_TTL_MAX + 1, &si, &si_len, &e),
	    TB_ERR_INVALID_ARG);
	s = NULL;
	ck_assert_int_eq(tb_wsse_split_begin(lim_cert, 0, 300, (const unsigned char *)"<a/>", 4, NULL,
	    &s, &refs, &e), TB_ERR_INVALID_ARG);
	ck_assert_ptr_null(s);
}
END_TEST

/* Only "" or "#" and an ASCII NCName become a reference URI: no markup in signed bytes. */
START_TEST(test_ref_uri)
{
	static const char *const good[] = { "", "#a", "#_x.1-2", "#ID_1" };
	static const char *const bad[] = {
		"#", "#1a", "#a b", "#a\"", "#a\"><ds:Reference URI=\"", "#a<", "#a&amp;",
		"x", "http://example.com/", "#a:b", "#\xd0\x9a",
	};
	unsigned char digest[32] = { 0 }, *si = NULL;
	size_t si_len = 0, i;
	char longest[TB_XML_REF_URI_MAX + 2];
	tb_error e;

	lim_setup();
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(tb_xml_ref_uri_ok(good[i]), "refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!tb_xml_ref_uri_ok(bad[i]), "took %s", bad[i]);
		ck_assert_int_eq(tb_xml_signed_info(X509_get_X509_PUBKEY(lim_cert), NID_sha256,
		    bad[i], digest, 32, &si, &si_len, &e), TB_ERR_INVALID_ARG);
		ck_assert_ptr_null(si);
	}
	memset(longest, 'a', sizeof(longest));
	longest[0] = '#';
	longest[TB_XML_REF_URI_MAX] = '\0';
	ck_assert(tb_xml_ref_uri_ok(longest));
	longest[TB_XML_REF_URI_MAX] = 'a';
	longest[TB_XML_REF_URI_MAX + 1] = '\0';
	ck_assert(!tb_xml_ref_uri_ok(longest));
}
END_TEST

/* The front's half takes the configured limits, not the defaults. */
START_TEST(test_sign_split_limits)
{
	static const char deep[] = "<a><b><c x=\"1\" y=\"2\">d</c></b></a>";
	tb_xml_split *s = NULL;
	tb_xml_limits lim;
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t digest_len = 0;
	int md = 0;
	tb_error e;

	lim_setup();
	memset(&lim, 0, sizeof(lim));
	ck_assert_int_eq(tb_xml_split_begin(lim_cert, 0, "", (const unsigned char *)deep,
	    strlen(deep), &lim, &s, &md, digest, &digest_len, &e), 0);
	tb_xml_split_free(s);
	s = NULL;
	lim.max_depth = 2;
	ck_assert_int_eq(tb_xml_split_begin(lim_cert, 0, "", (const unsigned char *)deep,
	    strlen(deep), &lim, &s, &md, digest, &digest_len, &e), TB_ERR_INVALID_ARG);
	ck_assert_msg(strstr(e.detail, "xml_max_depth") != NULL, "%s", e.detail);
	lim.max_depth = 0;
	lim.max_attributes = 1;
	ck_assert_int_eq(tb_xml_split_begin(lim_cert, 0, "", (const unsigned char *)deep,
	    strlen(deep), &lim, &s, &md, digest, &digest_len, &e), TB_ERR_INVALID_ARG);
	ck_assert_msg(strstr(e.detail, "xml_max_attributes") != NULL, "%s", e.detail);
	ck_assert_ptr_null(s);
}
END_TEST

static Suite *
xml_suite(void)
{
	Suite *s = suite_create("xml");
	TCase *tc = tcase_create("xml");

	tcase_add_test(tc, test_b64_kalkan_lines);
	tcase_add_test(tc, test_b64_refused);
	tcase_add_test(tc, test_looks_like);
	tcase_add_test(tc, test_uri_table);
	tcase_add_test(tc, test_parse_refusals);
	tcase_add_test(tc, test_parse_stops);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_c14n_node_sets);
	tcase_add_test(tc, test_limits_lowered);
	tcase_add_test(tc, test_sign_split);
	tcase_add_test(tc, test_attribute_limits);
	tcase_add_test(tc, test_scan_encodings);
	tcase_add_test(tc, test_xml_budget);
	tcase_add_test(tc, test_sign_split_limits);
	tcase_add_test(tc, test_sign_split_reference);
	tcase_add_test(tc, test_ref_uri);
	tcase_add_test(tc, test_wsse_split);
	tcase_add_test(tc, test_wsse_shadow);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int r = tbt_run(xml_suite(), CK_NORMAL);

	X509_free(lim_cert);
	EVP_PKEY_free(lim_key);
	return r;
}
