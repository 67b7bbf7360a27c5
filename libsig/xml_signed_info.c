/*
 * SignedInfo from its parts, in its canonical form: a fixed text with the
 * method URIs of the algorithm table and the digest in base64. Exclusive
 * c14n renders an element's own namespace and nothing of its ancestors'
 * (no default namespace, no xml:lang), so the bytes signed here are the
 * bytes a verifier canonicalizes wherever the front puts the element.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "tb_clock.h"
#include "xml_int.h"
#include "xml_signed_info.h"

#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

/*
 * An XML NCName in ASCII: a letter or '_', then letters, digits, '.', '-',
 * '_'. Non-ASCII names are refused, not decoded: nothing but these bytes
 * ever goes into a SignedInfo, so no quote or markup can.
 */
static int
ncname_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

int
tb_xml_ref_uri_ok(const char *uri)
{
	if (uri == NULL || strlen(uri) > TB_XML_REF_URI_MAX)
		return 0;
	return uri[0] == '\0' || (uri[0] == '#' && ncname_ok(uri + 1));
}

size_t
tb_xml_signed_info_md_len(int md_nid)
{
	switch (md_nid) {
	case NID_sha256: return 32;
	case NID_sha384: return 48;
	case NID_sha512: return 64;
	case NID_id_GostR3411_2012_256: return 32;
	case NID_id_GostR3411_2012_512: return 64;
	default: return 0;
	}
}

/* One Reference of a SignedInfo, in its canonical text. */
static int
ref_text(char *buf, size_t room, int enveloped, const tb_xml_ref *ref, size_t want,
    const tb_xml_digest *dg, tb_error *err)
{
	static const char fmt[] =
	    "<ds:Reference URI=\"%s\"><ds:Transforms>%s"
	    "<ds:Transform Algorithm=\"" EXC_C14N "\"></ds:Transform></ds:Transforms>"
	    "<ds:DigestMethod Algorithm=\"%s\"></ds:DigestMethod>"
	    "<ds:DigestValue>%s</ds:DigestValue></ds:Reference>";
	static const char env[] = "<ds:Transform Algorithm=\"" TB_XML_ENVELOPED "\"></ds:Transform>";
	char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	int n;

	if (!tb_xml_ref_uri_ok(ref->uri))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference URI: \"\" or \"#\" and an "
		    "NCName of at most %d characters", TB_XML_REF_URI_MAX - 1);
	if (ref->digest_len != want)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference digest: %zu bytes for %s",
		    ref->digest_len, dg->name);
	EVP_EncodeBlock((unsigned char *)b64, ref->digest, (int)ref->digest_len);
	n = snprintf(buf, room, fmt, ref->uri, enveloped ? env : "", dg->uri, b64);
	if (n < 0 || (size_t)n >= room)
		return tb_error_set(err, TB_ERR_INTERNAL, "SignedInfo reference");
	return 0;
}

int
tb_xml_signed_info_refs(X509_PUBKEY *spki, int md_nid, int enveloped, const tb_xml_ref *refs,
    size_t nrefs, unsigned char **out, size_t *out_len, tb_error *err)
{
	static const char fmt[] =
	    "<ds:SignedInfo xmlns:ds=\"" TB_XML_DSIG_NS "\">"
	    "<ds:CanonicalizationMethod Algorithm=\"" EXC_C14N "\"></ds:CanonicalizationMethod>"
	    "<ds:SignatureMethod Algorithm=\"%s\"></ds:SignatureMethod>%s%s</ds:SignedInfo>";
	/* A GOST key's row names its own hash: md_nid must be that one. */
	const tb_xml_sigmethod *meth = tb_xml_sigmethod_for_key(spki, md_nid);
	const tb_xml_digest *dg = tb_xml_digest_by_nid(md_nid);
	size_t want = tb_xml_signed_info_md_len(md_nid), i;
	char rt[TB_XML_SIGNED_INFO_REFS_MAX][1024];
	int n, r;

	if (meth == NULL || meth->md_nid != md_nid || dg == NULL || want == 0)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "XML through tanbad: an RSA or EC "
		    "key with SHA-256, 384 or 512, or a GOST 2015 key with its Streebog");
	if (nrefs < 1 || nrefs > TB_XML_SIGNED_INFO_REFS_MAX)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "SignedInfo: %zu references, not 1 "
		    "to %d", nrefs, TB_XML_SIGNED_INFO_REFS_MAX);
	memset(rt, 0, sizeof(rt));
	for (i = 0; i < nrefs; i++)
		if ((r = ref_text(rt[i], sizeof(rt[i]), enveloped, &refs[i], want, dg, err)) != 0)
			return r;
	n = snprintf(NULL, 0, fmt, meth->uri, rt[0], rt[1]);
	if (n <= 0 || (*out = OPENSSL_malloc((size_t)n + 1)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SignedInfo");
	snprintf((char *)*out, (size_t)n + 1, fmt, meth->uri, rt[0], rt[1]);
	*out_len = (size_t)n;
	return 0;
}

int
tb_xml_signed_info(X509_PUBKEY *spki, int md_nid, const char *uri,
    const unsigned char *digest, size_t digest_len, unsigned char **out, size_t *out_len,
    tb_error *err)
{
	tb_xml_ref ref;

	ref.uri = uri;
	ref.digest = digest;
	ref.digest_len = digest_len;
	return tb_xml_signed_info_refs(spki, md_nid, 1, &ref, 1, out, out_len, err);
}

int
tb_wsse_signed_info(X509_PUBKEY *spki, int md_nid, const char *body_uri,
    const unsigned char *body_digest, size_t body_digest_len, const char *ts_id,
    const unsigned char *ts_digest, size_t ts_digest_len, unsigned char **out,
    size_t *out_len, tb_error *err)
{
	char ts_uri[TB_XML_REF_URI_MAX + 2];
	tb_xml_ref refs[2];

	/* Too long an ID gives a URI tb_xml_ref_uri_ok refuses, not a cut one. */
	snprintf(ts_uri, sizeof(ts_uri), "#%.*s", TB_XML_REF_URI_MAX, ts_id);
	refs[0].uri = body_uri;
	refs[0].digest = body_digest;
	refs[0].digest_len = body_digest_len;
	refs[1].uri = ts_uri;
	refs[1].digest = ts_digest;
	refs[1].digest_len = ts_digest_len;
	return tb_xml_signed_info_refs(spki, md_nid, 0, refs, 2, out, out_len, err);
}

int
tb_wsse_timestamp(const char *id, time_t created, long ttl, unsigned char **out,
    size_t *out_len, tb_error *err)
{
	static const char fmt[] =
	    "<wsu:Timestamp xmlns:wsu=\"" TB_XML_WSU_NS "\" wsu:Id=\"%s\">"
	    "<wsu:Created>%s</wsu:Created><wsu:Expires>%s</wsu:Expires></wsu:Timestamp>";
	char c[32], e[32];
	int n;

	if (id == NULL || strlen(id) > TB_XML_REF_URI_MAX - 1 || !ncname_ok(id))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "timestamp Id: an NCName of at most "
		    "%d characters", TB_XML_REF_URI_MAX - 1);
	if (ttl < 1 || ttl > TB_WSSE_TTL_MAX)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "ttl: %ld seconds, not 1 to %d", ttl,
		    TB_WSSE_TTL_MAX);
	tb_clock_format(created, c, sizeof(c));
	tb_clock_format(created + ttl, e, sizeof(e));
	n = snprintf(NULL, 0, fmt, id, c, e);
	if (n <= 0 || (*out = OPENSSL_malloc((size_t)n + 1)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "Timestamp");
	snprintf((char *)*out, (size_t)n + 1, fmt, id, c, e);
	*out_len = (size_t)n;
	return 0;
}
