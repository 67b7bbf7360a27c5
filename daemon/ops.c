/*
 * The op table of the socket protocol: each name once, each handler in a
 * file of its own. An op not listed here does not exist for clients.
 */
#include "config.h"

#include <string.h>

#include "ops.h"

static const tb_op ops[] = {
	{ "sign", tb_op_sign },
	{ "keys", tb_op_keys },
	{ "status", tb_op_status },
	{ "verify", tb_op_verify },
	{ "check-cert", tb_op_check_cert },
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
