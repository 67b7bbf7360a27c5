# tests: faults seen through the real tanbad -- token faults through the
# shim (tests/p11-fault), a full disk under the audit trail, connection
# limits -- and the valgrind wrapper scripts/test runs the daemon tests with.
FAULTD_TESTS = tests/fault-daemon.sh tests/limits-more.sh
TESTS += $(FAULTD_TESTS)
EXTRA_DIST += $(FAULTD_TESTS) tests/valgrind-tanbad.sh tests/valgrind.supp
# fault-daemon.sh loads tests/p11-fault/.libs/libp11fault.so, a check library of
# tests/fault.mk, so make check builds it first.
