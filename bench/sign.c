/*
 * Signing benchmark: the rate of raw C_Sign on a token key (one thread and
 * one session per core, the module loaded with dlopen) beside the rate of
 * CAdES-BES signatures from a digest through tanbad's socket, measured in
 * the same run on the same keys. Prints `name value unit` lines.
 * It never runs against a production token: bench/run makes a SoftHSM2 one.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <p11-kit/pkcs11.h>

#include "bench_io.h"
#include "tbclient.h"

/* One key measured both ways: its object label on the token is its name in tanbad.conf. */
struct bench_key {
	const char *name;	/* "rsa2048", "p256" */
	int rsa;
};

static const struct bench_key bench_keys[] = {
	{ "rsa2048", 1 },
	{ "p256", 0 },
};

struct bench_opts {
	const char *module;
	const char *token;
	const char *pin_file;
	const char *socket;
	double seconds;
	int threads;
	int clients;
	int depth;
	int raw_only;	/* only raw C_Sign: bench/load measures the socket */
	double paced_rate;	/* > 0: latency of raw C_Sign (rsa2048) at this rate */
};

static CK_FUNCTION_LIST_PTR p11;

/* ---- raw C_Sign ---- */

struct raw_thread {
	CK_SLOT_ID slot;
	const struct bench_key *key;
	double deadline;
	long count;
	CK_RV rv;
	/* Paced (open loop): one signature every interval from start, or 0. */
	double start, interval;
	double *lat_ms;		/* each signature's latency from its scheduled time */
	long lat_room;
};

/* Sleeps until the monotonic time t (bench_now_s). */
static void
sleep_until(double t)
{
	double d = t - bench_now_s();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static CK_RV
raw_find_key(CK_SESSION_HANDLE s, const char *label, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = p11->C_FindObjectsInit(s, tmpl, 2)) != CKR_OK)
		return rv;
	rv = p11->C_FindObjects(s, out, 1, &n);
	p11->C_FindObjectsFinal(s);
	if (rv == CKR_OK && n != 1)
		rv = CKR_KEY_HANDLE_INVALID;
	return rv;
}

static void *
raw_thread_main(void *arg)
{
	/* DigestInfo prefix of SHA-256 (RFC 8017 9.2 note 1): what CMS signs with RSA. */
	static const unsigned char sha256_prefix[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
		0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
	};
	struct raw_thread *t = arg;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE key;
	CK_MECHANISM mech = { t->key->rsa ? CKM_RSA_PKCS : CKM_ECDSA, NULL, 0 };
	unsigned char in[sizeof(sha256_prefix) + 32], sig[1024];
	CK_ULONG inlen, siglen;
	unsigned char *digest;

	if (t->key->rsa) {
		memcpy(in, sha256_prefix, sizeof(sha256_prefix));
		digest = in + sizeof(sha256_prefix);
		inlen = sizeof(in);
	} else {
		digest = in;
		inlen = 32;
	}
	if ((t->rv = p11->C_OpenSession(t->slot, CKF_SERIAL_SESSION, NULL, NULL, &s)) != CKR_OK)
		return NULL;
	if ((t->rv = raw_find_key(s, t->key->name, &key)) != CKR_OK)
		goto out;
	while (bench_now_s() < t->deadline) {
		double due = t->start + (double)t->count * t->interval;

		if (t->interval > 0) {
			if (due >= t->deadline || t->count >= t->lat_room)
				break;
			sleep_until(due);
		}
		RAND_bytes(digest, 32);
		siglen = sizeof(sig);
		if ((t->rv = p11->C_SignInit(s, &mech, key)) != CKR_OK ||
		    (t->rv = p11->C_Sign(s, in, inlen, sig, &siglen)) != CKR_OK)
			goto out;
		/* Counted from the scheduled time: a stall is not hidden. */
		if (t->interval > 0)
			t->lat_ms[t->count] = (bench_now_s() - due) * 1e3;
		t->count++;
	}
out:
	p11->C_CloseSession(s);
	return NULL;
}

static int
raw_open(const struct bench_opts *o, CK_SLOT_ID *slot, CK_SESSION_HANDLE *login_session)
{
	void *h;
	CK_C_GetFunctionList getfl;
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	char pin[256];
	size_t pinlen;
	FILE *f;
	CK_RV rv;

	if ((h = dlopen(o->module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "bench: %s\n", dlerror());
		return -1;
	}
	getfl = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	if (getfl == NULL || getfl(&p11) != CKR_OK) {
		fprintf(stderr, "bench: %s: no C_GetFunctionList\n", o->module);
		return -1;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((rv = p11->C_Initialize(&args)) != CKR_OK) {
		fprintf(stderr, "bench: C_Initialize: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	if (p11->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return -1;
	for (i = 0; i < n; i++) {
		if (p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		if (strncmp((char *)ti.label, o->token, strlen(o->token)) == 0 &&
		    (strlen(o->token) == 32 || ti.label[strlen(o->token)] == ' '))
			break;
	}
	if (i == n) {
		fprintf(stderr, "bench: no token labelled %s\n", o->token);
		return -1;
	}
	*slot = slots[i];
	if ((f = fopen(o->pin_file, "r")) == NULL) {
		fprintf(stderr, "bench: %s: %s\n", o->pin_file, strerror(errno));
		return -1;
	}
	pinlen = fread(pin, 1, sizeof(pin) - 1, f);
	fclose(f);
	while (pinlen > 0 && (pin[pinlen - 1] == '\n' || pin[pinlen - 1] == '\r'))
		pinlen--;
	/* One login per application: every later session of the slot shares it. */
	rv = p11->C_OpenSession(*slot, CKF_SERIAL_SESSION, NULL, NULL, login_session);
	if (rv == CKR_OK)
		rv = p11->C_Login(*login_session, CKU_USER, (CK_UTF8CHAR_PTR)pin, pinlen);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fprintf(stderr, "bench: C_Login: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	return 0;
}

/* Signatures per second of raw C_Sign with key, or a negative value on failure. */
static double
raw_rate(const struct bench_opts *o, CK_SLOT_ID slot, const struct bench_key *key)
{
	struct raw_thread *t;
	pthread_t *tid;
	double t0, el;
	long total = 0;
	int i, bad = 0;

	t = calloc((size_t)o->threads, sizeof(*t));
	tid = calloc((size_t)o->threads, sizeof(*tid));
	if (t == NULL || tid == NULL)
		exit(2);
	t0 = bench_now_s();
	for (i = 0; i < o->threads; i++) {
		t[i].slot = slot;
		t[i].key = key;
		t[i].deadline = t0 + o->seconds;
		pthread_create(&tid[i], NULL, raw_thread_main, &t[i]);
	}
	for (i = 0; i < o->threads; i++) {
		pthread_join(tid[i], NULL);
		total += t[i].count;
		if (t[i].rv != CKR_OK) {
			fprintf(stderr, "bench: raw %s thread %d: CK_RV 0x%lx\n", key->name, i,
			    (unsigned long)t[i].rv);
			bad = 1;
		}
	}
	el = bench_now_s() - t0;
	free(t);
	free(tid);
	return bad ? -1 : (double)total / el;
}


/*
 * Latency of raw C_Sign with key at rate signatures/s spread over the
 * threads (one session each), open loop: the token's own p50/p99 at the
 * rate the daemon's latency is taken. 0, or -1 on failure.
 */
static int
raw_paced(const struct bench_opts *o, CK_SLOT_ID slot, const struct bench_key *key,
    double rate)
{
	struct raw_thread *t;
	pthread_t *tid;
	double t0, *all;
	long room = (long)(rate * o->seconds / o->threads) + 2, n = 0, j;
	int i, bad = 0;

	t = calloc((size_t)o->threads, sizeof(*t));
	tid = calloc((size_t)o->threads, sizeof(*tid));
	all = calloc((size_t)(room * o->threads), sizeof(*all));
	if (t == NULL || tid == NULL || all == NULL)
		exit(2);
	t0 = bench_now_s() + 0.05;
	for (i = 0; i < o->threads; i++) {
		t[i].slot = slot;
		t[i].key = key;
		t[i].deadline = t0 + o->seconds;
		t[i].interval = o->threads / rate;
		/* The threads take turns: together one signature every 1/rate s. */
		t[i].start = t0 + (double)i / rate;
		t[i].lat_ms = all + room * i;
		t[i].lat_room = room;
		pthread_create(&tid[i], NULL, raw_thread_main, &t[i]);
	}
	for (i = 0; i < o->threads; i++) {
		pthread_join(tid[i], NULL);
		if (t[i].rv != CKR_OK)
			bad = 1;
		for (j = 0; j < t[i].count; j++)
			all[n++] = t[i].lat_ms[j];
	}
	if (!bad && n > 0) {
		qsort(all, (size_t)n, sizeof(*all), bench_cmp_double);
		printf("raw_csign_paced_rate_%s %.1f sig/s\n", key->name, (double)n / o->seconds);
		printf("raw_csign_p50_ms_%s %.3f ms\n", key->name, all[n / 2]);
		printf("raw_csign_p99_ms_%s %.3f ms\n", key->name, all[(long)((double)n * 0.99)]);
	}
	free(t);
	free(tid);
	free(all);
	return bad || n == 0 ? -1 : 0;
}

/* ---- through the socket ---- */

struct sock_client {
	const struct bench_opts *o;
	const struct bench_key *key;
	double deadline;
	long ok;
	long failed;
	int broken;
};

static int
sock_send_sign(int fd, const char *keyname, long id)
{
	unsigned char digest[32];
	char hex[65], body[400];
	int n, i;

	RAND_bytes(digest, sizeof(digest));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	n = snprintf(body, sizeof(body),
	    "{\"id\":%ld,\"op\":\"sign\",\"key\":\"%s\",\"digest\":\"sha256:%s\"}", id, keyname, hex);
	if (n <= 0 || (size_t)n >= sizeof(body))
		return -1;
	return tbc_send_frame(fd, body, (size_t)n, 0, NULL) == 0 ? 0 : -1;
}

/* Reads one answer; 1 when it is a success, 0 a failure, -1 a broken connection. */
static int
sock_read_answer(int fd)
{
	json_t *j = NULL;
	int r;

	if (tbc_recv_json(fd, 16u * 1024 * 1024, 0, &j, NULL) != 0)
		return -1;
	r = json_is_true(json_object_get(j, "ok")) &&
	    json_is_string(json_object_get(j, "cms")) ? 1 : 0;
	if (r == 0 && getenv("BENCH_VERBOSE") != NULL) {
		char *s = json_dumps(j, JSON_COMPACT);

		fprintf(stderr, "bench: %s\n", s ? s : "?");
		free(s);
	}
	json_decref(j);
	return r;
}

static void *
sock_client_main(void *arg)
{
	struct sock_client *c = arg;
	int fd, inflight = 0, a;
	long id = 0;

	if ((fd = tbc_connect(c->o->socket, NULL)) < 0) {
		c->broken = 1;
		return NULL;
	}
	/* Keep depth requests in flight; the answers are counted in the window only. */
	while (inflight < c->o->depth && sock_send_sign(fd, c->key->name, ++id) == 0)
		inflight++;
	while (inflight > 0) {
		if ((a = sock_read_answer(fd)) < 0) {
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
		if (sock_send_sign(fd, c->key->name, ++id) != 0) {
			c->broken = 1;
			break;
		}
		inflight++;
	}
	close(fd);
	return NULL;
}

static double
sock_rate(const struct bench_opts *o, const struct bench_key *key, long *failed)
{
	struct sock_client *c;
	pthread_t *tid;
	double t0;
	long total = 0;
	int i, broken = 0;

	c = calloc((size_t)o->clients, sizeof(*c));
	tid = calloc((size_t)o->clients, sizeof(*tid));
	if (c == NULL || tid == NULL)
		exit(2);
	*failed = 0;
	t0 = bench_now_s();
	for (i = 0; i < o->clients; i++) {
		c[i].o = o;
		c[i].key = key;
		c[i].deadline = t0 + o->seconds;
		pthread_create(&tid[i], NULL, sock_client_main, &c[i]);
	}
	for (i = 0; i < o->clients; i++) {
		pthread_join(tid[i], NULL);
		total += c[i].ok;
		*failed += c[i].failed;
		broken |= c[i].broken;
	}
	free(c);
	free(tid);
	if (broken)
		fprintf(stderr, "bench: a connection to %s broke during %s\n", o->socket, key->name);
	return broken ? -1 : (double)total / o->seconds;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench/sign --module SO --token LABEL --pin-file FILE --socket PATH\n"
	    "       [--seconds T] [--threads N] [--clients C] [--depth D] [--raw-only]\n"
	    "       [--paced-rate R]   (only: raw C_Sign latency of rsa2048 at R/s)\n"
	    "Keys labelled rsa2048 and p256 on the token, named the same in tanbad.conf.\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct bench_opts o = { NULL, NULL, NULL, NULL, 5.0, 0, 8, 4, 0, 0 };
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE login;
	double raw, via;
	long failed;
	size_t k;
	int i, rc = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--raw-only") == 0) {
			o.raw_only = 1;
			i--;	/* a flag without a value */
		} else if (strcmp(argv[i], "--module") == 0)
			o.module = argv[i + 1];
		else if (strcmp(argv[i], "--token") == 0)
			o.token = argv[i + 1];
		else if (strcmp(argv[i], "--pin-file") == 0)
			o.pin_file = argv[i + 1];
		else if (strcmp(argv[i], "--socket") == 0)
			o.socket = argv[i + 1];
		else if (strcmp(argv[i], "--seconds") == 0)
			o.seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--threads") == 0)
			o.threads = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--clients") == 0)
			o.clients = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--depth") == 0)
			o.depth = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--paced-rate") == 0)
			o.paced_rate = atof(argv[i + 1]);
		else
			usage();
	}
	if (i != argc || o.module == NULL || o.token == NULL || o.pin_file == NULL ||
	    (o.socket == NULL && !o.raw_only) || o.seconds <= 0 || o.clients <= 0 || o.depth <= 0)
		usage();
	if (o.threads <= 0)
		o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
		    (int)sysconf(_SC_NPROCESSORS_ONLN) : 1;
	if (raw_open(&o, &slot, &login) != 0)
		return 2;
	if (o.paced_rate > 0) {
		rc = raw_paced(&o, slot, &bench_keys[0], o.paced_rate) == 0 ? 0 : 2;
		goto done;
	}
	if (!o.raw_only)
		printf("threads %d count\nclients %d count\ndepth %d count\nseconds %.1f s\n",
		    o.threads, o.clients, o.depth, o.seconds);
	for (k = 0; k < sizeof(bench_keys) / sizeof(bench_keys[0]); k++) {
		raw = raw_rate(&o, slot, &bench_keys[k]);
		if (o.raw_only) {
			if (raw < 0)
				rc = 2;
			else
				printf("raw_csign_%s %.1f sig/s\n", bench_keys[k].name, raw);
			fflush(stdout);
			continue;
		}
		via = sock_rate(&o, &bench_keys[k], &failed);
		if (raw >= 0)
			printf("raw_csign_%s %.1f sig/s\n", bench_keys[k].name, raw);
		if (via >= 0)
			printf("sign_%s %.1f sig/s\n", bench_keys[k].name, via);
		if (raw > 0 && via >= 0)
			printf("sign_ratio_%s %.3f ratio\n", bench_keys[k].name, via / raw);
		else
			rc = 2;
		if (failed > 0) {
			printf("sign_failed_%s %ld count\n", bench_keys[k].name, failed);
			rc = 2;
		}
		fflush(stdout);
	}
done:
	p11->C_Logout(login);
	p11->C_CloseSession(login);
	p11->C_Finalize(NULL);
	return rc;
}
