/*
 * One request payload through everything the front does with client JSON
 * before an op runs: decode, the id, every typed field the ops read
 * (request.c, op_sign.c, op_verify.c), then the answer frame. It runs no
 * op and touches no token: the op handlers need a daemon.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

/* The limits of op_verify.c's arrays, so the walk stops where it does. */
#define WALK_MAX_ROLES 16
#define WALK_MAX_CERTS 16

/* Keeps the first error, as a handler that stops at it would report it. */
static void
note(tb_error *first, const tb_error *e)
{
	if (first->code == 0 && e->code != 0)
		*first = *e;
}

/* A decoded base64 field encodes back to the very text sent: canonical only. */
static void
check_b64(const json_t *req, const char *field, const unsigned char *bin, size_t bin_len)
{
	const json_t *v = json_object_get(req, field);
	char *again = tb_b64_encode(bin, bin_len);

	FZ_ASSERT(v != NULL && json_is_string(v));
	FZ_ASSERT(again != NULL);
	FZ_ASSERT(strlen(again) == json_string_length(v));
	FZ_ASSERT(memcmp(again, json_string_value(v), json_string_length(v)) == 0);
	free(again);
}

static void
walk_string(const json_t *req, const char *field, int required, tb_error *first)
{
	const char *s = NULL;
	tb_error e;

	tb_error_clear(&e);
	if (tb_proto_get_string(req, field, required, &s, &e) != 0) {
		FZ_ASSERT(e.code == TB_ERR_INVALID_ARG);
		FZ_ASSERT(strncmp(e.detail, field, strlen(field)) == 0);
		note(first, &e);
		return;
	}
	FZ_ASSERT(s != NULL || !required);
	FZ_ASSERT(s == NULL || json_is_string(json_object_get(req, field)));
}

static void
walk_b64(const json_t *req, const char *field, int required, tb_error *first)
{
	unsigned char *bin = NULL;
	size_t len = 0;
	tb_error e;

	tb_error_clear(&e);
	if (tb_proto_get_b64(req, field, required, &bin, &len, &e) != 0) {
		FZ_ASSERT(e.code != 0);
		FZ_ASSERT(bin == NULL);
		note(first, &e);
		return;
	}
	if (bin != NULL)
		check_b64(req, field, bin, len);
	else
		FZ_ASSERT(!required && json_object_get(req, field) == NULL);
	free(bin);
}

static void
walk_bool(const json_t *req, const char *field, tb_error *first)
{
	int b = -1;
	tb_error e;

	tb_error_clear(&e);
	if (tb_proto_get_bool(req, field, 0, &b, &e) != 0) {
		FZ_ASSERT(e.code == TB_ERR_INVALID_ARG);
		note(first, &e);
		return;
	}
	FZ_ASSERT(b == -1 || b == 0 || b == 1);
}

/* "roles" and "certs" as op_verify.c reads them. */
static void
walk_arrays(const json_t *req)
{
	const json_t *a, *el;
	unsigned char *der;
	size_t i, der_len;
	tb_error e;

	a = json_object_get(req, "roles");
	if (a != NULL && json_is_array(a) && json_array_size(a) <= WALK_MAX_ROLES)
		json_array_foreach(a, i, el)
			if (json_is_string(el))
				(void)json_string_value(el);
	a = json_object_get(req, "certs");
	if (a == NULL || !json_is_array(a) || json_array_size(a) > WALK_MAX_CERTS)
		return;
	json_array_foreach(a, i, el) {
		if (!json_is_string(el))
			continue;
		tb_error_clear(&e);
		if (tb_b64_decode(json_string_value(el), json_string_length(el), &der, &der_len,
		    &e) != 0) {
			FZ_ASSERT(e.code == TB_ERR_INVALID_ARG);
			continue;
		}
		free(der);
	}
}

/* The answer must encode as one frame that reads back as the same JSON. */
static void
check_answer(json_t *resp)
{
	tb_frame_reader *fr;
	unsigned char *frame = NULL, *again = NULL;
	size_t len = 0, again_len = 0, used = 0;
	json_t *back = NULL;
	tb_error e;

	FZ_ASSERT(resp != NULL);
	FZ_ASSERT(tb_frame_encode(resp, &frame, &len, &e) == 0);
	FZ_ASSERT(len > TB_FRAME_HEADER);
	FZ_ASSERT((fr = tb_frame_reader_new(len)) != NULL);
	FZ_ASSERT(tb_frame_reader_feed(fr, frame, len, &used, &e) == 1);
	FZ_ASSERT(used == len);
	tb_frame_reader_take(fr, &again, &again_len);
	FZ_ASSERT(again_len == len - TB_FRAME_HEADER);
	FZ_ASSERT(tb_proto_decode(again, again_len, &back, &e) == 0);
	FZ_ASSERT(json_equal(resp, back));
	json_decref(back);
	free(again);
	free(frame);
	tb_frame_reader_free(fr);
}

void
fz_request_walk(const unsigned char *payload, size_t len)
{
	json_t *req = NULL, *id, *resp, *plain;
	json_error_t jerr;
	tb_error e, first;

	tb_error_clear(&e);
	tb_error_clear(&first);
	/*
	 * The decoder's fast path (long base64 values cut out before jansson
	 * reads the rest) must decide exactly as jansson alone: the same
	 * object, or a refusal where jansson refuses or reads no object.
	 */
	plain = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (tb_proto_decode(payload, len, &req, &e) != 0) {
		FZ_ASSERT(plain == NULL || !json_is_object(plain));
		json_decref(plain);
		FZ_ASSERT(e.code == TB_ERR_INVALID_ARG);
		FZ_ASSERT(req == NULL);
		/* request.c answers a frame it cannot decode with the detail. */
		resp = tb_proto_error(NULL, e.code, e.detail, NULL);
		check_answer(resp);
		json_decref(resp);
		return;
	}
	FZ_ASSERT(json_is_object(req));
	FZ_ASSERT(plain != NULL && json_equal(plain, req));
	json_decref(plain);
	id = tb_proto_id(req);
	FZ_ASSERT(id != NULL);
	FZ_ASSERT(json_is_null(id) || json_is_integer(id) || json_is_string(id));

	walk_string(req, "op", 1, &first);
	walk_string(req, "key", 0, &first);
	walk_bool(req, "detached", &first);
	walk_string(req, "digest_alg", 0, &first);
	walk_string(req, "digest", 0, &first);
	walk_b64(req, "data", 0, &first);
	walk_b64(req, "cms", 0, &first);
	walk_b64(req, "content", 0, &first);
	walk_b64(req, "cert", 0, &first);
	walk_string(req, "iin", 0, &first);
	walk_string(req, "bin", 0, &first);
	walk_string(req, "lang", 0, &first);
	walk_string(req, "time", 0, &first);
	walk_arrays(req);

	if (first.code != 0) {
		resp = tb_proto_error_from(id, &first, req);
	} else {
		FZ_ASSERT((resp = json_object()) != NULL);
		json_object_set(resp, "id", id);
		json_object_set_new(resp, "ok", json_true());
	}
	check_answer(resp);
	json_decref(resp);
	json_decref(id);
	json_decref(req);
}
