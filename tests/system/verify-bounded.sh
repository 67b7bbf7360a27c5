#!/bin/sh
# The path search is bounded (docs/VERIFICATION.md, "Budget"): bundles of
# 16 and 100 CA certificates sharing one name and one key, each "signing"
# the next, and 40 with one name and a key each (only one order verifies),
# sent with a leaf they issue. Through the daemon, several at once while
# other clients ask for status and a normal check; then through
# `tanba check-cert --offline --untrusted` with 100. Every answer arrives,
# is CHAIN_UNTRUSTED, and names the cut-off where the budget was spent;
# the daemon keeps serving. Behaviour only: no timing is asserted.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

cat >> "$TB_CONF" <<CONF

[verify]
anchors = $TB_PKI/root.pem
untrusted = $TB_PKI/chain.pem
check_iin_checksum = no
CONF
grep -q '^\[client ' "$TB_CONF" || printf '\n[client "bounded-test"]\nuser = %s\nops = sign keys status verify check-cert\nkeys = rsa ec\n' \
    "$(id -un)" >> "$TB_CONF"
T=$TB_TMP
for b in "same16 16 same" "same100 100 same" "distinct40 40 distinct"; do
	set -- $b
	sh "$top_srcdir/tests/system/loop-bundle.sh" "$T/$1" "$2" "$3" || tb_fail "loop-bundle.sh $b"
	cat "$T/$1/leaf.pem" "$T/$1/bundle.pem" > "$T/$1.pem"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$T/$1.pem")" -eq $(($2 + 1)) ] || tb_fail "$1: not $2 + 1 certificates"
done
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

# check_answer FILE KIND [SETTING]: a JSON answer (tanba --json) that refuses
# the path; KIND cut: the search was cut off by the budget SETTING names
# (default max_signature_checks); KIND loop: no anchor found.
check_answer() {
	python3 - "$1" "$2" "${3:-max_signature_checks}" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ids = [r["id"] for r in j["reasons"]]
assert j["verdict"] == "CHAIN_UNTRUSTED", j["verdict"]
assert not j["certificate"]["trusted"], j["certificate"]
if sys.argv[2] == "cut":
    r = [r for r in j["reasons"] if r["id"] == "CHAIN_UNTRUSTED.cut_off"]
    assert r and "cut off" in r[0]["detail"] and sys.argv[3] in r[0]["detail"], ids
    assert all(m for m in r[0]["message"].values()), r[0]["message"]
else:
    assert "CHAIN_UNTRUSTED" in ids, ids
PY
}

# ---- through the daemon: 8 hostile requests at once, others served meanwhile
pids=
for i in 1 2 3 4; do
	for b in same16 distinct40; do
		tb_tanba check-cert --json "$T/$b.pem" > "$T/$b.$i.out" 2> "$T/$b.$i.err" &
		pids="$pids $!"
	done
done
tb_tanba status > "$T/status.out" 2>&1 || tb_fail "status while the bundles ran: $(cat "$T/status.out")"
tb_tanba check-cert "$TB_PKI/legal-sign.pem" > "$T/normal.out" 2>&1
[ "$(answer_verdict "$T/normal.out")" = VALID ] || tb_fail "a normal check while the bundles ran: $(cat "$T/normal.out")"
for p in $pids; do
	wait "$p"
	[ $? -eq 1 ] || tb_fail "a bundle request did not end in a verdict (pid $p)"
done
for i in 1 2 3 4; do
	check_answer "$T/same16.$i.out" loop || tb_fail "same16 #$i: $(cat "$T/same16.$i.out" "$T/same16.$i.err")"
	check_answer "$T/distinct40.$i.out" cut || tb_fail "distinct40 #$i: $(cat "$T/distinct40.$i.out" "$T/distinct40.$i.err")"
done
tb_log "ok: 8 bundles answered through the daemon, status and a normal check served"
tb_tanba check-cert --json "$T/same100.pem" > "$T/same100.out" 2>&1
check_answer "$T/same100.out" loop || tb_fail "same100: $(cat "$T/same100.out")"
# The budget is configurable: with 2 issuer candidates the 16 are cut off
# too, and a normal path (two candidates) still passes.
sed -i 's/^check_iin_checksum = no$/check_iin_checksum = no\nmax_issuer_candidates = 2/' "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
_i=0
until tb_tanba check-cert --json "$T/same16.pem" > "$T/small16.out" 2>&1
    grep -q 'max_issuer_candidates' "$T/small16.out"; do
	_i=$((_i + 1)); [ $_i -lt 100 ] || break; sleep 0.1
done
check_answer "$T/small16.out" cut max_issuer_candidates ||
    tb_fail "same16 with max_issuer_candidates = 2: $(cat "$T/small16.out")"
tb_tanba check-cert "$TB_PKI/legal-sign.pem" > "$T/normal.out" 2>&1
[ "$(answer_verdict "$T/normal.out")" = VALID ] || tb_fail "a normal check with 2 candidates: $(cat "$T/normal.out")"

# ---- offline: 100 same-name certificates through the CLI
OFF="--offline --no-revocation --anchors $TB_PKI/root.pem"
"$TB_TANBA" check-cert $OFF --json --untrusted "$T/same100/bundle.pem" "$T/same100/leaf.pem" \
    > "$T/cli100.out" 2> "$T/cli100.err"
[ $? -eq 1 ] || tb_fail "tanba check-cert with 100: $(cat "$T/cli100.out" "$T/cli100.err")"
check_answer "$T/cli100.out" loop || tb_fail "tanba check-cert with 100: $(cat "$T/cli100.out")"
"$TB_TANBA" check-cert $OFF --json --untrusted "$T/distinct40/bundle.pem" "$T/distinct40/leaf.pem" \
    > "$T/cli40.out" 2> "$T/cli40.err"
check_answer "$T/cli40.out" cut || tb_fail "tanba check-cert with 40 keys: $(cat "$T/cli40.out")"
"$TB_TANBA" check-cert $OFF --lang kk --untrusted "$T/distinct40/bundle.pem" "$T/distinct40/leaf.pem" \
    > "$T/cli40kk.out" 2>&1
grep -q "тоқтатылды" "$T/cli40kk.out" || tb_fail "the cut-off in Kazakh: $(cat "$T/cli40kk.out")"
tb_log "ok: the CLI answers 100 same-name certificates and cuts 40 keys off"
echo "all passed"
