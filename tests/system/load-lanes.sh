#!/bin/sh
# Lanes under hostile load (docs/SECURITY.md "Hostile load"): verifications
# held by a CRL server that never answers fill the verify lane, yet status
# and sign of another connection are answered while they hang; a verify
# past the lane's queue gets busy at once; the queued ones that waited past
# verify_deadline_ms get timeout and are not run. Then a slow token fills
# the sign lane, and a status request carrying a nested {"op":"sign"} is
# still answered beside it: the lane follows the decoded op, not the bytes.
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

# The documents to verify come from a hierarchy of their own, whose CA's
# CRL is at a URL that never answers; the signing keys' CA is not covered
# (required = no), so signing never waits on that server.
V=$TB_TMP/vpki
"$TB_TESTPKI" hierarchy --out "$V" --ca-alg rsa2048 --leaf-alg rsa2048 >>"$TB_TMP/testpki.log" 2>&1 ||
    tb_fail "testpki hierarchy"
head -c 512 /dev/urandom > "$TB_TMP/doc"
"$TB_TESTPKI" cms --cert "$V/individual-sign.pem" --key "$V/individual-sign.key" \
    --in "$TB_TMP/doc" --out "$TB_TMP/doc.p7s" >>"$TB_TMP/testpki.log" 2>&1 || tb_fail "testpki cms"
mkdir -p "$TB_TMP/www"
"$PY" "$top_srcdir/tests/system/rev-httpd.py" "$TB_TMP/www" "$TB_TMP/http.port" &
HTTPD=$!
lanes_cleanup() {
	_rc=$?
	kill "$HTTPD" 2>/dev/null
	wait "$HTTPD" 2>/dev/null
	(exit $_rc)
	tb_cleanup
}
trap lanes_cleanup EXIT
i=0
while [ ! -s "$TB_TMP/http.port" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || tb_fail "http server did not start"
	sleep 0.1
done
HANG="http://127.0.0.1:$(cat "$TB_TMP/http.port")/hang/ca.crl"

HOLD_S=12
tb_write_conf "$TB_CONF" "$SHIM"
sed -i -e '/^\[revocation\]/,$d' -e 's/^workers = .*/workers = 2\
sign_workers = 1\
verify_queue = 2\
sign_queue = 4\
verify_deadline_ms = 3000/' "$TB_CONF"
cat >> "$TB_CONF" <<CONF
[verify]
anchors = $V/root.pem
untrusted = $V/chain.pem
check_iin_checksum = no

[revocation]
required = no
connect_timeout_ms = 2000
timeout_ms = $((HOLD_S * 1000))

[issuer "vca"]
certificate = $V/ca.pem
crl = $HANG
CONF
grep -q '^verify_queue = 2$' "$TB_CONF" || tb_fail "could not set the lanes"
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

cat > "$TB_TMP/lanes.py" <<'PY'
import base64, json, os, select, socket, sys, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, send, recv, ask
SOCK = os.environ["TB_SOCK"]
HOLD = float(sys.argv[1])
CMS = base64.b64encode(open(os.path.join(os.environ["TB_TMP"], "doc.p7s"), "rb").read()).decode()

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def pending(s):
    """True while s has no answer to read."""
    r, _, _ = select.select([s], [], [], 0)
    return not r

def set_fault(text):
    path = os.environ["P11FAULT_CONTROL"]
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)

def verify(s, rid):
    send(s, {"id": rid, "op": "verify", "cms": CMS})

mode = sys.argv[2]
if mode == "verify":
    # Two verifications hold both verify workers; two more wait in its queue.
    held = [connect(SOCK, HOLD * 4) for _ in range(2)]
    for i, s in enumerate(held):
        verify(s, "held%d" % i)
    time.sleep(1)
    queued = connect(SOCK, HOLD * 4)
    verify(queued, "q0")
    verify(queued, "q1")
    time.sleep(0.5)
    # The lane is full: the next one is refused at once.
    extra = connect(SOCK, HOLD * 4)
    a = ask(extra, {"id": "extra", "op": "verify", "cms": CMS})
    if a is None or a.get("ok") or a["error"]["code"] != "busy" or "verify" not in a["error"]["message"]:
        fail("verify past the lane's queue: want busy, got %r" % a)
    # Another client's status and sign are served while the verifications hang.
    other = connect(SOCK, 30)
    t0 = time.time()
    a = ask(other, {"id": "st", "op": "status"})
    if a is None or not a.get("ok"):
        fail("status beside held verifications: %r" % a)
    a = ask(other, {"id": "sg", "op": "sign", "key": "rsa", "data": base64.b64encode(b"beside").decode()})
    if a is None or not a.get("ok"):
        fail("sign beside held verifications: %r" % a)
    took = time.time() - t0
    if not all(pending(s) for s in held):
        fail("a held verification was answered before status and sign (the CRL server never answers)")
    print("status and sign answered in %.2f s while both verify workers were held" % took)
    for i, s in enumerate(held):
        a = recv(s)
        if a is None or a.get("id") != "held%d" % i:
            fail("held verification: %r" % a)
    got = [recv(queued), recv(queued)]
    for a in got:
        if a is None or a.get("ok") or a["error"]["code"] != "timeout" or \
                "verify_deadline_ms" not in a["error"]["message"]:
            fail("queued past verify_deadline_ms: want timeout, got %r" % a)
    print("queued verifications: %s" % got[0]["error"]["message"])
elif mode == "nested":
    # A slow token holds the only sign worker.
    set_fault("sign_sleep_ms=%d\n" % int(HOLD * 500))
    slow = connect(SOCK, HOLD * 4)
    send(slow, {"id": "slow", "op": "sign", "key": "rsa", "data": base64.b64encode(b"slow").decode()})
    time.sleep(1)
    s = connect(SOCK, 30)
    # "op":"sign" in the bytes (compact, as clients write it), nested: still a
    # status request, run in the control lane.
    a = ask(s, json.dumps({"x": {"op": "sign"}, "id": "nested", "op": "status"},
                          separators=(",", ":")))
    if a is None or not a.get("ok") or a.get("id") != "nested" or "uptime_s" not in a:
        fail("status with a nested op: %r" % a)
    if not pending(slow):
        fail("the slow signature finished first: the nested op waited in the sign lane")
    # And the other way: an op only inside the data is no sign request.
    a = ask(s, json.dumps({"note": "\"op\":\"sign\"", "id": "text", "op": "keys"},
                          separators=(",", ":")))
    if a is None or not a.get("ok") or "keys" not in a:
        fail("keys with op:sign in a string: %r" % a)
    if not pending(slow):
        fail("the slow signature finished before keys")
    a = recv(slow)
    set_fault("")
    if a is None or not a.get("ok"):
        fail("the slow signature: %r" % a)
    print("nested op answered in the control lane while the sign lane was held")
PY
export TB_SOCK TB_TMP

tb_log "slow verifications: status and sign served, busy past the queue, timeout past the deadline"
"$PY" "$TB_TMP/lanes.py" "$HOLD_S" verify || tb_fail "verify lane"
tb_log "a nested op does not route to the sign lane"
"$PY" "$TB_TMP/lanes.py" "$HOLD_S" nested || tb_fail "routing by the decoded op"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
tb_log "PASS"
exit 0
