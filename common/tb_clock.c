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

/* n decimal digits at *p, moved past; -1 when any is not a digit. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

static int
days_in_month(int year, int mon)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[mon - 1];
}

/*
 * RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional fraction (dropped: the
 * clock counts seconds), then Z or +HH:MM / -HH:MM. "T" and "Z" may be
 * lower case. A leap second (:60) is taken as the next second.
 */
int
tb_clock_parse(const char *text, time_t *out)
{
	const char *p = text;
	int year, mon, day, hour, min, sec, oh, om, sign;
	struct tm tm;
	time_t t;

	if ((year = digits(&p, 4)) < 0 || *p++ != '-' || (mon = digits(&p, 2)) < 0 ||
	    *p++ != '-' || (day = digits(&p, 2)) < 0 || (*p != 'T' && *p != 't'))
		return TB_ERR_INVALID_ARG;
	p++;
	if ((hour = digits(&p, 2)) < 0 || *p++ != ':' || (min = digits(&p, 2)) < 0 ||
	    *p++ != ':' || (sec = digits(&p, 2)) < 0)
		return TB_ERR_INVALID_ARG;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return TB_ERR_INVALID_ARG;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
		sign = 1;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if ((oh = digits(&p, 2)) < 0 || *p++ != ':' || (om = digits(&p, 2)) < 0 ||
		    *p != '\0' || oh > 23 || om > 59)
			return TB_ERR_INVALID_ARG;
	} else
		return TB_ERR_INVALID_ARG;
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
	    hour > 23 || min > 59 || sec > 60)
		return TB_ERR_INVALID_ARG;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return TB_ERR_INVALID_ARG;
	*out = t - (time_t)sign * (oh * 3600 + om * 60);
	return 0;
}

void
tb_clock_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
