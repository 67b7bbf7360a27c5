#!/bin/sh
# The soak: the real tanbad (SoftHSM2 token, test PKI, audit trail, via
# tests/system/setup.sh) under 64 concurrent connections of mixed sign, verify and
# check-cert for a bounded time, with SIGHUP reloads every few seconds and
# one SIGKILL of the signer process half-way (the front restarts it; signs
# in flight or made while it is down are refused as "unavailable", nothing
# else may fail). Afterwards: every signature verifies (tanba's verify op
# for all, openssl cms for a sample), the audit chain verifies and holds
# exactly one "sign ok" record per signature returned (matched by the
# SHA-256 of the signature value; a record whose answer was lost in the
# kill belongs to a refused request), no request waited past the hang bound,
# and the front's RSS did not grow past the bound after warm-up.
#
#   tests/system/soak/run.sh [--seconds N] [--long]     (default 60 s; --long 600 s)
#
# Bounds (environment): SOAK_CONNS (64), SOAK_HANG_MS (10000),
# SOAK_RSS_GROWTH_KIB (30720 = 30 MiB), SOAK_RELOAD_S (3), SOAK_SAMPLE (250).
SOAK_SECONDS=60
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || { echo "usage: $0 [--seconds N] [--long]" >&2; exit 2; }
		SOAK_SECONDS=$2; shift 2 ;;
	--long) SOAK_SECONDS=600; shift ;;
	*) echo "usage: $0 [--seconds N] [--long]" >&2; exit 2 ;;
	esac
done
case $SOAK_SECONDS in ''|*[!0-9]*) echo "--seconds: a number" >&2; exit 2 ;; esac
[ "$SOAK_SECONDS" -ge 10 ] || { echo "--seconds: at least 10" >&2; exit 2; }
SOAK_CONNS=${SOAK_CONNS:-64}
SOAK_HANG_MS=${SOAK_HANG_MS:-10000}
SOAK_RSS_GROWTH_KIB=${SOAK_RSS_GROWTH_KIB:-30720}
SOAK_RELOAD_S=${SOAK_RELOAD_S:-3}
SOAK_SAMPLE=${SOAK_SAMPLE:-250}

TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
SOAKLOAD=$top_builddir/tests/system/soak/soakload
TB_ADMIN=$top_builddir/ca-tools/tanba-admin
[ -x "$SOAKLOAD" ] || { echo "FAIL: $SOAKLOAD not built"; exit 99; }
[ -x "$TB_ADMIN" ] || { echo "FAIL: $TB_ADMIN not built"; exit 99; }
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

SAMPLER_PID=
soak_cleanup() {
	_soak_rc=$?
	[ -z "$SAMPLER_PID" ] || kill "$SAMPLER_PID" 2>/dev/null
	(exit $_soak_rc)
	tb_cleanup
}
trap soak_cleanup EXIT

# 64 clients plus the status probes: room above setup.sh's limit. Quieter
# logs: info would write a line per request for the whole run.
sed -e 's/^max_connections = .*/max_connections = 256/' \
    -e 's/^log_level = .*/log_level = warn/' "$TB_CONF" > "$TB_CONF.new" &&
    mv "$TB_CONF.new" "$TB_CONF" || tb_fail "could not adjust $TB_CONF"
grep -q '^\[audit\]' "$TB_CONF" || printf '\n[audit]\nfile = %s\n' "$TB_TMP/audit.log" >> "$TB_CONF"
grep -q '^\[client ' "$TB_CONF" ||
    printf '\n[client "soak"]\nuser = %s\nops = *\nkeys = *\n' "$(id -un)" >> "$TB_CONF"
cat >> "$TB_CONF" <<CONF

[verify]
anchors = $TB_PKI/root.pem
untrusted = $TB_PKI/chain.pem
require_non_repudiation = no
check_iin_checksum = no
allow_sha1 = no
use_signing_time = no
CONF
AUDIT=$(sed -n 's/^file = //p' "$TB_CONF" | head -n 1)
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"
PID=$TB_DAEMON_PID
tb_log "tanbad pid $PID; soak of $SOAK_SECONDS s, $SOAK_CONNS connections"
SIGNER=$(tb_signer_of "$PID") || tb_fail "no signer process"

# RSS of tanbad once a second: "seconds-since-start KiB".
(
	t=0
	while [ -r "/proc/$PID/status" ]; do
		rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status" 2>/dev/null)
		[ -z "$rss" ] || echo "$t $rss"
		sleep 1
		t=$((t + 1))
	done
) > "$TB_TMP/rss" &
SAMPLER_PID=$!

OUT=$TB_TMP/soak
mkdir -p "$OUT"
"$SOAKLOAD" --socket "$TB_SOCK" --key rsa --key ec --seconds "$SOAK_SECONDS" \
    --conns "$SOAK_CONNS" --hang-ms "$SOAK_HANG_MS" --sample "$SOAK_SAMPLE" --out "$OUT" \
    --cert "$TB_PKI/legal-sign.pem=VALID" --cert "$TB_PKI/expired.pem=CERT_EXPIRED" \
    --cert "$TB_PKI/notyet.pem=CERT_NOT_YET_VALID" --allow-unavailable \
    > "$OUT/figures" 2> "$OUT/errors" &
LOAD_PID=$!

# Reloads while the load runs, each with a changed setting so that a new
# configuration object really is built and swapped.
hups=0
idle=30
elapsed=0
killed=
while kill -0 "$LOAD_PID" 2>/dev/null; do
	sleep "$SOAK_RELOAD_S"
	elapsed=$((elapsed + SOAK_RELOAD_S))
	kill -0 "$LOAD_PID" 2>/dev/null || break
	if [ -z "$killed" ] && [ $((elapsed * 2)) -ge "$SOAK_SECONDS" ]; then
		tb_log "half-way: SIGKILL to the signer $SIGNER"
		kill -KILL "$SIGNER" || tb_fail "kill the signer"
		killed=$SIGNER
		continue
	fi
	idle=$((idle == 30 ? 31 : 30))
	sed "s/^idle_timeout_s = .*/idle_timeout_s = $idle/" "$TB_CONF" > "$TB_CONF.new" &&
	    mv "$TB_CONF.new" "$TB_CONF"
	kill -HUP "$PID" 2>/dev/null || tb_fail "tanbad is gone during the soak"
	hups=$((hups + 1))
done
wait "$LOAD_PID"
LOAD_RC=$?
cat "$OUT/figures"
[ -s "$OUT/errors" ] && sed 's/^/  /' "$OUT/errors" | head -n 30
[ "$LOAD_RC" = 0 ] || tb_fail "soakload exited with $LOAD_RC"
kill -0 "$PID" 2>/dev/null || tb_fail "tanbad died during the soak"
fig() { sed -n "s/^$1 //p" "$OUT/figures"; }
SIGN_OK=$(fig soak_sign_ok)
VERIFY_OK=$(fig soak_verify_ok)
CHECK_OK=$(fig soak_check_cert_ok)
ERRORS=$(fig soak_errors)
MAX_MS=$(fig soak_max_latency_ms)
SAMPLED=$(fig soak_sampled)
UNAVAIL=$(fig soak_sign_unavailable)
for v in "$SIGN_OK" "$VERIFY_OK" "$CHECK_OK" "$ERRORS" "$MAX_MS" "$SAMPLED" "$UNAVAIL"; do
	case $v in ''|*[!0-9]*) tb_fail "soakload figures incomplete" ;; esac
done

# ---- every request answered, in time, without error
[ "$ERRORS" -eq 0 ] || tb_fail "$ERRORS requests failed"
[ "$SIGN_OK" -gt 0 ] && [ "$CHECK_OK" -gt 0 ] || tb_fail "no signatures or no checks made"
[ "$MAX_MS" -lt "$SOAK_HANG_MS" ] ||
    tb_fail "a request waited $MAX_MS ms, hang bound $SOAK_HANG_MS ms"
tb_log "ok: $SIGN_OK signatures, $CHECK_OK checks, no errors, worst latency $MAX_MS ms"
# The signer came back: a new one, and status says it restarted once.
[ -n "$killed" ] || tb_fail "the signer was never killed (run too short?)"
NEW=$(tb_signer_of "$PID") || tb_fail "no signer after the kill"
[ "$NEW" != "$killed" ] || tb_fail "the signer was not restarted"
tb_tanba status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["signer"]
assert s["up"] and s["restarts"] == 1, s
' || tb_fail "status does not show one signer restart"
tb_log "ok: signer $killed killed, $NEW serving; $UNAVAIL signs refused as unavailable meanwhile"

# ---- every signature verifies: all through tanba's verify op ...
[ "$VERIFY_OK" -eq "$SIGN_OK" ] ||
    tb_fail "$VERIFY_OK of $SIGN_OK signatures verified VALID through the verify op"
# ... and a sample through openssl cms
want=200
[ "$SIGN_OK" -ge $want ] || want=$SIGN_OK
[ "$SAMPLED" -ge "$want" ] || tb_fail "only $SAMPLED signatures sampled, want $want"
n=0
for p7 in "$OUT"/sample/*.p7; do
	b=${p7%.p7}
	case $(cat "$b.mode") in
	attached)
		openssl cms -verify -binary -inform DER -in "$p7" -CAfile "$TB_CAFILE" \
		    -out "$b.out" 2>"$b.err" || tb_fail "openssl cms -verify $p7: $(cat "$b.err")"
		cmp -s "$b.out" "$b.dat" || tb_fail "$p7: attached content differs" ;;
	*)
		openssl cms -verify -binary -inform DER -in "$p7" -content "$b.dat" \
		    -CAfile "$TB_CAFILE" -out /dev/null 2>"$b.err" ||
		    tb_fail "openssl cms -verify $p7: $(cat "$b.err")" ;;
	esac
	n=$((n + 1))
done
[ "$n" -eq "$SAMPLED" ] || tb_fail "$n sample files for $SAMPLED sampled"
tb_log "ok: $n sampled signatures verify with openssl cms"

# ---- the audit trail: chain intact, one "sign ok" record per signature
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC on SIGTERM after the soak"
"$TB_ADMIN" audit-verify "$AUDIT" > "$OUT/audit-verify" 2>&1 ||
    tb_fail "audit-verify: $(cat "$OUT/audit-verify")"
python3 - "$AUDIT" "$OUT/digests" "$SIGN_OK" "$hups" "$OUT/unavailable" <<'PY' > "$OUT/audit-check" 2>&1 ||
import collections, json, sys
audit, digests, sign_ok, hups = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
refused = set(l.strip() for l in open(sys.argv[5]) if l.strip())
recs = [json.loads(l) for l in open(audit) if l.strip()]
oks = [r for r in recs if r.get("op") == "sign" and r.get("result") == "ok"]
# Signed and recorded, but the answer died with the signer: only for refused requests.
lost = [r for r in oks if r.get("doc_digest") in refused]
oks = [r for r in oks if r.get("doc_digest") not in refused]
signed = collections.Counter(r.get("sig_digest") for r in oks)
returned = collections.Counter(l.split()[0] for l in open(digests) if l.strip())
bad = []
if sum(returned.values()) != sign_ok:
    bad.append("digests file has %d lines for %d signatures" % (sum(returned.values()), sign_ok))
if sum(signed.values()) != sign_ok:
    bad.append("%d sign ok records for %d signatures" % (sum(signed.values()), sign_ok))
dup = [d for d, n in signed.items() if n != 1]
if dup:
    bad.append("%d signatures recorded more than once, e.g. %s" % (len(dup), dup[0]))
missing = set(returned) - set(signed)
if missing:
    bad.append("%d signatures returned without a record, e.g. %s" % (len(missing), min(missing)))
extra = set(signed) - set(returned)
if extra:
    bad.append("%d sign ok records for signatures never returned" % len(extra))
reloads = [r for r in recs if r.get("op") == "reload"]
failed = [r for r in reloads if r.get("result") != "ok"]
if failed:
    bad.append("%d reloads failed: %s" % (len(failed), failed[0].get("detail")))
ok_reloads = len(reloads) - len(failed)
# A HUP that arrives while a reload runs may be folded into it.
if hups > 0 and ok_reloads < (hups + 1) // 2:
    bad.append("%d reloads recorded for %d SIGHUPs" % (ok_reloads, hups))
print("audit_records %d" % len(recs))
print("audit_sign_ok %d" % sum(signed.values()))
print("audit_sign_lost_in_kill %d" % len(lost))
starts = [r for r in recs if r.get("op") == "signer-start"]
if len(starts) != 2:
    bad.append("%d signer-start records, want 2 (start and one restart)" % len(starts))
print("audit_reload_ok %d" % ok_reloads)
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
    { cat "$OUT/audit-check"; tb_fail "audit trail does not match the signatures returned"; }
cat "$OUT/audit-check"
tb_log "ok: audit chain verifies; one sign record per signature; $hups SIGHUPs, one signer restart"

# ---- RSS after warm-up: the first sixth of the run, at most 10 s
kill "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null
SAMPLER_PID=
warm=$((SOAK_SECONDS / 6))
[ $warm -le 10 ] || warm=10
awk -v warm=$warm -v bound="$SOAK_RSS_GROWTH_KIB" '
	$1 <= warm { base = $2 }
	$1 > warm && $2 > max { max = $2 }
	END {
		if (base == "" || max == "") { print "FAIL: too few RSS samples"; exit 1 }
		printf "soak_rss_base_kib %d\nsoak_rss_max_kib %d\nsoak_rss_growth_kib %d\n", base, max, max - base
		if (max - base > bound) { printf "FAIL: RSS grew by %d KiB, bound %d KiB\n", max - base, bound; exit 1 }
	}' "$TB_TMP/rss" || tb_fail "tanbad's RSS grew past the bound"
tb_log "PASS: soak of $SOAK_SECONDS s"
