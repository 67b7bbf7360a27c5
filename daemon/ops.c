/*
 * The op table of the socket protocol: each name once, each handler in a
 * file of its own. An op not listed here does not exist for clients.
 */
#include "config.h"

#include <string.h>

#include "ops.h"

static const tb_op ops[] = {
	{ "sign", tb_op_sign, TB_LANE_SIGN },
	{ "keys", tb_op_keys, TB_LANE_CONTROL },
	{ "status", tb_op_status, TB_LANE_CONTROL },
	{ "verify", tb_op_verify, TB_LANE_VERIFY },
	{ "check-cert", tb_op_check_cert, TB_LANE_VERIFY },
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
