/*
 * Inside the audit trail library (audit.c, audit_checkpoint.c,
 * audit_refusals.c, audit_verify.c): the writer's state and the record
 * format shared by the writer and the verifier. Not for callers: they use
 * audit.h.
 */
#ifndef TB_AUDIT_INT_H
#define TB_AUDIT_INT_H

#include <pthread.h>
#include <stddef.h>

#include <jansson.h>

#include "audit.h"

#define TB_AUDIT_HASH_HEX 64
#define TB_AUDIT_KEY_LEN 32
#define TB_AUDIT_KEY_ID_HEX 16
/* refusal windows kept one per client uid; further uids share one more */
#define TB_AUDIT_REFUSAL_SLOTS 32

struct tb_audit_refusal_slot {
	unsigned uid;
	int used;
	double start;			/* monotonic seconds: this window's start */
	unsigned recorded;		/* records written one by one in this window */
	unsigned long suppressed;	/* refusals counted, not written */
	char op[24];			/* the last suppressed refusal's op and result */
	char result[32];
};

struct tb_audit {
	pthread_mutex_t lock;
	int fd;
	char *path;
	unsigned long seq;		/* seq of the last record on disk */
	char prev[TB_AUDIT_HASH_HEX + 1];	/* hash of the last record on disk */
	char start[TB_AUDIT_HASH_HEX + 1];	/* hash of this file's first record */
	unsigned long written;
	unsigned long synced_seq;	/* every record up to this seq is on disk */
	unsigned long failed_seq;	/* a sync covering records up to this seq failed */
	int syncing;			/* a thread is in fdatasync for the others */
	pthread_cond_t synced_cv;
	char sync_error[128];
	char last_error[384];

	/* keyed checkpoints (audit_checkpoint.c); keyed is 0 until configured */
	int keyed;
	unsigned char key[TB_AUDIT_KEY_LEN];
	char key_id[TB_AUDIT_KEY_ID_HEX + 1];
	unsigned every, interval_s;
	unsigned long cp_at;		/* seq of the last checkpoint written (0: none yet) */
	double cp_mono;			/* when it was written (monotonic seconds) */
	int anchor_fd;
	/* the last checkpoint written, published once it is on disk */
	int cp_pending;
	unsigned long cp_seq;
	char cp_hash[TB_AUDIT_HASH_HEX + 1];
	char cp_time[32];

	/* refusals written one by one up to a limit, then counted (audit_refusals.c) */
	unsigned refusal_records, refusal_window_s;
	struct tb_audit_refusal_slot slots[TB_AUDIT_REFUSAL_SLOTS + 1];

	/* the thread that writes checkpoints and refusal counts on time */
	pthread_t timer;
	int timer_on, stopping;
	pthread_cond_t timer_cv;
};

/* Records written after the last checkpoint (a->lock held). */
#define TB_AUDIT_UNCOVERED(a) ((a)->seq - (a)->cp_at)

/* SHA-256 of data as lower-case hex. */
void tb_audit_sha256_hex(const void *data, size_t len, char out[TB_AUDIT_HASH_HEX + 1]);
/* HMAC-SHA-256 of data under key, as lower-case hex. */
int tb_audit_mac_hex(const unsigned char key[TB_AUDIT_KEY_LEN], const void *data, size_t len,
    char out[TB_AUDIT_HASH_HEX + 1]);
/* The public name of a key: hex of the first 8 bytes of a SHA-256 over it. */
void tb_audit_key_id(const unsigned char key[TB_AUDIT_KEY_LEN],
    char out[TB_AUDIT_KEY_ID_HEX + 1]);

/*
 * Checks one line's own hash and reads its seq and prev; *obj (if not
 * NULL) gets the parsed record. line is not NUL-terminated; len excludes
 * the newline.
 */
int tb_audit_record_parse(const char *line, size_t len, unsigned long *seq,
    char prev[TB_AUDIT_HASH_HEX + 1], char hash[TB_AUDIT_HASH_HEX + 1], json_t **obj,
    tb_error *err);

/*
 * A keyed record (checkpoint, genesis of a rotated file) ends with
 * ,"mac":"<hex>","hash":"<hex>"}: the MAC is over every byte before its
 * own field. Returns the length of that part, or 0 when the line has no MAC.
 */
size_t tb_audit_mac_input(const char *line, size_t len, char mac[TB_AUDIT_HASH_HEX + 1]);

/*
 * With a->lock held: writes obj (prev, and a MAC when mac is set, added
 * here) and waits until it is on disk; a checkpoint falls due first when
 * enough records went by. hash (or NULL) gets the record's hash; obj keeps
 * the seq and time written.
 */
int tb_audit_put_locked(tb_audit *a, json_t *obj, int mac, char hash[TB_AUDIT_HASH_HEX + 1],
    tb_error *err);
/* With a->lock held: waits until every record written is on disk, then publishes. */
int tb_audit_sync_locked(tb_audit *a, tb_error *err);
/* With a->lock held: the checkpoint record, written (not yet synced). */
int tb_audit_checkpoint_locked(tb_audit *a, tb_error *err);
/* With a->lock held, after a sync: publishes the last checkpoint written. */
void tb_audit_publish_locked(tb_audit *a);
/* With a->lock held: writes the counts of refusals whose window ended. */
void tb_audit_refusals_flush_locked(tb_audit *a, double now, int all);
/* Opens path as a's file (a new one gets a genesis naming from, from_seq, or none). */
int tb_audit_file_open(tb_audit *a, const char *path, const char *from,
    unsigned long from_seq, tb_error *err);
/* A record's fields as a JSON object (seq and time filled in when written). */
json_t *tb_audit_event_obj(const tb_audit_event *ev);
/* Stops the timer and seals what is not yet under a checkpoint (at free). */
void tb_audit_close_checkpoints(tb_audit *a);
/* The time text of records; monotonic seconds for windows. */
void tb_audit_time_text(char *buf, size_t len);
double tb_audit_mono(void);
/* Adds name: value, or null when value is NULL. */
int tb_audit_pack_opt(json_t *obj, const char *name, const char *value);

#endif
