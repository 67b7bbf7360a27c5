#!/bin/sh
# The front's seccomp filter, end to end (docs/SANDBOX.md): tests/system/tanbad-hooks
# is tanbad-front with one extra op, x-forbidden-syscall, that makes the front
# make the call it names; the parent (tanbad) runs it as its front. Allowed
# work goes on (status, sign, a restarted signer, a refused socket family);
# execve, unshare and ptrace kill the front with SIGSYS, and the parent
# starts a new one; with [daemon] sandbox = no the same call only fails.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

TANBA_FRONT_PROGRAM="$top_builddir/tests/system/tanbad-hooks"
[ -x "$TANBA_FRONT_PROGRAM" ] || tb_fail "$TANBA_FRONT_PROGRAM not built"
export TANBA_FRONT_PROGRAM
SIGSYS=31	# on x86 and arm (Linux)

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

# front_died PID: the parent says front PID was killed by SIGSYS, within 10 s.
front_died() {
	tb_wait_log "front process $1 killed by signal $SIGSYS" ||
	    tb_fail "front $1 not killed by SIGSYS: $(grep 'front process' "$TB_TMP/tanbad.log" | tail -n 3)"
}

sign_ok() {
	printf 'sandbox test %s\n' "$1" > "$TB_TMP/doc.txt"
	tb_tanba sign --key ec -o "$TB_TMP/doc.der" "$TB_TMP/doc.txt" &&
	    tb_verify_cms "$TB_TMP/doc.der"
}

# ptrace is allowed in sanitizer builds (LeakSanitizer needs it: docs/SANDBOX.md).
CALLS="execve unshare"
grep -q __asan_init "$TANBA_FRONT_PROGRAM" || CALLS="$CALLS ptrace"
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
		# The signer restarted for the filtered front (by the parent) still
		# starts and signs.
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
		# It has its own filter on the parent's, as the front has.
		signer=$(tb_signer_of "$TB_DAEMON_PID")
		nf=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$signer/status")
		nparent=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$TB_DAEMON_PID/status")
		nfront=$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$TB_FRONT_PID/status")
		[ -z "$nf" ] || [ "$nf" -ge $((nparent + 1)) ] ||
		    tb_fail "the restarted signer has $nf filters, the parent $nparent: its own is missing"
		[ -z "$nfront" ] || [ "$nfront" -ge $((nparent + 1)) ] ||
		    tb_fail "the front has $nfront filters, the parent $nparent: its own is missing"
	fi
	front=$(tb_front_of "$TB_DAEMON_PID")
	out=$(hook "$call")
	[ "$out" = closed ] || tb_fail "$call answered instead of killing the front: $out"
	front_died "$front"
	# The parent lives on and starts a front that serves again.
	kill -0 "$TB_DAEMON_PID" || tb_fail "the parent went with its front"
	_i=0
	until sign_ok "after $call" 2>/dev/null || [ $_i -ge 100 ]; do
		sleep 0.2
		_i=$((_i + 1))
	done
	sign_ok "after $call" || tb_fail "no signing after the front killed by $call came back"
	tb_stop_daemon
	[ "$TB_DAEMON_RC" = 0 ] || tb_fail "exit status $TB_DAEMON_RC after SIGTERM"
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
