# tests: the [tls] TCP listener (tanbad over TLS 1.3 with client certificates)
TESTS += tests/tls-listener.sh
EXTRA_DIST += tests/tls-listener.sh
check_PROGRAMS += tests/test_tls_map
TESTS += tests/test_tls_map
tests_test_tls_map_SOURCES = tests/test_tls_map.c
tests_test_tls_map_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_tls_map_LDADD = daemon/shared/libtbconf.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) \
	$(INIH_LIBS) $(OPENSSL_LIBS)
