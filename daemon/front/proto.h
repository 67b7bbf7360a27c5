/*
 * The wire format of the socket protocol: length-prefixed frames, JSON
 * objects, base64 and typed request fields. Every byte a client sends is
 * read through these functions; nothing else does arithmetic on it.
 */
#ifndef TB_PROTO_H
#define TB_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tb_err.h"

#define TB_FRAME_HEADER 4

/* ---- frames: 4-byte big-endian length N, then N bytes ---- */

typedef struct tb_frame_reader tb_frame_reader;

/* A reader for frames of 1..max bytes. */
tb_frame_reader *tb_frame_reader_new(size_t max);
void tb_frame_reader_free(tb_frame_reader *fr);
/* Changes the limit for frames not yet started. */
void tb_frame_reader_set_max(tb_frame_reader *fr, size_t max);

/*
 * Consumes bytes from buf (at most len; *used says how many) until one
 * frame is complete. Returns 1 when a frame is ready (take it with
 * tb_frame_reader_take before feeding more), 0 when more bytes are needed,
 * or an error after which the reader is unusable: TB_ERR_TOO_LARGE for a
 * length over the limit, TB_ERR_INVALID_ARG for a zero length. The length
 * is checked before anything is allocated for the frame.
 */
int tb_frame_reader_feed(tb_frame_reader *fr, const unsigned char *buf, size_t len,
    size_t *used, tb_error *err);
/* Hands over the complete frame (caller frees); the reader starts afresh. */
void tb_frame_reader_take(tb_frame_reader *fr, unsigned char **frame, size_t *len);
/*
 * Called once a frame's length is read and allowed, before its buffer is
 * allocated: 0 admits the frame; an error code (and err) refuses it, and
 * tb_frame_reader_feed returns that code (the reader is then unusable).
 */
typedef int (*tb_frame_admit_fn)(void *ctx, size_t len, tb_error *err);
void tb_frame_reader_set_admit(tb_frame_reader *fr, tb_frame_admit_fn admit, void *ctx);
/* 1 while part of a frame (even one byte of its length) has been read. */
int tb_frame_reader_started(const tb_frame_reader *fr);

/* Serialises obj (compact, keys in insertion order) as one frame; caller frees. */
int tb_frame_encode(const json_t *obj, unsigned char **out, size_t *out_len, tb_error *err);

/* ---- JSON ---- */

/*
 * Parses a frame's payload: must be a JSON object, without duplicate keys
 * or NUL characters. Errors are TB_ERR_INVALID_ARG (bad_request).
 */
int tb_proto_decode(const unsigned char *buf, size_t len, json_t **out, tb_error *err);

/*
 * Typed fields of a request. A missing optional field leaves *out alone
 * and returns 0; a missing required field or one of the wrong type is
 * TB_ERR_INVALID_ARG with detail "FIELD: what is wrong".
 */
int tb_proto_get_string(const json_t *req, const char *field, int required,
    const char **out, tb_error *err);
int tb_proto_get_bool(const json_t *req, const char *field, int required, int *out,
    tb_error *err);
/* Decodes a base64 string field into a new buffer (never NULL on success). */
int tb_proto_get_b64(const json_t *req, const char *field, int required,
    unsigned char **out, size_t *out_len, tb_error *err);

/* The request's id when it is an integer or a string, else JSON null (new reference). */
json_t *tb_proto_id(const json_t *req);

/*
 * An error response {"id":..,"ok":false,"error":{"code","message"[,"field"]}}.
 * id may be NULL (JSON null). message NULL means the code's text.
 */
json_t *tb_proto_error(json_t *id, int code, const char *message, const char *field);
/*
 * The same from a tb_error: when err->detail is "FIELD: message" and FIELD
 * is a field of req or the code is bad_request, FIELD goes into "field".
 */
json_t *tb_proto_error_from(json_t *id, const tb_error *err, const json_t *req);

/* ---- base64 (standard alphabet, padded) ---- */

/* Encodes into a new NUL-terminated string (caller frees). */
char *tb_b64_encode(const unsigned char *data, size_t len);
/* Decodes canonical padded base64 into a new buffer; anything else is TB_ERR_INVALID_ARG. */
int tb_b64_decode(const char *text, size_t text_len, unsigned char **out, size_t *out_len,
    tb_error *err);

#endif
