#!/bin/sh
# The signer's own checks (tests/test_signer_checks.c): requests written
# straight onto its channel, as only a compromised front could, are refused
# unless its own [client] table allows them; every one of them, refused or
# signed, is in the audit trail, whose chain then verifies. Audit records
# the front may not write (a success, a signer event) are refused too.
TB_NO_START=1
. "$top_srcdir/tests/lib.sh"

# Two more clients: nobody may sign with ec only; daemon may only verify,
# though it names the key ec (the missing op alone refuses its sign request).
cat >> "$TB_CONF" <<CONF

[client "limited"]
user = nobody
ops = sign
keys = ec

[client "verifier"]
user = daemon
ops = verify check-cert
keys = ec
CONF

TB_TANBAD=$top_builddir/daemon/tanbad TB_CONF=$TB_CONF TB_RSA_CERT=$TB_PKI/rsa-sign.pem \
    TB_EC_CERT=$TB_PKI/ec-sign.pem TB_EXPIRED_CERT=$TB_PKI/expired.pem \
    TB_NOTYET_CERT=$TB_PKI/notyet.pem "$top_builddir/tests/test_signer_checks" ||
    tb_fail "the signer's checks (log above)"

AUDIT=$TB_TMP/audit.log
"$top_builddir/ca-tools/tanba-admin" audit-verify "$AUDIT" || tb_fail "audit-verify"
# results: name count, for the sign records of the run.
python3 - "$AUDIT" <<'PY' || tb_fail "audit records of the signer's checks"
import collections, json, sys
got = collections.Counter(r["result"] for r in map(json.loads, open(sys.argv[1]))
                          if r.get("op") == "sign")
want = {"ok": 2, "forbidden": 5, "unavailable": 1, "bad_request": 1, "no_such_key": 1,
        "cert_expired": 1, "cert_not_yet_valid": 1}
assert got == want, "sign records by result: %r, want %r" % (dict(got), want)
# Records a fake front wrote on the AUDIT channel: only its own refusal stands.
recs = [json.loads(l) for l in open(sys.argv[1])]
ops = collections.Counter(r.get("op") for r in recs)
assert ops["signer-start"] == 1, "signer-start records: %d (the fake front's taken)" % ops["signer-start"]
assert ops["reload"] == 0, "a reload record from the fake front"
assert ops["front-record"] == 5, "refused front records noted: %d, want 5" % ops["front-record"]
fake = [r for r in recs if r.get("detail") == "written by a fake front"]
assert len(fake) == 1 and fake[0]["op"] == "connect" and fake[0]["result"] == "forbidden" \
    and fake[0]["source"] == "front", "the fake front's records: %r" % fake
assert all(r.get("source") != "front" for r in recs if r.get("op") == "sign"), \
    "a sign record from the front"
PY
echo "PASS"
