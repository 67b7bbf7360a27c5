/*
 * Batch signing against single requests on the same key, in alternating
 * slices of one run: a unit is N digests signed, either as one sign request
 * with "digests" (N items) or as N sign requests with "digest" sent over
 * one connection with up to --window in flight. Prints, for each way, the
 * signatures per second, the median time of a unit, and (with --pids, the
 * daemon's processes) tanbad's CPU time per signature; then their ratio.
 * It only talks to the socket it is given.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "bench_io.h"
#include "tbclient.h"

struct opts {
	const char *socket, *key, *pids;
	int n, window;
	double seconds, slice;
};

struct way {
	const char *name;
	double time, ticks;
	long units, failed;
	double *unit_ms;
	long unit_room;
};

/* Clock ticks of the daemon's processes (utime + stime), 0 without --pids. */
static double
daemon_ticks(const char *pids)
{
	char buf[1024], path[64], *copy, *p, *save = NULL, *q;
	unsigned long ut, st;
	double t = 0;
	FILE *f;
	int i;

	if (pids == NULL || (copy = strdup(pids)) == NULL)
		return 0;
	for (p = strtok_r(copy, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		snprintf(path, sizeof(path), "/proc/%s/stat", p);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL && (q = strrchr(buf, ')')) != NULL) {
			/* Fields after the name: state is 3; utime 14, stime 15. */
			for (i = 3, q += 2; i < 14 && q != NULL; i++)
				q = (q = strchr(q, ' ')) != NULL ? q + 1 : NULL;
			if (q != NULL && sscanf(q, "%lu %lu", &ut, &st) == 2)
				t += (double)(ut + st);
		}
		fclose(f);
	}
	free(copy);
	return t;
}

static void
digest_text(char *out)
{
	unsigned char d[32];
	int i;

	RAND_bytes(d, sizeof(d));
	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
}

static int
send_text(int fd, const char *s, size_t len)
{
	return tbc_send_frame(fd, (const unsigned char *)s, len, 0, NULL) == 0 ? 0 : -1;
}

/* One answer: 1 success (batch: every item signed), 0 a failure, -1 broken. */
static int
recv_ok(int fd, unsigned char **buf, size_t *cap, const char *want)
{
	size_t len;

	if (tbc_recv_frame(fd, 64u * 1024 * 1024, 0, buf, cap, &len, NULL) != 0)
		return -1;
	if (strstr((const char *)*buf, "\"ok\":true") != NULL &&
	    (want == NULL || strstr((const char *)*buf, want) != NULL))
		return 1;
	if (getenv("BENCH_VERBOSE") != NULL)
		fprintf(stderr, "bench: %.400s\n", (const char *)*buf);
	return 0;
}

/* N digests in one request. */
static int
unit_batch(const struct opts *o, int fd, char *req, unsigned char **buf, size_t *cap)
{
	char want[32];
	size_t len;
	int i;

	len = (size_t)sprintf(req, "{\"id\":1,\"op\":\"sign\",\"key\":\"%s\",\"digests\":[", o->key);
	for (i = 0; i < o->n; i++) {
		req[len++] = i > 0 ? ',' : '"';
		if (i > 0)
			req[len++] = '"';
		digest_text(req + len);
		len += 7 + 64;
		req[len++] = '"';
	}
	len += (size_t)sprintf(req + len, "]}");
	snprintf(want, sizeof(want), "\"signed\":%d,", o->n);
	if (send_text(fd, req, len) != 0)
		return -1;
	return recv_ok(fd, buf, cap, want);
}

/* N single requests over one connection, up to window in flight. */
static int
unit_single(const struct opts *o, int fd, char *req, unsigned char **buf, size_t *cap)
{
	int sent = 0, got = 0, ok = 1, a;
	size_t len;

	while (got < o->n) {
		while (sent < o->n && sent - got < o->window) {
			len = (size_t)sprintf(req, "{\"id\":%d,\"op\":\"sign\",\"key\":\"%s\","
			    "\"digest\":\"", sent + 1, o->key);
			digest_text(req + len);
			len += 7 + 64;
			len += (size_t)sprintf(req + len, "\"}");
			if (send_text(fd, req, len) != 0)
				return -1;
			sent++;
		}
		if ((a = recv_ok(fd, buf, cap, "\"cms\":\"")) < 0)
			return -1;
		ok &= a;
		got++;
	}
	return ok;
}


static void
report(const struct opts *o, struct way *w, double hz)
{
	double sigs = (double)w->units * o->n;

	qsort(w->unit_ms, (size_t)w->units, sizeof(double), bench_cmp_double);
	printf("%s_%s %.1f sig/s\n", w->name, o->key, w->time > 0 ? sigs / w->time : 0);
	printf("%s_ms_%s %.3f ms\n", w->name, o->key,
	    w->units > 0 ? w->unit_ms[(w->units - 1) / 2] : 0);
	if (o->pids != NULL && sigs > 0)
		printf("daemon_cpu_ms_per_sign_%s_%s %.3f ms\n", w->name, o->key,
		    w->ticks / hz * 1000 / sigs);
	if (w->failed > 0)
		printf("failed_%s_%s %ld count\n", w->name, o->key, w->failed);
}

int
main(int argc, char **argv)
{
	struct opts o = { NULL, NULL, NULL, 100, 32, 10, 0.5 };
	struct way ways[2];
	unsigned char *buf = NULL;
	size_t cap = 0;
	char *req, label[32];
	double t0, end, u0, c0, hz = (double)sysconf(_SC_CLK_TCK);
	int i, fd, a, w, rc = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--socket") == 0)
			o.socket = argv[i + 1];
		else if (strcmp(argv[i], "--key") == 0)
			o.key = argv[i + 1];
		else if (strcmp(argv[i], "--n") == 0)
			o.n = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--window") == 0)
			o.window = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--seconds") == 0)
			o.seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--pids") == 0)
			o.pids = argv[i + 1];
		else
			break;
	}
	if (i != argc || o.socket == NULL || o.key == NULL || o.n < 1 || o.n > 256 ||
	    o.window < 1 || o.seconds <= 0) {
		fprintf(stderr, "usage: bench/batch --socket PATH --key NAME [--n N] [--window W]\n"
		    "         [--seconds T] [--pids PID,PID...]\n");
		return 2;
	}
	if ((req = malloc(256 + (size_t)o.n * 80)) == NULL ||
	    (fd = tbc_connect(o.socket, NULL)) < 0) {
		fprintf(stderr, "bench: cannot connect to %s\n", o.socket);
		return 2;
	}
	snprintf(label, sizeof(label), "batch%d", o.n);
	memset(ways, 0, sizeof(ways));
	ways[0].name = strdup(label);
	snprintf(label, sizeof(label), "single%d", o.n);
	ways[1].name = strdup(label);
	/* One unit of each first: connection and sessions warm, not counted. */
	if (unit_batch(&o, fd, req, &buf, &cap) != 1 || unit_single(&o, fd, req, &buf, &cap) != 1) {
		fprintf(stderr, "bench: the first batch or singles failed (BENCH_VERBOSE=1)\n");
		return 2;
	}
	t0 = bench_now_s();
	/* Alternating slices: the two ways share the machine's state over the run. */
	for (w = 0; bench_now_s() - t0 < o.seconds; w ^= 1) {
		struct way *y = &ways[w];

		end = bench_now_s() + o.slice;
		c0 = daemon_ticks(o.pids);
		do {
			u0 = bench_now_s();
			a = w == 0 ? unit_batch(&o, fd, req, &buf, &cap) :
			    unit_single(&o, fd, req, &buf, &cap);
			if (a < 0) {
				fprintf(stderr, "bench: connection broke\n");
				return 2;
			}
			if (y->units == y->unit_room) {
				y->unit_room = y->unit_room ? 2 * y->unit_room : 256;
				y->unit_ms = realloc(y->unit_ms, (size_t)y->unit_room * sizeof(double));
				if (y->unit_ms == NULL)
					return 2;
			}
			y->unit_ms[y->units++] = (bench_now_s() - u0) * 1e3;
			y->time += bench_now_s() - u0;
			y->failed += a == 0;
		} while (bench_now_s() < end);
		y->ticks += daemon_ticks(o.pids) - c0;
	}
	for (w = 0; w < 2; w++) {
		report(&o, &ways[w], hz);
		rc |= ways[w].failed > 0;
	}
	printf("batch%d_ratio_%s %.3f ratio\n", o.n, o.key,
	    ways[1].time > 0 && ways[0].time > 0 ? ((double)ways[0].units / ways[0].time) /
	    ((double)ways[1].units / ways[1].time) : 0);
	fflush(stdout);
	close(fd);
	free(buf);
	free(req);
	for (w = 0; w < 2; w++) {
		free(ways[w].unit_ms);
		free((char *)ways[w].name);
	}
	return rc;
}
