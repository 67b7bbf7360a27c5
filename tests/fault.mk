# tests: token faults -- a PKCS#11 module that wraps SoftHSM2 and fails on
# command (tests/p11-fault/, docs/FAULTS.md), and the token layer's tests
# against it.
#
# The module is a libtool module built only for the tests: a real,
# dlopen-able $(top_builddir)/tests/p11-fault/.libs/libp11fault.so that
# exports only C_GetFunctionList.
check_LTLIBRARIES += tests/p11-fault/libp11fault.la
tests_p11_fault_libp11fault_la_SOURCES = tests/p11-fault/p11_fault.c
tests_p11_fault_libp11fault_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) -fvisibility=hidden
tests_p11_fault_libp11fault_la_LDFLAGS = -module -rpath /nowhere -avoid-version -shared
tests_p11_fault_libp11fault_la_LIBADD = $(PTHREAD_LIBS)

check_PROGRAMS += tests/test_p11_fault
TESTS += tests/test_p11_fault
tests_test_p11_fault_SOURCES = tests/test_p11_fault.c $(P11_TESTLIB)
tests_test_p11_fault_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
tests_test_p11_fault_LDADD = pkcs11/libtbp11.la common/libtbcommon.la $(CHECK_LIBS) \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(PTHREAD_LIBS)
# Building the test builds the module it loads.
EXTRA_tests_test_p11_fault_DEPENDENCIES = tests/p11-fault/libp11fault.la
