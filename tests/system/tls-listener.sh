#!/bin/sh
# The [tls] TCP listener on 127.0.0.1: a client certificate mapped by
# tls_subject may call its ops and is refused others with forbidden; one
# mapped by tls_cert_sha256 sees only its keys; a verified certificate that
# maps to no [client] gets forbidden and an audit record; no certificate, a
# certificate of another CA, a TLS 1.2 client and a silent peer get no
# session; the rate limit applies per TLS client; the UNIX socket serves
# throughout and audit-verify passes. PKI made here with the openssl CLI.
. "$top_srcdir/tests/system/setup.sh"
hz_setup

P="$TB_TMP/tlspki"
mkdir -p "$P" || tb_fail "mkdir $P"
# mkca NAME SUBJECT
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
	    -subj "$2" -keyout "$P/$1.key" -out "$P/$1.pem" \
	    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign \
	    >/dev/null 2>&1 || tb_fail "CA $1"
}
# mkleaf NAME SUBJECT CA EXT...
mkleaf() {
	_n=$1 _s=$2 _ca=$3
	shift 3
	printf '%s\n' "$@" > "$P/$_n.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$_s" \
	    -keyout "$P/$_n.key" -out "$P/$_n.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$P/$_n.csr" -CA "$P/$_ca.pem" -CAkey "$P/$_ca.key" \
	    -CAcreateserial -days 365 -extfile "$P/$_n.ext" -out "$P/$_n.pem" >/dev/null 2>&1 ||
	    tb_fail "certificate $_n"
	chmod 0600 "$P/$_n.key"
}
mkca ca "/CN=Tanba Test Backend CA"
mkca other "/CN=Tanba Test Other CA"
mkleaf server "/CN=tanbad.test" ca "subjectAltName=IP:127.0.0.1" "extendedKeyUsage=serverAuth"
mkleaf alpha "/O=Tanba Test/CN=backend-alpha" ca "extendedKeyUsage=clientAuth"
mkleaf beta "/O=Tanba Test/CN=backend-beta" ca "extendedKeyUsage=clientAuth"
mkleaf stray "/O=Tanba Test/CN=backend-stray" ca "extendedKeyUsage=clientAuth"
# Same subject as alpha, wrong issuer: must not get in by its name.
mkleaf impostor "/O=Tanba Test/CN=backend-alpha" other "extendedKeyUsage=clientAuth"
ALPHA_SUBJECT=$(openssl x509 -in "$P/alpha.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
BETA_FP=$(openssl x509 -in "$P/beta.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')
[ "$ALPHA_SUBJECT" = "CN=backend-alpha,O=Tanba Test" ] || tb_fail "subject: $ALPHA_SUBJECT"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hz_conf "rate_per_client = 5
rate_burst = 10" "$HZ_SELF_CLIENT

[client \"alpha\"]
tls_subject = $ALPHA_SUBJECT
ops = status verify check-cert

[client \"beta\"]
tls_cert_sha256 = $BETA_FP
ops = status keys sign
keys = ec

[tls]
listen = 127.0.0.1:$PORT
certificate = $P/server.pem
private_key = $P/server.key
client_ca = $P/ca.pem"

tb_log "a group-readable private_key is refused at start"
chmod 0640 "$P/server.key"
tb_start_daemon && tb_fail "tanbad started with a group-readable TLS key"
grep -q "private_key" "$TB_TMP/tanbad.log" || tb_fail "no word on private_key in the log"
chmod 0600 "$P/server.key"
tb_start_daemon || tb_fail "tanbad did not start"
grep -q "listening for TLS 1.3 clients on 127.0.0.1:$PORT" "$TB_TMP/tanbad.log" ||
    tb_fail "no TLS listener in the log"

cat > "$TB_TMP/tlsreq.py" <<'PY'
# tlsreq.py PORT CA CERT|- KEY|- MODE REQUEST...: sends each request frame
# over one TLS session, prints each answer (one JSON line), or CLOSED, or
# TLS-FAILED <why>. MODE: tls13, tls12 (a TLS 1.2-only client), silent
# (TCP only; prints CLOSED when the daemon drops it), pipeline (all
# requests sent before any answer is read).
import os, socket, ssl, struct, sys, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import exact, frame
port, ca, cert, key, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
reqs = sys.argv[6:]
raw = socket.create_connection(("127.0.0.1", port), timeout=20)
if mode == "silent":
    t0 = time.time()
    try:
        d = raw.recv(1)
    except OSError:
        d = b""
    print("CLOSED" if d == b"" else "DATA", "%.0f" % (time.time() - t0))
    sys.exit(0)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(ca)
if mode == "tls12":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
if cert != "-":
    ctx.load_cert_chain(cert, key)
try:
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    if mode == "pipeline":
        s.sendall(b"".join(frame(r) for r in reqs))
    for i, r in enumerate(reqs):
        if mode != "pipeline":
            s.sendall(frame(r))
        h = exact(s, 4)
        if h is None:
            print("CLOSED")
            sys.exit(0)
        print(exact(s, struct.unpack(">I", h)[0]).decode())
except (ssl.SSLError, OSError) as e:
    print("TLS-FAILED %s" % e)
PY
# treq CERT MODE REQUEST...: one TLS session with client certificate CERT (or -).
treq() {
	_c=$1 _m=$2
	shift 2
	if [ "$_c" = - ]; then
		python3 "$TB_TMP/tlsreq.py" "$PORT" "$P/ca.pem" - - "$_m" "$@"
	else
		python3 "$TB_TMP/tlsreq.py" "$PORT" "$P/ca.pem" "$P/$_c.pem" "$P/$_c.key" "$_m" "$@"
	fi
}
unix_ok() {
	ans=$(hz_req '{"id":"u","op":"status"}')
	[ "$(hz_field "$ans" ok)" = true ] || tb_fail "UNIX socket status ($1): $ans"
}

tb_log "alpha (by subject): status ok, verify reaches its op, sign and keys forbidden"
ans=$(treq alpha tls13 '{"id":1,"op":"status"}')
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "alpha status: $ans"
ans=$(treq alpha tls13 '{"id":2,"op":"verify","cms":"AAAA"}')
[ "$(hz_field "$ans" id)" = 2 ] || tb_fail "alpha verify: $ans"
[ "$(hz_field "$ans" error.code)" != forbidden ] || tb_fail "alpha verify forbidden: $ans"
b64=$(printf 'doc' | base64)
ans=$(treq alpha tls13 "{\"id\":3,\"op\":\"sign\",\"key\":\"ec\",\"data\":\"$b64\"}" \
    '{"id":4,"op":"keys"}' '{"id":5,"op":"status"}')
[ "$(echo "$ans" | wc -l)" -eq 3 ] || tb_fail "alpha: 3 answers expected: $ans"
a1=$(echo "$ans" | sed -n 1p) a2=$(echo "$ans" | sed -n 2p) a3=$(echo "$ans" | sed -n 3p)
[ "$(hz_field "$a1" error.code)" = forbidden ] || tb_fail "alpha sign: $a1"
[ "$(hz_field "$a1" cms)" = - ] || tb_fail "alpha got a CMS: $a1"
[ "$(hz_field "$a2" error.code)" = forbidden ] || tb_fail "alpha keys: $a2"
[ "$(hz_field "$a3" ok)" = true ] || tb_fail "alpha status after refusals: $a3"
unix_ok "after alpha"

tb_log "beta (by fingerprint): keys shows only ec, verify and sign with rsa forbidden, sign with ec"
ans=$(treq beta tls13 '{"id":1,"op":"keys"}')
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "beta keys: $ans"
echo "$ans" | grep -q '"ec"' || tb_fail "beta keys lacks ec: $ans"
echo "$ans" | grep -q '"rsa"' && tb_fail "beta keys shows rsa: $ans"
ans=$(treq beta tls13 '{"id":2,"op":"verify","cms":"AAAA"}')
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "beta verify: $ans"
ans=$(treq beta tls13 "{\"id\":4,\"op\":\"sign\",\"key\":\"rsa\",\"data\":\"$b64\"}")
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "beta sign with rsa: $ans"
# The signer maps the TLS client from its certificate itself before signing.
ans=$(treq beta tls13 "{\"id\":5,\"op\":\"sign\",\"key\":\"ec\",\"data\":\"$b64\"}")
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "beta sign with ec: $ans"
hz_field "$ans" cms | base64 -d > "$TB_TMP/beta.p7s" || tb_fail "beta cms: $ans"
openssl cms -verify -noverify -binary -inform DER -in "$TB_TMP/beta.p7s" -out "$TB_TMP/beta.doc" \
    2>/dev/null || tb_fail "beta's signature does not verify"
[ "$(cat "$TB_TMP/beta.doc")" = doc ] || tb_fail "beta's signature holds another document"

tb_log "stray (verified, mapped to nothing): forbidden at connect, audited"
n0=$(hz_audit_count connect forbidden)
ans=$(treq stray tls13 '{"id":1,"op":"status"}')
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "stray: $ans"
[ "$(hz_field "$ans" ok)" = false ] || tb_fail "stray: $ans"
n1=$(hz_audit_count connect forbidden)
[ "$n1" -eq $((n0 + 1)) ] || tb_fail "stray refusal not audited ($n0 -> $n1)"
grep '"op":"connect"' "$HZ_AUDIT" | tail -n 1 | grep -q 'tls connection from CN=backend-stray' ||
    tb_fail "the audit record does not name the certificate: $(tail -n 1 "$HZ_AUDIT")"

tb_log "no certificate, another CA, TLS 1.2: no session"
ans=$(treq - tls13 '{"id":1,"op":"status"}')
case $ans in TLS-FAILED*|CLOSED) ;; *) tb_fail "no client certificate: $ans" ;; esac
ans=$(treq impostor tls13 '{"id":1,"op":"status"}')
case $ans in TLS-FAILED*|CLOSED) ;; *) tb_fail "certificate of another CA: $ans" ;; esac
ans=$(treq alpha tls12 '{"id":1,"op":"status"}')
case $ans in TLS-FAILED*) ;; *) tb_fail "TLS 1.2 client: $ans" ;; esac
grep -q "tls connection [0-9]* refused: client certificate" "$TB_TMP/tanbad.log" ||
    tb_fail "refused handshakes not logged"
unix_ok "after refused handshakes"

tb_log "a peer that never completes the handshake is dropped after read_timeout_s"
RT=$(sed -n 's/^read_timeout_s = //p' "$TB_CONF")
ans=$(treq - silent)
secs=${ans#CLOSED }
[ "${ans%% *}" = CLOSED ] && [ "$secs" -ge "$RT" ] && [ "$secs" -le $((RT + 3)) ] ||
    tb_fail "silent peer: $ans (read_timeout_s $RT)"

tb_log "the rate limit applies to a TLS client, not to the UNIX client"
set -- 
i=0
while [ $i -lt 30 ]; do set -- "$@" "{\"id\":$i,\"op\":\"status\"}"; i=$((i + 1)); done
ans=$(treq alpha pipeline "$@")
[ "$(echo "$ans" | wc -l)" -eq 30 ] || tb_fail "30 answers expected: $ans"
busy=$(echo "$ans" | grep -c '"code": *"busy"' || :)
okn=$(echo "$ans" | grep -c '"ok": *true' || :)
[ "$busy" -ge 1 ] && [ "$okn" -ge 10 ] || tb_fail "rate limit: $okn ok, $busy busy"
unix_ok "while alpha is over its rate"

tb_log "with crl: a revoked client certificate gets no session, others go on"
tb_stop_daemon
mkdir -p "$P/db" && : > "$P/db/index.txt" && echo 01 > "$P/db/crlnumber" || tb_fail "ca db"
cat > "$P/ca.cnf" <<CNF
[ca]
default_ca = tb
[tb]
database = $P/db/index.txt
crlnumber = $P/db/crlnumber
default_md = sha256
default_crl_days = 30
certificate = $P/ca.pem
private_key = $P/ca.key
CNF
openssl ca -config "$P/ca.cnf" -revoke "$P/alpha.pem" >/dev/null 2>&1 &&
    openssl ca -config "$P/ca.cnf" -gencrl -out "$P/ca.crl" >/dev/null 2>&1 || tb_fail "CRL"
echo "crl = $P/ca.crl" >> "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start with a crl"
ans=$(treq alpha tls13 '{"id":1,"op":"status"}')
case $ans in TLS-FAILED*revoked*) ;; *) tb_fail "revoked alpha: $ans" ;; esac
ans=$(treq beta tls13 '{"id":1,"op":"status"}')
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "beta with a crl: $ans"
unix_ok "with a crl"

tb_log "a reload leaves the listener as it was, and the log says so"
grep -v "^crl = $P/ca.crl\$" "$TB_CONF" > "$TB_CONF.new" && mv "$TB_CONF.new" "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
tb_wait_log '\[tls\] changes take effect at restart' ||
    tb_fail "no warning that [tls] changes need a restart"
ans=$(treq alpha tls13 '{"id":1,"op":"status"}')
case $ans in TLS-FAILED*revoked*) ;; *) tb_fail "the running crl was dropped by a reload: $ans" ;; esac

tb_log "audit trail intact"
tb_stop_daemon
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"
exit 0
