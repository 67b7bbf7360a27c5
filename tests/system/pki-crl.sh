#!/bin/sh
# The test PKI's revoke and crl commands: full and delta CRLs that openssl
# accepts and reads as intended, CRLs from the wrong signer that it refuses,
# an `openssl ocsp` responder answering from the index, and a
# million-entry CRL made in bounded time.
set -u
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
pki_setup
pki_scratch
DIR="$WORK/pki"
# Everything happens in January 2026, whatever today's date.
"$TESTPKI" hierarchy --out "$DIR" --ca-alg rsa2048 --leaf-alg rsa2048 \
    --at 2026-01-01T00:00:00Z --delta-url http://127.0.0.1:1/delta.crl || pki_fail "hierarchy"
SER_AUTH=$(pki_manifest individual-auth serial)
SER_EMP=$(pki_manifest legal-employee serial)
SER_KU=$(pki_manifest wrong-ku serial)
SER_SIGN=$(pki_manifest individual-sign serial)

# An empty CRL first: no revokedCertificates at all.
"$TESTPKI" crl --dir "$DIR" --out "$WORK/empty.crl" --number 1 ||
	pki_fail "crl (empty)"
openssl crl -inform DER -in "$WORK/empty.crl" -noout -text > "$WORK/empty.txt" ||
	pki_fail "empty CRL unreadable"
pki_has "$WORK/empty.txt" "No Revoked Certificates" "empty CRL"

"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/individual-auth.pem" --reason keyCompromise \
    --at 2026-01-10T10:00:00Z || pki_fail "revoke keyCompromise"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/legal-employee.pem" --reason certificateHold \
    --at 2026-01-10T11:00:00Z || pki_fail "revoke certificateHold"
grep -q "^R	.*	260110100000Z,keyCompromise	$SER_AUTH	unknown	" "$DIR/index.txt" ||
	pki_fail "index.txt lacks the revocation: $(cat "$DIR/index.txt")"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/individual-auth.pem" 2>/dev/null &&
	pki_fail "revoked twice"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/individual-sign.pem" --reason removeFromCRL \
    2>/dev/null && pki_fail "removeFromCRL of a certificate not on hold"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/individual-sign.pem" --reason nonsense \
    2>/dev/null && pki_fail "unknown reason accepted"
pki_ok "revoke"

# Full CRL, DER and PEM.
"$TESTPKI" crl --dir "$DIR" --out "$WORK/full.crl" --der --number 5 \
    --this-update 2026-01-11T00:00:00Z --hours 48 || pki_fail "crl"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/full.pem" --pem --number 5 \
    --this-update 2026-01-11T00:00:00Z --hours 48 || pki_fail "crl --pem"
head -1 "$WORK/full.pem" | grep -qx -- "-----BEGIN X509 CRL-----" || pki_fail "PEM CRL header"
openssl crl -inform DER -in "$WORK/full.crl" -CAfile "$DIR/chain.pem" -verify -noout \
    2>&1 | grep -qx "verify OK" || pki_fail "full CRL does not verify"
openssl crl -in "$WORK/full.pem" -CAfile "$DIR/chain.pem" -verify -noout \
    2>&1 | grep -qx "verify OK" || pki_fail "PEM CRL does not verify"
openssl crl -inform DER -in "$WORK/full.crl" -noout -text > "$WORK/full.txt"
pki_has "$WORK/full.txt" "Last Update: Jan 11 00:00:00 2026 GMT" thisUpdate
pki_has "$WORK/full.txt" "Next Update: Jan 13 00:00:00 2026 GMT" nextUpdate
grep -A1 "X509v3 CRL Number" "$WORK/full.txt" | grep -qx " *5" || pki_fail "crlNumber 5"
pki_has "$WORK/full.txt" "X509v3 Authority Key Identifier" "CRL AKI"
pki_has "$WORK/full.txt" "URI:http://127.0.0.1:1/delta.crl" "CRL freshest CRL"
grep -A5 "Serial Number: $SER_AUTH" "$WORK/full.txt" | grep -q "Key Compromise" ||
	pki_fail "revoked certificate not listed with keyCompromise"
grep -A1 "Serial Number: $SER_AUTH" "$WORK/full.txt" |
	grep -q "Revocation Date: Jan 10 10:00:00 2026 GMT" || pki_fail "revocation date"
grep -A5 "Serial Number: $SER_EMP" "$WORK/full.txt" | grep -q "Certificate Hold" ||
	pki_fail "hold not listed"
pki_lacks "$WORK/full.txt" "Serial Number: $SER_SIGN" "good certificate listed"
pki_lacks "$WORK/full.txt" "Delta CRL Indicator" "full CRL as delta"

# The CRL is used by openssl verify -crl_check.
openssl verify -crl_check -attime 1768132800 -CAfile "$DIR/root.pem" \
    -untrusted "$DIR/ca.pem" -CRLfile "$WORK/full.pem" "$DIR/individual-auth.pem" \
    > "$WORK/v.txt" 2>&1 && pki_fail "revoked certificate verified with the CRL"
pki_has "$WORK/v.txt" "certificate revoked" "crl_check reason"
openssl verify -crl_check -attime 1768132800 -CAfile "$DIR/root.pem" \
    -untrusted "$DIR/ca.pem" -CRLfile "$WORK/full.pem" "$DIR/individual-sign.pem" \
    >/dev/null 2>&1 || pki_fail "good certificate refused with the CRL"
pki_ok "full CRL"

# Delta CRL: a hold released, another certificate revoked after the base.
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/legal-employee.pem" --reason removeFromCRL \
    --at 2026-01-12T09:00:00Z || pki_fail "release hold"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/wrong-ku.pem" --reason superseded \
    --at 2026-01-12T10:00:00Z || pki_fail "revoke superseded"
grep -q "^V	.*	$SER_EMP	" "$DIR/index.txt" || pki_fail "released hold still revoked in index"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/delta.crl" --number 6 --delta --base-number 5 \
    --this-update 2026-01-12T12:00:00Z || pki_fail "delta crl"
openssl crl -inform DER -in "$WORK/delta.crl" -CAfile "$DIR/chain.pem" -verify -noout \
    2>&1 | grep -qx "verify OK" || pki_fail "delta CRL does not verify"
openssl crl -inform DER -in "$WORK/delta.crl" -noout -text > "$WORK/delta.txt"
pki_has "$WORK/delta.txt" "X509v3 Delta CRL Indicator: critical" "deltaCRLIndicator"
grep -A1 "Delta CRL Indicator" "$WORK/delta.txt" | grep -qx " *5" || pki_fail "delta base 5"
grep -A1 "X509v3 CRL Number" "$WORK/delta.txt" | grep -qx " *6" || pki_fail "delta number 6"
grep -A5 "Serial Number: $SER_EMP" "$WORK/delta.txt" | grep -q "Remove From CRL" ||
	pki_fail "released hold not in delta as removeFromCRL"
grep -A5 "Serial Number: $SER_KU" "$WORK/delta.txt" | grep -q "Superseded" ||
	pki_fail "new revocation not in delta"
pki_lacks "$WORK/delta.txt" "Serial Number: $SER_AUTH" "delta: revocation from before the base"
pki_lacks "$WORK/delta.txt" "X509v3 Freshest CRL" "delta pointing at a delta"
# Without --since, the delta starts at its base's thisUpdate (crls.txt).
"$TESTPKI" crl --dir "$DIR" --out "$WORK/delta2.crl" --delta --base-number 5 ||
	pki_fail "delta without --since"
openssl crl -inform DER -in "$WORK/delta2.crl" -noout -text > "$WORK/delta2.txt"
pki_lacks "$WORK/delta2.txt" "Serial Number: $SER_AUTH" "delta2: revocation before base"
pki_has "$WORK/delta2.txt" "Serial Number: $SER_KU" "delta2: new revocation"
grep -A1 "X509v3 CRL Number" "$WORK/delta2.txt" | grep -qx " *7" ||
	pki_fail "next crlNumber is not 7"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/x.crl" --delta 2>/dev/null &&
	pki_fail "delta without a base accepted"
pki_ok "delta CRL"

# CRLs from the wrong signer.
"$TESTPKI" crl --dir "$DIR" --out "$WORK/other.crl" --issuer-cert "$DIR/other-ca.pem" \
    --issuer-key "$DIR/other-ca.key" || pki_fail "crl by other CA"
# openssl crl -verify exits 0 even on failure: its words are what count.
openssl crl -inform DER -in "$WORK/other.crl" -CAfile "$DIR/chain.pem" -verify -noout \
    > "$WORK/other.txt" 2>&1
pki_lacks "$WORK/other.txt" "verify OK" "CRL of another CA against the hierarchy"
openssl crl -inform DER -in "$WORK/other.crl" -CAfile "$DIR/other-ca.pem" -verify -noout \
    2>&1 | grep -qx "verify OK" || pki_fail "other CA's CRL is not signed by it"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/forged.crl" --issuer-cert "$DIR/ca.pem" \
    --issuer-key "$DIR/other-ca.key" || pki_fail "crl with ca's name, other key"
openssl crl -inform DER -in "$WORK/forged.crl" -CAfile "$DIR/chain.pem" -verify -noout \
    > "$WORK/forged.txt" 2>&1
pki_lacks "$WORK/forged.txt" "verify OK" "forged CRL"
pki_has "$WORK/forged.txt" "verify failure" "forged CRL signature"
pki_ok "CRLs from the wrong signer refused"

# openssl ocsp answers from the index.
PORT=$(pki_free_port) || pki_fail "no free port"
openssl ocsp -index "$DIR/index.txt" -CA "$DIR/ca.pem" -rsigner "$DIR/ocsp.pem" \
    -rkey "$DIR/ocsp.key" -port "$PORT" > "$WORK/ocspd.log" 2>&1 &
PKI_PIDS=$!
Q() {
	openssl ocsp -issuer "$DIR/ca.pem" -cert "$DIR/$1.pem" -url "http://127.0.0.1:$PORT" \
	    -CAfile "$DIR/chain.pem" > "$WORK/q-$1.txt" 2>&1
}
i=0
until Q individual-sign; do
	i=$((i + 1))
	[ $i -lt 50 ] || pki_fail "OCSP responder not answering: $(cat "$WORK/ocspd.log")"
	sleep 0.1
done
pki_has "$WORK/q-individual-sign.txt" "Response verify OK" "OCSP response signature"
pki_has "$WORK/q-individual-sign.txt" "individual-sign.pem: good" "OCSP good"
Q individual-auth || pki_fail "OCSP query"
pki_has "$WORK/q-individual-auth.txt" "individual-auth.pem: revoked" "OCSP revoked"
pki_has "$WORK/q-individual-auth.txt" "Reason: keyCompromise" "OCSP reason"
Q legal-employee || pki_fail "OCSP query"
pki_has "$WORK/q-legal-employee.txt" "legal-employee.pem: good" "OCSP released hold"
Q wrong-ku || pki_fail "OCSP query"
pki_has "$WORK/q-wrong-ku.txt" "wrong-ku.pem: revoked" "OCSP superseded"
kill "$PKI_PIDS" 2>/dev/null
wait "$PKI_PIDS" 2>/dev/null
PKI_PIDS=
pki_ok "openssl ocsp responder on index.txt"

# A million random entries, in bounded time.
start=$(date +%s.%N)
"$TESTPKI" crl --dir "$DIR" --out "$WORK/big.crl" --revoked-random 1000000 ||
	pki_fail "crl --revoked-random"
end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
echo "crl_1000000_entries_seconds $secs s"
awk -v s="$secs" 'BEGIN { exit !(s < 30) }' || pki_fail "1,000,000-entry CRL took $secs s"
size=$(stat -c %s "$WORK/big.crl")
[ "$size" -gt 35000000 ] || pki_fail "big CRL only $size bytes"
openssl crl -inform DER -in "$WORK/big.crl" -CAfile "$DIR/chain.pem" -verify -noout \
    2>&1 | grep -qx "verify OK" || pki_fail "big CRL does not verify"
# The index entries are in it too, ahead of the random ones.
openssl crl -inform DER -in "$WORK/big.crl" -noout -text 2>/dev/null | head -40 |
	grep -q "Serial Number: $SER_AUTH" || pki_fail "big CRL lacks the index entries"
pki_ok "1,000,000-entry CRL ($size bytes, $secs s)"
echo "PASS"
