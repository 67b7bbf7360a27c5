/* TANBA_FAKE_TIME (fake_time.h): one clock for the front and the signer in tests. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fake_time.h"
#include "tb_clock.h"
#include "tb_log.h"

int
tb_fake_time_apply(const char *prog)
{
	const char *v = getenv("TANBA_FAKE_TIME");
	char *end;
	long long t;

	if (v == NULL || *v == '\0')
		return 0;
	t = strtoll(v, &end, 10);
	if (*end != '\0' || t <= 0) {
		fprintf(stderr, "%s: TANBA_FAKE_TIME '%s' is not epoch seconds\n", prog, v);
		return -1;
	}
	tb_clock_set((time_t)t);
	tb_warn_f(0, "TANBA_FAKE_TIME is set: the clock is fixed at %lld (for tests only)", t);
	return 0;
}
