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
