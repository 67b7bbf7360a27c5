# Documentation shipped with the sources.
dist_doc_DATA += docs/PROTOCOL.md
dist_doc_DATA += docs/SIGNING.md
dist_doc_DATA += docs/TOKEN.md
dist_doc_DATA += docs/TESTPKI.md
dist_doc_DATA += docs/GOST.md
dist_doc_DATA += docs/FAULTS.md
dist_doc_DATA += docs/VERIFICATION.md
dist_doc_DATA += docs/REVOCATION.md
dist_doc_DATA += docs/TESTING.md
dist_doc_DATA += docs/FUZZING.md
dist_doc_DATA += docs/SECURITY.md
dist_doc_DATA += docs/METRICS.md
dist_doc_DATA += docs/XML.md
dist_doc_DATA += docs/LAYOUT.md
# the seccomp sandbox of tanbad's processes (daemon/shared/sandbox.c)
EXTRA_DIST += docs/SANDBOX.md
# Manual pages and the operations guide.
dist_man_MANS += docs/tanbad.8 docs/tanba.1 docs/tanba-admin.8 docs/tanbad.conf.5
dist_doc_DATA += docs/OPERATIONS.md
dist_doc_DATA += docs/ALGORITHMS.md
