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

int
tb_xml_signed_info(X509_PUBKEY *spki, int md_nid, const char *uri,
    const unsigned char *digest, size_t digest_len, unsigned char **out, size_t *out_len,
    tb_error *err)
{
	static const char fmt[] =
	    "<ds:SignedInfo xmlns:ds=\"" TB_XML_DSIG_NS "\">"
	    "<ds:CanonicalizationMethod Algorithm=\"" EXC_C14N "\"></ds:CanonicalizationMethod>"
	    "<ds:SignatureMethod Algorithm=\"%s\"></ds:SignatureMethod>"
	    "<ds:Reference URI=\"%s\"><ds:Transforms>"
	    "<ds:Transform Algorithm=\"" TB_XML_ENVELOPED "\"></ds:Transform>"
	    "<ds:Transform Algorithm=\"" EXC_C14N "\"></ds:Transform></ds:Transforms>"
	    "<ds:DigestMethod Algorithm=\"%s\"></ds:DigestMethod>"
	    "<ds:DigestValue>%s</ds:DigestValue></ds:Reference></ds:SignedInfo>";
	/* A GOST key's row names its own hash: md_nid must be that one. */
	const tb_xml_sigmethod *meth = tb_xml_sigmethod_for_key(spki, md_nid);
	const tb_xml_digest *dg = tb_xml_digest_by_nid(md_nid);
	size_t want = tb_xml_signed_info_md_len(md_nid);
	char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	int n;

	if (meth == NULL || meth->md_nid != md_nid || dg == NULL || want == 0)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "XML through tanbad: an RSA or EC "
		    "key with SHA-256, 384 or 512, or a GOST 2015 key with its Streebog");
	if (!tb_xml_ref_uri_ok(uri))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference URI: \"\" or \"#\" and an "
		    "NCName of at most %d characters", TB_XML_REF_URI_MAX - 1);
	if (digest_len != want)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference digest: %zu bytes for %s",
		    digest_len, dg->name);
	EVP_EncodeBlock((unsigned char *)b64, digest, (int)digest_len);
	n = snprintf(NULL, 0, fmt, meth->uri, uri, dg->uri, b64);
	if (n <= 0 || (*out = OPENSSL_malloc((size_t)n + 1)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SignedInfo");
	snprintf((char *)*out, (size_t)n + 1, fmt, meth->uri, uri, dg->uri, b64);
	*out_len = (size_t)n;
	return 0;
}
