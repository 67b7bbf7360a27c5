# tests: the seccomp sandbox -- unit tests of the filters (test_sandbox),
# and tanbad-hooks, a test build of tanbad whose front can be told to make
# a forbidden call (tests/sandbox-hooks.c), for sandbox-kill.sh. The unit
# file systemd-unit.sh checks conf/tanbad.service's exposure score.
check_PROGRAMS += tests/test_sandbox
TESTS += tests/test_sandbox
tests_test_sandbox_SOURCES = tests/test_sandbox.c
tests_test_sandbox_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) \
	$(P11KIT_CFLAGS) $(SECCOMP_CFLAGS)
tests_test_sandbox_LDADD = daemon/shared/libtbsandbox.la daemon/shared/libtbproc.la pkcs11/libtbp11.la common/libtbcommon.la \
	$(CHECK_LIBS) \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(SECCOMP_LIBS) $(PTHREAD_LIBS)

check_PROGRAMS += tests/tanbad-hooks
tests_tanbad_hooks_SOURCES = daemon/front/tanbad_front.c tests/sandbox-hooks.c
tests_tanbad_hooks_CFLAGS = $(daemon_tanbad_front_CFLAGS) -DTB_TEST_HOOKS
tests_tanbad_hooks_LDADD = $(daemon_tanbad_front_LDADD)
tests_tanbad_hooks_LDFLAGS = -Wl,--wrap=tb_op_lookup -Wl,--wrap=tb_config_op_bit

SANDBOX_TESTS = tests/sandbox-kill.sh tests/systemd-unit.sh tests/systemd-exec.sh
TESTS += $(SANDBOX_TESTS)
EXTRA_DIST += $(SANDBOX_TESTS)
