/*
 * CRLs made by tanba-testpki (run through rev-testpki.sh): a delta CRL
 * applied over its base, and a 1,000,000-entry CRL loaded within the time
 * and memory bounds with correct lookups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/pem.h>

#include "check_run.h"
#include "crl.h"
#include "tb_clock.h"
#include "tb_file.h"

static X509 *
cert(const char *name)
{
	char path[4096];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", getenv("REV_TP_DIR"), name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

static tb_crl *
load(const char *name, X509 *ca, size_t *der_len, double *secs)
{
	char path[4096];
	unsigned char *der = NULL;
	size_t len = 0;
	tb_crl_policy pol = { tb_clock_now(), 300, 0, 0 };
	tb_crl *crl = NULL;
	tb_error err;
	struct timespec a, b;

	snprintf(path, sizeof(path), "%s/%s", getenv("REV_TP_DIR"), name);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_msg(tb_file_read(path, (size_t)1 << 30, &der, &len, &err) == 0, "%s", err.detail);
	ck_assert_msg(tb_crl_load(der, len, ca, &pol, &crl, &err) == 0, "%s: %s", name, err.detail);
	clock_gettime(CLOCK_MONOTONIC, &b);
	free(der);
	if (der_len != NULL)
		*der_len = len;
	if (secs != NULL)
		*secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	return crl;
}

static int
lookup(const tb_crl *base, const tb_crl *delta, const char *name, int *reason, int *fd)
{
	X509 *x = cert(name);
	unsigned char s[64];
	size_t sl;
	time_t when;
	int r;

	ck_assert_int_eq(tb_crl_cert_serial(x, s, sizeof(s), &sl, NULL), 0);
	r = tb_crl_lookup(base, delta, s, sl, &when, reason, fd);
	X509_free(x);
	return r;
}

START_TEST(base_and_delta)
{
	X509 *ca = cert("ca");
	tb_crl *base = load("base.crl", ca, NULL, NULL), *delta = load("delta.crl", ca, NULL, NULL);
	int reason, fd;
	tb_error err;

	ck_assert_int_eq(tb_crl_get_info(delta)->is_delta, 1);
	ck_assert_msg(tb_crl_delta_applies(base, delta, &err) == 0, "%s", err.detail);
	ck_assert_int_eq(lookup(base, delta, "individual-sign", &reason, &fd), 1);
	ck_assert_int_eq(reason, 1);
	ck_assert_int_eq(lookup(base, NULL, "legal-sign", &reason, &fd), 0);
	ck_assert_int_eq(lookup(base, delta, "legal-sign", &reason, &fd), 1);
	ck_assert_int_eq(fd, 1);
	ck_assert_int_eq(lookup(base, NULL, "legal-employee", &reason, &fd), 1);
	ck_assert_int_eq(reason, 6);
	ck_assert_int_eq(lookup(base, delta, "legal-employee", &reason, &fd), 0);
	ck_assert_int_eq(fd, 1);	/* removeFromCRL */
	ck_assert_int_eq(lookup(base, delta, "individual-auth", &reason, &fd), 0);
	tb_crl_free(base);
	tb_crl_free(delta);
	X509_free(ca);
}
END_TEST

START_TEST(million_entries)
{
	X509 *ca = cert("ca");
	size_t len;
	double secs;
	tb_crl *big = load("big.crl", ca, &len, &secs);
	int reason, fd;

	ck_assert_int_ge(tb_crl_get_info(big)->entries, 1000000);
	ck_assert_msg(secs < 3.0, "1M-entry CRL took %.2f s to load", secs);
	ck_assert_msg(tb_crl_mem(big) < 2 * len, "index %zu bytes for %zu bytes of DER",
	    tb_crl_mem(big), len);
	ck_assert_int_eq(lookup(big, NULL, "individual-sign", &reason, &fd), 1);
	ck_assert_int_eq(lookup(big, NULL, "individual-auth", &reason, &fd), 0);
	tb_crl_free(big);
	X509_free(ca);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rev_pki");
	TCase *tc = tcase_create("testpki");

	if (getenv("REV_TP_DIR") == NULL) {
		fprintf(stderr, "REV_TP_DIR not set: run through rev-testpki.sh\n");
		return 77;
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, base_and_delta);
	tcase_add_test(tc, million_entries);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
