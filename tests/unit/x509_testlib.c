/* The in-process test PKI of x509_testlib.h. */
#include "config.h"

#include <openssl/x509v3.h>

#include "x509_testlib.h"

void
tbt_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

X509 *
tbt_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *signer,
    const char *eku)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert(x != NULL && n != NULL);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400 * 30);
	X509_set_pubkey(x, key);
	tbt_add_ext(x, issuer, NID_basic_constraints,
	    issuer != NULL ? "critical,CA:FALSE" : "critical,CA:TRUE");
	if (eku != NULL)
		tbt_add_ext(x, issuer, NID_ext_key_usage, eku);
	ck_assert_int_gt(X509_sign(x, signer, EVP_sha256()), 0);
	return x;
}
