#!/bin/sh
# The signer knows a UNIX-socket client only through the connection the
# front handed it (CONNECT with the descriptor, SO_PEERCRED read by the
# signer). A connection opened before the signer is killed (kill -9) is
# handed again to the restarted signer: the same connection signs before
# and after, with no manual step, and the record of each signature carries
# the uid the signer read. A closed connection's number is forgotten.
TB_NO_START=1
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
command -v timeout >/dev/null 2>&1 || { echo "SKIP: no timeout(1)"; exit 77; }

PIDFILE=$TB_TMP/tanbad.pid
sed "s|^\[daemon\]\$|[daemon]\npid_file = $PIDFILE|" "$TB_CONF" > "$TB_CONF.new" &&
    mv "$TB_CONF.new" "$TB_CONF" || tb_fail "could not add pid_file"
tb_start_daemon || tb_fail "tanbad did not start"
OLD=$(cat "$PIDFILE.signer") || tb_fail "no signer pid file"

export TB_SOCK PIDFILE OLD top_srcdir
timeout 120 python3 - <<'PY' || tb_fail "one connection across a signer restart (log above)"
import base64, os, sys, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask

s = connect(os.environ["TB_SOCK"], 60)
def sign(i):
    return ask(s, {"id": i, "op": "sign", "key": "rsa",
                   "data": base64.b64encode(b"document %d" % i).decode()})
a = sign(1)
assert a and a.get("ok") and a.get("cms"), "before: %r" % a
old = int(os.environ["OLD"])
os.kill(old, 9)
# The same connection, until the new signer (another pid) signs for it.
deadline = time.time() + 60
while True:
    try:
        new = int(open(os.environ["PIDFILE"] + ".signer").read())
    except (OSError, ValueError):
        new = old
    a = sign(2)
    if new != old and a and a.get("ok"):
        break
    assert a is not None, "connection closed"
    assert a.get("ok") or a["error"]["code"] == "unavailable", "after: %r" % a
    assert time.time() < deadline, "no signature after the restart: %r" % a
    time.sleep(0.2)
print("signed on one connection across the restart of signer %d (now %d)" % (old, new))
PY

# Both signatures recorded with the uid the signer read for the connection.
python3 - "$TB_TMP/audit.log" "$(id -u)" <<'PY' || tb_fail "audit records"
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("op") == "sign"]
ok = [r for r in recs if r["result"] == "ok"]
assert len(ok) == 2 and all(r["uid"] == int(sys.argv[2]) for r in ok), recs
PY
grep -q "connection .* not taken\|cannot be attributed" "$TB_TMP/tanbad.log" &&
    tb_fail "a connection was not attributed: $(grep -m1 'attributed\|not taken' "$TB_TMP/tanbad.log")"
tb_stop_daemon || tb_fail "tanbad did not stop"
echo "PASS"
