# tests: helpers the test programs and scripts share, each named by the
# fragments of the tests that use it.
#
# check_run.h: how every unit test runs its suite (header only).
# P11_TESTLIB: the SoftHSM2 token fixtures of test_p11 and test_p11_fault.
# REV_TESTLIB: the loopback-server fixtures of test_rev_net and test_netfault.
# GOST_TESTLIB: the known-answer files and DER helpers of the GOST unit tests.
# X509_TESTLIB: the in-process test PKI of test_ocsp_check and test_crl_scope
#   (test_clock uses its header's REV_IS).
# revnet-lib.sh: the scratch directory and loopback servers of rev-net.sh and netfault.sh.
# verdict-lib.sh: how the verify shell tests run a command and read its verdict.
P11_TESTLIB = tests/p11_testlib.c tests/p11_testlib.h
REV_TESTLIB = tests/rev_testlib.c tests/rev_testlib.h
GOST_TESTLIB = tests/gost_testlib.c tests/gost_testlib.h
X509_TESTLIB = tests/x509_testlib.c tests/x509_testlib.h
EXTRA_DIST += tests/check_run.h tests/x509_testlib.h tests/verdict-lib.sh tests/answer-lib.sh tests/revnet-lib.sh
