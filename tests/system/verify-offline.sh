#!/bin/sh
# tanba verify / check-cert --offline against test PKIs made now, RSA and
# GOST 34.10-2015 by one loop (TB_VERIFY_ALGS): every verdict code,
# messages, tanba-testpki signatures and CRLs; then on RSA interop
# signatures (openssl cms, GnuTLS certtool) and malformed input; the exit
# statuses 0/1/2 and the verdict on the first stdout line.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
VERDICT_TEST=verify
. "$top_srcdir/tests/system/setup.sh"
verdict_setup

printf 'garbage, not a signature' > "$T/garbage"
printf 'Өтініш: Әлиханов Ғалым, Қостанай, Ұлытау, Үржар, Һ, І\n' > "$T/doc.txt"
printf 'Өтініш: Әлиханов Ғалым, Қостанай, Ұлытау, Үржар, Һ, Ы\n' > "$T/doc2.txt"

# One hierarchy per algorithm; the same cases for each. RSA keeps the
# tool's default CA key (RSA 4096); GOST is skipped where the engine is not.
for ALG in ${TB_VERIFY_ALGS:-rsa gost}; do
	P=$T/pki-$ALG
	case $ALG in
	rsa) hopts= ;;
	*) hopts="--ca-alg ${ALG}512 --leaf-alg ${ALG}512" ;;
	esac
	if ! "$TESTPKI" hierarchy --out "$P" $hopts >"$T/testpki.log" 2>&1; then
		[ "$ALG" != rsa ] || { cat "$T/testpki.log"; exit 99; }
		echo "skip: no $ALG test PKI here: $(tail -n 1 "$T/testpki.log")"
		continue
	fi
	echo "== $ALG"
	OFF="--offline --anchors $P/root.pem --untrusted $P/chain.pem"
	IIN=$(sed -n 's/^individual-sign .*iin=\([0-9]*\).*/\1/p' "$P/manifest.txt")
	BIN=$(sed -n 's/^legal-sign .*bin=\([0-9]*\).*/\1/p' "$P/manifest.txt")
	expect VALID 0 check-cert $OFF --no-revocation --json "$P/individual-sign.pem"
	grep -q "\"algorithm\": \"$ALG" "$T/out" || fail "$ALG algorithm not reported"
	grep -q '"status": "not_checked"' "$T/out" || fail "$ALG --no-revocation not said"
	# No CRL, no OCSP response and no --no-revocation: unknown, never VALID.
	expect REVOCATION_UNKNOWN 1 check-cert $OFF "$P/individual-sign.pem"
	expect "" 2 check-cert $OFF --no-revocation --crl "$P/root.pem" "$P/individual-sign.pem"
	grep -q "contradicts" "$T/err" || fail "--no-revocation with --crl: $(cat "$T/err")"

	# ---- check-cert: the test PKI's cases, one verdict each
	expect VALID 0 check-cert $OFF --no-revocation "$P/individual-sign.pem"
	expect VALID 0 check-cert $OFF --no-revocation --iin "$IIN" "$P/individual-auth.pem"
	expect VALID 0 check-cert $OFF --no-revocation --iin "$IIN" --bin "$BIN" --role first_head "$P/legal-sign.pem"
	expect VALID 0 check-cert --offline --no-revocation --anchors "$P/ca.pem" "$P/individual-sign.pem"
	expect CERT_EXPIRED 1 check-cert $OFF --no-revocation "$P/expired.pem"
	expect CERT_NOT_YET_VALID 1 check-cert $OFF --no-revocation "$P/notyet.pem"
	expect KEY_USAGE_INVALID 1 check-cert $OFF --no-revocation "$P/wrong-ku.pem"
	expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation "$P/wrong-role.pem"
	# The check digit (default on) governs the certificate's number and the caller's.
	WIIN=$(sed -n 's/^wrong-iin .*iin=\([0-9]*\).*/\1/p' "$P/manifest.txt")
	expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation --check-iin-checksum "$P/wrong-iin.pem"
	expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation "$P/wrong-iin.pem"
	grep -q "check digit" "$T/out" || fail "the certificate's bad check digit not named"
	expect VALID 0 check-cert $OFF --no-revocation --no-check-iin-checksum "$P/wrong-iin.pem"
	expect "" 2 check-cert $OFF --no-revocation --iin "$WIIN" "$P/wrong-iin.pem"
	grep -q "iin: not 12 digits with a valid check digit" "$T/err" || fail "caller's IIN: $(cat "$T/err")"
	expect VALID 0 check-cert $OFF --no-revocation --no-check-iin-checksum --iin "$WIIN" "$P/wrong-iin.pem"
	expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation --no-check-iin-checksum --iin 123456789011 "$P/individual-sign.pem"
	expect "" 2 check-cert $OFF --no-revocation --no-check-iin-checksum --iin 12345678901 "$P/individual-sign.pem"
	expect CHAIN_UNTRUSTED 1 check-cert $OFF --no-revocation "$P/unknown-issuer.pem"
	expect CHAIN_UNTRUSTED 1 check-cert --offline --anchors "$P/root.pem" "$P/individual-sign.pem"
	expect SIGNATURE_INVALID 1 check-cert $OFF --no-revocation "$P/broken-sig.pem"
	expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation --bin "$BIN" "$P/individual-sign.pem"
	expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation --role first_head "$P/legal-employee.pem"
	expect KEY_USAGE_INVALID 1 check-cert $OFF --no-revocation --require-non-repudiation "$P/individual-auth.pem"
	# --at: the not-yet-valid certificate at its own notBefore second
	NB=$(sed -n 's/^notyet .*not_before=\([^ ]*\).*/\1/p' "$P/manifest.txt")
	expect VALID 0 check-cert $OFF --no-revocation --at "$NB" "$P/notyet.pem"
	grep -q "evaluation time: $NB" "$T/out" || fail "--at $NB not reported"

	# ---- the messages: the expiry date in all three languages
	NA=$(sed -n 's/^expired .*not_after=\([^T]*\)T.*/\1/p' "$P/manifest.txt")
	for l in kk ru en; do
		expect CERT_EXPIRED 1 check-cert $OFF --no-revocation --lang $l "$P/expired.pem"
		sed -n 2p "$T/out" | grep -q "$NA" || fail "--lang $l: no end date $NA in: $(sed -n 2p "$T/out")"
done
expect IDENTITY_MISMATCH 1 check-cert $OFF --no-revocation --lang kk --iin 850502400349 "$P/individual-sign.pem"
grep -q "ЖСН" "$T/out" || fail "Kazakh message lacks ЖСН"

# ---- verify: tanba-testpki signatures in this algorithm
"$TESTPKI" cms --cert "$P/individual-sign.pem" --key "$P/individual-sign.key" --in "$T/doc.txt" \
    --out "$T/attached-$ALG.p7" >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" cms --cert "$P/individual-sign.pem" --key "$P/individual-sign.key" --in "$T/doc.txt" \
    --detached --out "$T/detached-$ALG.p7" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
expect VALID 0 verify $OFF --no-revocation --iin "$IIN" "$T/attached-$ALG.p7"
expect REVOCATION_UNKNOWN 1 verify $OFF "$T/attached-$ALG.p7"
expect VALID 0 verify $OFF --no-revocation --content "$T/doc.txt" "$T/detached-$ALG.p7"
expect DIGEST_MISMATCH 1 verify $OFF --no-revocation --content "$T/doc2.txt" "$T/detached-$ALG.p7"
expect VALID 0 verify $OFF --no-revocation --signing-time "$T/attached-$ALG.p7"
grep -q '(signing_time)' "$T/out" || fail "$ALG: --signing-time not reported"

# ---- --crl: revoked, good, and no CRL for an issuer (fail closed)
"$TESTPKI" revoke --dir "$P" --cert "$P/individual-auth.pem" --reason keyCompromise \
    >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" crl --dir "$P" --out "$T/ca.crl" --pem >>"$T/testpki.log" 2>&1 &&
"$TESTPKI" crl --dir "$P" --out "$T/root.crl" --der --issuer-key "$P/root.key" \
    --issuer-cert "$P/root.pem" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
expect CERT_REVOKED 1 check-cert $OFF --crl "$T/ca.crl" --crl "$T/root.crl" --lang en "$P/individual-auth.pem"
grep -q "reason: key compromise" "$T/out" || fail "revocation reason not in the message"
expect VALID 0 check-cert $OFF --crl "$T/ca.crl" --crl "$T/root.crl" --json "$P/individual-sign.pem"
grep -q '"status": "good"' "$T/out" || fail "revocation status good not reported"
expect REVOCATION_UNKNOWN 1 check-cert $OFF --crl "$T/ca.crl" "$P/individual-sign.pem"
"$TESTPKI" cms --cert "$P/individual-auth.pem" --key "$P/individual-auth.key" --in "$T/doc.txt" \
    --out "$T/revoked-$ALG.p7" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
expect CERT_REVOKED 1 verify $OFF --crl "$T/ca.crl" --crl "$T/root.crl" "$T/revoked-$ALG.p7"
expect VALID 0 verify $OFF --crl "$T/ca.crl" --crl "$T/root.crl" "$T/attached-$ALG.p7"
expect "" 2 check-cert $OFF --crl "$T/garbage" "$P/individual-sign.pem"

done

# ---- RSA only: interop signatures and malformed input
P=$T/pki-rsa
OFF="--offline --anchors $P/root.pem --untrusted $P/chain.pem"
IIN=$(sed -n 's/^individual-sign .*iin=\([0-9]*\).*/\1/p' "$P/manifest.txt")
# ---- verify: openssl cms and GnuTLS certtool signatures
K="$P/individual-sign"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.key" 2>/dev/null &&
"$TESTPKI" issue --dir "$P" --key "$T/ec.key" --profile individual-sign --out "$T/ec.pem" \
    --iin "$IIN" >>"$T/testpki.log" 2>&1 || { cat "$T/testpki.log"; exit 99; }
for alg in rsa ec; do
	if [ $alg = rsa ]; then cert=$K.pem key=$K.key; else cert=$T/ec.pem key=$T/ec.key; fi
	for form in attached detached noattr-attached noattr-detached; do
		opts="-binary -outform DER -certfile $P/ca.pem"
		case $form in *noattr*) opts="$opts -noattr";; esac
		case $form in *attached) case $form in *detached) ;; *) opts="$opts -nodetach";; esac;; esac
		openssl cms -sign -in "$T/doc.txt" -signer "$cert" -inkey "$key" $opts \
		    -out "$T/$alg-$form.p7" || { echo "openssl cms -sign failed"; exit 99; }
		case $form in
		*detached)
			expect VALID 0 verify $OFF --no-revocation --iin "$IIN" --content "$T/doc.txt" "$T/$alg-$form.p7"
			case $form in noattr*) bad=SIGNATURE_INVALID;; *) bad=DIGEST_MISMATCH;; esac
			expect $bad 1 verify $OFF --no-revocation --content "$T/doc2.txt" "$T/$alg-$form.p7"
			expect "" 2 verify $OFF --no-revocation "$T/$alg-$form.p7"	# detached, no content
			;;
		*)
			expect VALID 0 verify $OFF --no-revocation --iin "$IIN" "$T/$alg-$form.p7"
			;;
		esac
	done
done
openssl cms -sign -in "$T/doc.txt" -signer "$K.pem" -inkey "$K.key" -binary -outform PEM \
    -nodetach -out "$T/rsa.pem.p7"
expect VALID 0 verify $OFF --no-revocation "$T/rsa.pem.p7"
openssl cms -sign -in "$T/doc.txt" -signer "$K.pem" -inkey "$K.key" -binary -outform DER \
    -nodetach -md sha1 -out "$T/sha1.p7"
expect UNSUPPORTED_ALGORITHM 1 verify $OFF --no-revocation "$T/sha1.p7"
expect VALID 0 verify $OFF --no-revocation --allow-sha1 "$T/sha1.p7"
openssl cms -sign -in "$T/doc.txt" -signer "$K.pem" -inkey "$K.key" -binary -outform DER \
    -nodetach -keyopt rsa_padding_mode:pss -out "$T/pss.p7"
expect VALID 0 verify $OFF --no-revocation --json "$T/pss.p7"
grep -q '"algorithm": "rsa-pss-sha256"' "$T/out" || fail "PSS not reported as rsa-pss-sha256"
# several signers: the IIN demanded is one of them
openssl cms -sign -in "$T/doc.txt" -signer "$K.pem" -inkey "$K.key" -signer "$P/legal-employee.pem" \
    -inkey "$P/legal-employee.key" -binary -outform DER -nodetach -out "$T/two.p7"
IIN2=$(sed -n 's/^legal-employee .*iin=\([0-9]*\).*/\1/p' "$P/manifest.txt")
expect VALID 0 verify $OFF --no-revocation --iin "$IIN2" "$T/two.p7"
expect VALID 0 verify $OFF --no-revocation --iin "$IIN" "$T/two.p7"
expect IDENTITY_MISMATCH 1 verify $OFF --no-revocation --iin 980101300120 "$T/two.p7"
# signer certificates of the test PKI's cases, through CMS
for c in expired:CERT_EXPIRED wrong-ku:KEY_USAGE_INVALID unknown-issuer:CHAIN_UNTRUSTED; do
	n=${c%%:*} v=${c#*:}
	openssl cms -sign -in "$T/doc.txt" -signer "$P/$n.pem" -inkey "$P/$n.key" -binary \
	    -outform DER -nodetach -out "$T/$n.p7" 2>/dev/null
	expect "$v" 1 verify $OFF --no-revocation "$T/$n.p7"
done
if command -v certtool >/dev/null 2>&1; then
	certtool --p7-sign --load-privkey "$K.key" --load-certificate "$K.pem" --p7-time \
	    --p7-include-cert --infile "$T/doc.txt" --outder --outfile "$T/gnutls.p7" >/dev/null 2>&1
	expect VALID 0 verify $OFF --no-revocation --iin "$IIN" "$T/gnutls.p7"
	certtool --p7-detached-sign --load-privkey "$K.key" --load-certificate "$K.pem" \
	    --infile "$T/doc.txt" --outder --outfile "$T/gnutls-d.p7" >/dev/null 2>&1
	expect VALID 0 verify $OFF --no-revocation --content "$T/doc.txt" "$T/gnutls-d.p7"
	expect SIGNATURE_INVALID 1 verify $OFF --no-revocation --content "$T/doc2.txt" "$T/gnutls-d.p7"
	# signingTime: reported, and used on request
	expect VALID 0 verify $OFF --no-revocation --signing-time "$T/gnutls.p7"
	grep -q '(signing_time)' "$T/out" || fail "--signing-time not reported"
fi
# one byte changed inside the attached content
python3 - "$T/rsa-attached.p7" "$T/rsa-tampered.p7" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find('Өтініш'.encode())
d[i + 2] ^= 1
open(sys.argv[2], 'wb').write(d)
PY
expect DIGEST_MISMATCH 1 verify $OFF --no-revocation "$T/rsa-tampered.p7"

# ---- malformed input
head -c 200 "$T/rsa-attached.p7" > "$T/trunc.p7"
expect MALFORMED 1 verify $OFF --no-revocation "$T/trunc.p7"
printf 'garbage, not a signature' > "$T/garbage"
expect MALFORMED 1 verify $OFF --no-revocation "$T/garbage"
expect MALFORMED 1 verify $OFF --no-revocation "$K.pem"
openssl x509 -in "$K.pem" -outform DER -out "$T/cert.der"
expect MALFORMED 1 verify $OFF --no-revocation "$T/cert.der"
head -c 52428800 /dev/urandom > "$T/random"
expect MALFORMED 1 verify $OFF --no-revocation "$T/random"
rm -f "$T/random"
python3 -c 'import sys; sys.stdout.buffer.write(b"\x30\x80" * 100000)' > "$T/nested"
expect MALFORMED 1 verify $OFF --no-revocation "$T/nested"

# ---- usage and input errors: exit 2
expect "" 2 check-cert $OFF --no-revocation "$T/garbage"			# not a certificate
expect "" 2 check-cert $OFF --no-revocation "$T/no-such-file"
expect "" 2 verify $OFF --no-revocation "$T/no-such-file"
expect "" 2 check-cert $OFF --no-revocation --iin 900101300127 "$P/individual-sign.pem"	# bad check digit
expect "" 2 check-cert $OFF --no-revocation --at yesterday "$P/individual-sign.pem"
expect "" 2 check-cert --offline "$P/individual-sign.pem"	# no anchors
expect "" 2 check-cert $OFF --no-revocation --lang de "$P/individual-sign.pem"
expect "" 2 verify --offline --anchors "$T/garbage" "$T/rsa-attached.p7"

# ---- JSON: Kazakh letters arrive as UTF-8
expect VALID 0 verify $OFF --no-revocation --json "$T/rsa-attached.p7"
grep -q '"common_name": "ҚАСЫМОВ ӘЛИХАН"' "$T/out" ||
    grep -q '"common_name": ".*[ӘҒҚҢӨҰҮҺІ]' "$T/out" || fail "Kazakh letters lost in JSON"
python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["verdict"]=="VALID", j' < "$T/out" ||
    fail "--json stdout is not JSON alone"

[ $fails -eq 0 ] || { echo "$fails failures"; exit 1; }
echo "all passed"
