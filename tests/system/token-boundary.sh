#!/bin/sh
# One token layer: no source outside pkcs11/ (and the tests) names a
# CK_RV, a session handle or a function list. Everything tanbad and
# tanba-admin do on a token goes through pkcs11/tb_p11.h and
# pkcs11/tb_p11_manage.h (docs/TOKEN.md). Who includes a PKCS#11 or
# p11-kit header, or pkcs11/'s own headers, is include-boundary.sh's.
#
# One file is allowed, named here with its reason: bench/sign.c measures
# raw C_Sign on the module itself, the baseline the daemon's figures are
# read against (bench/README.md); it is a benchmark, not part of tanba.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$top_srcdir" || exit 1
ALLOWED="bench/sign.c"
PATTERN='CK_RV|CK_SESSION_HANDLE|CK_FUNCTION_LIST'

files=$(find . -path ./pkcs11 -prune -o -path ./tests -prune -o -path ./build -prune \
    -o -path './_build' -prune -o -path './tanba-*' -prune \
    -o \( -name '*.c' -o -name '*.h' \) -type f -print | sed 's|^\./||' | sort)
[ -n "$files" ] || { echo "FAIL: no sources found under $top_srcdir"; exit 1; }
bad=0
for f in $files; do
	case " $ALLOWED " in *" $f "*) continue ;; esac
	if hits=$(grep -nE "$PATTERN" "$f"); then
		echo "$hits" | sed "s|^|$f:|"
		bad=1
	fi
done
if [ "$bad" != 0 ]; then
	echo "FAIL: PKCS#11 outside pkcs11/ (use tb_p11.h or tb_p11_manage.h)"
	exit 1
fi
echo "ok: $(echo "$files" | wc -l) sources outside pkcs11/ and tests/ are free of PKCS#11"
