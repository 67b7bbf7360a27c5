#!/bin/sh
# GOST 34.10-2015 signing from NCA key containers through libsig
# (tests/system/gost-sign: gost_key.c + cms_sign.c). The real individual-gost2015.p12
# signs at a time inside its certificate's life; the signature verifies with
# libsig's GOST check (tests/system/gost-check) and with `tanba verify --offline`
# under the real NCA GOST test CA, and one flipped byte fails both. The test
# PKI's containers have the NCA's own layout (the same `openssl pkcs12 -info`
# as the real one) and sign the same way today. Refusals: wrong password, a
# key that is not its certificate's, an RSA container.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
SIGN="$top_builddir/tests/system/gost-sign"
CHECK="$top_builddir/tests/system/gost-check"
TANBA="$top_builddir/ca-tools/tanba"
TESTPKI="$top_builddir/testpki/tanba-testpki"
VEC="$top_srcdir/tests/vectors"
for x in "$SIGN" "$CHECK" "$TANBA" "$TESTPKI"; do
	[ -x "$x" ] || { echo "FAIL: $x not built"; exit 99; }
done
[ -r "$VEC/nca-p12/individual-gost2015.p12" ] || { echo "FAIL: vectors missing"; exit 99; }
"$CHECK" --available >/dev/null 2>&1 || { echo "SKIP: no GOST engine here"; exit 77; }
T=$(mktemp -d "$top_builddir/tests/tmp.gostsign.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pw() { printf '%s\n' "$2" > "$T/$1"; chmod 0600 "$T/$1"; }
pw gost.pw Aa123456
pw rsa.pw Qwerty12
pw wrong.pw Aa123457
printf 'Анықтама: мекенжай, Астана\n' > "$T/doc.txt"
AT=2023-01-01T00:00:00Z
openssl x509 -inform DER -in "$VEC/nca-gost2015/ca.der" -out "$T/nca-ca.pem" || fail "CA cert"
# verify_expect VERDICT ARGS: tanba verify's first line.
verify_expect() {
	_want=$1
	shift
	"$TANBA" verify --offline --no-revocation "$@" >"$T/out" 2>"$T/err"
	_got=$(head -n 1 "$T/out")
	echo "verify: $_got"
	case $_got in "$_want"*) ;; *) cat "$T/out" "$T/err"; fail "expected $_want" ;; esac
}
# flip FILE OFFSET-FROM-END: one byte of the signature value (the SignerInfo's last field).
flip() {
	python3 -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[-int(sys.argv[2])] ^= 1; open(sys.argv[1], 'wb').write(b)" "$1" "$2"
}

echo "== the real NCA container signs at $AT"
alg=$("$SIGN" --p12 "$VEC/nca-p12/individual-gost2015.p12" --password-file "$T/gost.pw" \
    --at "$AT" -o "$T/nca.p7s" "$T/doc.txt") || fail "gost-sign with the NCA container"
[ "$alg" = gost2015-512 ] || fail "algorithm $alg"
openssl asn1parse -inform DER -in "$T/nca.p7s" > "$T/asn1"
# The SignerInfo: Streebog-512, the 2015-512 signature OID, signingCertificateV2 hashed with Streebog.
for oid in 1.2.398.3.10.1.3.3 1.2.398.3.10.1.1.2.3.2 signingCertificateV2 messageDigest; do
	grep -q "$oid" "$T/asn1" || fail "no $oid in the CMS"
done
grep -A1 "signingCertificateV2" "$T/asn1" | grep -q "1.2.398.3.10.1.3.3" ||
	grep -A12 "signingCertificateV2" "$T/asn1" | grep -q ":1.2.398.3.10.1.3.3" ||
	fail "signingCertificateV2 does not name Streebog-512"
"$CHECK" "$T/nca.p7s" "$VEC/nca-p12/individual-gost2015.cert.pem" || fail "gost-check refuses"
verify_expect VALID --at "$AT" --anchors "$T/nca-ca.pem" --iin 123456789012 \
    --no-check-iin-checksum "$T/nca.p7s"
cp "$T/nca.p7s" "$T/bad.p7s"
flip "$T/bad.p7s" 5
"$CHECK" "$T/bad.p7s" "$VEC/nca-p12/individual-gost2015.cert.pem" >/dev/null &&
    fail "gost-check accepts a flipped signature"
verify_expect SIGNATURE_INVALID --at "$AT" --anchors "$T/nca-ca.pem" "$T/bad.p7s"

echo "== refusals"
if "$SIGN" --p12 "$VEC/nca-p12/individual-gost2015.p12" --password-file "$T/wrong.pw" \
    -o "$T/x.p7s" "$T/doc.txt" 2>"$T/err"; then fail "wrong password accepted"; fi
grep -q "wrong password" "$T/err" || fail "wrong password: $(cat "$T/err")"
if "$SIGN" --p12 "$VEC/nca-p12/individual-rsa-sign.p12" --password-file "$T/rsa.pw" \
    -o "$T/x.p7s" "$T/doc.txt" 2>"$T/err"; then fail "an RSA container signed as GOST"; fi
grep -q "not a Kazakh GOST\|not a GOST" "$T/err" || fail "RSA container: $(cat "$T/err")"

echo "== the test PKI's containers: the NCA's layout, signing today"
"$TESTPKI" hierarchy --out "$T/pki" --ca-alg gost512 --leaf-alg gost512 >"$T/pki.log" 2>&1 ||
    { cat "$T/pki.log"; fail "test PKI"; }
"$TESTPKI" p12 --cert "$T/pki/individual-sign.pem" --key "$T/pki/individual-sign.key" \
    --chain "$T/pki/chain.pem" --password-file "$T/gost.pw" --out "$T/tp.p12" ||
    fail "tanba-testpki p12"
openssl pkcs12 -info -noout -legacy -in "$VEC/nca-p12/individual-gost2015.p12" \
    -passin file:"$T/gost.pw" > "$T/info.nca" 2>&1
# The real containers hold one certificate; a chain adds bags of the same kind.
openssl pkcs12 -info -noout -legacy -in "$T/tp.p12" -passin file:"$T/gost.pw" 2>&1 |
    uniq > "$T/info.tp"
diff "$T/info.nca" "$T/info.tp" || fail "the test PKI's container is not in the NCA's layout"
"$SIGN" --p12 "$T/tp.p12" --password-file "$T/gost.pw" -o "$T/tp.p7s" "$T/doc.txt" >/dev/null ||
    fail "gost-sign with the test PKI's container"
IIN=$(sed -n 's/^individual-sign .*iin=\([0-9]*\).*/\1/p' "$T/pki/manifest.txt")
verify_expect VALID --anchors "$T/pki/root.pem" --untrusted "$T/pki/chain.pem" --iin "$IIN" \
    "$T/tp.p7s"
"$TESTPKI" p12 --cert "$T/pki/individual-sign.pem" --key "$T/pki/legal-sign.key" \
    --password-file "$T/gost.pw" --out "$T/mismatch.p12" || fail "tanba-testpki p12 (mismatch)"
if "$SIGN" --p12 "$T/mismatch.p12" --password-file "$T/gost.pw" -o "$T/x.p7s" \
    "$T/doc.txt" 2>"$T/err"; then fail "a key that is not its certificate's signed"; fi
grep -q "not the key of its certificate" "$T/err" || fail "mismatch: $(cat "$T/err")"
echo "GOST 2015 signing from NCA containers verifies; refusals clear"
