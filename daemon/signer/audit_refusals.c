/*
 * Refusals in the audit trail without a flood: each client uid gets
 * refusal_records records one by one per refusal_window_s; past that its
 * refusals are counted and written as one record when the window ends
 * ("N refusals of uid U in the last T s"). The table holds
 * TB_AUDIT_REFUSAL_SLOTS uids; more at once share one more slot, so memory
 * and the trail's growth stay bounded whatever uids a peer claims. Also
 * the rule for what the front may report. Signatures never pass here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "audit_int.h"
#include "tb_log.h"

#define OTHERS TB_AUDIT_REFUSAL_SLOTS

/*
 * With a->lock held: the count of slot i as one record, and the slot
 * emptied first: the lock is let go while the record syncs, and another
 * thread must not write the same count again.
 */
static void
slot_flush(tb_audit *a, size_t i, double now)
{
	struct tb_audit_refusal_slot sl = a->slots[i];
	tb_audit_event ev;
	char detail[200];
	json_t *obj;
	tb_error e;

	memset(&a->slots[i], 0, sizeof(a->slots[i]));
	if (sl.suppressed == 0)
		return;
	memset(&ev, 0, sizeof(ev));
	if (i == OTHERS)
		snprintf(detail, sizeof(detail), "%lu refusals of other uids in the last %.0f s "
		    "(the last: uid %u, op %s), not recorded one by one", sl.suppressed,
		    now - sl.start, sl.uid, sl.op);
	else
		snprintf(detail, sizeof(detail), "%lu refusals of uid %u in the last %.0f s "
		    "(the last: op %s), not recorded one by one", sl.suppressed, sl.uid,
		    now - sl.start, sl.op);
	ev.uid = sl.uid;
	ev.op = "refusals";
	ev.result = sl.result;
	ev.detail = detail;
	ev.refusals = sl.suppressed;
	if ((obj = tb_audit_event_obj(&ev)) == NULL ||
	    tb_audit_put_locked(a, obj, 0, NULL, &e) != 0)
		tb_error_f(TB_ERR_IO, "audit: the count of %lu refusals of uid %u is lost",
		    sl.suppressed, sl.uid);
	json_decref(obj);
}

void
tb_audit_refusals_flush_locked(tb_audit *a, double now, int all)
{
	size_t i;

	for (i = 0; i <= OTHERS; i++)
		if (a->slots[i].used && (all || now - a->slots[i].start >= a->refusal_window_s))
			slot_flush(a, i, now);
}

/* The slot of uid: its own, a free one, or the one all others share. */
static struct tb_audit_refusal_slot *
slot_of(tb_audit *a, unsigned uid, double now)
{
	struct tb_audit_refusal_slot *free_sl = NULL, *sl;
	size_t i;

	for (i = 0; i < OTHERS; i++) {
		if (a->slots[i].used && a->slots[i].uid == uid)
			return &a->slots[i];
		if (!a->slots[i].used && free_sl == NULL)
			free_sl = &a->slots[i];
	}
	sl = free_sl != NULL ? free_sl : &a->slots[OTHERS];
	if (!sl->used) {
		sl->used = 1;
		sl->uid = uid;
		sl->start = now;
	}
	return sl;
}

int
tb_audit_refusal(tb_audit *a, const tb_audit_event *ev, tb_error *err)
{
	struct tb_audit_refusal_slot *sl;
	json_t *obj;
	double now;
	int r = 0;

	if (a->refusal_records == 0)
		return tb_audit_append(a, ev, err);
	if ((obj = tb_audit_event_obj(ev)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "audit record");
	pthread_mutex_lock(&a->lock);
	now = tb_audit_mono();
	tb_audit_refusals_flush_locked(a, now, 0);
	sl = slot_of(a, ev->uid, now);
	if (sl->recorded < a->refusal_records) {
		sl->recorded++;
		r = tb_audit_put_locked(a, obj, 0, NULL, err);
	} else {
		sl->suppressed++;
		sl->uid = ev->uid;
		snprintf(sl->op, sizeof(sl->op), "%s", ev->op ? ev->op : "-");
		snprintf(sl->result, sizeof(sl->result), "%s", ev->result ? ev->result : "-");
	}
	pthread_mutex_unlock(&a->lock);
	json_decref(obj);
	return r;
}

/* The ops whose refusals the front decides (request.c, op_sign.c, daemon.c). */
static const char *const front_ops[] = {
	"connect", "sign", "keys", "status", "verify", "check-cert", "timestamp", "reload",
	NULL
};

/* "serial=S;revocation=R;issuer=I" into its three parts (issuer last: it may hold ';'). */
static int
verification_fields(const char *detail, char *buf, size_t len, const char **serial,
    const char **revocation, const char **issuer)
{
	char *p, *q;

	if (detail == NULL || strlen(detail) >= len || strncmp(detail, "serial=", 7) != 0)
		return -1;
	memcpy(buf, detail, strlen(detail) + 1);
	*serial = buf + 7;
	if ((p = strstr(buf, ";revocation=")) == NULL || (q = strstr(p, ";issuer=")) == NULL)
		return -1;
	*p = '\0';
	*revocation = p + 12;
	*q = '\0';
	*issuer = q + 8;
	return 0;
}

int
tb_audit_front_record(tb_audit *a, const tb_audit_event *ev_in, int result,
    int verify_records, tb_error *err)
{
	tb_audit_event ev = *ev_in;
	char fields[512], detail[256];
	size_t i;

	ev.source = "front";
	if (verify_records && ev.op != NULL && strcmp(ev.op, "verification") == 0 &&
	    result == 0 && ev.key != NULL && verification_fields(ev.detail, fields,
	    sizeof(fields), &ev.cert_serial, &ev.revocation, &ev.cert_issuer) == 0) {
		/* The front's verdict on a citizen's signature: never a signing outcome. */
		ev.verdict = ev.key;
		ev.key = NULL;
		ev.detail = NULL;
		ev.result = "recorded";
		return tb_audit_append(a, &ev, err);
	}
	for (i = 0; result < 0 && ev.op != NULL && front_ops[i] != NULL; i++)
		if (strcmp(ev.op, front_ops[i]) == 0)
			return tb_audit_refusal(a, &ev, err);
	/* A success, a signer event or an unknown op: not the front's to report. */
	snprintf(detail, sizeof(detail), "the front reported op %.24s with result %d: not "
	    "the front's to report; not recorded as such", ev.op ? ev.op : "-", result);
	tb_warn_f(TB_ERR_FORBIDDEN, "%s", detail);
	memset(&ev, 0, sizeof(ev));
	ev.uid = ev_in->uid;
	ev.client = ev_in->client;
	ev.op = "front-record";
	ev.result = tb_err_name(TB_ERR_FORBIDDEN);
	ev.detail = detail;
	ev.source = "front";
	(void)tb_audit_refusal(a, &ev, NULL);
	return tb_error_set(err, TB_ERR_FORBIDDEN, "%s", detail);
}
