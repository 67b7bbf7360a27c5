#!/bin/sh
# Evaluation times on the boundaries, through `tanba check-cert/verify
# --offline --at`: a certificate one second before notBefore, at notBefore,
# at notAfter (RFC 5280 4.1.2.5: the notAfter second is still valid) and one
# second after; a CRL at its nextUpdate second and one after, and at its
# thisUpdate less the clock-skew allowance (300 s) and one second earlier.
# The OCSP windows are in tests/unit/test_clock (libsig API).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VERDICT_TEST=clock
. "$top_srcdir/tests/system/setup.sh"
verdict_setup
P=$T/pki

# t EPOCH: the --at form of a time; e TEXT: its epoch.
t() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
e() { date -u -d "$1" +%s; }

"$TESTPKI" hierarchy --out "$P" >"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
OFF="--offline --anchors $P/root.pem --untrusted $P/chain.pem"
field() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" "$P/manifest.txt"; }
NB=$(e "$(field individual-sign not_before)")
NA=$(e "$(field individual-sign not_after)")
[ -n "$NB" ] && [ -n "$NA" ] || { echo "no validity in the manifest"; exit 99; }
CERT=$P/individual-sign.pem

# ---- the certificate's own window
expect CERT_NOT_YET_VALID 1 check-cert $OFF --no-revocation --at "$(t $((NB - 1)))" "$CERT"
expect VALID 0 check-cert $OFF --no-revocation --at "$(t "$NB")" "$CERT"
expect VALID 0 check-cert $OFF --no-revocation --at "$(t "$NA")" "$CERT"
expect CERT_EXPIRED 1 check-cert $OFF --no-revocation --at "$(t $((NA + 1)))" "$CERT"
# A leaf that outlives its CA: at the CA's notAfter second the path holds,
# one second later the CA has expired (the leaf itself is still in date).
CA_NA=$(e "$(field ca not_after)")
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/long.key" 2>/dev/null &&
"$TESTPKI" issue --dir "$P" --key "$T/long.key" --profile individual-sign \
    --iin "$(field individual-sign iin)" --not-after "$(t $((CA_NA + 86400)))" \
    --out "$T/long.pem" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
expect VALID 0 check-cert $OFF --no-revocation --at "$(t "$CA_NA")" "$T/long.pem"
expect CERT_EXPIRED 1 check-cert $OFF --no-revocation --lang en --at "$(t $((CA_NA + 1)))" "$T/long.pem"
grep -q "certification authority.*ISSUING CA.* expired" "$T/out" || fail "the expired CA is not named"

# ---- a signature by that certificate, evaluated at the same edges
printf 'Анықтама: шекара секунды\n' > "$T/doc.txt"
"$TESTPKI" cms --cert "$CERT" --key "$P/individual-sign.key" --in "$T/doc.txt" \
    --out "$T/doc.p7s" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
expect VALID 0 verify $OFF --no-revocation --at "$(t "$NA")" "$T/doc.p7s"
expect CERT_EXPIRED 1 verify $OFF --no-revocation --at "$(t $((NA + 1)))" "$T/doc.p7s"
expect CERT_NOT_YET_VALID 1 verify $OFF --no-revocation --at "$(t $((NB - 1)))" "$T/doc.p7s"

# ---- CRL windows: thisUpdate an hour ago, nextUpdate in a day
NOW=$(date -u +%s)
TU=$((NOW - 3600))
NU=$((NOW + 86400))
"$TESTPKI" revoke --dir "$P" --cert "$P/individual-auth.pem" --reason keyCompromise \
    --at "$(t $((NOW - 7200)))" >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" crl --dir "$P" --out "$T/ca.crl" --der --this-update "$(t $TU)" \
    --next-update "$(t $NU)" >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" crl --dir "$P" --out "$T/root.crl" --der --issuer-key "$P/root.key" \
    --issuer-cert "$P/root.pem" --this-update "$(t $TU)" --next-update "$(t $NU)" \
    >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
CRLS="--crl $T/ca.crl --crl $T/root.crl"
expect VALID 0 check-cert $OFF $CRLS --at "$(t $NU)" "$CERT"
expect REVOCATION_UNKNOWN 1 check-cert $OFF $CRLS --at "$(t $((NU + 1)))" "$CERT"
grep -q "nextUpdate" "$T/out" || fail "CRL past nextUpdate: reason not given"
expect CERT_REVOKED 1 check-cert $OFF $CRLS --at "$(t $NU)" "$P/individual-auth.pem"
# Past nextUpdate a revoked certificate is not reported good either.
expect REVOCATION_UNKNOWN 1 check-cert $OFF $CRLS --at "$(t $((NU + 1)))" "$P/individual-auth.pem"
expect VALID 0 check-cert $OFF $CRLS --at "$(t $((TU - 300)))" "$CERT"
expect REVOCATION_UNKNOWN 1 check-cert $OFF $CRLS --at "$(t $((TU - 301)))" "$CERT"
grep -q "in the future" "$T/out" || fail "CRL from the future: reason not given"
# A signature at the CRL's last second, and one second later.
expect VALID 0 verify $OFF $CRLS --at "$(t $NU)" "$T/doc.p7s"
expect REVOCATION_UNKNOWN 1 verify $OFF $CRLS --at "$(t $((NU + 1)))" "$T/doc.p7s"

# ---- RFC 3339 input: offsets and fractions name the same second; the
# answer says the time was given (time_source "at") in JSON alone on stdout.
# o EPOCH: that instant written in +05:00 with a fraction.
o() { date -u -d "@$(($1 + 18000))" +%Y-%m-%dT%H:%M:%S.75+05:00; }
expect CERT_EXPIRED 1 check-cert $OFF --no-revocation --at "$(o $((NA + 1)))" "$CERT"
expect VALID 0 check-cert $OFF --no-revocation --json --at "$(o "$NA")" "$CERT"
python3 - "$T/out" "$(t "$NA")" <<'PY' || fail "--at: JSON answer"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["time_source"] == "at" and j["evaluation_time"] == sys.argv[2], j
assert j["certificate"]["time_source"] == "at", j["certificate"]
PY
expect "" 2 check-cert $OFF --no-revocation --at "2026-01-31T12:00:00" "$CERT"
grep -q "RFC 3339" "$T/err" || fail "a time without offset: $(cat "$T/err")"
expect VALID 0 check-cert $OFF --no-revocation --json "$CERT"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["time_source"] == "now", j' "$T/out" ||
    fail "time_source without --at"

# ---- a hierarchy made after 2049 (every date a GeneralizedTime)
P2=$T/pki2050
"$TESTPKI" hierarchy --out "$P2" --at 2050-01-01T00:00:00Z >"$T/testpki.log" 2>&1 ||
    { cat "$T/testpki.log"; exit 99; }
OFF2="--offline --anchors $P2/root.pem --untrusted $P2/chain.pem"
openssl x509 -in "$P2/individual-sign.pem" -noout -enddate | grep -q 2051 ||
    fail "the test PKI of 2050: $(openssl x509 -in "$P2/individual-sign.pem" -noout -dates)"
expect VALID 0 check-cert $OFF2 --no-revocation --at 2050-03-01T12:00:00.5+06:00 "$P2/individual-sign.pem"
expect CERT_NOT_YET_VALID 1 check-cert $OFF2 --no-revocation --at 2049-12-01T00:00:00Z "$P2/individual-sign.pem"
expect CERT_EXPIRED 1 check-cert $OFF2 --no-revocation --at 2099-01-01T00:00:00Z "$P2/individual-sign.pem"

[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "PASS"
