# tests: OCSP response checks offline (nonce policy, delegated responder), responses signed at test time
check_PROGRAMS += tests/test_ocsp_check
TESTS += tests/test_ocsp_check
tests_test_ocsp_check_SOURCES = tests/test_ocsp_check.c
tests_test_ocsp_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_ocsp_check_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
