/*
 * One request from its frame to its answer's frame: decode, find the op,
 * run it, encode. Runs on a worker thread; holds no connection state.
 */
#ifndef TB_REQUEST_H
#define TB_REQUEST_H

#include <stddef.h>

#include <jansson.h>

#include "daemon.h"
#include "ops.h"

/*
 * Answers the request in frame (the payload, without the length). *out is
 * the answer's whole frame (caller frees), or NULL when not even an error
 * could be encoded (out of memory), in which case the connection should go.
 * req, when not NULL, is frame already decoded; the call takes it over.
 * waited_s (the time it queued) is added to the latency the metrics count.
 */
void tb_request_handle(tb_daemon *d, const tb_client *client, const unsigned char *frame,
    size_t len, json_t *req, double waited_s, unsigned char **out, size_t *out_len);

/* The tb_err code of a protocol error name ("busy"); TB_ERR_INTERNAL when unknown. */
int tb_request_code(const char *name);

/*
 * Refuses a connection whose peer matches no [client]: writes the audit
 * record and makes the forbidden answer (id null) that is sent before the
 * connection is closed. *out is NULL when no answer could be made.
 */
void tb_request_deny_connection(tb_daemon *d, const tb_client *client, unsigned char **out,
    size_t *out_len);

/*
 * An error answer made outside any op (busy, too_large, timeout). id may be
 * NULL for JSON null. Returns 0 or TB_ERR_NOMEM.
 */
int tb_request_error_frame(json_t *id, int code, const char *message,
    unsigned char **out, size_t *out_len);

#endif
