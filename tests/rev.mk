# tests: revocation (DER reader, CRL index, CRL and OCSP checks against
# real servers on loopback, CRLs from the test PKI)
check_PROGRAMS += tests/test_crl_index tests/test_rev_net tests/test_rev_pki
TESTS += tests/test_crl_index tests/rev-net.sh tests/rev-testpki.sh
EXTRA_DIST += tests/rev-net.sh tests/rev-pki.sh tests/rev-httpd.py tests/rev-testpki.sh
REV_TEST_LDADD = revocation/librevocation.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(CURL_LIBS) \
	$(CHECK_LIBS)
tests_test_crl_index_SOURCES = tests/test_crl_index.c
tests_test_crl_index_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_crl_index_LDADD = $(REV_TEST_LDADD)
tests_test_rev_net_SOURCES = tests/test_rev_net.c $(REV_TESTLIB)
tests_test_rev_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_rev_net_LDADD = $(REV_TEST_LDADD)
tests_test_rev_pki_SOURCES = tests/test_rev_pki.c
tests_test_rev_pki_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_rev_pki_LDADD = $(REV_TEST_LDADD)
