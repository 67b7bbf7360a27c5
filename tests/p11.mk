# tests: p11 -- the token layer against a SoftHSM2 token made at test time.
check_PROGRAMS += tests/test_p11
TESTS += tests/test_p11
tests_test_p11_SOURCES = tests/test_p11.c $(P11_TESTLIB)
tests_test_p11_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
tests_test_p11_LDADD = pkcs11/libtbp11.la common/libtbcommon.la $(CHECK_LIBS) \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/token-lib.sh
# No PKCS#11 outside pkcs11/ (docs/TOKEN.md, "One token layer").
TESTS += tests/token-boundary.sh
EXTRA_DIST += tests/token-boundary.sh
# Each folder includes only the headers docs/LAYOUT.md lets it.
TESTS += tests/include-boundary.sh
EXTRA_DIST += tests/include-boundary.sh
