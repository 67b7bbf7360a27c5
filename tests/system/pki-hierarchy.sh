#!/bin/sh
# The test PKI's hierarchy and issue commands: the certificates it makes
# follow the NCA profile and each negative certificate fails for its own
# reason, as the openssl CLI sees them.
set -u
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
pki_setup
pki_scratch
DIR="$WORK/pki"
OCSP_URL=http://127.0.0.1:1/ocsp
CRL_URL=http://127.0.0.1:1/ca.crl
DELTA_URL=http://127.0.0.1:1/delta.crl

"$TESTPKI" hierarchy --out "$DIR" --ca-alg rsa2048 --leaf-alg rsa2048 \
    --ocsp-url "$OCSP_URL" --crl-url "$CRL_URL" --delta-url "$DELTA_URL" ||
	pki_fail "hierarchy"
for f in root.pem root.key ca.pem ca.key chain.pem other-ca.pem manifest.txt \
    index.txt serial; do
	[ -s "$DIR/$f" ] || pki_fail "hierarchy did not write $f"
done
LEAVES="individual-sign individual-auth legal-sign legal-employee expired notyet
    wrong-ku wrong-role wrong-iin unknown-issuer broken-sig ocsp"
for n in $LEAVES; do
	[ -s "$DIR/$n.pem" ] && [ -s "$DIR/$n.key" ] || pki_fail "missing $n.pem/.key"
	grep -q "^$n serial=" "$DIR/manifest.txt" || pki_fail "$n not in manifest"
done

# Keys: unencrypted PKCS#8, readable by the owner only.
head -1 "$DIR/individual-sign.key" | grep -qx -- '-----BEGIN PRIVATE KEY-----' ||
	pki_fail "key is not PKCS#8 PEM"
[ "$(stat -c %a "$DIR/ca.key")" = 600 ] || pki_fail "ca.key mode is not 600"
pki_ok "files"

# Chain validation and the reason of each failure (openssl verify error codes).
V() { openssl verify -CAfile "$DIR/root.pem" -untrusted "$DIR/ca.pem" "$DIR/$1.pem" 2>&1; }
for n in individual-sign individual-auth legal-sign legal-employee wrong-ku \
    wrong-role wrong-iin ocsp; do
	V "$n" | grep -q ": OK$" || pki_fail "$n does not verify: $(V "$n")"
done
expect_err() {
	out=$(V "$1")
	echo "$out" | grep -q ": OK$" && pki_fail "$1 verified"
	echo "$out" | grep -q "error $2 at 0 depth" || pki_fail "$1: wanted error $2: $out"
}
expect_err expired 10		# certificate has expired
expect_err notyet 9		# certificate is not yet valid
expect_err unknown-issuer 20	# unable to get local issuer certificate
expect_err broken-sig 7		# certificate signature failure
openssl verify -CAfile "$DIR/root.pem" -untrusted "$DIR/other-ca.pem" \
    "$DIR/unknown-issuer.pem" >/dev/null 2>&1 && pki_fail "unknown-issuer verified via other-ca"
openssl verify -CAfile "$DIR/other-ca.pem" "$DIR/unknown-issuer.pem" >/dev/null 2>&1 ||
	pki_fail "unknown-issuer is not signed by other-ca"
pki_ok "verify: good leaves accepted, bad ones refused for the right reason"

# broken-sig differs from individual-sign only in its signature.
s1=$(openssl x509 -in "$DIR/individual-sign.pem" -noout -serial)
s2=$(openssl x509 -in "$DIR/broken-sig.pem" -noout -serial)
[ "$s1" = "$s2" ] || pki_fail "broken-sig is not a copy of individual-sign"

T() { openssl x509 -in "$DIR/$1.pem" -noout -text -nameopt utf8,sep_comma_plus_space \
    > "$WORK/$1.txt" 2>&1 || pki_fail "x509 -text $1"; echo "$WORK/$1.txt"; }

# Subjects: NCA profile, UTF-8 with Kazakh letters.
IIN=$(pki_manifest individual-sign iin)
BIN=$(pki_manifest legal-sign bin)
t=$(T individual-sign)
pki_has "$t" "Subject: CN=ҚАСЫМОВ ӘЛИХАН, SN=ҚАСЫМОВ, serialNumber=IIN$IIN, C=KZ, GN=ҚАЙРАТҰЛЫ" subject
openssl x509 -in "$DIR/individual-sign.pem" -outform DER | openssl asn1parse -inform DER |
	grep -q "UTF8STRING *:" || pki_fail "subject strings are not UTF8String"
t=$(T legal-sign)
pki_has "$t" "serialNumber=IIN$IIN, C=KZ, O=ТАҢБА СЫНАҚ ЖШС, OU=BIN$BIN" "legal subject"
t=$(T legal-employee)
pki_has "$t" "OU=BIN$(pki_manifest legal-employee bin)" "employee subject"
t=$(T wrong-role)
pki_lacks "$t" "OU=BIN" "wrong-role subject"

# IIN/BIN check digits, checked by an implementation of our own.
for n in individual-sign individual-auth legal-sign legal-employee; do
	pki_iin_valid "$(pki_manifest $n iin)" || pki_fail "$n IIN check digit invalid"
done
pki_iin_valid "$BIN" || pki_fail "BIN check digit invalid"
WIIN=$(pki_manifest wrong-iin iin)
pki_iin_valid "$WIIN" && pki_fail "wrong-iin IIN $WIIN passes the check"
pki_has "$(T wrong-iin)" "serialNumber=IIN$WIIN" "wrong-iin subject"
pki_iin_valid 900101300123 && pki_fail "the IIN check itself accepts 900101300123"
pki_ok "subjects and IIN/BIN check digits"

# Key usage, extended key usage with role OIDs, policies, revocation pointers.
t=$(T individual-sign)
pki_has "$t" "Digital Signature, Non Repudiation" "sign KU"
pki_has "$t" "E-mail Protection, 1.2.398.3.3.4.1.1" "sign EKU+role"
pki_has "$t" "Policy: 1.2.398.3.3.2.3" "sign policy"
pki_has "$t" "URI:$CRL_URL" "CRL DP"
pki_has "$t" "X509v3 Freshest CRL" "freshest CRL"
pki_has "$t" "URI:$DELTA_URL" "delta URL"
pki_has "$t" "OCSP - URI:$OCSP_URL" "AIA OCSP"
pki_has "$t" "X509v3 Authority Key Identifier" "AKI"
pki_has "$t" "X509v3 Subject Key Identifier" "SKI"
t=$(T individual-auth)
pki_has "$t" "Digital Signature, Key Encipherment" "auth KU"
pki_has "$t" "TLS Web Client Authentication, 1.2.398.3.3.4.1.1" "auth EKU+role"
pki_has "$t" "Policy: 1.2.398.3.3.2.4" "auth policy"
t=$(T legal-sign)
pki_has "$t" "E-mail Protection, 1.2.398.3.3.4.1.2, 1.2.398.3.3.4.1.2.1" "first-head role"
pki_has "$t" "Policy: 1.2.398.3.3.2.1" "legal policy"
t=$(T legal-employee)
pki_has "$t" "1.2.398.3.3.4.1.2.5" "employee role"
t=$(T wrong-role)
pki_has "$t" "1.2.398.3.3.4.1.2.5" "wrong-role role"
pki_lacks "$t" "1.2.398.3.3.4.1.1" "wrong-role individual role"
t=$(T wrong-ku)
grep -A1 "X509v3 Key Usage: critical" "$t" | tail -1 | grep -qx " *Key Encipherment" ||
	pki_fail "wrong-ku KU is not keyEncipherment alone"
t=$(T ocsp)
pki_has "$t" "OCSP Signing" "responder EKU"
pki_has "$t" "OCSP No Check" "responder nocheck"
t=$(T ca)
pki_has "$t" "X509v3 Basic Constraints: critical" "CA BC critical"
pki_has "$t" "CA:TRUE, pathlen:0" "CA pathlen"
pki_has "$t" "Certificate Sign, CRL Sign" "CA KU"
pki_has "$t" "Policy: 1.2.398.3.3.1.1" "CA policy"
t=$(T root)
pki_has "$t" "CA:TRUE" "root BC"
pki_lacks "$t" "pathlen" "root pathlen"
pki_ok "extensions"

# Serial numbers: 16 random octets, positive.
for n in individual-sign ca root ocsp; do
	s=$(openssl x509 -in "$DIR/$n.pem" -noout -serial | sed 's/^serial=//')
	[ ${#s} -eq 32 ] || pki_fail "$n serial $s is not 16 octets"
	case $s in [0-7]*) ;; *) pki_fail "$n serial $s is negative";; esac
done
[ "$(pki_manifest individual-sign serial)" != "$(pki_manifest individual-auth serial)" ] ||
	pki_fail "two certificates share a serial"
pki_ok "serials"

# issue: from a public key, a private key and a CSR; recorded in the index.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/u.key" 2>/dev/null &&
	openssl pkey -in "$WORK/u.key" -pubout -out "$WORK/u.pub" || pki_fail "openssl genpkey"
"$TESTPKI" issue --dir "$DIR" --pubkey "$WORK/u.pub" --profile legal-employee \
    --out "$WORK/u.pem" --cn "БЕКОВ АЙДОС" --iin 000101500017 --bin "$BIN" \
    --not-before 2030-01-01T00:00:00Z --not-after 2030-06-30T23:59:59Z ||
	pki_fail "issue --pubkey"
t="$WORK/u.txt"
openssl x509 -in "$WORK/u.pem" -noout -text -nameopt utf8,sep_comma_plus_space > "$t"
pki_has "$t" "CN=БЕКОВ АЙДОС, SN=БЕКОВ, serialNumber=IIN000101500017" "issued subject"
pki_has "$t" "Not Before: Jan  1 00:00:00 2030 GMT" "issued notBefore"
pki_has "$t" "Not After : Jun 30 23:59:59 2030 GMT" "issued notAfter"
pki_has "$t" "URI:$CRL_URL" "issued CRL DP from the directory's settings"
[ "$(openssl x509 -in "$WORK/u.pem" -noout -pubkey)" = "$(cat "$WORK/u.pub")" ] ||
	pki_fail "issued certificate carries another key"
openssl verify -attime 1893456000 -CAfile "$DIR/root.pem" -untrusted "$DIR/ca.pem" \
    "$WORK/u.pem" >/dev/null || pki_fail "issued certificate does not verify"
s=$(openssl x509 -in "$WORK/u.pem" -noout -serial | sed 's/^serial=//')
grep -q "^V	.*	$s	unknown	" "$DIR/index.txt" || pki_fail "issued serial not in index.txt"
[ "$(cat "$DIR/serial")" = "$s" ] || pki_fail "serial file not updated"

openssl req -new -key "$WORK/u.key" -subj "/CN=ignored" -out "$WORK/u.csr" ||
	pki_fail "openssl req"
"$TESTPKI" issue --dir "$DIR" --csr "$WORK/u.csr" --profile individual-auth \
    --out "$WORK/c.pem" --days 30 || pki_fail "issue --csr"
openssl verify -CAfile "$DIR/root.pem" -untrusted "$DIR/ca.pem" "$WORK/c.pem" >/dev/null ||
	pki_fail "CSR certificate does not verify"
"$TESTPKI" issue --dir "$DIR" --key "$DIR/individual-sign.key" --profile ca \
    --issuer-name root --out "$WORK/sub.pem" || pki_fail "issue --key --issuer-name root"
openssl verify -CAfile "$DIR/root.pem" "$WORK/sub.pem" >/dev/null ||
	pki_fail "root-issued CA does not verify against the root"
"$TESTPKI" issue --dir "$DIR" --pubkey "$WORK/u.pub" --profile nonsense \
    --out "$WORK/x.pem" 2>/dev/null && pki_fail "unknown profile accepted"
"$TESTPKI" issue --dir "$DIR" --pubkey "$WORK/u.pub" --profile ca --iin 123 \
    --out "$WORK/x.pem" 2>/dev/null && pki_fail "short IIN accepted"
pki_ok "issue"

# The EC variant of the whole hierarchy.
"$TESTPKI" hierarchy --out "$WORK/ec" --ca-alg ec256 --leaf-alg ec256 ||
	pki_fail "hierarchy ec256"
openssl verify -CAfile "$WORK/ec/root.pem" -untrusted "$WORK/ec/ca.pem" \
    "$WORK/ec/legal-sign.pem" >/dev/null || pki_fail "ec256 leaf does not verify"
openssl x509 -in "$WORK/ec/ca.pem" -noout -text | grep -q "ecdsa-with-SHA256" ||
	pki_fail "ec256 CA not signed with ECDSA"
openssl x509 -in "$WORK/ec/ca.pem" -noout -text | grep -q "URI:" &&
	pki_fail "URLs appear although none were given"
pki_ok "ec256 hierarchy"
echo "PASS"
