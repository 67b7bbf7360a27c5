/*
 * Load generator of the soak (tests/system/soak/run.sh): N threads, one connection
 * each, mixed sign / verify / check-cert until the deadline, then a verify
 * of every signature not yet verified. Records what run.sh judges (CMS
 * digests, a sample, worst latencies); it never passes or fails a run.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tbclient.h"

#define MAX_KEYS 8
#define MAX_CERTS 8
#define MAX_FRAME (16u * 1024 * 1024)
#define ERRORS_SHOWN 20

enum op { OP_SIGN, OP_VERIFY, OP_CHECK, OP_N };
static const char *op_names[OP_N] = { "sign", "verify", "check_cert" };

enum mode { M_ATTACHED, M_DETACHED, M_DIGEST };
static const char *mode_names[] = { "attached", "detached", "digest" };

/* A signature waiting to be verified through the daemon's verify op. */
typedef struct sig {
	struct sig *next;
	unsigned char *cms, *data;
	size_t cms_len, data_len;
	enum mode mode;
} sig;

static struct {
	const char *socket;
	int seconds, conns, hang_ms, sample_first, sample_every, sample_max;
	const char *keys[MAX_KEYS];
	int n_keys;
	struct { const char *b64, *verdict; } certs[MAX_CERTS];
	int n_certs;
	const char *out;
	int allow_unavailable;	/* a sign refused as unavailable (signer restarting) is no error */
} opt = { NULL, 60, 64, 10000, 250, 40, 1000, { NULL }, 0, { { NULL, NULL } }, 0, ".", 0 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sig *pending_head, *pending_tail;	/* under lock */
static size_t pending_n;
static unsigned long n_ok[OP_N], n_errors, n_signed, n_sampled, n_unavailable;
static FILE *unavailable;		/* document digests of signs refused as unavailable */
static long max_ms[OP_N];
static FILE *digests;				/* one line per signature returned */
static double deadline;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Counts an error; the first few are told on stderr. */
static void
fail(const char *fmt, ...)
{
	va_list ap;
	unsigned long n;

	pthread_mutex_lock(&lock);
	n = ++n_errors;
	pthread_mutex_unlock(&lock);
	if (n > ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "soakload: error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static void
record(enum op op, long ms, int ok)
{
	pthread_mutex_lock(&lock);
	if (ok)
		n_ok[op]++;
	if (ms > max_ms[op])
		max_ms[op] = ms;
	pthread_mutex_unlock(&lock);
}

static char *
b64_encode(const unsigned char *p, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out != NULL)
		EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

/* Standard base64 to bytes; NULL when it is not valid base64. */
static unsigned char *
b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	int got;

	if (n == 0 || n % 4 != 0)
		return NULL;
	if ((out = malloc(n / 4 * 3 + 1)) == NULL)
		return NULL;
	if ((got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) < 0) {
		free(out);
		return NULL;
	}
	if (s[n - 1] == '=')
		pad++;
	if (s[n - 2] == '=')
		pad++;
	*len = (size_t)got - pad;
	return out;
}

static void
sha256_text(const unsigned char *p, size_t len, char *out, size_t out_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t pos;

	EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL);
	pos = (size_t)snprintf(out, out_len, "sha256:");
	for (i = 0; i < mdlen && pos + 3 <= out_len; i++, pos += 2)
		snprintf(out + pos, 3, "%02x", md[i]);
}

/* "sha256:<hex>" of the signature value of the CMS's one SignerInfo (what the audit records). */
static int
sigvalue_sha256(const unsigned char *cms, size_t len, char *out, size_t out_len)
{
	const unsigned char *p = cms;
	CMS_ContentInfo *ci = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	STACK_OF(CMS_SignerInfo) *sis;
	ASN1_OCTET_STRING *sv;
	int r = -1;

	if (ci != NULL && (sis = CMS_get0_SignerInfos(ci)) != NULL &&
	    sk_CMS_SignerInfo_num(sis) == 1 &&
	    (sv = CMS_SignerInfo_get0_signature(sk_CMS_SignerInfo_value(sis, 0))) != NULL) {
		sha256_text(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), out,
		    out_len);
		r = 0;
	}
	CMS_ContentInfo_free(ci);
	return r;
}

/* ---- one connection ---- */

typedef struct conn {
	int fd;
	long next_id;
	unsigned seed;
	int idx;
} conn;

static int
conn_open(conn *c)
{
	struct timeval tv;

	if ((c->fd = tbc_connect(opt.socket, NULL)) < 0)
		return -1;
	/* A reply slower than the hang bound (plus slack) is not awaited
	 * forever: the op counts as an error with its latency. */
	tv.tv_sec = opt.hang_ms / 1000 + 5;
	tv.tv_usec = 0;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return 0;
}

static void
conn_close(conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * Sends req (stealing the reference) with a fresh id and waits for its
 * answer; one request in flight per connection. Returns the answer, or
 * NULL (the connection is then closed) with why in err.
 */
static json_t *
roundtrip(conn *c, json_t *req, char *err, size_t err_len)
{
	char *text = NULL;
	json_t *ans = NULL, *id;
	long want = ++c->next_id;
	tb_error e;

	json_object_set_new(req, "id", json_integer(want));
	if ((text = json_dumps(req, JSON_COMPACT)) == NULL) {
		snprintf(err, err_len, "json_dumps");
		goto out;
	}
	if (c->fd < 0 && conn_open(c) != 0) {
		snprintf(err, err_len, "connect %s: %s", opt.socket, strerror(errno));
		goto out;
	}
	if (tbc_send_frame(c->fd, text, strlen(text), 0, &e) != 0) {
		snprintf(err, err_len, "send: %s", e.detail);
		goto drop;
	}
	if (tbc_recv_json(c->fd, MAX_FRAME, 0, &ans, &e) != 0) {
		snprintf(err, err_len, "reading the answer: %s",
		    e.code == TB_ERR_TIMEOUT ? "no answer within the hang bound" : e.detail);
		goto drop;
	}
	id = json_object_get(ans, "id");
	if (!json_is_integer(id) || json_integer_value(id) != want) {
		snprintf(err, err_len, "answer id does not echo %ld", want);
		json_decref(ans);
		ans = NULL;
		goto drop;
	}
	goto out;
drop:
	conn_close(c);
out:
	free(text);
	json_decref(req);
	return ans;
}

/* "code: message" of an error answer. */
static void
answer_error(json_t *ans, char *buf, size_t len)
{
	json_t *e = json_object_get(ans, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));

	snprintf(buf, len, "%s: %s", code ? code : "?", msg ? msg : "?");
}

static long
ms_since(double t0)
{
	return (long)((now_s() - t0) * 1000.0 + 0.5);
}

/* ---- the ops ---- */

static void
sample_write(unsigned long n, const sig *s)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sample/%lu.p7", opt.out, n);
	if ((f = fopen(path, "wb")) == NULL || fwrite(s->cms, 1, s->cms_len, f) != s->cms_len)
		fail("writing %s", path);
	if (f != NULL)
		fclose(f);
	snprintf(path, sizeof(path), "%s/sample/%lu.dat", opt.out, n);
	if ((f = fopen(path, "wb")) == NULL || fwrite(s->data, 1, s->data_len, f) != s->data_len)
		fail("writing %s", path);
	if (f != NULL)
		fclose(f);
	snprintf(path, sizeof(path), "%s/sample/%lu.mode", opt.out, n);
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", mode_names[s->mode]) < 0)
		fail("writing %s", path);
	if (f != NULL)
		fclose(f);
}

static void
do_sign(conn *c)
{
	unsigned char data[4096];
	size_t data_len = 1 + (size_t)(rand_r(&c->seed) % (int)sizeof(data));
	enum mode mode = (enum mode)(rand_r(&c->seed) % 3);
	const char *key = opt.keys[rand_r(&c->seed) % opt.n_keys];
	char dig[80], doc[80], err[512], line[256], *b64 = NULL;
	const char *code;
	json_t *req, *ans;
	unsigned char *cms;
	size_t cms_len;
	unsigned long k = 0;
	int take = 0;
	double t0;
	sig *s;

	RAND_bytes(data, (int)data_len);
	sha256_text(data, data_len, doc, sizeof(doc));
	req = json_pack("{s:s, s:s}", "op", "sign", "key", key);
	if (mode == M_DIGEST) {
		sha256_text(data, data_len, dig, sizeof(dig));
		json_object_set_new(req, "digest", json_string(dig));
	} else {
		b64 = b64_encode(data, data_len);
		json_object_set_new(req, "data", json_string(b64));
		json_object_set_new(req, "detached", json_boolean(mode == M_DETACHED));
	}
	t0 = now_s();
	ans = roundtrip(c, req, err, sizeof(err));
	free(b64);
	if (ans == NULL) {
		record(OP_SIGN, ms_since(t0), 0);
		fail("sign (%s, key %s): %s", mode_names[mode], key, err);
		return;
	}
	record(OP_SIGN, ms_since(t0), 0);
	code = json_string_value(json_object_get(json_object_get(ans, "error"), "code"));
	if (opt.allow_unavailable && !json_is_true(json_object_get(ans, "ok")) && code != NULL &&
	    strcmp(code, "unavailable") == 0) {
		/* The signer was restarting: a clear refusal, and its record may exist. */
		pthread_mutex_lock(&lock);
		n_unavailable++;
		fprintf(unavailable, "%s\n", doc);
		pthread_mutex_unlock(&lock);
		json_decref(ans);
		return;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		answer_error(ans, err, sizeof(err));
		fail("sign (%s, key %s): %s", mode_names[mode], key, err);
		json_decref(ans);
		return;
	}
	if (!json_is_string(json_object_get(ans, "cms")) ||
	    (cms = b64_decode(json_string_value(json_object_get(ans, "cms")), &cms_len)) == NULL) {
		fail("sign (%s, key %s): no valid cms in the answer", mode_names[mode], key);
		json_decref(ans);
		return;
	}
	json_decref(ans);
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->data = malloc(data_len)) == NULL) {
		fail("out of memory");
		free(s);
		free(cms);
		return;
	}
	memcpy(s->data, data, data_len);
	s->data_len = data_len;
	s->cms = cms;
	s->cms_len = cms_len;
	s->mode = mode;
	if (sigvalue_sha256(cms, cms_len, dig, sizeof(dig)) != 0) {
		fail("sign (%s, key %s): no signature value in the CMS", mode_names[mode], key);
		free(s->data);
		free(s);
		free(cms);
		return;
	}
	snprintf(line, sizeof(line), "%s %s %s %s\n", dig, key, mode_names[mode], doc);
	pthread_mutex_lock(&lock);
	n_ok[OP_SIGN]++;
	n_signed++;
	fputs(line, digests);
	/* The first ones, then one in sample_every: spread over the run. */
	if (n_sampled < (unsigned long)opt.sample_max &&
	    (n_signed <= (unsigned long)opt.sample_first || n_signed % opt.sample_every == 0)) {
		k = ++n_sampled;
		take = 1;
	}
	pthread_mutex_unlock(&lock);
	/* Written before s is queued: once queued, a verify may free it. */
	if (take)
		sample_write(k, s);
	pthread_mutex_lock(&lock);
	if (pending_tail != NULL)
		pending_tail->next = s;
	else
		pending_head = s;
	pending_tail = s;
	pending_n++;
	pthread_mutex_unlock(&lock);
}

static sig *
pending_pop(void)
{
	sig *s;

	pthread_mutex_lock(&lock);
	if ((s = pending_head) != NULL) {
		pending_head = s->next;
		if (pending_head == NULL)
			pending_tail = NULL;
		pending_n--;
	}
	pthread_mutex_unlock(&lock);
	return s;
}

static void
sig_free(sig *s)
{
	if (s == NULL)
		return;
	free(s->cms);
	free(s->data);
	free(s);
}

static void
do_verify(conn *c, sig *s)
{
	char err[512], *cms = b64_encode(s->cms, s->cms_len), *content = NULL;
	const char *verdict;
	json_t *req, *ans;
	double t0;

	req = json_pack("{s:s, s:s}", "op", "verify", "cms", cms);
	if (s->mode != M_ATTACHED) {
		content = b64_encode(s->data, s->data_len);
		json_object_set_new(req, "content", json_string(content));
	}
	free(cms);
	free(content);
	t0 = now_s();
	ans = roundtrip(c, req, err, sizeof(err));
	record(OP_VERIFY, ms_since(t0), 0);
	if (ans == NULL) {
		fail("verify (%s): %s", mode_names[s->mode], err);
		goto out;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		answer_error(ans, err, sizeof(err));
		fail("verify (%s): %s", mode_names[s->mode], err);
		goto out;
	}
	verdict = json_string_value(json_object_get(ans, "verdict"));
	if (verdict == NULL || strcmp(verdict, "VALID") != 0) {
		fail("verify (%s): verdict %s, not VALID", mode_names[s->mode],
		    verdict ? verdict : "(none)");
		goto out;
	}
	record(OP_VERIFY, 0, 1);
out:
	json_decref(ans);
	sig_free(s);
}

static void
do_check(conn *c)
{
	int i = rand_r(&c->seed) % opt.n_certs;
	char err[512];
	const char *verdict;
	json_t *req, *ans;
	double t0;

	req = json_pack("{s:s, s:s}", "op", "check-cert", "cert", opt.certs[i].b64);
	t0 = now_s();
	ans = roundtrip(c, req, err, sizeof(err));
	record(OP_CHECK, ms_since(t0), 0);
	if (ans == NULL) {
		fail("check-cert: %s", err);
		return;
	}
	if (!json_is_true(json_object_get(ans, "ok"))) {
		answer_error(ans, err, sizeof(err));
		fail("check-cert: %s", err);
	} else if ((verdict = json_string_value(json_object_get(ans, "verdict"))) == NULL ||
	    strcmp(verdict, opt.certs[i].verdict) != 0) {
		fail("check-cert: verdict %s, expected %s", verdict ? verdict : "(none)",
		    opt.certs[i].verdict);
	} else {
		record(OP_CHECK, 0, 1);
	}
	json_decref(ans);
}

static void *
client_main(void *arg)
{
	conn *c = arg;
	sig *s;
	int r;

	while (now_s() < deadline) {
		r = rand_r(&c->seed) % 100;
		if (r < 30 && (s = pending_pop()) != NULL)
			do_verify(c, s);
		else if (r >= 85 && opt.n_certs > 0)
			do_check(c);
		else
			do_sign(c);
	}
	/* Drain: every signature made is verified once, within a bound. */
	while (now_s() < deadline + 300 && (s = pending_pop()) != NULL)
		do_verify(c, s);
	conn_close(c);
	return NULL;
}

/* Reads a PEM or DER certificate file whole and returns it as base64. */
static const char *
cert_b64(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long len;
	char *out = NULL;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "soakload: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	out = b64_encode(buf, (size_t)len);
	free(buf);
	return out;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: soakload --socket PATH --key NAME [--key NAME]... [--cert FILE=VERDICT]...\n"
	    "       [--seconds N] [--conns N] [--hang-ms MS] [--sample N] [--out DIR]\n"
	    "       [--allow-unavailable]\n"
	    "Writes DIR/digests (per signature returned: sha256 of its signature value,\n"
	    "key, mode, sha256 of the document), DIR/unavailable (documents refused as\n"
	    "unavailable, with --allow-unavailable) and DIR/sample/; prints soak_*\n"
	    "figures, one a line.\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "conns", required_argument, NULL, 'n' },
		{ "hang-ms", required_argument, NULL, 'h' },
		{ "sample", required_argument, NULL, 'm' },
		{ "out", required_argument, NULL, 'o' },
		{ "allow-unavailable", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	pthread_t *th;
	conn *cs;
	char path[4096], *eq;
	long worst = 0;
	int ch, i;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': opt.socket = optarg; break;
		case 'k':
			if (opt.n_keys == MAX_KEYS)
				usage();
			opt.keys[opt.n_keys++] = optarg;
			break;
		case 'c':
			if (opt.n_certs == MAX_CERTS || (eq = strrchr(optarg, '=')) == NULL)
				usage();
			*eq = '\0';
			opt.certs[opt.n_certs].b64 = cert_b64(optarg);
			opt.certs[opt.n_certs++].verdict = eq + 1;
			break;
		case 't': opt.seconds = atoi(optarg); break;
		case 'n': opt.conns = atoi(optarg); break;
		case 'h': opt.hang_ms = atoi(optarg); break;
		case 'm': opt.sample_first = atoi(optarg); break;
		case 'o': opt.out = optarg; break;
		case 'u': opt.allow_unavailable = 1; break;
		default: usage();
		}
	}
	if (opt.socket == NULL || opt.n_keys == 0 || opt.seconds <= 0 || opt.conns <= 0 ||
	    opt.hang_ms <= 0 || opt.sample_first < 0)
		usage();
	if (opt.sample_max < opt.sample_first)
		opt.sample_max = opt.sample_first;
	snprintf(path, sizeof(path), "%s/sample", opt.out);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "soakload: mkdir %s: %s\n", path, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "%s/digests", opt.out);
	if ((digests = fopen(path, "w")) == NULL) {
		fprintf(stderr, "soakload: %s: %s\n", path, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "%s/unavailable", opt.out);
	if ((unavailable = fopen(path, "w")) == NULL) {
		fprintf(stderr, "soakload: %s: %s\n", path, strerror(errno));
		return 2;
	}
	th = calloc((size_t)opt.conns, sizeof(*th));
	cs = calloc((size_t)opt.conns, sizeof(*cs));
	if (th == NULL || cs == NULL)
		return 2;
	deadline = now_s() + opt.seconds;
	for (i = 0; i < opt.conns; i++) {
		cs[i].fd = -1;
		cs[i].idx = i;
		cs[i].seed = (unsigned)(time(NULL) ^ (i * 2654435761u));
		if (pthread_create(&th[i], NULL, client_main, &cs[i]) != 0) {
			fprintf(stderr, "soakload: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < opt.conns; i++)
		pthread_join(th[i], NULL);
	if (fclose(unavailable) != 0)
		n_errors++;
	if (fclose(digests) != 0) {
		fprintf(stderr, "soakload: writing the digests failed\n");
		n_errors++;
	}
	if (pending_n > 0) {
		fprintf(stderr, "soakload: %zu signatures never verified\n", pending_n);
		n_errors += pending_n;
	}
	for (i = 0; i < OP_N; i++)
		if (max_ms[i] > worst)
			worst = max_ms[i];
	printf("soak_sign_ok %lu\n", n_ok[OP_SIGN]);
	printf("soak_verify_ok %lu\n", n_ok[OP_VERIFY]);
	printf("soak_check_cert_ok %lu\n", n_ok[OP_CHECK]);
	printf("soak_sampled %lu\n", n_sampled);
	printf("soak_sign_unavailable %lu\n", n_unavailable);
	printf("soak_errors %lu\n", n_errors);
	printf("soak_max_latency_ms %ld\n", worst);
	for (i = 0; i < OP_N; i++)
		printf("soak_max_latency_ms_%s %ld\n", op_names[i], max_ms[i]);
	free(th);
	free(cs);
	return 0;
}
