#!/bin/sh
# The security officer's whole key lifecycle through the real tanbad:
# generate on the token -> CSR -> certificate from the test PKI -> import ->
# sign through the daemon -> rotate to a new key with a config change and
# tanba-admin reload while a client signs without pause (no request may
# fail; every signature verifies with its own certificate, old ones before
# new ones) -> destroy the old key, refused for the key in use.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"

# tanbad must be able to serve; a build without it skips this test.
if ! "$top_builddir/daemon/tanbad" --help >/dev/null 2>&1; then
	echo "SKIP: $top_builddir/daemon/tanbad cannot run yet"
	exit 77
fi
TB_NO_START=1
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

ADMIN="$top_builddir/ca-tools/tanba-admin"
[ -x "$ADMIN" ] || tb_fail "$ADMIN not built"
[ -x "$TB_TESTPKI" ] || tb_fail "$TB_TESTPKI not built"
adm() {
	"$ADMIN" --module "$SOFTHSM_MODULE" "$@" </dev/null
}
TOKEN="pkcs11:token=$TB_TOKEN_LABEL"

# new_key LABEL TYPE: generate, request, issue, import; leaves $TB_TMP/LABEL.pem.
new_key() {
	adm key generate --token "$TOKEN" --label "$1" --type "$2" --pin-file "$TB_PIN_FILE" \
	    >"$TB_TMP/$1.uri" || tb_fail "key generate $1"
	adm csr --key "$TOKEN;object=$1" --pin-file "$TB_PIN_FILE" --cn "TANBA REGISTRY" \
	    --org "ТАҢБА СЫНАҚ ЖШС" --bin 040840001231 -o "$TB_TMP/$1.csr" >/dev/null ||
	    tb_fail "csr $1"
	openssl req -in "$TB_TMP/$1.csr" -verify -noout 2>/dev/null || tb_fail "csr $1 does not verify"
	"$TB_TESTPKI" issue --dir "$TB_PKI" --csr "$TB_TMP/$1.csr" --profile legal-sign \
	    --out "$TB_TMP/$1.pem" >/dev/null || tb_fail "issue $1"
	adm cert import --key "$TOKEN;object=$1" --pin-file "$TB_PIN_FILE" "$TB_TMP/$1.pem" \
	    >/dev/null || tb_fail "cert import $1"
}

# serial_of CMS: the serial number of the certificate that signed a CMS.
serial_of() {
	openssl cms -verify -binary -inform DER -in "$1" -CAfile "$TB_CAFILE" \
	    -signer "$1.signer.pem" -out /dev/null 2>/dev/null &&
	    openssl x509 -in "$1.signer.pem" -noout -serial | cut -d= -f2
}

tb_log "old key: generate, request, issue, import"
new_key reg-old rsa:2048
old_serial=$(openssl x509 -in "$TB_TMP/reg-old.pem" -noout -serial | cut -d= -f2)
cat >> "$TB_CONF" <<CONF

[key "registry"]
uri = $TOKEN;object=reg-old
chain = $TB_PKI/chain.pem
CONF
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

doc="$TB_TMP/doc"
echo "a registry extract" > "$doc"
tb_tanba sign --key registry -o "$TB_TMP/first.der" "$doc" || tb_fail "sign with the old key"
tb_verify_cms "$TB_TMP/first.der" || tb_fail "old-key signature does not verify"
[ "$(serial_of "$TB_TMP/first.der")" = "$old_serial" ] || tb_fail "not signed by the old certificate"
adm key list --config "$TB_CONF" --pin-file "$TB_PIN_FILE" 2>/dev/null |
    grep -q 'used by tanbad as key "registry"' || tb_fail "key list does not show the key in use"

tb_log "new key made while the old one serves"
new_key reg-new ec:p256
new_serial=$(openssl x509 -in "$TB_TMP/reg-new.pem" -noout -serial | cut -d= -f2)

tb_log "rotation under load"
mkdir "$TB_TMP/sigs"
# Three clients, each signing one request after another: requests are in
# flight on the daemon at every moment of the reload.
loaders=
for l in 1 2 3; do
	(
		i=0
		while [ ! -f "$TB_TMP/stop" ] && [ $i -lt 2000 ]; do
			i=$((i + 1))
			n=$l-$(printf '%05d' $i)
			if ! "$TB_TANBA" --socket "$TB_SOCK" sign --key registry \
			    -o "$TB_TMP/sigs/$n.der" "$doc" 2>"$TB_TMP/sigs/$n.err"; then
				echo "$n" >> "$TB_TMP/failures"
			fi
		done
	) &
	loaders="$loaders $!"
done
# The old key has made signatures before it is rotated, however slow the start.
n=0
until [ "$(ls "$TB_TMP"/sigs/*.der 2>/dev/null | wc -l)" -ge 3 ]; do
	n=$((n + 1)); [ $n -lt 300 ] || tb_fail "no signature with the old key within 30 s"
	sleep 0.1
done
sed "s/object=reg-old\$/object=reg-new/" "$TB_CONF" > "$TB_CONF.new" && mv "$TB_CONF.new" "$TB_CONF"
grep -q "object=reg-new" "$TB_CONF" || tb_fail "could not edit the config"
adm reload --pid "$TB_DAEMON_PID" || tb_fail "tanba-admin reload"
n=0
until tb_tanba keys --json 2>/dev/null | python3 -c '
import json, sys
k = [k for k in json.load(sys.stdin)["keys"] if k["name"] == "registry"]
sys.exit(0 if k and k[0]["type"] == "ec" else 1)'; do
	n=$((n + 1))
	[ $n -lt 100 ] || { touch "$TB_TMP/stop"; wait $loaders; tb_fail "rotation not seen in keys"; }
	sleep 0.1
done
sleep 0.2
touch "$TB_TMP/stop"
wait $loaders
if [ -f "$TB_TMP/failures" ]; then
	f=$(head -n 1 "$TB_TMP/failures")
	tb_fail "$(wc -l < "$TB_TMP/failures") signatures failed during the rotation, first: $(cat "$TB_TMP/sigs/$f.err")"
fi

tb_log "the audit trail records the rotation and its chain verifies"
grep '"op":"key-change"' "$TB_TMP/audit.log" | grep '"key":"registry"' | grep -q 'object=reg-old -> .*object=reg-new' ||
	tb_fail "no key-change record for the rotation: $(grep key-change "$TB_TMP/audit.log")"
"$top_builddir/ca-tools/tanba-admin" audit-verify "$TB_TMP/audit.log" || tb_fail "audit chain broken after the rotation"

tb_log "every signature verifies with its own certificate; old ones before new ones"
# serial_of verifies each one with openssl; the last old and the first new
# signature are checked by GnuTLS too.
olds=0 news=0 last_old= first_new=
for l in 1 2 3; do
	seen_new=0
	for s in "$TB_TMP"/sigs/$l-*.der; do
		case $(serial_of "$s") in
		"$old_serial")
			[ $seen_new -eq 0 ] || tb_fail "$s: old key used after the new one"
			last_old=$s
			olds=$((olds + 1)) ;;
		"$new_serial")
			[ $seen_new -eq 1 ] || first_new=$s
			seen_new=1
			news=$((news + 1)) ;;
		*) tb_fail "$s does not verify, or was signed by an unknown certificate" ;;
		esac
	done
done
echo "signatures: $olds with the old key, $news with the new one"
[ $olds -gt 0 ] && [ $news -gt 0 ] || tb_fail "the load did not span the rotation"
tb_verify_cms "$last_old" || tb_fail "$last_old does not verify"
tb_verify_cms "$first_new" || tb_fail "$first_new does not verify"

tb_log "destroy the old key; the key in use is refused"
adm key destroy "$TOKEN;object=reg-new" --config "$TB_CONF" --pin-file "$TB_PIN_FILE" --yes \
    2>"$TB_TMP/err" && tb_fail "the configured key was destroyed"
grep -q "refused" "$TB_TMP/err" || tb_fail "refusal: $(cat "$TB_TMP/err")"
adm key destroy "$TOKEN;object=reg-old" --config "$TB_CONF" --pin-file "$TB_PIN_FILE" --yes ||
    tb_fail "destroying the old key"
tb_tanba sign --key registry -o "$TB_TMP/last.der" "$doc" || tb_fail "sign after destroying the old key"
tb_verify_cms "$TB_TMP/last.der" || tb_fail "signature after destroy does not verify"
[ "$(serial_of "$TB_TMP/last.der")" = "$new_serial" ] || tb_fail "last signature not by the new key"

echo "PASS"
