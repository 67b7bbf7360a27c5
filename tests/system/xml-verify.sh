#!/bin/sh
# tanba verify --offline on XML signatures (docs/XML.md): RSA made by
# xmlsec1 (URI="" and URI="#id", c14n and exclusive c14n), GOST 2015-512
# assembled as NCALayer writes it (Kazakh URIs, reversed value, &#13;
# line breaks) by tests/system/xml-testsign; GOST 2015-256 and the legacy GOST
# 34.310-2004 signed by tanba; every defence with its reason; and the
# independent checks: xmlsec1 --verify, xmllint --c14n + the gost engine
# (rhash --gost94 for GOST 2004's test-S-box hash).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VERDICT_TEST=xml
. "$top_srcdir/tests/system/setup.sh"
verdict_setup
GOSTSIGN=${GOSTSIGN:-"$top_builddir/tests/system/xml-testsign"}
command -v xmlsec1 >/dev/null || { echo "skip: no xmlsec1 (Debian xmlsec1)"; exit 77; }
command -v xmllint >/dev/null || { echo "skip: no xmllint (Debian libxml2-utils)"; exit 77; }

P=$T/rsa
"$TESTPKI" hierarchy --out "$P" >"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
OFF="--offline --anchors $P/root.pem --untrusted $P/chain.pem --no-revocation"
IIN=$(sed -n 's/^individual-sign .*iin=\([0-9]*\).*/\1/p' "$P/manifest.txt")
DS='xmlns:ds="http://www.w3.org/2000/09/xmldsig#"'
C14N=http://www.w3.org/TR/2001/REC-xml-c14n-20010315
EXC=http://www.w3.org/2001/10/xml-exc-c14n#
ENV=http://www.w3.org/2000/09/xmldsig#enveloped-signature

# gost_md MD: the binary hash of stdin by the gost engine (md_gost12_512,
# md_gost12_256), or for gost94-test by rhash --gost94: GOST 34.311-95's
# test S-box, which the engine's md_gost94 (CryptoPro S-box) is not.
gost_md() {
	if [ "$1" = gost94-test ]; then
		rhash --gost94 --simple - |
		    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().split()[0]))'
	else
		openssl dgst -engine gost -"$1" -binary 2>/dev/null
	fi
}

# gost_independent SIGNED KEY MD WHAT: without tanba, the GOST signature of
# SIGNED (one enveloped signature over URI="", no comments) checks out:
# the document without its signature and the SignedInfo canonicalized by
# xmllint --c14n, hashed and verified by the gost engine through openssl,
# the value reversed back to RFC 4491 order.
gost_independent() {
	if ! openssl engine gost >/dev/null 2>&1; then
		echo "skip: openssl has no gost engine for the independent check"
		return 0
	fi
	python3 - "$1" "$T/i-doc.xml" "$T/i-si.xml" "$T/i-sig.bin" "$T/i-dv" <<'PY' || { fail "$4: cannot take the signature apart"; return 0; }
import base64, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
sig = re.search(r"<ds:Signature .*</ds:Signature>", s, re.S).group(0)
open(sys.argv[2], "w", encoding="utf-8").write(s.replace(sig, "", 1))
si = re.search(r"<ds:SignedInfo>.*</ds:SignedInfo>", sig, re.S).group(0)
si = si.replace("<ds:SignedInfo>", '<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">', 1)
open(sys.argv[3], "w", encoding="utf-8").write(si)
clean = lambda v: re.sub(r"\s", "", v.replace("&#13;", ""))
sv = re.search(r"<ds:SignatureValue>(.*)</ds:SignatureValue>", sig, re.S).group(1)
open(sys.argv[4], "wb").write(base64.b64decode(clean(sv))[::-1])   # NCA order back to RFC 4491's
dv = re.search(r"<ds:DigestValue>(.*)</ds:DigestValue>", sig, re.S).group(1)
open(sys.argv[5], "w").write(clean(dv))
PY
	xmllint --c14n "$T/i-doc.xml" | gost_md "$3" | base64 -w0 > "$T/i-dv-engine"
	[ "$(cat "$T/i-dv-engine")" = "$(cat "$T/i-dv")" ] ||
	    fail "$4: xmllint+engine digest $(cat "$T/i-dv-engine") differs from DigestValue $(cat "$T/i-dv")"
	xmllint --c14n "$T/i-si.xml" | gost_md "$3" > "$T/i-si.md"
	openssl pkey -engine gost -in "$2" -pubout -out "$T/i-pub.pem" 2>/dev/null
	if openssl pkeyutl -engine gost -verify -pubin -inkey "$T/i-pub.pem" -in "$T/i-si.md" \
	    -sigfile "$T/i-sig.bin" >"$T/i-v.log" 2>&1; then
		echo "ok: $4 GOST XML signature: xmllint --c14n + gost engine agree"
	else
		fail "$4: gost engine refuses the SignedInfo: $(cat "$T/i-v.log")"
	fi
}

# template URI C14N-OF-SIGNEDINFO TRANSFORM [BODY]: an enveloped-signature template for xmlsec1
template() {
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<doc xmlns:a="urn:a"><!-- a comment --><data Id="d1"><a:item>Өтініш: Әлиханов Ғалым</a:item></data><note Id="n1">not signed</note>${4:-}<ds:Signature $DS><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="$2"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="$1"><ds:Transforms><ds:Transform Algorithm="$ENV"/><ds:Transform Algorithm="$3"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></doc>
XML
}

# xsign NAME URI C14N TRANSFORM: $T/NAME.xml signed by individual-sign through xmlsec1
xsign() {
	template "$2" "$3" "$4" > "$T/$1.tmpl"
	xmlsec1 --sign --privkey-pem "$P/individual-sign.key,$P/individual-sign.pem" \
	    --id-attr:Id data --output "$T/$1.xml" "$T/$1.tmpl" >"$T/xmlsec.log" 2>&1 ||
	    { cat "$T/xmlsec.log"; exit 99; }
}

# ---- RSA from xmlsec1: the whole document and one element
xsign whole "" "$C14N" "$C14N#WithComments"
expect VALID 0 verify $OFF --json "$T/whole.xml"
grep -q '"format": "xml"' "$T/out" || fail "format not said"
grep -q '"node": "/"' "$T/out" || fail "covered node of URI=\"\" not said"
grep -q "\"iin\": \"$IIN\"" "$T/out" || fail "identity not read"
expect VALID 0 verify $OFF --iin "$IIN" --role individual "$T/whole.xml"
expect IDENTITY_MISMATCH 1 verify $OFF --iin 123456789011 --no-check-iin-checksum "$T/whole.xml"
expect VALID 0 verify $OFF --lang kk "$T/whole.xml"
expect VALID 0 verify $OFF --format xml "$T/whole.xml"
expect MALFORMED 1 verify $OFF --format cms "$T/whole.xml"
xsign elem "#d1" "$EXC" "$EXC"
expect VALID 0 verify $OFF --json "$T/elem.xml"
grep -q '"node": "/doc/data"' "$T/out" || fail "covered node of #d1 not said"
xsign elem10 "#d1" "$C14N#WithComments" "$C14N"
expect VALID 0 verify $OFF "$T/elem10.xml"
# tanba's verdict agrees with xmlsec1's on the same files
xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/ca.pem" --id-attr:Id data \
    "$T/elem.xml" >"$T/xv.log" 2>&1 || fail "xmlsec1 refuses its own #id signature: $(cat "$T/xv.log")"

# ---- tanba signs (libsig tb_xml_sign, the test-PKI key as its signer): xmlsec1 accepts it
printf '<?xml version="1.0" encoding="UTF-8"?>\n<doc><!-- kept --><data Id="d1">Өтініш</data><note>x</note></doc>\n' > "$T/plain.xml"
"$GOSTSIGN" xml "$P/individual-sign.key" "$P/individual-sign.pem" < "$T/plain.xml" > "$T/ts.xml" ||
    fail "tb_xml_sign RSA"
grep -q '&#13;' "$T/ts.xml" || fail "no &#13; line breaks in tanba's signature"
expect VALID 0 verify $OFF --signed-element / "$T/ts.xml"
xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/ca.pem" "$T/ts.xml" >"$T/xv.log" 2>&1 ||
    fail "xmlsec1 refuses tanba's RSA signature: $(cat "$T/xv.log")"
"$GOSTSIGN" xml "$P/individual-sign.key" "$P/individual-sign.pem" '#d1' sha512 < "$T/plain.xml" > "$T/ts-id.xml" ||
    fail "tb_xml_sign RSA #d1"
grep -q 'rsa-sha512' "$T/ts-id.xml" || fail "rsa-sha512 not written"
expect VALID 0 verify $OFF --signed-element data "$T/ts-id.xml"
xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/ca.pem" --id-attr:Id data \
    "$T/ts-id.xml" >"$T/xv.log" 2>&1 || fail "xmlsec1 refuses tanba's #d1 signature: $(cat "$T/xv.log")"
sed 's/Өтініш/Отініш/' "$T/ts.xml" > "$T/ts-changed.xml"
xmlsec1 --verify --trusted-pem "$P/root.pem" --untrusted-pem "$P/ca.pem" "$T/ts-changed.xml" \
    >/dev/null 2>&1 && fail "xmlsec1 accepts a changed document"
expect DIGEST_MISMATCH 1 verify $OFF "$T/ts-changed.xml"
E=$T/ec
if "$TESTPKI" hierarchy --out "$E" --ca-alg ec256 --leaf-alg ec256 >"$T/testpki.log" 2>&1; then
	"$GOSTSIGN" xml "$E/individual-sign.key" "$E/individual-sign.pem" '' sha384 < "$T/plain.xml" > "$T/ts-ec.xml" ||
	    fail "tb_xml_sign ECDSA"
	grep -q 'ecdsa-sha384' "$T/ts-ec.xml" || fail "ecdsa-sha384 not written"
	expect VALID 0 verify --offline --anchors "$E/root.pem" --untrusted "$E/chain.pem" --no-revocation "$T/ts-ec.xml"
	xmlsec1 --verify --trusted-pem "$E/root.pem" --untrusted-pem "$E/ca.pem" "$T/ts-ec.xml" >"$T/xv.log" 2>&1 ||
	    fail "xmlsec1 refuses tanba's ECDSA signature: $(cat "$T/xv.log")"
else
	fail "no EC test PKI: $(tail -n 1 "$T/testpki.log")"
fi

# ---- two signatures: one verdict each, the worst overall
printf '<?xml version="1.0" encoding="UTF-8"?>\n<doc><data Id="d1">Өтініш</data><note Id="n1">келісемін</note></doc>\n' > "$T/two.xml"
"$GOSTSIGN" xml "$P/individual-sign.key" "$P/individual-sign.pem" '#d1' < "$T/two.xml" > "$T/two1.xml" &&
    "$GOSTSIGN" xml "$P/legal-sign.key" "$P/legal-sign.pem" '#n1' < "$T/two1.xml" > "$T/two2.xml" ||
    fail "two signatures"
expect VALID 0 verify $OFF --json "$T/two2.xml"
sed 's/келісемін/келіспеймін/' "$T/two2.xml" > "$T/two-changed.xml"
expect DIGEST_MISMATCH 1 verify $OFF --json "$T/two-changed.xml"
python3 - "$T/out" <<'PY' || fail "per-signature verdicts: $(cat "$T/out")"
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
assert a["verdict"] == "DIGEST_MISMATCH" and len(a["signers"]) == 2, a["verdict"]
v = [s["verdict"] for s in a["signers"]]
assert v == ["VALID", "DIGEST_MISMATCH"], v
assert a["signers"][1]["identity"]["bin"], a["signers"][1]["identity"]
assert a["reasons"][0]["signer"] == 1, a["reasons"]
PY

# ---- WS-Security (tb_xml_sign_wsse): a SOAP message for the e-government gateway
cat > "$T/soap.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:SendMessage xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types"><request><messageId>1</messageId><requestData>Қазақстан</requestData></request></ns2:SendMessage></soap:Body></soap:Envelope>
XML
"$GOSTSIGN" wsse "$P/individual-sign.key" "$P/individual-sign.pem" 300 < "$T/soap.xml" > "$T/ws.xml" ||
    fail "tb_xml_sign_wsse"
grep -q '<wsse:BinarySecurityToken' "$T/ws.xml" && grep -q '<wsu:Timestamp' "$T/ws.xml" ||
    fail "no token or time stamp in the wsse header"
expect VALID 0 verify $OFF --json --signed-element Body "$T/ws.xml"
grep -q '"element": "Timestamp"' "$T/out" && grep -q '"element": "Body"' "$T/out" ||
    fail "Body and Timestamp not both covered"
xmlsec1 --verify --pubkey-cert-pem "$P/individual-sign.pem" --id-attr:Id Body --id-attr:Id Timestamp \
    "$T/ws.xml" >"$T/xv.log" 2>&1 || fail "xmlsec1 refuses tanba's WS-Security signature: $(cat "$T/xv.log")"
later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
earlier=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
expect SIGNATURE_INVALID 1 verify $OFF --at "$later" "$T/ws.xml"
grep -q "has expired (wsu:Expires)" "$T/out" || fail "expired time stamp reason"
expect SIGNATURE_INVALID 1 verify $OFF --at "$earlier" "$T/ws.xml"
grep -q "created after the time of checking" "$T/out" || fail "future time stamp reason"
sed 's/<messageId>1</<messageId>2</' "$T/ws.xml" > "$T/ws-changed.xml"
expect DIGEST_MISMATCH 1 verify $OFF "$T/ws-changed.xml"
# a wsse signature (by xmlsec1) over the Body alone: the time stamp is not signed
WSU=http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd
cat > "$T/ws-body.tmpl" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="$WSU"><wsu:Timestamp wsu:Id="TS-1"><wsu:Created>$earlier</wsu:Created><wsu:Expires>$later</wsu:Expires></wsu:Timestamp><ds:Signature $DS><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="$EXC"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#b-1"><ds:Transforms><ds:Transform Algorithm="$EXC"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature></wsse:Security></soap:Header><soap:Body xmlns:wsu="$WSU" wsu:Id="b-1"><x>1</x></soap:Body></soap:Envelope>
XML
xmlsec1 --sign --privkey-pem "$P/individual-sign.key,$P/individual-sign.pem" --id-attr:Id Body \
    --output "$T/ws-body.xml" "$T/ws-body.tmpl" >"$T/xmlsec.log" 2>&1 || fail "xmlsec1 wsse: $(cat "$T/xmlsec.log")"
expect SIGNATURE_INVALID 1 verify $OFF "$T/ws-body.xml"
grep -q "wsu:Timestamp is not signed" "$T/out" || fail "unsigned time stamp reason"

# ---- changed after signing
sed 's/Әлиханов/Әлиханова/' "$T/whole.xml" > "$T/changed.xml"
expect DIGEST_MISMATCH 1 verify $OFF "$T/changed.xml"
sed 's/not signed/changed/' "$T/elem.xml" > "$T/outside.xml"
expect VALID 0 verify $OFF "$T/outside.xml"
# the SignatureValue altered (one base64 character of its first line)
# (B where it already begins with A: a signature value starts with A one run in 64)
awk '/<ds:SignatureValue>/ && !d { c = /<ds:SignatureValue>A/ ? "B" : "A"; sub(/<ds:SignatureValue>./, "<ds:SignatureValue>" c); d=1 } { print }' "$T/whole.xml" > "$T/badsig.xml"
cmp -s "$T/whole.xml" "$T/badsig.xml" && fail "badsig.xml not altered"
expect SIGNATURE_INVALID 1 verify $OFF "$T/badsig.xml"
# an untrusted signer
expect CHAIN_UNTRUSTED 1 verify --offline --anchors "$P/other-ca.pem" --no-revocation "$T/whole.xml"

# ---- signature wrapping: the caller names what must be signed
expect VALID 0 verify $OFF --signed-element '#d1' "$T/elem.xml"
expect VALID 0 verify $OFF --signed-element data "$T/elem.xml"
expect SIGNATURE_INVALID 1 verify $OFF --signed-element '#n1' "$T/elem.xml"
grep -q "does not cover" "$T/out" || fail "not-covered reason not said"
expect VALID 0 verify $OFF --signed-element '#n1' "$T/whole.xml"
# a second element named data (a wrapped copy) makes the name ambiguous
sed 's|<note |<data>evil</data><note |' "$T/elem.xml" > "$T/twodata.xml"
expect "" 2 verify $OFF --signed-element data "$T/twodata.xml"
grep -q "more than once" "$T/err" || fail "ambiguous signed_element: $(cat "$T/err")"
# a repeated ID: the reference could name either element
sed 's|<note Id="n1">|<note Id="d1">|' "$T/elem.xml" > "$T/dupid.xml"
expect MALFORMED 1 verify $OFF "$T/dupid.xml"
grep -q "ID value occurs more than once" "$T/out" || fail "duplicate ID reason"

# ---- parser defences
{ echo '<?xml version="1.0"?>'; echo '<!DOCTYPE doc [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
  sed 1d "$T/whole.xml" | sed 's|<note Id="n1">not signed|<note Id="n1">\&x;|'; } > "$T/dtd.xml"
expect MALFORMED 1 verify $OFF "$T/dtd.xml"
grep -q "DOCTYPE refused" "$T/out" || fail "DOCTYPE reason"
sed 's|<note Id="n1">not signed</note>|<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>|' "$T/whole.xml" > "$T/xi.xml"
expect DIGEST_MISMATCH 1 verify $OFF "$T/xi.xml"
grep -q "root:" "$T/out" && fail "XInclude was processed"
printf '<doc><a>unclosed</doc>' > "$T/bad.xml"
expect MALFORMED 1 verify $OFF "$T/bad.xml"
grep -q "not well-formed" "$T/out" || fail "parse error reason"
printf '<doc><a>no signature</a></doc>' > "$T/nosig.xml"
expect MALFORMED 1 verify $OFF "$T/nosig.xml"
deep=$(awk 'BEGIN { for (i = 0; i < 100; i++) printf "<e>"; for (i = 0; i < 100; i++) printf "</e>" }')
printf '<doc>%s</doc>' "$deep" > "$T/deep.xml"
expect MALFORMED 1 verify $OFF "$T/deep.xml"
grep -q "deeper" "$T/out" || fail "depth limit reason"

# ---- references and transforms outside the allow-list
sed 's|<ds:Reference URI="">|<ds:Reference URI="http://127.0.0.1:9/doc.xml">|' "$T/whole.xml" > "$T/remote.xml"
expect MALFORMED 1 verify $OFF "$T/remote.xml"
grep -q "outside the document" "$T/out" || fail "remote reference reason"
# Signed by xmlsec1 (valid there), refused here: XPath filters are off the list.
xsign_tr() {
	template "" "$C14N" "$C14N" | sed "s|<ds:Transform Algorithm=\"$C14N\"/>|$2|" > "$T/$1.tmpl"
	xmlsec1 --sign --privkey-pem "$P/individual-sign.key,$P/individual-sign.pem" \
	    --output "$T/$1.xml" "$T/$1.tmpl" >"$T/xmlsec.log" 2>&1 || { cat "$T/xmlsec.log"; exit 99; }
}
xsign_tr xpath '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(self::note)</ds:XPath></ds:Transform>'
expect UNSUPPORTED_ALGORITHM 1 verify $OFF "$T/xpath.xml"
grep -q "transform refused: http://www.w3.org/TR/1999/REC-xpath" "$T/out" || fail "XPath reason"
xsign_tr xpf '<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><f:XPath xmlns:f="http://www.w3.org/2002/06/xmldsig-filter2" Filter="subtract">//note</f:XPath></ds:Transform>'
expect UNSUPPORTED_ALGORITHM 1 verify $OFF "$T/xpf.xml"
grep -q "transform refused: http://www.w3.org/2002/06/xmldsig-filter2" "$T/out" || fail "filter2 reason"
# XSLT (put in after signing: the refusal comes before any stylesheet would run)
sed "s|<ds:Transform Algorithm=\"$C14N#WithComments\"/>|<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>|" "$T/whole.xml" > "$T/xslt.xml"
expect "" 1 verify $OFF "$T/xslt.xml"
grep -q "transform refused: http://www.w3.org/TR/1999/REC-xslt" "$T/out" || fail "XSLT reason"
t5=$(printf "<ds:Transform Algorithm=\"$ENV\"/>%.0s" 1 2 3 4 5)
sed "s|<ds:Transforms>|<ds:Transforms>$t5|" "$T/whole.xml" > "$T/many.xml"
expect MALFORMED 1 verify $OFF "$T/many.xml"
grep -q "more transforms" "$T/out" || fail "transform limit reason"

# ---- GOST 2015-512 as NCALayer writes it
G=$T/gost
if ! "$TESTPKI" hierarchy --out "$G" --ca-alg gost512 --leaf-alg gost512 >"$T/testpki.log" 2>&1 ||
    ! "$GOSTSIGN" digest gost2015-512 </dev/null >/dev/null 2>&1; then
	echo "skip: no GOST here: $(tail -n 1 "$T/testpki.log")"
else
	KZ=urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms
	BODY='<doc><data Id="d1">Өтініш: Әлиханов Ғалым</data></doc>'
	printf '%s' "$BODY" > "$T/g-doc.xml"
	DV=$("$GOSTSIGN" digest gost2015-512 < "$T/g-doc.xml")
	SI="<ds:SignedInfo $DS><ds:CanonicalizationMethod Algorithm=\"$C14N\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"$KZ:gostr34102015-gostr34112015-512\"></ds:SignatureMethod><ds:Reference URI=\"\"><ds:Transforms><ds:Transform Algorithm=\"$ENV\"></ds:Transform><ds:Transform Algorithm=\"$C14N#WithComments\"></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm=\"$KZ:gostr34112015-512\"></ds:DigestMethod><ds:DigestValue>$DV</ds:DigestValue></ds:Reference></ds:SignedInfo>"
	# What is signed is the canonical SignedInfo: the carriage returns as &#xD;
	printf '%s' "$SI" | sed 's/&#13;/\&#xD;/g' > "$T/g-si.xml"
	"$GOSTSIGN" sign "$G/individual-sign.key" < "$T/g-si.xml" > "$T/g-sv" || fail "GOST sign"
	printf '%s' "$SI" > "$T/g-si-doc.txt"
	python3 - "$T/g-doc.xml" "$T/g-si-doc.txt" "$T/g-sv" "$G/individual-sign.pem" "$T/g-signed.xml" <<'PY'
import sys
body, si, sv, pem, out = sys.argv[1:]
body = open(body, encoding="utf-8").read()
si = open(si, encoding="utf-8").read().replace(' xmlns:ds="http://www.w3.org/2000/09/xmldsig#"', "", 1)
sv = open(sv).read().rstrip("\n")
cert = "&#13;\n".join(l for l in open(pem).read().splitlines() if not l.startswith("-----"))
sig = ('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' + si +
       "<ds:SignatureValue>" + sv + "</ds:SignatureValue><ds:KeyInfo><ds:X509Data>"
       "<ds:X509Certificate>" + cert + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>")
open(out, "w", encoding="utf-8").write(body.replace("</doc>", sig + "</doc>"))
PY
	grep -q '&#13;' "$T/g-signed.xml" || fail "no &#13; in the GOST document"
	GOFF="--offline --anchors $G/root.pem --untrusted $G/chain.pem --no-revocation"
	expect VALID 0 verify $GOFF --json "$T/g-signed.xml"
	grep -q '"algorithm": "gost2015-512"' "$T/out" || fail "GOST algorithm not said"
	sed 's/Ғалым/Галым/' "$T/g-signed.xml" > "$T/g-changed.xml"
	expect DIGEST_MISMATCH 1 verify $GOFF "$T/g-changed.xml"
	gost_independent "$T/g-signed.xml" "$G/individual-sign.key" md_gost12_512 assembled
	# ---- tanba signs (libsig tb_xml_sign, test-PKI key as the signer): GOST 2015-512
	# over the document and over #d1, then 2015-256 (its own hierarchy)
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<doc><data Id="d1">Өтініш: Әлиханов Ғалым</data><note>x</note></doc>\n' > "$T/g-plain.xml"
	"$GOSTSIGN" xml "$G/individual-sign.key" "$G/individual-sign.pem" < "$T/g-plain.xml" > "$T/gt.xml" ||
	    fail "tb_xml_sign GOST"
	grep -q "gostr34102015-gostr34112015-512" "$T/gt.xml" || fail "GOST 512 URI not written"
	grep -q '&#13;' "$T/gt.xml" || fail "no &#13; line breaks in tanba's GOST signature"
	expect VALID 0 verify $GOFF --signed-element / "$T/gt.xml"
	gost_independent "$T/gt.xml" "$G/individual-sign.key" md_gost12_512 "tanba's"
	"$GOSTSIGN" xml "$G/individual-sign.key" "$G/individual-sign.pem" '#d1' < "$T/g-plain.xml" > "$T/gt-id.xml" ||
	    fail "tb_xml_sign GOST #d1"
	expect VALID 0 verify $GOFF --signed-element '#d1' "$T/gt-id.xml"
	expect SIGNATURE_INVALID 1 verify $GOFF --signed-element / "$T/gt-id.xml"
	G2=$T/gost256
	if "$TESTPKI" hierarchy --out "$G2" --ca-alg gost512 --leaf-alg gost256 >"$T/testpki.log" 2>&1; then
		"$GOSTSIGN" xml "$G2/individual-sign.key" "$G2/individual-sign.pem" < "$T/g-plain.xml" > "$T/gt256.xml" ||
		    fail "tb_xml_sign GOST 256"
		grep -q "gostr34102015-gostr34112015-256" "$T/gt256.xml" || fail "GOST 256 URI not written"
		expect VALID 0 verify --offline --anchors "$G2/root.pem" --untrusted "$G2/chain.pem" \
		    --no-revocation "$T/gt256.xml"
		gost_independent "$T/gt256.xml" "$G2/individual-sign.key" md_gost12_256 "tanba's 256"
	fi
	# ---- GOST 34.310-2004 (legacy, gost34310-gost34311): a test-PKI
	# hierarchy with GOST 2004 leaves, tanba signs, tanba verifies, and
	# the independent check hashes with rhash --gost94 (the test S-box).
	G4=$T/gost2004
	"$TESTPKI" hierarchy --out "$G4" --ca-alg gost512 --leaf-alg gost2004 >"$T/testpki.log" 2>&1 ||
	    { cat "$T/testpki.log"; exit 99; }
	"$GOSTSIGN" xml "$G4/individual-sign.key" "$G4/individual-sign.pem" < "$T/g-plain.xml" > "$T/gt2004.xml" ||
	    fail "tb_xml_sign GOST 2004"
	grep -q 'xmldsig-more#gost34310-gost34311"' "$T/gt2004.xml" || fail "GOST 2004 signature URI not written"
	grep -q 'xmldsig-more#gost34311"' "$T/gt2004.xml" || fail "GOST 2004 digest URI not written"
	G4OFF="--offline --anchors $G4/root.pem --untrusted $G4/chain.pem --no-revocation"
	expect VALID 0 verify $G4OFF --signed-element / --json "$T/gt2004.xml"
	grep -q '"algorithm": "gost2004"' "$T/out" || fail "GOST 2004 algorithm not said"
	sed 's/Ғалым/Галым/' "$T/gt2004.xml" > "$T/gt2004-changed.xml"
	expect DIGEST_MISMATCH 1 verify $G4OFF "$T/gt2004-changed.xml"
	# One character of the SignatureValue changed: the signature is refused.
	python3 - "$T/gt2004.xml" "$T/gt2004-badsig.xml" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<ds:SignatureValue>\s*(.)", s)
c = "B" if m.group(1) != "B" else "C"
open(sys.argv[2], "w", encoding="utf-8").write(s[:m.start(1)] + c + s[m.end(1):])
PY
	expect SIGNATURE_INVALID 1 verify $G4OFF "$T/gt2004-badsig.xml"
	"$GOSTSIGN" xml "$G4/individual-sign.key" "$G4/individual-sign.pem" '#d1' < "$T/g-plain.xml" \
	    > "$T/gt2004-id.xml" || fail "tb_xml_sign GOST 2004 #d1"
	expect VALID 0 verify $G4OFF --signed-element '#d1' "$T/gt2004-id.xml"
	if command -v rhash >/dev/null 2>&1; then
		gost_independent "$T/gt2004.xml" "$G4/individual-sign.key" gost94-test "tanba's 2004"
	else
		echo "skip: no rhash for the independent GOST 2004 check"
	fi
fi

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all XML verification checks passed"
