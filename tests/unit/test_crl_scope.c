/*
 * The CRL answers of the checker the service runs (tb_rev_check), with CRLs
 * the CA signs here at test time and leaves in the checker's disk cache (its
 * last good CRLs, loaded when the checker is built):
 *  - a complete CRL answers good for a certificate it does not list;
 *  - a CRL whose issuingDistributionPoint says onlyContainsCACerts does not
 *    cover an end-entity certificate: UNKNOWN naming the scope, never good;
 *  - a CRL past its nextUpdate, with its download failing, answers nothing:
 *    UNKNOWN naming the expiry, never good.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check_run.h"
#include "rev_checker.h"
#include "x509_testlib.h"

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca, *leaf;
static char dir[] = "/tmp/tb-crlscope-XXXXXX";
static char crl_path[256];

/*
 * Writes into the cache a CRL of the CA issued 2 days ago, next update at
 * now + next_s, listing serial 99 only; idp: its issuingDistributionPoint
 * value, or NULL.
 */
static void
write_crl(long next_s, const char *idp)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	ASN1_TIME *t = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	FILE *f;
	int n;

	ck_assert(crl != NULL && rev != NULL && serial != NULL);
	X509_CRL_set_version(crl, X509_CRL_VERSION_2);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = X509_gmtime_adj(NULL, -2 * 86400);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, next_s);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_INTEGER_set(serial, 99);
	X509_REVOKED_set_serialNumber(rev, serial);
	X509_gmtime_adj(t, -3 * 86400);
	X509_REVOKED_set_revocationDate(rev, t);
	X509_CRL_add0_revoked(crl, rev);
	/* RFC 5280 5.2.3: a CRL without a CRL number is refused before its scope. */
	ck_assert_int_eq(X509_CRL_add1_ext_i2d(crl, NID_crl_number, serial, 0, 0), 1);
	if (idp != NULL) {
		X509V3_set_ctx(&ctx, ca, NULL, NULL, crl, 0);
		ck_assert_ptr_nonnull(ext = X509V3_EXT_nconf_nid(NULL, &ctx,
		    NID_issuing_distribution_point, idp));
		X509_CRL_add_ext(crl, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_CRL_sort(crl);
	ck_assert_int_gt(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
	ck_assert_int_gt(n = i2d_X509_CRL(crl, &der), 0);
	ck_assert_ptr_nonnull(f = fopen(crl_path, "wb"));
	ck_assert_uint_eq(fwrite(der, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	OPENSSL_free(der);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(serial);
	X509_CRL_free(crl);
}

static void
setup(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, k;
	char tag[33];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ck_assert_ptr_nonnull(leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ca = tbt_cert("CRL SCOPE TEST CA", 1, ca_key, NULL, ca_key, NULL);
	leaf = tbt_cert("CRL SCOPE TEST LEAF", 2, leaf_key, ca, ca_key, NULL);
	/* The cache names a CA's CRL by the hex of its first 16 SHA-256 bytes. */
	ck_assert_int_eq(X509_digest(ca, EVP_sha256(), md, &md_len), 1);
	for (k = 0; k < 16; k++)
		snprintf(tag + 2 * k, 3, "%02x", md[k]);
	snprintf(crl_path, sizeof(crl_path), "%s/%s.crl", dir, tag);
}

static void
teardown(void)
{
	unlink(crl_path);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
}

/* A loopback URL nothing listens on: the download is refused at once. */
static const char *
refused_url(void)
{
	static char url[64];
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(s, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ca.crl", (unsigned)ntohs(a.sin_port));
	return url;
}

/* The CRL-only answer for the leaf, from a checker built on the cache. */
static tb_rev_result
check_leaf(const char *url)
{
	tb_rev_conf conf;
	tb_rev_issuer_conf ic;
	tb_rev_ctx *ctx = NULL;
	tb_rev_result res;
	tb_error err;

	tb_rev_conf_init(&conf);
	tb_rev_issuer_conf_init(&ic);
	ic.issuer = ca;
	ic.order[0] = TB_REV_SRC_CRL;
	ic.n_order = 1;
	if (url != NULL)
		ic.crl_urls[ic.n_crl_urls++] = url;
	conf.issuers = &ic;
	conf.n_issuers = 1;
	conf.cache_dir = dir;
	conf.background = 0;
	conf.fetch.connect_timeout_ms = 2000;
	conf.fetch.timeout_ms = 3000;
	ck_assert_msg(tb_rev_ctx_new(&conf, &ctx, &err) == 0, "%s", err.detail);
	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(tb_rev_check(ctx, leaf, ca, time(NULL), &res, &err), 0);
	tb_rev_ctx_free(ctx);
	return res;
}

START_TEST(complete_crl_answers)
{
	tb_rev_result r;

	write_crl(86400, NULL);
	r = check_leaf(NULL);
	REV_IS(r, TB_REV_GOOD, "");
}
END_TEST

START_TEST(ca_only_crl_does_not_cover_a_leaf)
{
	tb_rev_result r;

	write_crl(86400, "critical,onlyCA:TRUE");
	r = check_leaf(NULL);
	REV_IS(r, TB_REV_UNKNOWN, "onlyContainsCACerts");
}
END_TEST

START_TEST(stale_crl_answers_nothing)
{
	tb_rev_result r;

	/* Expired an hour ago; the server that would have a new one refuses. */
	write_crl(-3600, NULL);
	r = check_leaf(refused_url());
	REV_IS(r, TB_REV_UNKNOWN, "expired");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crl-scope");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, complete_crl_answers);
	tcase_add_test(tc, ca_only_crl_does_not_cover_a_leaf);
	tcase_add_test(tc, stale_crl_answers_nothing);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
