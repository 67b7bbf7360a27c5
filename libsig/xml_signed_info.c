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

#include "xml_int.h"
#include "xml_signed_info.h"

#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"

int
tb_xml_signed_info(X509_PUBKEY *spki, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char **out, size_t *out_len, tb_error *err)
{
	static const char fmt[] =
	    "<ds:SignedInfo xmlns:ds=\"" TB_XML_DSIG_NS "\">"
	    "<ds:CanonicalizationMethod Algorithm=\"" EXC_C14N "\"></ds:CanonicalizationMethod>"
	    "<ds:SignatureMethod Algorithm=\"%s\"></ds:SignatureMethod>"
	    "<ds:Reference URI=\"\"><ds:Transforms>"
	    "<ds:Transform Algorithm=\"" TB_XML_ENVELOPED "\"></ds:Transform>"
	    "<ds:Transform Algorithm=\"" EXC_C14N "\"></ds:Transform></ds:Transforms>"
	    "<ds:DigestMethod Algorithm=\"%s\"></ds:DigestMethod>"
	    "<ds:DigestValue>%s</ds:DigestValue></ds:Reference></ds:SignedInfo>";
	const tb_xml_sigmethod *meth = tb_xml_sigmethod_for_key(spki, md_nid);
	const tb_xml_digest *dg = tb_xml_digest_by_nid(md_nid);
	const EVP_MD *md = EVP_get_digestbynid(md_nid);
	char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	int n;

	if (meth == NULL || meth->key_oid != NULL || dg == NULL || md == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "XML through tanbad: an RSA or EC "
		    "key with SHA-256, 384 or 512");
	if (digest_len != (size_t)EVP_MD_get_size(md))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference digest: %zu bytes for %s",
		    digest_len, dg->name);
	EVP_EncodeBlock((unsigned char *)b64, digest, (int)digest_len);
	n = snprintf(NULL, 0, fmt, meth->uri, dg->uri, b64);
	if (n <= 0 || (*out = OPENSSL_malloc((size_t)n + 1)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "SignedInfo");
	snprintf((char *)*out, (size_t)n + 1, fmt, meth->uri, dg->uri, b64);
	*out_len = (size_t)n;
	return 0;
}
