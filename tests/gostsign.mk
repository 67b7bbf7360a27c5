# tests: GOST 2015 signing with NCA key containers (libsig/gost_key.c,
# cms_gost_sign.c) and the test PKI's containers in the NCA's layout.
check_PROGRAMS += tests/gost-sign tests/test_gost_sign
tests_gost_sign_SOURCES = tests/gost-sign.c
tests_gost_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_gost_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS)
tests_test_gost_sign_SOURCES = tests/test_gost_sign.c $(GOST_TESTLIB)
tests_test_gost_sign_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_gost_sign_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testpki
tests_test_gost_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS)
TESTS += tests/test_gost_sign tests/gost-sign.sh
check_SCRIPTS += tests/gost-sign.sh
EXTRA_DIST += tests/gost-sign.sh
# several signers, each with its own verdict (libsig/verify.c)
TESTS += tests/verify-cosign.sh
check_SCRIPTS += tests/verify-cosign.sh
EXTRA_DIST += tests/verify-cosign.sh
