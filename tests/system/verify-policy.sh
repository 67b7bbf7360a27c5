#!/bin/sh
# RFC 5280 certificate policies through tanba check-cert --offline, on test
# PKI certificates made now: a portal demanding the NCA signing policies
# (1.2.398.3.3.2.3 individual, 1.2.398.3.3.2.1 legal entity), anyPolicy
# and --inhibit-any-policy, a mapping and --inhibit-policy-mapping, a
# mapping of anyPolicy, a bad OID, and a hostile tree (many policies times
# many mappings) cut off by the node limit with its reason.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VERDICT_TEST=policy
. "$top_srcdir/tests/system/setup.sh"
verdict_setup

P=$T/pki
"$TESTPKI" hierarchy --out "$P" --ca-alg ec256 --leaf-alg ec256 >"$T/testpki.log" 2>&1 ||
    { cat "$T/testpki.log"; exit 99; }
SIGN=1.2.398.3.3.2.3
LEGAL=1.2.398.3.3.2.1
# ca_like FILE ARGS...: a CA certificate with the issuing CA's name and key
# (the test PKI's leaves chain to it) but other policy extensions.
ca_like() {
	_out=$1
	shift
	"$TESTPKI" issue --dir "$P" --issuer-name root --profile ca --key "$P/ca.key" \
	    --cn "ТАҢБА TEST ISSUING CA" --org "ТАҢБА" --out "$_out" "$@" >"$T/testpki.log" 2>&1 ||
	    { cat "$T/testpki.log"; exit 99; }
}
leaf_with() {
	_out=$1
	shift
	"$TESTPKI" issue --dir "$P" --profile individual-sign --key "$P/individual-sign.key" \
	    --out "$_out" "$@" >"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
}
OFF="--offline --no-revocation --anchors $P/root.pem"

# ---- the test PKI as made: the CA asserts only the NCA CA policy
expect VALID 0 check-cert $OFF --untrusted "$P/ca.pem" "$P/individual-sign.pem"
# an initial policy set alone demands nothing (RFC 5280 6.1.1 (c) with (e) false)
expect VALID 0 check-cert $OFF --untrusted "$P/ca.pem" --policy $SIGN "$P/individual-sign.pem"
expect CHAIN_UNTRUSTED 1 check-cert $OFF --untrusted "$P/ca.pem" --policy $SIGN \
    --require-explicit-policy "$P/individual-sign.pem"
expect CHAIN_UNTRUSTED 1 check-cert $OFF --untrusted "$P/ca.pem" --json --policy $SIGN \
    --require-explicit-policy "$P/individual-sign.pem"
grep -q '"id": "CHAIN_UNTRUSTED.policy"' "$T/out" || fail "no CHAIN_UNTRUSTED.policy reason"

# ---- a CA that asserts anyPolicy: the portal's demand decides
ca_like "$T/ca-any.pem" --policies "1.2.398.3.3.1.1,2.5.29.32.0"
U="--untrusted $T/ca-any.pem"
expect VALID 0 check-cert $OFF $U --policy $SIGN --require-explicit-policy "$P/individual-sign.pem"
expect VALID 0 check-cert $OFF $U --json --policy $SIGN --require-explicit-policy \
    "$P/individual-sign.pem"
tr -d ' \n' < "$T/out" | grep -q "\"user_constrained_policies\":\[\"$SIGN\"\]" ||
    fail "user-constrained policies not listed as [$SIGN]"
tr -d ' \n' < "$T/out" | grep -q "\"valid_policies\":\[\"$SIGN\"\]" ||
    fail "valid policies not listed as [$SIGN]"
expect VALID 0 check-cert $OFF $U --policy $SIGN --require-explicit-policy "$P/individual-sign.pem"
grep -q "^  valid policies: $SIGN\$" "$T/out" || fail "valid policies not printed"
expect CHAIN_UNTRUSTED 1 check-cert $OFF $U --policy $SIGN --require-explicit-policy "$P/legal-sign.pem"
expect VALID 0 check-cert $OFF $U --policy $LEGAL --require-explicit-policy "$P/legal-sign.pem"
expect VALID 0 check-cert $OFF $U --policy $SIGN --policy $LEGAL --require-explicit-policy \
    "$P/legal-sign.pem"
expect CHAIN_UNTRUSTED 1 check-cert $OFF $U --policy $SIGN --require-explicit-policy \
    --inhibit-any-policy "$P/individual-sign.pem"
# an authentication certificate is no signing certificate
expect CHAIN_UNTRUSTED 1 check-cert $OFF $U --policy $SIGN --require-explicit-policy \
    "$P/individual-auth.pem"

# ---- a mapping: the CA's NCA signing policy is the leaf's 1.2.3.4.1
ca_like "$T/ca-map.pem" --policies "$SIGN" --policy-mappings "$SIGN:1.2.3.4.1"
leaf_with "$T/leaf-map.pem" --policies 1.2.3.4.1
expect VALID 0 check-cert $OFF --untrusted "$T/ca-map.pem" --policy $SIGN \
    --require-explicit-policy "$T/leaf-map.pem"
expect CHAIN_UNTRUSTED 1 check-cert $OFF --untrusted "$T/ca-map.pem" --policy $SIGN \
    --require-explicit-policy --inhibit-policy-mapping "$T/leaf-map.pem"
# RFC 5280 6.1.4 (a): anyPolicy is never mapped
ca_like "$T/ca-mapany.pem" --policies "$SIGN" --policy-mappings "2.5.29.32.0:1.2.3.4.1"
expect CHAIN_UNTRUSTED 1 check-cert $OFF --untrusted "$T/ca-mapany.pem" --json "$T/leaf-map.pem"
grep -q 'anyPolicy' "$T/out" || fail "mapping of anyPolicy not named"

# ---- the caller's mistakes
expect "" 2 check-cert $OFF $U --policy individual_sign "$P/individual-sign.pem"
grep -q "not a dotted OID" "$T/err" || fail "bad --policy not explained: $(cat "$T/err")"

# ---- hostile: 32 policies, each mapped to all 32, under 32 policies: 1024 nodes
POL=$(seq -s, -f '1.2.3.4.%g' 1 32)
MAP=$(for i in $(seq 1 32); do for j in $(seq 1 32); do printf '1.2.3.4.%d:1.2.3.4.%d,' "$i" "$j"; done; done)
ca_like "$T/ca-hostile.pem" --policies "$POL" --policy-mappings "${MAP%,}"
leaf_with "$T/leaf-hostile.pem" --policies "$POL"
expect CHAIN_UNTRUSTED 1 check-cert $OFF --untrusted "$T/ca-hostile.pem" --json "$T/leaf-hostile.pem"
grep -q '"id": "CHAIN_UNTRUSTED.policy_limit"' "$T/out" || fail "no policy_limit reason"
grep -q 'policy tree over 1000 nodes' "$T/out" || fail "the node limit is not named"
# a smaller tree of the same shape is processed in full
POL=$(seq -s, -f '1.2.3.4.%g' 1 8)
MAP=$(for i in $(seq 1 8); do for j in $(seq 1 8); do printf '1.2.3.4.%d:1.2.3.4.%d,' "$i" "$j"; done; done)
ca_like "$T/ca-small.pem" --policies "$POL" --policy-mappings "${MAP%,}"
leaf_with "$T/leaf-small.pem" --policies "$POL"
expect VALID 0 check-cert $OFF --untrusted "$T/ca-small.pem" --policy 1.2.3.4.5 \
    --require-explicit-policy "$T/leaf-small.pem"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all policy checks passed"
