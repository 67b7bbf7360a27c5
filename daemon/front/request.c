/*
 * Turns a request frame into an answer frame. Every failure becomes an
 * error answer with a code from tb_err.h; the op handlers never see the
 * wire format. Access control happens here, before any op runs: an op
 * the client's [client] entry does not list is refused and audited.
 * Logs the op, the key and the outcome, never the content.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "request.h"
#include "tb_log.h"

int
tb_request_error_frame(json_t *id, int code, const char *message,
    unsigned char **out, size_t *out_len)
{
	json_t *resp = tb_proto_error(id, code, message, NULL);
	int r;

	if (resp == NULL)
		return TB_ERR_NOMEM;
	r = tb_frame_encode(resp, out, out_len, NULL);
	json_decref(resp);
	return r;
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Refuses an op the client may not call, with an audit record. */
static json_t *
deny_op(tb_daemon *d, const tb_client *client, json_t *req, json_t *id, const char *name)
{
	const char *key = json_string_value(json_object_get(req, "key"));
	const tb_client_conf *acl = client->acl;
	char detail[200];
	tb_error err;

	tb_error_clear(&err);
	if (acl == NULL && client->tls)
		snprintf(detail, sizeof(detail), "tls %.120s matches no [client]",
		    client->tls_subject);
	else if (acl == NULL)
		snprintf(detail, sizeof(detail), "uid %u matches no [client]", client->uid);
	else if (client->tls)
		snprintf(detail, sizeof(detail), "tls client %s may not call %.32s", acl->name,
		    name);
	else
		snprintf(detail, sizeof(detail), "client %s may not call %.32s", acl->name, name);
	tb_warn_f(TB_ERR_FORBIDDEN, "uid %u pid %d: %s", client->uid, client->pid, detail);
	(void)tb_daemon_audit(d, client->uid, name, key != NULL && strlen(key) <= 64 ? key : NULL,
	    NULL, NULL, TB_ERR_FORBIDDEN, detail, NULL);
	tb_error_set(&err, TB_ERR_FORBIDDEN, "op: %s", detail);
	return tb_proto_error_from(id, &err, req);
}

void
tb_request_deny_connection(tb_daemon *d, const tb_client *client, unsigned char **out,
    size_t *out_len)
{
	char detail[400];

	if (client->tls)
		snprintf(detail, sizeof(detail), "tls connection from %.250s: no [client] "
		    "tls_subject or tls_cert_sha256 matches", client->tls_subject);
	else
		snprintf(detail, sizeof(detail), "connection from uid %u gid %u pid %d: no "
		    "[client] entry matches", client->uid, client->gid, client->pid);
	tb_warn_f(TB_ERR_FORBIDDEN, "%s; refused", detail);
	(void)tb_daemon_audit(d, client->uid, "connect", NULL, NULL, NULL, TB_ERR_FORBIDDEN,
	    detail, NULL);
	if (tb_request_error_frame(NULL, TB_ERR_FORBIDDEN, "this client is not allowed to use "
	    "tanbad", out, out_len) != 0) {
		*out = NULL;
		*out_len = 0;
	}
}

/* Runs the op named in req; returns the answer object. */
static json_t *
dispatch(tb_daemon *d, const tb_client *client, json_t *req, json_t *id, const char **op_name)
{
	json_t *result = NULL, *resp = NULL, *jid;
	const tb_op *op;
	const char *name = NULL;
	tb_error err;
	int r;

	tb_error_clear(&err);
	jid = json_object_get(req, "id");
	if (jid == NULL || !(json_is_integer(jid) || json_is_string(jid))) {
		tb_error_set(&err, TB_ERR_INVALID_ARG, "id: %s", jid == NULL ?
		    "required field is missing" : "must be an integer or a string");
		return tb_proto_error_from(id, &err, req);
	}
	if (tb_proto_get_string(req, "op", 1, &name, &err) != 0)
		return tb_proto_error_from(id, &err, req);
	*op_name = name;
	if ((op = tb_op_lookup(name)) == NULL) {
		tb_error_set(&err, TB_ERR_INVALID_ARG, "op: unknown op '%.64s'", name);
		return tb_proto_error_from(id, &err, req);
	}
	if (client->acl == NULL || (client->acl->ops & tb_config_op_bit(name)) == 0)
		return deny_op(d, client, req, id, name);
	if ((result = json_object()) == NULL)
		return NULL;
	if ((r = op->fn(d, client, req, result, &err)) != 0) {
		if (err.code == 0)
			tb_error_set(&err, r, "%s", tb_err_str(r));
		resp = tb_proto_error_from(id, &err, req);
		goto out;
	}
	if ((resp = json_object()) == NULL)
		goto out;
	json_object_set(resp, "id", id);
	json_object_set_new(resp, "ok", json_true());
	/* "id" and "ok" first; an op cannot overwrite them. */
	json_object_del(result, "id");
	json_object_del(result, "ok");
	json_object_update(resp, result);
out:
	json_decref(result);
	return resp;
}

int
tb_request_code(const char *name)
{
	int code;

	for (code = TB_ERR_INTERNAL; name != NULL && code > TB_ERR_LAST; code--)
		if (strcmp(tb_err_name(code), name) == 0)
			return code;
	return TB_ERR_INTERNAL;
}

void
tb_request_handle(tb_daemon *d, const tb_client *client, const unsigned char *frame,
    size_t len, json_t *req, double waited_s, unsigned char **out, size_t *out_len)
{
	tb_metrics *m = tb_daemon_metrics(d);
	tb_config *cfg = tb_daemon_config(d);
	json_t *id = NULL, *resp = NULL, *ok;
	const char *op_name = "-";
	struct timespec t0;
	int code = TB_ERR_NOMEM;
	tb_client who = *client;
	tb_error err;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Matched against this request's configuration: a reload applies at once. */
	who.acl = client->tls ? tb_config_client_tls(cfg, client->tls_subject, client->tls_sha256) :
	    tb_config_client(cfg, client->uid, client->gid);
	client = &who;
	*out = NULL;
	*out_len = 0;
	tb_metrics_inc(m, TB_COUNT_REQUESTS);
	tb_error_clear(&err);
	if (req == NULL && tb_proto_decode(frame, len, &req, &err) != 0) {
		id = json_null();
		resp = tb_proto_error(id, err.code, err.detail, NULL);
	} else {
		id = tb_proto_id(req);
		resp = dispatch(d, client, req, id, &op_name);
	}
	if (resp == NULL)
		goto out;
	if (tb_frame_encode(resp, out, out_len, NULL) != 0)
		goto out;
	if (*out_len - 4 > cfg->max_frame_bytes) {
		free(*out);
		*out = NULL;
		snprintf(msg, sizeof(msg), "the answer would be %zu bytes, over max_frame_bytes "
		    "%zu; sign by digest instead", *out_len - 4, cfg->max_frame_bytes);
		json_decref(resp);
		resp = tb_proto_error(id, TB_ERR_TOO_LARGE, msg, NULL);
		if (resp == NULL || tb_frame_encode(resp, out, out_len, NULL) != 0)
			goto out;
	}
	ok = json_object_get(resp, "ok");
	code = json_is_true(ok) ? 0 : tb_request_code(json_string_value(json_object_get(
	    json_object_get(resp, "error"), "code")));
	if (!json_is_true(ok)) {
		tb_metrics_inc(m, TB_COUNT_ERRORS);
		tb_debug_f("uid %u op %.32s: %s: %s", client->uid, op_name,
		    json_string_value(json_object_get(json_object_get(resp, "error"), "code")),
		    json_string_value(json_object_get(json_object_get(resp, "error"), "message")));
	} else {
		tb_debug_f("uid %u op %.32s: ok in %.1f ms", client->uid, op_name,
		    elapsed_ms(&t0));
	}
out:
	tb_metrics_request(m, strcmp(op_name, "-") != 0 ? op_name : NULL, code,
	    waited_s + elapsed_ms(&t0) / 1e3);
	if (*out == NULL)
		*out_len = 0;
	json_decref(resp);
	json_decref(id);
	json_decref(req);
	tb_config_unref(cfg);
}
