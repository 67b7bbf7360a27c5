/*
 * Raw GOST verification rate: one certificate's signature checked again and
 * again with libsig's tb_gost_verify under its issuer's key, one thread per
 * core. The floor against which verification through tanbad is compared.
 * Usage: gost_verify CERT.pem ISSUER.pem [SECONDS] [THREADS]
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bench_io.h"
#include "der_reader.h"
#include "gost.h"

struct job {
	const unsigned char *tbs, *sig;
	size_t tbs_len, sig_len;
	X509_ALGOR *salg;
	X509_PUBKEY *spki;
	double deadline;
	long count;
	int failed;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	tb_sigalg_info info;
	tb_error err;

	while (bench_now_s() < j->deadline) {
		if (tb_gost_verify(NULL, j->salg, j->spki, j->tbs, j->tbs_len, j->sig,
		    j->sig_len, &info, &err) != 0) {
			fprintf(stderr, "gost_verify: %s\n", err.detail);
			j->failed = 1;
			break;
		}
		j->count++;
	}
	return NULL;
}

static X509 *
read_pem(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = NULL;

	if (f != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (x == NULL)
		fprintf(stderr, "gost_verify: %s: not a PEM certificate\n", path);
	return x;
}

int
main(int argc, char **argv)
{
	X509 *cert, *issuer;
	unsigned char *der = NULL, tag;
	const unsigned char *p;
	int len, threads, i, rc = 0;
	double seconds, t0, el;
	long total = 0;
	tb_der in, c, tbs, alg, bits, sig;
	struct job *jobs;
	pthread_t *tid;

	if (argc < 3) {
		fprintf(stderr, "usage: gost_verify CERT.pem ISSUER.pem [SECONDS] [THREADS]\n");
		return 2;
	}
	seconds = argc > 3 ? atof(argv[3]) : 5.0;
	threads = argc > 4 ? atoi(argv[4]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if ((cert = read_pem(argv[1])) == NULL || (issuer = read_pem(argv[2])) == NULL)
		return 2;
	if ((len = i2d_X509(cert, &der)) <= 0)
		return 2;
	/* Certificate { tbsCertificate, signatureAlgorithm, signatureValue }: the bytes signed. */
	tb_der_init(&in, der, (size_t)len);
	if (tb_der_expect(&in, TB_DER_SEQUENCE, &c, NULL) != 0 ||
	    tb_der_next(&c, &tag, NULL, &tbs) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, NULL, &alg) != 0 ||
	    tb_der_expect(&c, TB_DER_BIT_STRING, &bits, NULL) != 0 ||
	    tb_der_bits(&bits, &sig) != 0) {
		fprintf(stderr, "gost_verify: %s: not a certificate\n", argv[1]);
		return 2;
	}
	jobs = calloc((size_t)threads, sizeof(*jobs));
	tid = calloc((size_t)threads, sizeof(*tid));
	if (jobs == NULL || tid == NULL)
		return 2;
	t0 = bench_now_s();
	for (i = 0; i < threads; i++) {
		jobs[i].tbs = tbs.p;
		jobs[i].tbs_len = tbs.len;
		jobs[i].sig = sig.p;
		jobs[i].sig_len = sig.len;
		p = alg.p;
		jobs[i].salg = d2i_X509_ALGOR(NULL, &p, (long)alg.len);
		jobs[i].spki = X509_get_X509_PUBKEY(issuer);
		jobs[i].deadline = t0 + seconds;
		if (jobs[i].salg == NULL)
			return 2;
	}
	for (i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, worker, &jobs[i]);
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		total += jobs[i].count;
		rc |= jobs[i].failed;
		X509_ALGOR_free(jobs[i].salg);
	}
	el = bench_now_s() - t0;
	printf("raw_gost512_verify %.1f verify/s\n", (double)total / el);
	free(jobs);
	free(tid);
	OPENSSL_free(der);
	X509_free(cert);
	X509_free(issuer);
	return rc ? 1 : 0;
}
