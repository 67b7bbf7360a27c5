#!/bin/sh
# Connection limits not covered by tests/system/harden-limits.sh, each at a small
# configured value: idle_timeout_s (an idle connection is closed, a busy
# one is not), max_connections (the connection past the limit is refused
# while the others keep working, and a freed slot is taken again) and
# max_inflight_per_connection (requests past it get busy, those in flight
# finish; held in flight by a slow token through the fault shim).
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

SHIM="$top_builddir/tests/unit/p11-fault/.libs/libp11fault.so"
[ -f "$SHIM" ] || tb_fail "$SHIM not built (make tests/unit/p11-fault/libp11fault.la)"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: no python3"; exit 77; }
P11FAULT_MODULE=$SOFTHSM_MODULE
P11FAULT_CONTROL="$TB_TMP/p11fault.ctl"
export P11FAULT_MODULE P11FAULT_CONTROL
: > "$P11FAULT_CONTROL"

IDLE=2
MAXC=8
INFL=2
tb_write_conf "$TB_CONF" "$SHIM"
# The shim writes no file here, but reads its control file: the signer's
# filter allows that; sandbox stays as configured by default.
sed -i -e "s/^idle_timeout_s = .*/idle_timeout_s = $IDLE/" \
    -e "s/^max_connections = .*/max_connections = $MAXC/" \
    -e "s/^max_inflight_per_connection = .*/max_inflight_per_connection = $INFL/" "$TB_CONF"
grep -q "^idle_timeout_s = $IDLE\$" "$TB_CONF" && grep -q "^max_connections = $MAXC\$" "$TB_CONF" &&
    grep -q "^max_inflight_per_connection = $INFL\$" "$TB_CONF" || tb_fail "could not set the limits"
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

cat > "$TB_TMP/lim.py" <<'PY'
import base64, json, os, socket, sys, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, send, exact, recv, ask
SOCK = os.environ["TB_SOCK"]
SCALE = int(os.environ.get("TB_TIME_SCALE", "1"))

def conn(timeout=30):
    return connect(SOCK, timeout)

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def served(s, what):
    a = ask(s, {"id": what, "op": "status"})
    if a is None or not a.get("ok") or a.get("id") != what:
        fail("%s not served: %r" % (what, a))

def set_fault(text):
    path = os.environ["P11FAULT_CONTROL"]
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)

mode = sys.argv[1]
if mode == "idle":
    idle = float(sys.argv[2])
    quiet, chatty = conn(), conn()
    served(quiet, "quiet")
    t0 = time.time()
    # chatty asks something every idle/2 s: never idle, never closed.
    next_ask = t0
    quiet.settimeout(0.1)
    closed_at = None
    while time.time() - t0 < idle * 3 + 3 * SCALE:
        if time.time() >= next_ask:
            served(chatty, "chatty")
            next_ask += idle / 2
        try:
            b = quiet.recv(1)
            if b == b"":
                closed_at = time.time() - t0
                break
            fail("the idle connection got bytes: %r" % b)
        except socket.timeout:
            pass
    if closed_at is None:
        fail("an idle connection was still open %.0f s after idle_timeout_s = %g" % (idle * 3, idle))
    # The sweep runs about once a second; allow that, and scale for valgrind.
    if closed_at < idle - 0.2 or closed_at > idle + 2 * SCALE:
        fail("idle connection closed after %.1f s, idle_timeout_s is %g" % (closed_at, idle))
    served(chatty, "chatty after the idle one went")
    print("idle connection closed after %.1f s; a busy one stayed open" % closed_at)
elif mode == "maxconn":
    maxc = int(sys.argv[2])
    time.sleep(1)	# earlier clients' connections are gone in the daemon too
    cs = [conn() for _ in range(maxc)]
    for i, c in enumerate(cs):
        served(c, "c%d" % i)
    extra = conn()	# the kernel accepts; the daemon answers busy and closes
    a = recv(extra)
    if a is None or a.get("ok") or a.get("id") is not None or \
            a.get("error", {}).get("code") != "busy":
        fail("connection %d of max_connections = %d: want busy, got %r" % (maxc + 1, maxc, a))
    if recv(extra) is not None:
        fail("connection past the limit stays open after busy")
    print("connection %d: %s" % (maxc + 1, json.dumps(a)))
    extra.close()
    for i, c in enumerate(cs):
        served(c, "c%d again" % i)
    # A freed slot is taken again.
    cs.pop().close()
    for _ in range(50 * SCALE):
        time.sleep(0.1)
        s = conn()
        try:
            a = ask(s, {"id": "again", "op": "status"})
        except (BrokenPipeError, ConnectionResetError):
            a = None
        s.close()
        if a is not None and a.get("ok"):
            break
    else:
        fail("no new connection served after one of %d closed" % maxc)
    print("a freed slot was taken again")
elif mode == "inflight":
    infl = int(sys.argv[2])
    # Each signature sleeps 3 s in the token: the first infl stay in flight.
    set_fault("sign_sleep_ms=3000\n")
    s = conn(60 * SCALE)
    n = infl + 3
    t0 = time.time()
    for i in range(n):
        send(s, {"id": i, "op": "sign", "key": "rsa",
                 "data": base64.b64encode(b"in flight %d" % i).decode()})
    answers = {}
    for _ in range(n):
        a = recv(s)
        if a is None:
            fail("connection closed with requests in flight")
        answers[a["id"]] = (a, time.time() - t0)
    set_fault("")
    ok = sorted(i for i, (a, _) in answers.items() if a.get("ok"))
    busy = sorted(i for i, (a, _) in answers.items() if not a.get("ok") and
                  a["error"]["code"] == "busy" and "in flight" in a["error"]["message"])
    if ok != list(range(infl)) or busy != list(range(infl, n)):
        fail("want %d signed and %d busy, got %r" % (infl, n - infl, answers))
    # busy is said at once, not after the slow signatures.
    late = [t for i, (a, t) in answers.items() if i in busy and t > 2.5]
    if late:
        fail("busy answered only after %.1f s" % late[0])
    # With nothing in flight the connection takes requests again.
    a = ask(s, {"id": "after", "op": "sign", "key": "rsa", "data": "eA=="})
    if a is None or not a.get("ok"):
        fail("sign after the in-flight ones finished: %r" % a)
    print("%d in flight signed, %d busy at once, then served again" % (len(ok), len(busy)))
PY
export TB_SOCK TB_TIME_SCALE

tb_log "idle_timeout_s = $IDLE: an idle connection is closed, a chatty one is not"
"$PY" "$TB_TMP/lim.py" idle "$IDLE" || tb_fail "idle timeout"
tb_log "max_connections = $MAXC: connection $((MAXC + 1)) refused, the others served"
"$PY" "$TB_TMP/lim.py" maxconn "$MAXC" || tb_fail "max_connections"
grep -q "max_connections ($MAXC) reached" "$TB_TMP/tanbad.log" ||
    tb_fail "the refusal past max_connections is not logged"
tb_log "max_inflight_per_connection = $INFL: the rest get busy"
"$PY" "$TB_TMP/lim.py" inflight "$INFL" || tb_fail "max_inflight_per_connection"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
tb_log "PASS"
exit 0
