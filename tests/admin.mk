# tests: tanba-admin against SoftHSM2 tokens made at test time (shell).
# admin-lib.sh is the harness each admin-*.sh sources.
ADMIN_SHELL_TESTS = \
	tests/admin-token.sh \
	tests/admin-keys.sh \
	tests/admin-lifecycle.sh \
	tests/admin-import.sh
TESTS += $(ADMIN_SHELL_TESTS)
check_SCRIPTS += $(ADMIN_SHELL_TESTS)
EXTRA_DIST += $(ADMIN_SHELL_TESTS) tests/admin-lib.sh
