/*
 * tanba sign --format xml|wsse: the document goes to the daemon whole and
 * comes back signed (an enveloped XMLDSig signature, or a SOAP envelope
 * with a wsse:Security header); written as it came, never re-encoded.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tanba.h"

int
tanba_sign_xml(const char *socket_path, const char *key, const char *format,
    const char *reference, const char *digest_alg, long ttl, const char *input,
    const char *outpath)
{
	unsigned char *data = NULL, *out = NULL;
	size_t datalen = 0, outlen = 0, toobig = 0;
	char *b64 = NULL;
	json_t *req = NULL, *resp = NULL;
	tb_error err;
	int rc = TANBA_EXIT_ERROR;

	tb_error_clear(&err);
	if (tanba_read_input(input != NULL ? input : "-", tanba_data_limit(), &data, &datalen,
	    &toobig, &err) != 0) {
		tanba_die_msg("%s", err.detail);
		goto out;
	}
	if ((b64 = tanba_b64_encode(data, datalen)) == NULL ||
	    (req = json_pack("{s:s, s:s, s:s, s:s}", "op", "sign", "key", key, "format", format,
	    "data", b64)) == NULL) {
		tanba_die_msg("out of memory building the request");
		goto out;
	}
	if (reference != NULL)
		json_object_set_new(req, "reference", json_string(reference));
	if (digest_alg != NULL)
		json_object_set_new(req, "digest_alg", json_string(digest_alg));
	if (ttl > 0)
		json_object_set_new(req, "ttl", json_integer(ttl));
	if (tanba_client_call(socket_path, req, &resp, &err) != 0) {
		tanba_die_msg("%s", err.detail[0] ? err.detail : tb_err_str(err.code));
		goto out;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		rc = tanba_report_error_answer(socket_path, resp, key, datalen);
		goto out;
	}
	if (!json_is_string(json_object_get(resp, "xml")) ||
	    tanba_b64_decode(json_string_value(json_object_get(resp, "xml")), &out, &outlen) != 0) {
		tanba_die_msg("daemon answered without a valid \"xml\" field");
		goto out;
	}
	if (tanba_write_output(outpath, out, outlen, 0, &err) != 0) {
		tanba_die_msg("%s", err.detail);
		goto out;
	}
	rc = TANBA_EXIT_OK;
out:
	free(data);
	free(out);
	free(b64);
	json_decref(req);
	json_decref(resp);
	return rc;
}
