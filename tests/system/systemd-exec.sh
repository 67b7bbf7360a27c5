#!/bin/sh
# The shipped unit, run the way systemd runs it: the ExecStart= line of
# conf/tanbad.service (the build tree's copy, with configure's paths), its
# program swapped for this build's tanbad and its -c for this test's
# configuration, started as root under the unit's UMask=, LimitCORE=,
# LimitMEMLOCK=, NoNewPrivileges= and CapabilityBoundingSet= (umask,
# prlimit, setpriv) with a NOTIFY_SOCKET: the main process (the parent)
# says READY=1 itself (NotifyAccess=main); front and signer run as their
# two accounts; the signer killed with SIGKILL comes back as its account
# and signs, with no manual step, and so does the front; ExecReload='s
# SIGHUP to the main process reloads; KillSignal= stops all three.
# `systemd-analyze verify` checks the unit where that command exists (the
# output says when it does not). Needs root (skips with 77).
. "$top_srcdir/tests/system/setup.sh"
hz_setup
hz_need_root
UNIT="$top_builddir/conf/tanbad.service"
[ -f "$UNIT" ] || tb_fail "$UNIT not made"
for c in setpriv prlimit python3; do
	command -v $c >/dev/null 2>&1 || { echo "SKIP: no $c"; exit 77; }
done

tb_log "systemd's own parser"
if command -v systemd-analyze >/dev/null 2>&1; then
	v=$(systemd-analyze verify --man=no "$UNIT" 2>&1 |
	    grep -v 'is not executable: No such file or directory' |
	    grep -v "Command 'man " | grep -i 'unknown\|invalid\|failed to parse\|ignoring')
	[ -z "$v" ] || tb_fail "systemd-analyze verify: $v"
	echo "systemd-analyze verify: no complaint"
else
	echo "systemd-analyze not installed: the unit is not verified by systemd here"
fi

# unit KEY: the value of KEY= in the unit (the last one).
unit() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
EXEC=$(unit ExecStart)
[ -n "$EXEC" ] || tb_fail "no ExecStart= in $UNIT"
tb_log "ExecStart=$EXEC"
# shellcheck disable=SC2086
set -- $EXEC
[ "$(basename "$1")" = tanbad ] || tb_fail "ExecStart runs $1, not tanbad"
shift
ARGS=
while [ $# -gt 0 ]; do
	case $1 in
	-c) ARGS="$ARGS -c $TB_CONF"; shift ;;
	*) ARGS="$ARGS $1" ;;
	esac
	shift
done
case $ARGS in *"-c $TB_CONF"*) ;; *) tb_fail "ExecStart names no -c configuration" ;; esac
[ "$(unit Type)" = notify ] || tb_fail "Type=$(unit Type)"
[ "$(unit NotifyAccess)" = main ] || tb_fail "NotifyAccess=$(unit NotifyAccess)"
[ "$(unit NoNewPrivileges)" = yes ] || tb_fail "NoNewPrivileges=$(unit NoNewPrivileges)"
UMASK=$(unit UMask)
CORE=$(unit LimitCORE)
MEMLOCK=$(unit LimitMEMLOCK)
[ "$MEMLOCK" = infinity ] && MEMLOCK=unlimited
# CAP_SETUID CAP_SETGID CAP_CHOWN -> -all,+setuid,+setgid,+chown
CAPS=-all
for c in $(unit CapabilityBoundingSet); do
	CAPS="$CAPS,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"
done
echo "umask $UMASK, core $CORE, memlock $MEMLOCK, bounding set $CAPS"
LIMITS="--core=$CORE"
if prlimit --memlock="$MEMLOCK" true 2>/dev/null; then
	LIMITS="$LIMITS --memlock=$MEMLOCK"
else
	echo "RLIMIT_MEMLOCK cannot be raised here (no CAP_SYS_RESOURCE): LimitMEMLOCK= not applied"
fi

hz_two_accounts
hz_conf "user = $FU
signer_user = $SU
syslog = no" "$HZ_SELF_CLIENT"

# systemd's end of sd_notify: each datagram with its sender's pid.
NOTIFY="$TB_TMP/notify.sock"
python3 - "$NOTIFY" "$TB_TMP/notify.log" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        out.write("%d %s\n" % (pid, msg.decode(errors="replace").strip()))
PY
NOTIFY_PID=$!
trap 'kill $NOTIFY_PID 2>/dev/null; tb_cleanup' EXIT
i=0
while [ ! -S "$NOTIFY" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$NOTIFY" ] || tb_fail "no notify socket"

tb_log "started as the unit starts it"
rm -f "$TB_SOCK"
# shellcheck disable=SC2086
(umask "$UMASK" && NOTIFY_SOCKET=$NOTIFY exec prlimit $LIMITS \
    setpriv --no-new-privs --bounding-set "$CAPS" "$TB_TANBAD" $ARGS) \
    >>"$TB_TMP/tanbad.log" 2>&1 &
TB_DAEMON_PID=$!
i=0
until grep -q "^$TB_DAEMON_PID READY=1\$" "$TB_TMP/notify.log" 2>/dev/null; do
	kill -0 "$TB_DAEMON_PID" 2>/dev/null || tb_fail "tanbad exited before READY=1"
	i=$((i + 1))
	[ $i -lt 300 ] || tb_fail "no READY=1 from the main process $TB_DAEMON_PID: $(cat "$TB_TMP/notify.log" 2>/dev/null)"
	sleep 0.1
done
[ "$(cat /proc/$TB_DAEMON_PID/comm)" = tanbad ] || tb_fail "the main process is $(cat /proc/$TB_DAEMON_PID/comm)"
grep -v "^$TB_DAEMON_PID " "$TB_TMP/notify.log" && tb_fail "a child spoke to systemd (NotifyAccess=main ignores it)"
tb_tanba status >/dev/null || tb_fail "status"

FRONT=$(tb_front_of "$TB_DAEMON_PID") || tb_fail "no front"
SIGNER=$(tb_signer_of "$TB_DAEMON_PID") || tb_fail "no signer"
[ "$(hz_uid_of "$TB_DAEMON_PID")" = "0,0,0,0" ] || tb_fail "parent uid $(hz_uid_of "$TB_DAEMON_PID")"
[ "$(hz_uid_of "$FRONT")" = "$FUID,$FUID,$FUID,$FUID" ] || tb_fail "front uid $(hz_uid_of "$FRONT")"
[ "$(hz_uid_of "$SIGNER")" = "$SUID,$SUID,$SUID,$SUID" ] || tb_fail "signer uid $(hz_uid_of "$SIGNER")"
grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/"$TB_DAEMON_PID"/status || tb_fail "parent without NoNewPrivs"
echo doc > "$TB_TMP/doc"
tb_tanba sign --key rsa -o "$TB_TMP/a.p7" "$TB_TMP/doc" || tb_fail "sign"

tb_log "kill -9 of the signer: back as $SU, signs"
kill -KILL "$SIGNER"
hz_back_and_signs signer "$SIGNER" "$SUID" "$TB_DAEMON_PID" "$TB_TMP/doc"
tb_log "kill -9 of the front: back as $FU, signs"
kill -KILL "$FRONT"
hz_back_and_signs front "$FRONT" "$FUID" "$TB_DAEMON_PID" "$TB_TMP/doc"

tb_log "ExecReload: $(unit ExecReload)"
n0=$(tb_reloads)
kill -HUP "$TB_DAEMON_PID"
tb_wait_reload "$n0" || tb_fail "no reload after SIGHUP"

tb_log "KillSignal=$(unit KillSignal): all three stop"
FRONT=$(tb_front_of "$TB_DAEMON_PID")
SIGNER=$(tb_signer_of "$TB_DAEMON_PID")
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "exit status $TB_DAEMON_RC"
for p in $FRONT $SIGNER; do
	kill -0 "$p" 2>/dev/null && tb_fail "$p outlived the main process"
done
grep -q "^[0-9]* STOPPING=1\$" "$TB_TMP/notify.log" || tb_fail "no STOPPING=1"
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"
echo "PASS"
