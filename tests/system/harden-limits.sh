#!/bin/sh
# Limits, each at its documented default or the value set here, while
# another client keeps signing: 1,000 idle connections (max_connections
# 1024 default), a frame of max_frame_bytes + 1, a client stalling inside a
# frame (read_timeout_s), and, as root, a flooding client (rate_per_client)
# that gets busy while a client of another uid is served throughout.
. "$top_srcdir/tests/system/setup.sh"
hz_setup

ulimit -n 4096 2>/dev/null || { echo "SKIP: cannot raise the open-file limit"; exit 77; }
TB_SOCK_DIR=$(mktemp -d /tmp/tanba-lim.XXXXXX) || tb_fail "mktemp"
chmod 0711 "$TB_SOCK_DIR"
TB_SOCK="$TB_SOCK_DIR/tanbad.sock"
# Defaults for connections and in-flight; the rate made small to flood fast.
sed -i -e "s|^socket = .*|socket = $TB_SOCK|" \
    -e '/^max_connections = /d' -e '/^max_inflight_per_connection = /d' "$TB_TMP/base.conf"
clients=$HZ_SELF_CLIENT
FLOOD=
if [ "$(id -u)" -eq 0 ]; then
	hz_test_user
	FLOOD=tanbatest
	clients="$clients

[client \"flood\"]
user = tanbatest
ops = status"
fi
# One client may hold every connection here (max_connections_per_client is
# tested in tests/system/load-clients.sh).
hz_conf "socket_mode = 0666
rate_per_client = 50
rate_burst = 100
max_connections_per_client = 1024" "$clients"
tb_start_daemon || tb_fail "tanbad did not start"
MAXF=$(sed -n 's/^max_frame_bytes = //p' "$TB_CONF")
RT=$(sed -n 's/^read_timeout_s = //p' "$TB_CONF")

# Beside the client, where the flooding user (another uid) can read it too.
cp "$top_srcdir/tests/system/tbframe.py" "$TB_TMP/tbframe.py" || tb_fail "tbframe.py"
cat > "$TB_TMP/limits.py" <<'PY'
import base64, json, os, socket, struct, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))	# tbframe.py is copied beside
from tbframe import connect, send, exact, recv
sock, mode = sys.argv[1], sys.argv[2]
def conn():
    return connect(sock, 20)
def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)
stop = threading.Event()
signed = []
errors = []
def signer():
    # The other client: signs one request after another on its own connection.
    s = conn()
    i = 0
    while not stop.is_set():
        i += 1
        send(s, {"id": i, "op": "sign", "key": "rsa",
                 "data": base64.b64encode(b"doc %d" % i).decode()})
        a = recv(s)
        if a is None or not a.get("ok"):
            errors.append(a)
            return
        signed.append(i)
        time.sleep(0.05)	# well under rate_per_client: this client is no flood
t = threading.Thread(target=signer)
if mode == "basic":
    t.start()
time.sleep(0.3)
def signed_during(fn):
    n0 = len(signed)
    fn()
    # a signature's record is fsync'd before its answer: a loaded disk can
    # take longer than any fixed pause
    deadline = time.time() + 10
    while len(signed) <= n0 and not errors and time.time() < deadline:
        time.sleep(0.05)
    if errors:
        fail("the signing client was refused: %r" % errors[0])
    if len(signed) <= n0:
        fail("no signature made during %s" % fn.__name__)
try:
    if mode == "basic":
        def idle_1000():
            conns = [conn() for _ in range(1000)]
            # The last of them is served too: all 1000 were accepted.
            send(conns[-1], {"id": "last", "op": "status"})
            a = recv(conns[-1])
            if a is None or not a.get("ok"):
                fail("connection 1000 not served: %r" % a)
            time.sleep(0.5)
            for c in conns:
                c.close()
        def frame_over_limit():
            s = conn()
            n = int(sys.argv[3]) + 1
            s.sendall(struct.pack(">I", n) + b"{" * 1024)
            a = recv(s)
            if a is None or a["error"]["code"] != "too_large" or a["id"] is not None:
                fail("frame of limit+1: %r" % a)
            if recv(s) is not None:
                fail("connection stays open after a frame over the limit")
        def stall_mid_frame():
            s = conn()
            t0 = time.time()
            s.sendall(struct.pack(">I", 100) + b'{"id":1,')
            a = recv(s)
            took = time.time() - t0
            if a is None or a["error"]["code"] != "timeout":
                fail("stalled frame: %r" % a)
            if recv(s) is not None:
                fail("stalled connection not closed")
            rt = float(sys.argv[4])
            if took < rt - 0.5 or took > rt + 3:
                fail("stalled frame closed after %.1f s, read_timeout_s is %s" % (took, rt))
        signed_during(idle_1000)
        signed_during(frame_over_limit)
        signed_during(stall_mid_frame)
    elif mode == "flood":
        # Run as the flooding user: many requests at once over a few connections.
        busy = ok = 0
        for round in range(4):
            cs = [conn() for _ in range(8)]
            for c in cs:
                for i in range(30):
                    send(c, {"id": i, "op": "status"})
            for c in cs:
                for i in range(30):
                    a = recv(c)
                    if a is None:
                        fail("flood connection closed")
                    if a.get("ok"):
                        ok += 1
                    elif a["error"]["code"] == "busy" and ("rate_per_client" in a["error"]["message"] or
                                                           "lane is full" in a["error"]["message"]):
                        busy += 1
                    else:
                        fail("flood: unexpected answer %r" % a)
                c.close()
        if busy == 0 or ok == 0:
            fail("flood: %d ok, %d busy; want both" % (ok, busy))
        print("flood: %d ok, %d busy" % (ok, busy))
finally:
    stop.set()
    if t.is_alive():
        t.join()
if mode == "basic" and not signed:
    fail("nothing signed")
if mode == "basic":
    print("signed %d while the limits were tested" % len(signed))
PY

tb_log "1,000 idle connections, frame limit + 1, stalled frame; signing goes on"
"$HZ_PY" "$TB_TMP/limits.py" "$TB_SOCK" basic "$MAXF" "$RT" || tb_fail "limits"

if [ -n "$FLOOD" ]; then
	tb_log "a flooding client gets busy; a client of another uid keeps signing"
	chmod 0755 "$TB_TMP" && chmod 0644 "$TB_TMP/limits.py" "$TB_TMP/tbframe.py"
	setpriv --reuid=$FLOOD --regid="$(id -g $FLOOD)" --clear-groups \
	    "$HZ_PY" "$TB_TMP/limits.py" "$TB_SOCK" flood > "$TB_TMP/flood.out" 2>&1 &
	fpid=$!
	"$HZ_PY" - "$TB_SOCK" <<'PY' || tb_fail "the other client was not served during the flood"
import base64, os, sys, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1], 20)
for i in range(20):
    a = ask(s, {"id": i, "op": "sign", "key": "ec", "data": base64.b64encode(b"x").decode()})
    if not a.get("ok"):
        print("refused: %r" % a); sys.exit(1)
    time.sleep(0.05)
PY
	wait $fpid || { cat "$TB_TMP/flood.out"; tb_fail "flood"; }
	cat "$TB_TMP/flood.out"
else
	echo "(flood part skipped: needs root for a second uid)"
fi
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"
tb_log "PASS"
exit 0
