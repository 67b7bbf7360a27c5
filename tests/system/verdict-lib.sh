# Sourced by the shell tests that run tanba and read its verdict
# (clock.sh, verify-offline.sh) with VERDICT_TEST naming the test: finds
# the tools, makes the scratch directory $T (removed on exit) and defines
# fail and expect. It never decides a verdict itself: every check is a
# comparison with what the test says it expects.
: "${top_builddir:=$(pwd)}"
TANBA=${TANBA:-"$top_builddir/ca-tools/tanba"}
TESTPKI=${TESTPKI:-"$top_builddir/testpki/tanba-testpki"}
[ -x "$TANBA" ] || { echo "FAIL: $TANBA not built"; exit 99; }
[ -x "$TESTPKI" ] || { echo "FAIL: $TESTPKI not built"; exit 99; }
mkdir -p "$top_builddir/tests"
T=$(mktemp -d "$top_builddir/tests/tmp.$VERDICT_TEST.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
fails=0
. "$top_srcdir/tests/answer-lib.sh"

fail() {
	echo "FAIL: $*"
	sed 's/^/  out: /' "$T/out"; sed 's/^/  err: /' "$T/err"
	fails=$((fails + 1))
}

# expect VERDICT STATUS ARGS...: exit status of tanba ARGS, and its
# verdict (answer_verdict) unless VERDICT is empty.
expect() {
	_want=$1 _rc=$2
	shift 2
	"$TANBA" "$@" >"$T/out" 2>"$T/err"
	_got=$?
	_first=$(answer_verdict "$T/out")
	if [ "$_got" != "$_rc" ]; then
		fail "tanba $*: exit $_got, expected $_rc"
	elif [ -n "$_want" ] && [ "$_first" != "$_want" ]; then
		fail "tanba $*: first line '$_first', expected '$_want'"
	else
		echo "ok: $_want ($_rc) tanba $*"
	fi
}
