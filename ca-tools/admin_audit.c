/*
 * tanba-admin audit-verify FILE: checks the audit trail's hash chain and
 * names the first broken record.
 */
#include "config.h"

#include <stdio.h>

#include "admin.h"
#include "audit.h"

int
admin_cmd_audit_verify(int argc, char **argv)
{
	unsigned long records = 0, bad = 0;
	tb_error err;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: tanba-admin audit-verify FILE\n");
		return ADMIN_EXIT_ERROR;
	}
	tb_error_clear(&err);
	r = tb_audit_verify_file(argv[1], &records, &bad, &err);
	if (r == 0) {
		printf("audit chain OK: %lu records\n", records);
		return ADMIN_EXIT_OK;
	}
	if (bad == 0) {
		fprintf(stderr, "tanba-admin: %s: %s\n", argv[1], err.detail);
		return ADMIN_EXIT_ERROR;
	}
	printf("audit chain BROKEN at record %lu (line %lu): %s\n", bad - 1, bad, err.detail);
	printf("%lu records before it are intact\n", records);
	return ADMIN_EXIT_FAIL;
}
