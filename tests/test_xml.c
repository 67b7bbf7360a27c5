/*
 * Unit tests of libsig's XML parts that the shell tests reach only through
 * whole documents: base64 as Kalkan writes it, format detection, the URI
 * table, the safe parse (refusals and their reasons), the ID index, and
 * node-set canonicalization against the canonical forms of the W3C c14n
 * recommendation's examples.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "check_run.h"
#include "xml.h"
#include "xml_int.h"

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
	const char *why = NULL;
	char buf[200];

	ck_assert_int_eq(parse("<a xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/"
	    "oasis-200401-wss-wssecurity-utility-1.0.xsd\"><b Id=\"x\"/><c wsu:Id=\"y\"/>"
	    "<d xml:id=\"z\"/><e other:Id=\"w\" xmlns:other=\"urn:o\"/></a>", &doc, buf,
	    sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, &ids, &why), 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"x")) != NULL && strcmp((const char *)n->name, "b") == 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"y")) != NULL && strcmp((const char *)n->name, "c") == 0);
	ck_assert((n = xmlHashLookup(ids, (const xmlChar *)"z")) != NULL && strcmp((const char *)n->name, "d") == 0);
	/* an Id in a namespace that is not WS-Security's is no ID */
	ck_assert_ptr_null(xmlHashLookup(ids, (const xmlChar *)"w"));
	xmlHashFree(ids, NULL);
	xmlFreeDoc(doc);
	ck_assert_int_eq(parse("<a><b Id=\"x\"/><c ID=\"x\"/></a>", &doc, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, &ids, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "more than once"));
	xmlFreeDoc(doc);
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
	const char *why;
	char buf[200], *s;

	ck_assert_int_eq(parse(text, &doc, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tb_xml_ids(doc, &ids, &why), 0);
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
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tbt_run(xml_suite(), CK_NORMAL);
}
