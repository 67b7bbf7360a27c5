/*
 * The one clock. Every validity decision takes its time from here, so that
 * tests and --at can set it and no test depends on today's date.
 */
#ifndef TB_CLOCK_H
#define TB_CLOCK_H

#include <time.h>

time_t tb_clock_now(void);
/* Fixes the clock at t (0 returns to the system clock). */
void tb_clock_set(time_t t);
/*
 * Parses an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM));
 * the fraction is dropped. Returns 0 or TB_ERR_INVALID_ARG.
 */
int tb_clock_parse(const char *text, time_t *out);
/* Formats t as YYYY-MM-DDTHH:MM:SSZ into buf (at least 21 bytes). */
void tb_clock_format(time_t t, char *buf, size_t len);

#endif
