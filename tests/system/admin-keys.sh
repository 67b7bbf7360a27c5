#!/bin/sh
# tanba-admin key lifecycle on a SoftHSM2 token: key generate (each type,
# never extractable), csr (verifies, NCA subject in UTF-8), cert import (and
# the refusal of a certificate for another key), key list (days left, tanbad
# use, JSON, a warning for an extractable key), key destroy (refused while
# configured, confirmed otherwise), and reload's refusal of a non-tanbad pid.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/setup.sh"
ad_setup

ad_token_init >/dev/null || ad_fail "token init"
TOKEN="pkcs11:token=$AD_LABEL"

ad_log "key generate, every type"
for t in rsa:2048 rsa:3072 rsa:4096 ec:p256 ec:p384; do
	label="k-$(echo "$t" | tr -d :p)"
	uri=$(ad_admin key generate --token "$TOKEN" --label "$label" --type "$t" \
	    --pin-file "$AD_PIN_FILE") || ad_fail "key generate $t"
	echo "$t: $uri"
	case $uri in
	pkcs11:*"token=$AD_LABEL"*"object=$label"*"type=private"*) ;;
	*) ad_fail "URI of the new key lacks token/object/type: $uri" ;;
	esac
	id=$(echo "$uri" | sed -n 's/.*;id=\([^;]*\).*/\1/p' | tr -d '%' | tr 'A-F' 'a-f')
	[ ${#id} -eq 32 ] || ad_fail "CKA_ID is not 16 bytes: $id"
	access=$(ad_access "$label")
	echo "  access: $access"
	case $access in
	*"never extractable"*) ;;
	*) ad_fail "$label: not never-extractable: $access" ;;
	esac
	case $access in
	sensitive*) ;;
	*) ad_fail "$label: not sensitive: $access" ;;
	esac
	echo "$access" | grep -Eq '(^|, )extractable' && ad_fail "$label is extractable"
	rm -f "$AD_TMP/leak.der"
	ad_p11tool --read-object --type privkey --label "$label" -o "$AD_TMP/leak.der" >/dev/null
	[ -s "$AD_TMP/leak.der" ] && ad_fail "$label: the private key could be read from the token"
	eval "URI_$(echo "$label" | tr -c 'a-z0-9\n' '_')=\$uri"
	eval "ID_$(echo "$label" | tr -c 'a-z0-9\n' '_')=\$id"
done
ad_p11tool --list-objects --type pubkey | grep -q "RSA 3072 bits" || ad_fail "no RSA 3072 public key"
ad_p11tool --list-objects --type pubkey | grep -q "EC_POINT 384 bits" || ad_fail "no P-384 public key"

ad_log "a second key with the same label is refused"
if ad_admin key generate --token "$TOKEN" --label k-rsa2048 --type ec:p256 \
    --pin-file "$AD_PIN_FILE" 2>"$AD_TMP/err"; then
	ad_fail "duplicate label accepted"
fi
grep -q "already holds" "$AD_TMP/err" || ad_fail "duplicate label: $(cat "$AD_TMP/err")"

ad_log "csr for RSA and EC keys, NCA subject in UTF-8"
CN="ҚАСЫМОВ ӘЛИХАН"
for label in k-rsa2048 k-ec256 k-ec384; do
	ad_admin csr --key "$TOKEN;object=$label" --pin-file "$AD_PIN_FILE" \
	    --cn "$CN" --surname "ҚАСЫМОВ" --given-name "ҚАЙРАТҰЛЫ" --iin 900101300126 \
	    --bin 040840001231 --org "ТАҢБА СЫНАҚ ЖШС" --country KZ -o "$AD_TMP/$label.csr" \
	    >/dev/null || ad_fail "csr for $label"
	openssl req -in "$AD_TMP/$label.csr" -verify -noout 2>&1 | grep -q "verify OK" ||
	    ad_fail "openssl req -verify refuses the $label request"
	subj=$(openssl req -in "$AD_TMP/$label.csr" -noout -subject -nameopt utf8,sep_comma_plus)
	echo "$label: $subj"
	[ "$subj" = "subject=CN=$CN,SN=ҚАСЫМОВ,serialNumber=IIN900101300126,C=KZ,GN=ҚАЙРАТҰЛЫ,O=ТАҢБА СЫНАҚ ЖШС,OU=BIN040840001231" ] ||
	    ad_fail "subject of the $label request: $subj"
	openssl asn1parse -in "$AD_TMP/$label.csr" | grep -A1 ":commonName" | grep -q UTF8STRING ||
	    ad_fail "CN is not a UTF8String"
	# The request carries the token key's public key. (pkcs11-tool of
	# OpenSC 0.23 cannot export a P-384 public key: the RSA and P-256 ones.)
	[ "$label" = k-ec384 ] && continue
	openssl req -in "$AD_TMP/$label.csr" -noout -pubkey > "$AD_TMP/$label.csr.pub"
	ad_p11tool --read-object --type pubkey --label "$label" -o "$AD_TMP/$label.pub.der" ||
	    ad_fail "public key of $label not readable"
	openssl pkey -pubin -inform DER -in "$AD_TMP/$label.pub.der" > "$AD_TMP/$label.pub.pem"
	cmp -s "$AD_TMP/$label.csr.pub" "$AD_TMP/$label.pub.pem" ||
	    ad_fail "the $label request does not carry the token key"
done
openssl req -in "$AD_TMP/k-ec384.csr" -noout -text | grep -q "ecdsa-with-SHA256" ||
    ad_fail "EC request not signed with ecdsa-with-SHA256"
ad_admin csr --key "$TOKEN;object=k-rsa2048" --pin-file "$AD_PIN_FILE" --cn X --digest sha512 \
    -o "$AD_TMP/sha512.csr" >/dev/null || ad_fail "csr --digest sha512"
openssl req -in "$AD_TMP/sha512.csr" -verify -noout -text 2>&1 | grep -q "sha512WithRSAEncryption" ||
    ad_fail "sha512 request"
if ad_admin csr --key "$TOKEN;object=k-rsa2048" --pin-file "$AD_PIN_FILE" --cn X --iin 12345 \
    -o "$AD_TMP/bad.csr" 2>/dev/null; then
	ad_fail "an IIN of 5 digits was accepted"
fi

ad_log "issue certificates and import them"
ad_make_ca "$AD_TMP/pki" || ad_fail "test CA"
ad_issue "$AD_TMP/pki" "$AD_TMP/k-rsa2048.csr" "$AD_TMP/rsa.pem" 200 || ad_fail "issue rsa"
ad_issue "$AD_TMP/pki" "$AD_TMP/k-ec256.csr" "$AD_TMP/ec.pem" 100 || ad_fail "issue ec"
ad_admin cert import --key "$TOKEN;object=k-rsa2048" --pin-file "$AD_PIN_FILE" "$AD_TMP/rsa.pem" ||
    ad_fail "cert import rsa"
openssl x509 -in "$AD_TMP/ec.pem" -outform DER -out "$AD_TMP/ec.der"
ad_admin cert import --key "$TOKEN;object=k-ec256" --pin-file "$AD_PIN_FILE" "$AD_TMP/ec.der" ||
    ad_fail "cert import ec (DER)"
ad_p11tool --list-objects --type cert | grep -q "ID:.*$ID_k_rsa2048" ||
    ad_fail "certificate not stored with the key's CKA_ID"
ad_p11tool --read-object --type cert --id "$ID_k_rsa2048" -o "$AD_TMP/back.der" ||
    ad_fail "certificate not readable by id"
openssl x509 -inform DER -in "$AD_TMP/back.der" -noout -fingerprint -sha256 > "$AD_TMP/fp1"
openssl x509 -in "$AD_TMP/rsa.pem" -noout -fingerprint -sha256 > "$AD_TMP/fp2"
cmp -s "$AD_TMP/fp1" "$AD_TMP/fp2" || ad_fail "stored certificate differs from the file"

ad_log "a certificate for another key is refused"
if ad_admin cert import --key "$TOKEN;object=k-ec384" --pin-file "$AD_PIN_FILE" \
    "$AD_TMP/rsa.pem" 2>"$AD_TMP/err"; then
	ad_fail "certificate for another key imported"
fi
cat "$AD_TMP/err"
grep -q "is for another key" "$AD_TMP/err" || ad_fail "mismatch not said"
grep -q "token key \"k-ec384\"" "$AD_TMP/err" || ad_fail "mismatch does not name the token key"
grep -q "$AD_TMP/rsa.pem" "$AD_TMP/err" || ad_fail "mismatch does not name the certificate"
ad_p11tool --list-objects --type cert | grep -q "ID:.*$ID_k_ec384" &&
    ad_fail "a certificate was stored for k-ec384"

ad_log "an extractable key (made by pkcs11-tool) for the warning"
ad_p11tool --keypairgen --key-type EC:prime256v1 --label loose --id 0c0d --extractable \
    --usage-sign >/dev/null || ad_fail "pkcs11-tool keypairgen --extractable"

ad_log "key list with a tanbad config (read by tanbad's own parser: it must be valid)"
cat > "$AD_TMP/tanbad.conf" <<CONF
[daemon]
socket = $AD_TMP/tanbad.sock

[token]
module = $SOFTHSM_MODULE
pin_file = $AD_PIN_FILE

[key "registry"]
uri = $TOKEN;object=k-rsa2048   ; in use
certificate = $AD_TMP/rsa.pem
CONF
ad_admin key list --config "$AD_TMP/tanbad.conf" --pin-file "$AD_PIN_FILE" \
    >"$AD_TMP/list.txt" 2>"$AD_TMP/list.err" || ad_fail "key list"
cat "$AD_TMP/list.txt" "$AD_TMP/list.err"
grep -q "used by tanbad as key \"registry\"" "$AD_TMP/list.txt" || ad_fail "configured key not shown"
grep -q "days left" "$AD_TMP/list.txt" || ad_fail "days left not shown"
grep -q "WARNING: key \"loose\" is extractable" "$AD_TMP/list.err" ||
    ad_fail "extractable key not warned about"
ad_admin key list --config "$AD_TMP/tanbad.conf" --pin-file "$AD_PIN_FILE" --json \
    >"$AD_TMP/list.json" 2>/dev/null || ad_fail "key list --json"
python3 -m json.tool "$AD_TMP/list.json" >/dev/null || ad_fail "key list --json is not JSON"
python3 - "$AD_TMP/list.json" "$AD_TMP/rsa.pem" <<'PY' || ad_fail "key list --json content"
import json, subprocess, sys, datetime
doc = json.load(open(sys.argv[1]))
keys = {k["label"]: k for k in doc["keys"]}
assert len(keys) == 6, sorted(keys)
r = keys["k-rsa2048"]
assert r["configured"] == "registry", r
assert r["type"] == "rsa" and r["bits"] == 2048, r
assert r["extractable"] is False and r["sensitive"] is True, r
end = subprocess.run(["openssl", "x509", "-in", sys.argv[2], "-noout", "-enddate"],
                     capture_output=True, text=True, check=True).stdout.strip().split("=", 1)[1]
na = datetime.datetime.strptime(end, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=datetime.timezone.utc)
days = (na - datetime.datetime.now(datetime.timezone.utc)).days
assert r["certificate"]["days_left"] in (days, days - 1, days + 1), (r["certificate"], days)
assert 190 <= r["certificate"]["days_left"] <= 201, r["certificate"]
assert r["certificate"]["not_after"] == na.strftime("%Y-%m-%dT%H:%M:%SZ"), r["certificate"]
assert keys["k-ec256"]["certificate"]["days_left"] <= 101
assert keys["k-ec384"]["certificate"] is None
assert keys["k-ec384"]["bits"] == 384 and keys["k-ec384"]["configured"] is None
assert keys["loose"]["extractable"] is True
assert any("EXTRACTABLE" in w for w in keys["loose"]["warnings"]), keys["loose"]
assert not any("EXTRACTABLE" in w for w in r["warnings"]), r
print("json ok")
PY

ad_log "key destroy"
if ad_admin key destroy "$TOKEN;object=k-rsa2048" --config "$AD_TMP/tanbad.conf" \
    --pin-file "$AD_PIN_FILE" --yes 2>"$AD_TMP/err"; then
	ad_fail "a configured key was destroyed"
fi
grep -q "refused: .*tanbad's key \"registry\"" "$AD_TMP/err" || ad_fail "refusal: $(cat "$AD_TMP/err")"
ad_p11tool --list-objects --type privkey | grep -q "k-rsa2048" || ad_fail "configured key gone"
if ad_admin key destroy "$TOKEN;object=k-ec256" --config "$AD_TMP/tanbad.conf" \
    --pin-file "$AD_PIN_FILE" 2>"$AD_TMP/err"; then
	ad_fail "destroyed without confirmation"
fi
grep -q -- "--yes" "$AD_TMP/err" || ad_fail "no word about the confirmation: $(cat "$AD_TMP/err")"
ad_admin key destroy "$TOKEN;object=k-ec256" --config "$AD_TMP/tanbad.conf" \
    --pin-file "$AD_PIN_FILE" --yes || ad_fail "key destroy --yes"
if ad_p11tool --list-objects | grep -q "$ID_k_ec256"; then
	ad_fail "objects with the destroyed key's CKA_ID remain"
fi
ad_p11tool --list-objects --type privkey | grep -q "k-ec384" || ad_fail "another key went too"
ad_p11tool --list-objects --type cert | grep -q "$ID_k_rsa2048" || ad_fail "another certificate went too"

ad_log "reload signals only tanbad"
sleep 30 &
sp=$!
if ad_admin reload --pid "$sp" 2>"$AD_TMP/err"; then
	kill "$sp"
	ad_fail "reload signalled a process that is not tanbad"
fi
kill -0 "$sp" || ad_fail "the other process was hit"
kill "$sp"
grep -q "not tanbad" "$AD_TMP/err" || ad_fail "reload refusal: $(cat "$AD_TMP/err")"

echo "PASS"
