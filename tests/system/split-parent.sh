#!/bin/sh
# The parent (tanbad): it holds its own seccomp filter, below the front's and
# the signer's; a front killed with SIGKILL is started again and signing
# works with no manual step, and so is a killed signer; fronts that keep
# dying are restarted after a back-off that doubles each time, and starts
# over after a front that stayed up 30 s (read from the parent's log, not
# timed); SIGHUP to the parent reloads the front and the
# signer; SIGTERM to the parent stops all three and removes the socket.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

sign_ok() {
	printf 'parent test %s\n' "$1" > "$TB_TMP/doc.txt"
	tb_tanba sign --key ec -o "$TB_TMP/doc.der" "$TB_TMP/doc.txt" 2>/dev/null &&
	    tb_verify_cms "$TB_TMP/doc.der"
}

# until_signs WHAT: signing works again within 20 s.
until_signs() {
	_i=0
	until sign_ok "$1" || [ $_i -ge 100 ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	sign_ok "$1" || tb_fail "no signature $1: $(tail -n 5 "$TB_TMP/tanbad.log")"
}

# new_front OLD: the pid of a front other than OLD, within 10 s.
new_front() {
	_i=0
	while [ $_i -lt 100 ]; do
		_f=$(tb_front_of "$TB_DAEMON_PID") && [ "$_f" != "$1" ] && { echo "$_f"; return 0; }
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

filters() { sed -n 's/^Seccomp_filters:[[:space:]]*//p' /proc/"$1"/status; }
mode() { sed -n 's/^Seccomp:[[:space:]]*//p' /proc/"$1"/status; }

tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"
PARENT=$TB_DAEMON_PID
FRONT=$TB_FRONT_PID
[ -n "$FRONT" ] || tb_fail "no tanbad-front under the parent $PARENT"
SIGNER=$(tb_signer_of "$PARENT") || tb_fail "no tanbad-signer under the parent $PARENT"
tb_log "parent $PARENT, front $FRONT, signer $SIGNER"
[ "$(cat /proc/"$PARENT"/comm)" = tanbad ] || tb_fail "the parent is $(cat /proc/"$PARENT"/comm)"

tb_log "the parent's filter is on; front and signer add theirs on top"
grep -q 'seccomp sandbox of the parent process is on' "$TB_TMP/tanbad.log" ||
    tb_fail "the parent did not say its filter is on"
[ "$(mode "$PARENT")" = 2 ] || tb_fail "parent Seccomp: $(mode "$PARENT"), not 2 (filter)"
np=$(filters "$PARENT")
if [ -n "$np" ]; then
	[ "$np" -ge 1 ] || tb_fail "the parent has $np filters"
	[ "$(filters "$FRONT")" -gt "$np" ] || tb_fail "front filters $(filters "$FRONT"), parent $np"
	[ "$(filters "$SIGNER")" -gt "$np" ] || tb_fail "signer filters $(filters "$SIGNER"), parent $np"
else
	echo "this kernel shows no Seccomp_filters count: the mode alone is checked"
fi
sign_ok first || tb_fail "sign"

tb_log "kill -9 of the front: the parent starts another, signing comes back"
kill -KILL "$FRONT"
tb_wait_log "front process $FRONT killed by signal 9" || tb_fail "the parent did not see the front die"
F2=$(new_front "$FRONT") || tb_fail "no new front after the kill"
until_signs "after the front's restart"
kill -0 "$PARENT" || tb_fail "the parent went with its front"
i=0
while kill -0 "$SIGNER" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$SIGNER" 2>/dev/null && tb_fail "the old front's signer $SIGNER outlived it"

tb_log "kill -9 of the signer: the front has the parent start another, signing comes back"
S2=$(tb_signer_of "$PARENT") || tb_fail "no signer under the parent"
kill -KILL "$S2"
until_signs "after the signer's restart"
S3=$(tb_signer_of "$PARENT") || tb_fail "no signer after the restart"
[ "$S3" != "$S2" ] || tb_fail "the signer was not restarted"

tb_log "a front that keeps dying: each restart waits twice as long"
F=$F2
for n in 1 2 3; do
	kill -KILL "$F"
	tb_wait_log "front process $F killed by signal 9" || tb_fail "kill $n not seen"
	F=$(new_front "$F") || tb_fail "no front after kill $n"
done
until_signs "after repeated front crashes"
# Each restart's delay, after the lifetime of the front it replaces: 0.1 s
# after a front that stayed up 30 s (a slow machine may keep one up that
# long), else twice the one before.
sed -n -e 's/.*front process [0-9]* killed by signal 9 after \([0-9.]*\) s.*/lived \1/p' \
    -e 's/.*restarting the front process in \([0-9.]*\) s.*/delay \1/p' "$TB_TMP/tanbad.log" \
    > "$TB_TMP/delays"
echo "front lifetimes and restart delays: $(cat "$TB_TMP/delays" | tr '\n' ' ')"
awk '
	$1 == "lived" { lived = $2; next }
	{
		n++
		want = (n == 1 || lived >= 30) ? 0.1 : (2 * d < 30 ? 2 * d : 30)
		if ($2 < want * 0.95 || $2 > want * 1.05) {
			print "restart " n " after " $2 " s, not " want " s (front up " lived " s)"
			exit 1
		}
		d = $2
	}
	END { if (n != 4) { print "expected 4 restarts, got " n; exit 1 } }' "$TB_TMP/delays" ||
    tb_fail "the front's back-off is wrong"

tb_log "SIGHUP to the parent: the front and the signer reload"
n0=$(tb_reloads)
"$top_builddir/ca-tools/tanba-admin" reload --pid "$PARENT" >/dev/null || tb_fail "tanba-admin reload --pid"
tb_wait_log "SIGHUP: the front (pid $F) reloads" || tb_fail "the parent did not pass SIGHUP on"
tb_wait_reload "$n0" || tb_fail "no reload after SIGHUP"
sign_ok "after the reload" || tb_fail "sign after the reload"

tb_log "SIGTERM to the parent stops all three"
S=$(tb_signer_of "$PARENT")
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC"
for p in "$F" $S; do
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 "$p" 2>/dev/null && tb_fail "$p outlived the parent"
done
[ ! -e "$TB_SOCK" ] || tb_fail "the socket file is left behind"
grep -q "front process $F exited with status 0" "$TB_TMP/tanbad.log" ||
    tb_fail "the front did not stop cleanly"

tb_log "a first front that cannot start (its signer cannot log in): tanbad says why and exits 1"
# A wrong PIN passes the parent's reading of the file (it checks the mode);
# only the signer finds out, and the front with it.
printf 'wrong-pin' > "$TB_TMP/wrong.pin"
chmod 0600 "$TB_TMP/wrong.pin"
sed "s|^pin_file = .*|pin_file = $TB_TMP/wrong.pin|" "$TB_CONF" > "$TB_TMP/bad.conf"
tb_run_daemon_expect_fail "$TB_TMP/bad.conf" || tb_fail "tanbad started with a wrong PIN"
[ "$TB_DAEMON_RC" = 1 ] || tb_fail "exit status $TB_DAEMON_RC, not 1"
echo "$TB_DAEMON_ERR" | grep -q 'front process [0-9]* exited with status 1' ||
    tb_fail "the parent did not see its front fail: $TB_DAEMON_ERR"
echo "$TB_DAEMON_ERR" | grep -qi 'pin' || tb_fail "no word of the PIN: $TB_DAEMON_ERR"
[ ! -e "$TB_SOCK" ] || tb_fail "the socket file is left behind after a failed start"
echo "PASS"
