#!/bin/sh
# CRLs from the test PKI (tanba-testpki): a complete CRL and a delta CRL
# over it, and a complete CRL with 1,000,000 entries that must load in
# under 3 s into an index smaller than twice its DER. Checked by
# tests/test_rev_pki.
set -eu
top_builddir=${top_builddir:-$(pwd)}
T=$top_builddir/ca-tools/tanba-testpki
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
REV_TP_DIR=$H "$top_builddir/tests/test_rev_pki"
