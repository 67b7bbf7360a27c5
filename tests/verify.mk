# tests: verify (unit: identity, verdicts, sigalg, paths, CMS; shell: tanba verify/check-cert)
check_PROGRAMS += tests/test_verify
TESTS += tests/test_verify
tests_test_verify_SOURCES = tests/test_verify.c
tests_test_verify_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_verify_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
TESTS += tests/verify-offline.sh tests/verify-daemon.sh tests/verify-mixed.sh
EXTRA_DIST += tests/verify-offline.sh tests/verify-daemon.sh tests/verify-mixed.sh
# the path search's budget (pathological bundles), the strict profile
TESTS += tests/verify-bounded.sh tests/verify-profile.sh
EXTRA_DIST += tests/verify-bounded.sh tests/loop-bundle.sh tests/verify-profile.sh
