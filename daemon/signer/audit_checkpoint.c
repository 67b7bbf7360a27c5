/*
 * Keyed checkpoints of the audit trail. A checkpoint is a record over the
 * chain head (its "prev") carrying an HMAC-SHA-256 under a key that only
 * the writer (the signer process) holds: whoever rewrites records and
 * re-computes the plain SHA-256 chain cannot make the next checkpoint's
 * MAC. Each checkpoint, once on disk, is published outside the file
 * (syslog, and the anchor file when configured), so a file cut after it
 * shows. Also the timer that writes checkpoints and refusal counts on
 * time, and rotation. Never writes the key anywhere but its own file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "audit.h"
#include "audit_int.h"
#include "tb_log.h"

/* Started as root: a file the writer made goes to the user it will run as. */
static int
give_to(int fd, long uid, long gid)
{
	if (geteuid() != 0 || uid < 0)
		return 0;
	return fchown(fd, (uid_t)uid, (gid_t)(gid < 0 ? -1 : gid));
}

int
tb_audit_checkpoint_locked(tb_audit *a, tb_error *err)
{
	char when[32], hash[TB_AUDIT_HASH_HEX + 1];
	json_t *obj;
	unsigned long covered = TB_AUDIT_UNCOVERED(a);
	int r;

	tb_audit_time_text(when, sizeof(when));
	obj = json_pack("{s:i, s:s, s:s, s:I, s:i, s:s}", "seq", 0, "time", when,
	    "op", "checkpoint", "records", (json_int_t)covered, "every", (int)a->every,
	    "key_id", a->key_id);
	if (obj == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "audit checkpoint");
	/* put marks it as the last checkpoint the moment it is written */
	r = tb_audit_put_locked(a, obj, 1, hash, err);
	if (r != 0) {
		json_decref(obj);
		return r;
	}
	a->cp_mono = tb_audit_mono();
	a->cp_pending = 1;
	a->cp_seq = (unsigned long)json_integer_value(json_object_get(obj, "seq"));
	memcpy(a->cp_hash, hash, sizeof(a->cp_hash));
	snprintf(a->cp_time, sizeof(a->cp_time), "%s",
	    json_string_value(json_object_get(obj, "time")));
	json_decref(obj);
	/* put_locked synced the record: publish it now. */
	tb_audit_publish_locked(a);
	return 0;
}

void
tb_audit_publish_locked(tb_audit *a)
{
	char line[512];
	size_t len;
	ssize_t n;

	if (!a->cp_pending || a->cp_seq > a->synced_seq)
		return;
	a->cp_pending = 0;
	len = (size_t)snprintf(line, sizeof(line), "{\"audit\":\"checkpoint\",\"start\":\"%s\","
	    "\"seq\":%lu,\"hash\":\"%s\",\"time\":\"%s\"}", a->start, a->cp_seq, a->cp_hash,
	    a->cp_time);
	/* The journal and syslog keep it where the file's owner cannot reach. */
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit checkpoint %s", line);
	tb_info_f("audit checkpoint %s", line);
	if (a->anchor_fd == -1)
		return;
	line[len++] = '\n';
	do {
		n = write(a->anchor_fd, line, len);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)len || fdatasync(a->anchor_fd) == -1)
		tb_error_f(TB_ERR_IO, "audit anchor file: checkpoint %lu not written: %s",
		    a->cp_seq, n == -1 ? strerror(errno) : "short write");
}

/* Checkpoints and refusal counts on time, while the writer is idle too. */
static void *
timer_main(void *arg)
{
	tb_audit *a = arg;
	struct timespec ts;
	unsigned period;
	double now;
	tb_error e;

	period = a->keyed ? a->interval_s : 0;
	if (a->refusal_records > 0 && (period == 0 || a->refusal_window_s < period))
		period = a->refusal_window_s;
	/* half the period: nothing waits for more than 1.5 times its time */
	pthread_mutex_lock(&a->lock);
	while (!a->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += period / 2;
		ts.tv_nsec += (long)(period % 2) * 500000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&a->timer_cv, &a->lock, &ts);
		if (a->stopping)
			break;
		now = tb_audit_mono();
		tb_audit_refusals_flush_locked(a, now, 0);
		if (a->keyed && TB_AUDIT_UNCOVERED(a) > 0 && now - a->cp_mono >= a->interval_s)
			(void)tb_audit_checkpoint_locked(a, &e);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int
tb_audit_configure(tb_audit *a, const tb_audit_opts *o, tb_error *err)
{
	int r = TB_ERR_INTERNAL;

	pthread_mutex_lock(&a->lock);
	a->refusal_records = o->refusal_records;
	a->refusal_window_s = o->refusal_window_s > 0 ? o->refusal_window_s : 60;
	if (o->key != NULL) {
		memcpy(a->key, o->key, TB_AUDIT_KEY_LEN);
		tb_audit_key_id(a->key, a->key_id);
		a->every = o->checkpoint_every > 0 ? o->checkpoint_every : 1000;
		a->interval_s = o->checkpoint_interval_s > 0 ? o->checkpoint_interval_s : 60;
		if (o->anchor_file != NULL && (a->anchor_fd = open(o->anchor_file,
		    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
			r = tb_error_set(err, TB_ERR_IO, "audit anchor file %s: %s",
			    o->anchor_file, strerror(errno));
			goto out;
		}
		if (a->anchor_fd != -1 && give_to(a->anchor_fd, o->owner_uid, o->owner_gid) == -1) {
			r = tb_error_set(err, TB_ERR_IO, "audit anchor file %s: chown: %s",
			    o->anchor_file, strerror(errno));
			goto out;
		}
		a->keyed = 1;
		/* What a previous run left unsealed, and the genesis, are sealed now. */
		if ((r = tb_audit_checkpoint_locked(a, err)) != 0)
			goto out;
	}
	if (a->keyed || a->refusal_records > 0) {
		if (pthread_create(&a->timer, NULL, timer_main, a) != 0) {
			r = tb_error_set(err, TB_ERR_INTERNAL, "audit timer: %s", strerror(errno));
			goto out;
		}
		a->timer_on = 1;
	}
	r = 0;
out:
	pthread_mutex_unlock(&a->lock);
	return r;
}

void
tb_audit_close_checkpoints(tb_audit *a)
{
	tb_error e;

	if (a->timer_on) {
		pthread_mutex_lock(&a->lock);
		a->stopping = 1;
		pthread_cond_broadcast(&a->timer_cv);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->timer, NULL);
		a->timer_on = 0;
	}
	if (a->fd == -1)
		return;
	pthread_mutex_lock(&a->lock);
	tb_audit_refusals_flush_locked(a, tb_audit_mono(), 1);
	if (a->keyed && TB_AUDIT_UNCOVERED(a) > 0)
		(void)tb_audit_checkpoint_locked(a, &e);
	pthread_mutex_unlock(&a->lock);
}

int
tb_audit_reopen(tb_audit *a, const char *path, tb_error *err)
{
	struct stat have, want;
	char from[TB_AUDIT_HASH_HEX + 1], start[TB_AUDIT_HASH_HEX + 1], *newpath = NULL;
	unsigned long from_seq, old_cp;
	int oldfd, r = TB_ERR_INTERNAL;

	pthread_mutex_lock(&a->lock);
	if (fstat(a->fd, &have) == 0 && stat(path, &want) == 0 &&
	    have.st_dev == want.st_dev && have.st_ino == want.st_ino) {
		r = 0;
		goto out;
	}
	if ((newpath = strdup(path)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "audit");
		goto out;
	}
	/* The old file ends sealed: its last record is a checkpoint. */
	if (a->keyed && TB_AUDIT_UNCOVERED(a) > 0 && (r = tb_audit_checkpoint_locked(a, err)) != 0)
		goto out;
	if ((r = tb_audit_sync_locked(a, err)) != 0)
		goto out;
	while (a->syncing)
		pthread_cond_wait(&a->synced_cv, &a->lock);
	memcpy(from, a->prev, sizeof(from));
	from_seq = a->seq;
	memcpy(start, a->start, sizeof(start));
	oldfd = a->fd;
	old_cp = a->cp_at;
	a->synced_seq = a->failed_seq = a->cp_at = 0;
	if ((r = tb_audit_file_open(a, path, from, from_seq, err)) != 0) {
		if (a->fd != -1)
			close(a->fd);
		a->fd = oldfd;
		a->seq = a->synced_seq = from_seq;
		a->cp_at = old_cp;
		memcpy(a->prev, from, sizeof(a->prev));
		memcpy(a->start, start, sizeof(a->start));
		goto out;
	}
	close(oldfd);
	free(a->path);
	a->path = newpath;
	newpath = NULL;
	tb_info_f("audit trail rotated: %s starts after record %lu (%.16s...) of the "
	    "file before", path, from_seq, from);
	if (a->keyed && (r = tb_audit_checkpoint_locked(a, err)) != 0)
		goto out;
	r = 0;
out:
	pthread_mutex_unlock(&a->lock);
	free(newpath);
	return r;
}

/* A random key and its text form (hex and a newline). */
static int
key_new(unsigned char key[TB_AUDIT_KEY_BYTES], char text[2 * TB_AUDIT_KEY_BYTES + 2])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (RAND_priv_bytes(key, TB_AUDIT_KEY_BYTES) != 1)
		return TB_ERR_CRYPTO;
	for (i = 0; i < TB_AUDIT_KEY_BYTES; i++) {
		text[2 * i] = hex[key[i] >> 4];
		text[2 * i + 1] = hex[key[i] & 15];
	}
	text[2 * TB_AUDIT_KEY_BYTES] = '\n';
	text[2 * TB_AUDIT_KEY_BYTES + 1] = '\0';
	return 0;
}

int
tb_audit_key_load(const char *path, int create, long owner_uid, long owner_gid,
    unsigned char key[TB_AUDIT_KEY_BYTES], tb_error *err)
{
	char text[2 * TB_AUDIT_KEY_BYTES + 2];
	unsigned char fresh[TB_AUDIT_KEY_BYTES];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd = -1, r = TB_ERR_INTERNAL, hi, lo;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		/* First start: a random key, readable by its owner only. */
		if ((r = key_new(fresh, text)) != 0) {
			r = tb_error_set_ossl(err, r, "audit checkpoint key");
			goto out;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 || write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 ||
		    give_to(fd, owner_uid, owner_gid) == -1 || fsync(fd) == -1) {
			r = tb_error_set(err, TB_ERR_IO, "audit checkpoint key %s: %s", path,
			    strerror(errno));
			if (fd != -1)
				unlink(path);
			goto out;
		}
		tb_info_f("audit checkpoint key %s created", path);
		close(fd);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		r = tb_error_set(err, TB_ERR_IO, "audit checkpoint key %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = tb_error_set(err, TB_ERR_IO, "audit checkpoint key %s: not a regular file",
		    path);
		goto out;
	}
	if (create && ((st.st_mode & 077) != 0 || (st.st_uid != geteuid() && geteuid() != 0))) {
		r = tb_error_set(err, TB_ERR_CONFIG, "audit checkpoint key %s: must be owned "
		    "by uid %u and not readable by group or others (mode %04o, owner %u)", path,
		    (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		goto out;
	}
	n = read(fd, text, sizeof(text));
	if (n < 2 * TB_AUDIT_KEY_BYTES || (n == (ssize_t)sizeof(text) &&
	    text[2 * TB_AUDIT_KEY_BYTES] != '\n')) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "audit checkpoint key %s: want %d hex "
		    "digits", path, 2 * TB_AUDIT_KEY_BYTES);
		goto out;
	}
	for (i = 0; i < TB_AUDIT_KEY_BYTES; i++) {
		hi = OPENSSL_hexchar2int((unsigned char)text[2 * i]);
		lo = OPENSSL_hexchar2int((unsigned char)text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "audit checkpoint key %s: not "
			    "hex", path);
			goto out;
		}
		fresh[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(key, fresh, TB_AUDIT_KEY_BYTES);
	r = 0;
out:
	if (fd != -1)
		close(fd);
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	return r;
}
