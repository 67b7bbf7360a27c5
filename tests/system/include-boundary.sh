#!/bin/sh
# The folders' boundaries as the preprocessor sees them (docs/LAYOUT.md):
# which folders' headers each folder's sources include, and which folders
# include the headers of p11-kit, libcurl, libseccomp, libxml2 and the
# socket API. Every daemon folder is on every program's include path, so
# the compiler does not keep the front out of the signer's headers: this
# check does. What a program links is split-programs.sh's and
# libsig-purity.sh's; the names of PKCS#11 types token-boundary.sh's.
#
# An include "x.h" is resolved as the compiler does: the including file's
# own folder first, then the include path in Makefile.am's order. tests/
# is not scanned: a test reaches into what it tests.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"

# Makefile.am's AM_CPPFLAGS, then the folders programs add (-I ca-tools, testpki).
ORDER="common libsig revocation pkcs11 daemon/shared daemon/front daemon/signer daemon/parent ca-tools testpki"

# folder: the folders (or single headers, folder/x.h) its sources may include.
RULES='common common
libsig common libsig
revocation common libsig revocation
pkcs11 common libsig pkcs11
daemon/shared common libsig daemon/shared
daemon/front common libsig revocation daemon/shared daemon/front
daemon/signer common libsig pkcs11/tb_p11.h daemon/shared daemon/signer
daemon/parent common libsig daemon/shared daemon/parent
ca-tools common libsig revocation pkcs11/tb_p11.h pkcs11/tb_p11_manage.h daemon/shared/conf.h daemon/signer/audit.h ca-tools
testpki common libsig testpki
bench *
fuzz *'

# <header> (or a prefix ending in /): the only folders that may include it.
SYSTEM='p11-kit/ pkcs11
pkcs11.h pkcs11
curl/ revocation
seccomp.h daemon/shared
libxml/ libsig
sys/socket.h daemon/shared daemon/front daemon/signer daemon/parent ca-tools testpki bench'

# file header reason: an include allowed to one file against the rules above.
ALLOW='bench/sign.c p11-kit/pkcs11.h raw C_Sign on the module, the baseline the daemon is measured against (bench/README.md)'

fail() { echo "FAIL: $*"; exit 1; }

# The sources of a tree, tests/ and build folders left out.
sources() {
	(cd "$1" && find . -path ./tests -prune -o -path ./build -prune -o -path ./_build -prune \
	    -o -path './tanba-*' -prune -o \( -name '*.c' -o -name '*.h' \) -type f -print) |
	    sed 's|^\./||' | sort
}

# Prints "file folder include resolved" for every include of the tree at $1:
# resolved is the folder (quoted includes) or "system" (angle brackets);
# a quoted include found nowhere (config.h, generated) is left out.
includes() {
	root=$1
	sources "$root" | while read -r f; do
		d=${f%/*}
		[ "$d" = "$f" ] && d=.
		sed -n 's/^[ 	]*#[ 	]*include[ 	]*\(["<][^">]*[">]\).*/\1/p' "$root/$f" |
		while read -r inc; do
			h=${inc#?}
			h=${h%?}
			case "$inc" in
			\<*) echo "$f $d $h system" ;;
			*)
				r=
				if [ -f "$root/$d/$h" ]; then
					r=$d
				else
					for o in $ORDER; do
						[ -f "$root/$o/$h" ] && { r=$o; break; }
					done
				fi
				[ -n "$r" ] && echo "$f $d $h $r"
				;;
			esac
		done
	done
}

# Prints one line per include against the rules.
violations() {
	awk -v rules="$RULES" -v sysrules="$SYSTEM" -v allow="$ALLOW" '
	BEGIN {
		n = split(rules, l, "\n")
		for (i = 1; i <= n; i++) { k = split(l[i], w, " "); for (j = 2; j <= k; j++) may[w[1]] = may[w[1]] " " w[j] " " }
		n = split(sysrules, l, "\n")
		for (i = 1; i <= n; i++) { k = split(l[i], w, " "); sys[w[1]] = ""; for (j = 2; j <= k; j++) sys[w[1]] = sys[w[1]] " " w[j] " " }
		n = split(allow, l, "\n")
		for (i = 1; i <= n; i++) { split(l[i], w, " "); ok[w[1] " " w[2]] = 1 }
	}
	{
		f = $1; d = $2; h = $3; r = $4
		if ((f " " h) in ok) next
		if (!(d in may)) { print f ": folder " d " has no rule in include-boundary.sh"; next }
		if (r == "system") {
			for (p in sys) {
				hit = (p ~ /\/$/) ? (index(h, p) == 1) : (h == p || h ~ ("/" p "$"))
				if (hit && index(sys[p], " " d " ") == 0)
					print f ": includes <" h ">, which only" sys[p] "may"
			}
			next
		}
		if (r == d || may[d] == " * ") next
		if (index(may[d], " " r " ") || index(may[d], " " r "/" h " ")) next
		print f ": includes " r "/" h
	}'
}

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# The control: a tree with one include of each kind the check must refuse.
mkdir -p "$tmp/t/daemon/front" "$tmp/t/daemon/signer" "$tmp/t/libsig" "$tmp/t/pkcs11" "$tmp/t/ca-tools"
: > "$tmp/t/daemon/signer/keystore.h"
: > "$tmp/t/pkcs11/call.h"
printf '#include "keystore.h"\n' > "$tmp/t/daemon/front/op.c"
printf '#include <curl/curl.h>\n#include <sys/socket.h>\n' > "$tmp/t/libsig/v.c"
printf '#include "call.h"\n#include <p11-kit/pkcs11.h>\n' > "$tmp/t/ca-tools/admin.c"
got=$(includes "$tmp/t" | violations)
for want in 'daemon/front/op.c: includes daemon/signer/keystore.h' 'libsig/v.c: includes <curl/curl.h>' \
    'libsig/v.c: includes <sys/socket.h>' 'ca-tools/admin.c: includes pkcs11/call.h' \
    'ca-tools/admin.c: includes <p11-kit/pkcs11.h>'; do
	echo "$got" | grep -qF "$want" || fail "the check misses \"$want\" in its control tree: $got"
done

all=$(includes "$top_srcdir")
[ "$(echo "$all" | wc -l)" -gt 500 ] || fail "found almost no include under $top_srcdir"
bad=$(echo "$all" | violations)
if [ -n "$bad" ]; then
	echo "$bad"
	fail "an include crosses a folder's boundary (docs/LAYOUT.md)"
fi
# Every allowed entry still in use.
echo "$ALLOW" | while read -r f h why; do
	echo "$all" | awk -v f="$f" -v h="$h" '$1 == f && $3 == h { found = 1 } END { exit !found }' ||
	    { echo "FAIL: allowed \"$f <$h>\" is no longer used: remove it"; exit 1; }
done || exit 1
echo "ok: $(echo "$all" | wc -l) includes of $(echo "$all" | awk '{ print $1 }' | sort -u | wc -l) sources keep their folders' boundaries"
