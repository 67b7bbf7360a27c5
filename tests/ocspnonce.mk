# tests: the OCSP nonce policy through tb_ocsp_response_check (responses signed at test time)
check_PROGRAMS += tests/test_ocsp_nonce
TESTS += tests/test_ocsp_nonce
tests_test_ocsp_nonce_SOURCES = tests/test_ocsp_nonce.c
tests_test_ocsp_nonce_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_ocsp_nonce_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
