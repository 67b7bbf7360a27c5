#!/bin/sh
# The front's seccomp filter, end to end (docs/SANDBOX.md): tests/tanbad-hooks
# is tanbad with one extra op, x-forbidden-syscall, that makes the front make
# the call it names. Allowed work goes on (status, sign, a restarted signer,
# a refused socket family); execve, unshare and ptrace kill the front with
# SIGSYS; with [daemon] sandbox = no the same call only fails.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

TB_TANBAD="$top_builddir/tests/tanbad-hooks"
[ -x "$TB_TANBAD" ] || tb_fail "$TB_TANBAD not built"
SIGSYS_RC=$((128 + 31))	# SIGSYS on x86 and arm (Linux)

# hook SYSCALL: sends the op; prints the answer's JSON, or "closed".
hook() {
	python3 - "$TB_SOCK" "$1" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
body = json.dumps({"id": 7, "op": "x-forbidden-syscall", "syscall": sys.argv[2]}).encode()
s.sendall(struct.pack(">I", len(body)) + body)
head = b""
try:
    while len(head) < 4:
        c = s.recv(4 - len(head))
        if not c:
            break
        head += c
except OSError:
    head = b""
if len(head) < 4:
    print("closed")
    sys.exit(0)
n = struct.unpack(">I", head)[0]
buf = b""
while len(buf) < n:
    c = s.recv(n - len(buf))
    if not c:
        break
    buf += c
print(buf.decode())
PY
}

# wait_exit: sets RC to the daemon's exit status within 10 s, or "running"
# (not in a $(...) subshell: only this shell can wait for its child).
wait_exit() {
	_i=0
	while kill -0 "$TB_DAEMON_PID" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$TB_DAEMON_PID" 2>/dev/null; then
		RC=running
		return
	fi
	wait "$TB_DAEMON_PID"
	RC=$?
	TB_DAEMON_PID=
}

sign_ok() {
	printf 'sandbox test %s\n' "$1" > "$TB_TMP/doc.txt"
	tb_tanba sign --key ec -o "$TB_TMP/doc.der" "$TB_TMP/doc.txt" &&
	    tb_verify_cms "$TB_TMP/doc.der"
}

# ptrace is allowed in sanitizer builds (LeakSanitizer needs it: docs/SANDBOX.md).
CALLS="execve unshare"
grep -q __asan_init "$TB_TANBAD" || CALLS="$CALLS ptrace"
for call in $CALLS; do
	tb_log "filter on: $call kills the front"
	tb_start_daemon || tb_fail "tanbad-hooks did not start (rc ${TB_DAEMON_RC:-?})"
	grep -q 'seccomp sandbox of the front process is on' "$TB_TMP/tanbad.log" ||
	    tb_fail "the front did not say its filter is on"
	tb_tanba status >/dev/null || tb_fail "status before the forbidden call"
	sign_ok "$call" || tb_fail "signing before the forbidden call"
	# A family the filter refuses is an error, not a death.
	out=$(hook socket-netlink)
	echo "$out" | grep -q '"errno": *97' || tb_fail "socket(AF_NETLINK) not refused with EAFNOSUPPORT: $out"
	out=$(hook socket-inet)
	echo "$out" | grep -q '"result": *0' || tb_fail "socket(AF_INET) refused: $out"
	# Writes outside the CRL cache: refused (EACCES) where the kernel has
	# Landlock; where it has not, the front says so and the write works.
	out=$(hook write-file)
	if grep -q 'Landlock (ABI [0-9]*) on' "$TB_TMP/tanbad.log"; then
		echo "$out" | grep -q '"errno": *13' ||
		    tb_fail "Landlock on, yet the front made a file outside its cache: $out"
	else
		grep -q 'Landlock not available' "$TB_TMP/tanbad.log" ||
		    tb_fail "the front said nothing of Landlock"
		echo "$out" | grep -q '"result": *0' || tb_fail "a write refused without Landlock: $out"
	fi
	if [ "$call" = execve ]; then
		# The signer restarted for the filtered front (by the launcher, or by
		# the front's own fexecve when not root) still starts and signs.
		signer=$(tb_signer_of "$TB_DAEMON_PID")
		[ -n "$signer" ] || tb_fail "no signer process under the front"
		kill -KILL "$signer"
		_i=0
		until sign_ok restarted 2>/dev/null || [ $_i -ge 100 ]; do
			sleep 0.2
			_i=$((_i + 1))
		done
		sign_ok restarted || tb_fail "no signing after the signer's restart under the filter"
		# It has its own filter: on the front's it inherited when the front
		# started it, alone when the (unfiltered) launcher did.
		signer=$(tb_signer_of "$TB_DAEMON_PID")
		nf=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$signer/status")
		nfront=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$TB_DAEMON_PID/status")
		if pgrep -P "$TB_DAEMON_PID" -x tanbad-launch >/dev/null; then
			want=1
		else
			want=$((nfront + 1))
		fi
		[ -z "$nf" ] || [ "$nf" -ge "$want" ] ||
		    tb_fail "the restarted signer has $nf filters, the front $nfront: its own is missing"
	fi
	out=$(hook "$call")
	[ "$out" = closed ] || tb_fail "$call answered instead of killing the front: $out"
	wait_exit
	[ "$RC" = "$SIGSYS_RC" ] || tb_fail "front after $call: exit status $RC, not $SIGSYS_RC (SIGSYS)"
	# The signer sees its channel close and goes too.
	_i=0
	while pgrep -f "tanbad-signer --signer [0-9]* -c $TB_CONF" >/dev/null 2>&1 && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
done

tb_log "filter off ([daemon] sandbox = no): execve fails and the front lives"
sed -i 's/^\[daemon\]$/&\nsandbox = no/' "$TB_CONF"
grep -q '^sandbox = no$' "$TB_CONF" || tb_fail "could not turn the front's filter off"
tb_start_daemon || tb_fail "tanbad-hooks without filter did not start"
grep -q 'seccomp sandbox of the front process is off' "$TB_TMP/tanbad.log" ||
    tb_fail "the front did not warn that its filter is off"
out=$(hook execve)
echo "$out" | grep -q '"errno": *2' || tb_fail "execve without filter: $out"
tb_tanba status >/dev/null || tb_fail "status after execve without filter"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "exit status $TB_DAEMON_RC after SIGTERM"
exit 0
