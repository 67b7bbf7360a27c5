/*
 * tanba-admin audit-verify [--key FILE] [--anchor FILE] FILE...: checks
 * the audit trail's hash chain (across rotated files given oldest first),
 * with the signer's checkpoint key every checkpoint's MAC, and with an
 * anchor file that no published checkpoint is missing; names the first
 * broken record and where the last trustworthy checkpoint is.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "audit.h"

static void
usage(void)
{
	fprintf(stderr, "usage: tanba-admin audit-verify [--key KEYFILE] [--anchor ANCHORFILE] "
	    "FILE...\n");
}

int
admin_cmd_audit_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "anchor", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned char key[TB_AUDIT_KEY_BYTES];
	const char *keyfile = NULL, *anchor = NULL;
	tb_audit_report rep;
	tb_error err;
	int c, r, rc = ADMIN_EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyfile = optarg;
			break;
		case 'a':
			anchor = optarg;
			break;
		default:
			usage();
			return ADMIN_EXIT_ERROR;
		}
	}
	if (optind >= argc) {
		usage();
		return ADMIN_EXIT_ERROR;
	}
	tb_error_clear(&err);
	if (keyfile != NULL && tb_audit_key_load(keyfile, 0, -1, -1, key, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	r = tb_audit_verify((const char *const *)argv + optind, (size_t)(argc - optind),
	    keyfile ? key : NULL, anchor, &rep, &err);
	if (r != 0 && rep.bad_line == 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if (r != 0) {
		printf("audit chain BROKEN in %s at record %lu (line %lu): %s\n",
		    argv[optind + rep.bad_file], rep.bad_line - 1, rep.bad_line, err.detail);
		printf("%lu records before it are intact\n", rep.records);
		rc = ADMIN_EXIT_FAIL;
	} else {
		printf("audit chain OK: %lu records in %d file%s, %lu checkpoints%s\n", rep.records,
		    argc - optind, argc - optind > 1 ? "s" : "", rep.checkpoints,
		    keyfile ? " (MACs verified)" : " (MACs not checked: no --key)");
		rc = ADMIN_EXIT_OK;
	}
	if (rep.continues)
		printf("the first file continues an earlier one (not given)\n");
	if (rep.cp_file >= 0)
		printf("last trustworthy checkpoint: %s record %lu (line %lu) at %s; %lu records "
		    "after it are under the hash chain only\n", argv[optind + rep.cp_file],
		    rep.cp_seq, rep.cp_line, rep.cp_time, rep.tail);
	if (anchor != NULL && rep.anchor_file >= 0)
		printf("anchor: %lu published checkpoints found, the newest %s record %lu "
		    "(published %s)\n", rep.anchored, argv[optind + rep.anchor_file],
		    rep.anchor_seq, rep.anchor_time);
	else if (anchor != NULL)
		printf("anchor: no published checkpoint of these files\n");
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
