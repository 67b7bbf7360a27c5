/*
 * The append-only audit trail: one JSON line per signature, refusal or
 * denial, each carrying the SHA-256 of the line before it, so that an
 * edit, deletion or reordering breaks the chain. A record is on disk
 * (fdatasync) before the caller may return the signature it describes.
 * Keyed checkpoints (HMAC-SHA-256 under a key only the writer holds) make
 * a re-sealed chain fail, and published checkpoints make a cut tail show.
 * Written by the signer process only: the front sends its records there.
 */
#ifndef TB_AUDIT_H
#define TB_AUDIT_H

#include <stddef.h>

#include "tb_err.h"

typedef struct tb_audit tb_audit;

typedef struct tb_audit_event {
	unsigned uid;			/* client peer credentials */
	const char *client;		/* client name (user name), or NULL */
	const char *op;			/* "sign", "forbidden", "reload", ... */
	const char *key;		/* key name, or NULL */
	const char *doc_digest;		/* "sha256:<hex>" of the document, or NULL */
	const char *sig_digest;		/* "sha256:<hex>" of the signature value, or NULL */
	const char *attrs_digest;	/* "<alg>:<hex>": the digest signed (of the signed attributes), or NULL */
	const char *result;		/* "ok" or a tb_err name */
	const char *detail;		/* free text without secrets, or NULL */
	/* written only when set: */
	const char *source;		/* "front": the front's report, not the signer's knowledge */
	const char *verdict;		/* verification records: the verdict */
	const char *cert_issuer;	/* the signer certificate's issuer and serial */
	const char *cert_serial;
	const char *revocation;		/* the revocation evidence used */
	unsigned long refusals;		/* refusal counts: how many this record stands for */
} tb_audit_event;

/* Checkpoints and the refusal limit (tb_audit_configure). */
typedef struct tb_audit_opts {
	const unsigned char *key;	/* TB_AUDIT_KEY_BYTES of HMAC key, or NULL: no checkpoints */
	unsigned checkpoint_every;	/* at most this many records between checkpoints */
	unsigned checkpoint_interval_s;	/* records are sealed within this time */
	const char *anchor_file;	/* each checkpoint appended here too, or NULL */
	unsigned refusal_records;	/* per uid and window written one by one; 0: all */
	unsigned refusal_window_s;
	/* started as root: the anchor file goes to this user (a restarted writer runs as it); -1 none */
	long owner_uid, owner_gid;
} tb_audit_opts;

#define TB_AUDIT_KEY_BYTES 32

/*
 * Opens (creating with a random genesis record if new) the audit file at
 * path, reading its last record to continue the chain.
 */
int tb_audit_open(const char *path, tb_audit **out, tb_error *err);
void tb_audit_free(tb_audit *a);

/* Appends one record and syncs it to disk. Thread-safe. */
int tb_audit_append(tb_audit *a, const tb_audit_event *ev, tb_error *err);
/*
 * Appends n records in order and syncs them once: 0 when all are on disk.
 * The first failure stops the rest; the records written before it are
 * synced still, and *done says how many from the first are on disk (n on
 * success), so that the caller answers for exactly those: a record that
 * stays in the trail is never one whose outcome was then withheld.
 * Thread-safe; other writers wait until the n are written.
 */
int tb_audit_append_many(tb_audit *a, const tb_audit_event *evs, size_t n, size_t *done,
    tb_error *err);

/*
 * Turns on keyed checkpoints (one is written at once, then one before the
 * record that would pass checkpoint_every, and one within
 * checkpoint_interval_s of any record; each is published to syslog and
 * the anchor file once on disk) and the refusal limit. Once, after open.
 */
int tb_audit_configure(tb_audit *a, const tb_audit_opts *o, tb_error *err);

/*
 * A refusal: written one by one up to refusal_records per uid in
 * refusal_window_s, then counted; the count is written as one "refusals"
 * record when the window ends ("N refusals of uid U in the last T s").
 */
int tb_audit_refusal(tb_audit *a, const tb_audit_event *ev, tb_error *err);

/*
 * A record the front reports (it is not the signer's knowledge): only a
 * refusal (result < 0) of an op in a fixed list, or, when verify_records
 * is set, a verification record (op "verification", ev->key the verdict,
 * detail "serial=S;revocation=R;issuer=I"). Anything else is refused
 * (TB_ERR_FORBIDDEN) and the attempt recorded, within the refusal limit.
 */
int tb_audit_front_record(tb_audit *a, const tb_audit_event *ev, int result,
    int verify_records, tb_error *err);

/*
 * Rotation: when path is no longer the open file (moved away), seals the
 * open file with a checkpoint and starts path with a genesis that names
 * the open file's last record. Nothing happens when path is the open file.
 */
int tb_audit_reopen(tb_audit *a, const char *path, tb_error *err);

/*
 * The checkpoint key at path: TB_AUDIT_KEY_BYTES as hex text. With create,
 * a missing file is made (mode 0600, random key; given to owner_uid and
 * owner_gid when run as root and they are not -1, since a restarted writer
 * runs as that user), and a key readable by group or others, or owned by
 * another user than the caller (root excepted), is refused.
 */
int tb_audit_key_load(const char *path, int create, long owner_uid, long owner_gid,
    unsigned char key[TB_AUDIT_KEY_BYTES], tb_error *err);


/* Number of records written by this process, and the last failure (0 if none). */
unsigned long tb_audit_count(tb_audit *a);
int tb_audit_last_error(tb_audit *a, char *buf, size_t len);

/*
 * Checks the whole chain of the file at path. On a break, returns
 * TB_ERR_MALFORMED with *bad_line set to the first broken record's line
 * number (1-based) and the reason in err. *records gets the count read.
 */
int tb_audit_verify_file(const char *path, unsigned long *records,
    unsigned long *bad_line, tb_error *err);

/* What tb_audit_verify found. Files are numbered from 0 in the order given. */
typedef struct tb_audit_report {
	unsigned long records;		/* records read in all files */
	unsigned long checkpoints;	/* keyed records (MAC checked when a key was given) */
	int bad_file;			/* the file of the first break, or -1 */
	unsigned long bad_line;		/* its line (1-based), 0 when none */
	int cp_file;			/* the last trustworthy checkpoint, or -1 */
	unsigned long cp_seq, cp_line;
	char cp_time[32];
	unsigned long tail;		/* records after it: under the hash chain only */
	unsigned long anchored;		/* published checkpoints found in the files */
	int anchor_file;		/* the newest of them, or -1 */
	unsigned long anchor_seq;
	char anchor_time[32];
	int continues;			/* the first file follows one not given */
} tb_audit_report;

/*
 * Checks files (rotated ones first, in order: each must start with the
 * last record of the one before) as tb_audit_verify_file does, and with
 * key (or NULL) every checkpoint's MAC, that none is missing, and that the
 * files hold one; with anchor (or NULL) that every checkpoint published
 * for these files is there unchanged and the newest one in the anchor is
 * in them. TB_ERR_MALFORMED with rep->bad_file and bad_line set, and the
 * reason in err, on a break.
 */
int tb_audit_verify(const char *const *paths, size_t npaths, const unsigned char *key,
    const char *anchor, tb_audit_report *rep, tb_error *err);

#endif
