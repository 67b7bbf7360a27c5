#!/bin/sh
# File keys through the real tanbad: GOST 34.10-2015 keys in NCA-layout
# PKCS#12 containers made by the test PKI (current validity), [key] p12 =.
# The signer process opens them; `tanba sign` makes a GOST CAdES-BES that
# `tanba verify` accepts with the signer's identity and that libsig's GOST
# check (the gost engine, tests/system/gost-check) accepts over the document.
# `tanba keys` says where each key lives. Refusals: an expired certificate
# (at sign time, as for token keys), a digest of another kind or length, a
# wrong password (at start and at reload: the old key keeps signing), an
# RSA container (pointed at tanba-admin key import), a missing container,
# another key's certificate in the container. SIGHUP with a new
# container at the same path rotates the key, with a key-change record.
# Batches with the GOST key: documents hashed by the front, Streebog
# digests given; a SHA-2 item fails alone. Co-signing an RSA signature with
# the GOST key keeps the RSA SignerInfo's bytes; both verify with their
# identities; a GOST counter-signature is refused. XML with the GOST key
# (tanba sign --format xml, whole document and "#d1"): the Kazakh URIs,
# VALID with the IIN, and xmllint --exc-c14n + the gost engine agree with
# the digest and the value; a SOAP envelope with WS-Security (--format
# wsse) VALID with the IIN. No password reaches a log or
# the audit trail.
TB_NO_START=1
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon
CHECK="$top_builddir/tests/system/gost-check"
[ -x "$CHECK" ] || tb_fail "$CHECK not built"
"$CHECK" --available >/dev/null 2>&1 || { echo "SKIP: no GOST engine here"; exit 77; }

G="$TB_TMP/gpki"
PW=Fk-7f3a9Q21x
PW2=Rot-88c1Zq5
printf '%s\n' "$PW" > "$TB_TMP/p12.pw"
printf '%s\n' "$PW2" > "$TB_TMP/p12new.pw"
printf 'wrong-%s\n' "$PW" > "$TB_TMP/wrong.pw"
chmod 0600 "$TB_TMP"/*.pw
"$TB_TESTPKI" hierarchy --out "$G" --ca-alg gost512 --leaf-alg gost512 >"$TB_TMP/gpki.log" 2>&1 ||
    { cat "$TB_TMP/gpki.log"; tb_fail "GOST test PKI"; }
p12() {	# p12 CERT KEY PASSWORDFILE OUT
	"$TB_TESTPKI" p12 --cert "$1" --key "$2" --chain "$G/chain.pem" --password-file "$3" \
	    --out "$4" >>"$TB_TMP/gpki.log" 2>&1 && chmod 0600 "$4" || tb_fail "tanba-testpki p12 $4"
}
p12 "$G/individual-sign.pem" "$G/individual-sign.key" "$TB_TMP/p12.pw" "$TB_TMP/gost.p12"
p12 "$G/expired.pem" "$G/expired.key" "$TB_TMP/p12.pw" "$TB_TMP/gostexp.p12"
p12 "$G/legal-sign.pem" "$G/legal-sign.key" "$TB_TMP/p12new.pw" "$TB_TMP/gostnew.p12"
"$TB_TESTPKI" p12 --cert "$TB_PKI/rsa-sign.pem" --key "$TB_PKI/rsa-sign.key" \
    --password-file "$TB_TMP/p12.pw" --out "$TB_TMP/rsa.p12" >>"$TB_TMP/gpki.log" 2>&1 &&
    chmod 0600 "$TB_TMP/rsa.p12" || tb_fail "RSA container"
IIN=$(sed -n 's/^individual-sign .*iin=\([0-9]*\).*/\1/p' "$G/manifest.txt")
BIN=$(sed -n 's/^legal-sign .*bin=\([0-9]*\).*/\1/p' "$G/manifest.txt")
[ -n "$IIN" ] && [ -n "$BIN" ] || tb_fail "no IIN/BIN in the manifest"
cp "$TB_CONF" "$TB_TMP/token.conf"
cat >> "$TB_CONF" <<CONF

[key "gost"]
p12 = $TB_TMP/gost.p12
p12_password_file = $TB_TMP/p12.pw

[key "gostexp"]
p12 = $TB_TMP/gostexp.p12
p12_password_file = $TB_TMP/p12.pw
CONF
tb_start_daemon || tb_fail "tanbad did not start with file keys: $(tail -n 5 "$TB_TMP/tanbad.log")"

doc="$TB_TMP/doc.txt"
printf 'Анықтама №7: мекенжай, Астана\r\n' > "$doc"
head -c 5000 /dev/urandom >> "$doc"
verify_expect() {	# verify_expect VERDICT ARGS...: tanba verify's first line
	_want=$1
	shift
	"$TB_TANBA" verify --offline --no-revocation --anchors "$G/root.pem" \
	    --untrusted "$G/chain.pem" "$@" >"$TB_TMP/v.out" 2>"$TB_TMP/v.err"
	_got=$(head -n 1 "$TB_TMP/v.out")
	case $_got in "$_want"*) ;; *) cat "$TB_TMP/v.out" "$TB_TMP/v.err"; tb_fail "expected $_want, got $_got" ;; esac
}

tb_log "the scalar is on OpenSSL's secure heap (locked, undumpable); the signer has locked pages"
grep -Eq "key gost: gost2015-512 file key from .* [1-9][0-9]* bytes of the secure heap in use" \
    "$TB_TMP/tanbad.log" || tb_fail "the key is not on the secure heap: $(grep 'file key from' "$TB_TMP/tanbad.log")"
SIGNER=$(tb_signer_of "$TB_DAEMON_PID") || tb_fail "no signer process"
awk '/^VmLck:/ { exit !($2 > 0) }' /proc/"$SIGNER"/status || tb_fail "the signer has no locked memory"

tb_log "tanba keys: where each key lives, what it signs"
tb_tanba keys > "$TB_TMP/keys.txt" || tb_fail "tanba keys"
grep -Eq '^gost +gost2015-512 +512 +file +streebog512 ' "$TB_TMP/keys.txt" ||
    { cat "$TB_TMP/keys.txt"; tb_fail "keys table: gost row"; }
grep -Eq '^rsa +rsa +2048 +token +sha256 ' "$TB_TMP/keys.txt" ||
    { cat "$TB_TMP/keys.txt"; tb_fail "keys table: rsa row"; }
tb_tanba keys --json > "$TB_TMP/keys.json" || tb_fail "tanba keys --json"
python3 - "$TB_TMP/keys.json" <<'PY' || tb_fail "keys --json"
import json, sys
k = {x["name"]: x for x in json.load(open(sys.argv[1]))["keys"]}
g = k["gost"]
assert g["store"] == "file" and g["type"] == "gost2015-512" and g["digest"] == "streebog512", g
assert g["usable"] is True and g["bits"] == 512, g
assert k["gostexp"]["store"] == "file" and k["gostexp"]["usable"] is False, k["gostexp"]
assert "expired" in k["gostexp"]["problem"], k["gostexp"]
assert k["rsa"]["store"] == "token" and k["rsa"]["digest"] == "sha256", k["rsa"]
PY

tb_log "attached GOST signature: tanba verify with the identity, the gost engine's check"
tb_tanba sign --key gost -o "$TB_TMP/att.p7s" "$doc" || tb_fail "sign --key gost"
openssl asn1parse -inform DER -in "$TB_TMP/att.p7s" > "$TB_TMP/att.asn1" || tb_fail "not DER"
for oid in 1.2.398.3.10.1.3.3 1.2.398.3.10.1.1.2.3.2 signingCertificateV2 messageDigest; do
	grep -q "$oid" "$TB_TMP/att.asn1" || tb_fail "no $oid in the CMS"
done
"$CHECK" "$TB_TMP/att.p7s" "$G/individual-sign.pem" || tb_fail "gost-check refuses the daemon's CMS"
verify_expect VALID --iin "$IIN" "$TB_TMP/att.p7s"
grep -q "$IIN" "$TB_TMP/v.out" || tb_fail "verify does not name IIN $IIN"
verify_expect IDENTITY_MISMATCH --iin 000000000000 --no-check-iin-checksum "$TB_TMP/att.p7s"
# One flipped byte of the signature value (the SignerInfo's last field).
python3 -c "import sys; b = bytearray(open(sys.argv[1], 'rb').read()); b[-5] ^= 1; open(sys.argv[2], 'wb').write(b)" \
    "$TB_TMP/att.p7s" "$TB_TMP/bad.p7s"
"$CHECK" "$TB_TMP/bad.p7s" "$G/individual-sign.pem" >/dev/null && tb_fail "gost-check accepts a flipped value"
verify_expect SIGNATURE_INVALID "$TB_TMP/bad.p7s"

tb_log "detached from data and from a Streebog-512 digest"
tb_tanba sign --key gost --detached -o "$TB_TMP/det.p7s" "$doc" || tb_fail "sign --detached"
"$CHECK" --content "$doc" "$TB_TMP/det.p7s" "$G/individual-sign.pem" || tb_fail "gost-check (detached)"
verify_expect VALID --content "$doc" "$TB_TMP/det.p7s"
dg=$(openssl dgst -engine gost -md_gost12_512 -r "$doc" 2>/dev/null | cut -d' ' -f1)
[ ${#dg} -eq 128 ] || tb_fail "no Streebog-512 from the gost engine"
tb_tanba sign --key gost --digest "streebog512:$dg" -o "$TB_TMP/dig.p7s" || tb_fail "sign --digest streebog512"
"$CHECK" --content "$doc" "$TB_TMP/dig.p7s" "$G/individual-sign.pem" || tb_fail "gost-check (digest)"
verify_expect VALID --content "$doc" "$TB_TMP/dig.p7s"

tb_log "eight signatures at once (the signer's workers share the key): each verifies"
j=0
pids=
while [ $j -lt 8 ]; do
	tb_tanba sign --key gost -o "$TB_TMP/par.$j.p7s" "$doc" 2>"$TB_TMP/par.$j.err" &
	pids="$pids $!"
	j=$((j + 1))
done
for p in $pids; do wait "$p"; done
j=0
while [ $j -lt 8 ]; do
	"$CHECK" "$TB_TMP/par.$j.p7s" "$G/individual-sign.pem" >/dev/null ||
	    tb_fail "parallel signature $j: $(cat "$TB_TMP/par.$j.err")"
	j=$((j + 1))
done

tb_log "refusals: a SHA-2 or short digest for a GOST key, a Streebog one for a token key"
sha=$(tb_sha "$doc" sha256)
tb_tanba sign --key gost --digest "sha256:$sha" -o "$TB_TMP/x" 2>"$TB_TMP/err" &&
    tb_fail "a SHA-256 digest signed with a GOST key"
grep -q "streebog512" "$TB_TMP/err" || tb_fail "sha256 digest: $(cat "$TB_TMP/err")"
tb_tanba sign --key gost --digest "streebog256:$(echo "$dg" | cut -c1-64)" -o "$TB_TMP/x" \
    2>"$TB_TMP/err" && tb_fail "a 32-byte digest signed with a 512-bit GOST key"
grep -q "streebog512" "$TB_TMP/err" || tb_fail "short digest: $(cat "$TB_TMP/err")"
tb_tanba sign --key rsa --digest "streebog512:$dg" -o "$TB_TMP/x" 2>"$TB_TMP/err" &&
    tb_fail "a Streebog digest signed with an RSA key"
grep -q "not a GOST key" "$TB_TMP/err" || tb_fail "streebog for rsa: $(cat "$TB_TMP/err")"

tb_log "batches with the GOST key: three documents, then three Streebog digests and a SHA-2 one"
mkdir -p "$TB_TMP/gb"
for i in 1 2 3; do
	printf 'Бұйрық №%s\r\n' "$i" > "$TB_TMP/gb/d$i.txt"
	head -c $((i * 700)) /dev/urandom >> "$TB_TMP/gb/d$i.txt"
done
tb_tanba sign --key gost "$TB_TMP"/gb/d1.txt "$TB_TMP"/gb/d2.txt "$TB_TMP"/gb/d3.txt ||
    tb_fail "a batch of three documents with the GOST key"
grep -q 'signed 3 of 3 with key gost (documents)' "$TB_TMP/tanbad.log" ||
    tb_fail "the three documents did not travel as one batch"
for i in 1 2 3; do
	"$CHECK" "$TB_TMP/gb/d$i.txt.p7s" "$G/individual-sign.pem" >/dev/null ||
	    tb_fail "gost-check refuses batch document $i"
	verify_expect VALID --iin "$IIN" "$TB_TMP/gb/d$i.txt.p7s"
done
mkdir -p "$TB_TMP/gbd"
tb_tanba sign --key gost --detached --by-digest --digest-alg streebog512 \
    --out-dir "$TB_TMP/gbd" "$TB_TMP"/gb/d1.txt "$TB_TMP"/gb/d2.txt ||
    tb_fail "tanba sign --by-digest --digest-alg streebog512"
grep -q 'signed 2 of 2 with key gost (digests)' "$TB_TMP/tanbad.log" ||
    tb_fail "--by-digest did not send one request of Streebog digests"
for i in 1 2; do
	verify_expect VALID --iin "$IIN" --content "$TB_TMP/gb/d$i.txt" "$TB_TMP/gbd/d$i.txt.p7s"
done
python3 - "$TB_TMP/gb" "$dg" <<'PY' || tb_fail "batch request"
import json, subprocess, sys
d = sys.argv[1]
digests = []
for i in (1, 2, 3):
    h = subprocess.run(["openssl", "dgst", "-engine", "gost", "-md_gost12_512", "-r",
                        "%s/d%d.txt" % (d, i)], capture_output=True, text=True).stdout.split()[0]
    assert len(h) == 128, h
    digests.append("streebog512:" + h)
digests.insert(2, "sha256:" + "ab" * 32)	# a token key's kind of digest: fails alone
json.dump({"id": "g1", "op": "sign", "key": "gost", "digests": digests},
          open(d + "/req.json", "w"))
open(d + "/digests", "w").write("\n".join(digests) + "\n")
PY
tb_batch_call "$TB_TMP/gb" "$TB_TMP/gb/req.json"
[ "$(tb_answer_get "$TB_TMP/gb" '(a["ok"], a["signed"], a["failed"])')" = "(True, 3, 1)" ] ||
    tb_fail "GOST digest batch: $(cat "$TB_TMP/gb/answer.json")"
tb_answer_get "$TB_TMP/gb" 'a["results"][2]["error"]["message"]' | grep -q streebog512 ||
    tb_fail "the SHA-2 item: $(tb_answer_get "$TB_TMP/gb" 'a["results"][2]')"
[ ! -e "$TB_TMP/gb/2.der" ] || tb_fail "the SHA-2 item has a CMS"
for n in 0 1 3; do
	i=$((n < 2 ? n + 1 : n))
	"$CHECK" --content "$TB_TMP/gb/d$i.txt" "$TB_TMP/gb/$n.der" "$G/individual-sign.pem" \
	    >/dev/null || tb_fail "gost-check: digest item $n is not over d$i.txt (order?)"
	verify_expect VALID --iin "$IIN" --content "$TB_TMP/gb/d$i.txt" "$TB_TMP/gb/$n.der"
	dgi=$(sed -n "$((n + 1))p" "$TB_TMP/gb/digests")
	c=$(grep -c "\"op\":\"sign\",\"key\":\"gost\",\"doc_digest\":\"$dgi\",.*\"result\":\"ok\"" \
	    "$TB_TMP/audit.log")
	# One from the batch of documents (recorded as the signer signed it), one from
	# --by-digest for d1 and d2, one from this.
	want=$((i < 3 ? 3 : 2))
	[ "$c" = "$want" ] || tb_fail "digest item $n: $c audit records, want $want"
done
grep -q "\"op\":\"sign\",\"key\":\"gost\",\"doc_digest\":\"sha256:$(printf 'ab%.0s' $(seq 32))\",.*\"result\":\"bad_request\"" \
    "$TB_TMP/audit.log" || tb_fail "the refused item left no record"

tb_log "co-signing: an RSA signature (token key) co-signed by the GOST file key"
RSA_BIN=$(sed -n 's/^legal-sign .*bin=\([0-9]*\).*/\1/p' "$TB_PKI/manifest.txt")
[ -n "$RSA_BIN" ] || tb_fail "no BIN of the RSA key in the manifest"
cat "$TB_PKI/root.pem" "$G/root.pem" > "$TB_TMP/anchors2.pem"
cat "$TB_PKI/chain.pem" "$G/chain.pem" > "$TB_TMP/untrusted2.pem"
# drop_new ORIG NEW OUT: NEW without the SignerInfos and digest algorithms ORIG
# lacks (lengths rewritten).
drop_new() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
orig, new = (open(f, "rb").read() for f in sys.argv[1:3])
def tlv(b, p):
    l, h = b[p + 1], 2
    if l & 0x80:
        h = 2 + (l & 0x7f)
        l = int.from_bytes(b[p + 2:p + h], "big")
    return b[p], p + h, l
def kids(b, c, l):
    out, p = [], c
    while p < c + l:
        t, cc, ll = tlv(b, p)
        out.append(b[p:cc + ll])
        p = cc + ll
    return out
def enc(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + ln + body
def parts(b):
    _, c, l = tlv(b, 0)
    oid, ctx = kids(b, c, l)
    _, c, l = tlv(ctx, 0)
    _, c2, l2 = tlv(ctx, c)
    return oid, kids(ctx, c2, l2)
_, sd_orig = parts(orig)
oid, sd = parts(new)
for i, j in ((-1, -1), (1, 1)):		# signerInfos, digestAlgorithms
    keep = set(kids(sd_orig[j], *tlv(sd_orig[j], 0)[1:]))
    sd[i] = enc(0x31, b"".join(x for x in kids(sd[i], *tlv(sd[i], 0)[1:]) if x in keep))
open(sys.argv[3], "wb").write(enc(0x30, oid + enc(0xa0, enc(0x30, b"".join(sd)))))
PY
}
tb_tanba sign --key rsa -o "$TB_TMP/r.attached.p7s" "$doc" || tb_fail "RSA attached"
tb_tanba sign --key rsa --detached -o "$TB_TMP/r.detached.p7s" "$doc" || tb_fail "RSA detached"
for mode in attached detached; do
	[ $mode = detached ] && set -- --detached-content "$doc" || set --
	tb_tanba sign --key gost --add-to "$TB_TMP/r.$mode.p7s" "$@" -o "$TB_TMP/rg.$mode.p7s" ||
	    tb_fail "co-sign with the GOST key ($mode)"
	tb_signer_infos "$TB_TMP/r.$mode.p7s" > "$TB_TMP/r.si"
	tb_signer_infos "$TB_TMP/rg.$mode.p7s" > "$TB_TMP/rg.si"
	[ "$(wc -l < "$TB_TMP/rg.si")" = 2 ] || tb_fail "$mode: not two signers"
	grep -qxF "$(cat "$TB_TMP/r.si")" "$TB_TMP/rg.si" ||
	    tb_fail "$mode: the RSA SignerInfo changed its bytes"
	# openssl cannot check the Kazakh GOST OIDs: the RSA signer alone, as it is in the new CMS.
	drop_new "$TB_TMP/r.$mode.p7s" "$TB_TMP/rg.$mode.p7s" "$TB_TMP/rg.rsa.p7s" ||
	    tb_fail "$mode: cannot take the RSA signer alone"
	if [ $mode = detached ]; then
		tb_verify_cms "$TB_TMP/rg.rsa.p7s" "$doc" || tb_fail "$mode: openssl refuses the RSA signer"
		set -- --content "$doc"
	else
		tb_verify_cms "$TB_TMP/rg.rsa.p7s" || tb_fail "$mode: openssl refuses the RSA signer"
		cmp -s "$TB_TMP/verify.out" "$doc" || tb_fail "$mode: the content changed"
		set --
	fi
	for id in "--iin $IIN" "--bin $RSA_BIN"; do
		# shellcheck disable=SC2086
		"$TB_TANBA" verify --offline --no-revocation --anchors "$TB_TMP/anchors2.pem" \
		    --untrusted "$TB_TMP/untrusted2.pem" $id --json "$@" "$TB_TMP/rg.$mode.p7s" \
		    > "$TB_TMP/v.json" 2>"$TB_TMP/v.err" ||
		    tb_fail "$mode $id: $(head -c 600 "$TB_TMP/v.json") $(cat "$TB_TMP/v.err")"
		python3 - "$TB_TMP/v.json" $id <<'PY' || tb_fail "$mode $id: the answer"
import json, sys
d = json.load(open(sys.argv[1]))
kind, want = sys.argv[2].lstrip("-"), sys.argv[3]
ss = d["signers"]
assert [s["verdict"] for s in ss] == ["VALID", "VALID"], ss
algs = [s["algorithm"] for s in ss]
assert any("gost" in a for a in algs) and any("rsa" in a.lower() for a in algs), algs
m = ss[d["identity_match"]["signer"]]
assert m["identity"][kind] == want, (m, want)
assert ("gost" in m["algorithm"]) == (kind == "iin"), m
PY
	done
done
tb_tanba sign --key gost --add-to "$TB_TMP/r.detached.p7s" --digest "streebog512:$dg" \
    -o "$TB_TMP/x" 2>"$TB_TMP/err" && tb_fail "co-signed an RSA-only detached CMS by a Streebog digest"
grep -q "no existing signer to check it" "$TB_TMP/err" || tb_fail "digest only: $(cat "$TB_TMP/err")"
tb_tanba sign --key gost --add-to "$TB_TMP/r.detached.p7s" --detached-content "$TB_TMP/gb/d1.txt" \
    -o "$TB_TMP/x" 2>"$TB_TMP/err" && tb_fail "co-signed other content"
grep -q "not the content signer 0 signed" "$TB_TMP/err" || tb_fail "other content: $(cat "$TB_TMP/err")"
tb_tanba sign --key gost --countersign 0 -o "$TB_TMP/x" "$TB_TMP/r.attached.p7s" \
    2>"$TB_TMP/err" && tb_fail "a GOST file key counter-signed"
grep -q "counter-signatures are for token keys" "$TB_TMP/err" ||
    tb_fail "countersign: $(cat "$TB_TMP/err")"

tb_log "XML with the GOST key through tanbad: the Kazakh URIs, VALID with the identity"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<doc xmlns:a="urn:a"><data Id="d1"><a:item>Өтініш: Әлиханов Ғалым</a:item></data><note>x</note></doc>\n' \
    > "$TB_TMP/g.xml"
tb_tanba sign --key gost --format xml -o "$TB_TMP/g-all.xml" "$TB_TMP/g.xml" ||
    tb_fail "sign --format xml --key gost"
KZ=urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms
grep -qF "Algorithm=\"$KZ:gostr34102015-gostr34112015-512\"" "$TB_TMP/g-all.xml" &&
    grep -qF "Algorithm=\"$KZ:gostr34112015-512\"" "$TB_TMP/g-all.xml" ||
    { cat "$TB_TMP/g-all.xml"; tb_fail "not the Kazakh GOST URIs"; }
verify_expect VALID --iin "$IIN" "$TB_TMP/g-all.xml"
verify_expect IDENTITY_MISMATCH --iin 000000000000 --no-check-iin-checksum "$TB_TMP/g-all.xml"
tb_tanba sign --key gost --format xml --reference '#d1' -o "$TB_TMP/g-d1.xml" "$TB_TMP/g.xml" ||
    tb_fail "sign --format xml --reference #d1 --key gost"
verify_expect VALID --signed-element '#d1' --iin "$IIN" "$TB_TMP/g-d1.xml"
verify_expect SIGNATURE_INVALID --signed-element / "$TB_TMP/g-d1.xml"
# A changed character of the signed text: the reference digest no longer holds.
sed 's/Ғалым/Галым/' "$TB_TMP/g-all.xml" > "$TB_TMP/g-bad.xml"
verify_expect DIGEST_MISMATCH "$TB_TMP/g-bad.xml"
# Without tanba: the document without its signature and the SignedInfo, each
# canonicalized by xmllint --exc-c14n and hashed by the gost engine; the
# value, reversed back to RFC 4491's order, verified by the engine.
if openssl engine gost >/dev/null 2>&1; then
	python3 - "$TB_TMP/g-all.xml" "$TB_TMP/i-doc.xml" "$TB_TMP/i-si.xml" "$TB_TMP/i-sig.bin" \
	    "$TB_TMP/i-dv" <<'PY' || tb_fail "cannot take the GOST XML signature apart"
import base64, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
sig = re.search(r"<ds:Signature .*</ds:Signature>", s, re.S).group(0)
open(sys.argv[2], "w", encoding="utf-8").write(s.replace(sig, "", 1))
si = re.search(r"<ds:SignedInfo[ >].*</ds:SignedInfo>", sig, re.S).group(0)
if si.startswith("<ds:SignedInfo>"):
    si = si.replace("<ds:SignedInfo>", '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">', 1)
open(sys.argv[3], "w", encoding="utf-8").write(si)
clean = lambda v: re.sub(r"\s", "", v.replace("&#13;", ""))
sv = re.search(r"<ds:SignatureValue>(.*)</ds:SignatureValue>", sig, re.S).group(1)
open(sys.argv[4], "wb").write(base64.b64decode(clean(sv))[::-1])
open(sys.argv[5], "w").write(clean(re.search(r"<ds:DigestValue>(.*)</ds:DigestValue>", sig, re.S).group(1)))
PY
	dv=$(xmllint --exc-c14n "$TB_TMP/i-doc.xml" | openssl dgst -engine gost -md_gost12_512 -binary 2>/dev/null | base64 -w0)
	[ "$dv" = "$(cat "$TB_TMP/i-dv")" ] ||
	    tb_fail "xmllint --exc-c14n + engine digest $dv is not the DigestValue $(cat "$TB_TMP/i-dv")"
	xmllint --exc-c14n "$TB_TMP/i-si.xml" | openssl dgst -engine gost -md_gost12_512 -binary \
	    > "$TB_TMP/i-si.md" 2>/dev/null
	openssl pkey -engine gost -in "$G/individual-sign.key" -pubout -out "$TB_TMP/i-pub.pem" 2>/dev/null
	openssl pkeyutl -engine gost -verify -pubin -inkey "$TB_TMP/i-pub.pem" -in "$TB_TMP/i-si.md" \
	    -sigfile "$TB_TMP/i-sig.bin" >"$TB_TMP/i-v.log" 2>&1 ||
	    tb_fail "the gost engine refuses the daemon's GOST XML signature: $(cat "$TB_TMP/i-v.log")"
else
	echo "skip: openssl has no gost engine for the independent XML check"
fi
# The signer's records: the Streebog reference digests, detail xml and
# xml reference #d1.
python3 - "$TB_TMP/audit.log" "$TB_TMP/i-dv" <<'PY' || tb_fail "audit record of the GOST XML signature"
import base64, json, sys
try:    # the DigestValue when the engine check above took it apart
    dv = base64.b64decode(open(sys.argv[2]).read()).hex()
except OSError:
    dv = None
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("op") == "sign" and
        r.get("detail") in ("xml", "xml reference #d1")]
ok = [r["doc_digest"] for r in recs if r["result"] == "ok" and r["key"] == "gost"]
# One over the whole document, one over the element d1, each named so.
assert sorted(r["detail"] for r in recs if r["result"] == "ok" and r["key"] == "gost") == \
    ["xml", "xml reference #d1"], recs
assert len(ok) == 2 and all(d.startswith("streebog512:") and len(d) == 12 + 128 for d in ok), recs
assert dv is None or "streebog512:" + dv in ok, (dv, ok)
PY

tb_log "WS-Security with the GOST key: the signer's Timestamp, VALID with the identity"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:q xmlns:m="urn:egov">Өтініш</m:q></soap:Body></soap:Envelope>\n' \
    > "$TB_TMP/g-soap.xml"
tb_tanba sign --key gost --format wsse -o "$TB_TMP/g-ws.xml" "$TB_TMP/g-soap.xml" ||
    tb_fail "sign --format wsse --key gost"
grep -qF "Algorithm=\"$KZ:gostr34102015-gostr34112015-512\"" "$TB_TMP/g-ws.xml" ||
    tb_fail "wsse: not the Kazakh GOST method"
verify_expect VALID --signed-element Body --iin "$IIN" "$TB_TMP/g-ws.xml"
grep -q '"detail":"wsse timestamp streebog512:[0-9a-f]\{128\}"' "$TB_TMP/audit.log" ||
    tb_fail "no GOST wsse record with the Timestamp's Streebog"

tb_log "an expired certificate in the container: refused at sign time"
tb_tanba sign --key gostexp -o "$TB_TMP/x" "$doc" 2>"$TB_TMP/err" && tb_fail "expired file key signed"
grep -qi "expired" "$TB_TMP/err" || tb_fail "expired: $(cat "$TB_TMP/err")"
tb_tanba sign --key rsa -o "$TB_TMP/rsa.p7s" "$doc" || tb_fail "the token key beside file keys"
tb_verify_cms "$TB_TMP/rsa.p7s" || tb_fail "rsa signature beside file keys"

tb_log "reload with a wrong password: the old key keeps signing, the log says why"
sed -i "s|^p12_password_file = $TB_TMP/p12.pw\$|p12_password_file = $TB_TMP/wrong.pw|" "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
tb_wait_log "reload failed.*wrong password" || tb_fail "no word of the wrong password at reload"
tb_tanba sign --key gost -o "$TB_TMP/after-bad.p7s" "$doc" || tb_fail "the old key stopped signing"
verify_expect VALID --iin "$IIN" "$TB_TMP/after-bad.p7s"

tb_log "reload with a broken container: the old key keeps signing"
sed -i "s|wrong.pw\$|p12.pw|" "$TB_CONF"
cp "$TB_TMP/gost.p12" "$TB_TMP/gost.p12.good"
head -c 700 "$TB_TMP/gost.p12.good" > "$TB_TMP/gost.p12"
n0=$(grep -c "reload failed" "$TB_TMP/tanbad.log")
kill -HUP "$TB_DAEMON_PID"
i=0
while [ "$(grep -c "reload failed" "$TB_TMP/tanbad.log")" -le "$n0" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ $i -lt 100 ] || tb_fail "no word of the broken container at reload"
grep "reload failed" "$TB_TMP/tanbad.log" | tail -n 1 | grep -q "key gost: $TB_TMP/gost.p12" ||
    tb_fail "the reload failure does not name the container: $(grep "reload failed" "$TB_TMP/tanbad.log" | tail -n 1)"
tb_tanba sign --key gost -o "$TB_TMP/after-broken.p7s" "$doc" || tb_fail "the old key stopped signing"

tb_log "SIGHUP with a new container at the same path: the key rotates"
cp "$TB_TMP/gostnew.p12" "$TB_TMP/gost.p12"
sed -i "s|^p12_password_file = $TB_TMP/p12.pw\$|p12_password_file = $TB_TMP/p12new.pw|" "$TB_CONF"
sed -i "/^\[key \"gostexp\"\]/,/^\$/s|p12new.pw|p12.pw|" "$TB_CONF"
kill -HUP "$TB_DAEMON_PID"
NEWSERIAL=$(openssl x509 -in "$G/legal-sign.pem" -noout -serial | sed 's/^serial=//')
gost_serial() {
	tb_tanba keys --json | python3 -c 'import json,sys; print([k["serial"] for k in json.load(sys.stdin)["keys"] if k["name"] == "gost"][0])'
}
i=0
until [ "$(gost_serial | tr a-f A-F)" = "$NEWSERIAL" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || tb_fail "the new container's certificate did not appear"
	sleep 0.1
done
tb_tanba sign --key gost -o "$TB_TMP/rot.p7s" "$doc" || tb_fail "sign after rotation"
verify_expect VALID --bin "$BIN" "$TB_TMP/rot.p7s"
"$CHECK" "$TB_TMP/rot.p7s" "$G/legal-sign.pem" || tb_fail "gost-check after rotation"
grep '"op":"key-change"' "$TB_TMP/audit.log" | grep '"key":"gost"' |
    grep -q "certificate changed" || tb_fail "no key-change record for the rotation"
[ "$(grep '"op":"sign"' "$TB_TMP/audit.log" | grep '"key":"gost"' | grep -c '"result":"ok"')" -ge 6 ] ||
    tb_fail "fewer sign records for key gost than signatures"
tb_stop_daemon

tb_log "start with a wrong password: refused, clearly"
sed "s|p12new.pw|wrong.pw|" "$TB_CONF" > "$TB_TMP/wrong.conf"
tb_run_daemon_expect_fail "$TB_TMP/wrong.conf" || tb_fail "tanbad started with a wrong password"
echo "$TB_DAEMON_ERR" | grep -q "key gost: .*gost.p12: wrong password" ||
    tb_fail "wrong password at start: $TB_DAEMON_ERR"

tb_log "an RSA container as a file key: refused, pointed at tanba-admin key import"
cp "$TB_TMP/token.conf" "$TB_TMP/rsa.conf"
printf '\n[key "rsafile"]\np12 = %s\np12_password_file = %s\n' "$TB_TMP/rsa.p12" \
    "$TB_TMP/p12.pw" >> "$TB_TMP/rsa.conf"
tb_run_daemon_expect_fail "$TB_TMP/rsa.conf" || tb_fail "tanbad started with an RSA file key"
echo "$TB_DAEMON_ERR" | grep -q "RSA key.*tanba-admin key import" ||
    tb_fail "RSA container: $TB_DAEMON_ERR"

tb_log "a container others may read: refused"
chmod 0644 "$TB_TMP/gost.p12"
sed "s|wrong.pw|p12new.pw|" "$TB_TMP/wrong.conf" > "$TB_TMP/open.conf"
tb_run_daemon_expect_fail "$TB_TMP/open.conf" || tb_fail "tanbad started with a world-readable container"
echo "$TB_DAEMON_ERR" | grep -q "gost.p12" || tb_fail "world-readable: $TB_DAEMON_ERR"
chmod 0600 "$TB_TMP/gost.p12"

tb_log "a missing container, or one whose certificate is another key's: refused, naming it"
sed "s|^p12 = $TB_TMP/gost.p12\$|p12 = $TB_TMP/none.p12|" "$TB_TMP/open.conf" > "$TB_TMP/none.conf"
tb_run_daemon_expect_fail "$TB_TMP/none.conf" || tb_fail "tanbad started without its container"
echo "$TB_DAEMON_ERR" | grep -q "key gost: p12: .*none.p12" || tb_fail "missing: $TB_DAEMON_ERR"
p12 "$G/legal-sign.pem" "$G/individual-sign.key" "$TB_TMP/p12new.pw" "$TB_TMP/other.p12"
sed "s|^p12 = $TB_TMP/gost.p12\$|p12 = $TB_TMP/other.p12|" "$TB_TMP/open.conf" > "$TB_TMP/other.conf"
tb_run_daemon_expect_fail "$TB_TMP/other.conf" || tb_fail "tanbad started with another key's certificate"
echo "$TB_DAEMON_ERR" | grep -q "key gost: .*other.p12: .*not the key of its certificate" ||
    tb_fail "another key's certificate: $TB_DAEMON_ERR"

tb_log "no password in any log or record"
for f in "$TB_TMP/tanbad.log" "$TB_TMP/refused.log" "$TB_TMP/audit.log"; do
	for p in "$PW" "$PW2"; do
		! grep -qF "$p" "$f" || tb_fail "a password is in $f"
	done
done
echo "PASS"
