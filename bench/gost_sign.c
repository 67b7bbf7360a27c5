/*
 * GOST 2015-512 signing through libsig (tb_cms_sign with a file key from an
 * NCA-layout container: the signed attributes built, Streebog-hashed,
 * signed, the CMS written) beside the gost engine's raw signing rate
 * (EVP_PKEY_sign over a Streebog digest) on the same key, in the same run,
 * one thread each, taking turns so both see the same machine. With
 * THREADS, the engine's raw rate in that many threads too: the baseline of
 * signing through tanbad, whose signer signs in as many workers.
 * Usage: gost_sign P12 PASSWORD-FILE [SECONDS [THREADS]]
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bench_io.h"
#include "cms_sign.h"
#include "gost.h"
#include "gost_key.h"
#include "p12_read.h"
#include "tb_clock.h"
#include "tb_file.h"

#define ROUNDS 4
#define THREADS_MAX 64

/* One thread of the raw rate: its own context on the shared key. */
struct raw_thread {
	EVP_PKEY *pkey;
	double seconds;
	long n;
	int failed;
};

static void *
raw_run(void *arg)
{
	struct raw_thread *rt = arg;
	unsigned char dg[64], rs[128];
	size_t rs_len;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(rt->pkey, NULL);
	double t0 = bench_now_s();

	memset(dg, 0x5a, sizeof(dg));
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0) {
		rt->failed = 1;
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	while (bench_now_s() - t0 < rt->seconds) {
		rs_len = sizeof(rs);
		if (EVP_PKEY_sign(ctx, rs, &rs_len, dg, sizeof(dg)) <= 0) {
			rt->failed = 1;
			break;
		}
		rt->n++;
	}
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

/* The engine's raw rate in n threads at once, as raw_gost512_sign_threads. */
static int
raw_threads(EVP_PKEY *pkey, int n, double seconds)
{
	pthread_t th[THREADS_MAX];
	struct raw_thread rt[THREADS_MAX];
	long total = 0;
	int i, started = 0, failed = 0;

	for (i = 0; i < n; i++) {
		rt[i].pkey = pkey;
		rt[i].seconds = seconds;
		rt[i].n = 0;
		rt[i].failed = 0;
		if (pthread_create(&th[i], NULL, raw_run, &rt[i]) != 0)
			break;
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		total += rt[i].n;
		failed |= rt[i].failed;
	}
	if (failed || started != n) {
		fprintf(stderr, "gost_sign: raw signing in %d threads failed\n", n);
		return 2;
	}
	printf("raw_gost512_sign_threads %.1f sig/s\n", (double)total / seconds);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned char *p12 = NULL, dg[64], rs[128], doc[1024], *der = NULL;
	size_t p12_len = 0, pw_len = 0, rs_len, der_len, i;
	double seconds, half, t, raw_t = 0, cms_t = 0;
	long raw_n = 0, cms_n = 0;
	tb_gost_key *key = NULL;
	tb_p12 *box = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	tb_sign_request req;
	tb_signer signer;
	tb_error err;
	char pw[256];
	int fd = -1, round, threads;

	if (argc < 3) {
		fprintf(stderr, "usage: gost_sign P12 PASSWORD-FILE [SECONDS]\n");
		return 2;
	}
	seconds = argc > 3 ? atof(argv[3]) : 5.0;
	threads = argc > 4 ? atoi(argv[4]) : 0;
	if (threads < 0 || threads > THREADS_MAX) {
		fprintf(stderr, "gost_sign: THREADS is 1..%d\n", THREADS_MAX);
		return 2;
	}
	half = seconds / (2 * ROUNDS);
	if (tb_secret_open(argv[2], &fd, &err) != 0 ||
	    tb_secret_read(fd, pw, sizeof(pw), &pw_len, &err) != 0 ||
	    tb_file_read(argv[1], 1 << 20, &p12, &p12_len, &err) != 0 ||
	    tb_gost_key_load_p12_mem(p12, p12_len, pw, &key, &err) != 0 ||
	    tb_p12_read(p12, p12_len, pw, &box, &err) != 0 ||
	    tb_gost_p8_to_key(box->p8, &pkey, &err) != 0) {
		fprintf(stderr, "gost_sign: %s\n", err.detail);
		return 2;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	if ((ctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL || EVP_PKEY_sign_init(ctx) <= 0) {
		fprintf(stderr, "gost_sign: the engine cannot sign with the key\n");
		return 2;
	}
	for (i = 0; i < sizeof(dg); i++)
		dg[i] = (unsigned char)(i * 13 + 5);
	memset(doc, 'a', sizeof(doc));
	memset(&req, 0, sizeof(req));
	req.data = doc;
	req.data_len = sizeof(doc);
	signer.sign_digest = tb_gost_signer_cb;
	signer.ctx = key;
	for (round = 0; round < ROUNDS; round++) {
		t = bench_now_s();
		do {
			rs_len = sizeof(rs);
			if (EVP_PKEY_sign(ctx, rs, &rs_len, dg, sizeof(dg)) <= 0) {
				fprintf(stderr, "gost_sign: raw signing failed\n");
				return 2;
			}
			raw_n++;
		} while (bench_now_s() - t < half);
		raw_t += bench_now_s() - t;
		t = bench_now_s();
		do {
			req.signing_time = tb_clock_now();
			if (tb_cms_sign(tb_gost_key_cert(key), NULL, &signer, &req, &der, &der_len,
			    &err) != 0) {
				fprintf(stderr, "gost_sign: %s\n", err.detail);
				return 2;
			}
			OPENSSL_free(der);
			cms_n++;
		} while (bench_now_s() - t < half);
		cms_t += bench_now_s() - t;
	}
	printf("raw_gost512_sign %.1f sig/s\n", (double)raw_n / raw_t);
	printf("gost512_cms_sign_libsig %.1f sig/s\n", (double)cms_n / cms_t);
	printf("gost_sign_ratio_libsig %.3f ratio\n",
	    ((double)cms_n / cms_t) / ((double)raw_n / raw_t));
	if (threads > 0 && raw_threads(pkey, threads, seconds / 2) != 0)
		return 2;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	tb_p12_free(box);
	tb_gost_key_free(key);
	OPENSSL_cleanse(p12, p12_len);
	free(p12);
	close(fd);
	return 0;
}
