#!/bin/sh
# CAdES-T with real parts: `openssl ts -reply` as the TSA behind a loopback
# HTTP server (tests/system/tsa-httpd.py), RSA and EC TSA certificates issued by
# the test PKI (profile tsa: timeStamping, critical). `tanba timestamp`
# adds tokens to CMS made by `openssl cms`; `tanba verify --offline` reads
# them, and judges the signer at the stamp's time (--time timestamp) after
# its certificate expired. The TSA certificate's revocation is checked at
# the stamp's time (revoked before, or for keyCompromise after: refused;
# superseded after: reported). Faults: TSA down, slow (cut by the timeout), a
# replayed answer (wrong nonce), garbage, an untrusted TSA, a bad --signer.
# GOST TSAs from the test PKI: 34.10-2015, and 34.310-2004 as the NCA's test
# TSA signs (its token read independently with tests/system/tst-read.py and rhash).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VERDICT_TEST=tsa-stamp
. "$top_srcdir/tests/system/setup.sh"
verdict_setup

P=$T/pki
W=$T/tsa
mkdir -p "$W"
"$TESTPKI" hierarchy --out "$P" --ca-alg rsa2048 --leaf-alg rsa2048 >"$T/testpki.log" 2>&1 ||
    { cat "$T/testpki.log"; exit 99; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa.key" 2>/dev/null &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/ec.key" 2>/dev/null ||
    exit 99
for k in rsa ec; do
	"$TESTPKI" issue --dir "$P" --key "$W/$k.key" --profile tsa --out "$W/$k.pem" \
	    >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
done
cat "$P/ca.pem" > "$W/chain.pem"
cat "$P/root.pem" "$P/ca.pem" > "$T/cafile.pem"
# An unrelated root: a TSA trust list the test TSA is not under.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other.pem" \
    -subj "/CN=Other Root" -days 30 2>/dev/null || exit 99

# A GOST 34.10-2015 TSA from the test PKI, where the GOST engine is.
GOST=
if "$TESTPKI" hierarchy --out "$T/gpki" --ca-alg gost512 --leaf-alg gost512 >"$T/gpki.log" 2>&1 &&
    "$TESTPKI" issue --dir "$T/gpki" --key "$T/gpki/legal-sign.key" --profile tsa \
    --out "$W/gost.pem" >>"$T/gpki.log" 2>&1; then
	cp "$T/gpki/legal-sign.key" "$W/gost.key"
	cat "$T/gpki/root.pem" "$T/gpki/ca.pem" > "$T/gcafile.pem"
	GOST=1
	# A GOST 34.310-2004 TSA, as the NCA's test TSA signs: its key and
	# certificate from a test-PKI hierarchy whose leaves are GOST 2004.
	"$TESTPKI" hierarchy --out "$T/g4pki" --ca-alg gost512 --leaf-alg gost2004 \
	    >"$T/g4pki.log" 2>&1 &&
	    "$TESTPKI" issue --dir "$T/g4pki" --key "$T/g4pki/legal-sign.key" --profile tsa \
	    --out "$W/gost2004.pem" >>"$T/g4pki.log" 2>&1 || { cat "$T/g4pki.log"; exit 99; }
	cp "$T/g4pki/legal-sign.key" "$W/gost2004.key"
	cat "$T/g4pki/root.pem" "$T/g4pki/ca.pem" > "$T/g4cafile.pem"
else
	echo "skip: no GOST test PKI here: $(tail -n 1 "$T/gpki.log")"
fi

PF=$W/port
TESTPKI=$TESTPKI python3 "$top_srcdir/tests/system/tsa-httpd.py" "$W" "$PF" 2>"$T/tsa.log" &
TSA_PID=$!
trap 'kill $TSA_PID 2>/dev/null; wait $TSA_PID 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -f "$PF" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "TSA did not start"; cat "$T/tsa.log"; exit 99; }
	sleep 0.1
done
URL=http://127.0.0.1:$(cat "$PF")

printf 'Өтініш: уақыт белгісі бар құжат\n' > "$T/doc.txt"
openssl cms -sign -binary -nodetach -outform DER -in "$T/doc.txt" \
    -signer "$P/legal-sign.pem" -inkey "$P/legal-sign.key" -certfile "$P/ca.pem" \
    -out "$T/doc.p7s" 2>"$T/err" || { cat "$T/err"; exit 99; }
OFF="verify --offline --anchors $P/root.pem --untrusted $P/chain.pem --no-revocation --no-check-iin-checksum"
STAMP="timestamp --tsa-anchors $T/cafile.pem"

# json FILE EXPR: a Python expression over the answer j.
json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

for k in rsa ec; do
	expect "" 0 $STAMP --tsa-url "$URL/$k" -o "$T/doc-$k.p7s" "$T/doc.p7s"
	expect VALID 0 $OFF --json "$T/doc-$k.p7s"
	got=$(json "$T/out" 'j["signer"]["timestamp"]["verdict"], j["signer"]["timestamp"]["policy"], j["signer"]["timestamp"]["hash"], "ТАҢБА TEST TSA" in j["signer"]["timestamp"]["tsa"]')
	[ "$got" = "VALID 1.2.398.3.3.2.6.1 SHA256 True" ] ||
	    [ "$got" = "('VALID', '1.2.398.3.3.2.6.1', 'SHA256', True)" ] ||
	    fail "$k: timestamp report '$got'"
done
# The signed part is unchanged: OpenSSL still verifies the stamped CMS.
openssl cms -verify -binary -inform DER -in "$T/doc-rsa.p7s" -CAfile "$T/cafile.pem" \
    -purpose any -out /dev/null 2>"$T/err" || fail "openssl cms -verify of the stamped CMS: $(cat "$T/err")"
# A policy and hash asked for are what the token carries.
expect "" 0 $STAMP --tsa-url "$URL/ec" --tsa-policy 1.2.398.3.3.2.6.2 --tsa-hash sha512 \
    -o "$T/doc-pol.p7s" "$T/doc.p7s"
expect VALID 0 $OFF --json "$T/doc-pol.p7s"
got=$(json "$T/out" 'j["signer"]["timestamp"]["policy"] + " " + j["signer"]["timestamp"]["hash"]')
[ "$got" = "1.2.398.3.3.2.6.2 SHA512" ] || fail "policy/hash asked: '$got'"

# GOST 34.10-2015 tokens with GOST imprints: 34.311-95 (test S-box, as the
# NCA's TSA) and Streebog-512.
if [ -n "$GOST" ]; then
	for h in gost34311-95 streebog512; do
		expect "" 0 timestamp --tsa-anchors "$T/gcafile.pem" --tsa-url "$URL/gost" \
		    --tsa-hash $h -o "$T/doc-$h.p7s" "$T/doc.p7s"
		expect VALID 0 $OFF --tsa-anchors "$T/gcafile.pem" --json "$T/doc-$h.p7s"
		got=$(json "$T/out" 'j["signer"]["timestamp"]["verdict"] + " " + j["signer"]["timestamp"]["hash"]')
		case $h in
		gost34311-95) want="VALID 1.2.398.3.10.1.3.1.1.0" ;;
		*) want="VALID 1.2.398.3.10.1.3.3" ;;
		esac
		[ "$got" = "$want" ] || fail "GOST TSA, $h: '$got', expected '$want'"
	done
	# The GOST TSA outside the signers' trust list (no --tsa-anchors): refused.
	expect CHAIN_UNTRUSTED 1 $OFF "$T/doc-gost34311-95.p7s"

	# GOST 34.310-2004 tokens (the NCA's test TSA): signed with
	# 1.2.398.3.10.1.1.1.2 over attributes hashed with GOST 34.311-95 (test
	# S-box), the imprint GOST 34.311-95 of the signature value as stored.
	G4="--tsa-anchors $T/g4cafile.pem"
	expect "" 0 timestamp $G4 --tsa-url "$URL/gost2004" --tsa-hash gost34311-95 \
	    -o "$T/doc-g4.p7s" "$T/doc.p7s"
	expect VALID 0 $OFF $G4 --json "$T/doc-g4.p7s"
	got=$(json "$T/out" 'j["signer"]["timestamp"]["verdict"] + " " + j["signer"]["timestamp"]["hash"] + " " + str("ТАҢБА TEST TSA" in j["signer"]["timestamp"]["tsa"])')
	[ "$got" = "VALID 1.2.398.3.10.1.3.1.1.0 True" ] || fail "GOST 2004 TSA: '$got'"
	# What the token is, read without libsig: signed with GOST 2004's
	# OIDs, and its imprint is what rhash --gost94 (the test S-box) makes
	# of the SignerInfo's signature value as stored.
	python3 "$top_srcdir/tests/system/tst-read.py" "$T/doc-g4.p7s" "$T/g4.sv" > "$T/g4.read" ||
	    fail "GOST 2004 token: not readable"
	grep -qx "signer 1.2.398.3.10.1.3.1.1.0 1.2.398.3.10.1.1.1.2" "$T/g4.read" ||
	    fail "GOST 2004 token: signer algorithms $(cat "$T/g4.read")"
	if command -v rhash >/dev/null 2>&1; then
		want=$(rhash --gost94 --simple "$T/g4.sv" | cut -d' ' -f1)
		grep -qx "imprint 1.2.398.3.10.1.3.1.1.0 $want" "$T/g4.read" ||
		    fail "GOST 2004 token: imprint is not rhash --gost94 of the signature: $(cat "$T/g4.read")"
	else
		echo "skip: no rhash for the independent imprint check"
	fi
	# One byte of the token's signature flipped (the last byte of the CMS):
	# the token is refused, and with it the signature.
	python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[-1]^=1; open(sys.argv[2],"wb").write(b)' \
	    "$T/doc-g4.p7s" "$T/doc-g4-bad.p7s"
	expect SIGNATURE_INVALID 1 $OFF $G4 --json "$T/doc-g4-bad.p7s"
	[ "$(json "$T/out" 'j["reasons"][0]["id"]')" = SIGNATURE_INVALID.timestamp ] ||
	    fail "GOST 2004 token with a flipped byte: $(cat "$T/out")"
	grep -q "gost2004 signature does not verify" "$T/out" || fail "GOST 2004 flipped byte: reason"
	# A GOST 2004 signer stamped by the GOST 2004 TSA, judged at the stamp
	# after its certificate expired.
	"$TESTPKI" cms --cert "$T/g4pki/legal-sign.pem" --key "$T/g4pki/legal-sign.key" \
	    --in "$T/doc.txt" --out "$T/g4doc.p7s" >>"$T/g4pki.log" 2>&1 || { cat "$T/g4pki.log"; exit 99; }
	expect "" 0 timestamp $G4 --tsa-url "$URL/gost2004" --tsa-hash gost34311-95 \
	    -o "$T/g4doc-ts.p7s" "$T/g4doc.p7s"
	G4OFF="verify --offline --anchors $T/g4pki/root.pem --untrusted $T/g4pki/chain.pem --no-revocation --no-check-iin-checksum $G4"
	end=$(openssl x509 -in "$T/g4pki/legal-sign.pem" -noout -enddate | cut -d= -f2)
	later=$(python3 -c 'import sys,datetime; t=datetime.datetime.strptime(sys.argv[1], "%b %d %H:%M:%S %Y %Z")+datetime.timedelta(days=1); print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$end")
	expect VALID 0 $G4OFF --json "$T/g4doc-ts.p7s"
	grep -q '"algorithm": "gost2004"' "$T/out" || fail "GOST 2004 signer: algorithm not said"
	expect VALID 0 $G4OFF --at "$later" --time timestamp "$T/g4doc-ts.p7s"
	expect CERT_EXPIRED 1 $G4OFF --at "$later" "$T/g4doc-ts.p7s"
fi

# Judged at the stamp: a day after the signer's certificate expired.
end=$(openssl x509 -in "$P/legal-sign.pem" -noout -enddate | cut -d= -f2)
later=$(python3 -c 'import sys,datetime; t=datetime.datetime.strptime(sys.argv[1], "%b %d %H:%M:%S %Y %Z")+datetime.timedelta(days=1); print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$end")
expect VALID 0 $OFF --at "$later" --time timestamp --json "$T/doc-rsa.p7s"
[ "$(json "$T/out" 'j["time_source"]')" = timestamp ] || fail "time_source is not timestamp"
expect CERT_EXPIRED 1 $OFF --at "$later" "$T/doc-rsa.p7s"
expect CERT_EXPIRED 1 $OFF --at "$later" --time timestamp "$T/doc.p7s"

# Revoked after the stamp: VALID at the stamp with revoked_later, CERT_REVOKED
# now; revoked before the stamp: CERT_REVOKED at the stamp too. The CRLs are
# issued three days on, when the clock (--at) is set.
at() { python3 -c 'import sys,datetime; print((datetime.datetime.now(datetime.timezone.utc)+datetime.timedelta(hours=float(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }
for c in later before; do
	"$TESTPKI" issue --dir "$P" --key "$P/legal-sign.key" --profile legal-sign \
	    --out "$T/rev-$c.pem" >>"$T/testpki.log" 2>&1 || exit 99
	openssl cms -sign -binary -nodetach -outform DER -in "$T/doc.txt" \
	    -signer "$T/rev-$c.pem" -inkey "$P/legal-sign.key" -out "$T/rev-$c.p7s" 2>/dev/null || exit 99
	expect "" 0 $STAMP --tsa-url "$URL/rsa" -o "$T/rev-$c-ts.p7s" "$T/rev-$c.p7s"
done
# TSA certificates (tsa profile, the RSA TSA's key) revoked around their stamps:
# superseded after it, keyCompromise after it, superseded before it.
for c in tsalater tsacompromised tsabefore; do
	cp "$W/rsa.key" "$W/$c.key"
	"$TESTPKI" issue --dir "$P" --key "$W/$c.key" --profile tsa --out "$W/$c.pem" \
	    >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
	expect "" 0 $STAMP --tsa-url "$URL/$c" -o "$T/doc-$c.p7s" "$T/doc.p7s"
done
"$TESTPKI" revoke --dir "$P" --cert "$W/tsalater.pem" --reason superseded --at "$(at 24)" \
    >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" revoke --dir "$P" --cert "$W/tsacompromised.pem" --reason keyCompromise --at "$(at 24)" \
    >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" revoke --dir "$P" --cert "$W/tsabefore.pem" --reason superseded --at "$(at -1)" \
    >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" revoke --dir "$P" --cert "$T/rev-later.pem" --reason keyCompromise --at "$(at 24)" \
    >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" revoke --dir "$P" --cert "$T/rev-before.pem" --reason keyCompromise --at "$(at -1)" \
    >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" crl --dir "$P" --out "$T/ca.crl" --der --at "$(at 72)" >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" crl --dir "$P" --out "$T/root.crl" --der --issuer-key "$P/root.key" \
    --issuer-cert "$P/root.pem" --at "$(at 72)" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
REV="verify --offline --anchors $P/root.pem --untrusted $P/chain.pem --no-check-iin-checksum --crl $T/ca.crl --crl $T/root.crl --at $(at 73)"
expect VALID 0 $REV --time timestamp --json "$T/rev-later-ts.p7s"
[ "$(json "$T/out" 'j["signer"]["revocation"]["revoked_later"]')" = True ] ||
    fail "revoked after the stamp: no revoked_later"
expect CERT_REVOKED 1 $REV "$T/rev-later-ts.p7s"
expect CERT_REVOKED 1 $REV --time timestamp "$T/rev-before-ts.p7s"

# The TSA certificate's own revocation, judged at the stamp's genTime and
# reported beside the stamp.
expect VALID 0 $REV --json "$T/doc-rsa.p7s"
got=$(json "$T/out" 'j["signer"]["timestamp"]["tsa_revocation"]["status"] + " " + j["signer"]["timestamp"]["tsa_revocation"]["source"]')
[ "$got" = "good crl" ] || fail "TSA revocation of a good TSA: '$got'"
expect VALID 0 $REV --json "$T/doc-tsalater.p7s"
got=$(json "$T/out" 'j["signer"]["timestamp"]["tsa_revocation"]["status"] + " " + str(j["signer"]["timestamp"]["tsa_revocation"]["revoked_later"])')
[ "$got" = "good True" ] || fail "TSA superseded after the stamp: '$got'"
expect CERT_REVOKED 1 $REV --json "$T/doc-tsacompromised.p7s"
[ "$(json "$T/out" 'j["reasons"][0]["id"]')" = CERT_REVOKED.timestamp ] ||
    fail "TSA key compromised after the stamp: $(cat "$T/out")"
grep -q "keyCompromise after the stamp" "$T/out" || fail "TSA key compromise: reason not said"
expect CERT_REVOKED 1 $REV --json "$T/doc-tsabefore.p7s"
[ "$(json "$T/out" 'j["reasons"][0]["id"]')" = CERT_REVOKED.timestamp ] ||
    fail "TSA revoked before the stamp: $(cat "$T/out")"
# No revocation source: reported as not checked, with the reason.
expect VALID 0 $OFF --json "$T/doc-rsa.p7s"
got=$(json "$T/out" 'j["signer"]["timestamp"]["tsa_revocation"]["status"] + " " + str("no revocation source" in j["signer"]["timestamp"]["tsa_revocation"]["detail"])')
[ "$got" = "not_checked True" ] || fail "TSA revocation without a source: '$got'"

# A token from a TSA outside the TSA trust list refuses the signature.
expect CHAIN_UNTRUSTED 1 $OFF --tsa-anchors "$T/other.pem" "$T/doc-rsa.p7s"

# Faults of the TSA: each an error naming the cause, no output written.
expect "" 2 $STAMP --tsa-url "http://127.0.0.1:1/rsa" -o "$T/x.p7s" "$T/doc.p7s"
grep -q "127.0.0.1:1" "$T/err" || fail "TSA down: no URL in the error"
expect "" 2 $STAMP --tsa-url "$URL/slow/rsa" --timeout-ms 1500 -o "$T/x.p7s" "$T/doc.p7s"
grep -q "timed out" "$T/err" || fail "slow TSA: not a timeout"
expect "" 2 $STAMP --tsa-url "$URL/garbage" -o "$T/x.p7s" "$T/doc.p7s"
grep -q "not a TimeStampResp" "$T/err" || fail "garbage: wrong error"
expect "" 0 $STAMP --tsa-url "$URL/replay/rsa" -o "$T/x.p7s" "$T/doc.p7s"
expect "" 2 $STAMP --tsa-url "$URL/replay/rsa" -o "$T/x2.p7s" "$T/doc.p7s"
grep -q "nonce" "$T/err" || fail "replayed answer: no nonce error"
expect "" 2 timestamp --tsa-anchors "$T/other.pem" --tsa-url "$URL/rsa" -o "$T/x2.p7s" "$T/doc.p7s"
grep -q "CHAIN_UNTRUSTED" "$T/err" || fail "untrusted TSA: wrong error"
expect "" 2 $STAMP --tsa-url "$URL/rsa" --signer 3 -o "$T/x2.p7s" "$T/doc.p7s"
[ ! -e "$T/x2.p7s" ] || fail "an output was written on error"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
