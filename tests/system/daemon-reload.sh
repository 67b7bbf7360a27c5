#!/bin/sh
# Configuration reload and shutdown: SIGHUP with a valid changed config
# takes effect; with a broken one the old config keeps serving and status
# reports config_error; SIGTERM exits 0 and removes the socket.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

doc="$TB_TMP/doc"
echo "reload" > "$doc"

# wait_for CMD...: up to 10 s (x TB_TIME_SCALE) for CMD to succeed.
wait_for() {
	_n=0
	while ! "$@" >/dev/null 2>&1; do
		_n=$((_n + 1))
		[ $_n -lt $((100 * TB_TIME_SCALE)) ] || return 1
		sleep 0.1
	done
}
no_key() { ! tb_has_key "$1"; }
config_error_set() {
	tb_tanba status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if s["config_error"] else 1)'
}

tb_tanba status --json > "$TB_TMP/s0.json" || tb_fail "status"
loaded0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["config_loaded"])' "$TB_TMP/s0.json")

tb_log "valid change: key 'ec' renamed to 'ec2', 'expired' removed"
sed -e 's/^\[key "ec"\]/[key "ec2"]/' -e '/^\[key "expired"\]/,/^$/d' "$TB_CONF" > "$TB_CONF.new"
grep -q 'key "ec2"' "$TB_CONF.new" || tb_fail "could not edit the config"
mv "$TB_CONF.new" "$TB_CONF"
sleep 1.1	# config_loaded has one-second resolution
kill -HUP "$TB_DAEMON_PID"
wait_for tb_has_key ec2 || tb_fail "SIGHUP: key ec2 did not appear"
wait_for no_key ec || tb_fail "SIGHUP: key ec still listed"
no_key expired || tb_fail "SIGHUP: removed key 'expired' still listed"
tb_tanba sign --key ec2 -o "$TB_TMP/ec2.der" "$doc" || tb_fail "sign with the new key name"
tb_verify_cms "$TB_TMP/ec2.der" || tb_fail "ec2 signature does not verify"
tb_tanba sign --key ec "$doc" > /dev/null 2> "$TB_TMP/err" && tb_fail "old key name still signs"
grep -q "no such key 'ec'" "$TB_TMP/err" || tb_fail "old key name: $(cat "$TB_TMP/err")"
tb_tanba status --json > "$TB_TMP/s1.json" || tb_fail "status"
python3 - "$TB_TMP/s1.json" "$loaded0" <<'PY' || tb_fail "status after a good reload"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["config_error"] is None, s["config_error"]
assert s["config_loaded"] != sys.argv[2], "config_loaded unchanged: " + s["config_loaded"]
PY

tb_log "broken config: the old one keeps serving"
cp "$TB_CONF" "$TB_CONF.good"
printf '[daemon]\nmax_frame_bytes = banana\n[key "x"\nuri = \n' > "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
wait_for config_error_set || tb_fail "status shows no config_error after a broken reload"
tb_tanba status
kill -0 "$TB_DAEMON_PID" || tb_fail "tanbad died on a broken config"
tb_tanba sign --key ec2 -o "$TB_TMP/ec2b.der" "$doc" || tb_fail "old config no longer serves"
tb_verify_cms "$TB_TMP/ec2b.der" || tb_fail "signature after broken reload does not verify"
tb_tanba sign --key rsa --digest "sha512:$(tb_sha "$doc" sha512)" -o "$TB_TMP/rsa.der" ||
    tb_fail "rsa after broken reload"
tb_verify_cms "$TB_TMP/rsa.der" "$doc" || tb_fail "rsa after broken reload does not verify"

tb_log "a PIN file made world-readable is refused on reload too"
mv "$TB_CONF.good" "$TB_CONF"
chmod 0644 "$TB_PIN_FILE"
kill -HUP "$TB_DAEMON_PID"
sleep 1
tb_tanba sign --key ec2 -o "$TB_TMP/ec2c.der" "$doc" || tb_fail "serving stopped after a reload with a bad PIN file"
chmod 0600 "$TB_PIN_FILE"

tb_log "a good config again clears config_error"
kill -HUP "$TB_DAEMON_PID"

n=0
while config_error_set; do
	n=$((n + 1)); [ $n -lt $((100 * TB_TIME_SCALE)) ] || tb_fail "config_error not cleared by a good reload"; sleep 0.1
done

tb_log "a setting only a restart applies is named in the log"
sed 's/^\[daemon\]$/[daemon]\nsign_workers = 5/' "$TB_CONF" > "$TB_CONF.new" &&
    mv "$TB_CONF.new" "$TB_CONF"
grep -q '^sign_workers = 5$' "$TB_CONF" || tb_fail "could not edit the config"
kill -HUP "$TB_DAEMON_PID"
tb_wait_log 'sign_workers change takes effect at restart' ||
    tb_fail "no warning that sign_workers needs a restart"
tb_tanba sign --key ec2 -o "$TB_TMP/ec2d.der" "$doc" || tb_fail "sign after a restart-only change"

tb_log "SIGHUPs while a reload runs: the file of the last one serves"
# Each SIGHUP names the key anew; one that comes while a reload runs must
# still be followed, or the file of the last SIGHUP never serves.
cp "$TB_CONF" "$TB_CONF.base"
i=1
while [ $i -le 12 ]; do
	sed "s/^\[key \"ec2\"\]/[key \"burst$i\"]/" "$TB_CONF.base" > "$TB_CONF.new" &&
	    mv "$TB_CONF.new" "$TB_CONF"
	grep -q "^\[key \"burst$i\"\]" "$TB_CONF" || tb_fail "could not edit the config"
	kill -HUP "$TB_DAEMON_PID"
	sleep 0.02
	i=$((i + 1))
done
wait_for tb_has_key burst12 || tb_fail "the last SIGHUP's file does not serve: $(tb_tanba keys)"
tb_tanba sign --key burst12 -o "$TB_TMP/burst.der" "$doc" || tb_fail "sign with burst12"
tb_verify_cms "$TB_TMP/burst.der" || tb_fail "burst12 signature does not verify"

tb_log "SIGTERM"
tb_stop_daemon
[ "$TB_DAEMON_RC" -eq 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
[ ! -e "$TB_SOCK" ] || tb_fail "socket still there after SIGTERM"
echo "PASS"
