#!/bin/sh
# The signer process killed under load: six clients sign in a loop (each
# call bounded by timeout(1)); the signer gets SIGKILL. Every call ends
# (none hangs), the failures say the signer is at fault, the signer comes
# back under a new pid (the pid file <pid_file>.signer follows it), signing
# resumes, status shows one restart, and the audit chain verifies with
# exactly one "sign ok" record per signature a client received (a record
# whose answer was lost in the kill belongs to a call that failed). Then
# SIGTERM stops both processes.
TB_NO_START=1
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
TB_ADMIN="$top_builddir/ca-tools/tanba-admin"
[ -x "$TB_ADMIN" ] || tb_fail "$TB_ADMIN not built"
command -v timeout >/dev/null 2>&1 || { echo "SKIP: no timeout(1)"; exit 77; }

PIDFILE=$TB_TMP/tanbad.pid
AUDIT=$TB_TMP/audit.log
sed "s|^\[daemon\]\$|[daemon]\npid_file = $PIDFILE|" "$TB_CONF" > "$TB_CONF.new" &&
    mv "$TB_CONF.new" "$TB_CONF" || tb_fail "could not add pid_file"
tb_start_daemon || tb_fail "tanbad did not start"

# signer_pid: the signer's pid from its pid file, checked against the process table.
signer_pid() {
	_sp=$(cat "$PIDFILE.signer" 2>/dev/null) || return 1
	[ -n "$_sp" ] && [ "$(cat /proc/"$_sp"/comm 2>/dev/null)" = tanbad-signer ] &&
	    [ "$(tb_signer_of "$TB_DAEMON_PID")" = "$_sp" ] && echo "$_sp"
}
OLD=$(signer_pid) || tb_fail "no signer process behind $PIDFILE.signer"
[ "$OLD" != "$TB_DAEMON_PID" ] || tb_fail "the signer is the front"
tb_log "front $TB_DAEMON_PID, signer $OLD"

# client N: signs unique documents until $TB_TMP/stop exists; one line per
# call: "ok PHASE DOC-SHA256 0 CMS-FILE" or "err PHASE DOC-SHA256 RC MESSAGE".
# PHASE is "before" or "after" only when the whole call ran in that phase.
PHASE=$TB_TMP/phase
echo before > "$PHASE"
client() {
	_i=0
	while [ ! -e "$TB_TMP/stop" ]; do
		_d=$TB_TMP/c$1/doc$_i
		printf 'client %s document %s %s\n' "$1" "$_i" "$$" > "$_d"
		_ph=$(cat "$PHASE")
		_sha=$(tb_sha "$_d" sha256)
		_rc=0
		timeout 20 "$TB_TANBA" --socket "$TB_SOCK" sign --key rsa -o "$_d.p7" "$_d" \
		    2> "$_d.err" || _rc=$?
		[ "$(cat "$PHASE")" = "$_ph" ] || _ph=during
		if [ $_rc = 0 ]; then
			echo "ok $_ph $_sha 0 $_d.p7"
		else
			echo "err $_ph $_sha $_rc $(head -n 1 "$_d.err")"
		fi
		_i=$((_i + 1))
	done > "$TB_TMP/c$1.out"
}
pids=
# On a failure the clients stop before setup.sh removes their tree.
split_cleanup() {
	_rc=$?
	touch "$TB_TMP/stop" 2>/dev/null
	for _p in $pids; do kill "$_p" 2>/dev/null; wait "$_p" 2>/dev/null; done
	(exit $_rc)
	tb_cleanup
}
trap split_cleanup EXIT
for c in 1 2 3 4 5 6; do
	mkdir -p "$TB_TMP/c$c"
	client $c &
	pids="$pids $!"
done

sleep 2
tb_log "SIGKILL to the signer $OLD under load"
echo during > "$PHASE"
kill -KILL "$OLD" || tb_fail "kill the signer"
i=0
NEW=
while [ $i -lt 100 ]; do
	NEW=$(signer_pid) && [ "$NEW" != "$OLD" ] && break
	NEW=
	sleep 0.1
	i=$((i + 1))
done
[ -n "$NEW" ] || tb_fail "no new signer process within 10 s"
tb_log "new signer $NEW"
# Calls that started before the new signer said ready may still fail: wait for it.
i=0
while [ $i -lt 100 ]; do
	st=$(tb_tanba status --json 2>/dev/null) &&
	    printf '%s' "$st" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["signer"]["up"] else 1)' &&
	    break
	sleep 0.1
	i=$((i + 1))
done
[ $i -lt 100 ] || tb_fail "the new signer was not up within 10 s"
echo after > "$PHASE"
# Until every client has signed after the restart (a loaded machine's
# clients may need longer than any fixed pause), at most 30 s.
i=0
until [ "$(grep -l '^ok after ' "$TB_TMP"/c*.out 2>/dev/null | wc -l)" -eq 6 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || break
	sleep 0.1
done
touch "$TB_TMP/stop"
for p in $pids; do wait "$p"; done
pids=
kill -0 "$TB_DAEMON_PID" 2>/dev/null || tb_fail "the front died with its signer"

cat "$TB_TMP"/c*.out > "$TB_TMP/calls"
tb_log "calls: $(grep -c '^ok' "$TB_TMP/calls") signed, $(grep -c '^err' "$TB_TMP/calls") failed"
grep '^err' "$TB_TMP/calls" | head -n 5
# No call hung: timeout(1) exits 124 when it had to stop one.
grep -q '^err [a-z]* [0-9a-f]* 124 ' "$TB_TMP/calls" && tb_fail "a sign call hung (timeout)"
# Every failure names the signer; none happened before the kill.
grep '^err' "$TB_TMP/calls" | grep -v -i 'signer' | head -n 1 | grep . &&
    tb_fail "a failure that does not say the signer is at fault"
grep -q '^err before ' "$TB_TMP/calls" && tb_fail "a call failed before the kill"
grep -q '^err after ' "$TB_TMP/calls" && tb_fail "a call failed after the signer was back"
[ "$(grep -c '^ok before ' "$TB_TMP/calls")" -gt 0 ] || tb_fail "no signature before the kill"
[ "$(grep -c '^ok after ' "$TB_TMP/calls")" -gt 0 ] || tb_fail "signing did not resume"

# The last signature of each client verifies.
for c in 1 2 3 4 5 6; do
	last=$(sed -n 's/^ok after [0-9a-f]* 0 //p' "$TB_TMP/c$c.out" | tail -n 1)
	[ -n "$last" ] || tb_fail "client $c signed nothing after the restart"
	tb_verify_cms "$last" "${last%.p7}" || tb_fail "$last does not verify"
done

st=$(tb_tanba status --json) || tb_fail "status"
printf '%s' "$st" | python3 -c '
import json, sys
s = json.load(sys.stdin)["signer"]
assert s["up"] and s["restarts"] == 1 and s["pid"] == int(sys.argv[1]), s
' "$NEW" || tb_fail "status does not show the restarted signer: $st"

tb_log "SIGTERM stops both processes"
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC"
i=0
while kill -0 "$NEW" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$NEW" 2>/dev/null && tb_fail "the signer outlived the front"
[ ! -e "$PIDFILE.signer" ] || tb_fail "signer pid file left behind"

tb_log "audit trail: chain intact, one record per signature received"
"$TB_ADMIN" audit-verify "$AUDIT" > "$TB_TMP/audit-verify" 2>&1 ||
    tb_fail "audit-verify: $(cat "$TB_TMP/audit-verify")"
python3 - "$AUDIT" "$TB_TMP/calls" <<'PY' || tb_fail "audit trail does not match the signatures"
import collections, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
calls = [l.split(None, 4) for l in open(sys.argv[2]) if l.strip()]
ok = collections.Counter("sha256:" + c[2] for c in calls if c[0] == "ok")
failed = set("sha256:" + c[2] for c in calls if c[0] == "err")
signed = collections.Counter(r["doc_digest"] for r in recs
                             if r.get("op") == "sign" and r.get("result") == "ok")
bad = []
for d, n in ok.items():
    if signed[d] != 1:
        bad.append("signature received for %s has %d records" % (d, signed[d]))
for d, n in signed.items():
    if n != 1:
        bad.append("%s recorded %d times" % (d, n))
    if d not in ok and d not in failed:
        bad.append("record for a document nobody asked to sign: %s" % d)
lost = [d for d in signed if d in failed]
if len(lost) > len(failed):
    bad.append("more lost answers than failed calls")
starts = [r for r in recs if r.get("op") == "signer-start"]
if len(starts) != 2:
    bad.append("%d signer-start records, want 2" % len(starts))
for r in recs:
    if r.get("op") == "sign" and r.get("result") == "ok" and not (
            str(r.get("sig_digest", "")).startswith("sha256:") and r.get("attrs_digest")):
        bad.append("sign record without signature digests: seq %s" % r.get("seq"))
        break
print("records %d, signatures received %d, recorded but lost in the kill %d"
      % (len(recs), sum(ok.values()), len(lost)))
for b in bad[:10]:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
tb_log "PASS"
exit 0
