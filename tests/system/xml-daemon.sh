#!/bin/sh
# The verify op on XML through the real tanbad (docs/XML.md): an xmlsec1
# signature over the test PKI, told XML by its first byte, by "format"
# and by the "xml" field; the signer's identity and per-signature verdict;
# signed_element; a bad "format"; malformed XML answered MALFORMED with a
# reason while the daemon keeps serving; the audit record of the verify;
# a lowered [verify] xml_max_depth, reloaded, makes the same document
# MALFORMED naming it and a sign request for it bad_request naming it,
# and the default again VALID; an element of 75,000 attributes refused
# naming xml_max_attributes by verify and sign at once; sign with
# "format":"xml" through the signer process (rsa, ec): VALID for tanba and
# for xmlsec1, the audit record the signer wrote holding the reference
# digest, and the requests an XML signature refuses; a referenced element
# ("reference": "#b1") VALID for tanba with --signed-element and xmlsec1;
# tanba sign --format xml [--reference] and its misuse; WS-Security
# ("format": "wsse", tanba sign --format wsse): the signer's Timestamp and
# record, VALID for tanba with the window checked and for xmlsec1.
TB_NO_START=1
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon
command -v xmlsec1 >/dev/null || { echo "skip: no xmlsec1"; exit 77; }

cat >> "$TB_CONF" <<CONF

[verify]
anchors = $TB_PKI/root.pem
untrusted = $TB_PKI/chain.pem
max_time_ms = $((2000 * TB_TIME_SCALE))
check_iin_checksum = no
CONF
grep -q '^\[audit\]' "$TB_CONF" || printf '\n[audit]\nfile = %s\n' "$TB_TMP/audit.log" >> "$TB_CONF"
# Every refusal on record (no per-window bound): the tests count them.
sed -i 's/^\[audit\]$/&\nrefusal_records = 0/' "$TB_CONF"
grep -q '^\[client ' "$TB_CONF" || printf '\n[client "xml-test"]\nuser = %s\nops = sign keys status verify check-cert\nkeys = rsa ec\n' \
    "$(id -un)" >> "$TB_CONF"
tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"
P=$TB_PKI
T=$TB_TMP
IIN=$(sed -n 's/^individual-sign .*iin=\([0-9]*\).*/\1/p' "$P/manifest.txt")

cat > "$T/doc.tmpl" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<request><body Id="b1">Анықтама: Қазақстан</body><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#b1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></request>
XML
xmlsec1 --sign --privkey-pem "$P/individual-sign.key,$P/individual-sign.pem" --id-attr:Id body \
    --output "$T/doc.xml" "$T/doc.tmpl" >"$T/xmlsec.log" 2>&1 || tb_fail "xmlsec1 --sign: $(cat "$T/xmlsec.log")"

python3 - "$TB_SOCK" "$T/doc.xml" "$IIN" <<'PY' || tb_fail "verify op on XML"
import base64, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1])
doc = open(sys.argv[2], "rb").read()
b = base64.b64encode(doc).decode()
iin = sys.argv[3]
# told by the first byte, by "format", and by the "xml" field
for n, req in enumerate([{"cms": b}, {"cms": b, "format": "xml"}, {"xml": b}]):
    req.update({"id": n + 1, "op": "verify", "iin": iin, "lang": "en"})
    a = ask(s, req)
    assert a["ok"] is True and a["verdict"] == "VALID" and a["format"] == "xml", a
    sg = a["signers"][0]
    assert sg["verdict"] == "VALID" and sg["identity"]["iin"] == iin, sg
    assert sg["references"] == [{"uri": "#b1", "node": "/request/body", "element": "body",
                                 "digest_ok": True}], sg["references"]
a = ask(s, {"id": 10, "op": "verify", "cms": b, "format": "cms"})
assert a["ok"] is True and a["verdict"] == "MALFORMED" and "format" not in a, a
a = ask(s, {"id": 11, "op": "verify", "cms": b, "format": "pdf"})
assert a["ok"] is False and a["error"]["code"] == "bad_request", a
# signature wrapping: the whole request must be signed, only body is
a = ask(s, {"id": 12, "op": "verify", "xml": b, "signed_element": "/"})
assert a["ok"] is True and a["verdict"] == "SIGNATURE_INVALID", a
assert a["reasons"][0]["id"] == "SIGNATURE_INVALID.xml_not_covered", a["reasons"]
a = ask(s, {"id": 13, "op": "verify", "xml": b, "signed_element": "#b1"})
assert a["ok"] is True and a["verdict"] == "VALID", a
a = ask(s, {"id": 14, "op": "verify", "xml": b, "signed_element": "#nope"})
assert a["ok"] is False and a["error"]["code"] == "bad_request", a
# hostile and broken XML: a verdict with a reason, and the next request served
bad = [b"<a><b></a>", b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
       b"<a>" + b"<e>" * 5000 + b"</e>" * 5000 + b"</a>", b"<a/>",
       doc.replace(b'Id="b1"', b'Id="b1"><x Id="b1"/', 1)]
for n, x in enumerate(bad):
    a = ask(s, {"id": 20 + n, "op": "verify", "xml": base64.b64encode(x).decode()})
    assert a["ok"] is True and a["verdict"] == "MALFORMED" and a["reasons"][0].get("detail"), a
a = ask(s, {"id": 30, "op": "verify", "xml": b})
assert a["ok"] is True and a["verdict"] == "VALID", a
# An attribute flood (libxml2 checks duplicates quadratically): refused
# before parsing by verify and by sign, and the daemon serves on.
import itertools, string
names = itertools.product(string.ascii_letters.encode(), repeat=3)
flood = base64.b64encode(b"<a " + b" ".join(bytes(n) + b'=""' for n in
                                            itertools.islice(names, 75000)) + b"/>").decode()
a = ask(s, {"id": 31, "op": "verify", "xml": flood})
assert a["ok"] is True and a["verdict"] == "MALFORMED", a
assert "xml_max_attributes" in a["reasons"][0]["detail"], a["reasons"]
a = ask(s, {"id": 32, "op": "sign", "key": "rsa", "format": "xml", "data": flood})
assert a["ok"] is False and a["error"]["code"] == "bad_request", a
assert "xml_max_attributes" in a["error"]["message"], a
a = ask(s, {"id": 33, "op": "verify", "xml": b})
assert a["ok"] is True and a["verdict"] == "VALID", a
PY
tb_tanba verify --iin "$IIN" "$T/doc.xml" >"$T/out" 2>"$T/err" || tb_fail "tanba verify XML: $(cat "$T/out" "$T/err")"
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "tanba verify XML: $(cat "$T/out")"
tb_tanba verify --signed-element / "$T/doc.xml" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = SIGNATURE_INVALID ] || tb_fail "--signed-element /: $(cat "$T/out" "$T/err")"
tb_tanba status >/dev/null || tb_fail "daemon stopped serving after malformed XML"

# request/Signature/SignedInfo/Reference/Transforms/Transform: 6 deep
verify_after_reload() {
	n=$(tb_reloads)
	kill -HUP "$TB_DAEMON_PID"
	tb_wait_reload "$n" || tb_fail "no reload after SIGHUP"
	tb_tanba verify "$T/doc.xml" >"$T/out" 2>"$T/err"
}
sed -i 's/^check_iin_checksum = no$/&\nxml_max_depth = 5/' "$TB_CONF"
verify_after_reload
[ "$(answer_verdict "$T/out")" = MALFORMED ] && grep -q xml_max_depth "$T/out" ||
    tb_fail "xml_max_depth = 5: $(cat "$T/out" "$T/err")"
# The XML signer takes the document under the same configured limits.
python3 - "$TB_SOCK" "$T/doc.xml" <<'PY' || tb_fail "sign under xml_max_depth = 5"
import base64, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1])
b = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
a = ask(s, {"id": 35, "op": "sign", "key": "rsa", "format": "xml", "data": b})
assert a["ok"] is False and a["error"]["code"] == "bad_request", a
assert "xml_max_depth" in a["error"]["message"], a
PY
sed -i '/^xml_max_depth = 5$/d' "$TB_CONF"
verify_after_reload
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "default xml_max_depth: $(cat "$T/out" "$T/err")"

# A document with a default namespace and xml:lang on its root: neither
# may enter the SignedInfo the signer built without seeing the document.
printf '<?xml version="1.0" encoding="UTF-8"?>\n<r xmlns="urn:r" xmlns:p="urn:p" xml:lang="kk"><p:x a="1">Анықтама</p:x></r>\n' > "$T/plain.xml"
REF=$(xmllint --exc-c14n "$T/plain.xml" | openssl dgst -sha256 -r | cut -d' ' -f1)
python3 - "$TB_SOCK" "$T/plain.xml" "$T" <<'PY' || tb_fail "sign op with format xml"
import base64, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1])
b = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
for n, key in enumerate(["rsa", "ec"]):
    a = ask(s, {"id": 40 + n, "op": "sign", "key": key, "data": b, "format": "xml"})
    assert a["ok"] is True and a["format"] == "xml" and "cms" not in a, a
    assert a["key"] == key and a["signing_time"] and a["signer"], a
    out = base64.b64decode(a["xml"])
    assert out.count(b"<ds:Signature xmlns") == 1 and b'xml:lang="kk"' in out, out
    open(os.path.join(sys.argv[3], "signed-%s.xml" % key), "wb").write(out)
    v = ask(s, {"id": 50 + n, "op": "verify", "xml": a["xml"], "signed_element": "/"})
    assert v["ok"] is True and v["verdict"] == "VALID", v
    assert v["signers"][0]["references"][0]["uri"] == "", v["signers"][0]
# what an XML signature has no place for, and a format tanba does not sign
for n, extra in enumerate([{"digest": "sha256:" + "00" * 32}, {"detached": True},
                           {"timestamp": True}, {"format": "pdf"}, {"cms": b},
                           {"attached": True}, {"policy": "1.2.398.3.3.2.3"},
                           {"countersign": 0}, {"signer": 0}]):
    req = {"id": 60 + n, "op": "sign", "key": "rsa", "data": b, "format": "xml"}
    req.update(extra)
    a = ask(s, req)
    assert a["ok"] is False and a["error"]["code"] == "bad_request", (extra, a)
    assert "format" in extra or a["error"].get("field") == list(extra)[0], (extra, a)
# not XML, or XML tanba would refuse to verify: bad_request, nothing signed
for n, doc in enumerate([b"not xml", b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
                         b'<a><b Id="x"/><c Id="x"/></a>']):
    a = ask(s, {"id": 70 + n, "op": "sign", "key": "rsa", "format": "xml",
                "data": base64.b64encode(doc).decode()})
    assert a["ok"] is False and a["error"]["code"] == "bad_request", a
PY
for key in rsa ec; do
	xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/chain.pem" \
	    "$T/signed-$key.xml" >"$T/xmlsec.log" 2>&1 ||
	    tb_fail "xmlsec1 --verify of the $key XML signature: $(cat "$T/xmlsec.log")"
done
# The signer's records: "xml", the reference digest it put in SignedInfo, one a signature.
python3 - "$TB_TMP/audit.log" "$REF" <<'PY' || tb_fail "audit records of the XML signatures"
import json, sys
recs = [r for r in map(json.loads, open(sys.argv[1])) if r.get("op") == "sign"]
xml = [r for r in recs if r.get("detail") == "xml"]
assert [r["key"] for r in xml] == ["rsa", "ec"], recs
for r in xml:
    assert r["result"] == "ok" and r["doc_digest"] == "sha256:" + sys.argv[2], r
    assert r["sig_digest"] and r["attrs_digest"] and "source" not in r, r
PY
"$top_builddir/ca-tools/tanba-admin" audit-verify "$TB_TMP/audit.log" >/dev/null || tb_fail "audit-verify after XML signing"
# A referenced element: URI="#b1" in the SignedInfo the signer built; VALID
# for tanba with that element required, for xmlsec1 with Id as the ID
# attribute. A reference to nothing, one that is no "#" and NCName, or
# "reference" on a CMS signature: bad_request.
printf '<?xml version="1.0" encoding="UTF-8"?>\n<request><body Id="b1">Анықтама</body><other>x</other></request>\n' > "$T/part.xml"
python3 - "$TB_SOCK" "$T/part.xml" "$T" <<'PY' || tb_fail "sign op with a reference"
import base64, json, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1])
b = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
for n, key in enumerate(["rsa", "ec"]):
    a = ask(s, {"id": 80 + n, "op": "sign", "key": key, "data": b, "format": "xml",
                "reference": "#b1"})
    assert a["ok"] is True and a["format"] == "xml", a
    out = base64.b64decode(a["xml"])
    assert b'<ds:Reference URI="#b1">' in out, out
    open(os.path.join(sys.argv[3], "part-%s.xml" % key), "wb").write(out)
# The signer's record names the element its SignedInfo references.
recs = [json.loads(l) for l in open(os.path.join(sys.argv[3], "audit.log"))]
refd = [r for r in recs if r.get("detail") == "xml reference #b1"]
assert [(r["key"], r["result"]) for r in refd] == [("rsa", "ok"), ("ec", "ok")], recs
for n, (ref, fmt) in enumerate([("#nosuch", "xml"), ('#b1"', "xml"), ("b1", "xml"),
                                ("#b1", "cms"), ("#b1", None)]):
    req = {"id": 85 + n, "op": "sign", "key": "rsa", "data": b, "reference": ref}
    if fmt:
        req["format"] = fmt
    a = ask(s, req)
    assert a["ok"] is False and a["error"]["code"] == "bad_request", (ref, a)
PY
for key in rsa ec; do
	tb_tanba verify --signed-element '#b1' "$T/part-$key.xml" >"$T/out" 2>"$T/err"
	[ "$(answer_verdict "$T/out")" = VALID ] ||
	    tb_fail "--signed-element #b1 ($key): $(cat "$T/out" "$T/err")"
	tb_tanba verify --signed-element / "$T/part-$key.xml" >"$T/out" 2>"$T/err"
	[ "$(answer_verdict "$T/out")" = SIGNATURE_INVALID ] ||
	    tb_fail "--signed-element / over #b1 ($key): $(cat "$T/out" "$T/err")"
	xmlsec1 --verify --id-attr:Id body --trusted-pem "$P/root.pem" \
	    --untrusted-pem "$P/chain.pem" "$T/part-$key.xml" >"$T/xmlsec.log" 2>&1 ||
	    tb_fail "xmlsec1 --verify of #b1 ($key): $(cat "$T/xmlsec.log")"
done

# tanba sign --format xml: a file or stdin, the whole document or "#b1".
tb_tanba sign --key rsa --format xml --reference '#b1' -o "$T/cli-b1.xml" "$T/part.xml" ||
    tb_fail "tanba sign --format xml --reference #b1"
tb_tanba verify --signed-element '#b1' "$T/cli-b1.xml" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "CLI #b1: $(cat "$T/out" "$T/err")"
tb_tanba sign --key ec --format xml --digest-alg sha384 < "$T/plain.xml" > "$T/cli-all.xml" ||
    tb_fail "tanba sign --format xml from stdin"
grep -q 'ecdsa-sha384' "$T/cli-all.xml" || tb_fail "--digest-alg sha384 not taken"
tb_tanba verify --signed-element / "$T/cli-all.xml" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "CLI whole document: $(cat "$T/out" "$T/err")"
# misuse: exit 2, a message, nothing written
for args in "--format xml --detached" "--format xml --pem" "--format xml --timestamp" \
    "--reference #b1" "--format pdf" "--format xml --reference #nosuch" "--format xml --ttl 60"; do
	rm -f "$T/cli-x.xml"
	# shellcheck disable=SC2086
	tb_tanba sign --key rsa $args -o "$T/cli-x.xml" "$T/part.xml" 2>"$T/err"
	rc=$?
	[ "$rc" = 2 ] && [ -s "$T/err" ] && [ ! -e "$T/cli-x.xml" ] ||
	    tb_fail "tanba sign $args: exit $rc, $(cat "$T/err")"
done

# WS-Security through tanbad: a SOAP envelope signed with rsa and ec, the
# Timestamp made by the signer's clock (Created within the request, Expires
# ttl later); VALID for the verify op with the Body named; the signer's
# record holds the Body's digest and the Timestamp's; refusals.
cat > "$T/soap.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:getStatus xmlns:m="urn:egov"><m:iin>900101300126</m:iin><m:note>Өтініш</m:note></m:getStatus></soap:Body></soap:Envelope>
XML
python3 - "$TB_SOCK" "$T/soap.xml" "$T" "$TB_TMP/audit.log" <<'PY' || tb_fail "sign op with format wsse"
import base64, calendar, hashlib, json, os, re, sys, time
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1])
b = base64.b64encode(open(sys.argv[2], "rb").read()).decode()
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
when = lambda t: calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))
for n, key in enumerate(["rsa", "ec"]):
    t0 = int(time.time())
    a = ask(s, {"id": 100 + n, "op": "sign", "key": key, "data": b, "format": "wsse", "ttl": 600})
    t1 = int(time.time())
    assert a["ok"] is True and a["format"] == "wsse" and "cms" not in a, a
    out = base64.b64decode(a["xml"]).decode()
    open(os.path.join(sys.argv[3], "ws-%s.xml" % key), "w").write(out)
    ts = re.search(r'<wsu:Timestamp wsu:Id="([^"]+)"><wsu:Created>([^<]+)</wsu:Created>'
                   r'<wsu:Expires>([^<]+)</wsu:Expires></wsu:Timestamp>', out)
    assert ts, out
    created, expires = when(ts.group(2)), when(ts.group(3))
    assert t0 <= created <= t1 and expires == created + 600, (t0, t1, ts.groups())
    assert a["signing_time"] == ts.group(2) and a["expires"] == ts.group(3), a
    assert out.count("<ds:Reference URI=") == 2 and "wsse:SecurityTokenReference" in out, out
    assert "wsse:BinarySecurityToken" in out and 'soap:mustUnderstand="1"' in out, out
    v = ask(s, {"id": 110 + n, "op": "verify", "xml": a["xml"], "signed_element": "Body"})
    assert v["ok"] is True and v["verdict"] == "VALID", v
    assert len(v["signers"][0]["references"]) == 2, v["signers"][0]
    # The record: the Timestamp's digest, of the exclusive c14n of the one written.
    canon = ('<wsu:Timestamp xmlns:wsu="%s" wsu:Id="%s"><wsu:Created>%s</wsu:Created>'
             '<wsu:Expires>%s</wsu:Expires></wsu:Timestamp>' % ((WSU,) + ts.groups()))
    recs = [r for r in map(json.loads, open(sys.argv[4])) if r.get("op") == "sign"]
    assert recs[-1]["result"] == "ok" and recs[-1]["key"] == key, recs[-1]
    assert recs[-1]["detail"] == "wsse timestamp sha256:" + hashlib.sha256(canon.encode()).hexdigest(), (recs[-1], canon)
    assert recs[-1]["doc_digest"].startswith("sha256:"), recs[-1]
# A Body with its own wsu:Id keeps it; one that is no XML name is refused.
own = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsu="%s">'
       '<soap:Header/><soap:Body wsu:Id="%%s"><m:q xmlns:m="urn:egov">1</m:q></soap:Body>'
       '</soap:Envelope>' % WSU)
a = ask(s, {"id": 105, "op": "sign", "key": "rsa", "format": "wsse",
            "data": base64.b64encode((own % "body-1").encode()).decode()})
assert a["ok"] is True, a
out = base64.b64decode(a["xml"]).decode()
assert '<ds:Reference URI="#body-1">' in out and out.count("<soap:Header>") == 1, out
v = ask(s, {"id": 106, "op": "verify", "xml": a["xml"], "signed_element": "#body-1"})
assert v["ok"] is True and v["verdict"] == "VALID", v
a = ask(s, {"id": 107, "op": "sign", "key": "rsa", "format": "wsse",
            "data": base64.b64encode((own % "1 bad").encode()).decode()})
assert a["ok"] is False and a["error"]["code"] == "bad_request" and "wsu:Id" in a["error"]["message"], a
signed = base64.b64encode(open(os.path.join(sys.argv[3], "ws-rsa.xml"), "rb").read()).decode()
plain = base64.b64encode(b"<a><b/></a>").decode()
for n, req in enumerate([{"data": plain}, {"data": signed}, {"data": b, "ttl": 0},
                         {"data": b, "ttl": 86401}, {"data": b, "ttl": "60"},
                         {"data": b, "reference": "#x"}, {"data": b, "detached": True}]):
    req.update({"id": 120 + n, "op": "sign", "key": "rsa", "format": "wsse"})
    a = ask(s, req)
    assert a["ok"] is False and a["error"]["code"] == "bad_request", (req, a)
a = ask(s, {"id": 130, "op": "sign", "key": "rsa", "data": b, "ttl": 60})
assert a["ok"] is False and a["error"]["code"] == "bad_request", a
PY
RSA_CERT=$P/rsa-sign.pem
[ -f "$RSA_CERT" ] || RSA_CERT=$P/legal-sign.pem
for key in rsa ec; do
	tb_tanba verify --signed-element Body "$T/ws-$key.xml" >"$T/out" 2>"$T/err"
	[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "tanba verify wsse ($key): $(cat "$T/out" "$T/err")"
	# the window: past Expires (600 s), and before Created less the 300 s of skew
	tb_tanba verify --at "$(date -u -d '+15 min' +%Y-%m-%dT%H:%M:%SZ)" "$T/ws-$key.xml" >"$T/out" 2>"$T/err"
	[ "$(answer_verdict "$T/out")" = SIGNATURE_INVALID ] && grep -q "has expired" "$T/out" ||
	    tb_fail "wsse ($key) after Expires: $(cat "$T/out" "$T/err")"
	tb_tanba verify --at "$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)" "$T/ws-$key.xml" >"$T/out" 2>"$T/err"
	[ "$(answer_verdict "$T/out")" = SIGNATURE_INVALID ] && grep -q "created after" "$T/out" ||
	    tb_fail "wsse ($key) before Created: $(cat "$T/out" "$T/err")"
done
# xmlsec1 does not follow a SecurityTokenReference: it is given the certificate.
xmlsec1 --verify --pubkey-cert-pem "$RSA_CERT" --id-attr:Id Body --id-attr:Id Timestamp \
    "$T/ws-rsa.xml" >"$T/xmlsec.log" 2>&1 || tb_fail "xmlsec1 --verify wsse: $(cat "$T/xmlsec.log")"
xmlsec1 --verify --pubkey-cert-pem "$P/ec-sign.pem" --id-attr:Id Body --id-attr:Id Timestamp \
    "$T/ws-ec.xml" >"$T/xmlsec.log" 2>&1 || tb_fail "xmlsec1 --verify wsse (ec): $(cat "$T/xmlsec.log")"
tb_tanba sign --key rsa --format wsse --ttl 120 -o "$T/ws-cli.xml" "$T/soap.xml" ||
    tb_fail "tanba sign --format wsse"
tb_tanba verify --signed-element Body "$T/ws-cli.xml" >"$T/out" 2>"$T/err"
[ "$(answer_verdict "$T/out")" = VALID ] || tb_fail "tanba sign --format wsse: $(cat "$T/out" "$T/err")"

# A document written back longer than it came in (each ">" as "&gt;"): past
# max_frame_bytes only once signed. Refused too_large, and the signer's ok
# record is followed by one saying the signature was withheld.
python3 - "$TB_SOCK" "$TB_TMP/audit.log" <<'PY' || tb_fail "XML written back past max_frame_bytes"
import base64, json, os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "system"))
from tbframe import connect, ask
s = connect(sys.argv[1])
doc = b"<a>" + b">" * 300000 + b"</a>"
a = ask(s, {"id": 90, "op": "sign", "key": "rsa", "format": "xml",
            "data": base64.b64encode(doc).decode()})
assert a["ok"] is False and a["error"]["code"] == "too_large", a
recs = [r for r in map(json.loads, open(sys.argv[2])) if r.get("op") == "sign"]
assert recs[-2]["result"] == "ok" and recs[-2]["detail"] == "xml", recs[-2:]
assert recs[-1]["result"] != "ok" and "withheld" in recs[-1]["detail"], recs[-1]
assert recs[-1]["doc_digest"] == recs[-2]["doc_digest"], recs[-2:]
# The same for a SOAP envelope: made and recorded by the signer, then withheld.
doc = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
       + b">" * 300000 + b"</soap:Body></soap:Envelope>")
a = ask(s, {"id": 91, "op": "sign", "key": "rsa", "format": "wsse",
            "data": base64.b64encode(doc).decode()})
assert a["ok"] is False and a["error"]["code"] == "too_large", a
recs = [r for r in map(json.loads, open(sys.argv[2])) if r.get("op") == "sign"]
assert recs[-2]["result"] == "ok" and recs[-2]["detail"].startswith("wsse timestamp"), recs[-2:]
assert recs[-1]["result"] != "ok" and "withheld" in recs[-1]["detail"], recs[-1]
assert recs[-1]["doc_digest"] == recs[-2]["doc_digest"], recs[-2:]
PY
tb_stop_daemon
[ "$TB_DAEMON_RC" = 0 ] || tb_fail "tanbad exited with $TB_DAEMON_RC"
echo "PASS: verify op on XML"
