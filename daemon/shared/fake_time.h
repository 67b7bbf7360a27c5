/* TANBA_FAKE_TIME, read by each tanbad program at start: for tests only. */
#ifndef TB_FAKE_TIME_H
#define TB_FAKE_TIME_H

/*
 * TANBA_FAKE_TIME=<epoch seconds> fixes the clock (tb_clock_set) and logs
 * a warning; unset or empty leaves it alone. -1 (said on stderr, as prog)
 * when the value is not epoch seconds.
 */
int tb_fake_time_apply(const char *prog);

#endif
