# tests: the NCA GOST known answers through the CRL loader, the OCSP checker,
# the offline revocation checker and tb_verify_cert (tests/vectors/nca-gost2015)
check_PROGRAMS += tests/test_gost_kat
TESTS += tests/test_gost_kat
tests_test_gost_kat_SOURCES = tests/test_gost_kat.c $(GOST_TESTLIB)
tests_test_gost_kat_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_gost_kat_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
dist_doc_DATA += docs/ALGORITHMS.md
