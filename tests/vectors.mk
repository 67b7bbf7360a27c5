# tests: the NCA known-answer vectors in the tree (provenance in tests/vectors/README.md)
EXTRA_DIST += tests/vectors/README.md \
	tests/vectors/nca-gost2015/README.md tests/vectors/nca-gost2015/ca.der \
	tests/vectors/nca-gost2015/ca.crl tests/vectors/nca-gost2015/ocsp-revoked.der \
	tests/vectors/nca-p12/README.md \
	tests/vectors/nca-p12/individual-gost2015.p12 tests/vectors/nca-p12/individual-gost2015.cert.pem \
	tests/vectors/nca-p12/ceo-gost2015-revoked.p12 tests/vectors/nca-p12/ceo-gost2015-revoked.cert.pem \
	tests/vectors/nca-p12/individual-rsa-sign.p12 tests/vectors/nca-p12/individual-rsa-sign.cert.pem
