#!/bin/sh
# Revocation through the real tanbad, against real servers on loopback that
# this test starts: an OCSP responder (`openssl ocsp` for RSA, the test
# PKI's own for GOST) and an HTTP server for CRLs and delta CRLs. For each
# algorithm: good (VALID, with the OCSP response as evidence), revoked
# (CERT_REVOKED with its date in kk, ru, en), revoked after the signing
# time (not revoked, said), responder down without and with a CRL, revoked
# only in the delta CRL, CRLs whose scope does not cover the leaf
# (another distribution point, CA certificates only), a CRL of a separate
# CRL-signing key (crl_signer), an indirect CRL from the root, soft-fail, a restart with every server stopped
# (CRLs from disk), status figures, and the offline CLI with a saved
# response. Then, with the RSA token keys: a revoked signing certificate
# refuses to sign. Configuration changes go through SIGHUP reloads.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
# TB_REV_TANBAD runs another tanbad (a valgrind wrapper, say)
TB_TANBAD=${TB_REV_TANBAD:-$TB_TANBAD}

T=$TB_TMP
ALGS=${TB_REV_ALGS:-rsa gost}
PIDS=
BASE_CONF=$T/base.conf
# Without setup.sh's [revocation] (required = no): each step writes its own.
sed '/^\[revocation\]/,$d' "$TB_CONF" > "$BASE_CONF"
# Each verification is recorded with the revocation evidence it used.
sed -i 's|^file = .*/audit.log$|&\
verify = yes|' "$BASE_CONF"
grep -q '^\[client ' "$BASE_CONF" || printf '\n[client "rev-test"]\nuser = %s\nops = *\nkeys = *\n' \
    "$(id -un)" >> "$BASE_CONF"

stop_servers() {
	for _p in $PIDS; do kill "$_p" 2>/dev/null; done
	for _p in $PIDS; do wait "$_p" 2>/dev/null; done
	PIDS=
}
# tb_cleanup takes the exit status from $?: keep the test's, not stop_servers'.
rev_cleanup() {
	_rev_rc=$?
	stop_servers
	(exit "$_rev_rc")
	tb_cleanup
}
trap rev_cleanup EXIT

tstamp() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ---- servers: CRLs over HTTP (started once; the files change under it)
mkdir -p "$T/www" "$T/cache"
python3 "$top_srcdir/tests/system/rev-httpd.py" "$T/www" "$T/http.port" &
PIDS="$PIDS $!"
_i=0
while [ ! -s "$T/http.port" ]; do
	_i=$((_i + 1)); [ $_i -lt 100 ] || tb_fail "http server did not start"
	sleep 0.1
done
HTTP="http://127.0.0.1:$(cat "$T/http.port")"
REFUSED="http://127.0.0.1:$(free_port)"

# start_ocsp ALG DIR: an OCSP responder for DIR's issuing CA; sets OCSP_URL, OCSP_PID.
start_ocsp() {
	_log=$T/ocsp-$1.log
	: > "$_log"
	if [ "$1" = gost ]; then
		rm -f "$T/ocsp.port"
		"$TB_TESTPKI" ocsp-respond --dir "$2" --port 0 --port-file "$T/ocsp.port" \
		    --max-seconds 900 >"$_log" 2>&1 &
		OCSP_PID=$!
		_i=0
		while [ ! -s "$T/ocsp.port" ]; do
			_i=$((_i + 1)); [ $_i -lt 100 ] || tb_fail "ocsp-respond did not start: $(cat "$_log")"
			sleep 0.1
		done
		_port=$(cat "$T/ocsp.port")
	else
		openssl ocsp -index "$2/index.txt" -CA "$2/ca.pem" -rsigner "$2/ocsp.pem" \
		    -rkey "$2/ocsp.key" -port 0 -ignore_err -nmin 60 >"$_log" 2>&1 &
		OCSP_PID=$!
		_i=0
		while ! grep -q "waiting for OCSP client" "$_log" 2>/dev/null; do
			_i=$((_i + 1)); [ $_i -lt 100 ] || tb_fail "openssl ocsp did not start: $(cat "$_log")"
			sleep 0.1
		done
		_port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*/\1/p' "$_log")
	fi
	[ -n "$_port" ] || tb_fail "OCSP responder port unknown"
	PIDS="$PIDS $OCSP_PID"
	OCSP_URL="http://127.0.0.1:$_port"
}

# write_conf ALG DIR ISSUER-LINES...: base config, [verify] on DIR's root,
# [revocation] with the disk cache (REV_CACHE, else $T/cache: the disk
# copies of CRLs and deltas of an issuer are used whatever the URLs say), [issuer "root"] with its CRL
# (ROOT_CRL, else root-ALG.crl) and
# [issuer "ca"] with the lines given. REV_EXTRA adds [revocation] lines.
write_conf() {
	_alg=$1 _d=$2
	shift 2
	{
		cat "$BASE_CONF"
		# the default budget of 2 s, scaled for a daemon under valgrind
		printf '\n[verify]\nanchors = %s\nuntrusted = %s\ncheck_iin_checksum = no\nmax_time_ms = %s\n' \
		    "$_d/root.pem" "$_d/chain.pem" "$((2000 * TB_TIME_SCALE))"
		mkdir -p "${REV_CACHE:-$T/cache}"
		printf '\n[revocation]\ncache_dir = %s\nconnect_timeout_ms = 2000\ntimeout_ms = 5000\n' \
		    "${REV_CACHE:-$T/cache}"
		[ -z "${REV_EXTRA:-}" ] || printf '%s\n' "$REV_EXTRA"
		printf '\n[issuer "root-%s"]\ncertificate = %s\ncrl = %s/f/%s\n' \
		    "$_alg" "$_d/root.pem" "$HTTP" "${ROOT_CRL:-root-$_alg.crl}"
		printf '\n[issuer "ca-%s"]\ncertificate = %s\n' "$_alg" "$_d/ca.pem"
		for _l in "$@"; do printf '%s\n' "$_l"; done
	} > "$TB_CONF"
}

# reload: SIGHUP, and wait for the front to serve the new configuration
# (its "reloaded" comes after the signer's), or to refuse it.
reload() {
	_n=$(tb_reloads)
	_f=$(grep -c 'reload failed' "$T/tanbad.log")
	kill -HUP "$TB_DAEMON_PID"
	_i=0
	until [ "$(tb_reloads)" -gt "$_n" ]; do
		[ "$(grep -c 'reload failed' "$T/tanbad.log")" = "$_f" ] ||
		    tb_fail "reload refused: $(grep 'reload failed' "$T/tanbad.log" | tail -n 1)"
		_i=$((_i + 1)); [ $_i -lt $((100 * TB_TIME_SCALE)) ] || tb_fail "no reload within 10 s"
		sleep 0.1
	done
}

# ---- the configuration is checked whole
write_conf rsa "$TB_PKI" "ocsp = file:///etc/passwd"
"$TB_TANBAD" --check-config -c "$TB_CONF" >"$T/check.out" 2>&1 && tb_fail "a file: OCSP URL was accepted"
grep -q "http:// or https://" "$T/check.out" || tb_fail "bad URL not explained: $(cat "$T/check.out")"
write_conf rsa "$TB_PKI" "crl = $HTTP/f/x.crl" "order = ocsp,crl"
"$TB_TANBAD" --check-config -c "$TB_CONF" >"$T/check.out" 2>&1 && tb_fail "order naming a missing source was accepted"
write_conf rsa "$TB_PKI" "crl = $HTTP/f/x.crl" "delta_crl = gopher://x/y"
"$TB_TANBAD" --check-config -c "$TB_CONF" >"$T/check.out" 2>&1 && tb_fail "a gopher: delta URL was accepted"
tb_log "ok: bad [issuer] sections refused"

# make_pki ALG DIR: DIR is the ALG hierarchy with: good (not revoked), rev
# (revoked an hour ago, keyCompromise), drev (revoked after the complete
# CRL, so only in the delta), the complete CRLs of ca and root and the
# delta CRL of ca, served over HTTP as ca-ALG.crl, ca-ALG-delta.crl,
# root-ALG.crl.
make_pki() {
	_alg=$1 _d=$2
	if [ ! -f "$_d/root.pem" ]; then
		"$TB_TESTPKI" hierarchy --out "$_d" --ca-alg "${_alg}512" --leaf-alg "${_alg}512" \
		    >>"$T/testpki.log" 2>&1 || tb_fail "testpki hierarchy $_alg: $(tail -5 "$T/testpki.log")"
	fi
	for _n in good rev drev; do
		"$TB_TESTPKI" issue --dir "$_d" --key "$_d/individual-sign.key" --profile individual-sign \
		    --out "$_d/$_n.pem" >>"$T/testpki.log" 2>&1 || tb_fail "issue $_n"
	done
	REV_AT=$(tstamp '-1 hour')
	"$TB_TESTPKI" revoke --dir "$_d" --cert "$_d/rev.pem" --reason keyCompromise --at "$REV_AT" \
	    >>"$T/testpki.log" 2>&1 || tb_fail "revoke rev"
	[ "$_alg" != rsa ] || "$TB_TESTPKI" revoke --dir "$_d" --cert "$_d/legal-sign.pem" \
	    --reason superseded --at "$REV_AT" >>"$T/testpki.log" 2>&1 || tb_fail "revoke legal-sign"
	"$TB_TESTPKI" crl --dir "$_d" --out "$T/www/ca-$_alg.crl" --number 100 \
	    --this-update "$(tstamp '-10 minutes')" >>"$T/testpki.log" 2>&1 || tb_fail "ca CRL"
	"$TB_TESTPKI" crl --dir "$_d" --issuer-name root --out "$T/www/root-$_alg.crl" --number 200 \
	    >>"$T/testpki.log" 2>&1 || tb_fail "root CRL"
	# CRLs of the CA whose scope does not cover its leaves (RFC 5280 6.3.3).
	"$TB_TESTPKI" crl --dir "$_d" --out "$T/www/ca-$_alg-otherdp.crl" --number 110 \
	    --idp-uri http://127.0.0.1:1/elsewhere.crl >>"$T/testpki.log" 2>&1 || tb_fail "otherdp CRL"
	"$TB_TESTPKI" crl --dir "$_d" --out "$T/www/ca-$_alg-onlyca.crl" --number 111 --only-ca \
	    >>"$T/testpki.log" 2>&1 || tb_fail "onlyca CRL"
	"$TB_TESTPKI" crl --dir "$_d" --issuer-name root --out "$T/www/root-$_alg-onlyuser.crl" \
	    --number 201 --only-user >>"$T/testpki.log" 2>&1 || tb_fail "root onlyuser CRL"
	# A separate CRL-signing key: a certificate of the CA's name from the root.
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$_d/crl-signer.key" \
	    2>>"$T/testpki.log" || tb_fail "crl-signer key"
	"$TB_TESTPKI" issue --dir "$_d" --key "$_d/crl-signer.key" --profile ca --issuer-name root \
	    --cn "$(cn_of "$_d/ca.pem")" --org "$(o_of "$_d/ca.pem")" --out "$_d/crl-signer.pem" \
	    >>"$T/testpki.log" 2>&1 || tb_fail "issue crl-signer"
	[ "$(openssl x509 -in "$_d/crl-signer.pem" -noout -subject)" = \
	    "$(openssl x509 -in "$_d/ca.pem" -noout -subject)" ] || tb_fail "crl-signer: not the CA's name"
	"$TB_TESTPKI" crl --dir "$_d" --out "$T/www/ca-$_alg-signer.crl" --number 112 \
	    --issuer-key "$_d/crl-signer.key" --issuer-cert "$_d/crl-signer.pem" \
	    >>"$T/testpki.log" 2>&1 || tb_fail "CRL by the crl-signer"
	# An indirect CRL: leaves whose distribution point names the root as
	# cRLIssuer, the root's CRL listing the CA's revocations after a
	# certificateIssuer.
	for _n in via-root via-root-rev; do
		"$TB_TESTPKI" issue --dir "$_d" --key "$_d/individual-sign.key" \
		    --profile individual-sign --crl-issuer root --out "$_d/$_n.pem" \
		    >>"$T/testpki.log" 2>&1 || tb_fail "issue $_n"
	done
	"$TB_TESTPKI" revoke --dir "$_d" --cert "$_d/via-root-rev.pem" --reason keyCompromise \
	    >>"$T/testpki.log" 2>&1 || tb_fail "revoke via-root-rev"
	"$TB_TESTPKI" crl --dir "$_d" --issuer-name root --indirect --entries-of ca --number 202 \
	    --out "$T/www/root-$_alg-indirect.crl" >>"$T/testpki.log" 2>&1 || tb_fail "indirect CRL"
	"$TB_TESTPKI" revoke --dir "$_d" --cert "$_d/drev.pem" --reason superseded \
	    --at "$(tstamp '-5 minutes')" >>"$T/testpki.log" 2>&1 || tb_fail "revoke drev"
	"$TB_TESTPKI" crl --dir "$_d" --delta --base-number 100 --number 101 \
	    --since "$(tstamp '-10 minutes')" --out "$T/www/ca-$_alg-delta.crl" \
	    >>"$T/testpki.log" 2>&1 || tb_fail "delta CRL"
	printf 'Қолтаңба тексеру / revocation test\n' > "$T/doc.txt"
	"$TB_TESTPKI" cms --cert "$_d/rev.pem" --key "$_d/individual-sign.key" --in "$T/doc.txt" \
	    --out "$T/early-$_alg.p7s" --at "$(tstamp '-3 hours')" >>"$T/testpki.log" 2>&1 || tb_fail "cms early"
	"$TB_TESTPKI" cms --cert "$_d/rev.pem" --key "$_d/individual-sign.key" --in "$T/doc.txt" \
	    --out "$T/now-$_alg.p7s" >>"$T/testpki.log" 2>&1 || tb_fail "cms now"
}

# The CN and O of a certificate's subject, as UTF-8 text.
cn_of() { openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_multiline | sed -n 's/^ *CN=//p'; }
o_of() { openssl x509 -in "$1" -noout -subject -nameopt utf8,sep_multiline | sed -n 's/^ *O=//p'; }

# The RSA run uses setup.sh's hierarchy (its legal-sign is the token key "rsa").
pki_dir() { if [ "$1" = rsa ]; then echo "$TB_PKI"; else echo "$T/pki-$1"; fi; }

STARTED=
for ALG in $ALGS; do
	D=$(pki_dir "$ALG")
	make_pki "$ALG" "$D"
	start_ocsp "$ALG" "$D"
	CA_OCSP="ocsp = $OCSP_URL"
	CA_CRL="crl = $HTTP/f/ca-$ALG.crl"
	CA_DELTA="delta_crl = $HTTP/f/ca-$ALG-delta.crl"
	REV_WHEN=$(date -u -d "$(echo "$REV_AT" | tr T ' ' | tr -d Z) UTC" '+%Y-%m-%d %H:%M:%S UTC')

	# ---- OCSP first, CRL and delta behind it
	write_conf "$ALG" "$D" "$CA_OCSP" "$CA_CRL" "$CA_DELTA"
	if [ -z "$STARTED" ]; then
		tb_start_daemon || tb_fail "tanbad did not start with [revocation] (rc ${TB_DAEMON_RC:-?})"
		STARTED=1
	else
		reload
	fi
	tb_rq check-cert cert=@"$D/good.pem" evidence=true
	tb_check "$ALG good: VALID by OCSP with evidence" 'j["verdict"] == "VALID" and rv["status"] == "good"' \
	    'and rv["source"] == "ocsp" and rv["issuer"] and rv["this_update"] and rv["next_update"]' \
	    'and len(rv["ocsp_response"]) > 100'
	python3 -c 'import base64,json,sys; open(sys.argv[2],"wb").write(base64.b64decode(json.load(open(sys.argv[1]))["certificate"]["revocation"]["ocsp_response"]))' \
	    "$T/ans.json" "$T/evidence.der"
	openssl ocsp -respin "$T/evidence.der" -resp_text -noverify 2>/dev/null | grep -q "Cert Status: good" ||
	    tb_fail "$ALG: the evidence is not the responder's answer"
	serial=$(openssl x509 -in "$D/good.pem" -noout -serial | cut -d= -f2)
	grep '"op":"verification"' "$T/audit.log" | tail -n 1 |
	    grep -q "\"verdict\":\"VALID\",.*\"cert_serial\":\"$serial\",\"revocation\":\"good from ocsp this_update [0-9TZ:-]* signed by " ||
	    tb_fail "$ALG: no verification record with the OCSP evidence: $(grep '"op":"verification"' "$T/audit.log" | tail -n 1)"
	tb_tanba check-cert --evidence --json "$D/good.pem" > "$T/out" 2>&1 ||
	    tb_fail "$ALG: tanba check-cert --evidence: $(cat "$T/out")"
	grep -q '"ocsp_response": "' "$T/out" || tb_fail "$ALG: tanba --evidence: no response"
	tb_tanba check-cert "$D/rev.pem" > "$T/out" 2>&1
	grep -q "revocation: revoked (ocsp, .*revoked at ${REV_AT}" "$T/out" ||
	    tb_fail "$ALG: tanba check-cert text: $(cat "$T/out")"
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG good: no evidence unless asked" 'j["verdict"] == "VALID" and "ocsp_response" not in rv'
	for l in kk ru en; do
		tb_rq check-cert cert=@"$D/rev.pem" lang=$l
		tb_check "$ALG revoked ($l)" 'j["verdict"] == "CERT_REVOKED" and rv["status"] == "revoked"' \
		    'and rv["source"] == "ocsp" and rv["reason"] == 1' \
		    "and '$REV_WHEN' in j['message']"
	done
	tb_rq verify cms=@"$T/now-$ALG.p7s"
	tb_check "$ALG verify, signed now by a revoked certificate" 'j["verdict"] == "CERT_REVOKED"'
	tb_rq verify cms=@"$T/early-$ALG.p7s" time=signing_time
	tb_check "$ALG verify, signed before the revocation" 'j["verdict"] == "VALID"' \
	    'and j["time_source"] == "signing_time" and rv["status"] == "good"' \
	    'and rv["revoked_later"] is True and rv["revoked_at"]'
	tb_rq status
	tb_check "$ALG status: OCSP counted, root CRL held" \
	    "[i for i in j['revocation'] if i['issuer'] == 'ca-$ALG' and i['ocsp_ok'] >= 2 and i['healthy']]" \
	    "and [i for i in j['revocation'] if i['issuer'] == 'root-$ALG' and i['crl']" \
	    "and i['crl_age_s'] >= 0 and i['crl_next_update'] and i['last_error'] is None]"

	# ---- responder down, no CRL: unknown, never VALID
	write_conf "$ALG" "$D" "ocsp = $REFUSED"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG responder down, no CRL: REVOCATION_UNKNOWN" \
	    'j["verdict"] == "REVOCATION_UNKNOWN" and rv["status"] == "unknown"'
	tb_rq status
	tb_check "$ALG status: failure counted" \
	    "[i for i in j['revocation'] if i['issuer'] == 'ca-$ALG' and i['ocsp_fail'] >= 1 and i['ocsp_ok'] == 0]"

	# ---- responder down, complete CRL: answered by the CRL (a cache of its own,
	# without the delta)
	REV_CACHE=$T/cache-crl-$ALG write_conf "$ALG" "$D" "ocsp = $REFUSED" "$CA_CRL"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG responder down + CRL: VALID from the CRL" \
	    'j["verdict"] == "VALID" and rv["source"] == "crl" and rv["next_update"]'
	tb_rq check-cert cert=@"$D/rev.pem"
	tb_check "$ALG revoked in the CRL" 'j["verdict"] == "CERT_REVOKED" and rv["source"] == "crl"'
	tb_rq check-cert cert=@"$D/drev.pem"
	tb_check "$ALG drev is not in the complete CRL" 'j["verdict"] == "VALID"'

	# ---- CRL first, with the delta: revoked only in the delta
	write_conf "$ALG" "$D" "$CA_CRL" "$CA_DELTA" "order = crl"
	reload
	tb_rq check-cert cert=@"$D/drev.pem"
	tb_check "$ALG revoked only in the delta" \
	    'j["verdict"] == "CERT_REVOKED" and rv["source"] == "delta" and rv["reason"] == 4'
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG good by the delta-applied CRL" 'j["verdict"] == "VALID" and rv["source"] == "delta"'

	# ---- a CRL whose scope does not cover the leaf is no evidence (it was VALID)
	for _s in otherdp onlyca; do
		REV_CACHE=$T/cache-$_s-$ALG write_conf "$ALG" "$D" "crl = $HTTP/f/ca-$ALG-$_s.crl" \
		    "order = crl"
		reload
		tb_rq check-cert cert=@"$D/good.pem"
		tb_check "$ALG CRL of another scope ($_s): REVOCATION_UNKNOWN" \
		    'j["verdict"] == "REVOCATION_UNKNOWN" and rv["status"] == "unknown"'
	done
	# the root's CRL of end-entity certificates only says nothing of the CA's
	ROOT_CRL=root-$ALG-onlyuser.crl REV_CACHE=$T/cache-onlyuser-$ALG write_conf "$ALG" "$D" \
	    "$CA_CRL" "order = crl"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG root CRL onlyContainsUserCerts, CA certificate: REVOCATION_UNKNOWN" \
	    'j["verdict"] == "REVOCATION_UNKNOWN" and "onlyContainsUserCerts" in j["reasons"][0]["detail"]'

	# ---- a CRL signed by a separate CRL key (RFC 5280 6.3.3 (f)): used only
	# with crl_signer, whose own status comes from the root's CRL
	SIGNER_CRL="crl = $HTTP/f/ca-$ALG-signer.crl"
	REV_CACHE=$T/cache-nosigner-$ALG write_conf "$ALG" "$D" "$SIGNER_CRL" "order = crl"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG CRL of a separate key without crl_signer: REVOCATION_UNKNOWN" \
	    'j["verdict"] == "REVOCATION_UNKNOWN"'
	REV_CACHE=$T/cache-signer-$ALG write_conf "$ALG" "$D" "$SIGNER_CRL" "order = crl" \
	    "crl_signer = $D/crl-signer.pem"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG CRL of the crl_signer: VALID" 'j["verdict"] == "VALID" and rv["source"] == "crl"'
	tb_rq check-cert cert=@"$D/rev.pem"
	tb_check "$ALG CRL of the crl_signer: revoked" 'j["verdict"] == "CERT_REVOKED"'

	# ---- an indirect CRL from the root for leaves that name it as cRLIssuer
	REV_CACHE=$T/cache-indirect-$ALG write_conf "$ALG" "$D" \
	    "crl = $HTTP/f/root-$ALG-indirect.crl" "order = crl" "crl_signer = $D/root.pem"
	reload
	tb_rq check-cert cert=@"$D/via-root.pem"
	tb_check "$ALG indirect CRL, cRLIssuer root: VALID" 'j["verdict"] == "VALID" and rv["source"] == "crl"'
	tb_rq check-cert cert=@"$D/via-root-rev.pem"
	tb_check "$ALG indirect CRL, certificateIssuer entry: revoked" 'j["verdict"] == "CERT_REVOKED"'
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG indirect CRL for a leaf that does not name its issuer: REVOCATION_UNKNOWN" \
	    'j["verdict"] == "REVOCATION_UNKNOWN"'

	# ---- soft-fail: unknown passes, and the answer says it was skipped
	write_conf "$ALG" "$D" "ocsp = $REFUSED" "soft_fail = yes"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG soft-fail: VALID, skipped said" \
	    'j["verdict"] == "VALID" and rv["status"] == "skipped" and "skipped" in rv["detail"]'

	# ---- required = no: an issuer without a section is not checked, and said
	{
		cat "$BASE_CONF"
		printf '\n[verify]\nanchors = %s\nuntrusted = %s\n' "$D/root.pem" "$D/chain.pem"
		printf '\n[revocation]\nrequired = no\n'
	} > "$TB_CONF"
	reload
	tb_rq check-cert cert=@"$D/rev.pem"
	tb_check "$ALG required = no, no [issuer]: not_checked" \
	    'j["verdict"] == "VALID" and rv["status"] == "not_checked" and "required = no" in rv["detail"]'
	{
		cat "$BASE_CONF"
		printf '\n[verify]\nanchors = %s\nuntrusted = %s\n' "$D/root.pem" "$D/chain.pem"
		printf '\n[revocation]\n'
	} > "$TB_CONF"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG required (default), no [issuer]: REVOCATION_UNKNOWN" 'j["verdict"] == "REVOCATION_UNKNOWN"'
	{
		cat "$BASE_CONF"
		printf '\n[verify]\nanchors = %s\nuntrusted = %s\n' "$D/root.pem" "$D/chain.pem"
	} > "$TB_CONF"
	reload
	tb_rq check-cert cert=@"$D/good.pem"
	tb_check "$ALG no [revocation] section at all: REVOCATION_UNKNOWN, never VALID" \
	    'j["verdict"] == "REVOCATION_UNKNOWN"'

	# ---- offline CLI with saved OCSP responses
	openssl ocsp -issuer "$D/ca.pem" -cert "$D/good.pem" -url "$OCSP_URL" -respout "$T/good.ocsp" \
	    -no_nonce -noverify -timeout 10 >/dev/null 2>&1 || tb_fail "$ALG: saving an OCSP response"
	openssl ocsp -issuer "$D/ca.pem" -cert "$D/rev.pem" -url "$OCSP_URL" -respout "$T/rev.ocsp" \
	    -no_nonce -noverify -timeout 10 >/dev/null 2>&1 || tb_fail "$ALG: saving an OCSP response"
	OFF="--offline --anchors $D/root.pem --untrusted $D/chain.pem"
	offline() {
		_want=$1
		shift
		"$TB_TANBA" "$@" >"$T/out" 2>"$T/err"
		[ "$(head -n 1 "$T/out")" = "$_want" ] || tb_fail "tanba $*: $(cat "$T/out" "$T/err")"
		tb_log "ok: $_want: tanba $(echo "$*" | sed "s|$T/||g")"
	}
	offline VALID check-cert $OFF --ocsp-response "$T/good.ocsp" --crl "$T/www/root-$ALG.crl" "$D/good.pem"
	offline CERT_REVOKED check-cert $OFF --ocsp-response "$T/rev.ocsp" --crl "$T/www/root-$ALG.crl" "$D/rev.pem"
	grep -q "$REV_WHEN" "$T/out" || tb_fail "$ALG offline: revocation date missing"
	# a response for another certificate says nothing about this one
	offline REVOCATION_UNKNOWN check-cert $OFF --ocsp-response "$T/good.ocsp" \
	    --crl "$T/www/root-$ALG.crl" "$D/rev.pem"
	# the root's CRL is needed for the issuing CA's own certificate
	offline REVOCATION_UNKNOWN check-cert $OFF --ocsp-response "$T/good.ocsp" "$D/good.pem"
	offline CERT_REVOKED check-cert $OFF --crl "$T/www/root-$ALG.crl" --crl "$T/www/ca-$ALG.crl" \
	    --crl "$T/www/ca-$ALG-delta.crl" "$D/drev.pem"
	# the CA's CRLs of another scope say nothing about its leaves
	offline REVOCATION_UNKNOWN check-cert $OFF --crl "$T/www/root-$ALG.crl" \
	    --crl "$T/www/ca-$ALG-otherdp.crl" --crl "$T/www/ca-$ALG-onlyca.crl" "$D/good.pem"
	offline VALID verify $OFF --signing-time --ocsp-response "$T/rev.ocsp" \
	    --crl "$T/www/root-$ALG.crl" "$T/early-$ALG.p7s"
	offline CERT_REVOKED verify $OFF --ocsp-response "$T/rev.ocsp" \
	    --crl "$T/www/root-$ALG.crl" "$T/now-$ALG.p7s"

	kill "$OCSP_PID" 2>/dev/null
	wait "$OCSP_PID" 2>/dev/null
done

# ---- the signing side (RSA token keys): a revoked signing certificate
D=$TB_PKI
case " $ALGS " in *" rsa "*) ;; *) make_pki rsa "$D" ;; esac
start_ocsp rsa "$D"
write_conf rsa "$D" "ocsp = $OCSP_URL" "crl = $HTTP/f/ca-rsa.crl"
reload
tb_rq sign key=rsa data=@"$T/doc.txt"
tb_check "sign with the revoked key refused" 'j["ok"] is False and j["error"]["code"] == "cert_revoked"' \
    'and "key rsa" in j["error"]["message"] and "superseded" in j["error"]["message"]'
tb_rq sign key=ec data=@"$T/doc.txt"
tb_check "sign with a good key goes on" 'j["ok"] is True and j["cms"]'
grep -q 'cert_revoked' "$T/audit.log" || tb_fail "the refusal is not in the audit trail"
write_conf rsa "$D" "ocsp = $REFUSED"
reload
tb_rq sign key=ec data=@"$T/doc.txt"
tb_check "sign while revocation is unknown refused" \
    'j["ok"] is False and j["error"]["code"] == "revocation_unknown"'
write_conf rsa "$D" "ocsp = $REFUSED" "soft_fail = yes"
reload
tb_rq sign key=ec data=@"$T/doc.txt"
tb_check "sign with a soft-fail issuer goes on" 'j["ok"] is True'

# ---- restart with every server stopped: the CRLs on disk answer at once
dl0=$(grep -c 'ca-rsa: delta CRL loaded from http' "$T/tanbad.log")
write_conf rsa "$D" "crl = $HTTP/f/ca-rsa.crl" "delta_crl = $HTTP/f/ca-rsa-delta.crl"
reload
# the refresh thread fetches what the disk copies lack (here the delta)
_i=0
until tb_rq status && python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
sys.exit(0 if [i for i in j["revocation"] if i["issuer"] == "ca-rsa" and i["delta"]] else 1)' "$T/ans.json"; do
	_i=$((_i + 1)); [ $_i -lt 300 ] || tb_fail "no delta CRL within 30 s: $(cat "$T/ans.json")"
	sleep 0.1
done
tb_rq check-cert cert=@"$D/drev.pem"
tb_check "CRL and delta fetched before the servers stop" 'j["verdict"] == "CERT_REVOKED"'
# status shows the delta as soon as it is held; its copy on disk is written
# after, then logged
_i=0
until [ "$(grep -c 'ca-rsa: delta CRL loaded from http' "$T/tanbad.log")" -gt "$dl0" ]; do
	_i=$((_i + 1)); [ $_i -lt 100 ] || tb_fail "the fetched delta CRL was not saved within 10 s"
	sleep 0.1
done
tb_stop_daemon
stop_servers
tb_start_daemon || tb_fail "tanbad did not restart"
tb_rq check-cert cert=@"$D/good.pem"
tb_check "restart, servers down: good from the disk CRL" 'j["verdict"] == "VALID" and rv["source"] in ("crl", "delta")'
tb_rq check-cert cert=@"$D/rev.pem"
tb_check "restart, servers down: revoked from the disk CRL" 'j["verdict"] == "CERT_REVOKED"'
tb_rq check-cert cert=@"$D/drev.pem"
tb_check "restart, servers down: delta from disk" 'j["verdict"] == "CERT_REVOKED" and rv["source"] == "delta"'
tb_rq status
tb_check "status after restart: CRL held, its age and nextUpdate" \
    "[i for i in j['revocation'] if i['issuer'] == 'ca-rsa' and i['crl'] and i['crl_age_s'] >= 0" \
    "and i['crl_next_update'] and i['delta']]"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC"
echo "all passed"
