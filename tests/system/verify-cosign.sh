#!/bin/sh
# Several signers on one CMS: `tanba verify --offline --json` reports each
# signer with its own verdict beside the overall one (an expired co-signer
# makes the whole CERT_EXPIRED while the other signer stays VALID), for RSA
# and for an RSA signer beside a GOST one.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
TANBA="$top_builddir/ca-tools/tanba"
TESTPKI="$top_builddir/testpki/tanba-testpki"
for x in "$TANBA" "$TESTPKI"; do [ -x "$x" ] || { echo "FAIL: $x not built"; exit 99; }; done
T=$(mktemp -d "$top_builddir/tests/tmp.cosign.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
printf 'бұйрық N 5\n' > "$T/doc.txt"
"$TESTPKI" hierarchy --out "$T/rsa" >"$T/log" 2>&1 || { cat "$T/log"; exit 99; }
P=$T/rsa
# verdicts FILE ARGS: "OVERALL name=VERDICT ..." (signers named by their CN's first word).
verdicts() {
	_f=$1
	shift
	"$TANBA" verify --offline --no-revocation --json "$@" "$_f" 2>"$T/err" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["verdict"], " ".join(sorted("%s=%s" % (s["subject"].split("CN=")[1].split(",")[0].split()[0], s["verdict"]) for s in d["signers"])))'
}

"$TESTPKI" cms --cert "$P/individual-sign.pem" --key "$P/individual-sign.key" --in "$T/doc.txt" \
    --out "$T/two.p7s" --add-signer "$P/legal-sign.pem" "$P/legal-sign.key" || fail "cms"
got=$(verdicts "$T/two.p7s" --anchors "$P/root.pem" --untrusted "$P/chain.pem")
echo "two valid: $got"
case $got in "VALID "*) ;; *) fail "two valid signers: $got" ;; esac
[ "$(echo "$got" | grep -o '=VALID' | wc -l)" = 2 ] || fail "not both signers VALID: $got"

"$TESTPKI" cms --cert "$P/individual-sign.pem" --key "$P/individual-sign.key" --in "$T/doc.txt" \
    --out "$T/exp.p7s" --add-signer "$P/expired.pem" "$P/expired.key" || fail "cms"
got=$(verdicts "$T/exp.p7s" --anchors "$P/root.pem" --untrusted "$P/chain.pem")
echo "one expired: $got"
case $got in "CERT_EXPIRED "*) ;; *) fail "overall verdict: $got" ;; esac
echo "$got" | grep -q "=VALID" || fail "the valid signer lost its own verdict: $got"
echo "$got" | grep -q "=CERT_EXPIRED" || fail "the expired signer has no verdict of its own: $got"

if "$TESTPKI" hierarchy --out "$T/gost" --ca-alg gost512 --leaf-alg gost512 >"$T/log" 2>&1; then
	G=$T/gost
	cat "$P/root.pem" "$G/root.pem" > "$T/anchors.pem"
	cat "$P/chain.pem" "$G/chain.pem" > "$T/untrusted.pem"
	"$TESTPKI" cms --cert "$G/legal-sign.pem" --key "$G/legal-sign.key" --in "$T/doc.txt" \
	    --out "$T/mixed.p7s" --add-signer "$P/individual-sign.pem" "$P/individual-sign.key" ||
	    fail "cms (GOST + RSA)"
	got=$(verdicts "$T/mixed.p7s" --anchors "$T/anchors.pem" --untrusted "$T/untrusted.pem")
	echo "GOST + RSA: $got"
	case $got in "VALID "*) ;; *) fail "GOST + RSA: $got" ;; esac
	[ "$(echo "$got" | grep -o '=VALID' | wc -l)" = 2 ] || fail "GOST + RSA signers: $got"
else
	echo "no GOST test PKI here: $(tail -n 1 "$T/log")"
fi
echo "each signer has its own verdict"
