#!/bin/sh
# The Prometheus endpoint ([metrics], docs/METRICS.md): a non-loopback
# address is refused by the configuration; on a loopback port, every line
# of the exposition is in the text format (HELP/TYPE before each family,
# label syntax, cumulative buckets ending in _count), and after known
# requests the counters moved by as much (requests and latency per op,
# errors by code, signatures), with the signer, audit, token and lane
# figures present; then the same over a UNIX socket.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: no python3"; exit 77; }

cp "$TB_CONF" "$TB_TMP/base.conf"
printf '\n[metrics]\nlisten = 0.0.0.0:9464\n' >> "$TB_CONF"
"$TB_TANBAD" --check-config -c "$TB_CONF" > "$TB_TMP/check.out" 2>&1 &&
    tb_fail "[metrics] on 0.0.0.0 was accepted"
grep -q "loopback only" "$TB_TMP/check.out" || tb_fail "not explained: $(cat "$TB_TMP/check.out")"

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp "$TB_TMP/base.conf" "$TB_CONF"
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$PORT" >> "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"
tb_wait_log "metrics: Prometheus exposition on 127.0.0.1:$PORT" || tb_fail "no metrics endpoint"

cat > "$TB_TMP/scrape.py" <<'PY'
import base64, os, re, socket, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
SOCK, where = os.environ["TB_SOCK"], sys.argv[1]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def get(path="/metrics"):
    if where.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(where)
    else:
        s = socket.create_connection(("127.0.0.1", int(where)), timeout=20)
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode()
    return status, head.decode(), body.decode()

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\\n])*"'
SAMPLE = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)$"
                    % (NAME, LABEL, LABEL))
HELP = re.compile(r"^# HELP (%s) .+$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)

def parse(body):
    if not body.endswith("\n"):
        fail("the exposition does not end with a newline")
    types, values = {}, {}
    for n, line in enumerate(body.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = TYPE.match(line)
            if m:
                types[m.group(1)] = m.group(2)
            elif not HELP.match(line):
                fail("line %d is no HELP/TYPE comment: %r" % (n, line))
            continue
        m = SAMPLE.match(line)
        if not m:
            fail("line %d is not a sample: %r" % (n, line))
        name = m.group(1)
        fam = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        if fam not in types:
            fail("line %d: %s has no TYPE before it" % (n, name))
        key = name + (m.group(2) or "")
        if key in values:
            fail("line %d: %s given twice" % (n, key))
        values[key] = float(m.group(3))
    # Histograms: buckets cumulative, +Inf equal to _count.
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for key, v in values.items():
            if key.startswith(fam + "_bucket"):
                labels = re.sub(r',?le="[^"]*"', "", key[len(fam + "_bucket"):])
                series.setdefault(labels, []).append((key, v))
        for labels, bs in series.items():
            vals = [v for _, v in bs]
            if vals != sorted(vals):
                fail("%s%s: buckets not cumulative" % (fam, labels))
            inf = [v for k, v in bs if 'le="+Inf"' in k]
            cnt = values.get(fam + "_count" + (labels if labels != "{}" else ""))
            if not inf or cnt is None or inf[0] != cnt:
                fail("%s%s: +Inf bucket %r, _count %r" % (fam, labels, inf, cnt))
    return values

status, head, body = get()
if not status.startswith("HTTP/1.1 200"):
    fail("scrape: %s" % status)
if "text/plain; version=0.0.4" not in head:
    fail("content type: %r" % head)
before = parse(body)
for need in ("tanba_up", "tanba_signer_up", "tanba_audit_ok", 'tanba_lane_queued{lane="control"}',
             'tanba_lane_queued{lane="verify"}', 'tanba_lane_queued{lane="sign"}',
             'tanba_lane_queued{lane="intake"}', 'tanba_token_sessions_in_use{token="tanba"}',
             'tanba_token_sessions_max{token="tanba"}', "tanba_buffered_bytes",
             'tanba_verdicts_total{verdict="VALID"}', 'tanba_errors_total{code="busy"}'):
    if need not in before:
        fail("%s missing from the exposition" % need)
if before["tanba_signer_up"] != 1 or before["tanba_audit_ok"] != 1:
    fail("signer_up %r audit_ok %r" % (before["tanba_signer_up"], before["tanba_audit_ok"]))
if not get("/other")[0].startswith("HTTP/1.1 404"):
    fail("a path other than /metrics was served")

s = connect(SOCK, 30)
for i in range(3):
    if not ask(s, {"id": i, "op": "status"}).get("ok"):
        fail("status")
for i in range(2):
    if not ask(s, {"id": i, "op": "sign", "key": "rsa", "data": base64.b64encode(b"m").decode()}).get("ok"):
        fail("sign")
a = ask(s, {"id": "x", "op": "no-such-op"})
if a.get("ok") or a["error"]["code"] != "bad_request":
    fail("unknown op: %r" % a)
after = parse(get()[2])

def moved(key, by):
    d = after.get(key, 0) - before.get(key, 0)
    if d != by:
        fail("%s moved by %g, want %g" % (key, d, by))

moved('tanba_requests_total{op="status"}', 3)
moved('tanba_requests_total{op="sign"}', 2)
moved('tanba_requests_total{op="other"}', 1)
moved('tanba_request_duration_seconds_count{op="sign"}', 2)
moved('tanba_errors_total{code="bad_request"}', 1)
moved('tanba_request_errors_total{op="other"}', 1)
moved("tanba_signatures_total", 2)
if after["tanba_audit_records_total"] < before["tanba_audit_records_total"] + 2:
    fail("audit records did not grow with the signatures")
print("%d samples parsed; counters moved as asked" % len(after))
PY
export TB_SOCK

tb_log "scrape over 127.0.0.1:$PORT"
"$PY" "$TB_TMP/scrape.py" "$PORT" || tb_fail "metrics over TCP"
tb_stop_daemon

MSOCK=$TB_TMP/metrics.sock
[ ${#MSOCK} -lt 100 ] || MSOCK=$(dirname "$TB_SOCK")/metrics.sock
cp "$TB_TMP/base.conf" "$TB_CONF"
printf '\n[metrics]\nsocket = %s\n' "$MSOCK" >> "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start with a metrics socket"
[ -S "$MSOCK" ] || tb_fail "no metrics socket"
[ "$(stat -c %a "$MSOCK")" = 660 ] || tb_fail "metrics socket mode $(stat -c %a "$MSOCK")"
tb_log "scrape over $MSOCK"
"$PY" "$TB_TMP/scrape.py" "$MSOCK" || tb_fail "metrics over a UNIX socket"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
tb_log "PASS"
exit 0
