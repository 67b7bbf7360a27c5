# tests: GOST mapping (unit) and the NCA known answers (tests/vectors/nca-gost2015)
check_PROGRAMS += tests/test_gost tests/test_gost_vectors
TESTS += tests/test_gost tests/test_gost_vectors
tests_test_gost_SOURCES = tests/test_gost.c $(GOST_TESTLIB)
tests_test_gost_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_gost_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testpki
tests_test_gost_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS) $(PTHREAD_LIBS)
tests_test_gost_vectors_SOURCES = tests/test_gost_vectors.c $(GOST_TESTLIB)
tests_test_gost_vectors_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_gost_vectors_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testpki
tests_test_gost_vectors_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS)
