#!/bin/sh
# The split is a build boundary, proved by the linker's output: the front
# (tanbad-front, which reads clients' frames, JSON, CMS and certificates and
# fetches CRLs and OCSP) has no PKCS#11 layer in it and p11-kit among its
# libraries; the signer (tanbad-signer, which holds the token sessions)
# has neither libcurl nor an XML library, and none of the code that parses
# client frames, verifies CMS or fetches revocation data; the parent
# (tanbad, which starts both as root) has none of either.
: "${top_builddir:=$(pwd)}"
for c in readelf nm; do
	command -v $c >/dev/null 2>&1 || { echo "SKIP: no $c"; exit 77; }
done
PARENT=$top_builddir/daemon/tanbad
FRONT=$top_builddir/daemon/tanbad-front
SIGNER=$top_builddir/daemon/tanbad-signer
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$PARENT" ] && [ -x "$FRONT" ] && [ -x "$SIGNER" ] ||
    fail "tanbad, tanbad-front or tanbad-signer not built"

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# Symbols defined in, or imported by, the program.
syms() { nm "$1" | awk '{ print $NF }' | sed 's/@.*//'; }

needed "$FRONT" > front.needed.$$
needed "$SIGNER" > signer.needed.$$
syms "$FRONT" > front.syms.$$
syms "$SIGNER" > signer.syms.$$
needed "$PARENT" > parent.needed.$$
syms "$PARENT" > parent.syms.$$
trap 'rm -f front.needed.$$ signer.needed.$$ front.syms.$$ signer.syms.$$ parent.needed.$$ parent.syms.$$' EXIT

# Positive controls: each program has what it is for, so that a check below
# that finds nothing means something.
grep -q '^libp11-kit' signer.needed.$$ || fail "the signer does not link p11-kit?"
grep -q '^libcurl' front.needed.$$ || fail "the front does not link libcurl?"
grep -qx 'tb_p11_key_sign' signer.syms.$$ || fail "no tb_p11_key_sign in the signer?"
grep -qx 'tb_proto_get_string' front.syms.$$ || fail "no frame parser in the front?"
grep -qx 'tb_parent_run' parent.syms.$$ || fail "no tb_parent_run in the parent?"

echo "front needs: $(tr '\n' ' ' < front.needed.$$)"
echo "signer needs: $(tr '\n' ' ' < signer.needed.$$)"
echo "parent needs: $(tr '\n' ' ' < parent.needed.$$)"
grep -q '^libp11-kit' front.needed.$$ && fail "the front links p11-kit"
grep -E '^(tb_p11_|tb_keystore_|tb_ks_key_|C_GetFunctionList$|p11_kit_)' front.syms.$$ &&
    fail "the front holds PKCS#11 code"
grep -qE '^(libcurl|libxml2|libexpat)' signer.needed.$$ && fail "the signer links $(grep -E '^(libcurl|libxml2|libexpat)' signer.needed.$$)"
# Client frames and JSON requests (proto.c, request.c), CMS verification and
# its parsers (libsig verify, identity, GOST verification), revocation
# fetching. The GOST signing part of libsig is there for file keys
# (daemon/signer/filekey.c), its verification and CMS assembly left out by the link.
grep -qx 'tb_gost_key_sign' signer.syms.$$ || fail "no GOST file keys in the signer?"
grep -E '^(tb_proto_|tb_frame_|tb_request_|tb_verify|tb_cms_verify|tb_identity_|tb_gost_verify$|tb_gost_digest$|tb_rev_|tb_crl_|tb_ocsp_|tb_fetch|curl_|CMS_verify$|d2i_CMS_ContentInfo$|SMIME_read_CMS$|tb_cms_assemble$|tb_cms_gost_assemble$|tb_cms_sign_gost$)' signer.syms.$$ &&
    fail "the signer holds code that parses what clients send"
# The parent: no token, no network client, no parser of what clients send.
grep -qE '^(libp11-kit|libcurl|libxml2|libexpat|libjansson)' parent.needed.$$ &&
    fail "the parent links $(grep -E '^(libp11-kit|libcurl|libxml2|libexpat|libjansson)' parent.needed.$$)"
grep -E '^(tb_p11_|tb_keystore_|C_GetFunctionList$|p11_kit_|tb_proto_|tb_frame_|tb_request_|tb_verify|tb_cms_|tb_rev_|tb_fetch|curl_|tb_audit_)' parent.syms.$$ &&
    fail "the parent holds code of the front or the signer"
echo "PASS"
