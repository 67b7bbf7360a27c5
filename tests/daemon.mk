# tests: daemon -- wire format and configuration units.
check_PROGRAMS += tests/test_proto tests/test_config
TESTS += tests/test_proto tests/test_config
tests_test_proto_SOURCES = tests/test_proto.c
tests_test_proto_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_proto_LDADD = daemon/front/libtbproto.la common/libtbcommon.la $(CHECK_LIBS) \
	$(JANSSON_LIBS) $(OPENSSL_LIBS)
tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_config_LDADD = daemon/shared/libtbconf.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) \
	$(INIH_LIBS) $(OPENSSL_LIBS)
