#!/bin/sh
# The test PKI's Kazakh GOST 34.10-2015 hierarchies: certificates with the
# Kazakh OIDs and the NCA profile, CRLs and delta CRLs, OCSP responses from
# `tanba-testpki ocsp-respond`, and CMS signatures (attached, detached, no
# attributes, GOST and RSA signers mixed). Every GOST signature verifies
# through libsig (tests/system/gost-check) and one flipped byte makes it fail.
set -u
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
pki_setup
CHECK="$top_builddir/tests/system/gost-check"
[ -x "$CHECK" ] || pki_fail "$CHECK not built"
"$CHECK" --available > /dev/null
[ $? -eq 77 ] && { echo "SKIP: GOST engine or provider not installed"; exit 77; }
pki_scratch
DIR="$WORK/gost"
OCSP_URL=http://127.0.0.1:1/ocsp
CRL_URL=http://127.0.0.1:1/ca.crl
DELTA_URL=http://127.0.0.1:1/delta.crl

# ok FILE SIGNER...: gost-check accepts, on GOST (or the algorithm in $WANT).
ok() {
	f=$1
	shift
	"$CHECK" "$f" "$@" > "$WORK/check.txt" 2>&1 ||
		pki_fail "$(basename -- "$f") refused: $(cat "$WORK/check.txt")"
	pki_has "$WORK/check.txt" "OK (${WANT:-gost2015-512})" "$(basename -- "$f") algorithm"
}
# bad FILE SIGNER...: gost-check refuses with "signature invalid" (exit 1).
bad() {
	f=$1
	shift
	"$CHECK" "$f" "$@" > "$WORK/check.txt" 2>&1
	rc=$?
	[ $rc -eq 1 ] || pki_fail "$(basename -- "$f"): wanted refusal (1), got $rc: $(cat "$WORK/check.txt")"
}
# flip IN OUT OFFSET: a copy with one bit flipped (negative OFFSET: from the end).
flip() {
	python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[3])] ^= 1
open(sys.argv[2], "wb").write(b)' "$1" "$2" "$3" || pki_fail "flip $1"
}
der() { openssl x509 -in "$DIR/$1.pem" -outform DER -out "$WORK/$1.der" || pki_fail "der $1"; }
# The Kazakh signature OID 1.2.398.3.10.1.1.2.3.2, as DER.
SIG_OID_HEX=060a2a830e030a010102030205
# offset_after FILE HEX N: offset of the first HEX in FILE, plus N.
offset_after() {
	python3 -c 'import sys
i = open(sys.argv[1], "rb").read().find(bytes.fromhex(sys.argv[2]))
print(i + int(sys.argv[3]) if i >= 0 else -1)' "$1" "$2" "$3"
}

"$TESTPKI" hierarchy --out "$DIR" --ca-alg gost512 --leaf-alg gost512 \
    --ocsp-url "$OCSP_URL" --crl-url "$CRL_URL" --delta-url "$DELTA_URL" ||
	pki_fail "hierarchy gost512"
LEAVES="individual-sign individual-auth legal-sign legal-employee expired notyet
    wrong-ku wrong-role wrong-iin unknown-issuer broken-sig ocsp"
for n in root ca other-ca $LEAVES; do
	[ -s "$DIR/$n.pem" ] && [ -s "$DIR/$n.key" ] || pki_fail "missing $n.pem/.key"
done
head -1 "$DIR/individual-sign.key" | grep -qx -- '-----BEGIN PRIVATE KEY-----' ||
	pki_fail "GOST key is not PKCS#8 PEM"
[ "$(stat -c %a "$DIR/ca.key")" = 600 ] || pki_fail "ca.key mode is not 600"
pki_ok "gost512 hierarchy files"

# Kazakh OIDs: key and parameters in the SPKI, signature inside and outside,
# and a 128-byte signature value.
der individual-sign
openssl asn1parse -inform DER -in "$WORK/individual-sign.der" > "$WORK/is.asn1" ||
	pki_fail "asn1parse"
grep -q "OBJECT *:1.2.398.3.10.1.1.2.2 *$" "$WORK/is.asn1" || pki_fail "key OID"
grep -q "OBJECT *:1.2.398.3.10.1.1.2.2.1 *$" "$WORK/is.asn1" || pki_fail "param OID"
[ "$(grep -c "OBJECT *:1.2.398.3.10.1.1.2.3.2 *$" "$WORK/is.asn1")" -eq 2 ] ||
	pki_fail "signature OID not in TBS and outer"
tail -1 "$WORK/is.asn1" | grep -q "l= *129 prim: BIT STRING" ||
	pki_fail "signature is not 128 bytes: $(tail -1 "$WORK/is.asn1")"
pki_ok "Kazakh OIDs"

# Every certificate's signature, through libsig.
ok "$DIR/root.pem" "$DIR/root.pem"
ok "$DIR/ca.pem" "$DIR/root.pem"
for n in individual-sign individual-auth legal-sign legal-employee expired notyet \
    wrong-ku wrong-role wrong-iin ocsp; do
	ok "$DIR/$n.pem" "$DIR/ca.pem"
done
ok "$DIR/other-ca.pem" "$DIR/other-ca.pem"
ok "$DIR/unknown-issuer.pem" "$DIR/other-ca.pem"
bad "$DIR/unknown-issuer.pem" "$DIR/ca.pem"
bad "$DIR/broken-sig.pem" "$DIR/ca.pem"
bad "$DIR/ca.pem" "$DIR/ca.pem"
[ "$(openssl x509 -in "$DIR/broken-sig.pem" -noout -serial)" = \
    "$(openssl x509 -in "$DIR/individual-sign.pem" -noout -serial)" ] ||
	pki_fail "broken-sig is not a copy of individual-sign"
flip "$WORK/individual-sign.der" "$WORK/tbs-flip.der" 20
bad "$WORK/tbs-flip.der" "$DIR/ca.pem"
flip "$WORK/individual-sign.der" "$WORK/sig-flip.der" -1
bad "$WORK/sig-flip.der" "$DIR/ca.pem"
pki_ok "certificate signatures verify through libsig; flipped bytes refused"

# The NCA profile, as on RSA; a 2015 signing key also encrypts.
T() { openssl x509 -in "$DIR/$1.pem" -noout -text -nameopt utf8,sep_comma_plus_space \
    > "$WORK/$1.txt" 2>&1 || pki_fail "x509 -text $1"; echo "$WORK/$1.txt"; }
IIN=$(pki_manifest individual-sign iin)
BIN=$(pki_manifest legal-sign bin)
pki_iin_valid "$IIN" || pki_fail "IIN check digit"
t=$(T individual-sign)
pki_has "$t" "Subject: CN=ҚАСЫМОВ ӘЛИХАН, SN=ҚАСЫМОВ, serialNumber=IIN$IIN, C=KZ, GN=ҚАЙРАТҰЛЫ" subject
pki_has "$t" "Digital Signature, Non Repudiation, Key Encipherment" "GOST sign KU"
pki_has "$t" "E-mail Protection, 1.2.398.3.3.4.1.1" "sign EKU+role"
pki_has "$t" "URI:$CRL_URL" "CRL DP"
pki_has "$t" "URI:$DELTA_URL" "delta URL"
pki_has "$t" "OCSP - URI:$OCSP_URL" "AIA OCSP"
pki_has "$(T individual-auth)" "Digital Signature, Key Encipherment" "auth KU"
t=$(T legal-sign)
pki_has "$t" "OU=BIN$BIN" "legal subject"
pki_has "$t" "1.2.398.3.3.4.1.2, 1.2.398.3.3.4.1.2.1" "first-head role"
grep -A1 "X509v3 Key Usage: critical" "$t" | tail -1 | grep -qx " *Digital Signature, Non Repudiation" ||
	pki_fail "legal-sign KU changed"
pki_has "$(T legal-employee)" "1.2.398.3.3.4.1.2.5" "employee role"
grep -A1 "X509v3 Key Usage: critical" "$(T wrong-ku)" | tail -1 | grep -qx " *Key Encipherment" ||
	pki_fail "wrong-ku KU is not keyEncipherment alone"
pki_lacks "$(T wrong-role)" "OU=BIN" "wrong-role subject"
pki_iin_valid "$(pki_manifest wrong-iin iin)" && pki_fail "wrong-iin IIN passes"
t=$(T ocsp)
pki_has "$t" "OCSP Signing" "responder EKU"
pki_has "$t" "OCSP No Check" "responder nocheck"
pki_has "$(T ca)" "CA:TRUE, pathlen:0" "CA pathlen"
openssl x509 -in "$DIR/expired.pem" -noout -checkend 0 >/dev/null 2>&1 && pki_fail "expired is valid"
openssl x509 -in "$DIR/notyet.pem" -noout -checkend 0 >/dev/null 2>&1 || pki_fail "notyet ends now"
nb=$(date -d "$(openssl x509 -in "$DIR/notyet.pem" -noout -startdate | sed 's/^notBefore=//')" +%s)
[ "$nb" -gt "$(date +%s)" ] || pki_fail "notyet is already valid"
pki_ok "NCA profile on GOST certificates"

# issue: a GOST key (signing profile keeps the 2015 usages), and an RSA key
# certified by the GOST CA (mixed chains).
"$TESTPKI" issue --dir "$DIR" --key "$DIR/notyet.key" --profile individual-sign \
    --out "$WORK/i1.pem" --cn "БЕКОВ АЙДОС" --iin 000101500017 || pki_fail "issue --key gost"
ok "$WORK/i1.pem" "$DIR/ca.pem"
openssl x509 -in "$WORK/i1.pem" -noout -text > "$WORK/i1.txt"
pki_has "$WORK/i1.txt" "Key Encipherment" "issued GOST individual-sign KU"
pki_has "$WORK/i1.txt" "Public Key Algorithm: 1.2.398.3.10.1.1.2.2" "issued key OID"
"$TESTPKI" issue --dir "$DIR" --key "$DIR/ca.key" --profile ca --issuer-name root \
    --out "$WORK/sub.pem" || pki_fail "issue from root"
ok "$WORK/sub.pem" "$DIR/root.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.key" 2>/dev/null ||
	pki_fail "genpkey RSA"
"$TESTPKI" issue --dir "$DIR" --key "$WORK/rsa.key" --profile legal-sign \
    --out "$WORK/rsa.pem" || pki_fail "issue RSA key from GOST CA"
ok "$WORK/rsa.pem" "$DIR/ca.pem"
openssl x509 -in "$WORK/rsa.pem" -noout -text | grep -q "Public Key Algorithm: rsaEncryption" ||
	pki_fail "RSA leaf under GOST CA lost its key"
s=$(openssl x509 -in "$WORK/rsa.pem" -noout -serial | sed 's/^serial=//')
grep -q "^V	.*	$s	unknown	" "$DIR/index.txt" || pki_fail "issued serial not in index.txt"
# A GOST public key and CSR as the openssl CLI writes them (Russian OIDs).
if openssl pkey -engine gost -in "$DIR/expired.key" -pubout -out "$WORK/g.pub" 2>/dev/null &&
    openssl req -engine gost -new -key "$DIR/expired.key" -subj "/CN=ignored" \
    -out "$WORK/g.csr" 2>/dev/null; then
	"$TESTPKI" issue --dir "$DIR" --pubkey "$WORK/g.pub" --profile individual-auth \
	    --out "$WORK/gp.pem" || pki_fail "issue --pubkey gost"
	ok "$WORK/gp.pem" "$DIR/ca.pem"
	"$TESTPKI" issue --dir "$DIR" --csr "$WORK/g.csr" --profile legal-employee \
	    --out "$WORK/gc.pem" || pki_fail "issue --csr gost"
	ok "$WORK/gc.pem" "$DIR/ca.pem"
	openssl x509 -in "$WORK/gc.pem" -noout -text | grep -q "Public Key Algorithm: 1.2.398.3.10.1.1.2.2" ||
		pki_fail "GOST CSR certificate lacks the Kazakh key OID"
fi
pki_ok "issue under a GOST CA"

# Revocation: full and delta CRLs signed with GOST.
SER_AUTH=$(pki_manifest individual-auth serial)
SER_LEGAL=$(pki_manifest legal-sign serial)
SER_KU=$(pki_manifest wrong-ku serial)
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/individual-auth.pem" --reason keyCompromise \
    --at 2026-01-10T10:00:00Z || pki_fail "revoke"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/legal-sign.pem" --reason certificateHold \
    --at 2026-01-10T11:00:00Z || pki_fail "revoke hold"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/full.crl" --number 1 \
    --this-update 2026-01-11T00:00:00Z || pki_fail "crl"
ok "$WORK/full.crl" "$DIR/ca.pem"
bad "$WORK/full.crl" "$DIR/root.pem"
openssl crl -inform DER -in "$WORK/full.crl" -noout -text > "$WORK/full.txt" ||
	pki_fail "GOST CRL unreadable"
pki_has "$WORK/full.txt" "Signature Algorithm: 1.2.398.3.10.1.1.2.3.2" "CRL signature OID"
grep -A5 "Serial Number: $SER_AUTH" "$WORK/full.txt" | grep -q "Key Compromise" ||
	pki_fail "CRL lacks keyCompromise entry"
grep -A5 "Serial Number: $SER_LEGAL" "$WORK/full.txt" | grep -q "Certificate Hold" ||
	pki_fail "CRL lacks hold entry"
pki_has "$WORK/full.txt" "URI:$DELTA_URL" "CRL freshest CRL"
flip "$WORK/full.crl" "$WORK/full-sig.crl" -1
bad "$WORK/full-sig.crl" "$DIR/ca.pem"
flip "$WORK/full.crl" "$WORK/full-tbs.crl" 40
bad "$WORK/full-tbs.crl" "$DIR/ca.pem"
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/wrong-ku.pem" --reason superseded \
    --at 2026-01-12T10:00:00Z || pki_fail "revoke superseded"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/delta.crl" --number 2 --delta --base-number 1 \
    --this-update 2026-01-12T12:00:00Z || pki_fail "delta crl"
ok "$WORK/delta.crl" "$DIR/ca.pem"
openssl crl -inform DER -in "$WORK/delta.crl" -noout -text > "$WORK/delta.txt"
pki_has "$WORK/delta.txt" "X509v3 Delta CRL Indicator: critical" "deltaCRLIndicator"
pki_has "$WORK/delta.txt" "Serial Number: $SER_KU" "delta entry"
pki_lacks "$WORK/delta.txt" "Serial Number: $SER_AUTH" "delta: entry before base"
flip "$WORK/delta.crl" "$WORK/delta-sig.crl" -1
bad "$WORK/delta-sig.crl" "$DIR/ca.pem"
"$TESTPKI" crl --dir "$DIR" --out "$WORK/forged.crl" --issuer-cert "$DIR/ca.pem" \
    --issuer-key "$DIR/other-ca.key" || pki_fail "crl with another key"
bad "$WORK/forged.crl" "$DIR/ca.pem"
pki_ok "GOST CRL and delta CRL"

# OCSP: the GOST responder, bounded by --max-requests.
"$TESTPKI" ocsp-respond --dir "$DIR" --port 0 --port-file "$WORK/port" --max-requests 6 \
    --max-seconds 120 > "$WORK/ocspd.out" 2> "$WORK/ocspd.log" &
RPID=$!
PKI_PIDS=$RPID
i=0
until [ -s "$WORK/port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || pki_fail "responder did not start: $(cat "$WORK/ocspd.log")"
	sleep 0.05
done
PORT=$(cat "$WORK/port")
Q() {
	openssl ocsp -issuer "$DIR/$2.pem" -cert "$DIR/$1.pem" -url "http://127.0.0.1:$PORT" \
	    -noverify -respout "$WORK/r-$1.der" > "$WORK/q-$1.txt" 2>&1 ||
		pki_fail "OCSP query $1: $(cat "$WORK/q-$1.txt")"
	pki_lacks "$WORK/q-$1.txt" "WARNING" "OCSP $1 (nonce echoed)"
}
Q individual-sign ca
pki_has "$WORK/q-individual-sign.txt" "individual-sign.pem: good" "OCSP good"
Q individual-auth ca
pki_has "$WORK/q-individual-auth.txt" "individual-auth.pem: revoked" "OCSP revoked"
pki_has "$WORK/q-individual-auth.txt" "Reason: keyCompromise" "OCSP reason"
Q legal-sign ca
pki_has "$WORK/q-legal-sign.txt" "Reason: certificateHold" "OCSP hold"
Q ca root
pki_has "$WORK/q-ca.txt" "ca.pem: good" "OCSP for the CA, from the root's index"
Q unknown-issuer ca
pki_has "$WORK/q-unknown-issuer.txt" "unknown-issuer.pem: unknown" "OCSP foreign certificate"
# A revocation while serving counts at once.
"$TESTPKI" revoke --dir "$DIR" --cert "$DIR/legal-employee.pem" --reason affiliationChanged ||
	pki_fail "revoke while serving"
Q legal-employee ca
pki_has "$WORK/q-legal-employee.txt" "Reason: affiliationChanged" "OCSP fresh revocation"
# Six requests served: the responder has ended by itself.
i=0
while kill -0 "$RPID" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || pki_fail "responder did not stop after --max-requests"
	sleep 0.05
done
wait "$RPID" || pki_fail "responder exit status"
PKI_PIDS=
for n in individual-sign individual-auth legal-sign ca; do
	ok "$WORK/r-$n.der" "$DIR/ocsp.pem"
	bad "$WORK/r-$n.der" "$DIR/ca.pem"
done
openssl ocsp -respin "$WORK/r-individual-auth.der" -resp_text -noverify > "$WORK/r.txt" 2>&1
pki_has "$WORK/r.txt" "Signature Algorithm: 1.2.398.3.10.1.1.2.3.2" "OCSP signature OID"
pki_has "$WORK/r.txt" "OCSP Nonce" "OCSP nonce"
pki_has "$WORK/r.txt" "Responder Id: CN" "responder byName"
off=$(offset_after "$WORK/r-individual-auth.der" "$SIG_OID_HEX" 20)
[ "$off" -gt 20 ] || pki_fail "no signature in the OCSP response"
flip "$WORK/r-individual-auth.der" "$WORK/r-sig.der" "$off"
bad "$WORK/r-sig.der" "$DIR/ocsp.pem"
flip "$WORK/r-individual-auth.der" "$WORK/r-tbs.der" 60
bad "$WORK/r-tbs.der" "$DIR/ocsp.pem"
pki_ok "GOST OCSP responder"

# CMS: attached, detached, no attributes, mixed signers.
printf 'Құжат: тест %s\n' "$(date +%s)" > "$WORK/doc.txt"
S="--cert $DIR/individual-sign.pem --key $DIR/individual-sign.key"
"$TESTPKI" cms $S --in "$WORK/doc.txt" --out "$WORK/a.p7s" || pki_fail "cms"
openssl cms -cmsout -print -inform DER -in "$WORK/a.p7s" > "$WORK/a.txt" ||
	pki_fail "openssl cannot parse the GOST CMS"
for w in "1.2.398.3.10.1.3.3" "1.2.398.3.10.1.1.2.3.2" "contentType" "messageDigest" \
    "signingTime" "signingCertificateV2"; do
	pki_has "$WORK/a.txt" "$w" "CMS"
done
ok "$WORK/a.p7s"
pki_has "$WORK/check.txt" "1 signer(s)" "CMS signers"
# messageDigest is the plain Streebog-512 of the content (when the CLI has gostprov).
if want=$(openssl dgst -provider gostprov -md_gost12_512 -r "$WORK/doc.txt" 2>/dev/null); then
	want=$(echo "$want" | cut -d' ' -f1)
	got=$(openssl asn1parse -inform DER -in "$WORK/a.p7s" | grep -A2 ":messageDigest" |
	    grep "OCTET STRING" | sed 's/.*HEX DUMP\]://' | tr 'A-F' 'a-f')
	[ "$got" = "$want" ] || pki_fail "messageDigest $got is not Streebog-512 $want"
fi
flip "$WORK/a.p7s" "$WORK/a-sig.p7s" -1
bad "$WORK/a-sig.p7s"
"$TESTPKI" cms $S --detached --in "$WORK/doc.txt" --out "$WORK/d.p7s" || pki_fail "cms --detached"
"$CHECK" "$WORK/d.p7s" > /dev/null 2>&1
[ $? -eq 2 ] || pki_fail "detached CMS checked without its content"
ok --content "$WORK/doc.txt" "$WORK/d.p7s"
printf 'other\n' > "$WORK/other.txt"
bad --content "$WORK/other.txt" "$WORK/d.p7s"
"$TESTPKI" cms $S --no-attrs --in "$WORK/doc.txt" --out "$WORK/n.p7s" || pki_fail "cms --no-attrs"
ok "$WORK/n.p7s"
openssl cms -cmsout -print -inform DER -in "$WORK/n.p7s" > "$WORK/n.txt" ||
	pki_fail "openssl cannot parse the --no-attrs CMS"
pki_lacks "$WORK/n.txt" "messageDigest" "--no-attrs CMS"
flip "$WORK/n.p7s" "$WORK/n-sig.p7s" -1
bad "$WORK/n-sig.p7s"
# A SignerInfo whose digest does not belong to the GOST key is unsupported, not valid.
"$TESTPKI" cms $S --digest-alg sha256 --in "$WORK/doc.txt" --out "$WORK/m.p7s" ||
	pki_fail "cms --digest-alg sha256"
"$CHECK" "$WORK/m.p7s" > "$WORK/check.txt" 2>&1
[ $? -eq 3 ] || pki_fail "GOST signer with SHA-256 digest: $(cat "$WORK/check.txt")"
# Several signers, GOST and RSA mixed, detached.
"$TESTPKI" cms $S --add-signer "$WORK/rsa.pem" "$WORK/rsa.key" \
    --add-signer "$DIR/legal-employee.pem" "$DIR/legal-employee.key" \
    --detached --in "$WORK/doc.txt" --out "$WORK/multi.p7s" || pki_fail "cms multi-signer"
openssl cms -cmsout -print -inform DER -in "$WORK/multi.p7s" > /dev/null ||
	pki_fail "openssl cannot parse the multi-signer CMS"
"$CHECK" --content "$WORK/doc.txt" "$WORK/multi.p7s" > "$WORK/check.txt" 2>&1 ||
	pki_fail "multi-signer CMS refused: $(cat "$WORK/check.txt")"
pki_has "$WORK/check.txt" "3 signer(s)" "multi-signer count"
[ "$(grep -c "OK (gost2015-512)" "$WORK/check.txt")" -eq 2 ] || pki_fail "two GOST signers"
[ "$(grep -c "OK (rsa-pkcs1-sha256)" "$WORK/check.txt")" -eq 1 ] || pki_fail "one RSA signer"
bad --content "$WORK/other.txt" "$WORK/multi.p7s"
# The RSA part is a CMS OpenSSL itself accepts.
"$TESTPKI" cms --cert "$WORK/rsa.pem" --key "$WORK/rsa.key" --in "$WORK/doc.txt" \
    --out "$WORK/rsa.p7s" || pki_fail "cms rsa"
openssl cms -verify -noverify -inform DER -in "$WORK/rsa.p7s" -out "$WORK/rsa.out" \
    2>/dev/null || pki_fail "openssl does not verify the RSA CMS"
cmp -s "$WORK/rsa.out" "$WORK/doc.txt" || pki_fail "RSA CMS content"
pki_ok "CMS: attached, detached, no attributes, GOST and RSA signers"

# GOST 2015-256 by the same rules.
D2="$WORK/g256"
"$TESTPKI" hierarchy --out "$D2" --ca-alg gost256 --leaf-alg gost256 || pki_fail "hierarchy gost256"
openssl asn1parse -in "$D2/individual-sign.pem" > "$WORK/256.asn1"
grep -q "OBJECT *:1.2.398.3.10.1.1.2.1 *$" "$WORK/256.asn1" || pki_fail "256 key OID"
grep -q "OBJECT *:1.2.398.3.10.1.1.2.1.1 *$" "$WORK/256.asn1" || pki_fail "256 param OID"
grep -q "OBJECT *:1.2.398.3.10.1.1.2.3.1 *$" "$WORK/256.asn1" || pki_fail "256 signature OID"
tail -1 "$WORK/256.asn1" | grep -q "l= *65 prim: BIT STRING" || pki_fail "256 signature length"
WANT=gost2015-256
ok "$D2/ca.pem" "$D2/root.pem"
ok "$D2/individual-sign.pem" "$D2/ca.pem"
bad "$D2/broken-sig.pem" "$D2/ca.pem"
"$TESTPKI" crl --dir "$D2" --out "$WORK/256.crl" || pki_fail "crl gost256"
ok "$WORK/256.crl" "$D2/ca.pem"
"$TESTPKI" cms --cert "$D2/legal-sign.pem" --key "$D2/legal-sign.key" --in "$WORK/doc.txt" \
    --out "$WORK/256.p7s" || pki_fail "cms gost256"
ok "$WORK/256.p7s"
WANT=
pki_ok "gost256 hierarchy, CRL and CMS"

# A GOST CA over EC leaves: the table mixes algorithms freely.
"$TESTPKI" hierarchy --out "$WORK/mix" --ca-alg gost512 --leaf-alg ec256 ||
	pki_fail "hierarchy gost512/ec256"
ok "$WORK/mix/legal-sign.pem" "$WORK/mix/ca.pem"
openssl x509 -in "$WORK/mix/legal-sign.pem" -noout -text | grep -q "id-ecPublicKey" ||
	pki_fail "EC leaf under GOST CA"
pki_ok "GOST CA with EC leaves"
echo "PASS"
