#!/bin/sh
# The audit trail wired into tanbad: one record per signature and per
# refusal, each with the document digest and the SHA-256 of the signature
# value, reloads recorded, the chain checked by tanba-admin audit-verify;
# and fail closed: with the audit file unwritable (RLIMIT_FSIZE on the
# signer process, the trail's only writer) no signature is returned, status
# says why, and signing resumes once the file takes writes.
. "$top_srcdir/tests/system/setup.sh"
hz_setup

# sigval_sha CMS.der: SHA-256 (hex) of the SignerInfo's signature value, the
# last OCTET STRING of a CAdES-BES SignedData (no unsigned attributes).
sigval_sha() {
	openssl asn1parse -inform DER -in "$1" 2>/dev/null | grep 'OCTET STRING' | tail -n 1 |
	    sed 's/.*\[HEX DUMP\]://' | xxd -r -p | openssl dgst -sha256 -r | cut -d' ' -f1
}

hz_conf "" "$HZ_SELF_CLIENT"
tb_start_daemon || tb_fail "tanbad did not start"
[ -x "$TB_ADMIN" ] || tb_fail "$TB_ADMIN not built"

tb_log "signatures: one record each, with the right digests"
i=0
while [ $i -lt 5 ]; do
	printf 'document %s\n' $i > "$TB_TMP/doc$i"
	tb_tanba sign --key rsa -o "$TB_TMP/doc$i.p7" "$TB_TMP/doc$i" ||
	    tb_fail "sign $i"
	d=$(tb_sha "$TB_TMP/doc$i" sha256)
	c=$(sigval_sha "$TB_TMP/doc$i.p7")
	n=$(grep -c "\"op\":\"sign\",\"key\":\"rsa\",\"doc_digest\":\"sha256:$d\",\"sig_digest\":\"sha256:$c\",\"attrs_digest\":\"sha256:[0-9a-f]\{64\}\",\"result\":\"ok\"" "$HZ_AUDIT")
	[ "$n" = 1 ] || tb_fail "signature $i has $n audit records (want 1)"
	i=$((i + 1))
done
dig=$(tb_sha "$TB_TMP/doc0" sha256)
tb_tanba sign --key ec --digest "sha256:$dig" -o "$TB_TMP/bydigest.p7" || tb_fail "sign by digest"
grep -q "\"doc_digest\":\"sha256:$dig\",\"sig_digest\":\"sha256:$(sigval_sha "$TB_TMP/bydigest.p7")\"" \
    "$HZ_AUDIT" || tb_fail "sign by digest: no record with the client's digest"
[ "$(hz_audit_count sign ok)" = 6 ] || tb_fail "want 6 sign records, have $(hz_audit_count sign ok)"

tb_log "refusals are recorded"
tb_tanba sign --key expired -o "$TB_TMP/x.p7" "$TB_TMP/doc0" 2>/dev/null && tb_fail "expired key signed"
tb_tanba sign --key nosuch -o "$TB_TMP/x.p7" "$TB_TMP/doc0" 2>/dev/null && tb_fail "unknown key signed"
[ "$(hz_audit_count sign cert_expired)" = 1 ] || tb_fail "no cert_expired record"
[ "$(hz_audit_count sign no_such_key)" = 1 ] || tb_fail "no no_such_key record"

tb_log "a reload is recorded"
kill -HUP "$TB_DAEMON_PID"
i=0
while [ "$(hz_audit_count reload ok)" != 1 ] && [ $i -lt $((100 * TB_TIME_SCALE)) ]; do sleep 0.1; i=$((i + 1)); done
[ "$(hz_audit_count reload ok)" = 1 ] || tb_fail "no reload record"

"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify after signing"

tb_log "audit file unwritable: RLIMIT_FSIZE at its size on the running signer process"
SIGNER_PID=$(tb_signer_of "$TB_DAEMON_PID") || tb_fail "no signer process"
size=$(stat -c %s "$HZ_AUDIT")
prlimit --pid "$SIGNER_PID" --fsize="$size:unlimited" || tb_fail "prlimit"
b64=$(printf 'withheld' | base64)
ans=$(hz_req "{\"id\":7,\"op\":\"sign\",\"key\":\"rsa\",\"data\":\"$b64\"}")
[ "$(hz_field "$ans" ok)" = false ] || tb_fail "signed with the audit file unwritable: $ans"
[ "$(hz_field "$ans" error.code)" = unavailable ] || tb_fail "want unavailable: $ans"
[ "$(hz_field "$ans" cms)" = - ] || tb_fail "a CMS came back: $ans"
case $(hz_field "$ans" error.message) in
*"audit trail not writable"*) ;;
*) tb_fail "message does not say why: $ans" ;;
esac
[ "$(stat -c %s "$HZ_AUDIT")" = "$size" ] || tb_fail "the audit file changed while unwritable"
st=$(hz_req '{"id":8,"op":"status"}')
[ "$(hz_field "$st" audit.ok)" = false ] || tb_fail "status does not show the audit failure: $st"
case $(hz_field "$st" audit.error) in
*"too large"*|*"File too large"*) ;;
*) tb_fail "status audit.error does not say why: $st" ;;
esac
# Still refused on the next try: signing stays stopped.
ans=$(hz_req "{\"id\":9,\"op\":\"sign\",\"key\":\"rsa\",\"data\":\"$b64\"}")
[ "$(hz_field "$ans" error.code)" = unavailable ] || tb_fail "second sign not refused: $ans"
grep -q "$(printf 'withheld' | openssl dgst -sha256 -r | cut -d' ' -f1)" "$HZ_AUDIT" &&
    tb_fail "a record of the withheld signature is in the file"

tb_log "audit file writable again: signing resumes"
prlimit --pid "$SIGNER_PID" --fsize=unlimited:unlimited || tb_fail "prlimit back"
ans=$(hz_req "{\"id\":10,\"op\":\"sign\",\"key\":\"rsa\",\"data\":\"$b64\"}")
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "signing did not resume: $ans"
st=$(hz_req '{"id":11,"op":"status"}')
[ "$(hz_field "$st" audit.ok)" = true ] || tb_fail "status still shows a failure: $st"
grep -q '"op":"audit",.*"result":"ok","detail":"audit trail writable again"' "$HZ_AUDIT" ||
    tb_fail "no record of the trail coming back"
[ "$(hz_audit_count sign ok)" = 7 ] || tb_fail "want 7 sign records, have $(hz_audit_count sign ok)"
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify after the fault"

tb_log "no [audit] file: tanbad refuses to start"
awk '/^\[audit\]/{skip=1; next} /^\[/{skip=0} !skip' "$TB_CONF" > "$TB_TMP/noaudit.conf"
tb_stop_daemon
tb_run_daemon_expect_fail "$TB_TMP/noaudit.conf" || tb_fail "started without an audit file"
case $TB_DAEMON_ERR in
*"[audit] file is required"*) ;;
*) tb_fail "refusal does not say why: $TB_DAEMON_ERR" ;;
esac
tb_log "PASS"
exit 0
