#!/bin/sh
# Batch signing through the real tanbad and SoftHSM2: one sign request with
# "documents" or "digests". Every item's CMS verifies with openssl cms and
# certtool; a bad item fails alone; a batch over sign_batch_max, or with a
# key the client may not use, is refused whole and signs nothing; the audit
# trail holds one record per item with that item's own digest.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

AUDIT=$TB_TMP/audit.log

# sign_records KEY DIGEST RESULT: audit records of op sign for that document.
sign_records() {
	grep -c "\"op\":\"sign\",\"key\":\"$1\",\"doc_digest\":\"$2\",.*\"result\":\"$3\"" "$AUDIT"
}

tb_log "tanba sign with several files: one request, FILE.p7s each, attached"
mkdir -p "$TB_TMP/files"
for i in 1 2 3 4 5; do
	printf 'Құжат %s\r\n\000\377' "$i" > "$TB_TMP/files/doc$i.bin"
	head -c $((i * 1000)) /dev/urandom >> "$TB_TMP/files/doc$i.bin"
done
before=$(grep -c '"op":"sign",.*"result":"ok"' "$AUDIT")
tb_tanba sign --key rsa "$TB_TMP"/files/doc*.bin || tb_fail "tanba sign with five files"
for i in 1 2 3 4 5; do
	f=$TB_TMP/files/doc$i.bin
	[ -s "$f.p7s" ] || tb_fail "no $f.p7s"
	tb_verify_cms "$f.p7s" || tb_fail "doc$i.bin.p7s does not verify"
	cmp -s "$TB_TMP/verify.out" "$f" || tb_fail "doc$i.bin.p7s: content differs"
	c=$(sign_records rsa "sha256:$(tb_sha "$f" sha256)" ok)
	[ "$c" = 1 ] || tb_fail "doc$i.bin: $c audit records, want 1"
done
after=$(grep -c '"op":"sign",.*"result":"ok"' "$AUDIT")
[ $((after - before)) = 5 ] || tb_fail "five files made $((after - before)) sign records"
grep -q 'signed 5 of 5 with key rsa (documents)' "$TB_TMP/tanbad.log" ||
    tb_fail "the five files did not travel as one request"

tb_log "tanba sign --detached --by-digest --out-dir: digests only, EC key"
mkdir -p "$TB_TMP/outdir"
tb_tanba sign --key ec --detached --by-digest --out-dir "$TB_TMP/outdir" \
    "$TB_TMP"/files/doc1.bin "$TB_TMP"/files/doc2.bin "$TB_TMP"/files/doc3.bin ||
    tb_fail "tanba sign --by-digest with three files"
for i in 1 2 3; do
	tb_verify_cms "$TB_TMP/outdir/doc$i.bin.p7s" "$TB_TMP/files/doc$i.bin" ||
	    tb_fail "outdir/doc$i.bin.p7s does not verify its file"
done
grep -q 'signed 3 of 3 with key ec (digests)' "$TB_TMP/tanbad.log" ||
    tb_fail "--by-digest did not send one request of digests"

tb_log "several files: one output path twice, or an unknown --digest-alg: refused before any request"
mkdir -p "$TB_TMP/other" "$TB_TMP/outdir2"
cp "$TB_TMP/files/doc2.bin" "$TB_TMP/other/doc1.bin"
n1=$(grep -c '"op":"sign",.*"result":"ok"' "$AUDIT")
if tb_tanba sign --key ec --out-dir "$TB_TMP/outdir2" "$TB_TMP/files/doc1.bin" \
    "$TB_TMP/other/doc1.bin" 2>"$TB_TMP/same.err"; then
	tb_fail "two files signed into one --out-dir path"
fi
grep -q "would both be signed into $TB_TMP/outdir2/doc1.bin.p7s" "$TB_TMP/same.err" ||
    tb_fail "same output path: $(cat "$TB_TMP/same.err")"
[ ! -e "$TB_TMP/outdir2/doc1.bin.p7s" ] || tb_fail "a signature was written for the clash"
if tb_tanba sign --key ec --detached --by-digest --digest-alg md5 --out-dir "$TB_TMP/outdir2" \
    "$TB_TMP/files/doc1.bin" 2>"$TB_TMP/md5.err"; then
	tb_fail "--by-digest --digest-alg md5 accepted"
fi
grep -q "unknown digest algorithm 'md5'" "$TB_TMP/md5.err" || tb_fail "md5: $(cat "$TB_TMP/md5.err")"
[ "$(grep -c '"op":"sign",.*"result":"ok"' "$AUDIT")" = "$n1" ] ||
    tb_fail "a refused command line signed something"

tb_log "20 digests with one bad item: the bad one fails alone"
mkdir -p "$TB_TMP/dig"
python3 - "$TB_TMP/dig" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
digests = []
for i in range(20):
    data = os.urandom(100 + i)
    open(os.path.join(d, "f%d" % i), "wb").write(data)
    alg = "sha384" if i == 7 else "sha256"
    digests.append(alg + ":" + hashlib.new(alg, data).hexdigest())
digests[5] = "sha256:" + "ab" * 31		# 31 bytes: the wrong length
json.dump({"id": "b1", "op": "sign", "key": "rsa", "digests": digests},
          open(os.path.join(d, "req.json"), "w"))
open(os.path.join(d, "digests"), "w").write("\n".join(digests) + "\n")
PY
tb_batch_call "$TB_TMP/dig" "$TB_TMP/dig/req.json"
[ "$(tb_answer_get "$TB_TMP/dig" 'a["ok"]')" = True ] || tb_fail "batch answered $(cat "$TB_TMP/dig/answer.json")"
[ "$(tb_answer_get "$TB_TMP/dig" 'a["id"]')" = b1 ] || tb_fail "batch answer lost its id"
[ "$(tb_answer_get "$TB_TMP/dig" 'len(a["results"])')" = 20 ] || tb_fail "not 20 results"
[ "$(tb_answer_get "$TB_TMP/dig" '(a["signed"], a["failed"])')" = "(19, 1)" ] ||
    tb_fail "signed/failed: $(tb_answer_get "$TB_TMP/dig" '(a["signed"], a["failed"])')"
[ "$(tb_answer_get "$TB_TMP/dig" 'a["results"][5]["error"]["code"]')" = bad_request ] ||
    tb_fail "bad item 5: $(tb_answer_get "$TB_TMP/dig" 'a["results"][5]')"
i=0
while [ $i -lt 20 ]; do
	if [ $i != 5 ]; then
		tb_verify_cms "$TB_TMP/dig/$i.der" "$TB_TMP/dig/f$i" ||
		    tb_fail "item $i does not verify its document (answers out of order?)"
		d=$(sed -n "$((i + 1))p" "$TB_TMP/dig/digests")
		c=$(sign_records rsa "$d" ok)
		[ "$c" = 1 ] || tb_fail "item $i: $c audit records of $d, want 1"
	fi
	i=$((i + 1))
done
[ ! -e "$TB_TMP/dig/5.der" ] || tb_fail "the bad item has a CMS"
grep -q '"op":"sign","key":"rsa",.*"result":"bad_request"' "$AUDIT" ||
    tb_fail "the bad item left no refusal record"
# sha384 item: its CMS names sha384 and verifies (checked above); the rest sha256.
openssl cms -cmsout -print -inform DER -in "$TB_TMP/dig/7.der" | grep -qi sha384 ||
    tb_fail "item 7 is not a sha384 signature"

tb_log "a document that is not base64 fails alone among documents"
printf '{"id":2,"op":"sign","key":"ec","detached":true,"documents":["aGVsbG8=","%%%%","d29ybGQ="]}' \
    > "$TB_TMP/docs.json"
tb_batch_call "$TB_TMP/docs" "$TB_TMP/docs.json"
[ "$(tb_answer_get "$TB_TMP/docs" '[r["ok"] for r in a["results"]]')" = "[True, False, True]" ] ||
    tb_fail "documents: $(cat "$TB_TMP/docs/answer.json")"
printf 'hello' > "$TB_TMP/hello"
tb_verify_cms "$TB_TMP/docs/0.der" "$TB_TMP/hello" || tb_fail "document 0 does not verify"

tb_log "100 digests (the default limit) are signed; 101 are refused whole"
python3 - "$TB_TMP" <<'PY'
import json, os, sys
d = sys.argv[1]
for n in (100, 101):
    digests = ["sha256:5eed%03d%057x" % (n, i) for i in range(n)]
    json.dump({"id": n, "op": "sign", "key": "ec", "digests": digests},
              open(os.path.join(d, "req%d.json" % n), "w"))
PY
tb_batch_call "$TB_TMP/b100" "$TB_TMP/req100.json"
[ "$(tb_answer_get "$TB_TMP/b100" '(a["ok"], a["signed"], len(a["results"]))')" = "(True, 100, 100)" ] ||
    tb_fail "100 digests: $(head -c 300 "$TB_TMP/b100/answer.json")"
c=$(grep -c '"op":"sign","key":"ec","doc_digest":"sha256:5eed10[01][0-9a-f]*",.*"result":"ok"' "$AUDIT")
[ "$c" = 100 ] || tb_fail "100 digests made $c sign records"
tb_batch_call "$TB_TMP/b101" "$TB_TMP/req101.json"
[ "$(tb_answer_get "$TB_TMP/b101" 'a["error"]["code"]')" = too_large ] ||
    tb_fail "101 digests: $(head -c 300 "$TB_TMP/b101/answer.json")"
tb_answer_get "$TB_TMP/b101" 'a["error"]["message"]' | grep -q 'sign_batch_max 100' ||
    tb_fail "101 digests: the message does not name the limit"
c=$(grep -c '"op":"sign","key":"ec","doc_digest":"sha256:5eed10[01][0-9a-f]*",.*"result":"ok"' "$AUDIT")
[ "$c" = 100 ] || tb_fail "the refused batch signed something ($c records)"

tb_log "a key the client may not use refuses the whole batch; sign_batch_max from the file"
tb_stop_daemon
sed -e 's/^keys = \*$/keys = rsa/' -e 's/^\[daemon\]$/[daemon]\nsign_batch_max = 4/' \
    "$TB_CONF" > "$TB_TMP/limited.conf"
tb_start_daemon "$TB_TMP/limited.conf" || tb_fail "tanbad with limited.conf did not start"
n0=$(grep -c '"result":"ok"' "$AUDIT")
printf '{"id":3,"op":"sign","key":"ec","digests":["sha256:%064d","sha256:%064d"]}' 1 2 \
    > "$TB_TMP/forbidden.json"
tb_batch_call "$TB_TMP/forb" "$TB_TMP/forbidden.json"
[ "$(tb_answer_get "$TB_TMP/forb" 'a["error"]["code"]')" = forbidden ] ||
    tb_fail "key ec: $(cat "$TB_TMP/forb/answer.json")"
c=$(grep -c '"op":"sign","key":"ec",.*"result":"forbidden"' "$AUDIT")
[ "$c" -ge 2 ] || tb_fail "the forbidden batch left $c refusal records, want one per item"
if tb_tanba sign --key rsa "$TB_TMP"/files/doc*.bin 2>"$TB_TMP/over.err"; then
	tb_fail "five files signed past sign_batch_max = 4"
fi
grep -q 'sign_batch_max 4' "$TB_TMP/over.err" || tb_fail "over the limit: $(cat "$TB_TMP/over.err")"
tb_tanba sign --key rsa --out-dir "$TB_TMP/outdir" "$TB_TMP"/files/doc1.bin \
    "$TB_TMP"/files/doc2.bin || tb_fail "two files within sign_batch_max = 4"
[ "$(grep -c '"result":"ok"' "$AUDIT")" = $((n0 + 2)) ] ||
    tb_fail "refused batches signed something"

tb_log "the daemon still serves single signs"
tb_tanba sign --key rsa -o "$TB_TMP/single.der" "$TB_TMP/files/doc1.bin" || tb_fail "single sign"
tb_verify_cms "$TB_TMP/single.der" || tb_fail "single sign does not verify"
tb_log "PASS"
