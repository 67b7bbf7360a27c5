#!/bin/sh
# Validation data embedded in the CMS (sign {"evidence":"embed"}), with real
# parts: `openssl ocsp` answers for the issuing CA, the root's CRL comes
# from a loopback HTTP server (tests/system/rev-httpd.py) and is embedded from
# the checker's memory, not [revocation] cache_dir; a TSA (`openssl ts -reply`, tests/system/tsa-httpd.py)
# under the same CA for the timestamp op. The signed CMS carries the OCSP response
# (id-ri-ocsp-response) and the CRL in SignedData.crls; OpenSSL still
# verifies it. With the responder down (and the daemon's cache gone), verify
# is REVOCATION_UNKNOWN, and VALID from the embedded data when asked
# ("embedded_revocation"); offline the CLI needs nothing else. Embedded
# data never makes a signature look valid: a changed response, a stale
# one (judged past its nextUpdate) and a revocation the responder reports
# all win over it.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
P=$TB_PKI
T=$TB_TMP
PIDS=
OCSP_PID=

stop_servers() {
	for _p in $PIDS $OCSP_PID; do kill "$_p" 2>/dev/null; done
	for _p in $PIDS $OCSP_PID; do wait "$_p" 2>/dev/null; done
	PIDS= OCSP_PID=
}
ev_cleanup() {
	_ev_rc=$?
	stop_servers
	(exit "$_ev_rc")
	tb_cleanup
}
trap ev_cleanup EXIT

# serve WHAT PORTFILE LOG SCRIPT ARGS...: a loopback server in python3,
# SCRIPT ARGS PORTFILE, stopped at exit; back once it wrote its port.
serve() {
	_what=$1 _port=$2 _log=$3
	shift 3
	python3 "$@" "$_port" 2>"$_log" &
	PIDS="$PIDS $!"
	_i=0
	while [ ! -s "$_port" ]; do
		_i=$((_i + 1)); [ $_i -lt 100 ] || tb_fail "$_what did not start: $(cat "$_log")"
		sleep 0.1
	done
}

start_ocsp() {
	: > "$T/ocsp.log"
	openssl ocsp -index "$P/index.txt" -CA "$P/ca.pem" -rsigner "$P/ocsp.pem" \
	    -rkey "$P/ocsp.key" -port "${OCSP_PORT:-0}" -ignore_err -nmin 60 >"$T/ocsp.log" 2>&1 &
	OCSP_PID=$!
	_i=0
	while ! grep -q "waiting for OCSP client" "$T/ocsp.log" 2>/dev/null; do
		_i=$((_i + 1)); [ $_i -lt 100 ] || tb_fail "openssl ocsp did not start: $(cat "$T/ocsp.log")"
		sleep 0.1
	done
	OCSP_PORT=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*/\1/p' "$T/ocsp.log")
	[ -n "$OCSP_PORT" ] || tb_fail "OCSP responder port unknown"
}
stop_ocsp() {
	kill "$OCSP_PID" 2>/dev/null
	wait "$OCSP_PID" 2>/dev/null
	OCSP_PID=
}

# ---- the servers: the root's CRL over HTTP, OCSP for the issuing CA (and
# the TSA it issues, before the responder reads its index), a TSA
mkdir -p "$T/www" "$T/cache" "$T/tsa"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/tsa/tsa.key" 2>/dev/null &&
    "$TB_TESTPKI" issue --dir "$P" --key "$T/tsa/tsa.key" --profile tsa --out "$T/tsa/tsa.pem" \
    >>"$T/testpki.log" 2>&1 || tb_fail "TSA certificate: $(cat "$T/testpki.log")"
# A third signer of the issuing CA (the slow-responder case below).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/third.key" 2>/dev/null &&
    "$TB_TESTPKI" issue --dir "$P" --key "$T/third.key" --profile legal-sign --out "$T/third.pem" \
    >>"$T/testpki.log" 2>&1 || tb_fail "third certificate: $(cat "$T/testpki.log")"
cp "$P/ca.pem" "$T/tsa/chain.pem"
serve TSA "$T/tsa.port" "$T/tsa.log" "$top_srcdir/tests/system/tsa-httpd.py" "$T/tsa"
"$TB_TESTPKI" crl --dir "$P" --issuer-name root --out "$T/www/root.crl" \
    >>"$T/testpki.log" 2>&1 || tb_fail "root CRL: $(cat "$T/testpki.log")"
serve "http server" "$T/http.port" "$T/http.log" "$top_srcdir/tests/system/rev-httpd.py" "$T/www"
start_ocsp

sed -i '/^\[revocation\]/,$d' "$TB_CONF"
cat >> "$TB_CONF" <<CONF
[verify]
anchors = $P/root.pem
untrusted = $P/chain.pem
check_iin_checksum = no

[revocation]
cache_dir = $T/cache
connect_timeout_ms = 2000
timeout_ms = 5000

[issuer "root"]
certificate = $P/root.pem
crl = http://127.0.0.1:$(cat "$T/http.port")/f/root.crl

[issuer "ca"]
certificate = $P/ca.pem
ocsp = http://127.0.0.1:$OCSP_PORT

[tsa]
anchors = $P/root.pem
url = http://127.0.0.1:$(cat "$T/tsa.port")/tsa
CONF
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?}): $(tail -5 "$T/tanbad.log")"

# ---- sign with the evidence embedded
printf 'Анықтама №12: тексеру деректері ішінде\n' > "$T/doc.txt"
tb_rq sign key=ec data=@"$T/doc.txt" evidence=embed
tb_check "sign evidence embed: one OCSP response and one CRL" \
    'j["ok"] and j["evidence"] == {"ocsp": 1, "crls": 1}'
python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["cms"]))' \
    "$T/ans.json" "$T/embedded.p7s"
# The CRL embedded is the one the checker holds, whatever the disk has.
ls "$T/cache/"*.crl >/dev/null 2>&1 || tb_fail "no CRL written to cache_dir"
mv "$T/cache" "$T/cache.away"
tb_rq sign key=ec data=@"$T/doc.txt" evidence=embed
tb_check "cache_dir gone: the CRL still embedded from the checker's memory" \
    'j["ok"] and j["evidence"] == {"ocsp": 1, "crls": 1}'
mv "$T/cache.away" "$T/cache"
tb_rq sign key=ec data=@"$T/doc.txt"
python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["cms"]))' \
    "$T/ans.json" "$T/plain.p7s"
tb_rq sign key=ec data=@"$T/doc.txt" evidence=yes
tb_check "evidence: anything but \"embed\" is a bad request" \
    'not j["ok"] and j["error"]["code"] == "bad_request" and j["error"]["field"] == "evidence"'

# What is in the CMS, as OpenSSL reads it: the OCSP response as RFC 5940's
# other revocation info, the CRL as a CertificateList, SignedData version 5.
openssl cms -cmsout -print -inform DER -in "$T/embedded.p7s" > "$T/print.txt" 2>&1 ||
    tb_fail "openssl cms cannot read the CMS with embedded data: $(head -5 "$T/print.txt")"
grep -q "otherRevInfoFormat: .*(1.3.6.1.5.5.7.16.2)" "$T/print.txt" ||
    tb_fail "no id-ri-ocsp-response: $(grep -A3 crls "$T/print.txt")"
grep -q "version: 5" "$T/print.txt" || tb_fail "SignedData version is not 5"
grep -q "lastUpdate:" "$T/print.txt" || tb_fail "no CRL among crls"
openssl cms -verify -binary -inform DER -in "$T/embedded.p7s" -CAfile "$TB_CAFILE" \
    -purpose any -out /dev/null 2>"$T/err" || tb_fail "openssl cms -verify: $(cat "$T/err")"
tb_log "ok: OpenSSL reads the embedded data and still verifies the signature"

# ---- offline: the CMS alone
OFF="verify --offline --anchors $P/root.pem --untrusted $P/chain.pem --no-check-iin-checksum"
tb_tanba $OFF --embedded-revocation --json "$T/embedded.p7s" > "$T/ans.json" 2>"$T/err"
# VALID needs the CA's status too: the root's CRL, embedded beside the response.
tb_check "offline, embedded data only: VALID, the leaf by OCSP, the CA by the root's CRL" \
    'j["verdict"] == "VALID" and rv["status"] == "good" and rv["source"] == "ocsp"'
tb_tanba $OFF --embedded-revocation --json "$T/plain.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "offline, a CMS without embedded data: REVOCATION_UNKNOWN" 'j["verdict"] == "REVOCATION_UNKNOWN"'
later=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)
tb_tanba $OFF --embedded-revocation --at "$later" --json "$T/embedded.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "offline, judged past the response's nextUpdate: REVOCATION_UNKNOWN, not VALID" \
    'j["verdict"] == "REVOCATION_UNKNOWN" and rv["status"] == "unknown"'

# The timestamp op embeds the TSA certificate's evidence too: offline, the
# stamp's TSA is judged by it.
tb_rq timestamp cms=@"$T/plain.p7s" evidence=embed
tb_check "timestamp op, evidence embed: the signer's and the TSA's responses, the root's CRL" \
    'j["ok"] and j["timestamp"] and j["evidence"] == {"ocsp": 2, "crls": 1}'
python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["cms"]))' \
    "$T/ans.json" "$T/stamped.p7s"
tb_tanba $OFF --embedded-revocation --json "$T/stamped.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "offline, stamped with embedded data: VALID, the TSA's revocation from it" \
    'j["verdict"] == "VALID" and j["signer"]["timestamp"]["verdict"] == "VALID"' \
    'and j["signer"]["timestamp"]["tsa_revocation"]["status"] == "good"' \
    'and j["signer"]["timestamp"]["tsa_revocation"]["source"] == "ocsp"'

tb_tanba timestamp --embed-evidence -o "$T/stamped-cli.p7s" "$T/plain.p7s" 2>"$T/err" ||
    tb_fail "tanba timestamp --embed-evidence: $(cat "$T/err")"
tb_tanba $OFF --embedded-revocation --json "$T/stamped-cli.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "tanba timestamp --embed-evidence: VALID offline" 'j["verdict"] == "VALID"'

# tanba sign --embed-evidence: the CLI asks the sign op for the same.
tb_tanba sign --key ec --embed-evidence -o "$T/signed-cli.p7s" "$T/doc.txt" 2>"$T/err" ||
    tb_fail "tanba sign --embed-evidence: $(cat "$T/err")"
openssl cms -cmsout -print -inform DER -in "$T/signed-cli.p7s" 2>&1 |
    grep -q "otherRevInfoFormat: .*(1.3.6.1.5.5.7.16.2)" ||
    tb_fail "tanba sign --embed-evidence: no OCSP response in the CMS"
tb_tanba $OFF --embedded-revocation --json "$T/signed-cli.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "tanba sign --embed-evidence: VALID offline from the embedded data" \
    'j["verdict"] == "VALID" and rv["status"] == "good" and rv["source"] == "ocsp"'
tb_tanba sign --key ec -o "$T/signed-cli-plain.p7s" "$T/doc.txt" 2>"$T/err" ||
    tb_fail "tanba sign: $(cat "$T/err")"
tb_tanba $OFF --embedded-revocation --json "$T/signed-cli-plain.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "tanba sign without --embed-evidence: REVOCATION_UNKNOWN offline" \
    'j["verdict"] == "REVOCATION_UNKNOWN"'
cp "$T/doc.txt" "$T/doc2.txt"
if tb_tanba sign --key ec --embed-evidence "$T/doc.txt" "$T/doc2.txt" 2>"$T/err"; then
	tb_fail "tanba sign --embed-evidence with several files was accepted"
fi
grep -q -- "--embed-evidence" "$T/err" || tb_fail "several files: error does not name --embed-evidence"
[ ! -e "$T/doc2.txt.p7s" ] || tb_fail "several files with --embed-evidence: something was written"
tb_log "ok: tanba sign --embed-evidence with several files refused"
# ---- years later: a stamped signature judged at its stamp's time, offline,
# with the clock past the signer's notAfter. The embedded data counts for
# the stamp's time T when issued at or after T, or when its window holds T.
tb_rq sign key=ec data=@"$T/doc.txt" timestamp=true evidence=embed
tb_check "sign, stamped, evidence embed: the signer's and the TSA's responses, the root's CRL" \
    'j["ok"] and j["evidence"] == {"ocsp": 2, "crls": 1}'
python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["cms"]))' \
    "$T/ans.json" "$T/lt.p7s"
tb_rq sign key=ec data=@"$T/doc.txt" timestamp=true
python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["cms"]))' \
    "$T/ans.json" "$T/t-only.p7s"
na=$(date -u -d "$(openssl x509 -in "$P/ec-sign.pem" -noout -enddate | cut -d= -f2)" +%s)
years=$(date -u -d "@$((na + 86400))" +%Y-%m-%dT%H:%M:%SZ)
[ "$(date -u -d "$(openssl x509 -in "$P/root.pem" -noout -enddate | cut -d= -f2)" +%s)" -gt \
    "$((na + 86400))" ] || tb_fail "the root expires before the signer: no later time to judge at"
LATER="$OFF --at $years --time timestamp"
tb_tanba $LATER --embedded-revocation --json "$T/lt.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, at the stamp's time, embedded data only: VALID" \
    'j["verdict"] == "VALID" and j["time_source"] == "timestamp"' \
    'and rv["status"] == "good" and rv["source"] == "ocsp"' \
    'and j["signer"]["timestamp"]["tsa_revocation"]["status"] == "good"'
tb_tanba $OFF --at "$years" --embedded-revocation --json "$T/lt.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, judged then (no stamp time): not VALID" 'j["verdict"] != "VALID"'
tb_tanba $LATER --json "$T/lt.p7s" > "$T/ans.json" 2>"$T/err"
# The TSA's status unknown too, the stamp does not count: expired then.
tb_check "$years, the embedded data not asked for: REVOCATION_UNKNOWN or CERT_EXPIRED" \
    'j["verdict"] in ("REVOCATION_UNKNOWN", "CERT_EXPIRED")'
tb_tanba $LATER --embedded-revocation --json "$T/t-only.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, stamped without embedded data: REVOCATION_UNKNOWN or CERT_EXPIRED" \
    'j["verdict"] in ("REVOCATION_UNKNOWN", "CERT_EXPIRED")'
# Changed embedded data: every OCSP response's time, or the CRL's signature.
python3 - "$T/lt.p7s" "$T/lt-ocsp.p7s" "$T/lt-crl.p7s" <<'PY'
import sys
src = open(sys.argv[1], "rb").read()
d = bytearray(src)
oid = bytes.fromhex("06082b06010505071002")
i = d.find(oid)
assert i > 0, "no id-ri-ocsp-response"
while i > 0:
    j = d.find(b"\x18\x0f", i)
    assert j > 0, "no GeneralizedTime in the response"
    d[j + 14] = ord("0") if d[j + 14] != ord("0") else ord("1")
    i = d.find(oid, i + 1)
open(sys.argv[2], "wb").write(d)
# The CRL: the last byte of its signature, just before the first
# id-ri-ocsp-response's OtherRevocationInfoFormat ([1] IMPLICIT).
d = bytearray(src)
k = d.find(oid) - 2
while d[k] != 0xa1:
    k -= 1
d[k - 1] ^= 0x01
open(sys.argv[3], "wb").write(d)
PY
tb_tanba $LATER --embedded-revocation --json "$T/lt-ocsp.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, changed embedded responses: not VALID" 'j.get("verdict") != "VALID"'
tb_tanba $LATER --embedded-revocation --json "$T/lt-crl.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, a changed embedded CRL: not VALID" 'j.get("verdict") != "VALID"'
# Data older than the stamp proves nothing about it: the responses fetched
# now (after the stamp) with the root's CRL of ten days ago, a day long.
for c in ec-sign:"$P/ec-sign.pem" tsa:"$T/tsa/tsa.pem"; do
	openssl ocsp -issuer "$P/ca.pem" -cert "${c#*:}" -url "http://127.0.0.1:$OCSP_PORT" \
	    -noverify -respout "$T/${c%%:*}.ocsp" >/dev/null 2>"$T/err" ||
	    tb_fail "openssl ocsp ${c%%:*}: $(cat "$T/err")"
done
"$TB_TESTPKI" crl --dir "$P" --issuer-name root --out "$T/old-root.crl" \
    --this-update "$(date -u -d '-10 days' +%Y-%m-%dT%H:%M:%SZ)" \
    --next-update "$(date -u -d '-9 days' +%Y-%m-%dT%H:%M:%SZ)" \
    >>"$T/testpki.log" 2>&1 || tb_fail "old root CRL: $(cat "$T/testpki.log")"
FILES="--ocsp-response $T/ec-sign.ocsp --ocsp-response $T/tsa.ocsp"
tb_tanba $LATER $FILES --crl "$T/www/root.crl" --json "$T/t-only.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, responses after the stamp, the root's CRL holding it: VALID" \
    'j["verdict"] == "VALID" and rv["status"] == "good"'
tb_tanba $LATER $FILES --crl "$T/old-root.crl" --json "$T/t-only.p7s" > "$T/ans.json" 2>"$T/err"
# The CA's status (under both the signer and the TSA) then unknown: the
# stamp does not count either, so the signer is expired.
tb_check "$years, the root's CRL ended before the stamp: not VALID, saying why" \
    'j["verdict"] in ("REVOCATION_UNKNOWN", "CERT_EXPIRED")' \
    'and "says nothing about" in json.dumps(j, ensure_ascii=False)'

# ---- a slow responder: embedding checks every path of the CMS (each
# signer's, each stamp's TSA), and all of them together end by one
# [verify] max_time_ms, not each by its own. The responder answers through
# a loopback relay that waits 1 s first; the budget is 1.5 s.
cat > "$T/slow-relay.py" <<'PY'
import http.server, os, sys, time, urllib.request
up, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(1.0)
        rq = urllib.request.Request(up, data=body,
            headers={"Content-Type": "application/ocsp-request"})
        data = urllib.request.urlopen(rq, timeout=10).read()
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
serve "slow relay" "$T/slow.port" "$T/slow.log" "$T/slow-relay.py" "http://127.0.0.1:$OCSP_PORT"
cp "$TB_CONF" "$T/conf.fast"
sed -i -e "s|^ocsp = http://127.0.0.1:.*|ocsp = http://127.0.0.1:$(cat "$T/slow.port")|" \
    -e 's|^check_iin_checksum = no$|&\nmax_time_ms = 1500|' "$TB_CONF"
tb_stop_daemon >/dev/null 2>&1
tb_start_daemon || tb_fail "tanbad did not restart (slow responder)"
tb_rq sign key=ec data=@"$T/doc.txt" evidence=embed
tb_check "slow responder, one path: embedded within the budget" \
    'j["ok"] and j["evidence"] == {"ocsp": 1, "crls": 1}'
# Three signers of their own certificates: two paths not yet asked about,
# each within the budget alone, not together.
openssl cms -sign -binary -nodetach -outform DER -in "$T/doc.txt" -out "$T/three.p7s" \
    -signer "$P/ec-sign.pem" -inkey "$P/ec-sign.key" \
    -signer "$P/rsa-sign.pem" -inkey "$P/rsa-sign.key" \
    -signer "$T/third.pem" -inkey "$T/third.key" 2>"$T/err" ||
    tb_fail "openssl cms -sign with three signers: $(cat "$T/err")"
tb_rq timestamp cms=@"$T/three.p7s" evidence=embed
tb_check "slow responder, many paths: refused once [verify] max_time_ms is spent" \
    'not j["ok"] and j["error"]["code"] == "timeout"' \
    'and "max_time_ms" in j["error"]["message"] and "evidence" not in j and "cms" not in j'
tb_rq timestamp cms=@"$T/three.p7s" evidence=embed
tb_check "slow responder: the answers kept meanwhile, the same request then fits" \
    'j["ok"] and j["evidence"]["ocsp"] == 4'
cp "$T/conf.fast" "$TB_CONF"

# ---- the responder down, the daemon's OCSP cache gone with a restart
stop_ocsp
tb_stop_daemon >/dev/null 2>&1
tb_start_daemon || tb_fail "tanbad did not restart"
tb_rq sign key=ec data=@"$T/doc.txt" evidence=embed
tb_check "responder down: sign with evidence refused, no CMS" \
    'not j["ok"] and j["error"]["code"] == "revocation_unknown" and "cms" not in j'
tb_rq timestamp cms=@"$T/plain.p7s" evidence=embed
# (the stamp's own TSA check already fails: unavailable)
tb_check "responder down: timestamp with evidence refused, no CMS" \
    'not j["ok"] and j["error"]["code"] in ("unavailable", "revocation_unknown") and "cms" not in j'
tb_rq status
tb_check "responder down: the daemon still serves after the refusals" 'j["ok"]'
tb_rq verify cms=@"$T/embedded.p7s"
tb_check "responder down: REVOCATION_UNKNOWN without the embedded data" \
    'j["verdict"] == "REVOCATION_UNKNOWN"'
tb_rq verify cms=@"$T/embedded.p7s" embedded_revocation=true
tb_check "responder down: VALID from the embedded response, said so" \
    'j["verdict"] == "VALID" and rv["status"] == "good" and rv["source"] == "ocsp"' \
    'and rv["detail"] == "embedded in the CMS"'
tb_rq verify cms=@"$T/plain.p7s" embedded_revocation=true
tb_check "responder down, nothing embedded: REVOCATION_UNKNOWN" 'j["verdict"] == "REVOCATION_UNKNOWN"'
tb_tanba verify --embedded-revocation --json "$T/embedded.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "tanba verify --embedded-revocation through the daemon: VALID" 'j["verdict"] == "VALID"'

# A byte of the embedded response changed (inside its signed part): it
# no longer verifies, and nothing else answers.
python3 - "$T/embedded.p7s" "$T/changed.p7s" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
oid = bytes.fromhex("06082b06010505071002")
i = d.find(oid)
assert i > 0, "no id-ri-ocsp-response"
# OCSPResponse > responseBytes > BasicOCSPResponse > tbsResponseData:
# the producedAt / responses are some 60 bytes on; change a digit of a time.
j = d.find(b"\x18\x0f", i)
assert j > 0, "no GeneralizedTime in the response"
d[j + 14] = ord("0") if d[j + 14] != ord("0") else ord("1")
open(sys.argv[2], "wb").write(d)
PY
tb_rq verify cms=@"$T/changed.p7s" embedded_revocation=true
tb_check "a changed embedded response: not VALID" 'j["verdict"] == "REVOCATION_UNKNOWN"'

# The responder back, reporting the certificate revoked: the network's
# answer wins over the embedded "good".
"$TB_TESTPKI" revoke --dir "$P" --cert "$P/ec-sign.pem" --reason keyCompromise \
    >>"$T/testpki.log" 2>&1 || tb_fail "revoke ec-sign"
start_ocsp
sed -i "s|^ocsp = http://127.0.0.1:.*|ocsp = http://127.0.0.1:$OCSP_PORT|" "$TB_CONF"
tb_stop_daemon >/dev/null 2>&1
tb_start_daemon || tb_fail "tanbad did not restart"
tb_rq verify cms=@"$T/embedded.p7s" embedded_revocation=true
tb_check "revoked now: CERT_REVOKED whatever the embedded response says" \
    'j["verdict"] == "CERT_REVOKED" and rv["source"] == "ocsp" and "detail" not in rv'

# The certificate revoked after the stamp: VALID with revoked_later.
openssl ocsp -issuer "$P/ca.pem" -cert "$P/ec-sign.pem" -url "http://127.0.0.1:$OCSP_PORT" \
    -noverify -respout "$T/ec-sign-revoked.ocsp" >/dev/null 2>"$T/err" ||
    tb_fail "openssl ocsp: $(cat "$T/err")"
tb_tanba $LATER --ocsp-response "$T/ec-sign-revoked.ocsp" --ocsp-response "$T/tsa.ocsp" \
    --crl "$T/www/root.crl" --json "$T/t-only.p7s" > "$T/ans.json" 2>"$T/err"
tb_check "$years, revoked after the stamp: VALID, revoked_later" \
    'j["verdict"] == "VALID" and rv["status"] == "good" and rv.get("revoked_later")'
echo "all passed"
