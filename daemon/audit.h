/*
 * The append-only audit trail: one JSON line per signature, refusal or
 * denial, each carrying the SHA-256 of the line before it, so that an
 * edit, deletion or reordering breaks the chain. A record is on disk
 * (fdatasync) before the caller may return the signature it describes.
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
} tb_audit_event;

/*
 * Opens (creating with a random genesis record if new) the audit file at
 * path, reading its last record to continue the chain.
 */
int tb_audit_open(const char *path, tb_audit **out, tb_error *err);
void tb_audit_free(tb_audit *a);

/* Appends one record and syncs it to disk. Thread-safe. */
int tb_audit_append(tb_audit *a, const tb_audit_event *ev, tb_error *err);

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

#endif
