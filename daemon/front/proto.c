/*
 * Frames, JSON and base64 of the socket protocol. This is the one place
 * where client bytes are measured and cut: lengths are checked against the
 * limit before any allocation, and no other file indexes client data.
 * Never logs request content.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto.h"

struct tb_frame_reader {
	size_t max;
	unsigned char hdr[TB_FRAME_HEADER];
	size_t hdr_got;
	unsigned char *buf;	/* allocated once the length is known and allowed */
	size_t need, got;
	int ready;
	int failed;
	tb_frame_admit_fn admit;	/* asked before a frame's buffer is allocated, or NULL */
	void *admit_ctx;
};

tb_frame_reader *
tb_frame_reader_new(size_t max)
{
	tb_frame_reader *fr = calloc(1, sizeof(*fr));

	if (fr != NULL)
		fr->max = max;
	return fr;
}

void
tb_frame_reader_free(tb_frame_reader *fr)
{
	if (fr == NULL)
		return;
	free(fr->buf);
	free(fr);
}

void
tb_frame_reader_set_max(tb_frame_reader *fr, size_t max)
{
	fr->max = max;
}

void
tb_frame_reader_set_admit(tb_frame_reader *fr, tb_frame_admit_fn admit, void *ctx)
{
	fr->admit = admit;
	fr->admit_ctx = ctx;
}

int
tb_frame_reader_started(const tb_frame_reader *fr)
{
	return fr->hdr_got > 0;
}

int
tb_frame_reader_feed(tb_frame_reader *fr, const unsigned char *buf, size_t len,
    size_t *used, tb_error *err)
{
	size_t n, off = 0;
	uint32_t flen;
	int r;

	*used = 0;
	if (fr->failed)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "frame reader failed earlier");
	if (fr->ready)
		return 1;
	while (fr->hdr_got < TB_FRAME_HEADER && off < len)
		fr->hdr[fr->hdr_got++] = buf[off++];
	if (fr->hdr_got < TB_FRAME_HEADER) {
		*used = off;
		return 0;
	}
	if (fr->buf == NULL) {
		flen = (uint32_t)fr->hdr[0] << 24 | (uint32_t)fr->hdr[1] << 16 |
		    (uint32_t)fr->hdr[2] << 8 | (uint32_t)fr->hdr[3];
		if (flen == 0) {
			fr->failed = 1;
			*used = off;
			return tb_error_set(err, TB_ERR_INVALID_ARG, "frame of length 0");
		}
		if (flen > fr->max) {
			fr->failed = 1;
			*used = off;
			return tb_error_set(err, TB_ERR_TOO_LARGE,
			    "frame of %lu bytes is over the limit of %zu bytes",
			    (unsigned long)flen, fr->max);
		}
		if (fr->admit != NULL && (r = fr->admit(fr->admit_ctx, flen, err)) != 0) {
			fr->failed = 1;
			*used = off;
			return r;
		}
		if ((fr->buf = malloc(flen)) == NULL) {
			fr->failed = 1;
			*used = off;
			return tb_error_set(err, TB_ERR_NOMEM, "frame of %lu bytes",
			    (unsigned long)flen);
		}
		fr->need = flen;
		fr->got = 0;
	}
	n = len - off;
	if (n > fr->need - fr->got)
		n = fr->need - fr->got;
	memcpy(fr->buf + fr->got, buf + off, n);
	fr->got += n;
	off += n;
	*used = off;
	if (fr->got < fr->need)
		return 0;
	fr->ready = 1;
	return 1;
}

void
tb_frame_reader_take(tb_frame_reader *fr, unsigned char **frame, size_t *len)
{
	*frame = fr->ready ? fr->buf : NULL;
	*len = fr->ready ? fr->need : 0;
	if (!fr->ready)
		return;
	fr->buf = NULL;
	fr->need = fr->got = fr->hdr_got = 0;
	fr->ready = 0;
}

int
tb_frame_encode(const json_t *obj, unsigned char **out, size_t *out_len, tb_error *err)
{
	size_t len;
	char *text;
	unsigned char *buf;

	if ((text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "response encoding");
	len = strlen(text);
	if (len > UINT32_MAX || (buf = malloc(TB_FRAME_HEADER + len)) == NULL) {
		free(text);
		return tb_error_set(err, TB_ERR_NOMEM, "response of %zu bytes", len);
	}
	buf[0] = (unsigned char)(len >> 24);
	buf[1] = (unsigned char)(len >> 16);
	buf[2] = (unsigned char)(len >> 8);
	buf[3] = (unsigned char)len;
	memcpy(buf + TB_FRAME_HEADER, text, len);
	free(text);
	*out = buf;
	*out_len = TB_FRAME_HEADER + len;
	return 0;
}

/*
 * Long base64 values (a CMS, a certificate) are most of a request, and
 * jansson's lexer copies a string byte by byte with UTF-8 checks. They are
 * cut out before parsing and put back as single copies: a string literal
 * whose bytes are all of the base64 alphabet has no escape, no control
 * character and no non-ASCII byte, so jansson would accept it unchanged.
 */
#define B64_CUT_MIN 256
#define B64_CUT_MAX 64

typedef struct cut {
	size_t off, len;	/* the literal's content in the frame */
} cut;

static int
is_b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '/' || c == '=';
}

/* The long base64 string values of buf (never keys); their number. */
static int
find_cuts(const unsigned char *buf, size_t len, cut *cuts, int max)
{
	size_t i = 0, start, j;
	int n = 0, plain;

	while (i < len) {
		if (buf[i] != '"') {
			i++;
			continue;
		}
		start = ++i;
		plain = 1;
		while (i < len && buf[i] != '"') {
			if (buf[i] == '\\') {
				plain = 0;
				i++;
			} else if (!is_b64_char(buf[i]))
				plain = 0;
			i++;
		}
		if (i >= len)
			break;		/* unterminated: jansson reports it */
		j = i + 1;
		while (j < len && (buf[j] == ' ' || buf[j] == '\t' || buf[j] == '\n' || buf[j] == '\r'))
			j++;
		if (plain && i - start >= B64_CUT_MIN && (j >= len || buf[j] != ':') && n < max) {
			cuts[n].off = start;
			cuts[n].len = i - start;
			n++;
		}
		i++;
	}
	return n;
}

/* Puts the cut values back where their markers are; the markers found. */
static int
restore_cuts(json_t *v, const unsigned char *frame, const cut *cuts, int n)
{
	const char *key, *s;
	json_t *el;
	size_t i;
	int found = 0;
	unsigned long k;
	char *end;

	if (json_is_object(v)) {
		json_object_foreach(v, key, el)
			found += restore_cuts(el, frame, cuts, n);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, el)
			found += restore_cuts(el, frame, cuts, n);
	} else if (json_is_string(v) && (s = json_string_value(v))[0] == '\x01' &&
	    s[1] >= '0' && s[1] <= '9') {
		k = strtoul(s + 1, &end, 10);
		if (*end == '\0' && k < (unsigned long)n &&
		    json_string_setn_nocheck(v, (const char *)frame + cuts[k].off, cuts[k].len) == 0)
			found++;
	}
	return found;
}

/* json_loadb of buf with the long base64 values cut out; NULL when it does not apply. */
static json_t *
load_cut(const unsigned char *buf, size_t len)
{
	cut cuts[B64_CUT_MAX];
	int n = find_cuts(buf, len, cuts, B64_CUT_MAX), i;
	unsigned char *small, *w;
	size_t from = 0;
	json_error_t jerr;
	json_t *obj;

	if (n == 0 || (small = malloc(len)) == NULL)
		return NULL;
	w = small;
	for (i = 0; i < n; i++) {
		memcpy(w, buf + from, cuts[i].off - from);
		w += cuts[i].off - from;
		/* A marker no shorter literal can be mistaken for: U+0001 and the index. */
		w += snprintf((char *)w, 16, "\\u0001%d", i);
		from = cuts[i].off + cuts[i].len;
	}
	memcpy(w, buf + from, len - from);
	w += len - from;
	obj = json_loadb((const char *)small, (size_t)(w - small), JSON_REJECT_DUPLICATES, &jerr);
	free(small);
	if (obj != NULL && (!json_is_object(obj) || restore_cuts(obj, buf, cuts, n) != n)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

int
tb_proto_decode(const unsigned char *buf, size_t len, json_t **out, tb_error *err)
{
	json_error_t jerr;
	json_t *obj;

	/* Any doubt (an error to report, a marker not found): the plain parse decides. */
	if ((obj = load_cut(buf, len)) != NULL) {
		*out = obj;
		return 0;
	}
	obj = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "invalid JSON at byte %d: %s",
		    jerr.position, jerr.text);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return tb_error_set(err, TB_ERR_INVALID_ARG, "request is not a JSON object");
	}
	*out = obj;
	return 0;
}

/* The field, or NULL after setting the error a missing required one gives. */
static json_t *
field_get(const json_t *req, const char *field, int required, int *r, tb_error *err)
{
	json_t *v = json_object_get(req, field);

	*r = 0;
	if (v == NULL && required)
		*r = tb_error_set(err, TB_ERR_INVALID_ARG, "%s: required field is missing",
		    field);
	return v;
}

int
tb_proto_get_string(const json_t *req, const char *field, int required,
    const char **out, tb_error *err)
{
	json_t *v;
	int r;

	if ((v = field_get(req, field, required, &r, err)) == NULL)
		return r;
	if (!json_is_string(v))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: must be a string", field);
	*out = json_string_value(v);
	return 0;
}

int
tb_proto_get_bool(const json_t *req, const char *field, int required, int *out,
    tb_error *err)
{
	json_t *v;
	int r;

	if ((v = field_get(req, field, required, &r, err)) == NULL)
		return r;
	if (!json_is_boolean(v))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: must be true or false",
		    field);
	*out = json_is_true(v);
	return 0;
}

int
tb_proto_get_b64(const json_t *req, const char *field, int required,
    unsigned char **out, size_t *out_len, tb_error *err)
{
	json_t *v;
	tb_error e;
	int r;

	if ((v = field_get(req, field, required, &r, err)) == NULL)
		return r;
	if (!json_is_string(v))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: must be a base64 string",
		    field);
	if ((r = tb_b64_decode(json_string_value(v), json_string_length(v), out, out_len,
	    &e)) != 0)
		return tb_error_set(err, r, "%s: %s", field, e.detail);
	return 0;
}

json_t *
tb_proto_id(const json_t *req)
{
	json_t *id = req != NULL ? json_object_get(req, "id") : NULL;

	if (id != NULL && (json_is_integer(id) || json_is_string(id)))
		return json_incref(id);
	return json_null();
}

/*
 * A message as a JSON string. Details can quote a client's bytes (a JSON
 * parser's complaint does) that are not UTF-8, which JSON cannot carry:
 * those bytes become '?', so the client still gets its answer.
 */
static json_t *
message_string(const char *message)
{
	json_t *j;
	char *copy;
	size_t i;

	if ((j = json_string(message)) != NULL || (copy = strdup(message)) == NULL)
		return j;
	for (i = 0; copy[i] != '\0'; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *
tb_proto_error(json_t *id, int code, const char *message, const char *field)
{
	json_t *resp, *e;

	if (code >= 0)
		code = TB_ERR_INTERNAL;
	e = json_pack("{s:s, s:o}", "code", tb_err_name(code), "message",
	    message_string(message != NULL && *message != '\0' ? message : tb_err_str(code)));
	if (e != NULL && field != NULL)
		json_object_set_new(e, "field", json_string(field));
	resp = json_object();
	if (resp == NULL || e == NULL) {
		json_decref(resp);
		json_decref(e);
		return NULL;
	}
	json_object_set(resp, "id", id != NULL ? id : json_null());
	json_object_set_new(resp, "ok", json_false());
	json_object_set_new(resp, "error", e);
	return resp;
}

/* Length of a leading "name: " where name looks like a JSON field, or 0. */
static size_t
field_prefix(const char *detail)
{
	size_t i;

	for (i = 0; detail[i] != '\0' && i < 64; i++) {
		unsigned char ch = (unsigned char)detail[i];

		if (ch == ':')
			return i > 0 && detail[i + 1] == ' ' ? i : 0;
		if (!(islower(ch) || isdigit(ch) || ch == '_' || ch == '-' || ch == '.'))
			return 0;
	}
	return 0;
}

json_t *
tb_proto_error_from(json_t *id, const tb_error *err, const json_t *req)
{
	char field[65];
	size_t n;

	n = field_prefix(err->detail);
	if (n > 0) {
		memcpy(field, err->detail, n);
		field[n] = '\0';
		if (err->code == TB_ERR_INVALID_ARG ||
		    (req != NULL && json_object_get(req, field) != NULL))
			return tb_proto_error(id, err->code, err->detail + n + 2, field);
	}
	return tb_proto_error(id, err->code, err->detail, NULL);
}

char *
tb_b64_encode(const unsigned char *data, size_t len)
{
	size_t olen;
	char *out;

	if (len > (SIZE_MAX / 4) * 3 - 3 || len > INT_MAX)
		return NULL;
	olen = 4 * ((len + 2) / 3);
	if ((out = malloc(olen + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	out[olen] = '\0';
	return out;
}

static int
b64_char_ok(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/* The 6-bit value of a base64 character already known to be valid. */
static unsigned
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return (unsigned)(ch - 'A');
	if (ch >= 'a' && ch <= 'z')
		return (unsigned)(ch - 'a') + 26;
	if (ch >= '0' && ch <= '9')
		return (unsigned)(ch - '0') + 52;
	return ch == '+' ? 62 : 63;
}

int
tb_b64_decode(const char *text, size_t text_len, unsigned char **out, size_t *out_len,
    tb_error *err)
{
	unsigned char *buf;
	size_t i, pad = 0, olen;
	int n;

	if (text_len % 4 != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "base64 length %zu is not a multiple of 4", text_len);
	if (text_len > INT_MAX)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "base64 text too long");
	if (text_len > 0 && text[text_len - 1] == '=')
		pad = text_len > 1 && text[text_len - 2] == '=' ? 2 : 1;
	for (i = 0; i < text_len - pad; i++)
		if (!b64_char_ok(text[i]))
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "invalid base64 character at offset %zu", i);
	/* RFC 4648 3.5: the bits that padding leaves over must be zero. */
	if ((pad == 1 && (b64_value(text[text_len - 2]) & 0x03) != 0) ||
	    (pad == 2 && (b64_value(text[text_len - 3]) & 0x0f) != 0))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "non-canonical base64 padding");
	olen = text_len / 4 * 3;
	/* One spare byte so that an empty document is a valid, non-NULL buffer. */
	if ((buf = malloc(olen + 1)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "base64 of %zu bytes", text_len);
	if (text_len > 0) {
		n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)text_len);
		if (n < 0 || (size_t)n != olen) {
			free(buf);
			return tb_error_set(err, TB_ERR_INVALID_ARG, "invalid base64");
		}
	}
	*out = buf;
	*out_len = olen - pad;
	return 0;
}
