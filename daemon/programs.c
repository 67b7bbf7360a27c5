/* Where the signer program is (programs.h). */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "programs.h"

#ifndef TB_SIGNER_PATH
#define TB_SIGNER_PATH "/usr/libexec/tanba/tanbad-signer"
#endif

void
tb_signer_program(char *buf, size_t len)
{
	const char *env = getenv("TANBA_SIGNER_PROGRAM");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	/* Tests that run a front built elsewhere (tests/tanbad-hooks) name it. */
	if (env != NULL && *env == '/') {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(buf, len, "%s/tanbad-signer", self);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "%s", TB_SIGNER_PATH);
}
