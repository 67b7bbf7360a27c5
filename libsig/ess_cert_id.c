/*
 * ESS signingCertificate / signingCertificateV2 against a certificate (see
 * ess_cert_id.h). The attribute bytes are the signer's, read through the
 * bounds-checked DER reader; the hash goes through the algorithm table so
 * that a GOST hash named by a Kazakh TSA is computed as any other.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "der_reader.h"
#include "ess_cert_id.h"
#include "sigalg.h"

#define GN_DIRECTORY_NAME TB_DER_CTX_CONS(4)	/* GeneralName directoryName [4] EXPLICIT Name */

/* IssuerSerial { issuer GeneralNames, serialNumber } against cert's issuer and serial. */
static enum tb_ess_match
check_issuer_serial(tb_der *is, X509 *cert, const char *what, char *why, size_t wl)
{
	tb_der names, gn, serial_tlv;
	unsigned char tag;
	const unsigned char *p;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	int found = 0, same_name = 0;
	enum tb_ess_match m = TB_ESS_MALFORMED;

	if (tb_der_expect(is, TB_DER_SEQUENCE, &names, NULL) != 0 ||
	    tb_der_expect(is, TB_DER_INTEGER, NULL, &serial_tlv) != 0 || !tb_der_empty(is))
		goto out;
	while (!tb_der_empty(&names)) {
		if (tb_der_next(&names, &tag, &gn, NULL) != 0)
			goto out;
		if (tag != GN_DIRECTORY_NAME)
			continue;
		p = gn.p;
		if (gn.len > LONG_MAX || (name = d2i_X509_NAME(NULL, &p, (long)gn.len)) == NULL ||
		    p != gn.p + gn.len)
			goto out;
		found = 1;
		same_name |= X509_NAME_cmp(name, X509_get_issuer_name(cert)) == 0;
		X509_NAME_free(name);
		name = NULL;
	}
	p = serial_tlv.p;
	if (serial_tlv.len > LONG_MAX ||
	    (serial = d2i_ASN1_INTEGER(NULL, &p, (long)serial_tlv.len)) == NULL)
		goto out;
	if (!found || !same_name) {
		snprintf(why, wl, "%s names another issuer than the TSA certificate's", what);
		m = TB_ESS_OTHER_CERT;
	} else if (ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)) != 0) {
		snprintf(why, wl, "%s names another serial number than the TSA certificate's", what);
		m = TB_ESS_OTHER_CERT;
	} else {
		m = TB_ESS_MATCH;
	}
out:
	if (m == TB_ESS_MALFORMED)
		snprintf(why, wl, "%s: issuerSerial unreadable", what);
	X509_NAME_free(name);
	ASN1_INTEGER_free(serial);
	return m;
}

/* The hash of cert's DER by alg (NULL: SHA-1, the ESSCertID's) into md. */
static int
cert_hash(X509 *cert, const X509_ALGOR *alg, unsigned char *md, unsigned int *md_len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert, &der), r = -1;
	tb_error e;

	if (n <= 0)
		return -1;
	if (alg == NULL)
		r = EVP_Digest(der, (size_t)n, md, md_len, EVP_sha1(), NULL) == 1 ? 0 : -1;
	else
		r = tb_sigalg_digest(alg, der, (size_t)n, md, md_len, &e) == 0 ? 0 : -1;
	OPENSSL_free(der);
	return r;
}

/*
 * SigningCertificate(V2) { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL }:
 * the first ESSCertID is the signer's (RFC 5035 5.4).
 */
static enum tb_ess_match
check_attr(const unsigned char *v, size_t len, int v2, X509 *cert, char *why, size_t wl)
{
	const char *what = v2 ? "ESS signingCertificateV2" : "ESS signingCertificate";
	tb_der d, sc, certs, id, alg_tlv, hash, is;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	const unsigned char *p;
	X509_ALGOR *alg = NULL;
	int has_alg = 0, has_is = 0;
	enum tb_ess_match m = TB_ESS_MALFORMED;

	tb_der_init(&d, v, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &sc, NULL) != 0 || !tb_der_empty(&d) ||
	    tb_der_expect(&sc, TB_DER_SEQUENCE, &certs, NULL) != 0 ||
	    tb_der_expect(&certs, TB_DER_SEQUENCE, &id, NULL) != 0) {
		snprintf(why, wl, "%s unreadable", what);
		goto out;
	}
	if (v2 && tb_der_optional(&id, TB_DER_SEQUENCE, NULL, &alg_tlv, &has_alg) != 0) {
		snprintf(why, wl, "%s: hashAlgorithm unreadable", what);
		goto out;
	}
	if (has_alg) {
		p = alg_tlv.p;
		if (alg_tlv.len > LONG_MAX ||
		    (alg = d2i_X509_ALGOR(NULL, &p, (long)alg_tlv.len)) == NULL) {
			snprintf(why, wl, "%s: hashAlgorithm unreadable", what);
			goto out;
		}
	} else if (v2) {
		/* ESSCertIDv2's hashAlgorithm DEFAULT id-sha256. */
		if ((alg = X509_ALGOR_new()) == NULL ||
		    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_UNDEF, NULL))
			goto out;
	}
	if (tb_der_expect(&id, TB_DER_OCTET_STRING, &hash, NULL) != 0 ||
	    tb_der_optional(&id, TB_DER_SEQUENCE, &is, NULL, &has_is) != 0 ||
	    !tb_der_empty(&id)) {
		snprintf(why, wl, "%s: ESSCertID unreadable", what);
		goto out;
	}
	if (cert_hash(cert, alg, md, &md_len) != 0) {
		snprintf(why, wl, "%s: certificate hash not computable", what);
		goto out;
	}
	if (hash.len != md_len || CRYPTO_memcmp(hash.p, md, md_len) != 0) {
		snprintf(why, wl, "%s names another certificate than the TSA's "
		    "(certHash differs)", what);
		m = TB_ESS_OTHER_CERT;
		goto out;
	}
	m = has_is ? check_issuer_serial(&is, cert, what, why, wl) : TB_ESS_MATCH;
out:
	ERR_clear_error();
	X509_ALGOR_free(alg);
	return m;
}

enum tb_ess_match
tb_ess_check(CMS_SignerInfo *si, X509 *cert, char *why, size_t why_len)
{
	static const int nids[2] = { NID_id_smime_aa_signingCertificate,
	    NID_id_smime_aa_signingCertificateV2 };
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;
	int i, k, seen = 0;
	enum tb_ess_match m;

	snprintf(why, why_len, "no ESS signingCertificate or signingCertificateV2");
	for (k = 0; k < 2; k++) {
		if ((i = CMS_signed_get_attr_by_NID(si, nids[k], -1)) < 0)
			continue;
		seen = 1;
		a = CMS_signed_get_attr(si, i);
		/* One attribute of each kind, with one value (RFC 5652 11, RFC 5035 5.4). */
		if (CMS_signed_get_attr_by_NID(si, nids[k], i) >= 0 ||
		    X509_ATTRIBUTE_count(a) != 1 || (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL ||
		    t->type != V_ASN1_SEQUENCE) {
			snprintf(why, why_len, "ESS signingCertificate%s: not one attribute with "
			    "one value", k ? "V2" : "");
			return TB_ESS_MALFORMED;
		}
		m = check_attr(ASN1_STRING_get0_data(t->value.sequence),
		    (size_t)ASN1_STRING_length(t->value.sequence), k, cert, why, why_len);
		if (m != TB_ESS_MATCH)
			return m;
	}
	if (!seen)
		return TB_ESS_ABSENT;
	why[0] = '\0';
	return TB_ESS_MATCH;
}
