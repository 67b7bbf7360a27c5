#!/bin/sh
# The audit trail's checkpoints through tanbad: the signer creates its
# checkpoint key (0600) at first start and refuses one others may read;
# checkpoints are written every checkpoint_every records, published in the
# log and the anchor file; audit-verify --key --anchor accepts the trail,
# a rotated pair (moved away, SIGHUP), and fails a record deleted with the
# chain re-sealed (plain SHA-256) and a tail cut past the last published
# checkpoint. Verification records ([audit] verify = yes) are in the same
# chain, one per verification, with the client, digest, issuer, serial,
# verdict and revocation evidence.
. "$top_srcdir/tests/system/setup.sh"
hz_setup

ANCHOR_DIR=$TB_TMP/anchor
ANCHOR=$ANCHOR_DIR/anchor.log
KEY=$HZ_AUDIT.key
mkdir -p "$ANCHOR_DIR" || tb_fail "mkdir"
hz_conf "" "$HZ_SELF_CLIENT"
sed -i "s|^file = $HZ_AUDIT\$|&\\
checkpoint_every = 5\\
anchor_file = $ANCHOR\\
verify = yes|" "$TB_CONF"
grep -q '^checkpoint_every = 5$' "$TB_CONF" || tb_fail "config not written"
cat >> "$TB_CONF" <<CONF

[verify]
anchors = $TB_PKI/root.pem
untrusted = $TB_PKI/chain.pem
CONF
tb_start_daemon || tb_fail "tanbad did not start: $(tail -5 "$TB_TMP/tanbad.log")"

tb_log "the checkpoint key is made at first start, for the signer only"
[ "$(stat -c %a "$KEY")" = 600 ] || tb_fail "key mode $(stat -c %a "$KEY")"
[ "$(wc -c < "$KEY")" = 65 ] || tb_fail "key file is not 64 hex digits and a newline"

tb_log "twelve signatures: a checkpoint every 5 records, each published"
i=0
while [ $i -lt 12 ]; do
	printf 'document %s\n' $i > "$TB_TMP/doc$i"
	tb_tanba sign --key rsa -o "$TB_TMP/doc$i.p7" "$TB_TMP/doc$i" || tb_fail "sign $i"
	i=$((i + 1))
done
[ "$(hz_audit_count sign ok)" = 12 ] || tb_fail "want 12 sign records"
cps=$(grep -c '"op":"checkpoint"' "$HZ_AUDIT")
[ "$cps" -ge 3 ] || tb_fail "only $cps checkpoints for 12 signatures with checkpoint_every 5"
[ "$(grep -c '"audit":"checkpoint"' "$ANCHOR")" = "$cps" ] ||
    tb_fail "anchor holds $(grep -c . "$ANCHOR") lines for $cps checkpoints"
[ "$(grep -c 'audit checkpoint {"audit":"checkpoint"' "$TB_TMP/tanbad.log")" -ge "$cps" ] ||
    tb_fail "checkpoints not published in the log"
# No record runs more than 5 past a checkpoint: the verifier checks that too.
out=$("$TB_ADMIN" audit-verify --key "$KEY" --anchor "$ANCHOR" "$HZ_AUDIT") ||
    tb_fail "audit-verify: $out"
echo "$out"
case $out in *"last trustworthy checkpoint"*) ;; *) tb_fail "no last checkpoint: $out" ;; esac

tb_log "verification records: one per verification, in the chain"
tb_tanba verify "$TB_TMP/doc0.p7" > "$TB_TMP/v.out" 2>&1 || :
n=$(grep -c '"op":"verification"' "$HZ_AUDIT")
[ "$n" = 1 ] || tb_fail "want 1 verification record, have $n: $(cat "$TB_TMP/v.out")"
grep '"op":"verification"' "$HZ_AUDIT"
python3 - "$HZ_AUDIT" "$(tb_sha "$TB_TMP/doc0.p7" sha256)" "$(id -u)" <<'PY' || tb_fail "verification record"
import json, sys
rec = [r for r in map(json.loads, open(sys.argv[1])) if r.get("op") == "verification"][0]
assert rec["source"] == "front" and rec["result"] == "recorded", rec
assert rec["doc_digest"] == "sha256:" + sys.argv[2], rec
assert rec["uid"] == int(sys.argv[3]), rec
assert rec["verdict"], rec
assert rec["cert_serial"] and rec["cert_issuer"].find("CN=") >= 0, rec
assert rec["revocation"], rec
PY

tb_log "rotation: the file moved away, SIGHUP, a new file continues the chain"
mv "$HZ_AUDIT" "$HZ_AUDIT.1"
# with a checkpoint setting changed, which only a restart applies
sed -i 's/^checkpoint_every = 5$/checkpoint_every = 7/' "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
tb_wait_log 'checkpoint, anchor and refusal settings take effect at restart' ||
    tb_fail "no warning that checkpoint_every needs a restart"
i=0
while [ ! -s "$HZ_AUDIT" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$HZ_AUDIT" ] || tb_fail "no new audit file after SIGHUP"
tb_tanba sign --key ec -o "$TB_TMP/r.p7" "$TB_TMP/doc0" || tb_fail "sign after rotation"
tb_stop_daemon
tail -n 1 "$HZ_AUDIT.1" | grep -q '"op":"checkpoint"' || tb_fail "the old file does not end sealed"
head -n 1 "$HZ_AUDIT" | grep -q '"from":"' || tb_fail "the new genesis does not name the old file"
"$TB_ADMIN" audit-verify --key "$KEY" --anchor "$ANCHOR" "$HZ_AUDIT.1" "$HZ_AUDIT" ||
    tb_fail "audit-verify of the rotated pair"
"$TB_ADMIN" audit-verify --key "$KEY" "$HZ_AUDIT" "$HZ_AUDIT.1" >/dev/null &&
    tb_fail "the pair in the wrong order verified"

# reseal FILE LINE: deletes line LINE (1-based) and re-seals the chain after
# it with plain SHA-256, as an intruder without the key would.
reseal() {
	python3 - "$1" "$2" <<'PY'
import hashlib, json, re, sys
lines = open(sys.argv[1]).read().splitlines()
del lines[int(sys.argv[2]) - 1]
prev = None
for i, l in enumerate(lines):
    body = l[:-len(',"hash":"') - 64 - 2]
    body = re.sub(r'^\{"seq":\d+', '{"seq":%d' % i, body)
    if prev is not None:
        body = re.sub(r'"prev":"[0-9a-f]{64}"', '"prev":"%s"' % prev, body)
    prev = hashlib.sha256(body.encode()).hexdigest()
    lines[i] = body + ',"hash":"%s"}' % prev
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
}

tb_log "a sign record deleted and the chain re-sealed: the plain chain passes, the MAC does not"
cp "$HZ_AUDIT.1" "$TB_TMP/forged.log"
line=$(grep -n '"op":"sign"' "$TB_TMP/forged.log" | sed -n 3p | cut -d: -f1)
reseal "$TB_TMP/forged.log" "$line"
"$TB_ADMIN" audit-verify "$TB_TMP/forged.log" >/dev/null || tb_fail "the re-sealed chain should pass unkeyed"
out=$("$TB_ADMIN" audit-verify --key "$KEY" "$TB_TMP/forged.log")
rc=$?
[ $rc = 1 ] || tb_fail "re-sealed deletion not detected (rc $rc): $out"
case $out in *"MAC does not match"*) ;; *) tb_fail "not named: $out" ;; esac

tb_log "the tail cut past the last published checkpoint"
cp "$HZ_AUDIT.1" "$TB_TMP/cut.log"
last=$(grep -n '"op":"checkpoint"' "$TB_TMP/cut.log" | tail -n 2 | head -n 1 | cut -d: -f1)
head -n "$last" "$HZ_AUDIT.1" > "$TB_TMP/cut.log"
"$TB_ADMIN" audit-verify --key "$KEY" "$TB_TMP/cut.log" >/dev/null ||
    tb_fail "a cut at a checkpoint passes the key alone (only the anchor can tell)"
out=$("$TB_ADMIN" audit-verify --key "$KEY" --anchor "$ANCHOR" "$TB_TMP/cut.log" "$HZ_AUDIT")
rc=$?
[ $rc = 1 ] || tb_fail "cut tail not detected (rc $rc): $out"
case $out in *"records were cut from the end"*) ;; *) tb_fail "not named: $out" ;; esac

tb_log "a checkpoint key others may read: the signer refuses to start"
chmod 0640 "$KEY"
tb_run_daemon_expect_fail "$TB_CONF" || tb_fail "started with a readable key"
case $TB_DAEMON_ERR in
*"audit checkpoint key"*"not readable by group or others"*) ;;
*) tb_fail "refusal does not say why: $TB_DAEMON_ERR" ;;
esac
tb_log "PASS"
exit 0
