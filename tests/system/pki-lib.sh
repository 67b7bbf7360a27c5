# Shell helpers for the test-PKI tests (sourced, POSIX sh): a scratch
# directory removed on exit, checks that stop the test with a reason, a
# free loopback port, and an IIN/BIN check written apart from the C code
# so that the two can disagree.

: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
TESTPKI="$top_builddir/testpki/tanba-testpki"
[ -x "$TESTPKI" ] || { echo "FAIL: $TESTPKI not built" >&2; exit 1; }

pki_fail() { echo "FAIL: $*" >&2; exit 1; }
pki_ok() { echo "ok: $*"; }

# pki_scratch: sets WORK to a new directory that is removed on exit.
pki_scratch() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tanba-pki.XXXXXX") || exit 1
	trap 'pki_cleanup' EXIT INT TERM
}
pki_cleanup() {
	[ -n "${PKI_PIDS:-}" ] && for p in $PKI_PIDS; do kill "$p" 2>/dev/null; done
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# pki_has FILE TEXT WHAT: FILE must contain the fixed string TEXT.
pki_has() {
	grep -qF -- "$2" "$1" || pki_fail "$3: '$2' not in $1"
}
pki_lacks() {
	! grep -qF -- "$2" "$1" || pki_fail "$3: '$2' unexpectedly in $1"
}

# pki_manifest NAME FIELD: a field (serial, iin, bin, ...) of manifest.txt.
pki_manifest() {
	awk -v n="$1" -v f="$2" '$1 == n { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$DIR/manifest.txt"
}

# pki_iin_valid N: exit status 0 when N has 12 digits and a valid check digit.
pki_iin_valid() {
	echo "$1" | awk '{
		if ($0 !~ /^[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/) exit 1
		s = 0; for (i = 1; i <= 11; i++) s += substr($0, i, 1) * i
		c = s % 11
		if (c == 10) {
			s = 0; for (i = 1; i <= 11; i++) s += substr($0, i, 1) * ((i + 1) % 11 + 1)
			c = s % 11
			if (c == 10) exit 1
		}
		exit (c == substr($0, 12, 1)) ? 0 : 1
	}'
}

# pki_free_port: prints a TCP port free on 127.0.0.1 at the time of asking.
pki_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
