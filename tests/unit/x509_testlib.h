/*
 * A small PKI made in the test process (test_ocsp_check, test_crl_scope):
 * certificates valid from a day ago for thirty days, and the assertion on
 * a revocation answer the revocation unit tests share. Test code only.
 */
#ifndef TB_X509_TESTLIB_H
#define TB_X509_TESTLIB_H

#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Adds the extension nid = value (OpenSSL's config syntax) to x, issued by issuer (NULL: x). */
void tbt_add_ext(X509 *x, X509 *issuer, int nid, const char *value);

/*
 * A certificate named cn with key, issued by issuer (NULL: a self-signed
 * CA) and signed by signer; eku: its extendedKeyUsage, or NULL.
 */
X509 *tbt_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer, EVP_PKEY *signer,
    const char *eku);

/* res (a tb_rev_result) has status want and a detail containing text; clears res. */
#define REV_IS(res, want, text) do { \
	ck_assert_msg((res).status == (want), "status %d, want %d: %s", (res).status, (want), \
	    (res).detail); \
	ck_assert_msg(strstr((res).detail, (text)) != NULL, "detail \"%s\" lacks \"%s\"", \
	    (res).detail, (text)); \
	tb_rev_result_clear(&(res)); } while (0)

#endif
