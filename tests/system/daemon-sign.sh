#!/bin/sh
# Signing through the real tanbad and the tanba client: attached and
# detached, from data and from a digest, RSA and EC, SHA-256/384/512, DER
# and PEM. Every signature must verify with openssl cms and GnuTLS certtool.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

doc="$TB_TMP/doc.bin"
# Bytes that a text-mode signer would mangle: CR LF, NUL, high bytes.
printf 'Құжат №1\r\nline two\000\377 end\n' > "$doc"
head -c 100000 /dev/urandom >> "$doc"
n=0

for key in rsa ec; do
	for alg in sha256 sha384 sha512; do
		out="$TB_TMP/$key-$alg"
		tb_log "$key $alg attached from data"
		tb_tanba sign --key "$key" --digest-alg "$alg" -o "$out.att.der" "$doc" ||
		    tb_fail "sign --key $key --digest-alg $alg (attached)"
		tb_verify_cms "$out.att.der" || tb_fail "$key $alg attached does not verify"
		cmp -s "$TB_TMP/verify.out" "$doc" || tb_fail "$key $alg attached: content differs"
		openssl cms -cmsout -print -inform DER -in "$out.att.der" > "$out.txt" 2>&1
		grep -qi "signingTime" "$out.txt" || tb_fail "$key $alg: no signing time"
		grep -qi "signingCertificateV2\|1.2.840.113549.1.9.16.2.47" "$out.txt" ||
		    tb_fail "$key $alg: no signing-certificate-v2 (not CAdES-BES)"
		grep -qi "$alg" "$out.txt" || tb_fail "$key $alg: digest algorithm not $alg"

		tb_log "$key $alg detached from data"
		tb_tanba sign --key "$key" --detached --digest-alg "$alg" -o "$out.det.der" < "$doc" ||
		    tb_fail "sign --detached --key $key (stdin)"
		tb_verify_cms "$out.det.der" "$doc" || tb_fail "$key $alg detached does not verify"

		tb_log "$key $alg detached from digest"
		dg=$(tb_sha "$doc" "$alg")
		tb_tanba sign --key "$key" --digest "$alg:$dg" -o "$out.dig.der" ||
		    tb_fail "sign --digest $alg:... --key $key"
		tb_verify_cms "$out.dig.der" "$doc" || tb_fail "$key $alg from digest does not verify"
		# The same signature must not verify other content.
		printf 'other' > "$TB_TMP/other"
		if openssl cms -verify -binary -inform DER -in "$out.dig.der" -content "$TB_TMP/other" \
		    -CAfile "$TB_CAFILE" -out /dev/null 2>/dev/null; then
			tb_fail "$key $alg: detached signature verified other content"
		fi
		n=$((n + 3))
	done
done

tb_log "PEM output"
tb_tanba sign --key rsa --pem -o "$TB_TMP/sig.pem" "$doc" || tb_fail "sign --pem"
head -n 1 "$TB_TMP/sig.pem" | grep -qx -- '-----BEGIN CMS-----' || tb_fail "--pem: no BEGIN CMS line"
openssl cms -verify -binary -inform PEM -in "$TB_TMP/sig.pem" -CAfile "$TB_CAFILE" \
    -out "$TB_TMP/pem.out" 2>/dev/null || tb_fail "--pem output does not verify"
cmp -s "$TB_TMP/pem.out" "$doc" || tb_fail "--pem: content differs"
openssl cms -cmsout -inform PEM -in "$TB_TMP/sig.pem" -outform DER -out "$TB_TMP/sig.pem.der" &&
    tb_verify_cms "$TB_TMP/sig.pem.der" || tb_fail "--pem output does not verify with certtool"
tb_tanba sign --key ec --pem --detached -o "$TB_TMP/ecdet.pem" "$doc" || tb_fail "sign --pem --detached"
openssl cms -verify -binary -inform PEM -in "$TB_TMP/ecdet.pem" -content "$doc" \
    -CAfile "$TB_CAFILE" -out /dev/null 2>/dev/null || tb_fail "detached --pem does not verify"

tb_log "output to stdout, empty document"
tb_tanba sign --key ec "$doc" > "$TB_TMP/stdout.der" || tb_fail "sign to stdout"
tb_verify_cms "$TB_TMP/stdout.der" || tb_fail "stdout output does not verify"
: > "$TB_TMP/empty"
if tb_tanba sign --key rsa -o "$TB_TMP/empty.der" "$TB_TMP/empty" 2>"$TB_TMP/empty.err"; then
	# openssl only: certtool takes an empty eContent for absent content.
	openssl cms -verify -binary -inform DER -in "$TB_TMP/empty.der" -CAfile "$TB_CAFILE" \
	    -out "$TB_TMP/empty.out" 2>/dev/null || tb_fail "signature of an empty document does not verify"
	[ ! -s "$TB_TMP/empty.out" ] || tb_fail "empty document: content not empty"
else
	grep -q '^tanba: ' "$TB_TMP/empty.err" || tb_fail "empty document: no clear error"
fi

tb_log "the certificate in the signature is the key's"
openssl cms -verify -binary -inform DER -in "$TB_TMP/rsa-sha256.att.der" -CAfile "$TB_CAFILE" \
    -signer "$TB_TMP/signer.pem" -out /dev/null 2>/dev/null || tb_fail "re-verify"
[ "$(openssl x509 -in "$TB_TMP/signer.pem" -noout -fingerprint -sha256)" = \
  "$(openssl x509 -in "$TB_PKI/rsa-sign.pem" -noout -fingerprint -sha256)" ] ||
    tb_fail "rsa signature carries another certificate"

tb_log "keys and status"
tb_tanba keys > "$TB_TMP/keys.txt" || tb_fail "tanba keys"
grep -q '^rsa ' "$TB_TMP/keys.txt" && grep -q '^ec ' "$TB_TMP/keys.txt" || tb_fail "keys table lacks rsa/ec"
tb_tanba keys --json > "$TB_TMP/keys.json" || tb_fail "tanba keys --json"
python3 - "$TB_TMP/keys.json" <<'PY' || tb_fail "keys --json content"
import json, sys
k = {x["name"]: x for x in json.load(open(sys.argv[1]))["keys"]}
assert k["rsa"]["type"] == "rsa" and k["rsa"]["bits"] == 2048 and k["rsa"]["usable"] is True, k["rsa"]
assert k["ec"]["type"] in ("ec", "ecdsa") and k["ec"]["usable"] is True, k["ec"]
assert k["expired"]["usable"] is False and k["notyet"]["usable"] is False
PY
tb_tanba status --json > "$TB_TMP/status.json" || tb_fail "tanba status --json"
python3 - "$TB_TMP/status.json" "$n" <<'PY' || tb_fail "status --json content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["config_error"] is None, s
assert s["tokens"] and s["tokens"][0]["healthy"] is True, s["tokens"]
assert s["counters"]["signatures"] >= int(sys.argv[2]), s["counters"]
PY
tb_tanba status > /dev/null || tb_fail "tanba status"
[ "$(grep -c . "$TB_TMP/audit.log")" -ge "$n" ] || tb_fail "audit log holds fewer records than signatures"
tb_log "the Python client in docs/PROTOCOL.md"
sed -n '/^```python$/,/^```$/p' "$top_srcdir/docs/PROTOCOL.md" | sed '1d;$d' > "$TB_TMP/docclient.py"
[ -s "$TB_TMP/docclient.py" ] || tb_fail "no Python client in docs/PROTOCOL.md"
python3 "$TB_TMP/docclient.py" "$TB_SOCK" ec "$doc" "$TB_TMP/doc.p7s" || tb_fail "the documented client fails"
tb_verify_cms "$TB_TMP/doc.p7s" "$doc" || tb_fail "the documented client's signature does not verify"
echo "PASS: $n signatures verified"
