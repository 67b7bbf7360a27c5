#!/bin/sh
# The signer's own checks (tests/test_signer_checks.c): requests written
# straight onto its channel, as only a compromised front could, are refused
# unless its own [client] table allows them; every one of them, refused or
# signed, is in the audit trail, whose chain then verifies.
TB_NO_START=1
. "$top_srcdir/tests/lib.sh"

# Two more clients: nobody may sign with ec only, daemon may only verify.
cat >> "$TB_CONF" <<CONF

[client "limited"]
user = nobody
ops = sign
keys = ec

[client "verifier"]
user = daemon
ops = verify check-cert
CONF

TB_TANBAD=$top_builddir/daemon/tanbad TB_CONF=$TB_CONF TB_RSA_CERT=$TB_PKI/rsa-sign.pem \
    TB_EC_CERT=$TB_PKI/ec-sign.pem "$top_builddir/tests/test_signer_checks" ||
    tb_fail "the signer's checks (log above)"

AUDIT=$TB_TMP/audit.log
"$top_builddir/ca-tools/tanba-admin" audit-verify "$AUDIT" || tb_fail "audit-verify"
# results: name count, for the sign records of the run.
# The document digest recorded is the one signed, as the signer wrote it,
# never the front's made-up "sha256:000...".
python3 - "$AUDIT" <<'PY' || tb_fail "audit records of the signer's checks"
import collections, hashlib, json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("op") == "sign"]
got = collections.Counter(r["result"] for r in recs)
want = {"ok": 2, "forbidden": 4, "unavailable": 1, "bad_request": 1, "no_such_key": 1}
assert got == want, "sign records by result: %r, want %r" % (dict(got), want)
doc = "sha256:" + hashlib.sha256(b"signer-checks document").hexdigest()
ok = [r for r in recs if r["result"] == "ok"]
assert any(r.get("doc_digest") == doc for r in ok), "no ok record for %s: %r" % (doc, ok)
assert all(r.get("detail") == "detached" for r in ok), ok
zeros = "sha256:" + "0" * 64
assert not any(r.get("doc_digest") == zeros for r in recs), "the front's doc was recorded"
PY
echo "PASS"
