#!/bin/sh
# Token and audit faults seen through the real tanbad, whose [token] module
# is the fault shim (tests/unit/p11-fault, docs/FAULTS.md) wrapping SoftHSM2:
# a slow token does not hold up verify, check-cert and status; a token that
# keeps failing gives a clear error and shows unhealthy in status, and
# recovers; one transient failure is retried once; a removed token and
# dead sessions; and, as root, a disk that fills under the audit trail
# stops signing (fail closed) with status saying why. Throughout, the audit
# chain must verify and hold exactly one sign record per signature a client
# received. Black-box: the socket protocol and the configuration only.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

SHIM="$top_builddir/tests/unit/p11-fault/.libs/libp11fault.so"
TB_ADMIN="$top_builddir/ca-tools/tanba-admin"
[ -f "$SHIM" ] || tb_fail "$SHIM not built (make tests/unit/p11-fault/libp11fault.la)"
[ -x "$TB_ADMIN" ] || tb_fail "$TB_ADMIN not built"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: no python3"; exit 77; }

# The shim reads these in whichever tanbad process loads the module.
P11FAULT_MODULE=$SOFTHSM_MODULE
P11FAULT_CONTROL="$TB_TMP/p11fault.ctl"
P11FAULT_STATS="$TB_TMP/p11fault.stats"
export P11FAULT_MODULE P11FAULT_CONTROL P11FAULT_STATS
AUDIT_DIR="$TB_TMP/audit"
AUDIT="$AUDIT_DIR/audit.log"
RECEIVED="$TB_TMP/received"	# SHA-256 of every CMS a client got, one a line
: > "$RECEIVED"
mkdir -p "$AUDIT_DIR" || tb_fail "mkdir"
# A prompt answer: 2 s, scaled for a daemon under valgrind.
PROMPT_S=$((2 * TB_TIME_SCALE))
SLOW_MS=4000

tb_write_conf "$TB_CONF" "$SHIM"
sed -i "s|^file = $TB_TMP/audit.log\$|file = $AUDIT|" "$TB_CONF"
# The shim rewrites its stats file by rename(2), which the signer's seccomp
# filter does not allow: it is run as a vendor module that needs more is,
# with [token] sandbox = no (docs/FAULTS.md).
grep -q '^sandbox = no$' "$TB_CONF" || sed -i "s|^max_sessions = .*|&\nsandbox = no|" "$TB_CONF"
grep -q '^sandbox = no$' "$TB_CONF" || tb_fail "could not turn the signer's filter off"
grep -q "^file = $AUDIT\$" "$TB_CONF" || tb_fail "could not point [audit] file at $AUDIT"
cat >> "$TB_CONF" <<CONF

[verify]
anchors = $TB_PKI/root.pem
untrusted = $TB_PKI/chain.pem
require_non_repudiation = no
check_iin_checksum = no
CONF
SESSIONS=$(sed -n 's/^max_sessions = //p' "$TB_CONF")
WORKERS=$(sed -n 's/^workers = //p' "$TB_CONF")
# A sign pool just over the sessions, so that (a) can fill it.
SIGN_WORKERS=$((SESSIONS + 1))
sed -i "s|^workers = .*|&\nsign_workers = $SIGN_WORKERS|" "$TB_CONF"
grep -q "^sign_workers = $SIGN_WORKERS\$" "$TB_CONF" || tb_fail "could not set sign_workers"

# fault_set [DIRECTIVE...]: the shim's control file, whole, by rename; a
# serial comment makes every call a change (one-shot directives fire again).
FAULT_SERIAL=0
fault_set() {
	FAULT_SERIAL=$((FAULT_SERIAL + 1))
	{ echo "# change $FAULT_SERIAL"; for _l in "$@"; do echo "$_l"; done; } > "$P11FAULT_CONTROL.tmp"
	mv "$P11FAULT_CONTROL.tmp" "$P11FAULT_CONTROL"
}
# shim_stat NAME: a counter of the shim in the daemon (0 before the first call).
shim_stat() {
	_v=$(sed -n "s/^$1=//p" "$P11FAULT_STATS" 2>/dev/null)
	echo "${_v:-0}"
}

cat > "$TB_TMP/fd.py" <<'PY'
"""Client side of tests/system/fault-daemon.sh: raw frames on the daemon's socket."""
import base64, hashlib, json, os, socket, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask

SOCK, RECEIVED = os.environ["TB_SOCK"], os.environ["FD_RECEIVED"]
lock = threading.Lock()

def conn(timeout=120):
    return connect(SOCK, timeout)

def call(req, timeout=120, s=None):
    own = s is None
    if own:
        s = conn(timeout)
    try:
        a = ask(s, req)
    finally:
        if own:
            s.close()
    if a is not None and a.get("ok") and "cms" in a:
        record(base64.b64decode(a["cms"]))
    return a

def der(b, off):
    """(tag, start of content, end) of the DER element at off."""
    tag, n = b[off], b[off + 1]
    off += 2
    if n & 0x80:
        k, n = n & 0x7f, int.from_bytes(b[off:off + (n & 0x7f)], "big")
        off += k
    return tag, off, off + n

def children(b, start, end):
    while start < end:
        t, s, e = der(b, start)
        yield t, s, e
        start = e

def signature_value(cms):
    """The signature of the first SignerInfo: what the signer signed."""
    _, s, e = der(cms, 0)				# ContentInfo
    kids = list(children(cms, s, e))
    _, s, e = der(cms, kids[1][1])			# [0] EXPLICIT SignedData
    sets = [k for k in children(cms, s, e) if k[0] == 0x31]
    _, s, e = sets[-1]					# signerInfos
    _, s, e = next(children(cms, s, e))		# the first SignerInfo
    return next(cms[s2:e2] for t, s2, e2 in children(cms, s, e) if t == 0x04)

def record(cms):
    """Every signature a client receives, for the audit count at the end:
    the SHA-256 of the CMS and of its signature value, one line each."""
    line = "%s %s\n" % (hashlib.sha256(cms).hexdigest(),
                        hashlib.sha256(signature_value(cms)).hexdigest())
    with lock, open(RECEIVED, "a") as f:
        f.write(line)

def sign(i, key="rsa"):
    return {"id": i, "op": "sign", "key": key,
            "data": base64.b64encode(b"fault-daemon document %s %f\n" % (str(i).encode(), time.time())).decode()}

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def stat(name):
    try:
        with open(os.environ["P11FAULT_STATS"]) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                if k == name:
                    return int(v)
    except OSError:
        pass
    return 0

def batch(i, n):
    """A sign request of n digests of documents no other request signs."""
    return {"id": i, "op": "sign", "key": "rsa",
            "digests": ["sha256:" + hashlib.sha256(b"fault-daemon batch %s %d %f" % (
                str(i).encode(), k, time.time())).hexdigest() for k in range(n)]}

def call_batch(req, timeout=120):
    """A batch's answer; every item's CMS a client got is recorded."""
    a = call(req, timeout)
    for it in (a or {}).get("results", []):
        if it.get("ok"):
            record(base64.b64decode(it["cms"]))
    return a

mode = sys.argv[1]
if mode == "record":
    record(open(sys.argv[2], "rb").read())
elif mode == "one":
    # one JSON: prints the answer, or CLOSED
    a = call(json.loads(sys.argv[2]))
    print("CLOSED" if a is None else json.dumps(a))
elif mode == "slow":
    # slow N PROMPT_S CMS CERT: N signs stuck in a slow token; meanwhile
    # verify, check-cert and status from other connections answer promptly.
    n, prompt = int(sys.argv[2]), float(sys.argv[3])
    cms = base64.b64encode(open(sys.argv[4], "rb").read()).decode()
    cert = base64.b64encode(open(sys.argv[5], "rb").read()).decode()
    sessions = int(sys.argv[6])
    answers = [None] * n
    def signer(i):
        try:
            answers[i] = call(sign("slow-%d" % i), timeout=300)
        except Exception as e:
            answers[i] = {"exception": repr(e)}
    base = stat("sign_calls")
    t0 = time.time()
    ts = [threading.Thread(target=signer, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    # Every token session is inside a sleeping C_Sign before we measure.
    while stat("sign_calls") - base < min(n, sessions):
        if time.time() - t0 > 30 * prompt:
            fail("only %d signs reached the token" % (stat("sign_calls") - base))
        time.sleep(0.05)
    probes = [("status", {"id": "st", "op": "status"}),
              ("verify", {"id": "v", "op": "verify", "cms": cms}),
              ("check-cert", {"id": "cc", "op": "check-cert", "cert": cert}),
              ("verify again", {"id": "v2", "op": "verify", "cms": cms}),
              ("status again", {"id": "st2", "op": "status"})]
    for name, req in probes:
        p0 = time.time()
        try:
            a = call(req, timeout=prompt)
        except socket.timeout:
            fail("%s not answered within %.0f s while signs wait on a slow token" % (name, prompt))
        took = time.time() - p0
        if a is None or not a.get("ok"):
            fail("%s: %r" % (name, a))
        if req["op"] in ("verify", "check-cert") and a.get("verdict") != "VALID":
            fail("%s: verdict %r" % (name, a.get("verdict")))
        if req["op"] == "status":
            busy = sum(t.get("sessions_busy", 0) for t in a.get("tokens", []))
            if busy < 1:
                fail("status shows no busy session while signs sleep: %r" % a.get("tokens"))
        print("%s answered in %.3f s (signs stuck: %d)" % (name, took, sum(1 for x in answers if x is None)))
    if all(x is not None for x in answers):
        fail("the signs were done before the probes ended: the token was not slow")
    for t in ts:
        t.join()	# also after a failed probe: fd.py exits once all are answered
    bad = [x for x in answers if x is None or not x.get("ok")]
    if bad:
        fail("%d slow signs failed: %r" % (len(bad), bad[0]))
    print("%d slow signatures made in %.1f s" % (n, time.time() - t0))
elif mode == "batch":
    # batch N: one batch of N digests; prints the answer
    a = call_batch(batch("batch-%f" % time.time(), int(sys.argv[2])))
    print("CLOSED" if a is None else json.dumps(a))
elif mode == "batch-kill":
    # batch-kill N K PID: a batch of N digests; once its Kth C_Sign is in
    # the (slow) token, the signer PID is killed; prints the answer
    n, k, pid = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    out = []
    base = stat("sign_calls")
    t = threading.Thread(target=lambda: out.append(call_batch(batch("kill", n))))
    t.start()
    t0 = time.time()
    while stat("sign_calls") - base < k:
        if time.time() - t0 > 60:
            fail("the batch's C_Sign %d never came" % k)
        time.sleep(0.02)
    os.kill(pid, 9)
    t.join()
    print("CLOSED" if out[0] is None else json.dumps(out[0]))
elif mode == "until-refused":
    # until-refused MAX: signs until one is refused; prints "N ANSWER"
    for i in range(int(sys.argv[2])):
        a = call(sign("fill-%d" % i))
        if a is None or not a.get("ok"):
            print("%d %s" % (i, json.dumps(a)))
            sys.exit(0)
    fail("%s signatures made on a full disk" % sys.argv[2])
elif mode == "audit-count":
    # audit-count FILE: one ok sign record per signature received, no more.
    # A record names the CMS (cms_digest) or, when written by a process that
    # never sees the CMS, the signature value (sig_digest).
    recs = {}
    n_ok = 0
    with open(sys.argv[2]) as f:
        for line in f:
            r = json.loads(line)
            if r.get("op") == "sign" and r.get("result") == "ok":
                n_ok += 1
                d = r.get("cms_digest") or r.get("sig_digest") or "none"
                d = d.replace("sha256:", "")
                recs[d] = recs.get(d, 0) + 1
    got = [l.split() for l in open(RECEIVED) if l.strip()]
    times = {}
    for cms_d, sig_d in got:
        times[sig_d] = times.get(sig_d, 0) + 1
    for cms_d, sig_d in got:
        # The same document signed twice in one second is the same signature.
        n = recs.get(cms_d, 0) + recs.get(sig_d, 0)
        if n != times[sig_d]:
            fail("signature %s (CMS %s) received %d times, %d audit records"
                 % (sig_d, cms_d, times[sig_d], n))
    if n_ok != len(got):
        fail("%d ok sign records, %d signatures received" % (n_ok, len(got)))
    print("%d signatures received, one ok sign record each" % len(got))
PY
export TB_SOCK FD_RECEIVED="$RECEIVED"
fd() { "$PY" "$TB_TMP/fd.py" "$@"; }
# sign_one: one signature of a document no other request signs.
SIGN_SERIAL=0
sign_one() {
	SIGN_SERIAL=$((SIGN_SERIAL + 1))
	fd one "{\"id\":$SIGN_SERIAL,\"op\":\"sign\",\"key\":\"rsa\",\"data\":\"$(printf 'document %s\n' $SIGN_SERIAL | base64)\"}"
}
field() {
	"$PY" -c '
import json, sys
try:
    v = json.loads(sys.argv[1])
    for p in sys.argv[2].split("."):
        v = v[int(p)] if isinstance(v, list) else v[p]
    print(json.dumps(v) if not isinstance(v, str) else v)
except Exception:
    print("-")' "$1" "$2"
}
STATUS='{"id":2,"op":"status"}'
audit_check() {
	"$TB_ADMIN" audit-verify "$AUDIT" >"$TB_TMP/av.out" 2>&1 ||
	    { cat "$TB_TMP/av.out"; tb_fail "audit-verify $1"; }
	fd audit-count "$AUDIT" || tb_fail "audit count $1"
}

fault_set
tb_start_daemon || tb_fail "tanbad did not start with the fault shim (rc ${TB_DAEMON_RC:-?})"
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "no signature through the shim without a fault: $ans"
[ "$(shim_stat sign_calls)" -ge 1 ] || tb_fail "the daemon's signature did not go through the shim"
[ "$(shim_stat control_errors)" = 0 ] || tb_fail "the shim did not understand its control file"
tb_tanba sign --key rsa -o "$TB_TMP/good.p7s" "$TB_CONF" >/dev/null || tb_fail "sign for the probes"
fd record "$TB_TMP/good.p7s" || tb_fail "record the probe's signature"
openssl x509 -in "$TB_PKI/rsa-sign.pem" -outform DER -out "$TB_TMP/cert.der" || tb_fail "cert"

tb_log "(a) slow token: $SLOW_MS ms per C_Sign; verify, check-cert, status answer within $PROMPT_S s"
# More slow signatures at once than the token has sessions plus the larger
# of workers and sign_workers: the sign pool is full and signs queue behind
# it, yet verify, check-cert and status, on the other pool, are served.
N=$((SESSIONS + (WORKERS > SIGN_WORKERS ? WORKERS : SIGN_WORKERS) + 2))
tb_log "(a) $N slow signatures at once (workers $WORKERS, sign_workers $SIGN_WORKERS, sessions $SESSIONS)"
fault_set "sign_sleep_ms=$SLOW_MS"
fd slow "$N" "$PROMPT_S" "$TB_TMP/good.p7s" "$TB_TMP/cert.der" "$SESSIONS" ||
    tb_fail "slow signatures held up other requests"
fault_set

tb_log "(b) every C_Sign fails with CKR_DEVICE_ERROR: clear error, unhealthy, recovery"
fault_set sign_fail_all
c0=$(shim_stat sign_calls)
ans=$(sign_one)
[ "$(field "$ans" ok)" = false ] || tb_fail "signed with a failing token: $ans"
[ "$(field "$ans" cms)" = - ] || tb_fail "a CMS came back from a failing token: $ans"
code=$(field "$ans" error.code)
case $code in token_unavailable|token_error) ;; *) tb_fail "want token_unavailable: $ans" ;; esac
case $(field "$ans" error.message) in
*CKR_DEVICE_ERROR*|*"device error"*) ;;
*) tb_fail "the error does not name the token's failure: $ans" ;;
esac
c1=$(shim_stat sign_calls)
[ $((c1 - c0)) = 2 ] || tb_fail "want one try and one retry (2 C_Sign), saw $((c1 - c0))"
st=$(fd one "$STATUS")
[ "$(field "$st" tokens.0.healthy)" = false ] || tb_fail "status shows the failing token healthy: $st"
grep -q "\"op\":\"sign\",.*\"result\":\"$code\"" "$AUDIT" || tb_fail "no audit record of the refusal"
fault_set
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "no recovery once the fault cleared: $ans"
st=$(fd one "$STATUS")
[ "$(field "$st" tokens.0.healthy)" = true ] || tb_fail "status still unhealthy after recovery: $st"

tb_log "(c) one transient CKR_DEVICE_ERROR: retried once, signature made"
r0=$(field "$(fd one "$STATUS")" tokens.0.reconnects)
c0=$(shim_stat sign_calls); f0=$(shim_stat faults_injected)
fault_set "sign_fail_nth=1"
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "a transient failure was not retried: $ans"
[ $(($(shim_stat sign_calls) - c0)) = 2 ] || tb_fail "want 2 C_Sign (fault + retry), saw $(($(shim_stat sign_calls) - c0))"
[ $(($(shim_stat faults_injected) - f0)) = 1 ] || tb_fail "the fault was not injected"
st=$(fd one "$STATUS")
[ "$(field "$st" tokens.0.healthy)" = true ] || tb_fail "unhealthy after a retried fault: $st"
[ "$(field "$st" tokens.0.reconnects)" -gt "$r0" ] 2>/dev/null || tb_fail "no reconnect counted: $st"
printf '%s' "$(field "$ans" cms)" | base64 -d > "$TB_TMP/retried.p7s" || tb_fail "base64"
tb_verify_cms "$TB_TMP/retried.p7s" || tb_fail "the retried signature does not verify"

tb_log "token removed, put back; sessions invalidated; CKR_BUFFER_TOO_SMALL"
fault_set token_removed
ans=$(sign_one)
[ "$(field "$ans" error.code)" = token_unavailable ] || tb_fail "removed token: $ans"
[ "$(field "$(fd one "$STATUS")" tokens.0.healthy)" = false ] || tb_fail "removed token healthy in status"
fault_set
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "no signature once the token was back: $ans"
[ "$(field "$(fd one "$STATUS")" tokens.0.healthy)" = true ] || tb_fail "unhealthy after the token came back"
fault_set invalidate_sessions
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "invalidated sessions: the one retry did not sign: $ans"
c0=$(shim_stat sign_calls)
fault_set sign_buffer_too_small
ans=$(sign_one)
[ "$(field "$ans" ok)" = false ] || tb_fail "signed with CKR_BUFFER_TOO_SMALL: $ans"
[ $(($(shim_stat sign_calls) - c0)) -le 2 ] || tb_fail "CKR_BUFFER_TOO_SMALL looped: $(($(shim_stat sign_calls) - c0)) C_Sign"
fault_set
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "no signature after CKR_BUFFER_TOO_SMALL cleared: $ans"

tb_log "(e) a token error inside a batch: that item fails alone, with its record"
# Five items go to one signing thread in order: the third C_Sign is the third
# item's, and CKR_FUNCTION_FAILED is not retried.
c0=$(shim_stat sign_calls)
e0=$(grep -c '"op":"sign",.*"result":"token_error"' "$AUDIT")
fault_set "sign_fail_nth=3 rv=CKR_FUNCTION_FAILED"
ans=$(fd batch 5)
fault_set
[ "$(field "$ans" ok)" = true ] || tb_fail "the batch was refused whole: $ans"
[ "$(field "$ans" signed)/$(field "$ans" failed)" = 4/1 ] || tb_fail "want 4 signed, 1 failed: $ans"
[ "$(field "$ans" results.2.error.code)" = token_error ] || tb_fail "item 2: $ans"
case $(field "$ans" results.2.error.message) in
*CKR_FUNCTION_FAILED*) ;;
*) tb_fail "item 2's error does not name the token's failure: $ans" ;;
esac
[ $(($(shim_stat sign_calls) - c0)) = 5 ] || tb_fail "want 5 C_Sign, saw $(($(shim_stat sign_calls) - c0))"
[ $(($(grep -c '"op":"sign",.*"result":"token_error"' "$AUDIT") - e0)) = 1 ] ||
    tb_fail "the failed item has no record of its own"

tb_log "(f) the signer killed inside a batch: unavailable, nothing signed without its record"
SIGNER=$(tb_signer_of "$TB_FRONT_PID") || tb_fail "no signer process"
fault_set "sign_sleep_ms=$SLOW_MS nth=2"
ans=$(fd batch-kill 4 2 "$SIGNER")
fault_set
[ "$(field "$ans" ok)" = false ] || tb_fail "a batch answered across the signer's death: $ans"
[ "$(field "$ans" error.code)" = unavailable ] || tb_fail "want unavailable: $ans"
for _i in $(seq 1 $((50 * TB_TIME_SCALE))); do
	ans=$(sign_one)
	[ "$(field "$ans" ok)" = true ] && break
	sleep 0.2
done
[ "$(field "$ans" ok)" = true ] || tb_fail "no signature after the signer's restart: $ans"
ans=$(fd batch 3)
[ "$(field "$ans" signed)" = 3 ] || tb_fail "no batch after the signer's restart: $ans"

tb_log "(g) a SIGHUP while a slow token holds a reload: one more reload follows, the last file serves"
cp "$TB_CONF" "$TB_CONF.g"
# conf_key_ec NAME: the configuration with key "ec" named NAME.
conf_key_ec() {
	sed "s/^\[key \"ec\"\]/[key \"$1\"]/" "$TB_CONF.g" > "$TB_CONF.new" &&
	    mv "$TB_CONF.new" "$TB_CONF" && grep -q "^\[key \"$1\"\]" "$TB_CONF" ||
	    tb_fail "could not name key ec $1"
}
n0=$(tb_reloads)
g0=$(shim_stat get_token_info_calls)
f0=$(grep -c 'a reload is running; another follows it' "$TB_TMP/tanbad.log")
fault_set "token_info_sleep_ms=$((1500 * TB_TIME_SCALE))"
conf_key_ec ec-first
kill -HUP "$TB_DAEMON_PID"
# The signer's lookup of the token has begun (the shim counts a call
# before it sleeps): for 1.5 s the reload is held inside the token.
_i=0
until [ "$(shim_stat get_token_info_calls)" -gt "$g0" ]; do
	_i=$((_i + 1)); [ $_i -lt $((500 * TB_TIME_SCALE)) ] || tb_fail "the signer's reload did not reach the token"
	sleep 0.02
done
conf_key_ec ec-last
kill -HUP "$TB_DAEMON_PID"
_i=0
until [ "$(grep -c 'a reload is running; another follows it' "$TB_TMP/tanbad.log")" -gt "$f0" ]; do
	_i=$((_i + 1)); [ $_i -lt $((500 * TB_TIME_SCALE)) ] ||
	    tb_fail "the second SIGHUP was not taken during the first reload: $(grep reload "$TB_TMP/tanbad.log" | tail -n 8)"
	sleep 0.02
done
fault_set
tb_wait_reload $((n0 + 1)) || tb_fail "no second reload after a SIGHUP during the first: $(grep reload "$TB_TMP/tanbad.log" | tail -n 8)"
tb_has_key ec-last || tb_fail "the last SIGHUP's file does not serve: $(tb_tanba keys)"
ans=$(fd one '{"id":9001,"op":"sign","key":"ec-last","data":"ZG9jdW1lbnQK"}')
[ "$(field "$ans" ok)" = true ] || tb_fail "sign with ec-last: $ans"
n1=$(tb_reloads)
mv "$TB_CONF.g" "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
tb_wait_reload "$n1" || tb_fail "no reload back to the first configuration"
tb_has_key ec || tb_fail "key ec not back"

[ "$(shim_stat control_errors)" = 0 ] || tb_fail "the shim did not understand a control line"
audit_check "after the token faults"

# (d) needs a file system that fills: a 256 KiB tmpfs over the audit dir,
# in a mount namespace of the daemon's own (root only).
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "(d) skipped: a full disk under the audit trail needs root and unshare -m"
	tb_stop_daemon
	tb_log "PASS"
	exit 0
fi
tb_log "(d) the disk under the audit trail fills: no signature without its record"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
audit_check "before the full disk"
cp "$AUDIT" "$TB_TMP/audit.before" || tb_fail "cp"
cat > "$TB_TMP/ns-tanbad.sh" <<EOF
#!/bin/sh
# tanbad (or its wrapper) with a small tmpfs over the audit dir, the old
# trail copied in: the mount lives and dies with the daemon's namespace.
exec unshare -m --propagation private sh -c 'mount -t tmpfs -o size=256k,mode=0700 tanba-audit "\$0" &&
    cp -p "$TB_TMP/audit.before" "$AUDIT" && exec "\$@"' "$AUDIT_DIR" "$TB_TANBAD" "\$@"
EOF
chmod +x "$TB_TMP/ns-tanbad.sh"
REAL_TANBAD=$TB_TANBAD
TB_TANBAD="$TB_TMP/ns-tanbad.sh"
tb_start_daemon || tb_fail "tanbad did not start with its audit dir on a tmpfs (rc ${TB_DAEMON_RC:-?})"
TB_TANBAD=$REAL_TANBAD
NSAUDIT_DIR="/proc/$TB_DAEMON_PID/root$AUDIT_DIR"
NSAUDIT="$NSAUDIT_DIR/audit.log"
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "no signature with the audit dir on a tmpfs: $ans"
[ "$(stat -f -c %T "$NSAUDIT_DIR")" = tmpfs ] || tb_fail "the audit dir is not on the test tmpfs"
# Fill what is left; the last page of the trail may still take a few records.
dd if=/dev/zero of="$NSAUDIT_DIR/filler" bs=4096 2>/dev/null
[ -s "$NSAUDIT_DIR/filler" ] || tb_fail "could not fill the tmpfs"
# A batch whose records fill the last page: those the trail took are
# answered, the rest withheld; no ok record of a signature not sent.
ans=$(fd batch 40)
[ "$(field "$ans" ok)" = true ] || tb_fail "a batch on a full disk: $ans"
[ "$(field "$ans" failed)" -ge 1 ] 2>/dev/null || tb_fail "a batch of 40 fit on a full disk: $ans"
[ "$(field "$ans" results.39.error.code)" = unavailable ] || tb_fail "the last item: $ans"
tb_log "a batch of 40 on a full disk: $(field "$ans" signed) signed"
"$TB_ADMIN" audit-verify "$NSAUDIT" >"$TB_TMP/av.out" 2>&1 ||
    { cat "$TB_TMP/av.out"; tb_fail "audit-verify after a batch on a full disk"; }
fd audit-count "$NSAUDIT" || tb_fail "a batch's records and the signatures sent differ"
out=$(fd until-refused 100) || tb_fail "$out"
ans=${out#* }
tb_log "refused after ${out%% *} more signatures: $ans"
[ "$(field "$ans" cms)" = - ] || tb_fail "a CMS came back with the disk full: $ans"
[ "$(field "$ans" error.code)" = unavailable ] || tb_fail "want unavailable with the disk full: $ans"
st=$(fd one "$STATUS")
[ "$(field "$st" audit.ok)" = false ] || tb_fail "status does not show the audit failure: $st"
case $(field "$st" audit.error) in
*"No space left"*|*"no space"*) ;;
*) tb_fail "status audit.error does not say the disk is full: $st" ;;
esac
ans=$(sign_one)
[ "$(field "$ans" error.code)" = unavailable ] || tb_fail "second sign on a full disk not refused: $ans"
"$TB_ADMIN" audit-verify "$NSAUDIT" >"$TB_TMP/av.out" 2>&1 ||
    { cat "$TB_TMP/av.out"; tb_fail "audit-verify with the disk full (a torn record?)"; }
fd audit-count "$NSAUDIT" || tb_fail "a signature without its record on a full disk"

tb_log "space again: signing resumes, status clears"
rm -f "$NSAUDIT_DIR/filler"
ans=$(sign_one)
[ "$(field "$ans" ok)" = true ] || tb_fail "signing did not resume: $ans"
st=$(fd one "$STATUS")
[ "$(field "$st" audit.ok)" = true ] || tb_fail "status still shows the audit failure: $st"
"$TB_ADMIN" audit-verify "$NSAUDIT" >"$TB_TMP/av.out" 2>&1 ||
    { cat "$TB_TMP/av.out"; tb_fail "audit-verify after the full disk"; }
fd audit-count "$NSAUDIT" || tb_fail "audit count after the full disk"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited $TB_DAEMON_RC on SIGTERM"
tb_log "PASS"
exit 0
