#!/bin/sh
# The strict profile (docs/VERIFICATION.md, "Strict profile"): one
# certificate per rule, made now by tanba-testpki with --quirk, checked by
# `tanba check-cert --offline`; each must be refused with the rule in its
# reason, and the same certificate without the quirk must be VALID. Then
# the NCA's own certificates (../shared/vectors, or tests/vectors once in
# the tree) must stay VALID under every rule.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VERDICT_TEST=profile
. "$top_srcdir/tests/system/setup.sh"
verdict_setup
P=$T/pki
"$TESTPKI" hierarchy --out "$P" >"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
key() {
	case $2 in
	rsa*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${2#rsa} -out "$1" 2>/dev/null ;;
	explicit) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -pkeyopt ec_param_enc:explicit -out "$1" 2>/dev/null ;;
	*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$2 -out "$1" 2>/dev/null ;;
	esac || { echo "openssl genpkey $2 failed"; exit 99; }
}
issue() { "$TESTPKI" issue --dir "$P" "$@" >>"$T/testpki.log" 2>&1 || { tail -n 3 "$T/testpki.log"; exit 99; }; }
key "$T/k.key" P-256
key "$T/leaf.key" P-256

# refused NAME VERDICT DETAIL ARGS...: tanba check-cert --offline ARGS is
# VERDICT and one reason's detail holds DETAIL.
refused() {
	_n=$1 _v=$2 _d=$3
	shift 3
	expect "$_v" 1 check-cert --offline --no-revocation --json "$@"
	python3 - "$T/out" "$_d" <<'PY' || fail "$_n: no reason says '$_d'"
import json, sys
j = json.load(open(sys.argv[1]))
assert any(sys.argv[2] in r.get("detail", "") for r in j["reasons"]), [r.get("detail") for r in j["reasons"]]
PY
}

# ---- trust anchors: a self-signed root with the quirk, a leaf under it
anchor() {	# anchor NAME KEYFILE [--quirk Q]...: $T/NAME-root.pem and $T/NAME-leaf.pem
	_n=$1 _k=$2
	shift 2
	issue --self-signed --key "$_k" --profile root --cn "QUIRK ROOT $_n" --out "$T/$_n-root.pem" "$@"
	issue --issuer-cert "$T/$_n-root.pem" --issuer-key "$_k" --key "$T/leaf.key" \
	    --profile individual-sign --out "$T/$_n-leaf.pem"
}
anchor good "$T/k.key"
expect VALID 0 check-cert --offline --no-revocation --anchors "$T/good-root.pem" "$T/good-leaf.pem"
anchor crit "$T/k.key" --quirk unknown-critical
refused "anchor: unknown critical extension" CHAIN_UNTRUSTED "unprocessed critical extension 1.3.6.1.4.1.55555.13.1" \
    --anchors "$T/crit-root.pem" "$T/crit-leaf.pem"
anchor nobc "$T/k.key" --quirk no-bc
refused "anchor: no basicConstraints" CHAIN_UNTRUSTED "trust anchor without basicConstraints cA" \
    --anchors "$T/nobc-root.pem" "$T/nobc-leaf.pem"
anchor bcnc "$T/k.key" --quirk bc-noncritical
refused "anchor: basicConstraints not critical" CHAIN_UNTRUSTED "basicConstraints not critical" \
    --anchors "$T/bcnc-root.pem" "$T/bcnc-leaf.pem"
anchor noski "$T/k.key" --quirk no-ski
refused "anchor: no subjectKeyIdentifier" CHAIN_UNTRUSTED "without subjectKeyIdentifier" \
    --anchors "$T/noski-root.pem" "$T/noski-leaf.pem"
anchor akis "$T/k.key" --quirk aki-issuer-serial
refused "anchor: AKI with issuer and serial" CHAIN_UNTRUSTED "names an issuer and serial" \
    --anchors "$T/akis-root.pem" "$T/akis-leaf.pem"
# An issuing CA configured as anchor may name its own issuer (the NCA's does).
key "$T/ca2.key" P-256
issue --issuer-name root --profile ca --key "$T/ca2.key" --cn "AKI ISSUER CA" --quirk aki-issuer-serial \
    --out "$T/akica.pem"
issue --issuer-cert "$T/akica.pem" --issuer-key "$T/ca2.key" --key "$T/leaf.key" --profile individual-sign \
    --out "$T/akica-leaf.pem"
expect VALID 0 check-cert --offline --no-revocation --anchors "$T/akica.pem" "$T/akica-leaf.pem"
# The key floor holds for anchors: RSA under 2048 bits, P-192.
key "$T/rsa1024.key" rsa1024
anchor rsa1024 "$T/rsa1024.key"
refused "anchor: RSA-1024" UNSUPPORTED_ALGORITHM "key below the crypto floor" \
    --anchors "$T/rsa1024-root.pem" "$T/rsa1024-leaf.pem"
grep -q "RSA-1024" "$T/out" || fail "anchor: RSA-1024 not named"
key "$T/p192.key" P-192
anchor p192 "$T/p192.key"
refused "anchor: P-192" UNSUPPORTED_ALGORITHM "key below the crypto floor" \
    --anchors "$T/p192-root.pem" "$T/p192-leaf.pem"

# ---- below the anchor: an intermediate under the root with the quirk, a leaf under it
sub() {	# sub NAME KEYTYPE [--quirk Q]...: $T/NAME-ca.pem and $T/NAME-leaf.pem
	_n=$1
	key "$T/$_n-ca.key" "$2"
	shift 2
	issue --issuer-name root --profile ca --key "$T/$_n-ca.key" --cn "QUIRK CA $_n" \
	    --out "$T/$_n-ca.pem" "$@"
	issue --issuer-cert "$T/$_n-ca.pem" --issuer-key "$T/$_n-ca.key" --key "$T/leaf.key" \
	    --profile individual-sign --out "$T/$_n-leaf.pem"
}
ROOT="--anchors $P/root.pem"
sub good P-256
expect VALID 0 check-cert --offline --no-revocation $ROOT --untrusted "$T/good-ca.pem" "$T/good-leaf.pem"
sub noski P-256 --quirk no-ski
refused "intermediate: no subjectKeyIdentifier" CHAIN_UNTRUSTED "without subjectKeyIdentifier" \
    $ROOT --untrusted "$T/noski-ca.pem" "$T/noski-leaf.pem"
sub noaki P-256 --quirk no-aki
refused "intermediate: no authorityKeyIdentifier" CHAIN_UNTRUSTED "no authorityKeyIdentifier" \
    $ROOT --untrusted "$T/noaki-ca.pem" "$T/noaki-leaf.pem"
sub akic P-256 --quirk aki-critical
refused "intermediate: critical authorityKeyIdentifier" CHAIN_UNTRUSTED "critical authorityKeyIdentifier" \
    $ROOT --untrusted "$T/akic-ca.pem" "$T/akic-leaf.pem"
sub empty P-256 --quirk empty-subject
refused "intermediate: empty subject" CHAIN_UNTRUSTED "empty subject" \
    $ROOT --untrusted "$T/empty-ca.pem" "$T/empty-leaf.pem"
sub aiac P-256 --quirk aia-critical
refused "intermediate: critical AIA" CHAIN_UNTRUSTED "critical authorityInfoAccess" \
    $ROOT --untrusted "$T/aiac-ca.pem" "$T/aiac-leaf.pem"
sub aiam P-256 --quirk aia-malformed
refused "intermediate: malformed AIA" MALFORMED "authorityInfoAccess does not decode" \
    $ROOT --untrusted "$T/aiam-ca.pem" "$T/aiam-leaf.pem"
sub explicit explicit
refused "intermediate: explicit EC parameters" UNSUPPORTED_ALGORITHM "explicit or implicit curve parameters" \
    $ROOT --untrusted "$T/explicit-ca.pem" "$T/explicit-leaf.pem"

# ---- the leaf itself, issued by the test PKI's CA
OFF="--anchors $P/root.pem --untrusted $P/chain.pem"
leaf() {	# leaf NAME KEYFILE [--quirk Q]...: $T/NAME.pem
	_n=$1 _k=$2
	shift 2
	issue --key "$_k" --profile individual-sign --out "$T/$_n.pem" "$@"
}
leaf lgood "$T/leaf.key"
expect VALID 0 check-cert --offline --no-revocation $OFF "$T/lgood.pem"
leaf lnoaki "$T/leaf.key" --quirk no-aki
refused "leaf: no authorityKeyIdentifier" CHAIN_UNTRUSTED "no authorityKeyIdentifier" $OFF "$T/lnoaki.pem"
leaf lakic "$T/leaf.key" --quirk aki-critical
refused "leaf: critical authorityKeyIdentifier" CHAIN_UNTRUSTED "critical authorityKeyIdentifier" $OFF "$T/lakic.pem"
leaf lcertsign "$T/leaf.key" --quirk ku-certsign
refused "leaf: keyCertSign" CHAIN_UNTRUSTED "end-entity certificate with keyCertSign" $OFF "$T/lcertsign.pem"
leaf laiac "$T/leaf.key" --quirk aia-critical
refused "leaf: critical AIA" CHAIN_UNTRUSTED "critical authorityInfoAccess" $OFF "$T/laiac.pem"
leaf laiam "$T/leaf.key" --quirk aia-malformed
refused "leaf: malformed AIA" MALFORMED "authorityInfoAccess does not decode" $OFF "$T/laiam.pem"
key "$T/explicit.key" explicit
leaf lexplicit "$T/explicit.key"
refused "leaf: explicit EC parameters" UNSUPPORTED_ALGORITHM "explicit or implicit curve parameters" \
    $OFF "$T/lexplicit.pem"
# the messages, in every language
expect UNSUPPORTED_ALGORITHM 1 check-cert --offline --no-revocation --lang kk $OFF "$T/lexplicit.pem"
grep -q "атаулы қисықтар" "$T/out" || fail "the explicit-parameters message in Kazakh"
expect CHAIN_UNTRUSTED 1 check-cert --offline --no-revocation --lang ru $OFF "$T/lnoaki.pem"
grep -q "не соответствует профилю сертификатов" "$T/out" || fail "the profile message in Russian"

# ---- the NCA's certificates keep to the profile
V=
for d in "$top_srcdir/tests/vectors" "$top_srcdir/../shared/vectors"; do
	[ -f "$d/nca-gost2015/ca.der" ] && [ -d "$d/nca-p12" ] && { V=$d; break; }
done
if [ -z "$V" ]; then
	echo "skip: NCA vectors not found (tests/vectors or ../shared/vectors)"
else
	NCA="--offline --no-revocation --no-check-iin-checksum --at 2022-09-01T00:00:00+06:00"
	for c in individual-gost2015 ceo-gost2015-revoked; do
		if "$TANBA" check-cert $NCA --anchors "$V/nca-gost2015/ca.der" "$V/nca-p12/$c.cert.pem" \
		    >"$T/out" 2>"$T/err" || ! grep -q "UNSUPPORTED_ALGORITHM\|gost" "$T/out" "$T/err"; then
			expect VALID 0 check-cert $NCA --anchors "$V/nca-gost2015/ca.der" "$V/nca-p12/$c.cert.pem"
		else
			echo "skip: $c: no GOST here"
		fi
	done
	# Its RSA test CA is not among the vectors: the leaf alone breaks no rule.
	expect CHAIN_UNTRUSTED 1 check-cert --offline --no-revocation --no-check-iin-checksum --json \
	    --at 2021-06-01T00:00:00Z $OFF "$V/nca-p12/individual-rsa-sign.cert.pem"
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); ids=[r["id"] for r in j["reasons"]]; assert ids == ["CHAIN_UNTRUSTED"], ids' \
	    "$T/out" || fail "NCA RSA certificate: a profile reason"
fi

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all passed"
