#!/bin/sh
# Co-signing and counter-signing through the real tanbad (SoftHSM2 token):
# an RSA signature, attached and detached, co-signed by an EC key; the
# first SignerInfo keeps its bytes; openssl cms and tanba verify accept
# every signer with its identity (a GOST signer beside an EC one too); a
# counter-signature on signer 0 verifies
# with its own verdict; content that is not the signed one, a signer the
# CMS does not have and a key the client's ACL does not list are refused,
# and each refusal leaves an audit record.
TB_NO_START=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

# The co-signer: an official's own EC key (individual-sign, another IIN)
# beside the agency's RSA key.
OFFICIAL_IIN=850501300129
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TB_PKI/official.key" \
    2>/dev/null || tb_fail "EC key"
"$TB_TESTPKI" issue --dir "$TB_PKI" --key "$TB_PKI/official.key" --profile individual-sign \
    --iin "$OFFICIAL_IIN" --cn "ЛАУАЗЫМДЫ ТҰЛҒА" --out "$TB_PKI/official.pem" \
    >>"$TB_TMP/testpki.log" 2>&1 || tb_fail "official's certificate"
tb_token_import_key "$TB_TOKEN_LABEL" official 05 "$TB_PKI/official.key" "$TB_USER_PIN" \
    >/dev/null || tb_fail "official's key on the token"
cat >> "$TB_CONF" <<CONF

[key "official"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=official
certificate = $TB_PKI/official.pem
digest = sha384
CONF
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"

doc="$TB_TMP/doc.bin"
printf 'Бұйрық №17\r\nбірінші қол, екінші қол\000\377\n' > "$doc"
head -c 5000 /dev/urandom >> "$doc"
printf 'басқа құжат\n' > "$TB_TMP/other"


# verdicts FILE [ARGS]: tanba verify --offline --json, as "OVERALL v0 v1 ..."
verdicts() {
	_f=$1
	shift
	tb_tanba verify --offline --no-revocation --anchors "$TB_PKI/root.pem" \
	    --untrusted "$TB_PKI/chain.pem" --json "$@" "$_f" > "$TB_TMP/v.json" 2>"$TB_TMP/v.err"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["verdict"], " ".join(s["verdict"] for s in d["signers"]))' "$TB_TMP/v.json"
}

audit_count() {
	grep -c "$1" "$TB_TMP/audit.log" || :
}

tb_log "attached: RSA signs, EC co-signs"
tb_tanba sign --key rsa -o "$TB_TMP/a.p7s" "$doc" || tb_fail "sign"
tb_tanba sign --key official --add-to "$TB_TMP/a.p7s" -o "$TB_TMP/ab.p7s" || tb_fail "co-sign attached"
tb_signer_infos "$TB_TMP/a.p7s" > "$TB_TMP/a.si"
tb_signer_infos "$TB_TMP/ab.p7s" > "$TB_TMP/ab.si"
[ "$(wc -l < "$TB_TMP/a.si")" = 1 ] && [ "$(wc -l < "$TB_TMP/ab.si")" = 2 ] ||
    tb_fail "signer counts: $(wc -l < "$TB_TMP/a.si") then $(wc -l < "$TB_TMP/ab.si")"
grep -qxF "$(cat "$TB_TMP/a.si")" "$TB_TMP/ab.si" || tb_fail "the first SignerInfo changed its bytes"
tb_verify_cms "$TB_TMP/ab.p7s" || tb_fail "co-signed CMS does not verify (openssl, certtool)"
cmp -s "$TB_TMP/verify.out" "$doc" || tb_fail "co-signed content differs"
# openssl cms -verify checks every signer; -signer writes each certificate it used.
openssl cms -verify -binary -inform DER -in "$TB_TMP/ab.p7s" -CAfile "$TB_CAFILE" \
    -signer "$TB_TMP/signers.pem" -out /dev/null 2>/dev/null || tb_fail "openssl verify"
[ "$(grep -c 'BEGIN CERTIFICATE' "$TB_TMP/signers.pem")" = 2 ] || tb_fail "openssl saw one signer"
got=$(verdicts "$TB_TMP/ab.p7s")
[ "$got" = "VALID VALID VALID" ] || tb_fail "tanba verify of two signers: $got ($(cat "$TB_TMP/v.err"))"

tb_log "which signer has the identity: the answer names it"
python3 - "$TB_TMP/v.json" "$TB_PKI/official.pem" > "$TB_TMP/ids" <<'PY' || tb_fail "identities"
import json, sys, subprocess
d = json.load(open(sys.argv[1]))
off = subprocess.run(["openssl", "x509", "-in", sys.argv[2], "-noout", "-serial"],
                    capture_output=True, text=True).stdout.strip().split("=")[1].lower()
for i, s in enumerate(d["signers"]):
    print(i, s["identity"]["iin"] or "-", s["identity"]["bin"] or "-",
          "official" if s["serial"].lower().lstrip("0") == off.lstrip("0") else "rsa")
PY
cat "$TB_TMP/ids"
idx=$(awk '$4 == "official" { print $1 }' "$TB_TMP/ids")
iin=$(awk '$4 == "official" { print $2 }' "$TB_TMP/ids")
[ -n "$idx" ] && [ "$iin" = "$OFFICIAL_IIN" ] || tb_fail "the official is not among the signers"
if :; then
	verdicts "$TB_TMP/ab.p7s" --iin "$iin" >/dev/null
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m = d.get("identity_match")
assert d["verdict"] == "VALID", d["verdict"]
assert m is not None and isinstance(m.get("signer"), int), m
assert d["signers"][m["signer"]]["identity"]["iin"] == sys.argv[2], m
assert m["subject"] == d["signers"][m["signer"]]["subject"], m
assert m["signer"] == int(sys.argv[3]), m
print("identity", sys.argv[2], "is signer", m["signer"])' "$TB_TMP/v.json" "$iin" "$idx" ||
	    tb_fail "--iin: the answer does not name the signer"
fi
verdicts "$TB_TMP/ab.p7s" --iin 000000000000 --no-check-iin-checksum >/dev/null
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"] == "IDENTITY_MISMATCH", d["verdict"]
assert d.get("identity_match") is None, d.get("identity_match")' "$TB_TMP/v.json" ||
    tb_fail "an IIN no signer has was not a mismatch"

tb_log "detached: co-signed with the document, and with its digest"
tb_tanba sign --key rsa --detached -o "$TB_TMP/d.p7s" "$doc" || tb_fail "sign detached"
tb_tanba sign --key official --add-to "$TB_TMP/d.p7s" --detached-content "$doc" \
    -o "$TB_TMP/dd.p7s" || tb_fail "co-sign detached"
tb_signer_infos "$TB_TMP/d.p7s" > "$TB_TMP/d.si"
tb_signer_infos "$TB_TMP/dd.p7s" > "$TB_TMP/dd.si"
grep -qxF "$(cat "$TB_TMP/d.si")" "$TB_TMP/dd.si" || tb_fail "detached: first SignerInfo changed"
[ "$(wc -l < "$TB_TMP/dd.si")" = 2 ] || tb_fail "detached: not two signers"
tb_verify_cms "$TB_TMP/dd.p7s" "$doc" || tb_fail "detached co-signed does not verify"
got=$(verdicts "$TB_TMP/dd.p7s" --content "$doc")
[ "$got" = "VALID VALID VALID" ] || tb_fail "tanba verify detached: $got"
tb_tanba sign --key official --add-to "$TB_TMP/d.p7s" --digest "sha256:$(tb_sha "$doc" sha256)" \
    -o "$TB_TMP/dg.p7s" || tb_fail "co-sign by digest"
tb_verify_cms "$TB_TMP/dg.p7s" "$doc" || tb_fail "co-signed by digest does not verify"

tb_log "a GOST 34.10-2015 signature co-signed by the EC key"
if "$TB_TESTPKI" hierarchy --out "$TB_TMP/gost" --ca-alg gost512 --leaf-alg gost512 \
    >"$TB_TMP/gost.log" 2>&1; then
	G=$TB_TMP/gost
	for mode in attached detached; do
		"$TB_TESTPKI" cms --cert "$G/legal-sign.pem" --key "$G/legal-sign.key" --in "$doc" \
		    --out "$TB_TMP/g.$mode.p7s" $([ $mode = detached ] && echo --detached) ||
		    tb_fail "GOST cms ($mode)"
		if [ $mode = detached ]; then
			set -- --detached-content "$doc"
		else
			set --
		fi
		tb_tanba sign --key official --add-to "$TB_TMP/g.$mode.p7s" "$@" \
		    -o "$TB_TMP/gr.$mode.p7s" || tb_fail "co-sign GOST ($mode)"
		tb_signer_infos "$TB_TMP/g.$mode.p7s" > "$TB_TMP/g.si"
		tb_signer_infos "$TB_TMP/gr.$mode.p7s" | grep -qxF "$(cat "$TB_TMP/g.si")" ||
		    tb_fail "GOST ($mode): the GOST SignerInfo changed its bytes"
		cat "$TB_PKI/root.pem" "$G/root.pem" > "$TB_TMP/anchors2.pem"
		cat "$TB_PKI/chain.pem" "$G/chain.pem" > "$TB_TMP/untrusted2.pem"
		[ $mode = detached ] && set -- --content "$doc" || set --
		tb_tanba verify --offline --no-revocation --anchors "$TB_TMP/anchors2.pem" \
		    --untrusted "$TB_TMP/untrusted2.pem" --iin "$OFFICIAL_IIN" --json "$@" \
		    "$TB_TMP/gr.$mode.p7s" > "$TB_TMP/v.json" ||
		    tb_fail "GOST + EC ($mode) does not verify: $(head -c 600 "$TB_TMP/v.json")"
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
algs = sorted(s["algorithm"] for s in d["signers"])
assert [s["verdict"] for s in d["signers"]] == ["VALID", "VALID"], d["signers"]
assert any("gost" in a for a in algs) and any("ecdsa" in a for a in algs), algs
m = d["identity_match"]
assert d["signers"][m["signer"]]["identity"]["iin"] == sys.argv[2], m
print("   GOST + EC:", ", ".join(algs), "; identity is signer", m["signer"])' \
		    "$TB_TMP/v.json" "$OFFICIAL_IIN" || tb_fail "GOST + EC ($mode) answer"
	done
	if tb_tanba sign --key official --add-to "$TB_TMP/g.detached.p7s" \
	    --detached-content "$TB_TMP/other" >/dev/null 2>"$TB_TMP/err"; then
		tb_fail "co-signed a GOST signature over other content"
	fi
	grep -q "not the content signer 0 signed" "$TB_TMP/err" ||
	    tb_fail "GOST mismatch: unclear error: $(cat "$TB_TMP/err")"
else
	echo "no GOST test PKI here: $(tail -n 1 "$TB_TMP/gost.log")"
fi

tb_log "content that is not the signed one is refused"
before=$(audit_count '"sign"')
if tb_tanba sign --key official --add-to "$TB_TMP/d.p7s" --detached-content "$TB_TMP/other" \
    -o "$TB_TMP/bad.p7s" 2>"$TB_TMP/err"; then
	tb_fail "co-signed other content"
fi
cat "$TB_TMP/err"
grep -q "not the content signer 0 signed" "$TB_TMP/err" || tb_fail "mismatch: unclear error"
[ ! -e "$TB_TMP/bad.p7s" ] || tb_fail "mismatch: output written"
if tb_tanba sign --key official --add-to "$TB_TMP/d.p7s" \
    --digest "sha256:$(tb_sha "$TB_TMP/other" sha256)" 2>"$TB_TMP/err" >/dev/null; then
	tb_fail "co-signed another digest"
fi
grep -q "not the content signer 0 signed" "$TB_TMP/err" || tb_fail "digest mismatch: unclear error"
if tb_tanba sign --key official --add-to "$TB_TMP/d.p7s" 2>"$TB_TMP/err" >/dev/null; then
	tb_fail "co-signed a detached CMS without its content"
fi
grep -q "detached" "$TB_TMP/err" || tb_fail "no content: unclear error"
after=$(audit_count '"sign"')
[ "$after" -ge $((before + 3)) ] || tb_fail "refusals not audited ($before -> $after)"

tb_log "a CMS in BER (indefinite lengths) is refused: its signer would not keep its bytes"
openssl cms -sign -binary -stream -nodetach -in "$doc" -signer "$TB_PKI/rsa-sign.pem" \
    -inkey "$TB_PKI/rsa-sign.key" -outform DER -out "$TB_TMP/ber.p7s" || tb_fail "openssl BER"
if tb_tanba sign --key official --add-to "$TB_TMP/ber.p7s" >/dev/null 2>"$TB_TMP/err"; then
	tb_fail "co-signed a BER CMS"
fi
grep -q "not DER" "$TB_TMP/err" || tb_fail "BER: unclear error: $(cat "$TB_TMP/err")"

tb_log "counter-signature on signer 0"
tb_tanba sign --key official --countersign 0 -o "$TB_TMP/c.p7s" "$TB_TMP/a.p7s" ||
    tb_fail "countersign"
tb_verify_cms "$TB_TMP/c.p7s" || tb_fail "counter-signed CMS: signer 0 no longer verifies"
openssl cms -cmsout -print -inform DER -in "$TB_TMP/c.p7s" > "$TB_TMP/c.txt"
grep -q 'pkcs9_countersignature\|countersignature' "$TB_TMP/c.txt" || tb_fail "no countersignature attribute"
got=$(verdicts "$TB_TMP/c.p7s")
[ "$got" = "VALID VALID" ] || tb_fail "tanba verify counter-signed: $got"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
cs = d["signers"][0].get("countersigners")
assert cs and len(cs) == 1, cs
assert cs[0]["verdict"] == "VALID", cs[0]
assert "serial" in cs[0] and cs[0]["subject"], cs[0]
print("countersigner:", cs[0]["subject"], cs[0]["verdict"])' "$TB_TMP/v.json" ||
    tb_fail "the countersigner is not reported with its verdict"
# The signer's record names a counter-signature, and what it signed: the hash of signer 0's value.
sig0=$(tb_signer_infos "$TB_TMP/a.p7s" | python3 -c '
import sys
b = bytes.fromhex(sys.stdin.readline().strip())
def tlv(p):
    l, h = b[p + 1], 2
    if l & 0x80:
        h = 2 + (l & 0x7f)
        l = int.from_bytes(b[p + 2:p + h], "big")
    return b[p], p + h, l
_, p, l = tlv(0)
while b[p] != 0x04:     # the signature value: the SignerInfo'"'"'s one OCTET STRING
    t, c, l = tlv(p)
    p = c + l
_, c, l = tlv(p)
print(b[c:c + l].hex())')
want=$(printf '%s' "$sig0" | xxd -r -p | openssl dgst -sha384 -r | cut -d' ' -f1)
grep '"detail":"countersignature"' "$TB_TMP/audit.log" | grep '"result":"ok"' |
    grep -q "\"doc_digest\":\"sha384:$want\"" ||
    tb_fail "no audit record of the counter-signature over signer 0's value ($want)"
# The counter-signature over the co-signed CMS's second signer, too.
tb_tanba sign --key rsa --countersign 1 -o "$TB_TMP/c2.p7s" "$TB_TMP/ab.p7s" ||
    tb_fail "countersign signer 1"
got=$(verdicts "$TB_TMP/c2.p7s")
[ "$got" = "VALID VALID VALID" ] || tb_fail "counter-signed signer 1: $got"

tb_log "a signer the CMS does not have is refused"
if tb_tanba sign --key official --countersign 5 "$TB_TMP/a.p7s" >/dev/null 2>"$TB_TMP/err"; then
	tb_fail "counter-signed signer 5 of one"
fi
grep -q "no signer 5" "$TB_TMP/err" || tb_fail "bad N: unclear error: $(cat "$TB_TMP/err")"

tb_log "a broken counter-signature makes its own verdict, not the signer's"
python3 - "$TB_TMP/c.p7s" "$TB_TMP/cbad.p7s" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
# The counter-signature is the last SignerInfo-shaped thing: flip a byte of its signature value.
b[-10] ^= 1
open(sys.argv[2], "wb").write(b)
PY
got=$(verdicts "$TB_TMP/cbad.p7s")
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["signers"][0]
assert s["verdict"] == "VALID", s["verdict"]
assert s["countersigners"][0]["verdict"] == "SIGNATURE_INVALID", s["countersigners"][0]
assert d["verdict"] != "VALID", d["verdict"]
print("broken countersignature:", d["verdict"])' "$TB_TMP/v.json" ||
    tb_fail "a broken counter-signature: $got"

tb_log "a client whose ACL does not list the key is refused"
tb_stop_daemon
sed -i 's/^keys = \*$/keys = rsa/' "$TB_CONF"
tb_start_daemon || tb_fail "restart"
before=$(audit_count 'forbid\|may not')
if tb_tanba sign --key official --add-to "$TB_TMP/a.p7s" >/dev/null 2>"$TB_TMP/err"; then
	tb_fail "co-signed with a key the ACL does not list"
fi
grep -q "may not use key 'official'" "$TB_TMP/err" || tb_fail "ACL: unclear error: $(cat "$TB_TMP/err")"
if tb_tanba sign --key official --countersign 0 "$TB_TMP/a.p7s" >/dev/null 2>"$TB_TMP/err"; then
	tb_fail "counter-signed with a key the ACL does not list"
fi
after=$(audit_count 'forbid\|may not')
[ "$after" -ge $((before + 2)) ] || tb_fail "ACL refusals not audited ($before -> $after)"
tb_tanba sign --key rsa --add-to "$TB_TMP/ab.p7s" -o "$TB_TMP/abc.p7s" || tb_fail "rsa co-sign"
[ "$(tb_signer_infos "$TB_TMP/abc.p7s" | wc -l)" = 3 ] || tb_fail "third signer"
tb_verify_cms "$TB_TMP/abc.p7s" || tb_fail "three signers do not verify"
echo "co-signing and counter-signing through tanbad: ok"
