/*
 * The one certificate reader (libsig/cert_read.c) and its rule: a PEM
 * bundle (text and other blocks between certificates skipped), one DER
 * certificate with nothing after it, and refusals for junk, a damaged PEM
 * block, DER with trailing bytes, empty input, input over the size limit,
 * and several certificates where one is expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert_read.h"
#include "check_run.h"

static X509 *cert_a, *cert_b;
static unsigned char *pem_a, *pem_b, *der_a;
static size_t pem_a_len, pem_b_len;
static int der_a_len;

/* A self-signed P-256 certificate named cn. */
static X509 *
mk_cert(const char *cn)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	ck_assert_int_ne(X509_sign(x, k, EVP_sha256()), 0);
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return x;
}

static unsigned char *
to_pem(X509 *x, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	unsigned char *out;

	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	n = BIO_get_mem_data(b, &p);
	out = malloc((size_t)n);
	memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static void
setup(void)
{
	cert_a = mk_cert("reader a");
	cert_b = mk_cert("reader b");
	pem_a = to_pem(cert_a, &pem_a_len);
	pem_b = to_pem(cert_b, &pem_b_len);
	der_a = NULL;
	der_a_len = i2d_X509(cert_a, &der_a);
	ck_assert_int_gt(der_a_len, 0);
}

static void
teardown(void)
{
	X509_free(cert_a);
	X509_free(cert_b);
	free(pem_a);
	free(pem_b);
	OPENSSL_free(der_a);
}

/* Reads buf and expects code; on success, n certificates with the first being first. */
static void
expect_mem(const void *buf, size_t len, int code, int n, X509 *first)
{
	STACK_OF(X509) *sk = NULL;
	tb_error err;

	tb_error_clear(&err);
	ck_assert_int_eq(tb_certs_read_mem(buf, len, &sk, &err), code);
	if (code != 0) {
		ck_assert_ptr_null(sk);
		ck_assert_int_eq(err.code, code);
		ck_assert_str_ne(err.detail, "");
		return;
	}
	ck_assert_int_eq(sk_X509_num(sk), n);
	ck_assert_int_eq(X509_cmp(sk_X509_value(sk, 0), first), 0);
	sk_X509_pop_free(sk, X509_free);
}

START_TEST(pem_bundle)
{
	size_t len = 0;
	char *buf = malloc(pem_a_len + pem_b_len + 256);
	static const char key_block[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqNRN3LOWqbkfnJ3DsnrpZdNw1U+5\n"
	    "Hd5xe6I2ubmHD3nKCnOdTO1zZrGSngkq0mVFIwh6V2Sby+Jm4YN6e8MDtA==\n"
	    "-----END PUBLIC KEY-----\n";

	/* One certificate; then a bundle with comments and another block between. */
	expect_mem(pem_a, pem_a_len, 0, 1, cert_a);
	len += (size_t)sprintf(buf, "# national roots\n");
	memcpy(buf + len, pem_a, pem_a_len);
	len += pem_a_len;
	memcpy(buf + len, key_block, sizeof(key_block) - 1);
	len += sizeof(key_block) - 1;
	len += (size_t)sprintf(buf + len, "subject=CN = reader b\n");
	memcpy(buf + len, pem_b, pem_b_len);
	len += pem_b_len;
	expect_mem(buf, len, 0, 2, cert_a);
	free(buf);
}
END_TEST

START_TEST(der)
{
	unsigned char *buf = malloc((size_t)der_a_len + 1);

	expect_mem(der_a, (size_t)der_a_len, 0, 1, cert_a);
	/* A byte after the certificate: refused, never silently dropped. */
	memcpy(buf, der_a, (size_t)der_a_len);
	buf[der_a_len] = 0;
	expect_mem(buf, (size_t)der_a_len + 1, TB_ERR_MALFORMED, 0, NULL);
	/* Cut short. */
	expect_mem(der_a, (size_t)der_a_len - 1, TB_ERR_MALFORMED, 0, NULL);
	free(buf);
}
END_TEST

START_TEST(junk_and_empty)
{
	char *damaged = malloc(pem_a_len + 1);
	char *body;

	expect_mem("", 0, TB_ERR_MALFORMED, 0, NULL);
	expect_mem("hello, not a certificate\n", 25, TB_ERR_MALFORMED, 0, NULL);
	expect_mem("\x30\x03\x02\x01\x01", 5, TB_ERR_MALFORMED, 0, NULL);
	/* A PEM block whose base64 is damaged is an error, not "no more blocks". */
	memcpy(damaged, pem_a, pem_a_len);
	damaged[pem_a_len] = '\0';
	body = strchr(damaged, '\n') + 1;
	body[10] = '*';
	body[11] = '*';
	expect_mem(damaged, pem_a_len, TB_ERR_MALFORMED, 0, NULL);
	free(damaged);
}
END_TEST

START_TEST(size_limit)
{
	size_t len = (size_t)TB_CERT_FILE_MAX + 1;
	unsigned char *big = malloc(len);

	/* Refused on its length before a byte is looked at (so left unwritten here). */
	ck_assert_ptr_nonnull(big);
	memcpy(big, pem_a, pem_a_len);
	expect_mem(big, len, TB_ERR_TOO_LARGE, 0, NULL);
	free(big);
}
END_TEST

/* Writes len bytes of buf to a new temporary file; returns its path (static). */
static const char *
tmpfile_with(const void *buf, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/tb-cert-read-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(one_certificate_files)
{
	const char *path;
	char *two = malloc(pem_a_len + pem_b_len);
	X509 *x = NULL;
	tb_error err;

	path = tmpfile_with(der_a, (size_t)der_a_len);
	ck_assert_int_eq(tb_cert_read_file(path, &x, &err), 0);
	ck_assert_int_eq(X509_cmp(x, cert_a), 0);
	X509_free(x);
	x = NULL;
	unlink(path);

	memcpy(two, pem_a, pem_a_len);
	memcpy(two + pem_a_len, pem_b, pem_b_len);
	path = tmpfile_with(two, pem_a_len + pem_b_len);
	ck_assert_int_eq(tb_cert_read_file(path, &x, &err), TB_ERR_MALFORMED);
	ck_assert_ptr_null(x);
	ck_assert_ptr_nonnull(strstr(err.detail, path));
	unlink(path);

	path = tmpfile_with("", 0);
	ck_assert_int_eq(tb_cert_read_file(path, &x, &err), TB_ERR_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.detail, path));
	unlink(path);
	ck_assert_int_ne(tb_cert_read_file("/nonexistent/cert.pem", &x, &err), 0);
	ck_assert_ptr_null(x);
	free(two);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cert_read");
	TCase *tc = tcase_create("rule");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pem_bundle);
	tcase_add_test(tc, der);
	tcase_add_test(tc, junk_and_empty);
	tcase_add_test(tc, size_limit);
	tcase_add_test(tc, one_certificate_files);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_VERBOSE);
}
