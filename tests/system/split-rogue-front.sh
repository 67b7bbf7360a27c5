#!/bin/sh
# What a compromised front can make the parent do on its control link:
# tests/system/rogue-front, started by tanbad in place of tanbad-front, asks for
# signers in a loop (the parent starts each no sooner than the restart
# back-off allows: lower bounds only, read from the rogue's clock around
# its asks and answers, so a slow machine cannot fail it), has the parent wait for a signer it keeps
# alive (the parent still passes SIGHUP on meanwhile, and kills that signer
# after at most 10 s), and breaks the protocol (it is killed, once, and
# started again; the parent keeps running and stops on SIGTERM).
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

ROGUE="$top_builddir/tests/system/rogue-front"
[ -x "$ROGUE" ] || tb_fail "$ROGUE not built"
TANBA_FRONT_PROGRAM=$ROGUE
TB_ROGUE_LOG="$TB_TMP/rogue.log"
export TANBA_FRONT_PROGRAM TB_ROGUE_LOG TB_ROGUE_MODE

# rogue_start MODE: tanbad with the rogue front, in the background.
rogue_start() {
	TB_ROGUE_MODE=$1
	: > "$TB_ROGUE_LOG"
	: > "$TB_TMP/tanbad.log"
	rm -f "$TB_SOCK"
	"$TB_TANBAD" -f -c "$TB_CONF" >>"$TB_TMP/tanbad.log" 2>&1 &
	TB_DAEMON_PID=$!
}

# until_rogue PATTERN [N]: N (1) lines of the rogue's log match, within 30 s.
until_rogue() {
	_i=0
	until [ "$(grep -c "$1" "$TB_ROGUE_LOG")" -ge "${2:-1}" ]; do
		kill -0 "$TB_DAEMON_PID" 2>/dev/null || tb_fail "tanbad exited: $(tail -n 5 "$TB_TMP/tanbad.log")"
		_i=$((_i + 1))
		[ $_i -lt $((300 * TB_TIME_SCALE)) ] ||
		    tb_fail "no '$1' from the rogue front: $(cat "$TB_ROGUE_LOG")"
		sleep 0.1
	done
}

tb_log "a front asking for signers in a loop gets them at the back-off's pace"
rogue_start storm
until_rogue '^signer ' 6
grep '^signer ' "$TB_ROGUE_LOG"
awk '
	# The parent starts signer k after it was asked ($3) and answers before
	# the front reads its clock ($4): so the k+1th answer comes at least the
	# back-off after the kth ask, however slow the machine.
	$2 <= 0 { print "no signer in answer " NR ": " $0; bad = 1 }
	NR > 1 {
		want = 0.1 * 2 ^ (NR - 2)
		if ($4 - asked < want - 0.001) {
			printf "signer %d answered %.3f s after signer %d was asked for, not %.1f s\n", \
			    NR, $4 - asked, NR - 1, want
			bad = 1
		}
	}
	{ asked = $3 }
	END { exit bad }' "$TB_ROGUE_LOG" || tb_fail "signers started faster than the back-off"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC after the storm"

tb_log "a front that has the parent wait for a signer it keeps: signals still pass"
rogue_start hold
until_rogue '^waiting$'
kill -HUP "$TB_DAEMON_PID"
until_rogue '^reply '
cat "$TB_ROGUE_LOG"
first=$(grep -m 1 -e '^hup$' -e '^reply ' "$TB_ROGUE_LOG")
[ "$first" = hup ] || tb_fail "SIGHUP reached the front only after the wait ($first first)"
# The wait ends in the signer's SIGKILL: a wait(2) status of signal 9.
grep -q '^reply 9$' "$TB_ROGUE_LOG" || tb_fail "the signer was not killed at the wait's end"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC after the wait"

tb_log "a front that breaks the protocol is killed and started again"
rogue_start chatter
tb_wait_log 'broke the control protocol' || tb_fail "the rogue front was not stopped"
# Started again, and stopped again: the parent's lines, not the rogue's own
# ("sent 0" may never be written: the parent can kill it first).
_i=0
until [ "$(grep -c 'broke the control protocol' "$TB_TMP/tanbad.log")" -ge 2 ]; do
	kill -0 "$TB_DAEMON_PID" 2>/dev/null || tb_fail "tanbad exited: $(tail -n 5 "$TB_TMP/tanbad.log")"
	_i=$((_i + 1))
	[ $_i -lt $((300 * TB_TIME_SCALE)) ] || tb_fail "the rogue front was not started again"
	sleep 0.1
done
F1=$(sed -n 's/.*front process \([0-9]*\) broke the control protocol.*/\1/p' "$TB_TMP/tanbad.log" | head -n 1)
tb_wait_log "front process $F1 killed by signal 9" || tb_fail "front $F1 was not killed"
n=$(grep -c "front process $F1 broke" "$TB_TMP/tanbad.log")
[ "$n" = 1 ] || tb_fail "$n lines about front $F1's protocol"
n=$(grep -c "front process $F1 serves" "$TB_TMP/tanbad.log")
[ "$n" = 1 ] || tb_fail "front $F1 said it serves $n times"
kill -0 "$TB_DAEMON_PID" || tb_fail "the parent went with its front"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC after the chatter"
echo "PASS"
