# tests: token faults -- a PKCS#11 module that wraps SoftHSM2 and fails on
# command (tests/p11-fault/, docs/FAULTS.md), and the token layer's tests
# against it.
#
# The module is linked as a "program" with -shared: the project's libtool
# is configured with disable-shared and refuses to build any shared
# library or module, and this one file needs nothing else from the tree.
# The result is a real, dlopen-able $(top_builddir)/tests/p11-fault/libp11fault.so
# that exports only C_GetFunctionList.
check_PROGRAMS += tests/p11-fault/libp11fault.so
tests_p11_fault_libp11fault_so_SOURCES = tests/p11-fault/p11_fault.c
tests_p11_fault_libp11fault_so_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) -fPIC -fvisibility=hidden
tests_p11_fault_libp11fault_so_LDFLAGS = -shared -fPIC
# Linked by the compiler itself: libtool would refuse -shared here too.
tests_p11_fault_libp11fault_so_LINK = $(CCLD) $(tests_p11_fault_libp11fault_so_CFLAGS) \
	$(CFLAGS) $(tests_p11_fault_libp11fault_so_LDFLAGS) $(LDFLAGS) -o $@
tests_p11_fault_libp11fault_so_LDADD = $(PTHREAD_LIBS)

check_PROGRAMS += tests/test_p11_fault
TESTS += tests/test_p11_fault
tests_test_p11_fault_SOURCES = tests/test_p11_fault.c $(P11_TESTLIB)
tests_test_p11_fault_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
tests_test_p11_fault_LDADD = pkcs11/libtbp11.la common/libtbcommon.la $(CHECK_LIBS) \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(PTHREAD_LIBS)
# Building the test builds the module it loads.
EXTRA_tests_test_p11_fault_DEPENDENCIES = tests/p11-fault/libp11fault.so$(EXEEXT)
