#!/bin/sh
# tanba-admin key import: the real NCA container individual-rsa-sign.p12
# (tests/vectors/nca-p12) goes onto a SoftHSM2 token at a time inside its
# certificate's validity (--at; tanbad with TANBA_FAKE_TIME), as a sensitive,
# never-extractable key with its certificate under the same CKA_ID; tanbad
# signs with it and `openssl cms -verify` accepts the result. An EC container
# made with the openssl CLI from the test PKI does the same at today's time.
# Each refusal has its test: wrong password (one try), expired certificate
# (and --allow-expired), a GOST key, a duplicate label, a damaged file, a
# password given on no channel.
TB_NO_START=1
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/setup.sh"
tb_setup_daemon

VEC="$top_srcdir/tests/vectors/nca-p12"
[ -r "$VEC/individual-rsa-sign.p12" ] || tb_fail "vectors missing: $VEC"
ADMIN="$top_builddir/ca-tools/tanba-admin"
admin() { "$ADMIN" --module "$SOFTHSM_MODULE" "$@" </dev/null; }
TOKEN="pkcs11:token=$TB_TOKEN_LABEL"
# 2021-06-01T00:00:00Z: inside 2021-01-18..2022-01-18, the RSA certificate's life.
AT=2021-06-01T00:00:00Z
AT_EPOCH=1622505600
pw() { printf '%s\n' "$2" > "$TB_TMP/$1.pw"; chmod 0600 "$TB_TMP/$1.pw"; }
pw rsa Qwerty12
pw gost Aa123456
pw wrong Qwerty13
p11() {
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$TB_TOKEN_LABEL" --login \
	    --pin "$TB_USER_PIN" "$@" 2>/dev/null
}
# expect_refusal WHAT TEXT ARGS: import must fail, its message must hold TEXT.
expect_refusal() {
	_what=$1 _text=$2
	shift 2
	if admin key import "$@" --token "$TOKEN" --pin-file "$TB_PIN_FILE" \
	    >"$TB_TMP/out" 2>"$TB_TMP/err"; then
		tb_fail "$_what: accepted"
	fi
	cat "$TB_TMP/err"
	grep -q "$_text" "$TB_TMP/err" || tb_fail "$_what: message lacks '$_text'"
}
nkeys() { p11 --list-objects --type privkey | grep -c "^Private Key Object"; }

tb_log "refusals, nothing written"
before=$(nkeys)
expect_refusal "expired certificate" "expired before" \
    --p12 "$VEC/individual-rsa-sign.p12" --password-file "$TB_TMP/rsa.pw" --label nca
expect_refusal "not yet valid" "not valid yet" --at 2020-01-01T00:00:00Z \
    --p12 "$VEC/individual-rsa-sign.p12" --password-file "$TB_TMP/rsa.pw" --label nca
expect_refusal "wrong password" "wrong password (not retried" --at "$AT" \
    --p12 "$VEC/individual-rsa-sign.p12" --password-file "$TB_TMP/wrong.pw" --label nca
expect_refusal "GOST key" "holds a GOST key" --at 2023-01-01T00:00:00Z \
    --p12 "$VEC/individual-gost2015.p12" --password-file "$TB_TMP/gost.pw" --label g
grep -q "file key" "$TB_TMP/err" || tb_fail "GOST refusal does not point to file keys"
head -c 300 "$VEC/individual-rsa-sign.p12" > "$TB_TMP/cut.p12"
expect_refusal "damaged container" "not a PKCS#12" --at "$AT" \
    --p12 "$TB_TMP/cut.p12" --password-file "$TB_TMP/rsa.pw" --label nca
expect_refusal "no password channel" "container password needed" --at "$AT" \
    --p12 "$VEC/individual-rsa-sign.p12" --label nca
chmod 0644 "$TB_TMP/rsa.pw"
expect_refusal "readable password file" "rsa.pw" --at "$AT" \
    --p12 "$VEC/individual-rsa-sign.p12" --password-file "$TB_TMP/rsa.pw" --label nca
chmod 0600 "$TB_TMP/rsa.pw"
[ "$(nkeys)" = "$before" ] || tb_fail "a refused import left a key on the token"

tb_log "import the NCA RSA container at $AT"
uri=$(admin key import --at "$AT" --p12 "$VEC/individual-rsa-sign.p12" \
    --password-file "$TB_TMP/rsa.pw" --token "$TOKEN" --label nca \
    --pin-file "$TB_PIN_FILE") || tb_fail "import of individual-rsa-sign.p12"
echo "$uri"
case $uri in *"object=nca"*"type=private"*) ;; *) tb_fail "odd URI: $uri" ;; esac
access=$(p11 --list-objects --type privkey | awk '/label:/ { l = $2 } /Access:/ && l == "nca" { sub(/^[ \t]*Access:[ \t]*/, ""); print }')
echo "access: $access"
# CKA_NEVER_EXTRACTABLE stays false for any imported key (PKCS#11: it was
# outside the token once); CKA_EXTRACTABLE false is what keeps it there now.
case $access in sensitive*) ;; *) tb_fail "imported key not sensitive: $access" ;; esac
echo "$access" | grep -Eq '(^|, )extractable' && tb_fail "imported key is extractable"
p11 --list-objects --type privkey | grep -A8 "label: *nca" | grep -q "Usage:.*sign" ||
    tb_fail "imported key cannot sign"
rm -f "$TB_TMP/leak.der"
p11 --read-object --type privkey --label nca -o "$TB_TMP/leak.der" >/dev/null
[ -s "$TB_TMP/leak.der" ] && tb_fail "the imported private key can be read from the token"
kid=$(p11 --list-objects --type privkey | grep -A6 "label: *nca" | sed -n 's/^ *ID: *//p' | head -n 1)
cid=$(p11 --list-objects --type cert | grep -A6 "label: *nca" | sed -n 's/^ *ID: *//p' | head -n 1)
[ -n "$kid" ] && [ "$kid" = "$cid" ] || tb_fail "certificate id '$cid' is not the key's '$kid'"
p11 --read-object --type cert --label nca -o "$TB_TMP/nca-cert.der" >/dev/null
openssl x509 -inform DER -in "$TB_TMP/nca-cert.der" -noout -fingerprint -sha256 > "$TB_TMP/fp1"
openssl x509 -in "$VEC/individual-rsa-sign.cert.pem" -noout -fingerprint -sha256 > "$TB_TMP/fp2"
cmp -s "$TB_TMP/fp1" "$TB_TMP/fp2" || tb_fail "the token's certificate is not the container's"
expect_refusal "duplicate label" "already holds" --at "$AT" \
    --p12 "$VEC/individual-rsa-sign.p12" --password-file "$TB_TMP/rsa.pw" --label nca

tb_log "an EC container (openssl pkcs12 -export of the test PKI's EC key)"
openssl pkcs12 -export -inkey "$TB_PKI/ec-sign.key" -in "$TB_PKI/ec-sign.pem" \
    -passout file:"$TB_TMP/gost.pw" -out "$TB_TMP/ec.p12" || tb_fail "openssl pkcs12 -export"
admin key import --p12 "$TB_TMP/ec.p12" --password-file "$TB_TMP/gost.pw" --token "$TOKEN" \
    --label ecp12 --pin-file "$TB_PIN_FILE" >/dev/null || tb_fail "import of the EC container"

tb_log "the test PKI's RSA containers: the NCA's layout; a key not its certificate's"
"$TB_TESTPKI" p12 --cert "$TB_PKI/rsa-sign.pem" --key "$TB_PKI/rsa-sign.key" \
    --chain "$TB_PKI/chain.pem" --password-file "$TB_TMP/rsa.pw" --out "$TB_TMP/tp-rsa.p12" ||
    tb_fail "tanba-testpki p12"
openssl pkcs12 -info -noout -legacy -in "$VEC/individual-rsa-sign.p12" \
    -passin file:"$TB_TMP/rsa.pw" > "$TB_TMP/info.nca" 2>&1
openssl pkcs12 -info -noout -legacy -in "$TB_TMP/tp-rsa.p12" -passin file:"$TB_TMP/rsa.pw" 2>&1 |
    uniq > "$TB_TMP/info.tp"
diff "$TB_TMP/info.nca" "$TB_TMP/info.tp" || tb_fail "test PKI container not in the NCA's layout"
admin key import --p12 "$TB_TMP/tp-rsa.p12" --password-file "$TB_TMP/rsa.pw" --token "$TOKEN" \
    --label tprsa --pin-file "$TB_PIN_FILE" 2>"$TB_TMP/err" >/dev/null ||
    tb_fail "import of the test PKI's RSA container: $(cat "$TB_TMP/err")"
grep -q "and 2 chain certificates" "$TB_TMP/err" || tb_fail "chain not stored: $(cat "$TB_TMP/err")"
"$TB_TESTPKI" p12 --cert "$TB_PKI/rsa-sign.pem" --key "$TB_PKI/expired.key" \
    --password-file "$TB_TMP/rsa.pw" --out "$TB_TMP/mismatch.p12" || tb_fail "tanba-testpki p12"
before=$(nkeys)
expect_refusal "key not its certificate's" "does not match its certificate" \
    --p12 "$TB_TMP/mismatch.p12" --password-file "$TB_TMP/rsa.pw" --label mm
[ "$(nkeys)" = "$before" ] || tb_fail "the mismatched key reached the token"

tb_log "an expired certificate with --allow-expired"
admin key import --allow-expired --p12 "$VEC/individual-rsa-sign.p12" \
    --password-file "$TB_TMP/rsa.pw" --token "$TOKEN" --label old --pin-file "$TB_PIN_FILE" \
    >/dev/null 2>"$TB_TMP/err" || tb_fail "--allow-expired refused: $(cat "$TB_TMP/err")"
grep -q "warning: the certificate expired" "$TB_TMP/err" || tb_fail "no expiry warning"

tb_log "tanbad signs with the imported keys"
cat >> "$TB_CONF" <<CONF

[key "nca"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=nca
digest = sha256

[key "ecp12"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=ecp12
chain = $TB_PKI/chain.pem
digest = sha256
CONF
printf 'a document of the agency\n' > "$TB_TMP/doc.txt"
# The EC key's certificate is today's: sign with it before the clock goes back.
tb_start_daemon || tb_fail "tanbad did not start"
tb_tanba sign --key ecp12 -o "$TB_TMP/ec.p7s" "$TB_TMP/doc.txt" || tb_fail "sign with ecp12"
tb_verify_cms "$TB_TMP/ec.p7s" || tb_fail "the EC signature does not verify"
tb_stop_daemon
TANBA_FAKE_TIME=$AT_EPOCH
export TANBA_FAKE_TIME
tb_start_daemon || tb_fail "tanbad did not start at $AT"
tb_tanba sign --key nca -o "$TB_TMP/nca.p7s" "$TB_TMP/doc.txt" || tb_fail "sign with nca"
# The NCA's RSA CA is not among the vectors: the signer's certificate is the anchor.
openssl cms -verify -binary -inform DER -in "$TB_TMP/nca.p7s" -CAfile \
    "$VEC/individual-rsa-sign.cert.pem" -partial_chain -purpose any -attime "$AT_EPOCH" \
    -out "$TB_TMP/nca.out" || tb_fail "openssl cms -verify refuses the NCA key's signature"
cmp -s "$TB_TMP/nca.out" "$TB_TMP/doc.txt" || tb_fail "signed content differs"
openssl cms -cmsout -print -inform DER -in "$TB_TMP/nca.p7s" | grep -q "IIN123456789011" ||
    tb_fail "the signature does not carry the NCA certificate"
tb_stop_daemon
unset TANBA_FAKE_TIME
echo "NCA RSA and EC containers imported, refusals clear, signatures verify"
