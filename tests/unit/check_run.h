/*
 * The one way the unit tests run their check suite: run it, free it, and
 * turn the count of failures into the exit status automake reads. Header
 * only, so that any test program can use it without another source file;
 * test code only.
 */
#ifndef TB_CHECK_RUN_H
#define TB_CHECK_RUN_H

#include <check.h>

/*
 * Runs every case of s, printing at mode, forking as fork says
 * (CK_FORK_GETENV: as CK_FORK in the environment says); frees s.
 * 0 when every test passed, 1 otherwise.
 */
static inline int
tbt_run_forked(Suite *s, enum print_output mode, enum fork_status fork)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, fork);
	srunner_run_all(sr, mode);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/* tbt_run_forked with check's default: fork unless CK_FORK=no. */
static inline int
tbt_run(Suite *s, enum print_output mode)
{
	return tbt_run_forked(s, mode, CK_FORK_GETENV);
}

#endif
