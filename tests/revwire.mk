# tests: revocation wired into tanbad and the CLI (real OCSP responder and
# HTTP server on loopback, SoftHSM2 token for the signing side)
TESTS += tests/rev-daemon.sh
EXTRA_DIST += tests/rev-daemon.sh
