#!/bin/sh
# The global budget of buffered bytes (docs/SECURITY.md "Hostile load"):
# 96 connections each send a frame one byte short of max_frame_bytes and
# stall. The front reserves each frame's bytes before it allocates them,
# so past max_buffered_bytes the frames are refused (busy) and its resident
# memory (VmRSS from /proc) stays under its size before the attack plus
# the budget and a fixed allowance; meanwhile another connection's status
# and sign are answered (small frames pass the global budget). Once the
# stalled frames time out (read_timeout_s) a large request is taken again.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: no python3"; exit 77; }

FRAME=$((4 * 1024 * 1024))
BUDGET=$((32 * 1024 * 1024))
TB_MAX_FRAME=$FRAME tb_write_conf
sed -i -e 's/^max_connections = .*/max_connections = 256\
max_connections_per_client = 256\
max_buffered_bytes_per_client = '"$BUDGET"'\
max_buffered_bytes = '"$BUDGET"'\
first_frame_timeout_s = 30/' -e 's/^read_timeout_s = .*/read_timeout_s = 8/' "$TB_CONF"
grep -q "^max_buffered_bytes = $BUDGET\$" "$TB_CONF" || tb_fail "could not set the budget"
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

cat > "$TB_TMP/mem.py" <<'PY'
import base64, os, socket, struct, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, recv, ask
SOCK = os.environ["TB_SOCK"]
pid, frame, budget = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
N = 96

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def rss():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    fail("no VmRSS for %d" % pid)

# Allowance beyond the budget: the answers, the workers' stacks touched, the
# allocator's slack. The attack without a budget costs N x frame (384 MiB).
ALLOW = 48 * 1024 * 1024
base = rss()
bound = base + budget + ALLOW
peak = base
refused = []
body = b"{" + b" " * (frame - 2)		# one byte short of the limit: never complete

def attacker(i):
    try:
        s = connect(SOCK, 30)
        s.sendall(struct.pack(">I", frame) + body)
        refused.append(None)		# all sent: the daemon took it (or is reading it)
    except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
        a = None
        try:
            a = recv(s)
        except OSError:
            pass
        refused.append(a)
        return
    conns.append(s)

conns = []
threads = [threading.Thread(target=attacker, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
other = connect(SOCK, 30)
served = 0
while any(t.is_alive() for t in threads):
    peak = max(peak, rss())
    a = ask(other, {"id": served, "op": "status"})
    if a is None or not a.get("ok"):
        fail("status of another connection during the attack: %r" % a)
    served += 1
    time.sleep(0.05)
for t in threads:
    t.join()
for _ in range(10):
    peak = max(peak, rss())
    time.sleep(0.1)
a = ask(other, {"id": "sig", "op": "sign", "key": "rsa", "data": base64.b64encode(b"x").decode()})
if a is None or not a.get("ok"):
    fail("sign of another connection during the attack: %r" % a)
busy = [a for a in refused if a is not None and a.get("error", {}).get("code") == "busy"]
taken = sum(1 for a in refused if a is None)
print("RSS before %.1f MiB, peak %.1f MiB, bound %.1f MiB (budget %.0f MiB); %d frames taken, "
      "%d refused busy, %d status answered beside" % (base / 2**20, peak / 2**20, bound / 2**20,
      budget / 2**20, taken, len(busy), served))
if peak > bound:
    fail("the front grew to %.1f MiB, over %.1f MiB" % (peak / 2**20, bound / 2**20))
if not busy or "max_buffered_bytes" not in busy[0]["error"]["message"]:
    fail("no frame refused by the budget: %r" % refused[:3])
if taken > budget // frame:
    fail("%d frames of %d bytes taken, over a budget of %d bytes" % (taken, frame, budget))
# The stalled frames time out and give their bytes back: a large request fits again.
for c in conns:
    c.close()
doc = base64.b64encode(os.urandom(frame // 2)).decode()
for _ in range(100):
    s = connect(SOCK, 30)
    a = ask(s, {"id": "big", "op": "sign", "key": "rsa", "data": doc, "detached": True})
    s.close()
    if a is not None and a.get("ok"):
        break
    time.sleep(0.2)
else:
    fail("no large request taken after the stalled frames went: %r" % a)
print("a large request taken again once the stalled frames went")
PY
export TB_SOCK

tb_log "96 frames one byte short of max_frame_bytes: memory bounded by max_buffered_bytes"
"$PY" "$TB_TMP/mem.py" "$TB_FRONT_PID" "$FRAME" "$BUDGET" || tb_fail "global budget"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
tb_log "PASS"
exit 0
