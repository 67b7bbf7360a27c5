#!/bin/sh
# Hostile and broken frames on the socket (tests/system/rawclient.py): each must
# get the protocol's answer, and after each a normal `tanba sign` must still
# work. read_timeout_s is 2 and max_frame_bytes 1 MiB in setup.sh's config.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

raw() {
	python3 "$top_srcdir/tests/system/rawclient.py" "$TB_SOCK" "$@"
}
doc="$TB_TMP/doc"
echo "after bad input" > "$doc"
digest="sha256:$(tb_sha "$doc" sha256)"
i=0

# still_serves WHAT: a normal signature works and verifies.
still_serves() {
	i=$((i + 1))
	tb_tanba sign --key rsa --detached -o "$TB_TMP/after$i.der" "$doc" ||
	    tb_fail "after $1: tanba sign failed"
	tb_verify_cms "$TB_TMP/after$i.der" "$doc" || tb_fail "after $1: signature does not verify"
	kill -0 "$TB_DAEMON_PID" 2>/dev/null || tb_fail "after $1: tanbad is gone"
	echo "  ok: $1"
}

for c in truncated "too-large 1048576" zero bad-json wrong-type unknown-op; do
	tb_log "$c"
	# shellcheck disable=SC2086
	raw $c || tb_fail "$c"
	still_serves "$c"
done

tb_log "half a frame, then silence"
raw stall 2 || tb_fail "half frame"
still_serves "half frame"

tb_log "a client that disconnects with requests in flight"
raw disconnect-inflight rsa "$digest" || tb_fail "disconnect in flight"
raw disconnect-inflight ec "$digest" || tb_fail "disconnect in flight"
sleep 1
still_serves "disconnect in flight"

tb_log "a frame just under the limit is read (and refused for its content, not its size)"
python3 - "$TB_SOCK" <<'PY' || tb_fail "frame at the limit"
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sys.argv[1])
body = json.dumps({"id": 1, "op": "keys", "pad": "x" * (1048576 - 100)}).encode()
body += b" " * (1048576 - len(body))
s.sendall(struct.pack(">I", len(body)) + body)
h = b""
while len(h) < 4:
    c = s.recv(4 - len(h)); assert c, "closed"; h += c
n = struct.unpack(">I", h)[0]; b = b""
while len(b) < n:
    c = s.recv(n - len(b)); assert c, "closed"; b += c
a = json.loads(b)
assert a["id"] == 1, a
assert a["ok"] is True or a["error"]["code"] == "bad_request", a
PY
still_serves "frame at the limit"

tb_log "many connections opened and dropped"
# 200 > max_connections (64): the daemon accepts the backlog before it reads
# the hang-ups, so the next client finds a table full of closed peers; it
# must be served at once (reap_hung_up in daemon/front/server.c), not told busy.
python3 - "$TB_SOCK" <<'PY' || tb_fail "connection churn"
import socket, sys
for _ in range(200):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()
PY
still_serves "connection churn"

tb_log "a full table of hung-up peers does not turn a new client away"
# With the front stopped, 100 clients connect and hang up and one more asks
# for a signature; all wait in the listen backlog. On waking, the front
# accepts 64 closed peers before it reads their hang-ups: it must close
# those, not answer the signing client "busy".
kill -STOP "$TB_FRONT_PID"
python3 - "$TB_SOCK" <<'PY' || { kill -CONT "$TB_FRONT_PID"; tb_fail "backlog churn"; }
import socket, sys
for _ in range(100):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.close()
PY
tb_tanba sign --key rsa --detached -o "$TB_TMP/backlog.der" "$doc" 2>"$TB_TMP/backlog.err" &
signer_client=$!
sleep 1
kill -CONT "$TB_FRONT_PID"
wait "$signer_client" || { cat "$TB_TMP/backlog.err" >&2; tb_fail "client behind hung-up peers was refused"; }
tb_verify_cms "$TB_TMP/backlog.der" "$doc" || tb_fail "backlog churn: signature does not verify"
echo "  ok: backlog churn"

tb_tanba status --json > "$TB_TMP/status.json" || tb_fail "status"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["counters"]["errors"] >= 10, s["counters"]' \
    "$TB_TMP/status.json" || tb_fail "status does not count the errors"
echo "PASS"
