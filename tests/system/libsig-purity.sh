#!/bin/sh
# libsig is pure (docs/DESIGN.md): it decides, it does not reach out. Its
# objects (libsig.a and libtbsign.a, which hold no copy of common's) call no
# socket or HTTP client, start no thread or process, and write no file;
# the network, the refresh thread and the CRL disk cache are revocation/'s,
# handed in through tb_fetcher (fetcher.h). Nor does libsig call anything
# of revocation/, the module built over it.
#
# Read as the linker sees it: undefined symbols by nm, fortified names
# (__fprintf_chk, __open_2) taken as the call they stand for. A call that
# reads only is allowed in the one object named below, with its reason;
# an allowed entry that is no longer used fails too, so the list stays
# honest. A probe object with forbidden calls is scanned first: the check
# must find them, or it proves nothing.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build/main}"
NM=${NM:-nm}
AR=${AR:-ar}
CC=${CC:-cc}
LIBSIG_A="$top_builddir/libsig/.libs/libsig.a $top_builddir/libsig/.libs/libtbsign.a"
REV_A="$top_builddir/revocation/.libs/librevocation.a"

NET='socket|socketpair|connect|bind|accept|accept4|listen|send|sendto|sendmsg|recv|recvfrom|recvmsg|getaddrinfo|gethostbyname|gethostbyname_r|curl_[A-Za-z0-9_]*|BIO_new_socket|BIO_new_connect|BIO_new_accept|BIO_s_socket|BIO_s_connect|BIO_s_accept|BIO_s_datagram|OSSL_HTTP_[A-Za-z0-9_]*|OCSP_sendreq_[A-Za-z0-9_]*'
PROC='pthread_create|thrd_create|clone|clone3|fork|vfork|posix_spawn|posix_spawnp|system|popen|execl|execle|execlp|execv|execve|execvp|execvpe'
FILE='open|open64|openat|openat64|creat|creat64|fopen|fopen64|freopen|fdopen|tmpfile|mkstemp|mkstemps|mkostemp|mkdtemp|rename|renameat|renameat2|unlink|unlinkat|remove|rmdir|mkdir|mkdirat|link|linkat|symlink|symlinkat|chmod|fchmod|chown|fchown|truncate|ftruncate|write|pwrite|pwrite64|writev|fwrite|fputs|fputc|putc|fprintf|vfprintf|fsync|fdatasync|mmap|mmap64|opendir|readdir|readdir64|stat|stat64|lstat|fstat|BIO_new_file|BIO_new_fp|BIO_new_fd|BIO_s_file|BIO_s_fd|BIO_write_filename|BIO_append_filename|BIO_rw_filename|PEM_write_([^b]|b[^i]|bi[^o]|bio[^_])[A-Za-z0-9_]*|i2d_[A-Za-z0-9_]*_fp|tb_file_write[A-Za-z0-9_]*'

# object symbol reason: calls that read only, in the one object that needs them.
ALLOW='trust_store opendir anchors may be a directory of certificate files, read only
trust_store readdir the same directory, listed
trust_store stat tells a directory of anchors from a file, read only'

fail() { echo "FAIL: $*"; exit 1; }

# Undefined symbols of the given objects or archives as "object symbol",
# the object without its libtool prefix, the symbol without fortification.
undefined() {
	"$NM" -A -u "$@" 2>/dev/null | awk '{ f = $1; sub(/:$/, "", f); n = split(f, p, /[:\/]/);
	    o = p[n]; sub(/^lib[a-z]*_la-/, "", o); sub(/\.o$/, "", o); print o, $NF }' |
	    sed -e 's/@.*$//' -e 's/ __isoc99_/ /' -e 's/ __\(.*\)_chk$/ \1/' -e 's/ __\(.*\)_2$/ \1/' |
	    sort -u
}

# Prints "object symbol (what)" for every forbidden call not allowed.
forbidden() {
	echo "$1" | awk -v net="^($NET)\$" -v proc="^($PROC)\$" -v file="^($FILE)\$" -v allow="$ALLOW" '
	    BEGIN { n = split(allow, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], w, " "); ok[w[1] " " w[2]] = 1 } }
	    NF == 2 {
		what = ""
		if ($2 ~ net) what = "network"
		else if ($2 ~ proc) what = "thread or process"
		else if ($2 ~ file) what = "file system"
		if (what != "" && !(($1 " " $2) in ok)) print $1, $2, "(" what ")"
	    }'
}

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

# The control: a probe that opens a socket, starts a thread and writes a file.
cat > "$tmp/probe.c" <<'EOF'
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
static void *run(void *a) { return a; }
int probe(void) {
	pthread_t t;
	FILE *f = fopen("/tmp/x", "w");
	return socket(AF_INET, SOCK_STREAM, 0) + pthread_create(&t, NULL, run, f);
}
EOF
"$CC" -c -o "$tmp/libsig_la-probe.o" "$tmp/probe.c" || fail "cannot build the probe object"
got=$(forbidden "$(undefined "$tmp/libsig_la-probe.o")")
for s in socket pthread_create fopen; do
	echo "$got" | grep -q "^probe $s " || fail "the scan misses $s in a probe object: $got"
done

for a in $LIBSIG_A $REV_A; do
	[ -f "$a" ] || fail "$a not built"
done
members=$("$NM" -A -u $LIBSIG_A 2>/dev/null | awk '{ print $1 }' | grep -c 'lib[a-z]*_la-' )
[ "$members" -gt 100 ] || fail "nm found almost nothing in $LIBSIG_A ($members lines)"
# common is linked once, by each program (docs/LAYOUT.md), never copied
# into libsig's archives: so every object scanned below is libsig's own.
for c in $(cd "$top_srcdir/common" && ls *.c | sed 's/\.c$//'); do
	for a in $LIBSIG_A; do
		if "$AR" t "$a" | sed -e 's/^lib[a-z]*_la-//' -e 's/\.o$//' | grep -qx "$c"; then
			fail "$a holds common's $c.o: link common/libtbcommon.la in the program, not in the library"
		fi
	done
done
own=$(undefined $LIBSIG_A)

bad=$(forbidden "$own")
if [ -n "$bad" ]; then
	echo "$bad" | sed 's/^/libsig: /'
	fail "libsig calls the network, starts threads or touches files (move it to revocation/ or pass an interface in)"
fi

# Every allowed entry still in use.
echo "$ALLOW" | while read -r obj sym why; do
	echo "$own" | grep -qx "$obj $sym" || { echo "FAIL: allowed \"$obj $sym\" is no longer used: remove it"; exit 1; }
done || exit 1

# Nothing of revocation/ (it is built over libsig, never under it).
"$NM" -g --defined-only "$REV_A" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u > "$tmp/rev.syms"
[ -s "$tmp/rev.syms" ] || fail "nm found no symbol in $REV_A"
up=$(echo "$own" | awk '{ print $2 }' | sort -u | comm -12 - "$tmp/rev.syms")
[ -z "$up" ] || fail "libsig calls revocation/: $(echo $up)"
# Nor do its sources include a header of revocation/: tests/system/include-boundary.sh.

echo "ok: libsig ($(echo "$own" | awk '{ print $1 }' | sort -u | wc -l) objects) holds no network, thread or file-writing call; $(echo "$ALLOW" | wc -l) read-only calls allowed with reasons"
