/*
 * Load generator for tanbad's socket: sign requests (a random digest, or a
 * whole document as CMS, XML or WS-Security) or verify requests, either
 * closed-loop (C connections each keeping D requests in flight: the
 * saturated rate) or open-loop at a fixed rate (latency percentiles measured
 * from each request's scheduled send time, so a slow answer cannot hide the
 * ones queued behind it). Prints `name value unit` lines and its own CPU use.
 * It only talks to the socket it is given; it never touches a token.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench_io.h"
#include "tbclient.h"

struct load_opts {
	const char *socket;
	const char *op;		/* "sign" or "verify" */
	const char *key;	/* sign: key name */
	const char *name;	/* figure name */
	char *tail;		/* request after `{"id":N`, made once (verify) */
	size_t tail_len;
	double seconds;
	double rate;		/* > 0: open loop */
	int clients;
	int depth;
	int stamp;		/* sign: "timestamp":true (CAdES-T) */
	const char *digest_alg;	/* sign: "sha256" (the default) or "streebog512" (GOST keys) */
	const char *format;	/* sign a whole document (--data): "cms", "xml" or "wsse" */
};

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Sends request id: the head is made here, the (large) tail was made once. */
static int
send_request(const struct load_opts *o, int fd, long id)
{
	unsigned char hdr[4], digest[64];
	char head[384], hex[129];
	struct iovec iov[3];
	size_t hl, n;
	int i, dlen = strcmp(o->digest_alg, "streebog512") == 0 ? 64 : 32;

	if (o->tail == NULL) {
		RAND_bytes(digest, dlen);
		for (i = 0; i < dlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", digest[i]);
		hl = (size_t)snprintf(head, sizeof(head),
		    "{\"id\":%ld,\"op\":\"sign\",\"key\":\"%s\",\"digest\":\"%s:%s\"%s}",
		    id, o->key, o->digest_alg, hex, o->stamp ? ",\"timestamp\":true" : "");
		n = hl;
	} else {
		hl = (size_t)snprintf(head, sizeof(head), "{\"id\":%ld", id);
		n = hl + o->tail_len;
	}
	tbc_frame_header(hdr, (uint32_t)n);
	iov[0].iov_base = hdr;
	iov[0].iov_len = 4;
	iov[1].iov_base = head;
	iov[1].iov_len = hl;
	iov[2].iov_base = o->tail;
	iov[2].iov_len = o->tail_len;
	return tbc_send_iov(fd, iov, o->tail == NULL ? 2 : 3, 0, NULL) == 0 ? 0 : -1;
}

/* A growing buffer per connection: answers are read whole into it. */
struct rbuf {
	unsigned char *p;
	size_t cap;
};

/*
 * Reads one answer: 1 success, 0 a failure answer, -1 a broken connection;
 * *id gets its id. The answers are compact JSON in the daemon's key order
 * ("id", "ok", then the result: a verify result starts with its verdict),
 * so the success test is a scan, not a parse: the generator must cost little.
 */
static int
read_answer(const struct load_opts *o, int fd, struct rbuf *b, long *id)
{
	size_t len;
	const char *s, *v;

	if (tbc_recv_frame(fd, 64u * 1024 * 1024, 0, &b->p, &b->cap, &len, NULL) != 0)
		return -1;
	s = (const char *)b->p;
	*id = strncmp(s, "{\"id\":", 6) == 0 ? strtol(s + 6, NULL, 10) : -1;
	if (strstr(s, "\"ok\":true") == NULL)
		goto bad;
	if (strcmp(o->op, "sign") == 0) {
		if (strstr(s, o->format != NULL && strcmp(o->format, "cms") != 0 ?
		    "\"xml\":\"" : "\"cms\":\"") == NULL ||
		    (o->stamp && strstr(s, "\"timestamp\":true") == NULL))
			goto bad;
	} else {
		if ((v = strstr(s, "\"verdict\":\"")) == NULL || strncmp(v + 11, "VALID\"", 6) != 0)
			goto bad;
	}
	return 1;
bad:
	if (getenv("BENCH_VERBOSE") != NULL)
		fprintf(stderr, "bench: %.400s\n", s);
	return 0;
}

/* ---- closed loop ---- */

struct closed {
	const struct load_opts *o;
	double deadline;
	long ok, failed;
	int broken;
};

static void *
closed_main(void *arg)
{
	struct closed *c = arg;
	struct rbuf b = { NULL, 0 };
	long id = 0, got;
	int fd, inflight = 0, a;

	if ((fd = tbc_connect(c->o->socket, NULL)) < 0) {
		c->broken = 1;
		return NULL;
	}
	while (inflight < c->o->depth && send_request(c->o, fd, ++id) == 0)
		inflight++;
	while (inflight > 0) {
		if ((a = read_answer(c->o, fd, &b, &got)) < 0) {
			c->broken = 1;
			break;
		}
		inflight--;
		if (bench_now_s() >= c->deadline)
			continue;	/* drain: late answers are not counted */
		if (a == 1)
			c->ok++;
		else
			c->failed++;
		if (send_request(c->o, fd, ++id) != 0) {
			c->broken = 1;
			break;
		}
		inflight++;
	}
	free(b.p);
	close(fd);
	return NULL;
}

static int
run_closed(const struct load_opts *o)
{
	struct closed *c;
	pthread_t *tid;
	double t0, c0, el, cpu;
	long ok = 0, failed = 0;
	int i, broken = 0;

	c = calloc((size_t)o->clients, sizeof(*c));
	tid = calloc((size_t)o->clients, sizeof(*tid));
	if (c == NULL || tid == NULL)
		return 2;
	c0 = cpu_s();
	t0 = bench_now_s();
	for (i = 0; i < o->clients; i++) {
		c[i].o = o;
		c[i].deadline = t0 + o->seconds;
		pthread_create(&tid[i], NULL, closed_main, &c[i]);
	}
	for (i = 0; i < o->clients; i++) {
		pthread_join(tid[i], NULL);
		ok += c[i].ok;
		failed += c[i].failed;
		broken |= c[i].broken;
	}
	el = bench_now_s() - t0;
	cpu = cpu_s() - c0;
	free(c);
	free(tid);
	printf("%s %.1f %s/s\n", o->name, (double)ok / o->seconds,
	    strcmp(o->op, "sign") == 0 ? "sig" : "verify");
	printf("loadgen_cpu_%s %.3f cores\n", o->name, cpu / el);
	if (failed > 0)
		printf("failed_%s %ld count\n", o->name, failed);
	if (broken)
		fprintf(stderr, "bench: a connection to %s broke during %s\n", o->socket, o->name);
	return failed > 0 || broken || ok == 0 ? 1 : 0;
}

/* ---- open loop ---- */

struct open_conn {
	const struct load_opts *o;
	int fd;
	double t0, period, offset;
	long n;			/* requests this connection sends */
	double *sched;		/* scheduled send time per request id (1..n) */
	double *lat;		/* latency per answer */
	long answers, failed;
	int broken;
};

static void *
open_sender(void *arg)
{
	struct open_conn *c = arg;
	struct timespec ts;
	double at, d;
	long i;

	for (i = 1; i <= c->n; i++) {
		at = c->t0 + c->offset + (double)(i - 1) * c->period;
		c->sched[i] = at;
		while ((d = at - bench_now_s()) > 0) {
			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
		if (send_request(c->o, c->fd, i) != 0) {
			c->broken = 1;
			break;
		}
	}
	return NULL;
}

static void *
open_receiver(void *arg)
{
	struct open_conn *c = arg;
	struct rbuf b = { NULL, 0 };
	long id;
	int a;

	while (c->answers < c->n) {
		if ((a = read_answer(c->o, c->fd, &b, &id)) < 0 || id < 1 || id > c->n) {
			c->broken = 1;
			break;
		}
		c->lat[c->answers++] = bench_now_s() - c->sched[id];
		if (a != 1)
			c->failed++;
	}
	free(b.p);
	return NULL;
}


static int
run_open(const struct load_opts *o)
{
	struct open_conn *c;
	pthread_t *ts, *tr;
	double t0, c0, el, cpu, *all;
	long total = 0, failed = 0, k = 0, j;
	int i, broken = 0;

	c = calloc((size_t)o->clients, sizeof(*c));
	ts = calloc((size_t)o->clients, sizeof(*ts));
	tr = calloc((size_t)o->clients, sizeof(*tr));
	if (c == NULL || ts == NULL || tr == NULL)
		return 2;
	t0 = bench_now_s() + 0.05;
	for (i = 0; i < o->clients; i++) {
		c[i].o = o;
		c[i].t0 = t0;
		c[i].period = (double)o->clients / o->rate;
		c[i].offset = (double)i / o->rate;	/* interleaved: an even stream */
		c[i].n = (long)(o->seconds * o->rate / o->clients);
		if (c[i].n < 1)
			c[i].n = 1;
		c[i].sched = calloc((size_t)c[i].n + 1, sizeof(double));
		c[i].lat = calloc((size_t)c[i].n, sizeof(double));
		if (c[i].sched == NULL || c[i].lat == NULL ||
		    (c[i].fd = tbc_connect(o->socket, NULL)) < 0) {
			fprintf(stderr, "bench: cannot connect to %s\n", o->socket);
			return 2;
		}
		total += c[i].n;
	}
	c0 = cpu_s();
	for (i = 0; i < o->clients; i++) {
		pthread_create(&tr[i], NULL, open_receiver, &c[i]);
		pthread_create(&ts[i], NULL, open_sender, &c[i]);
	}
	for (i = 0; i < o->clients; i++)
		pthread_join(ts[i], NULL);
	for (i = 0; i < o->clients; i++) {
		if (c[i].broken)
			shutdown(c[i].fd, SHUT_RDWR);	/* the receiver would wait forever */
		pthread_join(tr[i], NULL);
	}
	el = bench_now_s() - t0;
	cpu = cpu_s() - c0;
	if ((all = calloc((size_t)total, sizeof(double))) == NULL)
		return 2;
	for (i = 0; i < o->clients; i++) {
		for (j = 0; j < c[i].answers; j++)
			all[k++] = c[i].lat[j];
		failed += c[i].failed;
		broken |= c[i].broken;
		close(c[i].fd);
		free(c[i].sched);
		free(c[i].lat);
	}
	qsort(all, (size_t)k, sizeof(double), bench_cmp_double);
	printf("%s_rate %.1f req/s\n", o->name, (double)k / el);
	if (k > 0) {
		printf("%s_p50_ms %.3f ms\n", o->name, all[(k - 1) / 2] * 1e3);
		printf("%s_p99_ms %.3f ms\n", o->name, all[(long)((double)(k - 1) * 0.99)] * 1e3);
	}
	printf("loadgen_cpu_%s %.3f cores\n", o->name, cpu / el);
	if (failed > 0)
		printf("failed_%s %ld count\n", o->name, failed);
	if (broken)
		fprintf(stderr, "bench: a connection to %s broke during %s\n", o->socket, o->name);
	free(all);
	free(c);
	free(ts);
	free(tr);
	return failed > 0 || broken || k < total ? 1 : 0;
}

/* Base64 of a whole file, for the verify request made once. */
static char *
file_b64(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	char *out = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n ||
	    (out = malloc(((size_t)n + 2) / 3 * 4 + 1)) == NULL) {
		fprintf(stderr, "bench: cannot read %s\n", path);
		exit(2);
	}
	EVP_EncodeBlock((unsigned char *)out, buf, (int)n);
	free(buf);
	fclose(f);
	return out;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench/load --socket PATH --name FIGURE [--seconds T] [--clients C]\n"
	    "         [--depth D | --rate R]\n"
	    "         (--sign KEY [--timestamp yes] [--digest-alg sha256|streebog512] |\n"
	    "          --sign KEY --format cms|xml|wsse --data FILE |\n"
	    "          --verify CMS.der [--content FILE])\n"
	    "--data: each request signs the whole FILE (a CMS attached, an XML document\n"
	    "or a SOAP envelope), instead of a random digest.\n"
	    "--depth: closed loop, D requests in flight per connection (the saturated rate);\n"
	    "--rate: open loop at R requests/s over C connections (p50/p99 latency).\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct load_opts o = { NULL, NULL, NULL, NULL, NULL, 0, 5.0, 0, 8, 4, 0, "sha256", NULL };
	const char *cms = NULL, *content = NULL, *data = NULL;
	char *cb = NULL, *tb = NULL;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			o.socket = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			o.name = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			o.seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--clients") == 0)
			o.clients = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--depth") == 0)
			o.depth = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--rate") == 0)
			o.rate = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--sign") == 0) {
			o.op = "sign";
			o.key = argv[i + 1];
		} else if (strcmp(argv[i], "--digest-alg") == 0) {
			o.digest_alg = argv[i + 1];
			if (strcmp(o.digest_alg, "sha256") != 0 &&
			    strcmp(o.digest_alg, "streebog512") != 0)
				usage();
		} else if (strcmp(argv[i], "--timestamp") == 0) {
			o.stamp = strcmp(argv[i + 1], "yes") == 0;
		} else if (strcmp(argv[i], "--verify") == 0) {
			o.op = "verify";
			cms = argv[i + 1];
		} else if (strcmp(argv[i], "--content") == 0)
			content = argv[i + 1];
		else if (strcmp(argv[i], "--format") == 0) {
			o.format = argv[i + 1];
			if (strcmp(o.format, "cms") != 0 && strcmp(o.format, "xml") != 0 &&
			    strcmp(o.format, "wsse") != 0)
				usage();
		} else if (strcmp(argv[i], "--data") == 0)
			data = argv[i + 1];
		else
			usage();
	}
	if (i != argc || o.socket == NULL || o.name == NULL || o.op == NULL ||
	    o.seconds <= 0 || o.clients <= 0 || o.depth <= 0 || o.rate < 0 ||
	    (data != NULL) != (o.format != NULL) || (data != NULL && strcmp(o.op, "sign") != 0) ||
	    (data != NULL && o.stamp))
		usage();
	if (data != NULL) {
		size_t n;

		cb = file_b64(data);
		n = strlen(cb) + strlen(o.key) + 96;
		if ((o.tail = malloc(n)) == NULL)
			return 2;
		o.tail_len = (size_t)snprintf(o.tail, n,
		    ",\"op\":\"sign\",\"key\":\"%s\"%s%s%s,\"data\":\"%s\"}", o.key,
		    strcmp(o.format, "cms") != 0 ? ",\"format\":\"" : "",
		    strcmp(o.format, "cms") != 0 ? o.format : "",
		    strcmp(o.format, "cms") != 0 ? "\"" : "", cb);
		free(cb);
		cb = NULL;
	}
	if (cms != NULL) {
		size_t n;

		cb = file_b64(cms);
		if (content != NULL)
			tb = file_b64(content);
		n = strlen(cb) + (tb ? strlen(tb) : 0) + 64;
		if ((o.tail = malloc(n)) == NULL)
			return 2;
		o.tail_len = (size_t)snprintf(o.tail, n, ",\"op\":\"verify\",\"cms\":\"%s\"%s%s%s}",
		    cb, tb ? ",\"content\":\"" : "", tb ? tb : "", tb ? "\"" : "");
		free(cb);
		free(tb);
	}
	i = o.rate > 0 ? run_open(&o) : run_closed(&o);
	fflush(stdout);
	free(o.tail);
	return i;
}
