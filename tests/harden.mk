# tests: daemon hardening -- audit trail, access control, privileges, limits.
# The root-only parts (a second user, a privilege drop) skip with 77 otherwise.
HARDEN_TESTS = tests/harden-audit.sh tests/harden-access.sh tests/harden-privs.sh \
	tests/harden-limits.sh
TESTS += $(HARDEN_TESTS)
EXTRA_DIST += $(HARDEN_TESTS)
EXTRA_DIST += tests/harden-lib.sh
check_PROGRAMS += tests/test_acl
TESTS += tests/test_acl
tests_test_acl_SOURCES = tests/test_acl.c
tests_test_acl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_acl_LDADD = daemon/front/libtbfront.la daemon/shared/libtbconf.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) \
	$(INIH_LIBS) $(OPENSSL_LIBS)
