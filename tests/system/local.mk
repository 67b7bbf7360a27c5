# System tests: scripts that drive the built programs from outside (tanbad
# and its children, tanba, tanba-admin, tanba-testpki) against a SoftHSM2
# token, `openssl ocsp` and loopback HTTP servers, each sourcing the one
# setup script tests/system/setup.sh. Beside them, the programs and Python
# helpers only these scripts run: a party a test needs (GOST signing and
# checking, an XML signer as NCALayer writes, a rogue front, a front that
# makes forbidden calls, a load generator), built here in tests/system/.
SYSTEM_TESTS = \
	tests/system/daemon-sign.sh \
	tests/system/daemon-cosign.sh \
	tests/system/daemon-batch.sh \
	tests/system/daemon-errors.sh \
	tests/system/daemon-badinput.sh \
	tests/system/daemon-concurrency.sh \
	tests/system/daemon-reload.sh \
	tests/system/daemon-expiry.sh \
	tests/system/daemon-filekey.sh \
	tests/system/verify-offline.sh \
	tests/system/verify-daemon.sh \
	tests/system/verify-mixed.sh \
	tests/system/verify-cosign.sh \
	tests/system/verify-policy.sh \
	tests/system/verify-bounded.sh \
	tests/system/verify-profile.sh \
	tests/system/reload-anchors.sh \
	tests/system/pki-hierarchy.sh \
	tests/system/pki-crl.sh \
	tests/system/pki-gost.sh \
	tests/system/gost-sign.sh \
	tests/system/rev-net.sh \
	tests/system/rev-testpki.sh \
	tests/system/rev-daemon.sh \
	tests/system/netfault.sh \
	tests/system/clock.sh \
	tests/system/evidence-embed.sh \
	tests/system/tsa-stamp.sh \
	tests/system/tsa-daemon.sh \
	tests/system/audit-trail.sh \
	tests/system/audit-flood.sh \
	tests/system/admin-token.sh \
	tests/system/admin-keys.sh \
	tests/system/admin-lifecycle.sh \
	tests/system/admin-import.sh \
	tests/system/fault-daemon.sh \
	tests/system/limits-more.sh \
	tests/system/harden-audit.sh \
	tests/system/harden-access.sh \
	tests/system/harden-privs.sh \
	tests/system/harden-limits.sh \
	tests/system/load-lanes.sh \
	tests/system/load-clients.sh \
	tests/system/load-memory.sh \
	tests/system/load-answer-size.sh \
	tests/system/metrics-scrape.sh \
	tests/system/sandbox-kill.sh \
	tests/system/systemd-unit.sh \
	tests/system/systemd-exec.sh \
	tests/system/split-procs.sh \
	tests/system/split-restart.sh \
	tests/system/split-signer-checks.sh \
	tests/system/split-peers.sh \
	tests/system/split-users.sh \
	tests/system/split-programs.sh \
	tests/system/split-parent.sh \
	tests/system/split-filekey.sh \
	tests/system/split-rogue-front.sh \
	tests/system/tls-listener.sh \
	tests/system/xml-verify.sh \
	tests/system/xml-daemon.sh \
	tests/system/token-boundary.sh \
	tests/system/include-boundary.sh \
	tests/system/libsig-purity.sh \
	tests/system/soak/run.sh
TESTS += $(SYSTEM_TESTS)
EXTRA_DIST += $(SYSTEM_TESTS)

# What the scripts source or run: the setup script; helpers in Python (the
# clients' framing, raw frames, an HTTP server for CRLs and OCSP, a TSA, a
# time-stamp token reader); the test PKI of the revocation scripts; the
# pathological bundle of verify-bounded.sh; the valgrind wrapper scripts/test
# runs the daemon tests with, and its suppressions.
SYSTEM_HELPERS = \
	tests/system/setup.sh \
	tests/system/rawclient.py \
	tests/system/tbframe.py \
	tests/system/tbrq.py \
	tests/system/rev-httpd.py \
	tests/system/tsa-httpd.py \
	tests/system/tst-read.py \
	tests/system/rev-pki.sh \
	tests/system/loop-bundle.sh \
	tests/system/valgrind-tanbad.sh \
	tests/system/valgrind.supp
EXTRA_DIST += $(SYSTEM_HELPERS)

# GOST: gost-check verifies GOST CMS and certificates through libsig for
# pki-gost.sh, gost-sign.sh, daemon-filekey.sh and split-filekey.sh;
# gost-sign signs with an NCA key container for gost-sign.sh.
check_PROGRAMS += tests/system/gost-check tests/system/gost-sign
tests_system_gost_check_SOURCES = tests/system/gost-check.c
tests_system_gost_check_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_system_gost_check_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS)
tests_system_gost_sign_SOURCES = tests/system/gost-sign.c
tests_system_gost_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_system_gost_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS)

# XML signatures made as NCALayer writes them (GOST), for xml-verify.sh,
# xml-daemon.sh and scripts/demo.
check_PROGRAMS += tests/system/xml-testsign
tests_system_xml_testsign_SOURCES = tests/system/xml-testsign.c
tests_system_xml_testsign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(srcdir)/testpki
tests_system_xml_testsign_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la \
	$(OPENSSL_LIBS)

# A front gone bad, started by tanbad in place of tanbad-front, for
# split-rogue-front.sh: what the parent does with its control commands.
check_PROGRAMS += tests/system/rogue-front
tests_system_rogue_front_SOURCES = tests/system/rogue-front.c

# tanbad-hooks: a test build of tanbad-front that can be told to make a
# forbidden call (sandbox-hooks.c), for sandbox-kill.sh.
check_PROGRAMS += tests/system/tanbad-hooks
tests_system_tanbad_hooks_SOURCES = daemon/front/tanbad_front.c tests/system/sandbox-hooks.c
tests_system_tanbad_hooks_CFLAGS = $(daemon_tanbad_front_CFLAGS) -DTB_TEST_HOOKS
tests_system_tanbad_hooks_LDADD = $(daemon_tanbad_front_LDADD)
tests_system_tanbad_hooks_LDFLAGS = -Wl,--wrap=tb_op_lookup -Wl,--wrap=tb_config_op_bit

# The soak's load generator: one thread per connection, the framed JSON
# protocol through the clients' framing library (ca-tools/tbclient.h).
check_PROGRAMS += tests/system/soak/soakload
tests_system_soak_soakload_SOURCES = tests/system/soak/soakload.c
tests_system_soak_soakload_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tests_system_soak_soakload_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ca-tools
tests_system_soak_soakload_LDADD = ca-tools/libtbclient.la common/libtbcommon.la $(JANSSON_LIBS) \
	$(OPENSSL_LIBS) $(PTHREAD_LIBS)
