# tests: OCSP response checks offline (nonce policy, delegated responder), responses signed at test time
check_PROGRAMS += tests/test_ocsp_check
TESTS += tests/test_ocsp_check
tests_test_ocsp_check_SOURCES = tests/test_ocsp_check.c $(X509_TESTLIB)
tests_test_ocsp_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_ocsp_check_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
# the CRL answers of tb_rev_check (scope, freshness) from CRLs in its disk cache
check_PROGRAMS += tests/test_crl_scope
TESTS += tests/test_crl_scope
tests_test_crl_scope_SOURCES = tests/test_crl_scope.c $(X509_TESTLIB)
tests_test_crl_scope_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_crl_scope_LDADD = revocation/librevocation.la $(tests_test_ocsp_check_LDADD)
