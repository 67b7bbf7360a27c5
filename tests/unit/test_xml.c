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
#include <stdlib.h>
#include <string.h>

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
	return tb_xml_parse((const unsigned char *)text, strlen(text), doc, why, len);
}

START_TEST(test_parse_refusals)
{
	static const struct { const char *doc, *why; } cases[] = {
		{ "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>", "DOCTYPE" },
		{ "<?xml version=\"1.0\"?>\n<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/a.dtd\"><a/>", "DOCTYPE" },
		{ "<a><b></a>", "not well-formed" },
		{ "<a>&undefined;</a>", "not well-formed" },
		{ "", "not well-formed" },
	};
	xmlDocPtr doc;
	char why[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		ck_assert_int_eq(parse(cases[i].doc, &doc, why, sizeof(why)), -1);
		ck_assert_ptr_null(doc);
		ck_assert_msg(strstr(why, cases[i].why) != NULL, "'%s': %s", cases[i].doc, why);
	}
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
	ck_assert_int_eq(tb_xml_ids(doc, &ids, why, sizeof(why)), 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"x")) != NULL && strcmp((const char *)n->name, "b") == 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"y")) != NULL && strcmp((const char *)n->name, "c") == 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"z")) != NULL && strcmp((const char *)n->name, "d") == 0);
	/* an Id in a namespace that is not WS-Security's is no ID */
	ck_assert_ptr_null(xmlHashLookup(ids, (const xmlChar *)"w"));
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	ck_assert_int_eq(parse("<a><b Id=\"x\"/><c ID=\"x\"/></a>", &doc, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, &ids, why, sizeof(why)), -1);
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
	ck_assert_int_eq(tb_xml_parse_for_signing((const unsigned char *)deep, strlen(deep), &doc,
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
	ck_assert_int_eq(tb_xml_ids(doc, &ids, why, sizeof(why)), 0);
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
	ck_assert_msg(tb_xml_split_begin(lim_cert, 0, (const unsigned char *)plain, strlen(plain),
	    &s, &md, digest, &digest_len, &e) == 0, "%s", e.detail);
	ck_assert_int_eq(md, NID_sha256);
	ck_assert_uint_eq(digest_len, 32);
	/* the signer's half: SignedInfo from the digest alone, signed */
	ck_assert_int_eq(tb_xml_signed_info(X509_get_X509_PUBKEY(lim_cert), md, digest,
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
	ck_assert_int_eq(tb_xml_signed_info(X509_get_X509_PUBKEY(lim_cert), NID_sha384, digest,
	    32, &si, &si_len, &e), TB_ERR_INVALID_ARG);
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
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_c14n_node_sets);
	tcase_add_test(tc, test_limits_lowered);
	tcase_add_test(tc, test_sign_split);
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
