#!/bin/sh
# The signer's own checks (tests/unit/test_signer_checks.c): requests written
# straight onto its channel, as only a compromised front could, are refused
# unless its own [client] table allows them; every one of them, refused or
# signed, is in the audit trail, whose chain then verifies. Audit records
# the front may not write (a success, a signer event) are refused too.
#
# The fake front claims uid 0 in every request; the signer believes only the
# connections it was handed (CONNECT with the descriptor) and reads their
# peers itself, so clients of other users connect for real: needs root
# (skips with 77).
TB_NO_START=1
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (clients of other users)"; exit 77; }
id nobody >/dev/null 2>&1 && id daemon >/dev/null 2>&1 ||
    { echo "SKIP: no user nobody or daemon"; exit 77; }

# A socket directory other users can pass through (the build tree may not be).
TB_SOCK_DIR=$(mktemp -d /tmp/tanba-sc.XXXXXX) || tb_fail "mktemp"
chmod 0711 "$TB_SOCK_DIR"
TB_SOCK="$TB_SOCK_DIR/tanbad.sock"
sed -i -e "s|^socket = .*|socket = $TB_SOCK|" "$TB_CONF"

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

TB_TANBAD=$top_builddir/daemon/tanbad-signer TB_CONF=$TB_CONF TB_SOCKET=$TB_SOCK TB_RSA_CERT=$TB_PKI/rsa-sign.pem \
    TB_EC_CERT=$TB_PKI/ec-sign.pem TB_EXPIRED_CERT=$TB_PKI/expired.pem \
    TB_NOTYET_CERT=$TB_PKI/notyet.pem "$top_builddir/tests/unit/test_signer_checks" ||
    tb_fail "the signer's checks (log above)"

AUDIT=$TB_TMP/audit.log
"$top_builddir/ca-tools/tanba-admin" audit-verify "$AUDIT" || tb_fail "audit-verify"
# results: name count, for the sign records of the run.
# The document digest recorded is the one signed, as the signer wrote it,
# never the front's made-up "sha256:000...".
python3 - "$AUDIT" <<'PY' || tb_fail "audit records of the signer's checks"
import collections, hashlib, json, pwd, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("op") == "sign"]
got = collections.Counter(r["result"] for r in recs)
# Two XML SignedInfos signed, eleven refused for their reference URI; one
# WS-Security SignedInfo signed, nine refused (URIs, ID, ttl, references, a
# digest of the wrong length), and one more signed after three records the
# signer dropped (a URI or Timestamp ID slot unterminated or with a control
# character, a URI on a CMS request: no record). Batches: two items signed and one refused; two batches refused whole (2 items each),
# a counter-signing batch (2 items) and one of 101 items over sign_batch_max.
want = {"ok": 8, "forbidden": 15, "unavailable": 1, "bad_request": 24, "no_such_key": 1,
        "cert_expired": 1, "cert_not_yet_valid": 1, "too_large": 101}
assert got == want, "sign records by result: %r, want %r" % (dict(got), want)
# The uid recorded is the one the signer read from the connection, not the
# 0 the front claimed; a request it could not attribute has no uid.
nobody = pwd.getpwnam("nobody").pw_uid
assert sorted(r["uid"] for r in recs if r["result"] == "ok") == [0, 0, 0, 0, 0, 0, 0, nobody], recs
assert 4242 in [r["uid"] for r in recs], "no record for uid 4242"
assert sum(r["uid"] == nobody for r in recs) == 6, "nobody's records"
assert sum(r["uid"] == 4294967295 for r in recs) == 7, "unattributed records: %r" % [r["uid"] for r in recs]
doc = "sha256:" + hashlib.sha256(b"signer-checks document").hexdigest()
ok = [r for r in recs if r["result"] == "ok"]
assert any(r.get("doc_digest") == doc for r in ok), "no ok record for %s: %r" % (doc, ok)
assert sorted(r.get("detail").split(" ")[0] for r in ok) == ["detached"] * 4 + ["wsse"] * 2 + ["xml"] * 2, ok
assert sum("reference URI" in r.get("detail", "") for r in recs) == 14, "URI refusals"
# XML: the reference digest the signer put in the SignedInfo it built.
xml = [r for r in ok if r.get("detail") == "xml"][0]
ref = hashlib.sha256(b"signer-checks xml reference").hexdigest()
assert xml["doc_digest"] == "sha256:" + ref, xml
zeros = "sha256:" + "0" * 64
assert not any(r.get("doc_digest") == zeros for r in recs), "the front's doc was recorded"
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
