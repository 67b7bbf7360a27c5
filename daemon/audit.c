/*
 * Hash-chained audit log. Each line is a JSON object that ends with
 * ,"hash":"<hex>"} where hash is the SHA-256 of every byte of the line
 * before that suffix; the line's "prev" is the previous line's hash. Lines
 * are written with one write() on an O_APPEND descriptor and synced before
 * tb_audit_append returns. Never holds a PIN or document content.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "audit.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "tb_log.h"

#define HASH_HEX 64
#define HASH_KEY ",\"hash\":\""
/* ,"hash":" + 64 hex + "} */
#define SUFFIX_LEN (sizeof(HASH_KEY) - 1 + HASH_HEX + 2)
#define TAIL_READ 65536

struct tb_audit {
	pthread_mutex_t lock;
	int fd;
	unsigned long seq;		/* seq of the last record on disk */
	char prev[HASH_HEX + 1];	/* hash of the last record on disk */
	unsigned long written;
	unsigned long synced_seq;	/* every record up to this seq is on disk */
	unsigned long failed_seq;	/* a sync covering records up to this seq failed */
	int syncing;			/* a thread is in fdatasync for the others */
	pthread_cond_t synced_cv;
	char sync_error[128];
	char last_error[sizeof(((tb_error *)0)->detail)];
};

static void
hex_sha256(const unsigned char *data, size_t len, char out[HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0, i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[HASH_HEX] = '\0';
}

/*
 * Checks one line's own hash and reads its seq and prev. line is not
 * NUL-terminated; len excludes the newline.
 */
static int
record_parse(const char *line, size_t len, unsigned long *seq, char prev[HASH_HEX + 1],
    char hash[HASH_HEX + 1], tb_error *err)
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
	hex_sha256((const unsigned char *)line, len - SUFFIX_LEN, calc);
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
	r = 0;
out:
	json_decref(obj);
	return r;
}

/* Serialises obj, appends the hash suffix and a newline; caller frees. */
static char *
record_seal(json_t *obj, char hash[HASH_HEX + 1], size_t *len_out)
{
	char *body, *line;
	size_t blen;

	if ((body = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return NULL;
	blen = strlen(body);
	/* Drop the closing brace: the hash suffix closes the object. */
	body[--blen] = '\0';
	hex_sha256((const unsigned char *)body, blen, hash);
	if ((line = malloc(blen + SUFFIX_LEN + 2)) == NULL) {
		free(body);
		return NULL;
	}
	memcpy(line, body, blen);
	snprintf(line + blen, SUFFIX_LEN + 2, HASH_KEY "%s\"}\n", hash);
	*len_out = blen + SUFFIX_LEN + 1;
	free(body);
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

static void
time_text(char *buf, size_t len)
{
	tb_clock_format(tb_clock_now(), buf, len);
}

static int
audit_write_genesis(tb_audit *a, tb_error *err)
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
	time_text(when, sizeof(when));
	obj = json_pack("{s:i, s:s, s:s, s:s, s:n}", "seq", 0, "time", when,
	    "op", "genesis", "genesis", rhex, "prev");
	if (obj == NULL || (line = record_seal(obj, hash, &len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit genesis");
		goto out;
	}
	if ((r = write_all_sync(a->fd, line, len, err)) != 0)
		goto out;
	a->seq = a->synced_seq = 0;
	memcpy(a->prev, hash, sizeof(a->prev));
	r = 0;
out:
	free(line);
	json_decref(obj);
	return r;
}

/* Reads the last record of a non-empty file to continue its chain. */
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
	if ((r = record_parse(start, end - (size_t)(start - buf), &a->seq, prev,
	    a->prev, err)) != 0) {
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

int
tb_audit_open(const char *path, tb_audit **out, tb_error *err)
{
	tb_audit *a = NULL;
	struct stat st;
	int r = TB_ERR_INTERNAL;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "audit");
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->synced_cv, NULL);
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (a->fd == -1) {
		r = tb_error_set(err, TB_ERR_IO, "audit file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(a->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = tb_error_set(err, TB_ERR_IO, "audit file %s: not a regular file", path);
		goto out;
	}
	r = st.st_size == 0 ? audit_write_genesis(a, err) : audit_load_tail(a, st.st_size, err);
	if (r != 0)
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
	if (a->fd != -1)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->synced_cv);
	free(a);
}

static int
pack_opt(json_t *obj, const char *name, const char *value)
{
	return json_object_set_new(obj, name, value ? json_string(value) : json_null());
}

int
tb_audit_append(tb_audit *a, const tb_audit_event *ev, tb_error *err)
{
	char when[32], hash[HASH_HEX + 1];
	unsigned long my_seq;
	json_t *obj = NULL;
	char *line = NULL;
	size_t len;
	int r = TB_ERR_INTERNAL;

	pthread_mutex_lock(&a->lock);
	time_text(when, sizeof(when));
	if ((obj = json_object()) == NULL ||
	    json_object_set_new(obj, "seq", json_integer((json_int_t)a->seq + 1)) ||
	    json_object_set_new(obj, "time", json_string(when)) ||
	    json_object_set_new(obj, "uid", json_integer(ev->uid)) ||
	    pack_opt(obj, "client", ev->client) || pack_opt(obj, "op", ev->op) ||
	    pack_opt(obj, "key", ev->key) || pack_opt(obj, "doc_digest", ev->doc_digest) ||
	    pack_opt(obj, "sig_digest", ev->sig_digest) ||
	    pack_opt(obj, "attrs_digest", ev->attrs_digest) ||
	    pack_opt(obj, "result", ev->result) || pack_opt(obj, "detail", ev->detail) ||
	    json_object_set_new(obj, "prev", json_string(a->prev)) ||
	    (line = record_seal(obj, hash, &len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit record");
		goto out;
	}
	if ((r = write_record(a->fd, line, len, err)) != 0)
		goto failed;
	my_seq = ++a->seq;
	a->written++;
	memcpy(a->prev, hash, sizeof(a->prev));
	/* The caller may act on the record only once it is on disk. */
	if ((r = audit_wait_synced(a, my_seq, err)) != 0)
		goto failed;
	a->last_error[0] = '\0';
	r = 0;
	goto out;
failed:
	snprintf(a->last_error, sizeof(a->last_error), "%s",
	    err ? err->detail : tb_err_str(r));
	tb_error_f(r, "audit record not written");
out:
	pthread_mutex_unlock(&a->lock);
	free(line);
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

int
tb_audit_verify_file(const char *path, unsigned long *records,
    unsigned long *bad_line, tb_error *err)
{
	unsigned char *data = NULL;
	size_t len = 0, pos = 0;
	unsigned long line_no = 0, seq;
	char expect[HASH_HEX + 1] = "", prev[HASH_HEX + 1], hash[HASH_HEX + 1];
	int r;

	*records = 0;
	*bad_line = 0;
	if ((r = tb_file_read(path, (size_t)1 << 34, &data, &len, err)) != 0)
		return r;
	while (pos < len) {
		const unsigned char *nl = memchr(data + pos, '\n', len - pos);
		size_t llen;

		line_no++;
		if (nl == NULL) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "partial last record");
			goto broken;
		}
		llen = (size_t)(nl - (data + pos));
		if ((r = record_parse((const char *)data + pos, llen, &seq, prev, hash, err)) != 0)
			goto broken;
		if (seq != line_no - 1) {
			r = tb_error_set(err, TB_ERR_MALFORMED,
			    "sequence number %lu where %lu was due (record removed or moved)",
			    seq, line_no - 1);
			goto broken;
		}
		if (strcmp(prev, expect) != 0) {
			r = tb_error_set(err, TB_ERR_MALFORMED,
			    "chain broken: prev does not match the record before");
			goto broken;
		}
		memcpy(expect, hash, sizeof(expect));
		pos += llen + 1;
	}
	if (line_no == 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "empty audit file (no genesis)");
		line_no = 1;
		goto broken;
	}
	*records = line_no;
	free(data);
	return 0;
broken:
	*records = line_no - 1;
	*bad_line = line_no;
	free(data);
	return r;
}
