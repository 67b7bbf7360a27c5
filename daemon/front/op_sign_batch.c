/*
 * The sign op for several documents or digests at once ("documents" or
 * "digests", docs/PROTOCOL.md): one key, one client, up to sign_batch_max
 * items. The client, the key and its certificate are checked once and
 * refuse the whole batch; each item is then checked, signed and recorded
 * on its own, and one that fails fails alone. The items that can be
 * signed go to the signer as one record, which signs them in turn and
 * answers them together; the CMS of each is assembled here, and the
 * answers keep the request's order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cms_sign.h"
#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "tb_clock.h"
#include "tb_log.h"

/* One document or digest of the request, and what became of it. */
typedef struct bitem {
	int status;			/* 0, or why this item failed */
	char detail[sizeof(((tb_error *)0)->detail)];
	unsigned char *data;		/* a document (documents), else NULL */
	size_t data_len;
	unsigned char digest[EVP_MAX_MD_SIZE];	/* a digest (digests) */
	size_t digest_len;
	int md_nid;
	char doc[TB_SC_DOC_MAX];	/* the document's digest as recorded */
	tb_sign_request sreq;
	unsigned char content_md[EVP_MAX_MD_SIZE];
	size_t content_md_len;
	int sent;			/* its index among the items sent to the signer, or -1 */
	unsigned char *der;		/* the CMS */
	size_t der_len;
	int64_t signing_time;
} bitem;

typedef struct batch {
	const char *field;		/* "documents" or "digests" */
	int by_digest;
	int detached;
	int md_nid;			/* from digest_alg, or 0 */
	size_t n;
	bitem *items;
} batch;

static int
item_fail(bitem *it, int r, const char *detail)
{
	it->status = r;
	snprintf(it->detail, sizeof(it->detail), "%s", detail[0] ? detail : tb_err_str(r));
	return r;
}

int
tb_op_sign_is_batch(const json_t *req)
{
	return json_object_get(req, "documents") != NULL ||
	    json_object_get(req, "digests") != NULL;
}

/* The fields that hold for every item; the list's length against the limit. */
static int
batch_read(json_t *req, size_t max, batch *b, tb_error *err)
{
	json_t *list;
	int detached = -1, r;

	if (json_object_get(req, "documents") != NULL && json_object_get(req, "digests") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "digests: give either documents or digests, not both");
	if (json_object_get(req, "data") != NULL || json_object_get(req, "digest") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: not together with data or digest",
		    json_object_get(req, "digests") != NULL ? "digests" : "documents");
	if (json_object_get(req, "timestamp") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "timestamp: not offered for a batch; sign one document at a time");
	b->by_digest = json_object_get(req, "digests") != NULL;
	b->field = b->by_digest ? "digests" : "documents";
	list = json_object_get(req, b->field);
	if (!json_is_array(list))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: must be an array", b->field);
	if (json_array_size(list) == 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: empty", b->field);
	if (json_array_size(list) > max)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "%s: %zu items, over sign_batch_max %zu",
		    b->field, json_array_size(list), max);
	if ((r = tb_proto_get_bool(req, "detached", 0, &detached, err)) != 0)
		return r;
	if ((r = tb_ops_digest_alg_read(req, &b->md_nid, err)) != 0)
		return r;
	if (b->by_digest && detached == 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "detached: a digest makes only a detached signature");
	b->detached = b->by_digest || detached == 1;
	b->n = json_array_size(list);
	if ((b->items = calloc(b->n, sizeof(*b->items))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "batch");
	return 0;
}

/* One item's shape: a digest spec or base64; a bad one fails alone. */
static void
item_read(const batch *b, json_t *v, bitem *it)
{
	const char *text = json_string_value(v);
	tb_error e;
	int nid;

	it->sent = -1;
	tb_error_clear(&e);
	if (text == NULL) {
		item_fail(it, TB_ERR_INVALID_ARG, "must be a string");
		return;
	}
	if (b->by_digest) {
		snprintf(it->doc, sizeof(it->doc), "%.*s", (int)sizeof(it->doc) - 1, text);
		if (tb_digest_spec_parse(text, &nid, it->digest, sizeof(it->digest),
		    &it->digest_len, &e) != 0) {
			item_fail(it, TB_ERR_INVALID_ARG, e.detail);
			it->doc[0] = '\0';
			return;
		}
		if (b->md_nid != 0 && b->md_nid != nid) {
			item_fail(it, TB_ERR_INVALID_ARG, "does not match digest_alg");
			return;
		}
		it->md_nid = nid;
	} else {
		if (tb_b64_decode(text, strlen(text), &it->data, &it->data_len, &e) != 0) {
			item_fail(it, TB_ERR_INVALID_ARG, e.detail);
			return;
		}
		tb_ops_digest_text(it->data, it->data_len, it->doc, sizeof(it->doc));
		it->md_nid = b->md_nid;	/* 0: the key's default, once the key is known */
	}
	memset(&it->sreq, 0, sizeof(it->sreq));
	it->sreq.md_nid = it->md_nid;
	it->sreq.detached = b->detached;
	it->sreq.data = b->by_digest ? NULL : it->data;
	it->sreq.data_len = it->data_len;
	it->sreq.digest = b->by_digest ? it->digest : NULL;
	it->sreq.digest_len = it->digest_len;
}

/*
 * As for one signature, a batch whose answer could not be delivered is
 * refused before the signer is asked: the bound is every item's CMS in
 * base64 and the answer's fields around them.
 */
static int
batch_fits(struct tb_daemon *d, json_t *req, const tb_front_key *k, const batch *b,
    tb_error *err)
{
	tb_config *cfg = tb_daemon_config(d);
	json_t *jid = json_object_get(req, "id");
	char *who = json_dumps(k->signer_info, JSON_COMPACT);
	char *id = jid != NULL ? json_dumps(jid, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	size_t bound, cms, i;
	int r = 0;

	bound = 6 * strlen(k->name) + 256 + (who != NULL ? strlen(who) : 0) +
	    (id != NULL ? strlen(id) : 0);
	for (i = 0; i < b->n; i++) {
		/* An item that failed answers its error: one detail, escaped. */
		cms = b->items[i].status != 0 ? 6 * sizeof(b->items[i].detail) :
		    tb_cms_sign_bound(k->cert, k->chain, &b->items[i].sreq);
		bound += 4 * ((cms + 2) / 3) + 128;
	}
	if (who == NULL || (jid != NULL && id == NULL))
		r = tb_error_set(err, TB_ERR_NOMEM, "answer");
	else if (bound > cfg->max_frame_bytes)
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "%s: the answer could be up to %zu bytes, "
		    "over max_frame_bytes %zu; sign fewer documents at once, or by digest",
		    b->field, bound, cfg->max_frame_bytes);
	free(who);
	free(id);
	tb_config_unref(cfg);
	return r;
}

/* Sends the items that can be signed as one batch; takes their answers. */
static int
batch_sign(struct tb_daemon *d, const tb_client *client, const tb_front_key *k, batch *b,
    int *audited, tb_error *err)
{
	tb_sc_item *items = NULL;
	tb_sc_item_ans *ans = NULL;
	tb_sc_ans **parts = NULL;
	size_t nparts = 0, i, p;
	uint32_t n = 0, got, j;
	bitem *it;
	tb_error e;
	int r;

	if ((items = calloc(b->n, sizeof(*items))) == NULL ||
	    (ans = calloc(TB_SC_BATCH_MAX, sizeof(*ans))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "batch");
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->status != 0)
			continue;
		tb_error_clear(&e);
		/* A GOST key's item is its Streebog; a digest of another kind fails alone. */
		if (tb_ops_digest_fits_key(k, it->md_nid, &e) != 0 ||
		    tb_ops_content_digest(k, &it->sreq, it->content_md, &it->content_md_len,
		    &e) != 0 || it->content_md_len > sizeof(items[n].digest)) {
			item_fail(it, e.code != 0 ? e.code : TB_ERR_INTERNAL, e.detail);
			it->sent = -2;
			continue;
		}
		items[n].md_nid = it->md_nid;
		items[n].digest_len = (uint32_t)it->content_md_len;
		memcpy(items[n].digest, it->content_md, it->content_md_len);
		it->sent = (int)n++;
	}
	if (n == 0) {
		r = 0;
		goto out;
	}
	if ((r = tb_daemon_sign_batch(d, client, k->name, k->cert_sha256, items, n, b->detached,
	    &parts, &nparts, audited, err)) != 0)
		goto out;
	/* Every answer goes to the item sent under its index; none may be missing. */
	for (p = 0; p < nparts; p++) {
		if ((r = tb_sc_batch_ans_items(parts[p], ans, TB_SC_BATCH_MAX, &got, err)) != 0)
			goto out;
		for (j = 0; j < got; j++) {
			for (i = 0; i < b->n && b->items[i].sent != (int)ans[j].index; i++)
				;
			if (i == b->n || ans[j].index >= n) {
				r = tb_error_set(err, TB_ERR_MALFORMED, "signer answered item %u of %u",
				    ans[j].index, n);
				goto out;
			}
			it = &b->items[i];
			it->sent = -1;
			if (ans[j].status != 0) {
				it->status = ans[j].status;
				snprintf(it->detail, sizeof(it->detail), "%.*s", (int)ans[j].detail_len,
				    ans[j].detail);
				continue;
			}
			tb_error_clear(&e);
			it->signing_time = ans[j].signing_time;
			if (tb_ops_assemble(k, &it->sreq, it->content_md, it->content_md_len,
			    ans[j].attrs, ans[j].attrs_len, ans[j].sig, ans[j].sig_len,
			    it->signing_time, &it->der, &it->der_len, &e) != 0)
				item_fail(it, e.code, e.detail);
		}
	}
	for (i = 0; i < b->n; i++)
		if (b->items[i].status == 0 && b->items[i].sent >= 0)
			item_fail(&b->items[i], TB_ERR_INTERNAL, "the signer did not answer it");
	r = 0;
out:
	for (p = 0; p < nparts; p++)
		free(parts[p]);
	free(parts);
	free(ans);
	if (items != NULL)
		OPENSSL_cleanse(items, b->n * sizeof(*items));
	free(items);
	return r;
}

/* {"ok":true,"cms","signing_time"} or {"ok":false,"error":{"code","message"}}. */
static json_t *
item_answer(const bitem *it)
{
	char when[32], *b64;
	json_t *o;

	if (it->status != 0)
		return json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code",
		    tb_err_name(it->status), "message", it->detail);
	if ((b64 = tb_b64_encode(it->der, it->der_len)) == NULL)
		return NULL;
	tb_clock_format((time_t)it->signing_time, when, sizeof(when));
	o = json_pack("{s:b, s:s, s:s}", "ok", 1, "cms", b64, "signing_time", when);
	free(b64);
	return o;
}

static int
batch_answer(struct tb_daemon *d, const tb_front_key *k, const batch *b, json_t *result,
    size_t *signed_n, tb_error *err)
{
	json_t *list = json_array(), *who = json_deep_copy(k->signer_info), *o;
	size_t i, ok = 0;

	if (list == NULL || who == NULL)
		goto nomem;
	for (i = 0; i < b->n; i++) {
		if ((o = item_answer(&b->items[i])) == NULL || json_array_append_new(list, o) != 0)
			goto nomem;
		ok += b->items[i].status == 0;
	}
	json_object_set_new(result, "key", json_string(k->name));
	json_object_set_new(result, "signer", who);
	json_object_set_new(result, "signed", json_integer((json_int_t)ok));
	json_object_set_new(result, "failed", json_integer((json_int_t)(b->n - ok)));
	json_object_set_new(result, "results", list);
	for (i = 0; i < ok; i++)
		tb_metrics_inc(tb_daemon_metrics(d), TB_COUNT_SIGNATURES);
	*signed_n = ok;
	return 0;
nomem:
	json_decref(list);
	json_decref(who);
	return tb_error_set(err, TB_ERR_NOMEM, "answer");
}

/*
 * Refusals the front decides leave a record per item, as one sign would:
 * the whole batch's reason, or an item's own when the signer never saw it.
 */
static void
front_records(struct tb_daemon *d, const tb_client *client, const char *name, const batch *b,
    int whole, const tb_error *why)
{
	const char *key = name != NULL && strlen(name) < TB_SC_NAME_MAX ? name : NULL;
	size_t i;

	for (i = 0; i < b->n; i++) {
		const bitem *it = &b->items[i];

		if (whole)
			(void)tb_daemon_audit(d, client->uid, "sign", key,
			    it->doc[0] != '\0' ? it->doc : NULL, NULL, why->code, why->detail, NULL);
		else if (it->status != 0 && it->sent == -2)
			(void)tb_daemon_audit(d, client->uid, "sign", key,
			    it->doc[0] != '\0' ? it->doc : NULL, NULL, it->status, it->detail, NULL);
	}
}

int
tb_op_sign_batch(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, audited = 0;
	tb_config *cfg = tb_daemon_config(d);
	size_t max = cfg->sign_batch_max, i, ok = 0;
	tb_front_keys *ks = NULL;
	const tb_front_key *k = NULL;
	const char *name = NULL;
	batch b;

	tb_config_unref(cfg);
	memset(&b, 0, sizeof(b));
	if ((r = tb_proto_get_string(req, "key", 1, &name, err)) != 0)
		goto out;
	if ((r = batch_read(req, max, &b, err)) != 0)
		goto out;
	for (i = 0; i < b.n; i++)
		item_read(&b, json_array_get(json_object_get(req, b.field), i), &b.items[i]);
	/* After the items are read: the refusal is recorded for each document. */
	if (!tb_config_client_key_ok(client->acl, name)) {
		r = tb_error_set(err, TB_ERR_FORBIDDEN, "key: client %s may not use key '%.64s'",
		    client->acl->name, name);
		goto out;
	}
	if ((r = tb_ops_sign_key(d, name, &ks, &k, err)) != 0)
		goto out;
	for (i = 0; i < b.n; i++)
		if (b.items[i].md_nid == 0)
			b.items[i].md_nid = b.items[i].sreq.md_nid = k->md_nid;
	if ((r = batch_fits(d, req, k, &b, err)) != 0)
		goto out;
	/* Items refused here were never the signer's to record. */
	for (i = 0; i < b.n; i++)
		if (b.items[i].status != 0)
			b.items[i].sent = -2;
	if ((r = batch_sign(d, client, k, &b, &audited, err)) != 0) {
		tb_error_f(r, "uid %u key %s: batch of %zu: %s", client->uid, name, b.n,
		    err->detail);
		goto out;
	}
	if ((r = batch_answer(d, k, &b, result, &ok, err)) != 0)
		goto out;
	tb_info_f("uid %u pid %d: signed %zu of %zu with key %s (%s)", client->uid, client->pid,
	    ok, b.n, name, b.field);
	r = 0;
out:
	/* A batch refused whole leaves one record per item, as that many signs would. */
	if (r != 0 && !audited && b.items != NULL)
		front_records(d, client, name, &b, 1, err);
	else if (r != 0 && !audited)
		(void)tb_daemon_audit(d, client->uid, "sign",
		    name != NULL && strlen(name) < TB_SC_NAME_MAX ? name : NULL, NULL, NULL, r,
		    err->detail, NULL);
	else
		front_records(d, client, name, &b, 0, err);
	for (i = 0; i < b.n; i++) {
		if (b.items[i].data != NULL) {
			OPENSSL_cleanse(b.items[i].data, b.items[i].data_len);
			free(b.items[i].data);
		}
		OPENSSL_free(b.items[i].der);
	}
	free(b.items);
	tb_front_keys_unref(ks);
	return r;
}
