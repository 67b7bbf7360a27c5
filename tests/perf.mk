# tests: verification caches (unit, with threads) and the request parser's base64 cut
check_PROGRAMS += tests/test_verify_cache
TESTS += tests/test_verify_cache
tests_test_verify_cache_SOURCES = tests/test_verify_cache.c
tests_test_verify_cache_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_verify_cache_LDADD = daemon/front/libtbproto.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
