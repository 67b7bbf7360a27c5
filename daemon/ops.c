/*
 * The op table of the socket protocol: each name once, each handler in a
 * file of its own. An op not listed here does not exist for clients.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ops.h"

static const tb_op ops[] = {
	{ "sign", tb_op_sign, TB_LANE_SIGN },
	{ "keys", tb_op_keys, TB_LANE_CONTROL },
	{ "status", tb_op_status, TB_LANE_CONTROL },
	{ "verify", tb_op_verify, TB_LANE_VERIFY },
	{ "check-cert", tb_op_check_cert, TB_LANE_VERIFY },
	/* A TSA round trip, network-bound as revocation: beside verify, not sign. */
	{ "timestamp", tb_op_timestamp, TB_LANE_VERIFY },
};

const tb_op *
tb_op_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

enum tb_lane
tb_op_lane(const json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "op"));
	const tb_op *op = name != NULL ? tb_op_lookup(name) : NULL;

	/* Anything that names no op is answered bad_request at once: control. */
	return op != NULL ? op->lane : TB_LANE_CONTROL;
}

void
tb_ops_digest_text(const void *buf, size_t len, char *out, size_t out_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t pos;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		snprintf(out, out_len, "sha256:?");
		return;
	}
	pos = (size_t)snprintf(out, out_len, "sha256:");
	for (i = 0; i < mdlen && pos + 3 <= out_len; i++, pos += 2)
		snprintf(out + pos, 3, "%02x", md[i]);
}
