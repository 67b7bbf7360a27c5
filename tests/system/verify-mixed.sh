#!/bin/sh
# One CMS, two signers: a citizen's GOST 34.10-2015 (512) signature and an
# organisation's RSA signature over the same document. Each signer is
# verified through the full verification path; a broken signature on one is
# reported against that signer alone, and a changed document fails both.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
pki="$top_builddir/testpki/tanba-testpki"
tanba="$top_builddir/ca-tools/tanba"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tb-mixed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cd "$tmp"
if ! "$pki" hierarchy --out G --ca-alg gost512 --leaf-alg gost512 >/dev/null 2>gost.err; then
	echo "SKIP: no GOST engine: $(cat gost.err)"
	exit 77
fi
"$pki" hierarchy --out R --ca-alg rsa2048 --leaf-alg rsa2048 >/dev/null || fail "RSA hierarchy"
printf 'Өтініш: мекенжай анықтамасы\n' > doc
"$pki" cms --cert G/individual-sign.pem --key G/individual-sign.key --digest-alg streebog512 \
	--in doc --out mixed.p7s --add-signer R/legal-sign.pem R/legal-sign.key >/dev/null ||
	fail "mixed CMS not made"
cat G/root.pem R/root.pem > anchors.pem
cat G/ca.pem R/ca.pem > untrusted.pem

# verdict FILE: prints "VERDICT|algorithms|reasons as code:signer".
verdict() {
	"$tanba" verify --offline --no-revocation --anchors anchors.pem --untrusted untrusted.pem --json "$1" |
	    python3 -c '
import json, sys
r = json.load(sys.stdin)
algs = ",".join(s["algorithm"] for s in r["signers"])
why = ",".join("%s:%s" % (x["code"], x.get("signer")) for x in r["reasons"])
print("%s|%s|%s" % (r["verdict"], algs, why))'
}

got=$(verdict mixed.p7s)
echo "mixed: $got"
[ "$got" = "VALID|gost2015-512,rsa-pkcs1-sha256|" ] || fail "mixed CMS: $got"

# The RSA signer's signature value is the last element of the file.
python3 -c "
d = bytearray(open('mixed.p7s', 'rb').read()); d[-1] ^= 1
open('rsa-broken.p7s', 'wb').write(d)"
got=$(verdict rsa-broken.p7s)
echo "rsa signer broken: $got"
[ "$got" = "SIGNATURE_INVALID|gost2015-512,rsa-pkcs1-sha256|SIGNATURE_INVALID:1" ] ||
	fail "a broken RSA signer must be named alone: $got"

# Content changed: both messageDigest values fail.
python3 -c "
import sys
d = open('mixed.p7s', 'rb').read(); doc = open('doc', 'rb').read()
i = d.index(doc); d = d[:i] + b'X' + d[i + 1:]
open('doc-changed.p7s', 'wb').write(d)"
got=$(verdict doc-changed.p7s)
echo "document changed: $got"
case "$got" in
DIGEST_MISMATCH*"DIGEST_MISMATCH:0"*"DIGEST_MISMATCH:1"*) ;;
*) fail "a changed document must fail both signers: $got" ;;
esac
echo "mixed GOST and RSA signers verified one by one"
