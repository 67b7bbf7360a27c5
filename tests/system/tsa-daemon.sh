#!/bin/sh
# CAdES-T through the real tanbad: a signature the daemon made, stamped by
# `tanba timestamp` through `openssl ts -reply` (tests/system/tsa-httpd.py) with a
# TSA of a second test PKI, verified by the verify op with [tsa] anchors
# naming that PKI's root only: VALID with the stamp reported, and with
# "time":"timestamp" judged at the stamp. A TSA under the signers' own PKI
# (trusted by [verify], not by [tsa]) is refused: [tsa] anchors are the
# TSA trust list, not added to [verify]'s.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
P=$TB_PKI
T=$TB_TMP
W=$T/tsa
mkdir -p "$W"

# The TSAs: "tsa" under a second hierarchy, "own" under the signers' PKI.
"$TB_TESTPKI" hierarchy --out "$T/tpki" --ca-alg rsa2048 --leaf-alg rsa2048 >"$T/tpki.log" 2>&1 &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/tsa.key" 2>/dev/null &&
    cp "$W/tsa.key" "$W/own.key" &&
    "$TB_TESTPKI" issue --dir "$T/tpki" --key "$W/tsa.key" --profile tsa --out "$W/tsa.pem" \
    >>"$T/tpki.log" 2>&1 &&
    "$TB_TESTPKI" issue --dir "$P" --key "$W/own.key" --profile tsa --out "$W/own.pem" \
    >>"$T/tpki.log" 2>&1 || { cat "$T/tpki.log"; tb_fail "TSA certificates"; }
cat "$T/tpki/ca.pem" "$P/ca.pem" > "$W/chain.pem"
cat "$T/tpki/root.pem" "$T/tpki/ca.pem" "$P/root.pem" "$P/ca.pem" > "$T/all-roots.pem"

cat >> "$TB_CONF" <<CONF

[verify]
anchors = $P/root.pem
untrusted = $P/chain.pem
check_iin_checksum = no

[tsa]
anchors = $T/tpki/root.pem
url = http://127.0.0.1:TSAPORT/tsa
policy = 1.2.398.3.3.2.6.2
timeout_ms = 1500
CONF
PF=$W/port
python3 "$top_srcdir/tests/system/tsa-httpd.py" "$W" "$PF" 2>"$T/tsa.log" &
TSA_PID=$!
# The harness's cleanup reads the exit status: keep it across stopping the TSA.
trap '_rc=$?; kill $TSA_PID 2>/dev/null; wait $TSA_PID 2>/dev/null; (exit $_rc); tb_cleanup' EXIT
i=0
while [ ! -f "$PF" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || tb_fail "TSA did not start: $(cat "$T/tsa.log")"
	sleep 0.1
done
URL=http://127.0.0.1:$(cat "$PF")
sed -i "s/TSAPORT/$(cat "$PF")/" "$TB_CONF"
grep -q '^\[audit\]' "$TB_CONF" || printf '\n[audit]\nfile = %s\n' "$TB_TMP/audit.log" >> "$TB_CONF"
grep -q '^\[client ' "$TB_CONF" || printf '\n[client "tsa-test"]\nuser = %s\nops = sign keys status verify check-cert timestamp\nkeys = rsa ec\n' \
    "$(id -un)" >> "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start with a [tsa] section (rc ${TB_DAEMON_RC:-?})"


printf 'Анықтама №7: уақыт белгісімен\n' > "$T/doc.txt"
tb_tanba sign --key rsa -o "$T/signed.p7" "$T/doc.txt" || tb_fail "sign"
for k in tsa own; do
	tb_tanba timestamp --tsa-url "$URL/$k" --tsa-anchors "$T/all-roots.pem" \
	    -o "$T/signed-$k.p7" "$T/signed.p7" 2>"$T/err" || tb_fail "timestamp $k: $(cat "$T/err")"
done

# answer FILE EXPR: a Python expression over the answer j.
answer() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

tb_tanba verify --json "$T/signed-tsa.p7" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "stamped: $(cat "$T/out" "$T/err")"
got=$(answer "$T/out" 'j["signer"]["timestamp"]["verdict"] + " " + str("ТАҢБА TEST TSA" in j["signer"]["timestamp"]["tsa"]) + " " + j["time_source"]')
[ "$got" = "VALID True now" ] || tb_fail "stamp report: '$got'"
tb_log "ok: stamped signature VALID, stamp reported"

tb_tanba verify --time timestamp --json "$T/signed-tsa.p7" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "time timestamp: $(cat "$T/out" "$T/err")"
got=$(answer "$T/out" 'j["time_source"] + " " + str(j["evaluation_time"] == j["signer"]["timestamp"]["time"])')
[ "$got" = "timestamp True" ] || tb_fail "time timestamp: '$got'"
tb_log "ok: judged at the stamp's time"

tb_tanba verify --json "$T/signed-own.p7" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = CHAIN_UNTRUSTED ] || tb_fail "TSA outside [tsa] anchors: $(cat "$T/out")"
[ "$(answer "$T/out" 'j["reasons"][0]["id"]')" = CHAIN_UNTRUSTED.timestamp ] ||
    tb_fail "TSA outside [tsa] anchors: reason $(cat "$T/out")"
tb_log "ok: a TSA trusted by [verify] only is refused"

# sign {"timestamp": true}: the daemon stamps what it signed, through [tsa].
tb_tanba sign --key ec --timestamp -o "$T/daemon-ts.p7" "$T/doc.txt" 2>"$T/err" ||
    tb_fail "sign --timestamp: $(cat "$T/err")"
tb_tanba verify --json "$T/daemon-ts.p7" >"$T/out" 2>"$T/err"
got=$(answer "$T/out" 'j["verdict"] + " " + j["signer"]["timestamp"]["verdict"] + " " + j["signer"]["timestamp"]["policy"]')
[ "$got" = "VALID VALID 1.2.398.3.3.2.6.2" ] || tb_fail "sign --timestamp: '$got'"
tb_log "ok: sign --timestamp stamped by [tsa] url with its policy"

# The timestamp op: the daemon stamps a CMS handed in, through [tsa]
# (`tanba timestamp` without --tsa-url), every signer or the one named.
tb_tanba timestamp -o "$T/op-ts.p7" "$T/signed.p7" 2>"$T/err" ||
    tb_fail "timestamp op: $(cat "$T/err")"
tb_tanba verify --json "$T/op-ts.p7" >"$T/out" 2>"$T/err"
got=$(answer "$T/out" 'j["verdict"] + " " + j["signer"]["timestamp"]["verdict"] + " " + j["signer"]["timestamp"]["policy"] + " " + str("ТАҢБА TEST TSA" in j["signer"]["timestamp"]["tsa"])')
[ "$got" = "VALID VALID 1.2.398.3.3.2.6.2 True" ] || tb_fail "timestamp op: '$got'"
tb_tanba timestamp --signer 0 -o "$T/op-ts0.p7" "$T/signed.p7" 2>"$T/err" ||
    tb_fail "timestamp op, signer 0: $(cat "$T/err")"
tb_tanba verify --json "$T/op-ts0.p7" >"$T/out" 2>"$T/err"
[ "$(answer "$T/out" 'j["signer"]["timestamp"]["verdict"]')" = VALID ] ||
    tb_fail "timestamp op, signer 0: $(cat "$T/out")"
# The signed part is untouched: OpenSSL still verifies it.
cat "$P/root.pem" "$P/ca.pem" > "$T/cafile.pem"
openssl cms -verify -binary -inform DER -in "$T/op-ts.p7" -CAfile "$T/cafile.pem" \
    -purpose any -out /dev/null 2>"$T/err" || tb_fail "openssl cms -verify after the op: $(cat "$T/err")"
# Bad input: a clear error naming the field, nothing written, the daemon serves on.
if tb_tanba timestamp --signer 3 -o "$T/x-op.p7" "$T/signed.p7" 2>"$T/err"; then
	tb_fail "timestamp op with signer 3 of 1 succeeded"
fi
grep -q "an index from 0 to 0 .*field signer" "$T/err" || tb_fail "signer 3: $(cat "$T/err")"
printf 'not a CMS' > "$T/junk.p7"
if tb_tanba timestamp -o "$T/x-op.p7" "$T/junk.p7" 2>"$T/err"; then
	tb_fail "timestamp op over junk succeeded"
fi
grep -q "not a DER CMS SignedData .*field cms" "$T/err" || tb_fail "junk: $(cat "$T/err")"
[ ! -s "$T/x-op.p7" ] || tb_fail "timestamp op: a CMS was written on error"
tb_tanba status >/dev/null 2>&1 || tb_fail "the daemon stopped serving after bad timestamp requests"
tb_log "ok: the timestamp op stamps every signer or the one named, refuses bad input"

# A TSA that takes 2 s of a timeout_ms of 3 s: one stamp fits (a second
# left for openssl ts -reply behind it on a loaded machine), but a CMS of
# two signers handed to the timestamp op is stamped within the one
# timeout_ms, not one each, and fails.
sed -i -e "s|^url = .*|url = $URL/lag/tsa|" -e "s|^timeout_ms = .*|timeout_ms = 3000|" "$TB_CONF"
grep -q '^timeout_ms = 3000$' "$TB_CONF" || tb_fail "could not set timeout_ms"
tb_stop_daemon >/dev/null 2>&1
tb_start_daemon || tb_fail "tanbad did not restart with the lagging TSA"
tb_tanba timestamp -o "$T/lag-one.p7" "$T/signed.p7" 2>"$T/err" ||
    tb_fail "timestamp op, one signer, lagging TSA: $(cat "$T/err")"
openssl cms -sign -binary -nodetach -outform DER -in "$T/doc.txt" -out "$T/two.p7" \
    -signer "$P/rsa-sign.pem" -inkey "$P/rsa-sign.key" \
    -signer "$P/ec-sign.pem" -inkey "$P/ec-sign.key" 2>"$T/err" ||
    tb_fail "openssl cms -sign with two signers: $(cat "$T/err")"
if tb_tanba timestamp -o "$T/x-two.p7" "$T/two.p7" 2>"$T/err"; then
	tb_fail "timestamp op: two stamps of 2 s each within a timeout_ms of 3 s"
fi
grep -q "timed out\|spent" "$T/err" || tb_fail "timestamp op, two signers, lagging TSA: $(cat "$T/err")"
[ ! -s "$T/x-two.p7" ] || tb_fail "timestamp op, two signers, lagging TSA: a CMS was written"
tb_tanba timestamp --signer 1 -o "$T/lag-two1.p7" "$T/two.p7" 2>"$T/err" ||
    tb_fail "timestamp op, one of two signers, lagging TSA: $(cat "$T/err")"
# A stamped signer grows past the others, and DER writes signerInfos
# sorted: each stamp must still be accepted, its signer found by its
# signature value, not its place.
# Signers whose signed attributes differ (each names its own certificate).
tb_tanba sign --key ec -o "$T/co1.p7" "$T/doc.txt" 2>"$T/err" || tb_fail "sign ec: $(cat "$T/err")"
tb_tanba sign --key rsa --add-to "$T/co1.p7" -o "$T/co2.p7" 2>"$T/err" ||
    tb_fail "co-sign rsa: $(cat "$T/err")"
tb_tanba sign --key ec --add-to "$T/co2.p7" -o "$T/three.p7" 2>"$T/err" ||
    tb_fail "co-sign ec: $(cat "$T/err")"
for i in 0 1 2; do
	tb_tanba timestamp --signer "$i" -o "$T/lag-three$i.p7" "$T/three.p7" 2>"$T/err" ||
	    tb_fail "timestamp op, signer $i of three, lagging TSA: $(cat "$T/err")"
done
tb_log "ok: timeout_ms bounds all the stamps of a timestamp op together"

# More signers than verification and co-signing take (64): refused before
# the TSA is asked once, however fast it is.
openssl cms -sign -binary -nodetach -nocerts -outform DER -in "$T/doc.txt" -out "$T/many.p7" \
    $(for _i in $(seq 65); do printf ' -signer %s -inkey %s' "$P/ec-sign.pem" "$P/ec-sign.key"; done) \
    2>"$T/err" || tb_fail "openssl cms -sign with 65 signers: $(cat "$T/err")"
if tb_tanba timestamp -o "$T/x-many.p7" "$T/many.p7" 2>"$T/err"; then
	tb_fail "timestamp op: a CMS of 65 signers was stamped"
fi
grep -q "65 signers, at most 64" "$T/err" || tb_fail "timestamp op, 65 signers: $(cat "$T/err")"
tb_log "ok: a CMS of 65 signers is refused by the timestamp op"

# The TSA slow (past timeout_ms): timestamp true fails naming it, "preferred"
# signs without a stamp and says so.
sed -i "s|^url = .*|url = $URL/slow/tsa|" "$TB_CONF"
tb_stop_daemon >/dev/null 2>&1
tb_start_daemon || tb_fail "tanbad did not restart with the slow TSA"
if tb_tanba sign --key ec --timestamp -o "$T/x.p7" "$T/doc.txt" 2>"$T/err"; then
	tb_fail "sign --timestamp with a slow TSA succeeded"
fi
grep -q "timed out.*timestamp" "$T/err" || tb_fail "slow TSA: $(cat "$T/err")"
[ ! -s "$T/x.p7" ] || tb_fail "slow TSA: a CMS was written"
# The signer recorded the signature ok before the TSA was asked: the trail
# says next that it was withheld, so no ok record stands alone for it.
python3 - "$TB_TMP/audit.log" "$(tb_sha "$T/doc.txt" sha256)" <<'PY' || tb_fail "slow TSA: the withheld signature is not recorded as such"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [r for r in recs if r.get("op") == "sign" and r.get("key") == "ec" and
        r.get("doc_digest") == "sha256:" + sys.argv[2]]
last = mine[-1]
assert last["result"] == "unavailable" and "withheld" in last["detail"], last
assert mine[-2]["result"] == "ok", mine[-2]
PY
tb_tanba sign --key ec --timestamp-preferred -o "$T/pref.p7" "$T/doc.txt" 2>"$T/err" ||
    tb_fail "sign --timestamp-preferred: $(cat "$T/err")"
grep -q "not time-stamped" "$T/err" || tb_fail "preferred without a stamp: not said"
tb_tanba verify --json "$T/pref.p7" >"$T/out" 2>"$T/err"
[ "$(answer "$T/out" 'j["verdict"] + " " + str(j["signer"]["timestamp"])')" = "VALID None" ] ||
    tb_fail "preferred without a stamp: $(cat "$T/out")"
if tb_tanba timestamp -o "$T/x-op.p7" "$T/signed.p7" 2>"$T/err"; then
	tb_fail "timestamp op with a slow TSA succeeded"
fi
grep -q "timed out" "$T/err" || tb_fail "timestamp op, slow TSA: $(cat "$T/err")"
[ ! -s "$T/x-op.p7" ] || tb_fail "timestamp op, slow TSA: a CMS was written"
tb_log "ok: a slow TSA fails a stamped sign and the timestamp op, a preferred sign signs unstamped and says so"

# The unstamped signature is untouched by all this.
tb_tanba verify --json "$T/signed.p7" >"$T/out" 2>"$T/err"
[ "$(answer "$T/out" 'j["verdict"] + " " + str(j["signer"]["timestamp"])')" = "VALID None" ] ||
    tb_fail "unstamped: $(cat "$T/out")"
echo "all passed"
