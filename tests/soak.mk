# tests: network faults on the way to revocation sources, clock boundaries,
# and the soak of the real daemon under mixed load with reloads.
check_PROGRAMS += tests/test_netfault tests/test_clock tests/soak/soakload
TESTS += tests/netfault.sh tests/test_clock tests/clock.sh tests/soak/run.sh
EXTRA_DIST += tests/netfault.sh tests/clock.sh tests/soak/run.sh

tests_test_netfault_SOURCES = tests/test_netfault.c $(REV_TESTLIB)
tests_test_netfault_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_netfault_LDADD = revocation/librevocation.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(CURL_LIBS) $(CHECK_LIBS)

tests_test_clock_SOURCES = tests/test_clock.c
tests_test_clock_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_clock_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(CURL_LIBS) $(CHECK_LIBS)

# The load generator: one thread per connection, the framed JSON
# protocol through the clients' framing library (ca-tools/tbclient.h).
tests_soak_soakload_SOURCES = tests/soak/soakload.c
tests_soak_soakload_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_soak_soakload_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ca-tools
tests_soak_soakload_LDADD = ca-tools/libtbclient.la common/libtbcommon.la $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) $(PTHREAD_LIBS)
