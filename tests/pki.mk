# tests: pki -- the test PKI (testpki/tanba-testpki) checked with the
# openssl CLI: profiles, chain errors, CRLs, delta CRLs, an openssl ocsp
# responder on its index, and a million-entry CRL; and its GOST hierarchies,
# CRLs, OCSP responder and CMS checked through libsig (tests/gost-check).
PKI_SHELL_TESTS = tests/pki-hierarchy.sh tests/pki-crl.sh tests/pki-gost.sh
TESTS += $(PKI_SHELL_TESTS)
EXTRA_DIST += $(PKI_SHELL_TESTS) tests/pki-lib.sh
check_PROGRAMS += tests/gost-check
tests_gost_check_SOURCES = tests/gost-check.c
tests_gost_check_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_gost_check_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS)
