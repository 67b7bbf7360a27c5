# Tests: tests/unit/ (check suites against the libraries' API) and
# tests/system/ (scripts against the built programs, one setup script), each
# built by its own local.mk. Beside them, what both read: the known-answer
# vectors (provenance in tests/vectors/README.md) and the mutation harness's
# list (scripts/mutate, run by scripts/test with TANBA_MUTATION; docs/TESTING.md).
include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/system/local.mk

EXTRA_DIST += tests/vectors/README.md \
	tests/vectors/nca-gost2015/README.md tests/vectors/nca-gost2015/ca.der \
	tests/vectors/nca-gost2015/ca.crl tests/vectors/nca-gost2015/ocsp-revoked.der \
	tests/vectors/nca-p12/README.md \
	tests/vectors/nca-p12/individual-gost2015.p12 tests/vectors/nca-p12/individual-gost2015.cert.pem \
	tests/vectors/nca-p12/ceo-gost2015-revoked.p12 tests/vectors/nca-p12/ceo-gost2015-revoked.cert.pem \
	tests/vectors/nca-p12/individual-rsa-sign.p12 tests/vectors/nca-p12/individual-rsa-sign.cert.pem \
	tests/vectors/pkits
EXTRA_DIST += tests/mutation/mutations.txt
