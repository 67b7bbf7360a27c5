/*
 * The audit trail's verifier (tanba-admin audit-verify): the hash chain of
 * each file, the chain across rotated files, every checkpoint's MAC under
 * the signer's key, no checkpoint missing, and the checkpoints published
 * in an anchor file present and unchanged. Reads; never writes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_int.h"
#include "tb_file.h"

#define HEX TB_AUDIT_HASH_HEX
#define FILE_MAX ((size_t)1 << 34)

/* One checkpoint published outside the file. */
struct anchor {
	char start[HEX + 1];
	unsigned long seq;
	char hash[HEX + 1];
	char time[32];
	int seen;
};

struct anchors {
	struct anchor *v;
	size_t n;
};

/* Reads the anchor file: one JSON object a line, after any prefix (syslog lines too). */
static int
anchors_read(const char *path, struct anchors *an, tb_error *err)
{
	unsigned char *data = NULL;
	size_t len = 0, pos = 0, room = 0;
	json_t *o;
	const char *st, *h, *t;
	int r;

	if ((r = tb_file_read(path, FILE_MAX, &data, &len, err)) != 0)
		return r;
	while (pos < len) {
		const unsigned char *nl = memchr(data + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (data + pos)) : len - pos;
		const char *brace = memchr(data + pos, '{', llen);

		o = brace ? json_loadb(brace, llen - (size_t)(brace - (const char *)data - pos), 0,
		    NULL) : NULL;
		pos += llen + 1;
		if (o == NULL)
			continue;
		st = json_string_value(json_object_get(o, "start"));
		h = json_string_value(json_object_get(o, "hash"));
		t = json_string_value(json_object_get(o, "time"));
		if (json_is_integer(json_object_get(o, "seq")) && st && strlen(st) == HEX &&
		    h && strlen(h) == HEX && json_object_get(o, "audit") != NULL &&
		    json_is_string(json_object_get(o, "audit")) &&
		    strcmp(json_string_value(json_object_get(o, "audit")), "checkpoint") == 0) {
			if (an->n == room) {
				struct anchor *nv;

				room = room ? 2 * room : 64;
				if ((nv = realloc(an->v, room * sizeof(*nv))) == NULL) {
					json_decref(o);
					free(data);
					return tb_error_set(err, TB_ERR_NOMEM, "anchors");
				}
				an->v = nv;
			}
			memset(&an->v[an->n], 0, sizeof(an->v[0]));
			memcpy(an->v[an->n].start, st, HEX + 1);
			memcpy(an->v[an->n].hash, h, HEX + 1);
			snprintf(an->v[an->n].time, sizeof(an->v[0].time), "%s", t ? t : "?");
			an->v[an->n].seq = (unsigned long)json_integer_value(json_object_get(o, "seq"));
			an->n++;
		}
		json_decref(o);
	}
	free(data);
	return 0;
}

/* The state carried from one record (and one file) to the next. */
struct walk {
	const unsigned char *key;
	char key_id[TB_AUDIT_KEY_ID_HEX + 1];
	struct anchors an;
	char last[HEX + 1];		/* hash of the last record of the file before */
	unsigned long last_seq;
	int have_cp;			/* a checkpoint was met (so a gap can be measured) */
	unsigned long every;		/* the last checkpoint's promise */
	unsigned long gap;		/* records since it */
	int due_file;			/* where the gap first passed the promise */
	unsigned long due_line;
};

static int
broken(tb_audit_report *rep, int file, unsigned long line, tb_error *err, const char *why)
{
	rep->bad_file = file;
	rep->bad_line = line;
	return tb_error_set(err, TB_ERR_MALFORMED, "%s", why);
}

/* A keyed record: its MAC under the key, and the promise it makes. */
static int
keyed_record(struct walk *w, tb_audit_report *rep, int f, unsigned long line_no,
    unsigned long seq, const char *line, size_t mlen, const char *mac, json_t *obj,
    tb_error *err)
{
	char calc[HEX + 1], why[256];
	const char *kid = json_string_value(json_object_get(obj, "key_id"));
	json_t *every = json_object_get(obj, "every");

	if (w->key != NULL) {
		if (kid == NULL || strcmp(kid, w->key_id) != 0) {
			snprintf(why, sizeof(why), "checkpoint made with another key (key id %.16s, "
			    "the key given is %s)", kid ? kid : "none", w->key_id);
			return broken(rep, f, line_no, err, why);
		}
		if (tb_audit_mac_hex(w->key, line, mlen, calc) != 0 || strcmp(calc, mac) != 0)
			return broken(rep, f, line_no, err, "checkpoint MAC does not match: the "
			    "records before it were changed and the chain re-sealed (or the "
			    "checkpoint itself was forged)");
	}
	if (w->have_cp && w->gap > w->every) {
		snprintf(why, sizeof(why), "%lu records since the checkpoint before, at most "
		    "%lu were due: a checkpoint was removed", w->gap, w->every);
		return broken(rep, f, line_no, err, why);
	}
	w->have_cp = 1;
	w->every = json_is_integer(every) && json_integer_value(every) > 0 ?
	    (unsigned long)json_integer_value(every) : (unsigned long)-1;
	w->gap = 0;
	rep->checkpoints++;
	if (w->key != NULL) {
		rep->cp_file = f;
		rep->cp_seq = seq;
		rep->cp_line = line_no;
		snprintf(rep->cp_time, sizeof(rep->cp_time), "%s",
		    json_is_string(json_object_get(obj, "time")) ?
		    json_string_value(json_object_get(obj, "time")) : "?");
		rep->tail = 0;
	}
	return 0;
}

/* The published checkpoints of this file (start) at seq: each must be this record. */
static int
anchor_check(struct walk *w, tb_audit_report *rep, int f, unsigned long line_no,
    const char *start, unsigned long seq, const char *hash, tb_error *err)
{
	char why[256];
	size_t i;

	for (i = 0; i < w->an.n; i++) {
		struct anchor *x = &w->an.v[i];

		if (x->seq != seq || strcmp(x->start, start) != 0)
			continue;
		if (strcmp(x->hash, hash) != 0) {
			snprintf(why, sizeof(why), "record %lu is not the checkpoint published at "
			    "%s: the file was rewritten", seq, x->time);
			return broken(rep, f, line_no, err, why);
		}
		if (!x->seen)
			rep->anchored++;
		x->seen = 1;
		if (rep->anchor_file < f || (rep->anchor_file == f && seq >= rep->anchor_seq)) {
			rep->anchor_file = f;
			rep->anchor_seq = seq;
			snprintf(rep->anchor_time, sizeof(rep->anchor_time), "%s", x->time);
		}
	}
	return 0;
}

static int
verify_one(struct walk *w, const char *path, int f, tb_audit_report *rep, tb_error *err)
{
	unsigned char *data = NULL;
	size_t len = 0, pos = 0, mlen, i;
	unsigned long line_no = 0, seq, last_seq = 0;
	char expect[HEX + 1] = "", prev[HEX + 1], hash[HEX + 1], start[HEX + 1] = "";
	char mac[HEX + 1], why[256];
	const char *from;
	json_t *obj = NULL;
	int r;

	if ((r = tb_file_read(path, FILE_MAX, &data, &len, err)) != 0)
		return r;
	while (pos < len) {
		const unsigned char *nl = memchr(data + pos, '\n', len - pos);
		const char *line = (const char *)data + pos;
		size_t llen;

		line_no++;
		json_decref(obj);
		obj = NULL;
		if (nl == NULL) {
			r = broken(rep, f, line_no, err, "partial last record");
			goto out;
		}
		llen = (size_t)(nl - (data + pos));
		if ((r = tb_audit_record_parse(line, llen, &seq, prev, hash, &obj, err)) != 0) {
			rep->bad_file = f;
			rep->bad_line = line_no;
			goto out;
		}
		if (seq != line_no - 1) {
			snprintf(why, sizeof(why), "sequence number %lu where %lu was due (record "
			    "removed or moved)", seq, line_no - 1);
			r = broken(rep, f, line_no, err, why);
			goto out;
		}
		if (strcmp(prev, expect) != 0) {
			r = broken(rep, f, line_no, err,
			    "chain broken: prev does not match the record before");
			goto out;
		}
		if (seq == 0) {
			memcpy(start, hash, sizeof(start));
			from = json_string_value(json_object_get(obj, "from"));
			if (f > 0 && (from == NULL || strcmp(from, w->last) != 0)) {
				r = broken(rep, f, line_no, err, "this file does not continue the "
				    "file before it (its genesis names another last record)");
				goto out;
			}
			if (f == 0 && from != NULL)
				rep->continues = 1;
		}
		if ((mlen = tb_audit_mac_input(line, llen, mac)) > 0) {
			if ((r = keyed_record(w, rep, f, line_no, seq, line, mlen, mac, obj,
			    err)) != 0)
				goto out;
		} else {
			w->gap++;
			rep->tail++;
			if (w->have_cp && w->gap == w->every + 1) {
				w->due_file = f;
				w->due_line = line_no;
			}
		}
		if ((r = anchor_check(w, rep, f, line_no, start, seq, hash, err)) != 0)
			goto out;
		rep->records++;
		last_seq = seq;
		memcpy(expect, hash, sizeof(expect));
		pos += llen + 1;
	}
	if (line_no == 0) {
		r = broken(rep, f, 1, err, "empty audit file (no genesis)");
		goto out;
	}
	/* A checkpoint published for this file past its end: the tail was cut. */
	for (i = 0; i < w->an.n; i++) {
		if (strcmp(w->an.v[i].start, start) == 0 && w->an.v[i].seq > last_seq) {
			snprintf(why, sizeof(why), "the file ends at record %lu but checkpoint %lu "
			    "was published at %s: records were cut from the end", last_seq,
			    w->an.v[i].seq, w->an.v[i].time);
			r = broken(rep, f, line_no + 1, err, why);
			goto out;
		}
	}
	memcpy(w->last, expect, sizeof(w->last));
	w->last_seq = last_seq;
	r = 0;
out:
	json_decref(obj);
	free(data);
	return r;
}

int
tb_audit_verify(const char *const *paths, size_t npaths, const unsigned char *key,
    const char *anchor, tb_audit_report *rep, tb_error *err)
{
	struct walk w;
	size_t f;
	int r = TB_ERR_INTERNAL;

	memset(rep, 0, sizeof(*rep));
	rep->bad_file = rep->cp_file = rep->anchor_file = -1;
	memset(&w, 0, sizeof(w));
	w.key = key;
	if (key != NULL)
		tb_audit_key_id(key, w.key_id);
	if (anchor != NULL && (r = anchors_read(anchor, &w.an, err)) != 0)
		goto out;
	for (f = 0; f < npaths; f++)
		if ((r = verify_one(&w, paths[f], (int)f, rep, err)) != 0)
			goto out;
	/*
	 * The writer seals before the record that would pass the last
	 * checkpoint's promise: a longer tail lost its checkpoints (cut and the
	 * records after it rewritten), which the MACs alone cannot see.
	 */
	if (w.have_cp && w.gap > w.every) {
		char why[256];

		snprintf(why, sizeof(why), "%lu records after the last checkpoint, at most %lu "
		    "were due: the checkpoints after it were removed", w.gap, w.every);
		r = broken(rep, w.due_file, w.due_line, err, why);
		goto out;
	}
	if (key != NULL && rep->cp_file == -1) {
		r = broken(rep, (int)npaths - 1, 1, err, "no checkpoint: nothing in the files is "
		    "authenticated by the key");
		goto out;
	}
	/*
	 * The newest checkpoint published must be in the files given: a file
	 * replaced whole (a new genesis) shares no record with the anchor.
	 */
	if (w.an.n > 0) {
		if (!w.an.v[w.an.n - 1].seen) {
			r = broken(rep, (int)npaths - 1, 1, err, "the newest checkpoint in the "
			    "anchor file is in none of the files given: the trail was replaced (or "
			    "give the files rotated after it too)");
			goto out;
		}
	}
	r = 0;
out:
	free(w.an.v);
	return r;
}

int
tb_audit_verify_file(const char *path, unsigned long *records,
    unsigned long *bad_line, tb_error *err)
{
	tb_audit_report rep;
	int r = tb_audit_verify(&path, 1, NULL, NULL, &rep, err);

	*records = rep.records;
	*bad_line = rep.bad_line;
	return r;
}
