#!/bin/sh
# The signer's own checks (tests/test_signer_checks.c): requests written
# straight onto its channel, as only a compromised front could, are refused
# unless its own [client] table allows them; every one of them, refused or
# signed, is in the audit trail, whose chain then verifies.
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
PY
echo "PASS"
