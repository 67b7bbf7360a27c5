#!/bin/sh
# Two accounts, two programs: started as root with [daemon] user = tanbafront
# and signer_user = tanbasigner, the front runs as tanbafront from its first
# instruction (ids at exec, no capability, NoNewPrivs; it serves TLS with a
# key only root can read, handed over open, and reloads on SIGHUP), the signer
# (tanbad-signer, started by the root parent tanbad) as tanbasigner. The PIN file,
# the token store and the audit trail are tanbasigner's alone: as tanbafront
# none of them opens (so a compromised front cannot read the PIN or the key
# objects, nor write a record). The audit file left by root (mode 0644) is
# given to the signer (0600) at start; a link in its place is refused; the
# front's CRL cache is given to the front, and refused if others may write
# into it. The
# signer killed with SIGKILL comes back as tanbasigner and signs again with
# no manual step. Needs root (skips with 77).
. "$top_srcdir/tests/system/setup.sh"
hz_setup
command -v setpriv >/dev/null 2>&1 || { echo "SKIP: no setpriv"; exit 77; }
# The signer's files: its account only (the signer opens its own as
# signer_user, before anything else).
hz_two_accounts
# An audit file created by root, as an operator's first start would leave it.
: > "$HZ_AUDIT"
chmod 0644 "$HZ_AUDIT"
mkdir -p "$TB_TMP/cwd" && chmod 0777 "$TB_TMP/cwd"
# A [tls] listener whose key is root's alone (0600 in a 0700 directory):
# the parent opens it for the front, which could not.
T=$TB_TMP/tlspki
mkdir -m 0755 "$T" && mkdir -m 0700 "$T/key" || tb_fail "mkdir $T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=Tanba Test Split CA" -keyout "$T/key/ca.key" -out "$T/ca.pem" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign \
    >/dev/null 2>&1 || tb_fail "TLS CA"
for n in server client; do
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=split-$n" \
	    -keyout "$T/key/$n.key" -out "$T/$n.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' > "$T/$n.ext" &&
	openssl x509 -req -in "$T/$n.csr" -CA "$T/ca.pem" -CAkey "$T/key/ca.key" \
	    -CAcreateserial -days 365 -extfile "$T/$n.ext" -out "$T/$n.pem" >/dev/null 2>&1 ||
	    tb_fail "TLS certificate $n"
	chmod 0600 "$T/key/$n.key"
done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hz_conf "user = $FU
signer_user = $SU" "$HZ_SELF_CLIENT

[client \"tls\"]
tls_subject = CN=split-client
ops = status

[tls]
listen = 127.0.0.1:$PORT
certificate = $T/server.pem
private_key = $T/key/server.key
client_ca = $T/ca.pem"
# The front's CRL cache, made by root: given to the front's account at start.
CACHE=$TB_TMP/crlcache
mkdir -m 0755 "$CACHE"
sed -i "s|^required = no\$|required = no\ncache_dir = $CACHE|" "$TB_CONF"
grep -q "^cache_dir = $CACHE" "$TB_CONF" || tb_fail "no cache_dir in $TB_CONF"
(cd "$TB_TMP/cwd" && tb_start_daemon) || tb_fail "tanbad did not start"
PARENT=$(pgrep -f -o "tanbad -f -c $TB_CONF") || tb_fail "no parent"
TB_DAEMON_PID=$PARENT
FRONT=$(tb_front_of "$PARENT") || tb_fail "no front under the parent $PARENT"
SIGNER=$(tb_signer_of "$PARENT") || tb_fail "no signer under the parent $PARENT"

tb_log "the parent runs as root, the front as $FU, the signer as $SU"
[ "$(hz_uid_of "$PARENT")" = "0,0,0,0" ] || tb_fail "parent uid $(hz_uid_of "$PARENT")"
[ "$(hz_uid_of "$FRONT")" = "$FUID,$FUID,$FUID,$FUID" ] || tb_fail "front uid $(hz_uid_of "$FRONT")"
[ "$(hz_uid_of "$SIGNER")" = "$SUID,$SUID,$SUID,$SUID" ] || tb_fail "signer uid $(hz_uid_of "$SIGNER")"
tb_tanba sign --key rsa -o "$TB_TMP/a.p7" "$TB_CONF" || tb_fail "sign"

FGID=$(id -g $FU)
tb_log "the front is $FU from its first instruction: ids at exec, every id, no capability"
# The kernel keeps the credentials the program was executed with in its
# auxiliary vector: they show that no instruction of tanbad-front ran as root.
python3 - "$FRONT" "$FUID" "$FGID" <<'PY' || tb_fail "the front's ids at exec"
import struct, sys
pid, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open("/proc/%s/auxv" % pid, "rb").read()
n = struct.calcsize("@LL")
aux = dict(struct.unpack_from("@LL", data, i) for i in range(0, len(data) - n + 1, n))
got = {k: aux.get(v) for k, v in (("uid", 11), ("euid", 12), ("gid", 13), ("egid", 14))}
want = {"uid": uid, "euid": uid, "gid": gid, "egid": gid}
assert got == want, "at exec: %r, not %r" % (got, want)
print("front executed as uid %d gid %d" % (uid, gid))
PY
st=/proc/$FRONT/status
grep -q "^Gid:[[:space:]]*$FGID[[:space:]]*$FGID[[:space:]]*$FGID[[:space:]]*$FGID\$" $st ||
    tb_fail "front gid: $(grep ^Gid: $st)"
grep -q '^Groups:[[:space:]]*$' $st || tb_fail "front groups: $(grep ^Groups: $st)"
for c in CapInh CapPrm CapEff CapAmb; do
	grep -q "^$c:[[:space:]]*0000000000000000\$" $st || tb_fail "front $(grep "^$c:" $st)"
done
grep -q '^NoNewPrivs:[[:space:]]*1$' $st || tb_fail "front $(grep ^NoNewPrivs: $st)"

tb_log "TLS with a key only root can read: the front serves it from the parent's descriptor"
tls_status() {
	python3 - "$PORT" "$T/ca.pem" "$T/client.pem" "$T/key/client.key" <<'PY'
import os, socket, ssl, struct, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import exact, frame
port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
ctx.load_cert_chain(cert, key)
with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                     server_hostname="127.0.0.1") as s:
    s.sendall(frame('{"id":1,"op":"status"}'))
    h = exact(s, 4)
    print(exact(s, struct.unpack(">I", h)[0]).decode() if h else "CLOSED")
PY
}
ans=$(tls_status) || tb_fail "TLS client: $ans"
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "TLS status: $ans"

tb_log "SIGHUP: the front reloads the configuration as $FU"
n=$(tb_reloads)
kill -HUP "$PARENT"
tb_wait_reload "$n" || tb_fail "no reload: $(tail -n 5 "$TB_TMP/tanbad.log")"
[ "$(tb_front_of "$PARENT")" = "$FRONT" ] || tb_fail "the front was replaced, not reloaded"
tb_tanba sign --key rsa -o "$TB_TMP/r.p7" "$TB_CONF" || tb_fail "sign after the reload"
ans=$(tls_status) || tb_fail "TLS client after the reload: $ans"
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "TLS status after the reload: $ans"

tb_log "the CRL cache is the front's"
[ "$(stat -c %u "$CACHE")" = "$FUID" ] || tb_fail "cache_dir owner $(stat -c %U "$CACHE")"

tb_log "the audit file is the signer's, 0600"
[ "$(stat -c %u:%a "$HZ_AUDIT")" = "$SUID:600" ] || tb_fail "audit file $(stat -c %U:%a "$HZ_AUDIT")"

tb_log "as $FU: the PIN file, the token store and the audit trail do not open"
TOKFILE=$(find "$TB_TMP/hsm/tokens" -type f | head -n 1)
[ -n "$TOKFILE" ] || tb_fail "no token file"
setpriv --reuid=$FU --regid="$(id -g $FU)" --clear-groups /usr/bin/python3 - \
    "$TB_PIN_FILE" "$TB_TMP/hsm/tokens" "$TOKFILE" "$HZ_AUDIT" "$T/key/server.key" <<'PY' || tb_fail "the front's account reached a signer file"
import os, sys
pin, tokdir, tok, audit, tlskey = sys.argv[1:]
tries = [("read the PIN file", lambda: open(pin, "rb")),
         ("read the [tls] key", lambda: open(tlskey, "rb")),
         ("list the token store", lambda: os.listdir(tokdir)),
         ("read a token object", lambda: open(tok, "rb")),
         ("append to the audit file", lambda: open(audit, "ab")),
         ("read the audit file", lambda: open(audit, "rb"))]
bad = []
for what, f in tries:
    try:
        f()
        bad.append(what)
    except PermissionError:
        pass
assert not bad, "as the front's account could: " + ", ".join(bad)
print("front account refused all %d" % len(tries))
PY

tb_log "kill -9 of the signer: it comes back as $SU and signs, no manual step"
kill -KILL "$SIGNER"
hz_back_and_signs signer "$SIGNER" "$SUID" "$PARENT" "$TB_CONF"
tb_stop_daemon || tb_fail "tanbad did not stop"
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"

tb_log "a link in the audit file's place is refused, not followed"
mv "$HZ_AUDIT" "$HZ_AUDIT.old"
ln -s "$TB_TMP/elsewhere" "$HZ_AUDIT"
tb_run_daemon_expect_fail "$TB_CONF" || tb_fail "tanbad started on a linked audit file"
echo "$TB_DAEMON_ERR" | grep -q "symbolic links" || tb_fail "no word of the link: $TB_DAEMON_ERR"
[ ! -e "$TB_TMP/elsewhere" ] || tb_fail "the link was followed"
rm -f "$HZ_AUDIT"
mv "$HZ_AUDIT.old" "$HZ_AUDIT"

tb_log "a cache directory others may write into is refused, and no pid file is left"
chmod 0777 "$CACHE"
sed -i "s|^\[daemon\]\$|[daemon]\npid_file = $TB_TMP/tanbad.pid|" "$TB_CONF"
grep -q "^pid_file = $TB_TMP/tanbad.pid" "$TB_CONF" || tb_fail "no pid_file in $TB_CONF"
tb_run_daemon_expect_fail "$TB_CONF" || tb_fail "tanbad started with a world-writable cache"
echo "$TB_DAEMON_ERR" | grep -q "cache_dir .*lets others write" ||
    tb_fail "no word of the cache's mode: $TB_DAEMON_ERR"
[ ! -e "$TB_TMP/tanbad.pid" ] || tb_fail "a refused start left its pid file"
echo "PASS"
