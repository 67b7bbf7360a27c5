#!/bin/sh
# No flood: a user matching no [client] (nobody) opens connections as fast
# as four processes can for a few seconds. Its refusals are written one by
# one only up to [audit] refusal_records per refusal_window_s, then counted
# ("N refusals of uid U in the last T s"): the trail grows by a bounded
# amount per second whatever the rate, no refusal goes uncounted, and the
# signatures made meanwhile each have their own record. Needs root (a
# second user); skips with 77 otherwise.
. "$top_srcdir/tests/system/setup.sh"
hz_setup
hz_need_root
NOBODY=nobody
id "$NOBODY" >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
NOBODY_UID=$(id -u "$NOBODY")

# A socket directory other users can pass through (the build tree may not be).
TB_SOCK_DIR=$(mktemp -d /tmp/tanba-flood.XXXXXX) || tb_fail "mktemp"
chmod 0711 "$TB_SOCK_DIR"
TB_SOCK="$TB_SOCK_DIR/tanbad.sock"
sed -i -e "s|^socket = .*|socket = $TB_SOCK|" -e '/^socket_mode = /d' "$TB_TMP/base.conf"
K=3
W=2
hz_conf "socket_mode = 0666" "$HZ_SELF_CLIENT"
sed -i "s|^file = $HZ_AUDIT\$|&\\
refusal_records = $K\\
refusal_window_s = $W|" "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start"

FLOOD_S=6
cat > "$TB_TMP/flood.py" <<'PY'
import socket, struct, sys, time
path, secs = sys.argv[1], float(sys.argv[2])
body = b'{"id":1,"op":"status"}'
seen = tries = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    tries += 1
    try:
        s.connect(path)
        try:
            s.sendall(struct.pack(">I", len(body)) + body)
        except OSError:
            pass
        h = s.recv(4)
        if len(h) == 4:
            b = b""
            n = struct.unpack(">I", h)[0]
            while len(b) < n:
                c = s.recv(n - len(b))
                if not c:
                    break
                b += c
            if b'"forbidden"' in b:
                seen += 1
    except OSError:
        pass
    s.close()
print(seen, tries)
PY
chmod 0644 "$TB_TMP/flood.py"
chmod 0755 "$TB_TMP"

tb_log "flood of refused connections from uid $NOBODY_UID for $FLOOD_S s, signing meanwhile"
t0=$(date +%s)
pids=
for p in 1 2 3 4; do
	setpriv --reuid="$NOBODY" --regid="$(id -g "$NOBODY")" --clear-groups \
	    "$HZ_PY" "$TB_TMP/flood.py" "$TB_SOCK" "$FLOOD_S" > "$TB_TMP/flood.$p" 2>&1 &
	pids="$pids $!"
done
i=0
while [ $i -lt 20 ]; do
	printf 'flood document %s\n' $i > "$TB_TMP/doc$i"
	tb_tanba sign --key ec -o "$TB_TMP/doc$i.p7" "$TB_TMP/doc$i" || tb_fail "sign $i under the flood"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # the flooders only, not the daemon
wait $pids
t1=$(date +%s)
seen=0
tries=0
for p in 1 2 3 4; do
	read -r s t < "$TB_TMP/flood.$p" || tb_fail "flooder $p: $(cat "$TB_TMP/flood.$p")"
	seen=$((seen + s))
	tries=$((tries + t))
done
tb_log "$seen refused connections answered ($tries tries) in $((t1 - t0)) s"
[ "$seen" -gt $((10 * K)) ] || tb_fail "the flood was too small to show anything ($seen)"

# The counts are written when their window ends: wait for them.
# totals: one-by-one records, refusals counted, their bytes, for nobody's uid.
totals() {
	python3 - "$HZ_AUDIT" "$NOBODY_UID" <<'PY'
import json, sys
single = counted = size = n = 0
for line in open(sys.argv[1], "rb"):
    r = json.loads(line)
    if r.get("uid") != int(sys.argv[2]):
        continue
    n += 1
    size += len(line)
    if r.get("op") == "connect":
        single += 1
    elif r.get("op") == "refusals":
        counted += r["refusals"]
print(single, counted, size, n)
PY
}
i=0
while :; do
	set -- $(totals)
	[ $(($1 + $2)) -ge "$seen" ] && break
	[ $i -lt 100 ] || tb_fail "refusals lost: $1 written + $2 counted < $seen answered"
	sleep 0.2
	i=$((i + 1))
done
single=$1 counted=$2 bytes=$3 records=$4
grep "\"uid\":$NOBODY_UID," "$HZ_AUDIT" | grep -v '"op":"connect"' | head -n 3
secs=$(( $(date +%s) - t0 + 1 ))
windows=$(( secs / W + 2 ))
tb_log "nobody's refusals: $single written one by one, $counted counted, in $records records ($bytes bytes) over $secs s"
[ "$records" -le $(( (K + 1) * windows )) ] ||
    tb_fail "$records records for nobody over $secs s: more than $((K + 1)) per $W s window"
[ "$single" -le $(( K * windows )) ] || tb_fail "$single refusals written one by one"
# Each try is refused at most once: a count over that would be counted twice.
[ $((single + counted)) -le "$tries" ] ||
    tb_fail "$single written + $counted counted: more refusals than the $tries tries"
[ "$bytes" -le $(( (K + 1) * windows * 600 )) ] ||
    tb_fail "the trail grew by $bytes bytes of refusals in $secs s"

tb_log "every signature made under the flood has its own record"
i=0
while [ $i -lt 20 ]; do
	d=$(tb_sha "$TB_TMP/doc$i" sha256)
	n=$(grep -c "\"op\":\"sign\",\"key\":\"ec\",\"doc_digest\":\"sha256:$d\",.*\"result\":\"ok\"" "$HZ_AUDIT")
	[ "$n" = 1 ] || tb_fail "signature $i has $n records"
	i=$((i + 1))
done
tb_stop_daemon
"$TB_ADMIN" audit-verify --key "$HZ_AUDIT.key" "$HZ_AUDIT" || tb_fail "audit-verify"
rm -rf "$TB_SOCK_DIR"
tb_log "PASS"
exit 0
