/*
 * tanbad-signer: the signer process of tanbad as a program of its own
 * (signer_proc.h), started only by tanbad (the parent, for its front) on
 * a socketpair: tanbad-signer --signer FD -c FILE [-d] [-f]. It links the
 * PKCS#11 layer, the audit trail and the building of signed attributes;
 * not libcurl, not the parsers of client frames, CMS or certificates from
 * clients (tests/system/split-programs.sh checks the linked libraries and symbols).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_time.h"
#include "signer_proc.h"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "signer", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL;
	int foreground = 0, debug = 0, fd = -1, ch;
	char *end;

	while ((ch = getopt_long(argc, argv, "c:fd", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 'd': debug = 1; break;
		case 'S':
			fd = (int)strtol(optarg, &end, 10);
			if (*end != '\0')
				fd = -1;
			break;
		default: fd = -1; optind = argc + 1; break;
		}
	}
	if (fd < 0 || path == NULL || optind != argc) {
		fprintf(stderr, "usage: tanbad-signer --signer FD -c FILE [-d] [-f]\n"
		    "(started by tanbad only)\n");
		return 2;
	}
	if (tb_fake_time_apply(TB_SIGNER_PROC_NAME) != 0)
		return 1;
	return tb_signer_proc_main(fd, path, debug, foreground);
}
