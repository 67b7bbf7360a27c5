# tests: the tanba client against the real tanbad (integration, shell).
# lib.sh is the harness every daemon-*.sh sources; rawclient.py sends raw frames.
DAEMON_SHELL_TESTS = \
	tests/daemon-sign.sh \
	tests/daemon-cosign.sh \
	tests/daemon-batch.sh \
	tests/daemon-errors.sh \
	tests/daemon-badinput.sh \
	tests/daemon-concurrency.sh \
	tests/daemon-reload.sh \
	tests/daemon-expiry.sh \
	tests/daemon-filekey.sh
TESTS += $(DAEMON_SHELL_TESTS)
check_SCRIPTS += $(DAEMON_SHELL_TESTS) tests/rawclient.py
EXTRA_DIST += $(DAEMON_SHELL_TESTS) tests/rawclient.py tests/tbframe.py tests/tbrq.py
EXTRA_DIST += tests/lib.sh
