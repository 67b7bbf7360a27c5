/* Where tanbad's other programs are (programs.h). */
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
#ifndef TB_FRONT_PATH
#define TB_FRONT_PATH "/usr/libexec/tanba/tanbad-front"
#endif

/* $env when absolute, else name beside this program's file, else installed. */
static void
program_find(const char *env_name, const char *name, const char *installed, char *buf,
    size_t len)
{
	const char *env = getenv(env_name);
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	/* Tests that run a program built elsewhere (tests/system/tanbad-hooks) name it. */
	if (env != NULL && *env == '/') {
		snprintf(buf, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(buf, len, "%s/%s", self, name);
			if (access(buf, X_OK) == 0)
				return;
		}
	}
	snprintf(buf, len, "%s", installed);
}

void
tb_signer_program(char *buf, size_t len)
{
	program_find("TANBA_SIGNER_PROGRAM", "tanbad-signer", TB_SIGNER_PATH, buf, len);
}

void
tb_front_program(char *buf, size_t len)
{
	program_find("TANBA_FRONT_PROGRAM", "tanbad-front", TB_FRONT_PATH, buf, len);
}
