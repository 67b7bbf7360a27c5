# tests: RFC 3161 time-stamp tokens made by OpenSSL's TSA code, checked by libsig
check_PROGRAMS += tests/test_tst
TESTS += tests/test_tst
tests_test_tst_SOURCES = tests/test_tst.c $(X509_TESTLIB)
tests_test_tst_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_test_tst_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
# CAdES-T with `openssl ts -reply` behind a loopback HTTP server, tanba timestamp and verify
TESTS += tests/tsa-stamp.sh
EXTRA_DIST += tests/tsa-stamp.sh tests/tsa-httpd.py tests/tst-read.py
# the verify op with [tsa] anchors, through the real tanbad
TESTS += tests/tsa-daemon.sh
EXTRA_DIST += tests/tsa-daemon.sh
# validation data embedded in the CMS (evidence "embed"), used when the responder is down
TESTS += tests/evidence-embed.sh
EXTRA_DIST += tests/evidence-embed.sh
