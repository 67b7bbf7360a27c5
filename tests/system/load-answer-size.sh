#!/bin/sh
# An answer that cannot fit in a frame is refused before the signer is
# asked (docs/SECURITY.md "Hostile load"): an attached sign request just
# under max_frame_bytes, whose CMS would carry the document and the chain
# over it, gets too_large, and the audit trail holds no "ok" record for
# that document (its refusal is recorded instead); a digest of the same
# document is signed and recorded ok.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: no python3"; exit 77; }
MAXF=$(sed -n 's/^max_frame_bytes = //p' "$TB_CONF")
AUDIT=$TB_TMP/audit.log

"$PY" - "$TB_SOCK" "$MAXF" "$AUDIT" <<'PY' || tb_fail "answer size"
import base64, hashlib, json, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask, frame
sock, maxf, audit = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def records(digest):
    out = []
    with open(audit) as f:
        for line in f:
            r = json.loads(line)
            if r.get("op") == "sign" and r.get("doc_digest") == digest:
                out.append(r)
    return out

# The largest document whose request still fits, with room to spare.
n = 3 * ((maxf - 600) // 4)
doc = os.urandom(n)
req = {"id": "big", "op": "sign", "key": "rsa", "data": base64.b64encode(doc).decode()}
if len(frame(req)) - 4 > maxf:
    fail("the request itself is over the limit")
digest = "sha256:" + hashlib.sha256(doc).hexdigest()
s = connect(sock, 60)
a = ask(s, req)
if a is None or a.get("ok") or a["error"]["code"] != "too_large" or a.get("id") != "big":
    fail("attached sign whose answer cannot fit: want too_large, got %r" % (a if a is None or
         not a.get("ok") else {"ok": True}))
print("refused: %s" % a["error"]["message"])
rec = records(digest)
if any(r.get("result") == "ok" for r in rec):
    fail("the audit trail says this document was signed: %r" % rec)
if not rec:
    fail("the refusal left no audit record")
print("audit: %s" % ", ".join(r.get("result", "?") for r in rec))
# By digest the same document is signed, and recorded so.
a = ask(s, {"id": "dig", "op": "sign", "key": "rsa", "digest": digest})
if a is None or not a.get("ok"):
    fail("sign by digest: %r" % a)
if not any(r.get("result") == "ok" for r in records(digest)):
    fail("the signature by digest is not in the audit trail")
print("signed by digest and recorded ok")
PY
"$top_builddir/ca-tools/tanba-admin" audit-verify "$AUDIT" || tb_fail "audit-verify"
tb_log "PASS"
exit 0
