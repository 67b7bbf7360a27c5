# tests: the parent / front / signer process split of tanbad (what each process
# holds, the signer killed under load and restarted, and the signer's own
# checks of requests written straight onto its channel, the parent restarting
# a killed front or signer with back-off).
TESTS += tests/split-procs.sh tests/split-restart.sh tests/split-signer-checks.sh \
	tests/split-peers.sh tests/split-users.sh tests/split-programs.sh tests/split-parent.sh \
	tests/split-filekey.sh tests/split-rogue-front.sh
EXTRA_DIST += tests/split-procs.sh tests/split-restart.sh tests/split-signer-checks.sh \
	tests/split-peers.sh tests/split-users.sh tests/split-programs.sh tests/split-parent.sh \
	tests/split-filekey.sh tests/split-rogue-front.sh
# Run by split-signer-checks.sh, which makes its token and configuration.
check_PROGRAMS += tests/test_signer_checks
tests_test_signer_checks_SOURCES = tests/test_signer_checks.c tests/check_run.h
tests_test_signer_checks_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_test_signer_checks_LDADD = daemon/shared/libtbproc.la common/libtbcommon.la $(CHECK_LIBS) $(OPENSSL_LIBS) \
	$(PTHREAD_LIBS)
# A front gone bad, started by tanbad in place of tanbad-front, for
# split-rogue-front.sh: what the parent does with its control commands.
check_PROGRAMS += tests/rogue-front
tests_rogue_front_SOURCES = tests/rogue-front.c
