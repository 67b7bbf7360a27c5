#!/bin/sh
# Trust anchors are part of the configuration: a reload whose [verify]
# anchors file is broken (garbage, empty, missing) is refused like any bad
# config (status shows config_error) and verification keeps using the
# running anchors; a reload with new good anchors takes them at once.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

ANCHORS="$TB_TMP/anchors.pem"
cp "$TB_PKI/root.pem" "$ANCHORS"
cat >> "$TB_CONF" <<CONF

[verify]
anchors = $ANCHORS
untrusted = $TB_PKI/chain.pem
check_iin_checksum = no
CONF
grep -q '^\[audit\]' "$TB_CONF" || printf '\n[audit]\nfile = %s\n' "$TB_TMP/audit.log" >> "$TB_CONF"
grep -q '^\[client ' "$TB_CONF" || printf '\n[client "reload-anchors"]\nuser = %s\nops = sign keys status verify check-cert\nkeys = rsa ec\n' \
    "$(id -un)" >> "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

printf 'anchors\n' > "$TB_TMP/doc"
tb_tanba sign --key rsa -o "$TB_TMP/signed.p7" "$TB_TMP/doc" || tb_fail "sign"

# verdict: the first line of tanba verify's answer (status 0 or 1 only).
verdict() {
	tb_tanba verify "$TB_TMP/signed.p7" >"$TB_TMP/out" 2>"$TB_TMP/err"
	_rc=$?
	[ "$_rc" -le 1 ] || tb_fail "verify: exit $_rc: $(cat "$TB_TMP/out" "$TB_TMP/err")"
	head -n 1 "$TB_TMP/out"
}
config_error() {
	tb_tanba status --json | python3 -c 'import json,sys; e=json.load(sys.stdin)["config_error"]; print(e or ""); sys.exit(0 if e else 1)'
}
# reload_and_wait: SIGHUP, then up to 10 s for the reload to be done (ok or refused).
reload_and_wait() {
	_before=$(tb_tanba status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["config_loaded"], s["config_error"])')
	kill -HUP "$TB_DAEMON_PID"
	_n=0
	while :; do
		_now=$(tb_tanba status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["config_loaded"], s["config_error"])')
		[ "$_now" != "$_before" ] && break
		_n=$((_n + 1)); [ $_n -lt 100 ] || tb_fail "no reload seen in 10 s"
		sleep 0.1
	done
}

v=$(verdict); [ "$v" = VALID ] || tb_fail "before any reload: $v"

for broken in garbage empty missing; do
	tb_log "reload with $broken anchors is refused; the running anchors keep serving"
	case $broken in
	garbage) printf 'not a certificate\n' > "$ANCHORS" ;;
	empty) : > "$ANCHORS" ;;
	missing) rm -f "$ANCHORS" ;;
	esac
	sleep 1.1	# config_loaded has one-second resolution
	reload_and_wait
	e=$(config_error) || tb_fail "$broken anchors: the reload was not refused"
	echo "$e" | grep -q "anchors\|verify" || tb_fail "$broken anchors: config_error does not name them: $e"
	kill -0 "$TB_DAEMON_PID" || tb_fail "tanbad died"
	v=$(verdict); [ "$v" = VALID ] || tb_fail "after a refused reload ($broken): $v"
	tb_tanba sign --key ec -o "$TB_TMP/ec.p7" "$TB_TMP/doc" || tb_fail "signing stopped ($broken)"
	# the next good reload clears the error
	cp "$TB_PKI/root.pem" "$ANCHORS"
	sleep 1.1
	reload_and_wait
	config_error >/dev/null && tb_fail "a good reload did not clear config_error"
	v=$(verdict); [ "$v" = VALID ] || tb_fail "after a good reload: $v"
done

tb_log "new good anchors are taken at the reload: another root makes the chain untrusted"
"$TB_TESTPKI" hierarchy --out "$TB_TMP/other" --ca-alg rsa2048 --leaf-alg rsa2048 \
    >"$TB_TMP/other.log" 2>&1 || tb_fail "second test PKI: $(cat "$TB_TMP/other.log")"
cp "$TB_TMP/other/root.pem" "$ANCHORS"
sleep 1.1
reload_and_wait
config_error >/dev/null && tb_fail "a reload with another valid root was refused"
v=$(verdict); [ "$v" = CHAIN_UNTRUSTED ] || tb_fail "the new anchors were not taken: $v"
tb_log "ok"
