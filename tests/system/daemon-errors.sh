#!/bin/sh
# Errors a user meets: unknown key, a signing certificate out of its
# validity period, no daemon; and configurations tanbad must refuse at
# start (wrong PIN, missing module, PIN file readable by others). Each must
# give exit status 2 (client) or nonzero (daemon) and one clear line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

doc="$TB_TMP/doc"
echo "document" > "$doc"

# expect_fail2 PATTERN ARGS: tanba ARGS must exit 2 with one stderr line matching PATTERN.
expect_fail2() {
	_pat=$1; shift
	_rc=0
	tb_tanba "$@" > "$TB_TMP/out" 2> "$TB_TMP/err" || _rc=$?
	[ "$_rc" -eq 2 ] || tb_fail "tanba $*: exit $_rc, expected 2 ($(cat "$TB_TMP/err"))"
	[ "$(wc -l < "$TB_TMP/err")" -eq 1 ] || tb_fail "tanba $*: stderr is not one line: $(cat "$TB_TMP/err")"
	grep -q -- "$_pat" "$TB_TMP/err" || tb_fail "tanba $*: stderr lacks '$_pat': $(cat "$TB_TMP/err")"
	[ ! -s "$TB_TMP/out" ] || tb_fail "tanba $*: wrote output on failure"
	echo "  ok: $(cat "$TB_TMP/err")"
}

# iso_date CERT FIELD: the certificate's startdate/enddate as YYYY-MM-DD.
iso_date() {
	d=$(openssl x509 -in "$1" -noout -"$2" | cut -d= -f2)
	date -u -d "$d" +%Y-%m-%d
}

tb_log "unknown key"
expect_fail2 "no such key 'nosuchkey'" sign --key nosuchkey "$doc"
expect_fail2 "no such key 'nosuchkey'" sign --key nosuchkey --digest "sha256:$(tb_sha "$doc" sha256)"

tb_log "expired and not-yet-valid signing certificates"
expect_fail2 "$(iso_date "$TB_PKI/expired.pem" enddate)" sign --key expired "$doc"
grep -qi "expired" "$TB_TMP/err" || tb_fail "expired: message does not say expired"
expect_fail2 "$(iso_date "$TB_PKI/notyet.pem" startdate)" sign --key notyet --digest "sha256:$(tb_sha "$doc" sha256)"
grep -qi "not yet valid\|not valid before" "$TB_TMP/err" || tb_fail "notyet: message does not say not yet valid"

tb_log "client usage errors"
expect_fail2 "--key" sign "$doc"
expect_fail2 "digest" sign --key rsa --digest "sha256:1234"
expect_fail2 "cannot open" sign --key rsa "$TB_TMP/no-such-file"
head -c 20000 /dev/zero > "$TB_TMP/big"
_rc=0; TANBA_MAX_FRAME_BYTES=8192 "$TB_TANBA" --socket "$TB_SOCK" sign --key rsa "$TB_TMP/big" \
    > /dev/null 2> "$TB_TMP/err" || _rc=$?
[ $_rc -eq 2 ] && grep -q "^tanba: input too large (20000 bytes, limit [0-9]*)" "$TB_TMP/err" ||
    tb_fail "input over the limit: rc $_rc, $(cat "$TB_TMP/err")"

tb_log "the daemon still serves after all that"
tb_tanba sign --key rsa -o "$TB_TMP/ok.der" "$doc" || tb_fail "sign after errors"
tb_verify_cms "$TB_TMP/ok.der" || tb_fail "signature after errors does not verify"

tb_log "daemon not running"
tb_stop_daemon
[ ! -e "$TB_SOCK" ] || tb_fail "socket left behind after SIGTERM"
expect_fail2 "daemon not running (no socket at $TB_SOCK)" sign --key rsa "$doc"
expect_fail2 "daemon not running" keys
expect_fail2 "daemon not running" status

# refused CONF WHAT PATTERN: tanbad must exit nonzero without listening, and say PATTERN.
refused() {
	tb_run_daemon_expect_fail "$1" || tb_fail "$2: tanbad started anyway ($TB_DAEMON_ERR)"
	[ "$TB_DAEMON_RC" -ne 0 ] || tb_fail "$2: tanbad exited 0"
	printf '%s\n' "$TB_DAEMON_ERR" | grep -qi -- "$3" ||
	    tb_fail "$2: message lacks '$3': $TB_DAEMON_ERR"
	for _p in "$TB_USER_PIN" $4; do
		printf '%s\n' "$TB_DAEMON_ERR" | grep -qF -- "$_p" &&
		    tb_fail "$2: a PIN appears in the output"
	done
	echo "  ok: $2 -> exit $TB_DAEMON_RC: $(printf '%s\n' "$TB_DAEMON_ERR" | grep -i -- "$3" | head -n 1)"
}

tb_log "wrong PIN"
printf '%s' wrongPin-7Z > "$TB_TMP/wrong.pin"; chmod 0600 "$TB_TMP/wrong.pin"
tb_write_conf "$TB_TMP/wrongpin.conf" "$SOFTHSM_MODULE" "$TB_TMP/wrong.pin"
refused "$TB_TMP/wrongpin.conf" "wrong PIN" "pin" wrongPin-7Z
# The token must not be locked by that: the right PIN still works.
tb_start_daemon || tb_fail "tanbad does not start with the right PIN after a wrong one"
tb_tanba sign --key ec -o "$TB_TMP/ok2.der" "$doc" || tb_fail "sign after the wrong-PIN start"
tb_stop_daemon

tb_log "missing module"
tb_write_conf "$TB_TMP/nomodule.conf" "$TB_TMP/no-such-module.so"
refused "$TB_TMP/nomodule.conf" "missing module" "module"

tb_log "PIN file readable by others"
cp "$TB_PIN_FILE" "$TB_TMP/open.pin"; chmod 0644 "$TB_TMP/open.pin"
tb_write_conf "$TB_TMP/openpin.conf" "$SOFTHSM_MODULE" "$TB_TMP/open.pin"
refused "$TB_TMP/openpin.conf" "PIN file 0644" "pin"
grep -q "open.pin\|0644\|mode\|permission" "$TB_TMP/refused.log" ||
    tb_fail "PIN file 0644: message names neither the file nor its mode: $TB_DAEMON_ERR"

tb_log "a client in no [client] entry"
if [ "$(id -un)" != nobody ] && id nobody >/dev/null 2>&1; then
	sed "s/^user = $(id -un)\$/user = nobody/" "$TB_CONF" > "$TB_TMP/acl.conf"
	grep -q '^user = nobody$' "$TB_TMP/acl.conf" || tb_fail "could not edit the [client] entry"
	rm -f "$TB_SOCK"
	"$TB_TANBAD" -f -c "$TB_TMP/acl.conf" >>"$TB_TMP/tanbad.log" 2>&1 &
	TB_DAEMON_PID=$!
	_n=0
	until [ -S "$TB_SOCK" ]; do
		kill -0 "$TB_DAEMON_PID" 2>/dev/null || tb_fail "tanbad with an ACL for nobody did not run"
		_n=$((_n + 1)); [ $_n -lt $((200 * TB_TIME_SCALE)) ] || tb_fail "tanbad with an ACL for nobody did not listen"
		sleep 0.1
	done
	sleep 0.3	# bound is not yet listening
	expect_fail2 "forbidden" sign --key rsa "$doc"
	expect_fail2 "forbidden" status
	tb_stop_daemon
fi

tb_log "missing PIN file"
tb_write_conf "$TB_TMP/nopin.conf" "$SOFTHSM_MODULE" "$TB_TMP/no-such.pin"
refused "$TB_TMP/nopin.conf" "missing PIN file" "pin"
echo "PASS"
