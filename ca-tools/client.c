/*
 * The socket call of the tanba client: one connection, one request frame,
 * then frames are read until the answer carrying our id arrives or the
 * deadline passes. It never trusts a length from the daemon beyond its own
 * limit and never blocks without a deadline.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tanba.h"
#include "tbclient.h"

/* Answers carry base64 CMS of attached data: allow well over the request limit. */
#define CLIENT_MAX_RESPONSE (512u * 1024u * 1024u)
#define CLIENT_DEFAULT_TIMEOUT_S 60

static json_int_t client_next_id = 1;

/* Seconds from TANBA_TIMEOUT, or the default when unset or not a positive number. */
static int
client_timeout_s(void)
{
	const char *s = getenv("TANBA_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return CLIENT_DEFAULT_TIMEOUT_S;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > 86400)
		return CLIENT_DEFAULT_TIMEOUT_S;
	return (int)v;
}

int
tanba_client_call(const char *socket_path, json_t *request, json_t **response,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	int fd = -1;
	char *text = NULL;
	json_int_t id = client_next_id++;
	json_t *ans = NULL, *aid;
	int64_t deadline = tbc_now_ms() + (int64_t)client_timeout_s() * 1000;

	if (json_object_set_new(request, "id", json_integer(id)) != 0 ||
	    (text = json_dumps(request, JSON_COMPACT)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "building the request");
		goto out;
	}
	if ((fd = tbc_connect(socket_path, err)) < 0) {
		r = err != NULL ? err->code : TB_ERR_IO;
		goto out;
	}
	if ((r = tbc_send_frame(fd, text, strlen(text), deadline, err)) != 0) {
		/*
		 * A daemon that refuses us (forbidden, too large) answers and
		 * closes, possibly before our request is out: its answer may
		 * still be waiting, and says more than the broken pipe.
		 */
		tb_error e;

		tb_error_clear(&e);
		if (tbc_recv_json(fd, CLIENT_MAX_RESPONSE, deadline, &ans, &e) != 0)
			goto out;
		*response = ans;
		ans = NULL;
		r = 0;
		goto out;
	}
	for (;;) {
		if ((r = tbc_recv_json(fd, CLIENT_MAX_RESPONSE, deadline, &ans, err)) != 0) {
			if (r == TB_ERR_TIMEOUT)
				tb_error_set(err, r, "no answer from the daemon within %d s",
				    client_timeout_s());
			goto out;
		}
		aid = json_object_get(ans, "id");
		if (json_is_integer(aid) && json_integer_value(aid) == id)
			break;
		/*
		 * id null: the daemon could not read our frame at all (too
		 * large, bad JSON); it can only be about our one request.
		 */
		if (json_is_null(aid) || aid == NULL)
			break;
		json_decref(ans);	/* someone else's answer: cannot happen on our connection */
		ans = NULL;
	}
	*response = ans;
	ans = NULL;
	r = 0;
out:
	json_decref(ans);
	if (fd >= 0)
		close(fd);
	free(text);
	return r;
}
