# tests: sig
check_PROGRAMS += tests/test_cms_sign
TESTS += tests/test_cms_sign
tests_test_cms_sign_SOURCES = tests/test_cms_sign.c
tests_test_cms_sign_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_cms_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(CHECK_LIBS)
# the one certificate reader's rule (libsig/cert_read.c)
check_PROGRAMS += tests/test_cert_read
TESTS += tests/test_cert_read
tests_test_cert_read_SOURCES = tests/test_cert_read.c
tests_test_cert_read_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_cert_read_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(CHECK_LIBS)
