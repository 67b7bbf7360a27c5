/*
 * A settable wall clock. TANBA_FAKE_TIME in the environment fixes it too,
 * so integration tests can run the daemon at a chosen instant.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tb_clock.h"
#include "tb_err.h"

static _Atomic time_t fixed_time;

time_t
tb_clock_now(void)
{
	time_t t = atomic_load(&fixed_time);

	return t != 0 ? t : time(NULL);
}

void
tb_clock_set(time_t t)
{
	atomic_store(&fixed_time, t);
}

int
tb_clock_parse(const char *text, time_t *out)
{
	struct tm tm;
	char tail;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(text) != 20 ||
	    sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail) != 7 ||
	    tail != 'Z')
		return TB_ERR_INVALID_ARG;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return TB_ERR_INVALID_ARG;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return TB_ERR_INVALID_ARG;
	*out = t;
	return 0;
}

void
tb_clock_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
