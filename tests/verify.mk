# tests: verify (unit: identity, verdicts, sigalg, paths, CMS; shell: tanba verify/check-cert)
check_PROGRAMS += tests/test_verify
TESTS += tests/test_verify
tests_test_verify_SOURCES = tests/test_verify.c
tests_test_verify_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_verify_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
TESTS += tests/verify-offline.sh tests/verify-daemon.sh tests/verify-mixed.sh
EXTRA_DIST += tests/verify-offline.sh tests/verify-daemon.sh tests/verify-mixed.sh
# [verify] anchors are built with the config at reload; broken ones refuse it.
TESTS += tests/reload-anchors.sh
EXTRA_DIST += tests/reload-anchors.sh
# RFC 5280 policies on test PKI certificates (NCA policy OIDs, a hostile tree)
TESTS += tests/verify-policy.sh
EXTRA_DIST += tests/verify-policy.sh
# NIST PKITS 1.0.1 through libsig and tanba check-cert (tests/vectors/pkits/README.md)
check_PROGRAMS += tests/test_pkits
TESTS += tests/test_pkits
tests_test_pkits_SOURCES = tests/test_pkits.c
tests_test_pkits_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_pkits_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/vectors/pkits tests/pkits-xfail.txt tests/pkits-openssl.py
check_PROGRAMS += tests/test_policy
TESTS += tests/test_policy
tests_test_policy_SOURCES = tests/test_policy.c
tests_test_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_policy_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
# the path search's budget (pathological bundles), the strict profile
TESTS += tests/verify-bounded.sh tests/verify-profile.sh
EXTRA_DIST += tests/verify-bounded.sh tests/loop-bundle.sh tests/verify-profile.sh
