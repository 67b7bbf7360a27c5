# Unit tests: check suites written against the libraries' API, built in
# tests/unit/. Most run alone in make check; test_rev_net, test_rev_pki,
# test_netfault and test_signer_checks are check suites too, but need servers,
# a test PKI or a signer that a script of tests/system/ sets up first, so
# that script runs them and they are not in TESTS themselves.
#
# Shared by the suites:
# check_run.h: how every unit test runs its suite (header only).
# P11_TESTLIB: the SoftHSM2 token fixtures of test_p11 and test_p11_fault.
# REV_TESTLIB: the loopback-server fixtures of test_rev_net and test_netfault.
# GOST_TESTLIB: the known-answer files and DER helpers of the GOST unit tests.
# X509_TESTLIB: the in-process test PKI of test_ocsp_check, test_crl_scope
#   and test_tst (test_clock uses its header's REV_IS).
P11_TESTLIB = tests/unit/p11_testlib.c tests/unit/p11_testlib.h
REV_TESTLIB = tests/unit/rev_testlib.c tests/unit/rev_testlib.h
GOST_TESTLIB = tests/unit/gost_testlib.c tests/unit/gost_testlib.h
X509_TESTLIB = tests/unit/x509_testlib.c tests/unit/x509_testlib.h
EXTRA_DIST += tests/unit/check_run.h tests/unit/x509_testlib.h

UNIT_TESTS = \
	tests/unit/test_p11 \
	tests/unit/test_cms_sign \
	tests/unit/test_cert_read \
	tests/unit/test_proto \
	tests/unit/test_config \
	tests/unit/test_verify \
	tests/unit/test_policy \
	tests/unit/test_pkits \
	tests/unit/test_gost \
	tests/unit/test_gost_vectors \
	tests/unit/test_gost_sign \
	tests/unit/test_gost_kat \
	tests/unit/test_crl_index \
	tests/unit/test_crl_scope \
	tests/unit/test_ocsp_check \
	tests/unit/test_verify_cache \
	tests/unit/test_audit \
	tests/unit/test_p11_fault \
	tests/unit/test_clock \
	tests/unit/test_acl \
	tests/unit/test_budget \
	tests/unit/test_sandbox \
	tests/unit/test_tls_map \
	tests/unit/test_tst \
	tests/unit/test_xml
# Run by scripts of tests/system/ (rev-net.sh, rev-testpki.sh, netfault.sh,
# split-signer-checks.sh).
UNIT_DRIVEN = \
	tests/unit/test_rev_net \
	tests/unit/test_rev_pki \
	tests/unit/test_netfault \
	tests/unit/test_signer_checks
check_PROGRAMS += $(UNIT_TESTS) $(UNIT_DRIVEN)
TESTS += $(UNIT_TESTS)

# Link lines several suites share.
UNIT_SIG_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(PTHREAD_LIBS)
UNIT_CONF_LDADD = daemon/shared/libtbconf.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) \
	$(INIH_LIBS) $(OPENSSL_LIBS)
UNIT_REV_LDADD = revocation/librevocation.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(CURL_LIBS) $(CHECK_LIBS)
UNIT_P11_LDADD = pkcs11/libtbp11.la common/libtbcommon.la $(CHECK_LIBS) \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(PTHREAD_LIBS)

# the token layer against a SoftHSM2 token made at test time
tests_unit_test_p11_SOURCES = tests/unit/test_p11.c $(P11_TESTLIB)
tests_unit_test_p11_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
tests_unit_test_p11_LDADD = $(UNIT_P11_LDADD)

# token faults: a PKCS#11 module that wraps SoftHSM2 and fails on command
# (tests/unit/p11-fault/, docs/FAULTS.md), and the token layer against it.
# The module is a libtool module built only for the tests: a real,
# dlopen-able $(top_builddir)/tests/unit/p11-fault/.libs/libp11fault.so that
# exports only C_GetFunctionList; the daemon's fault tests of tests/system/
# load it too.
check_LTLIBRARIES += tests/unit/p11-fault/libp11fault.la
tests_unit_p11_fault_libp11fault_la_SOURCES = tests/unit/p11-fault/p11_fault.c
tests_unit_p11_fault_libp11fault_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) -fvisibility=hidden
tests_unit_p11_fault_libp11fault_la_LDFLAGS = -module -rpath /nowhere -avoid-version -shared
tests_unit_p11_fault_libp11fault_la_LIBADD = $(PTHREAD_LIBS)
tests_unit_test_p11_fault_SOURCES = tests/unit/test_p11_fault.c $(P11_TESTLIB)
tests_unit_test_p11_fault_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
tests_unit_test_p11_fault_LDADD = $(UNIT_P11_LDADD)
# Building the test builds the module it loads.
EXTRA_tests_unit_test_p11_fault_DEPENDENCIES = tests/unit/p11-fault/libp11fault.la

# CMS signing, and the one certificate reader's rule (libsig/cert_read.c)
tests_unit_test_cms_sign_SOURCES = tests/unit/test_cms_sign.c
tests_unit_test_cms_sign_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cms_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(CHECK_LIBS)
tests_unit_test_cert_read_SOURCES = tests/unit/test_cert_read.c
tests_unit_test_cert_read_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cert_read_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(CHECK_LIBS)

# the daemon's wire format and configuration
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c
tests_unit_test_proto_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_proto_LDADD = daemon/front/libtbproto.la common/libtbcommon.la $(CHECK_LIBS) \
	$(JANSSON_LIBS) $(OPENSSL_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_CONF_LDADD)
# the [tls] listener's mapping of client certificates
tests_unit_test_tls_map_SOURCES = tests/unit/test_tls_map.c
tests_unit_test_tls_map_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_tls_map_LDADD = $(UNIT_CONF_LDADD)

# verification: identity, verdicts, sigalg, paths, CMS; RFC 5280 policies;
# NIST PKITS 1.0.1 (tests/vectors/pkits/README.md, unit/pkits-xfail.txt)
tests_unit_test_verify_SOURCES = tests/unit/test_verify.c
tests_unit_test_verify_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_verify_LDADD = $(UNIT_SIG_LDADD)
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_policy_LDADD = $(UNIT_SIG_LDADD)
tests_unit_test_pkits_SOURCES = tests/unit/test_pkits.c
tests_unit_test_pkits_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_pkits_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/unit/pkits-xfail.txt tests/unit/pkits-openssl.py
# verification caches (with threads) and the request parser's base64 cut
tests_unit_test_verify_cache_SOURCES = tests/unit/test_verify_cache.c
tests_unit_test_verify_cache_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_verify_cache_LDADD = daemon/front/libtbproto.la $(UNIT_SIG_LDADD)

# GOST: the mapping, the NCA known answers (tests/vectors/nca-gost2015) also
# through the CRL loader, the OCSP checker, the offline revocation checker
# and tb_verify_cert, and GOST 2015 signing with NCA key containers
tests_unit_test_gost_SOURCES = tests/unit/test_gost.c $(GOST_TESTLIB)
tests_unit_test_gost_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_gost_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testpki
tests_unit_test_gost_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS) $(PTHREAD_LIBS)
tests_unit_test_gost_vectors_SOURCES = tests/unit/test_gost_vectors.c $(GOST_TESTLIB)
tests_unit_test_gost_vectors_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_gost_vectors_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testpki
tests_unit_test_gost_vectors_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS)
tests_unit_test_gost_kat_SOURCES = tests/unit/test_gost_kat.c $(GOST_TESTLIB)
tests_unit_test_gost_kat_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_gost_kat_LDADD = $(UNIT_SIG_LDADD)
tests_unit_test_gost_sign_SOURCES = tests/unit/test_gost_sign.c $(GOST_TESTLIB)
tests_unit_test_gost_sign_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_gost_sign_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/testpki
tests_unit_test_gost_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS)

# revocation: the DER reader and CRL index, OCSP response checks offline
# (responses signed at test time), the CRL answers of tb_rev_check from its
# disk cache; CRL and OCSP against servers on loopback and CRLs from the test
# PKI (run by rev-net.sh and rev-testpki.sh); network faults on the way to
# revocation sources (run by netfault.sh), clock boundaries
tests_unit_test_crl_index_SOURCES = tests/unit/test_crl_index.c
tests_unit_test_crl_index_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_crl_index_LDADD = $(UNIT_REV_LDADD)
tests_unit_test_ocsp_check_SOURCES = tests/unit/test_ocsp_check.c $(X509_TESTLIB)
tests_unit_test_ocsp_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_ocsp_check_LDADD = $(UNIT_SIG_LDADD)
tests_unit_test_crl_scope_SOURCES = tests/unit/test_crl_scope.c $(X509_TESTLIB)
tests_unit_test_crl_scope_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_crl_scope_LDADD = revocation/librevocation.la $(UNIT_SIG_LDADD)
tests_unit_test_rev_net_SOURCES = tests/unit/test_rev_net.c $(REV_TESTLIB)
tests_unit_test_rev_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_rev_net_LDADD = $(UNIT_REV_LDADD)
tests_unit_test_rev_pki_SOURCES = tests/unit/test_rev_pki.c
tests_unit_test_rev_pki_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_rev_pki_LDADD = $(UNIT_REV_LDADD)
tests_unit_test_netfault_SOURCES = tests/unit/test_netfault.c $(REV_TESTLIB)
tests_unit_test_netfault_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_netfault_LDADD = $(UNIT_REV_LDADD)
tests_unit_test_clock_SOURCES = tests/unit/test_clock.c
tests_unit_test_clock_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_clock_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(CURL_LIBS) $(CHECK_LIBS)
# RFC 3161 time-stamp tokens made by OpenSSL's TSA code, checked by libsig
tests_unit_test_tst_SOURCES = tests/unit/test_tst.c $(X509_TESTLIB)
tests_unit_test_tst_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_tst_LDADD = $(UNIT_SIG_LDADD)
# XML signatures (docs/XML.md)
tests_unit_test_xml_SOURCES = tests/unit/test_xml.c
tests_unit_test_xml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBXML_CFLAGS)
tests_unit_test_xml_LDADD = $(UNIT_SIG_LDADD) $(LIBXML_LIBS)

# the audit trail's library
tests_unit_test_audit_SOURCES = tests/unit/test_audit.c
tests_unit_test_audit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_audit_LDADD = daemon/signer/libtbaudit.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) $(PTHREAD_LIBS)

# the front's access control and rate limits, and its budgets of buffered bytes
tests_unit_test_acl_SOURCES = tests/unit/test_acl.c
tests_unit_test_acl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_acl_LDADD = daemon/front/libtbfront.la $(UNIT_CONF_LDADD)
tests_unit_test_budget_SOURCES = tests/unit/test_budget.c
tests_unit_test_budget_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_budget_LDADD = daemon/front/libtbfront.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS)

# the seccomp filters (the programs' one sandbox object, libtbsandbox.la)
tests_unit_test_sandbox_SOURCES = tests/unit/test_sandbox.c
tests_unit_test_sandbox_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) \
	$(P11KIT_CFLAGS) $(SECCOMP_CFLAGS)
tests_unit_test_sandbox_LDADD = daemon/shared/libtbsandbox.la daemon/shared/libtbproc.la pkcs11/libtbp11.la common/libtbcommon.la \
	$(CHECK_LIBS) \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(SECCOMP_LIBS) $(PTHREAD_LIBS)

# the signer's own checks of requests written straight onto its channel
# (run by split-signer-checks.sh, which makes its token and configuration)
tests_unit_test_signer_checks_SOURCES = tests/unit/test_signer_checks.c tests/unit/check_run.h
tests_unit_test_signer_checks_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_signer_checks_LDADD = daemon/shared/libtbproc.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS) \
	$(PTHREAD_LIBS)
