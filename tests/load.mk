# tests: hostile load -- lanes, per-client budgets, the global budget of
# buffered bytes, the first-frame timeout, answers checked before signing,
# and the metrics endpoint (docs/SECURITY.md "Hostile load", docs/METRICS.md).
LOAD_TESTS = tests/load-lanes.sh tests/load-clients.sh tests/load-memory.sh \
	tests/load-answer-size.sh tests/metrics-scrape.sh
TESTS += $(LOAD_TESTS)
EXTRA_DIST += $(LOAD_TESTS)
check_PROGRAMS += tests/test_budget
TESTS += tests/test_budget
tests_test_budget_SOURCES = tests/test_budget.c
tests_test_budget_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_budget_LDADD = daemon/front/libtbfront.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS)
