/*
 * Wire format units: frames split at every byte, lengths refused before
 * any allocation, JSON field errors that name the field, and base64 that
 * round-trips and refuses anything non-canonical.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "check_run.h"
#include "proto.h"

static unsigned char *
frame_of(const char *payload, size_t *len)
{
	size_t n = strlen(payload);
	unsigned char *f = malloc(n + 4);

	f[0] = (unsigned char)(n >> 24);
	f[1] = (unsigned char)(n >> 16);
	f[2] = (unsigned char)(n >> 8);
	f[3] = (unsigned char)n;
	memcpy(f + 4, payload, n);
	*len = n + 4;
	return f;
}

START_TEST(frame_byte_by_byte)
{
	const char *a = "{\"id\":1,\"op\":\"status\"}", *b = "{\"id\":2}";
	unsigned char *fa, *fb, *all, *got;
	size_t la, lb, used, glen, i, frames = 0;
	tb_frame_reader *fr = tb_frame_reader_new(1024);
	tb_error err;
	int r;

	fa = frame_of(a, &la);
	fb = frame_of(b, &lb);
	all = malloc(la + lb);
	memcpy(all, fa, la);
	memcpy(all + la, fb, lb);
	for (i = 0; i < la + lb; i++) {
		r = tb_frame_reader_feed(fr, all + i, 1, &used, &err);
		ck_assert_int_ge(r, 0);
		ck_assert_uint_eq(used, 1);
		ck_assert(tb_frame_reader_started(fr));
		if (r == 1) {
			tb_frame_reader_take(fr, &got, &glen);
			if (frames == 0) {
				ck_assert_uint_eq(i, la - 1);
				ck_assert_uint_eq(glen, strlen(a));
				ck_assert_mem_eq(got, a, glen);
			} else {
				ck_assert_uint_eq(i, la + lb - 1);
				ck_assert_mem_eq(got, b, glen);
			}
			frames++;
			free(got);
			ck_assert(!tb_frame_reader_started(fr));
		}
	}
	ck_assert_uint_eq(frames, 2);
	free(fa);
	free(fb);
	free(all);
	tb_frame_reader_free(fr);
}
END_TEST

START_TEST(frame_two_in_one_buffer)
{
	unsigned char *fa, *fb, all[64], *got;
	size_t la, lb, used, glen;
	tb_frame_reader *fr = tb_frame_reader_new(1024);
	tb_error err;

	fa = frame_of("{\"a\":1}", &la);
	fb = frame_of("{\"b\":2}", &lb);
	memcpy(all, fa, la);
	memcpy(all + la, fb, lb);
	/* The reader stops at the end of the first frame. */
	ck_assert_int_eq(tb_frame_reader_feed(fr, all, la + lb, &used, &err), 1);
	ck_assert_uint_eq(used, la);
	tb_frame_reader_take(fr, &got, &glen);
	ck_assert_mem_eq(got, "{\"a\":1}", glen);
	free(got);
	ck_assert_int_eq(tb_frame_reader_feed(fr, all + la, lb, &used, &err), 1);
	ck_assert_uint_eq(used, lb);
	tb_frame_reader_take(fr, &got, &glen);
	ck_assert_mem_eq(got, "{\"b\":2}", glen);
	free(got);
	free(fa);
	free(fb);
	tb_frame_reader_free(fr);
}
END_TEST

START_TEST(frame_over_limit_before_allocation)
{
	/*
	 * 4 GiB - 1 announced. Under a 64 MiB address-space limit a reader
	 * that allocated first would fail with no_memory instead.
	 */
	unsigned char hdr[4] = { 0xff, 0xff, 0xff, 0xff };
	struct rlimit rl = { 64L * 1024 * 1024, 64L * 1024 * 1024 };
	const char *fork_mode = getenv("CK_FORK");
	tb_frame_reader *fr;
	tb_error err;
	size_t used;

	/*
	 * Only in the test's own forked process: valgrind needs the room, and
	 * AddressSanitizer's shadow memory cannot live under such a limit.
	 */
#if !defined(__SANITIZE_ADDRESS__)
	if (fork_mode == NULL || strcmp(fork_mode, "no") != 0)
		ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
#else
	(void)rl;
	(void)fork_mode;
#endif
	fr = tb_frame_reader_new(1000);
	ck_assert_ptr_nonnull(fr);
	ck_assert_int_eq(tb_frame_reader_feed(fr, hdr, 4, &used, &err), TB_ERR_TOO_LARGE);
	ck_assert_uint_eq(used, 4);
	ck_assert_ptr_nonnull(strstr(err.detail, "4294967295"));
	/* Unusable after the error. */
	ck_assert_int_lt(tb_frame_reader_feed(fr, hdr, 1, &used, &err), 0);
	tb_frame_reader_free(fr);
}
END_TEST

START_TEST(frame_limit_exact)
{
	unsigned char hdr[4] = { 0, 0, 0x03, 0xe8 }, hdr2[4] = { 0, 0, 0x03, 0xe9 };
	tb_frame_reader *fr = tb_frame_reader_new(1000);
	tb_error err;
	size_t used;

	ck_assert_int_eq(tb_frame_reader_feed(fr, hdr, 4, &used, &err), 0);
	tb_frame_reader_free(fr);
	fr = tb_frame_reader_new(1000);
	ck_assert_int_eq(tb_frame_reader_feed(fr, hdr2, 4, &used, &err), TB_ERR_TOO_LARGE);
	tb_frame_reader_free(fr);
}
END_TEST

START_TEST(frame_zero_length)
{
	unsigned char hdr[4] = { 0, 0, 0, 0 };
	tb_frame_reader *fr = tb_frame_reader_new(1000);
	tb_error err;
	size_t used;

	ck_assert_int_eq(tb_frame_reader_feed(fr, hdr, 3, &used, &err), 0);
	ck_assert_int_eq(tb_frame_reader_feed(fr, hdr + 3, 1, &used, &err), TB_ERR_INVALID_ARG);
	ck_assert_ptr_nonnull(strstr(err.detail, "length 0"));
	tb_frame_reader_free(fr);
}
END_TEST

START_TEST(frame_encode_round_trip)
{
	json_t *obj = json_pack("{s:i, s:b}", "id", 7, "ok", 1);
	unsigned char *buf, *got;
	size_t len, used, glen;
	tb_frame_reader *fr = tb_frame_reader_new(1000);
	tb_error err;

	ck_assert_int_eq(tb_frame_encode(obj, &buf, &len, &err), 0);
	ck_assert_uint_eq(len, 4 + strlen("{\"id\":7,\"ok\":true}"));
	ck_assert_int_eq(tb_frame_reader_feed(fr, buf, len, &used, &err), 1);
	tb_frame_reader_take(fr, &got, &glen);
	ck_assert_mem_eq(got, "{\"id\":7,\"ok\":true}", glen);
	free(got);
	free(buf);
	json_decref(obj);
	tb_frame_reader_free(fr);
}
END_TEST

static json_t *
decode(const char *text)
{
	json_t *obj = NULL;
	tb_error err;

	ck_assert_int_eq(tb_proto_decode((const unsigned char *)text, strlen(text), &obj,
	    &err), 0);
	return obj;
}

START_TEST(json_rejects)
{
	static const char *const bad[] = {
		"{\"id\":1,\"id\":2}",		/* duplicate key */
		"[1,2]",			/* not an object */
		"\"text\"",
		"{\"id\":1",			/* cut short */
		"{\"a\":\"\\u0000\"}",		/* NUL */
		"{\"a\":\"\xff\"}",		/* invalid UTF-8 */
	};
	json_t *obj = NULL;
	tb_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(tb_proto_decode((const unsigned char *)bad[i], strlen(bad[i]),
		    &obj, &err), TB_ERR_INVALID_ARG);
		ck_assert_ptr_null(obj);
	}
}
END_TEST

START_TEST(json_fields_named)
{
	json_t *req = decode("{\"id\":1,\"key\":5,\"detached\":\"no\",\"data\":\"@@@@\"}");
	const char *s = NULL;
	unsigned char *data = NULL;
	size_t len;
	int b = -1;
	tb_error err;

	ck_assert_int_eq(tb_proto_get_string(req, "key", 1, &s, &err), TB_ERR_INVALID_ARG);
	ck_assert_str_eq(err.detail, "key: must be a string");
	ck_assert_int_eq(tb_proto_get_string(req, "op", 1, &s, &err), TB_ERR_INVALID_ARG);
	ck_assert_str_eq(err.detail, "op: required field is missing");
	ck_assert_int_eq(tb_proto_get_string(req, "op", 0, &s, &err), 0);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(tb_proto_get_bool(req, "detached", 0, &b, &err), TB_ERR_INVALID_ARG);
	ck_assert_str_eq(err.detail, "detached: must be true or false");
	ck_assert_int_eq(b, -1);
	ck_assert_int_eq(tb_proto_get_b64(req, "data", 1, &data, &len, &err), TB_ERR_INVALID_ARG);
	ck_assert(strncmp(err.detail, "data: ", 6) == 0);
	ck_assert_ptr_null(data);
	json_decref(req);
}
END_TEST

START_TEST(json_error_answer_field)
{
	json_t *req = decode("{\"id\":\"abc\",\"key\":\"x\"}");
	json_t *id = tb_proto_id(req), *resp, *e;
	tb_error err;

	tb_error_set(&err, TB_ERR_INVALID_ARG, "op: required field is missing");
	resp = tb_proto_error_from(id, &err, req);
	ck_assert_str_eq(json_string_value(json_object_get(resp, "id")), "abc");
	ck_assert(json_is_false(json_object_get(resp, "ok")));
	e = json_object_get(resp, "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "bad_request");
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "op");
	ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
	    "required field is missing");
	json_decref(resp);
	/* Not bad_request and not a field of the request: no "field". */
	tb_error_set(&err, TB_ERR_TOKEN_GONE, "token tanba: device error");
	resp = tb_proto_error_from(id, &err, req);
	e = json_object_get(resp, "error");
	ck_assert_ptr_null(json_object_get(e, "field"));
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "token_unavailable");
	json_decref(resp);
	/* Another code about a field the request has: named. */
	tb_error_set(&err, TB_ERR_NO_KEY, "key: no key named 'x'");
	resp = tb_proto_error_from(id, &err, req);
	e = json_object_get(resp, "error");
	ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "key");
	json_decref(resp);
	json_decref(id);
	json_decref(req);
}
END_TEST

START_TEST(json_id_kinds)
{
	json_t *req, *id;

	req = decode("{\"id\":[1]}");
	id = tb_proto_id(req);
	ck_assert(json_is_null(id));
	json_decref(id);
	json_decref(req);
	req = decode("{\"id\":42}");
	id = tb_proto_id(req);
	ck_assert_int_eq(json_integer_value(id), 42);
	json_decref(id);
	json_decref(req);
}
END_TEST

START_TEST(b64_round_trip)
{
	unsigned char data[300], *out;
	size_t i, n, olen;
	char *text;
	tb_error err;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	/* Every remainder of 3, including the empty document. */
	for (n = 0; n <= 10; n++) {
		text = tb_b64_encode(data, n);
		ck_assert_ptr_nonnull(text);
		ck_assert_uint_eq(strlen(text), 4 * ((n + 2) / 3));
		ck_assert_int_eq(tb_b64_decode(text, strlen(text), &out, &olen, &err), 0);
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_eq(olen, n);
		ck_assert(n == 0 || memcmp(out, data, n) == 0);
		free(out);
		free(text);
	}
	ck_assert_int_eq(tb_b64_decode("aGVsbG8=", 8, &out, &olen, &err), 0);
	ck_assert_uint_eq(olen, 5);
	ck_assert_mem_eq(out, "hello", 5);
	free(out);
}
END_TEST

START_TEST(b64_invalid)
{
	static const char *const bad[] = {
		"abc",		/* not a multiple of 4 */
		"ab=c",		/* padding in the middle */
		"a===",		/* too much padding */
		"====",
		"aGVs bG8=",	/* whitespace */
		"aGVsbG8=\n",
		"aGV-bG8=",	/* URL alphabet */
		"aGVsbG9=",	/* non-zero bits under the padding */
		"aB==",
	};
	unsigned char *out = NULL;
	size_t i, olen;
	tb_error err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(tb_b64_decode(bad[i], strlen(bad[i]), &out, &olen, &err) ==
		    TB_ERR_INVALID_ARG, "accepted '%s'", bad[i]);
		ck_assert_ptr_null(out);
	}
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("frame");

	tcase_add_test(tc, frame_byte_by_byte);
	tcase_add_test(tc, frame_two_in_one_buffer);
	tcase_add_test(tc, frame_over_limit_before_allocation);
	tcase_add_test(tc, frame_limit_exact);
	tcase_add_test(tc, frame_zero_length);
	tcase_add_test(tc, frame_encode_round_trip);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_test(tc, json_rejects);
	tcase_add_test(tc, json_fields_named);
	tcase_add_test(tc, json_error_answer_field);
	tcase_add_test(tc, json_id_kinds);
	suite_add_tcase(s, tc);
	tc = tcase_create("base64");
	tcase_add_test(tc, b64_round_trip);
	tcase_add_test(tc, b64_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tbt_run(proto_suite(), CK_NORMAL);
}
