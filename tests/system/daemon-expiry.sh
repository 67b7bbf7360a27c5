#!/bin/sh
# Key expiry and daemon housekeeping: keys close to the configured warning
# threshold are flagged in status and logged, a reload applies a new
# threshold, status says which algorithms can be verified, and the pid file
# lives exactly as long as the daemon.
TB_NO_START=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

pidfile="$TB_TMP/tanbad.pid"
# The test PKI issues signing certificates for about a year: 400 days warns.
set_threshold() {
	sed -i -e '/^expiry_warning_days/d' -e '/^pid_file/d' "$TB_CONF"
	sed -i "s|^syslog = no|syslog = no\nexpiry_warning_days = $1\npid_file = $pidfile|" "$TB_CONF"
}
# status_field PYEXPR: evaluates PYEXPR over the status answer s.
status_field() {
	tb_tanba status --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

set_threshold 400
tb_start_daemon || tb_fail "tanbad did not start"

[ -f "$pidfile" ] || tb_fail "no pid file written"
[ "$(cat "$pidfile")" = "$TB_DAEMON_PID" ] || tb_fail "pid file holds $(cat "$pidfile"), not $TB_DAEMON_PID"

[ "$(status_field 's["expiry_warning_days"]')" = 400 ] || tb_fail "threshold not reported"
[ "$(status_field '[k["expiring"] for k in s["keys"] if k["name"]=="rsa"][0]')" = True ] ||
	tb_fail "a key with about 365 days left is not flagged under a 400-day threshold"
status_field '"\n".join(s["warnings"])' | grep -q "key rsa" || tb_fail "no status warning for key rsa"
i=0
until grep -q "certificate of key rsa expires soon" "$TB_TMP/tanbad.log"; do
	i=$((i + 1)); [ $i -lt $((50 * TB_TIME_SCALE)) ] || tb_fail "expiry warning not logged"; sleep 0.1
done

verify_algs=$(status_field '" ".join(s["algorithms"]["verify"])')
echo "$verify_algs" | grep -q "rsa-pss" || tb_fail "status does not list verification algorithms: $verify_algs"
if [ -f /usr/lib/x86_64-linux-gnu/engines-3/gost.so ] || [ -f /usr/lib/aarch64-linux-gnu/engines-3/gost.so ]; then
	[ "$(status_field 's["algorithms"]["gost_available"]')" = True ] ||
		tb_fail "GOST engine installed but status says unavailable: $(status_field 's["algorithms"]["gost"]')"
	status_field 's["algorithms"]["gost"]' | grep -q "gost2015-512" || tb_fail "gost2015-512 not listed"
fi

set_threshold 10
kill -HUP "$TB_DAEMON_PID"
i=0
until [ "$(status_field 's["expiry_warning_days"]')" = 10 ]; do
	i=$((i + 1)); [ $i -lt $((100 * TB_TIME_SCALE)) ] || tb_fail "reload did not apply the new threshold"; sleep 0.1
done
[ "$(status_field '[k["expiring"] for k in s["keys"] if k["name"]=="rsa"][0]')" = False ] ||
	tb_fail "key rsa still flagged under a 10-day threshold"
[ "$(status_field '[k["expiring"] for k in s["keys"] if k["name"]=="expired"][0]')" = True ] ||
	tb_fail "an expired key is not flagged"

tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC"
[ ! -e "$pidfile" ] || tb_fail "pid file left behind after exit"
echo "expiry warnings, algorithms and pid file behave"
