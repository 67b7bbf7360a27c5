/*
 * Benchmark of the CRL index: loads a (large) CRL file into the index and
 * prints load time, memory added, file size and lookup time as
 * "name value unit" lines, beside OpenSSL's own d2i_X509_CRL of the same
 * file as the baseline. Usage: crl_index_bench CRL.der [CA.pem]
 * (with CA.pem the load includes the signature and issuer checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crl.h"
#include "crl_index.h"
#include "der_reader.h"
#include "tb_clock.h"
#include "tb_file.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
rss_mb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* Up to max serials spread over the CRL, copied out of der. */
static size_t
sample_serials(const unsigned char *der, size_t len, unsigned char (*out)[32],
    size_t *lens, size_t max)
{
	tb_der d, crl, tbs, list, ent, serial;
	unsigned char tag;
	size_t n = 0, seen = 0;

	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &crl, NULL) != 0 ||
	    tb_der_expect(&crl, TB_DER_SEQUENCE, &tbs, NULL) != 0)
		return 0;
	/* version?, signature, issuer, thisUpdate, nextUpdate?, then the list */
	while (!tb_der_empty(&tbs)) {
		if (tb_der_next(&tbs, &tag, &list, NULL) != 0)
			return 0;
		if (tag == TB_DER_SEQUENCE && list.len > 0 && list.p[0] == TB_DER_SEQUENCE)
			break;
		list.len = 0;
	}
	while (!tb_der_empty(&list) && n < max) {
		if (tb_der_expect(&list, TB_DER_SEQUENCE, &ent, NULL) != 0 ||
		    tb_der_expect(&ent, TB_DER_INTEGER, &serial, NULL) != 0)
			break;
		if (seen++ % 997 == 0 && serial.len <= 32) {
			memcpy(out[n], serial.p, serial.len);
			lens[n++] = serial.len;
		}
	}
	return n;
}

int
main(int argc, char **argv)
{
	unsigned char *der = NULL, (*samples)[32];
	size_t len = 0, lens[2048], ns, i, iters = 0;
	double t0, t1, r0, r1, load_s, idx_rss, ossl_s = 0, ossl_rss = 0;
	tb_crl_index *ix = NULL;
	tb_crl *crl = NULL;
	tb_error err;
	X509 *ca = NULL;
	time_t when;
	int reason, found = 0;
	unsigned int rnd = 12345;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CRL.der [CA.pem]\n", argv[0]);
		return 2;
	}
	if (argc > 2) {
		FILE *f = fopen(argv[2], "r");

		if (f == NULL || (ca = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
			fprintf(stderr, "%s: not a PEM certificate\n", argv[2]);
			return 1;
		}
		fclose(f);
	}
	samples = calloc(2048, 32);
	r0 = rss_mb();
	t0 = now_s();
	if (tb_file_read(argv[1], (size_t)1 << 31, &der, &len, &err) != 0) {
		fprintf(stderr, "%s\n", err.detail);
		return 1;
	}
	if (ca != NULL) {
		tb_crl_policy pol = { tb_clock_now(), 300, 0, 1 };

		if (tb_crl_load(der, len, ca, &pol, &crl, &err) != 0) {
			fprintf(stderr, "load: %s\n", err.detail);
			return 1;
		}
	} else if (tb_crl_index_build(der, len, 0, &ix, NULL, &err) != 0) {
		fprintf(stderr, "index: %s\n", err.detail);
		return 1;
	}
	t1 = now_s();
	load_s = t1 - t0;
	ns = sample_serials(der, len, samples, lens, 2048);
	free(der);
	der = NULL;
	r1 = rss_mb();
	idx_rss = r1 - r0;
	if (crl != NULL)
		printf("crl_entries %zu count\n", tb_crl_get_info(crl)->entries);
	else
		printf("crl_entries %zu count\n", tb_crl_index_info(ix)->entries);
	printf("crl_1m_load_s %.3f s\n", load_s);
	printf("crl_1m_rss_mb %.1f MiB\n", idx_rss);
	printf("crl_1m_der_mb %.1f MiB\n", len / (1024.0 * 1024.0));
	/* Lookups: half known serials, half random ones (misses). */
	t0 = now_s();
	for (iters = 0; iters < 2000000; iters++) {
		unsigned char rs[16];
		const unsigned char *s;
		size_t sl;

		if (iters & 1 && ns > 0) {
			s = samples[iters / 2 % ns];
			sl = lens[iters / 2 % ns];
		} else {
			for (i = 0; i < sizeof(rs); i++) {
				rnd = rnd * 1103515245u + 12345u;
				rs[i] = (unsigned char)(rnd >> 16);
			}
			rs[0] &= 0x7f;
			s = rs;
			sl = sizeof(rs);
		}
		if (crl != NULL) {
			int fd;

			found += tb_crl_lookup(crl, NULL, s, sl, &when, &reason, &fd);
		} else {
			found += tb_crl_index_lookup(ix, s, sl, &when, &reason);
		}
	}
	t1 = now_s();
	printf("crl_lookup_ns %.0f ns\n", (t1 - t0) * 1e9 / (double)iters);
	printf("crl_lookup_hits %d count\n", found);
	tb_crl_index_free(ix);
	tb_crl_free(crl);

	/* Baseline: OpenSSL parsing the same file into X509_CRL objects. */
	if (getenv("CRL_BENCH_NO_BASELINE") == NULL) {
		const unsigned char *p;
		X509_CRL *x;

		if (tb_file_read(argv[1], (size_t)1 << 31, &der, &len, &err) == 0) {
			r0 = rss_mb();
			t0 = now_s();
			p = der;
			x = d2i_X509_CRL(NULL, &p, (long)len);
			t1 = now_s();
			r1 = rss_mb();
			ossl_s = t1 - t0;
			ossl_rss = r1 - r0;
			printf("crl_1m_openssl_d2i_s %.3f s\n", ossl_s);
			printf("crl_1m_openssl_rss_mb %.1f MiB\n", ossl_rss);
			X509_CRL_free(x);
			free(der);
		}
	}
	free(samples);
	X509_free(ca);
	return 0;
}
