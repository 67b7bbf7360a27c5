#!/bin/sh
# Per-client limits (docs/SECURITY.md "Hostile load"): a new connection
# that sends nothing is closed after first_frame_timeout_s (one that asked
# something stays); one client's requests in flight stop at
# max_inflight_per_client (busy at once, held by a slow token through the
# fault shim) while its others finish; and, as root, a client of another
# uid opening connections up to max_connections_per_client is refused past
# it while this uid is still served and can open its own.
. "$top_srcdir/tests/system/setup.sh"
hz_setup

SHIM="$top_builddir/tests/unit/p11-fault/.libs/libp11fault.so"
[ -f "$SHIM" ] || tb_fail "$SHIM not built (make tests/unit/p11-fault/libp11fault.la)"
P11FAULT_MODULE=$SOFTHSM_MODULE
P11FAULT_CONTROL="$TB_TMP/p11fault.ctl"
export P11FAULT_MODULE P11FAULT_CONTROL
: > "$P11FAULT_CONTROL"

TB_SOCK_DIR=$(mktemp -d /tmp/tanba-load.XXXXXX) || tb_fail "mktemp"
chmod 0711 "$TB_SOCK_DIR"
TB_SOCK="$TB_SOCK_DIR/tanbad.sock"
tb_write_conf "$TB_TMP/base.conf" "$SHIM"
sed -i -e "s|^socket = .*|socket = $TB_SOCK|" "$TB_TMP/base.conf"
FF=2
PERC=4
INFL=3
clients=$HZ_SELF_CLIENT
OTHER=
if [ "$(id -u)" -eq 0 ]; then
	hz_test_user
	OTHER=tanbatest
	clients="$clients

[client \"other\"]
user = tanbatest
ops = status sign
keys = ec"
fi
hz_conf "socket_mode = 0666
max_connections = 32
max_connections_per_client = $PERC
max_inflight_per_client = $INFL
first_frame_timeout_s = $FF
sign_workers = 8" "$clients" || tb_fail "configuration"
tb_start_daemon || tb_fail "tanbad did not start"

cp "$top_srcdir/tests/system/tbframe.py" "$TB_TMP/tbframe.py" || tb_fail "tbframe.py"
cat > "$TB_TMP/clients.py" <<'PY'
import base64, os, select, socket, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))	# tbframe.py is copied beside
from tbframe import connect, send, recv, ask
sock, mode = sys.argv[1], sys.argv[2]

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

def sign(s, rid, key="rsa"):
    send(s, {"id": rid, "op": "sign", "key": key, "data": base64.b64encode(b"doc").decode()})

if mode == "firstframe":
    ff = float(sys.argv[3])
    silent, asking = connect(sock, 30), connect(sock, 30)
    served(asking, "asked at once")
    t0 = time.time()
    a = recv(silent)
    took = time.time() - t0
    if a is None or a.get("ok") or a["error"]["code"] != "timeout" or \
            "first_frame_timeout_s" not in a["error"]["message"]:
        fail("silent connection: want timeout, got %r" % a)
    if recv(silent) is not None:
        fail("silent connection left open after its timeout")
    if took > ff + 10:
        fail("silent connection closed only after %.1f s (first_frame_timeout_s %g)" % (took, ff))
    time.sleep(ff)
    served(asking, "asked again after %g s" % (2 * ff))
    print("silent connection closed after %.1f s; one that asked stayed open" % took)
elif mode == "inflight":
    infl = int(sys.argv[3])
    set_fault("sign_sleep_ms=3000\n")
    cs = [connect(sock, 60) for _ in range(infl + 1)]
    for i in range(infl):
        sign(cs[i], "held%d" % i)
    time.sleep(1)
    t0 = time.time()
    a = ask(cs[infl], {"id": "over", "op": "sign", "key": "rsa", "data": "eA=="})
    set_fault("")
    if a is None or a.get("ok") or a["error"]["code"] != "busy" or \
            "max_inflight_per_client" not in a["error"]["message"]:
        fail("request %d in flight of one client: want busy, got %r" % (infl + 1, a))
    if not all(not select.select([c], [], [], 0)[0] for c in cs[:infl]):
        fail("busy came only after the held signatures")
    for i in range(infl):
        a = recv(cs[i])
        if a is None or not a.get("ok"):
            fail("held signature %d: %r" % (i, a))
    a = ask(cs[infl], {"id": "after", "op": "sign", "key": "rsa", "data": "eA=="})
    if a is None or not a.get("ok"):
        fail("sign once the others finished: %r" % a)
    print("%d in flight, the next busy at once, served again after" % infl)
elif mode == "hog":
    # Run as the other uid: open connections until refused, and hold them.
    perc = int(sys.argv[3])
    held = []
    for i in range(perc):
        c = connect(sock, 30)
        served(c, "hog%d" % i)
        held.append(c)
    c = connect(sock, 30)
    a = recv(c)
    if a is None or a.get("ok") or a["error"]["code"] != "busy" or \
            "max_connections_per_client" not in a["error"]["message"]:
        fail("connection %d of one uid: want busy, got %r" % (perc + 1, a))
    print("connection %d of the hog: %s" % (perc + 1, a["error"]["message"]), flush=True)
    open(sys.argv[4], "w").close()
    # Held until told to go, every one still served.
    while not os.path.exists(sys.argv[5]):
        time.sleep(0.1)
    for i, c in enumerate(held):
        served(c, "hog%d again" % i)
    held.pop().close()
    for _ in range(50):
        time.sleep(0.1)
        c = connect(sock, 30)
        try:
            a = ask(c, {"id": "again", "op": "status"})
        except (BrokenPipeError, ConnectionResetError):
            a = None
        if a is not None and a.get("ok"):
            break
    else:
        fail("the hog's freed slot was not taken again")
elif mode == "other":
    # This uid while the other holds its limit: served, and gets its own connections.
    perc = int(sys.argv[3])
    mine = [connect(sock, 30) for _ in range(perc)]
    for i, c in enumerate(mine):
        served(c, "mine%d" % i)
    a = ask(mine[0], {"id": "sig", "op": "sign", "key": "rsa", "data": "eA=="})
    if a is None or not a.get("ok"):
        fail("sign while another uid holds its connections: %r" % a)
    print("this uid served on %d connections while the other held its %d" % (perc, perc))
PY

tb_log "first_frame_timeout_s = $FF: a silent connection is closed"
"$HZ_PY" "$TB_TMP/clients.py" "$TB_SOCK" firstframe "$FF" || tb_fail "first frame timeout"
tb_log "max_inflight_per_client = $INFL: the next request is busy at once"
"$HZ_PY" "$TB_TMP/clients.py" "$TB_SOCK" inflight "$INFL" || tb_fail "max_inflight_per_client"
if [ -n "$OTHER" ]; then
	tb_log "max_connections_per_client = $PERC: another uid at its limit, this one served"
	chmod 0755 "$TB_TMP" && chmod 0644 "$TB_TMP/clients.py" "$TB_TMP/tbframe.py" &&
	    chmod 0777 "$TB_SOCK_DIR" || tb_fail "chmod"
	setpriv --reuid=$OTHER --regid="$(id -g $OTHER)" --clear-groups \
	    "$HZ_PY" "$TB_TMP/clients.py" "$TB_SOCK" hog "$PERC" "$TB_SOCK_DIR/held" \
	    "$TB_SOCK_DIR/go" > "$TB_TMP/hog.out" 2>&1 &
	hog=$!
	i=0
	until [ -f "$TB_SOCK_DIR/held" ]; do
		kill -0 $hog 2>/dev/null || { cat "$TB_TMP/hog.out"; tb_fail "the other uid"; }
		i=$((i + 1)); [ $i -lt 300 ] || tb_fail "the other uid did not reach its limit"
		sleep 0.1
	done
	"$HZ_PY" "$TB_TMP/clients.py" "$TB_SOCK" other "$PERC" || tb_fail "this uid not served"
	: > "$TB_SOCK_DIR/go"
	wait $hog || { cat "$TB_TMP/hog.out"; tb_fail "the other uid"; }
	cat "$TB_TMP/hog.out"
else
	echo "(max_connections_per_client part skipped: needs root for a second uid)"
fi
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
tb_log "PASS"
exit 0
