/*
 * Hash-chained audit log. Each line is a JSON object that ends with
 * ,"hash":"<hex>"} where hash is the SHA-256 of every byte of the line
 * before that suffix; the line's "prev" is the previous line's hash. Lines
 * are written with one write() on an O_APPEND descriptor and synced before
 * tb_audit_append returns. Never holds a PIN or document content. Keyed
 * checkpoints are audit_checkpoint.c's, the refusal limit
 * audit_refusals.c's, the verifier audit_verify.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "audit.h"
#include "audit_int.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "tb_log.h"

#define HASH_HEX TB_AUDIT_HASH_HEX
#define HASH_KEY ",\"hash\":\""
#define MAC_KEY ",\"mac\":\""
/* ,"hash":" + 64 hex + "} */
#define SUFFIX_LEN (sizeof(HASH_KEY) - 1 + HASH_HEX + 2)
/* ,"mac":" + 64 hex + " */
#define MAC_LEN (sizeof(MAC_KEY) - 1 + HASH_HEX + 1)
#define TAIL_READ 65536

static void
hex_text(const unsigned char *md, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void
tb_audit_sha256_hex(const void *data, size_t len, char out[HASH_HEX + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	hex_text(md, 32, out);
}

int
tb_audit_mac_hex(const unsigned char key[TB_AUDIT_KEY_LEN], const void *data, size_t len,
    char out[HASH_HEX + 1])
{
	unsigned char md[32];
	size_t mdlen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, TB_AUDIT_KEY_LEN, data, len,
	    md, sizeof(md), &mdlen) == NULL || mdlen != 32)
		return TB_ERR_CRYPTO;
	hex_text(md, 32, out);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

void
tb_audit_key_id(const unsigned char key[TB_AUDIT_KEY_LEN], char out[TB_AUDIT_KEY_ID_HEX + 1])
{
	static const char label[] = "tanba audit checkpoint key";
	unsigned char buf[sizeof(label) + TB_AUDIT_KEY_LEN], md[32];
	unsigned int mdlen = 0;

	memcpy(buf, label, sizeof(label));
	memcpy(buf + sizeof(label), key, TB_AUDIT_KEY_LEN);
	EVP_Digest(buf, sizeof(buf), md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_cleanse(buf, sizeof(buf));
	hex_text(md, TB_AUDIT_KEY_ID_HEX / 2, out);
}

size_t
tb_audit_mac_input(const char *line, size_t len, char mac[HASH_HEX + 1])
{
	const char *m;

	if (len < SUFFIX_LEN + MAC_LEN)
		return 0;
	m = line + len - SUFFIX_LEN - MAC_LEN;
	if (memcmp(m, MAC_KEY, sizeof(MAC_KEY) - 1) != 0 || m[MAC_LEN - 1] != '"')
		return 0;
	memcpy(mac, m + sizeof(MAC_KEY) - 1, HASH_HEX);
	mac[HASH_HEX] = '\0';
	return (size_t)(m - line);
}

int
tb_audit_record_parse(const char *line, size_t len, unsigned long *seq,
    char prev[HASH_HEX + 1], char hash[HASH_HEX + 1], json_t **obj_out, tb_error *err)
{
	char calc[HASH_HEX + 1];
	json_t *obj = NULL, *jseq, *jprev;
	json_error_t jerr;
	int r = TB_ERR_MALFORMED;

	if (len < SUFFIX_LEN + 2 ||
	    memcmp(line + len - SUFFIX_LEN, HASH_KEY, sizeof(HASH_KEY) - 1) != 0 ||
	    memcmp(line + len - 2, "\"}", 2) != 0) {
		tb_error_set(err, r, "record has no hash");
		goto out;
	}
	memcpy(hash, line + len - HASH_HEX - 2, HASH_HEX);
	hash[HASH_HEX] = '\0';
	tb_audit_sha256_hex(line, len - SUFFIX_LEN, calc);
	if (strcmp(calc, hash) != 0) {
		tb_error_set(err, r, "record content does not match its hash");
		goto out;
	}
	if ((obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(obj)) {
		tb_error_set(err, r, "record is not a JSON object");
		goto out;
	}
	jseq = json_object_get(obj, "seq");
	jprev = json_object_get(obj, "prev");
	if (!json_is_integer(jseq) || json_integer_value(jseq) < 0) {
		tb_error_set(err, r, "record has no seq");
		goto out;
	}
	*seq = (unsigned long)json_integer_value(jseq);
	if (json_is_null(jprev) && *seq == 0) {
		prev[0] = '\0';
	} else if (json_is_string(jprev) && json_string_length(jprev) == HASH_HEX) {
		memcpy(prev, json_string_value(jprev), HASH_HEX + 1);
	} else {
		tb_error_set(err, r, "record has no valid prev");
		goto out;
	}
	if (obj_out != NULL) {
		*obj_out = obj;
		obj = NULL;
	}
	r = 0;
out:
	json_decref(obj);
	return r;
}

/*
 * Serialises obj, appends the MAC (under key, when not NULL), the hash
 * suffix and a newline; caller frees.
 */
static char *
record_seal(json_t *obj, const unsigned char *key, char hash[HASH_HEX + 1], size_t *len_out)
{
	char *body, *line;
	char mac[HASH_HEX + 1];
	size_t blen;

	if ((body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return NULL;
	blen = strlen(body);
	/* Drop the closing brace: the hash suffix closes the object. */
	body[--blen] = '\0';
	if ((line = malloc(blen + MAC_LEN + SUFFIX_LEN + 2)) == NULL) {
		free(body);
		return NULL;
	}
	memcpy(line, body, blen);
	free(body);
	if (key != NULL) {
		if (tb_audit_mac_hex(key, line, blen, mac) != 0) {
			free(line);
			return NULL;
		}
		memcpy(line + blen, MAC_KEY, sizeof(MAC_KEY) - 1);
		memcpy(line + blen + sizeof(MAC_KEY) - 1, mac, HASH_HEX);
		line[blen + MAC_LEN - 1] = '"';
		blen += MAC_LEN;
	}
	tb_audit_sha256_hex(line, blen, hash);
	snprintf(line + blen, SUFFIX_LEN + 2, HASH_KEY "%s\"}\n", hash);
	*len_out = blen + SUFFIX_LEN + 1;
	return line;
}

/*
 * Appends one whole line with a single write on the O_APPEND descriptor; a
 * short write is cut back so that no torn record breaks the chain.
 */
static int
write_record(int fd, const char *buf, size_t len, tb_error *err)
{
	struct stat st;
	ssize_t n;
	int saved;

	if (fstat(fd, &st) == -1)
		return tb_error_set(err, TB_ERR_IO, "audit stat: %s", strerror(errno));
	do {
		n = write(fd, buf, len);
	} while (n == -1 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		saved = n < 0 ? errno : ENOSPC;
		if (n > 0 && ftruncate(fd, st.st_size) == -1)
			tb_error_f(TB_ERR_IO, "audit file keeps a torn record: %s",
			    strerror(errno));
		return tb_error_set(err, TB_ERR_IO, "audit write: %s", strerror(saved));
	}
	return 0;
}

static int
write_all_sync(int fd, const char *buf, size_t len, tb_error *err)
{
	int r;

	if ((r = write_record(fd, buf, len, err)) != 0)
		return r;
	if (fdatasync(fd) == -1)
		return tb_error_set(err, TB_ERR_IO, "audit sync: %s", strerror(errno));
	return 0;
}

/*
 * Group commit: waits, with a->lock held, until record seq is on disk. One
 * waiter syncs for all records written so far while the others sleep, so
 * concurrent signatures share one fdatasync instead of queueing for one each.
 */
static int
audit_wait_synced(tb_audit *a, unsigned long seq, tb_error *err)
{
	unsigned long target;
	int rc, saved = 0;

	while (a->synced_seq < seq && a->failed_seq < seq) {
		if (a->syncing) {
			pthread_cond_wait(&a->synced_cv, &a->lock);
			continue;
		}
		a->syncing = 1;
		target = a->seq;
		pthread_mutex_unlock(&a->lock);
		rc = fdatasync(a->fd);
		if (rc == -1)
			saved = errno;
		pthread_mutex_lock(&a->lock);
		a->syncing = 0;
		if (rc == 0)
			a->synced_seq = target;
		else {
			a->failed_seq = target;
			snprintf(a->sync_error, sizeof(a->sync_error), "audit sync: %s",
			    strerror(saved));
		}
		pthread_cond_broadcast(&a->synced_cv);
	}
	if (a->synced_seq >= seq)
		return 0;
	return tb_error_set(err, TB_ERR_IO, "%s", a->sync_error);
}

void
tb_audit_time_text(char *buf, size_t len)
{
	tb_clock_format(tb_clock_now(), buf, len);
}

double
tb_audit_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
tb_audit_pack_opt(json_t *obj, const char *name, const char *value)
{
	return json_object_set_new(obj, name, value ? json_string(value) : json_null());
}

/*
 * The first record of a file: a random value, so that two files never
 * share a chain, and for a file that follows another (rotation) the last
 * record hash and seq of that file.
 */
static int
audit_write_genesis(tb_audit *a, const char *from, unsigned long from_seq, tb_error *err)
{
	unsigned char rnd[32];
	char rhex[HASH_HEX + 1], when[32], hash[HASH_HEX + 1];
	json_t *obj = NULL;
	char *line = NULL;
	size_t len, i;
	int r = TB_ERR_INTERNAL;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "audit genesis");
		goto out;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(rhex + 2 * i, 3, "%02x", rnd[i]);
	tb_audit_time_text(when, sizeof(when));
	obj = json_pack("{s:i, s:s, s:s, s:s}", "seq", 0, "time", when, "op", "genesis",
	    "genesis", rhex);
	if (obj != NULL && from != NULL &&
	    (json_object_set_new(obj, "from", json_string(from)) != 0 ||
	    json_object_set_new(obj, "from_seq", json_integer((json_int_t)from_seq)) != 0)) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit genesis");
		goto out;
	}
	if (obj == NULL || json_object_set_new(obj, "prev", json_null()) != 0 ||
	    (line = record_seal(obj, NULL, hash, &len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit genesis");
		goto out;
	}
	if ((r = write_all_sync(a->fd, line, len, err)) != 0)
		goto out;
	a->seq = a->synced_seq = a->failed_seq = 0;
	memcpy(a->prev, hash, sizeof(a->prev));
	memcpy(a->start, hash, sizeof(a->start));
	r = 0;
out:
	free(line);
	json_decref(obj);
	return r;
}

/* The hash at the end of a record line (len without the newline). */
static int
line_hash(const char *line, size_t len, char hash[HASH_HEX + 1])
{
	if (len < SUFFIX_LEN || memcmp(line + len - SUFFIX_LEN, HASH_KEY,
	    sizeof(HASH_KEY) - 1) != 0)
		return TB_ERR_MALFORMED;
	memcpy(hash, line + len - HASH_HEX - 2, HASH_HEX);
	hash[HASH_HEX] = '\0';
	return 0;
}

/* Reads the first and the last record of a non-empty file to continue its chain. */
static int
audit_load_tail(tb_audit *a, off_t size, tb_error *err)
{
	size_t want = size > TAIL_READ ? TAIL_READ : (size_t)size;
	char *buf = NULL, prev[HASH_HEX + 1];
	const char *start;
	size_t end;
	ssize_t n;
	int r = TB_ERR_INTERNAL;

	if ((buf = malloc(want)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "audit tail");
	/* The first record names the file in published checkpoints. */
	if ((n = pread(a->fd, buf, want, 0)) != (ssize_t)want) {
		r = tb_error_set(err, TB_ERR_IO, "audit read: %s", strerror(errno));
		goto out;
	}
	if ((start = memchr(buf, '\n', want)) == NULL ||
	    line_hash(buf, (size_t)(start - buf), a->start) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "first audit record is damaged; run "
		    "tanba-admin audit-verify");
		goto out;
	}
	if ((n = pread(a->fd, buf, want, size - (off_t)want)) != (ssize_t)want) {
		r = tb_error_set(err, TB_ERR_IO, "audit read: %s", strerror(errno));
		goto out;
	}
	end = want;
	if (buf[end - 1] != '\n') {
		r = tb_error_set(err, TB_ERR_MALFORMED,
		    "audit file ends with a partial record; run tanba-admin audit-verify");
		goto out;
	}
	end--;
	start = memrchr(buf, '\n', end);
	start = start == NULL ? buf : start + 1;
	if (start == buf && want < (size_t)size) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "audit record longer than %d bytes",
		    TAIL_READ);
		goto out;
	}
	if ((r = tb_audit_record_parse(start, end - (size_t)(start - buf), &a->seq, prev,
	    a->prev, NULL, err)) != 0) {
		tb_error_set(err, r, "last audit record is damaged: %s",
		    err ? err->detail : "");
		goto out;
	}
	a->synced_seq = a->seq;
	r = 0;
out:
	free(buf);
	return r;
}

/* Opens path (creating it with a genesis) as a's file; from: see audit_write_genesis. */
int
tb_audit_file_open(tb_audit *a, const char *path, const char *from, unsigned long from_seq,
    tb_error *err)
{
	struct stat st;
	int r = TB_ERR_INTERNAL;

	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (a->fd == -1) {
		r = tb_error_set(err, TB_ERR_IO, "audit file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(a->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = tb_error_set(err, TB_ERR_IO, "audit file %s: not a regular file", path);
		goto out;
	}
	r = st.st_size == 0 ? audit_write_genesis(a, from, from_seq, err) :
	    audit_load_tail(a, st.st_size, err);
out:
	return r;
}

int
tb_audit_open(const char *path, tb_audit **out, tb_error *err)
{
	tb_audit *a = NULL;
	int r = TB_ERR_INTERNAL;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "audit");
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->synced_cv, NULL);
	pthread_cond_init(&a->timer_cv, NULL);
	a->fd = a->anchor_fd = -1;
	if ((a->path = strdup(path)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit");
		goto out;
	}
	if ((r = tb_audit_file_open(a, path, NULL, 0, err)) != 0)
		goto out;
	*out = a;
	a = NULL;
	r = 0;
out:
	tb_audit_free(a);
	return r;
}

void
tb_audit_free(tb_audit *a)
{
	if (a == NULL)
		return;
	/* The timer stops, and what is not yet sealed gets its checkpoint. */
	tb_audit_close_checkpoints(a);
	if (a->fd != -1)
		close(a->fd);
	if (a->anchor_fd != -1)
		close(a->anchor_fd);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->synced_cv);
	pthread_cond_destroy(&a->timer_cv);
	free(a->path);
	free(a);
}

json_t *
tb_audit_event_obj(const tb_audit_event *ev)
{
	json_t *obj;

	/* seq and time first, filled in when the record is written */
	if ((obj = json_object()) == NULL ||
	    json_object_set_new(obj, "seq", json_integer(0)) ||
	    json_object_set_new(obj, "time", json_string("")) ||
	    json_object_set_new(obj, "uid", json_integer(ev->uid)) ||
	    tb_audit_pack_opt(obj, "client", ev->client) ||
	    tb_audit_pack_opt(obj, "op", ev->op) ||
	    tb_audit_pack_opt(obj, "key", ev->key) ||
	    tb_audit_pack_opt(obj, "doc_digest", ev->doc_digest) ||
	    tb_audit_pack_opt(obj, "sig_digest", ev->sig_digest) ||
	    tb_audit_pack_opt(obj, "attrs_digest", ev->attrs_digest) ||
	    tb_audit_pack_opt(obj, "result", ev->result) ||
	    tb_audit_pack_opt(obj, "detail", ev->detail) ||
	    /* the fields below only on the records that have them */
	    (ev->source && tb_audit_pack_opt(obj, "source", ev->source)) ||
	    (ev->verdict && tb_audit_pack_opt(obj, "verdict", ev->verdict)) ||
	    (ev->cert_issuer && tb_audit_pack_opt(obj, "cert_issuer", ev->cert_issuer)) ||
	    (ev->cert_serial && tb_audit_pack_opt(obj, "cert_serial", ev->cert_serial)) ||
	    (ev->revocation && tb_audit_pack_opt(obj, "revocation", ev->revocation)) ||
	    (ev->refusals && json_object_set_new(obj, "refusals",
	    json_integer((json_int_t)ev->refusals)))) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

int
tb_audit_sync_locked(tb_audit *a, tb_error *err)
{
	int r;

	if ((r = audit_wait_synced(a, a->seq, err)) == 0)
		tb_audit_publish_locked(a);
	return r;
}

/* One record; with sync, on disk before it returns (else the caller syncs). */
static int
put_record_locked(tb_audit *a, json_t *obj, int mac, char hash_out[HASH_HEX + 1], int sync,
    tb_error *err)
{
	char when[32], hash[HASH_HEX + 1];
	unsigned long my_seq;
	char *line = NULL;
	size_t len;
	int r = TB_ERR_INTERNAL;

	/*
	 * A checkpoint falls due before the record that would pass the limit;
	 * checked again after one, since others write while it syncs.
	 */
	while (!mac && a->keyed && TB_AUDIT_UNCOVERED(a) >= a->every)
		if ((r = tb_audit_checkpoint_locked(a, err)) != 0)
			goto failed;
	tb_audit_time_text(when, sizeof(when));
	if (json_object_set_new(obj, "seq", json_integer((json_int_t)a->seq + 1)) ||
	    json_object_set_new(obj, "time", json_string(when)) ||
	    json_object_set_new(obj, "prev", json_string(a->prev)) ||
	    (line = record_seal(obj, mac ? a->key : NULL, hash, &len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit record");
		goto failed;
	}
	if ((r = write_record(a->fd, line, len, err)) != 0)
		goto failed;
	my_seq = ++a->seq;
	a->written++;
	if (mac)
		a->cp_at = my_seq;
	memcpy(a->prev, hash, sizeof(a->prev));
	if (hash_out != NULL)
		memcpy(hash_out, hash, sizeof(hash));
	/* The caller may act on the record only once it is on disk. */
	if (sync && (r = audit_wait_synced(a, my_seq, err)) != 0)
		goto failed;
	a->last_error[0] = '\0';
	tb_audit_publish_locked(a);
	r = 0;
	goto out;
failed:
	snprintf(a->last_error, sizeof(a->last_error), "%s",
	    err ? err->detail : tb_err_str(r));
	tb_error_f(r, "audit record not written");
out:
	free(line);
	return r;
}

int
tb_audit_put_locked(tb_audit *a, json_t *obj, int mac, char hash_out[HASH_HEX + 1],
    tb_error *err)
{
	return put_record_locked(a, obj, mac, hash_out, 1, err);
}

int
tb_audit_append_many(tb_audit *a, const tb_audit_event *evs, size_t n, size_t *done,
    tb_error *err)
{
	json_t *obj;
	size_t written = 0;
	tb_error se;
	int r = 0, rs;

	*done = 0;
	pthread_mutex_lock(&a->lock);
	for (; written < n; written++) {
		if ((obj = tb_audit_event_obj(&evs[written])) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "audit record");
			break;
		}
		r = put_record_locked(a, obj, 0, NULL, 0, err);
		json_decref(obj);
		if (r != 0)
			break;
	}
	/*
	 * One sync for all of them (a checkpoint in between synced those
	 * before it); after a failure, for those written before it, which the
	 * trail keeps. The first failure is the one reported.
	 */
	tb_error_clear(&se);
	if (written > 0 && (rs = audit_wait_synced(a, a->seq, r == 0 ? err : &se)) != 0) {
		if (r == 0) {
			r = rs;
			snprintf(a->last_error, sizeof(a->last_error), "%s",
			    err ? err->detail : tb_err_str(r));
		}
		tb_error_f(rs, "audit records not written");
		written = 0;
	}
	*done = written;
	pthread_mutex_unlock(&a->lock);
	return r;
}

int
tb_audit_append(tb_audit *a, const tb_audit_event *ev, tb_error *err)
{
	json_t *obj;
	int r;

	if ((obj = tb_audit_event_obj(ev)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "audit record");
	pthread_mutex_lock(&a->lock);
	r = tb_audit_put_locked(a, obj, 0, NULL, err);
	pthread_mutex_unlock(&a->lock);
	json_decref(obj);
	return r;
}

unsigned long
tb_audit_count(tb_audit *a)
{
	unsigned long n;

	pthread_mutex_lock(&a->lock);
	n = a->written;
	pthread_mutex_unlock(&a->lock);
	return n;
}

int
tb_audit_last_error(tb_audit *a, char *buf, size_t len)
{
	int failed;

	pthread_mutex_lock(&a->lock);
	failed = a->last_error[0] != '\0';
	snprintf(buf, len, "%s", a->last_error);
	pthread_mutex_unlock(&a->lock);
	return failed;
}
