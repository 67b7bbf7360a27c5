/*
 * The XMLDSig algorithm URIs tanba accepts, each mapped to the OIDs of the
 * algorithm table (sigalg.c) so that XML signatures are checked by the same
 * code as CMS: the W3C and RFC 6931 URIs for RSA and ECDSA, and the Kazakh
 * URIs of DOMAIN.md for GOST (xmlsec1 knows none of them). Also the
 * canonicalization URIs, and base64 as Kalkan writes it (with "&#13;").
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "xml_int.h"

#define DS "http://www.w3.org/2000/09/xmldsig#"
#define MORE "http://www.w3.org/2001/04/xmldsig-more#"
#define ENC "http://www.w3.org/2001/04/xmlenc#"
#define KZ "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"

static const tb_xml_digest digests[] = {
	{ DS "sha1", "sha1", "1.3.14.3.2.26", 1, NID_sha1 },
	{ ENC "sha256", "sha256", "2.16.840.1.101.3.4.2.1", 0, NID_sha256 },
	{ MORE "sha384", "sha384", "2.16.840.1.101.3.4.2.2", 0, NID_sha384 },
	{ ENC "sha512", "sha512", "2.16.840.1.101.3.4.2.3", 0, NID_sha512 },
	{ KZ "gostr34112015-512", "gost34112015-512", "1.2.398.3.10.1.3.3", 0,
	    NID_id_GostR3411_2012_512 },
	{ KZ "gostr34112015-256", "gost34112015-256", "1.2.398.3.10.1.3.2", 0,
	    NID_id_GostR3411_2012_256 },
	{ MORE "gost34311", "gost34311", "1.2.398.3.10.1.3.1.1.0", 0, NID_id_GostR3411_94 },
};

/*
 * RSA and ECDSA name their hash in the signature OID (sigalg.c classifies
 * it); GOST rows name the Kazakh signature OID and the hash OID apart, as
 * a CMS SignerInfo does, and the GOST module checks they belong together.
 * ECDSA values are r || s in XML (RFC 4050), DER in the table: ecdsa marks
 * the conversion.
 */
static const tb_xml_sigmethod sigmethods[] = {
	{ DS "rsa-sha1", "1.2.840.113549.1.1.5", NULL, 0, 1, NID_sha1, NULL },
	{ MORE "rsa-sha256", "1.2.840.113549.1.1.11", NULL, 0, 0, NID_sha256, NULL },
	{ MORE "rsa-sha384", "1.2.840.113549.1.1.12", NULL, 0, 0, NID_sha384, NULL },
	{ MORE "rsa-sha512", "1.2.840.113549.1.1.13", NULL, 0, 0, NID_sha512, NULL },
	{ MORE "ecdsa-sha1", "1.2.840.10045.4.1", NULL, 1, 1, NID_sha1, NULL },
	{ MORE "ecdsa-sha256", "1.2.840.10045.4.3.2", NULL, 1, 0, NID_sha256, NULL },
	{ MORE "ecdsa-sha384", "1.2.840.10045.4.3.3", NULL, 1, 0, NID_sha384, NULL },
	{ MORE "ecdsa-sha512", "1.2.840.10045.4.3.4", NULL, 1, 0, NID_sha512, NULL },
	{ KZ "gostr34102015-gostr34112015-512", "1.2.398.3.10.1.1.2.3.2",
	    "1.2.398.3.10.1.3.3", 0, 0, NID_id_GostR3411_2012_512, "1.2.398.3.10.1.1.2.2" },
	{ KZ "gostr34102015-gostr34112015-256", "1.2.398.3.10.1.1.2.3.1",
	    "1.2.398.3.10.1.3.2", 0, 0, NID_id_GostR3411_2012_256, "1.2.398.3.10.1.1.2.1" },
	{ MORE "gost34310-gost34311", "1.2.398.3.10.1.1.1.2", "1.2.398.3.10.1.3.1.1.0", 0, 0,
	    NID_id_GostR3411_94, "1.2.398.3.10.1.1.1.1" },
};

static const tb_xml_c14n c14ns[] = {
	{ "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", XML_C14N_1_0, 0 },
	{ "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", XML_C14N_1_0, 1 },
	{ "http://www.w3.org/2001/10/xml-exc-c14n#", XML_C14N_EXCLUSIVE_1_0, 0 },
	{ "http://www.w3.org/2001/10/xml-exc-c14n#WithComments", XML_C14N_EXCLUSIVE_1_0, 1 },
	{ "http://www.w3.org/2006/12/xml-c14n11", XML_C14N_1_1, 0 },
	{ "http://www.w3.org/2006/12/xml-c14n11#WithComments", XML_C14N_1_1, 1 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const tb_xml_digest *
tb_xml_digest_by_uri(const char *uri)
{
	size_t i;

	for (i = 0; uri != NULL && i < N(digests); i++)
		if (strcmp(digests[i].uri, uri) == 0)
			return &digests[i];
	return NULL;
}

const tb_xml_sigmethod *
tb_xml_sigmethod_by_uri(const char *uri)
{
	size_t i;

	for (i = 0; uri != NULL && i < N(sigmethods); i++)
		if (strcmp(sigmethods[i].uri, uri) == 0)
			return &sigmethods[i];
	return NULL;
}

const tb_xml_digest *
tb_xml_digest_by_nid(int md_nid)
{
	size_t i;

	for (i = 0; i < N(digests); i++)
		if (digests[i].md_nid == md_nid)
			return &digests[i];
	return NULL;
}

const tb_xml_sigmethod *
tb_xml_sigmethod_for_key(X509_PUBKEY *spki, int md_nid)
{
	ASN1_OBJECT *obj = NULL;
	char oid[64];
	size_t i;
	int nid;

	if (spki == NULL || !X509_PUBKEY_get0_param(&obj, NULL, NULL, NULL, spki) ||
	    OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
		return NULL;
	nid = OBJ_obj2nid(obj);
	for (i = 0; i < N(sigmethods); i++) {
		const tb_xml_sigmethod *m = &sigmethods[i];

		/* A GOST key has one row; RSA and EC keys one per hash. */
		if (m->key_oid != NULL ? strcmp(m->key_oid, oid) == 0 :
		    m->md_nid == md_nid && !m->weak &&
		    (m->ecdsa ? nid == NID_X9_62_id_ecPublicKey : nid == NID_rsaEncryption))
			return m;
	}
	return NULL;
}

const tb_xml_c14n *
tb_xml_c14n_by_uri(const char *uri)
{
	size_t i;

	for (i = 0; uri != NULL && i < N(c14ns); i++)
		if (strcmp(c14ns[i].uri, uri) == 0)
			return &c14ns[i];
	return NULL;
}

X509_ALGOR *
tb_xml_algor(const char *oid)
{
	X509_ALGOR *a;
	ASN1_OBJECT *obj;

	if (oid == NULL || (obj = OBJ_txt2obj(oid, 1)) == NULL)
		return NULL;
	if ((a = X509_ALGOR_new()) == NULL || !X509_ALGOR_set0(a, obj, V_ASN1_UNDEF, NULL)) {
		X509_ALGOR_free(a);
		ASN1_OBJECT_free(obj);
		return NULL;
	}
	return a;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
tb_xml_b64_decode(const char *text, unsigned char **out, size_t *out_len)
{
	size_t len = strlen(text), n = 0, i;
	unsigned char *buf;
	unsigned int acc = 0;
	int bits = 0, pad = 0, v;

	if ((buf = OPENSSL_malloc(len / 4 * 3 + 3)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		/* XML whitespace, including the carriage returns Kalkan writes as &#13; */
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(c)) < 0)
			goto bad;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Whole quantums only: the padding must make up the last one exactly. */
	if (pad > 2 || (bits == 0 && pad != 0) || (bits == 4 && pad != 2) ||
	    (bits == 2 && pad != 1) || bits == 6 || (acc & ((1u << bits) - 1)) != 0 || n == 0)
		goto bad;
	*out = buf;
	*out_len = n;
	return 0;
bad:
	OPENSSL_free(buf);
	return -1;
}
