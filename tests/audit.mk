check_PROGRAMS += tests/test_audit
TESTS += tests/test_audit
tests_test_audit_SOURCES = tests/test_audit.c
tests_test_audit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_audit_LDADD = daemon/signer/libtbaudit.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) $(PTHREAD_LIBS)
# The trail through tanbad: checkpoint key, anchor, rotation, forgeries
# detected, verification records; and refusals bounded under a flood.
TESTS += tests/audit-trail.sh tests/audit-flood.sh
EXTRA_DIST += tests/audit-trail.sh tests/audit-flood.sh
