# Unit tests (check) and integration tests (shell, real SoftHSM2 and servers).
# Each part of the tree keeps its tests in its own fragment.
include $(srcdir)/tests/p11.mk
include $(srcdir)/tests/sig.mk
include $(srcdir)/tests/daemon.mk
include $(srcdir)/tests/cli.mk
include $(srcdir)/tests/verify.mk
include $(srcdir)/tests/gost.mk
include $(srcdir)/tests/pki.mk
include $(srcdir)/tests/gostsign.mk
include $(srcdir)/tests/rev.mk
include $(srcdir)/tests/audit.mk
include $(srcdir)/tests/admin.mk
include $(srcdir)/tests/fault.mk
include $(srcdir)/tests/soak.mk
include $(srcdir)/tests/revwire.mk
include $(srcdir)/tests/gostkat.mk
include $(srcdir)/tests/harden.mk
include $(srcdir)/tests/sandbox.mk
include $(srcdir)/tests/perf.mk
include $(srcdir)/tests/faultd.mk
include $(srcdir)/tests/split.mk
include $(srcdir)/tests/tls.mk
include $(srcdir)/tests/testlib.mk
include $(srcdir)/tests/vectors.mk
include $(srcdir)/tests/ocspcheck.mk
include $(srcdir)/tests/mutation.mk
include $(srcdir)/tests/load.mk
include $(srcdir)/tests/xml.mk
include $(srcdir)/tests/tst.mk
# libsig stays pure: no network, threads or file writes (docs/DESIGN.md)
TESTS += tests/libsig-purity.sh
EXTRA_DIST += tests/libsig-purity.sh
