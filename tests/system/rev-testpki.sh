#!/bin/sh
# CRLs from the test PKI (tanba-testpki): a complete CRL and a delta CRL
# over it, and a complete CRL with 1,000,000 entries that must load into
# an index smaller than twice its DER (its load time is measured by
# bench/crl_index_bench, not here). Checked by
# tests/unit/test_rev_pki. Then the scope of CRLs (RFC 5280 6.3.3) on a second
# hierarchy whose leaves name http://127.0.0.1:1/ca.crl as their
# distribution point: issuingDistributionPoint names and flags, CRLs
# partitioned by reason, an indirect CRL from the root with
# certificateIssuer entries, a CRL signed by a separate key of the CA's
# name (and one by a key whose certificate has no keyUsage: refused), a
# delta bound to its base's scope, and CRL profile faults.
set -eu
top_builddir=${top_builddir:-$(pwd)}
T=$top_builddir/testpki/tanba-testpki
[ -x "$T" ] || { echo "tanba-testpki not built: skipped"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/tb-rev-pki.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
H=$W/h
$T hierarchy --out "$H" --ca-alg rsa2048 --leaf-alg ec256 >/dev/null
$T revoke --dir "$H" --cert "$H/individual-sign.pem" --reason keyCompromise \
    --at "$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%SZ)"
$T revoke --dir "$H" --cert "$H/legal-employee.pem" --reason certificateHold \
    --at "$(date -u -d '2 hours ago' +%Y-%m-%dT%H:%M:%SZ)"
$T crl --dir "$H" --out "$H/base.crl" --der --number 1 --hours 24
SINCE=$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)
$T revoke --dir "$H" --cert "$H/legal-sign.pem" --reason keyCompromise
$T revoke --dir "$H" --cert "$H/legal-employee.pem" --reason removeFromCRL
$T crl --dir "$H" --out "$H/delta.crl" --der --number 2 --hours 24 --delta \
    --base-number 1 --since "$SINCE"
$T crl --dir "$H" --out "$H/big.crl" --der --number 3 --hours 24 --revoked-random 1000000

S=$W/s
DP=http://127.0.0.1:1/ca.crl
$T hierarchy --out "$S" --ca-alg rsa2048 --leaf-alg ec256 --crl-url "$DP" >/dev/null
$T revoke --dir "$S" --cert "$S/individual-sign.pem" --reason keyCompromise
$T revoke --dir "$S" --cert "$S/legal-sign.pem" --reason superseded
crl() { out=$1; shift; $T crl --dir "$S" --out "$S/$out" --der --hours 24 "$@"; }
crl plain.crl
crl dp.crl --idp-uri "$DP" --only-user
crl dp-other.crl --idp-uri http://127.0.0.1:1/other.crl
crl only-ca.crl --only-ca
crl only-attr.crl --only-attr
crl kc.crl --only-reasons keyCompromise,CACompromise
crl rest.crl --only-reasons \
    affiliationChanged,superseded,cessationOfOperation,certificateHold,privilegeWithdrawn,aACompromise
crl no-number.crl --no-number
crl number-critical.crl --number-critical
crl root.crl --issuer-name root
crl root-only-user.crl --issuer-name root --only-user
crl root-only-ca.crl --issuer-name root --only-ca
# Indirect: leaves whose distribution point names the root as cRLIssuer.
for n in via-root via-root-revoked; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$S/$n.key" 2>/dev/null
	$T issue --dir "$S" --key "$S/$n.key" --profile individual-sign --crl-issuer root \
	    --out "$S/$n.pem"
done
$T revoke --dir "$S" --cert "$S/via-root-revoked.pem" --reason keyCompromise
crl indirect.crl --issuer-name root --indirect --entries-of ca
crl indirect-other-dp.crl --issuer-name root --indirect --entries-of ca \
    --idp-uri http://127.0.0.1:1/other.crl
# A separate CRL-signing key: a second certificate of the CA's name.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$S/crl-signer.key" 2>/dev/null
$T issue --dir "$S" --key "$S/crl-signer.key" --profile ca --cn "ТАҢБА TEST ISSUING CA" \
    --org "ТАҢБА" --issuer-name root --out "$S/crl-signer.pem"
crl by-signer.crl --issuer-key "$S/crl-signer.key" --issuer-cert "$S/crl-signer.pem"
# The same CA name and a good path, but no keyUsage at all: not a CRL
# signer (RFC 5280 4.2.1.3 asks for cRLSign). Made with openssl, since the
# test PKI's profiles always carry keyUsage.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$S/signer-no-ku.key" 2>/dev/null
openssl x509 -x509toreq -in "$S/ca.pem" -key "$S/signer-no-ku.key" -out "$W/no-ku.csr"
printf '[e]\nbasicConstraints = critical,CA:TRUE,pathlen:0\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\ncertificatePolicies = 1.2.398.3.3.1.1\n' \
    > "$W/no-ku.ext"
openssl x509 -req -in "$W/no-ku.csr" -CA "$S/root.pem" -CAkey "$S/root.key" -days 30 \
    -set_serial 0x7e57c21 -extfile "$W/no-ku.ext" -extensions e -out "$S/signer-no-ku.pem" 2>/dev/null
crl by-signer-no-ku.crl --issuer-key "$S/signer-no-ku.key" --issuer-cert "$S/signer-no-ku.pem"
# A delta is applied only over a base of the same scope.
crl dp-base.crl --idp-uri "$DP" --number 50
$T revoke --dir "$S" --cert "$S/legal-employee.pem" --reason keyCompromise
crl dp-delta.crl --idp-uri "$DP" --number 51 --delta --base-number 50
crl plain-delta.crl --number 52 --delta --base-number 50
# Last: the signer's certificate revoked on the root's CRL.
$T revoke --dir "$S" --cert "$S/crl-signer.pem" --reason keyCompromise
crl root-signer-revoked.crl --issuer-name root
REV_TP_DIR=$H REV_TP_SCOPE=$S "$top_builddir/tests/unit/test_rev_pki"

# The same through the offline CLI, which offers the given anchors and
# intermediates as CRL signers and validates them with the same inputs.
TANBA=$top_builddir/ca-tools/tanba
cat "$S/chain.pem" "$S/crl-signer.pem" > "$S/untrusted.pem"
cli() { # want cert crl...
	want=$1 c=$2
	shift 2
	args=""
	for f in "$@"; do args="$args --crl $S/$f"; done
	# shellcheck disable=SC2086
	"$TANBA" check-cert --offline --anchors "$S/root.pem" --untrusted "$S/untrusted.pem" \
	    $args "$S/$c.pem" > "$W/out" 2>&1 || true
	got=$(head -n 1 "$W/out")
	[ "$got" = "$want" ] || { echo "FAIL: $c with $*: $got, want $want" >&2; cat "$W/out" >&2; exit 1; }
	echo "ok: $want: $c with $*"
}
cli VALID individual-auth root.crl by-signer.crl
cli CERT_REVOKED individual-sign root.crl by-signer.crl
cli REVOCATION_UNKNOWN individual-auth root-signer-revoked.crl by-signer.crl
cli VALID via-root root.crl indirect.crl
cli CERT_REVOKED via-root-revoked root.crl indirect.crl
cli REVOCATION_UNKNOWN individual-auth root.crl dp-other.crl
cli REVOCATION_UNKNOWN individual-auth root.crl kc.crl
cli VALID individual-auth root.crl kc.crl rest.crl
