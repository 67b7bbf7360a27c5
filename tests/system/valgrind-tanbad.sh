#!/bin/sh
# Runs tanbad under valgrind memcheck, for the daemon integration tests
# (tests/system/setup.sh: TB_DAEMON_CMD; scripts/test runs them so). Any memory error
# or definite/indirect leak makes the process exit 99, in the parent and in
# the front it starts (fork + fexecve: --trace-children follows it); the
# signer (its arguments hold --signer) runs natively: its token work under
# valgrind is covered by the unit tests of pkcs11/. Each process writes its
# own report; `--check DIR` fails on any report with errors, so a child's
# error is not lost when only the parent's exit status is seen. It never
# suppresses tanba's own frames (tests/system/valgrind.supp).
#   valgrind-tanbad.sh [TANBAD ARGS...]   TANBAD: $TB_VALGRIND_TANBAD or
#                                         $top_builddir/daemon/tanbad
#   valgrind-tanbad.sh --check DIR        exit 1 if a report in DIR has errors
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"

if [ "${1:-}" = --check ]; then
	bad=0
	for f in "$2"/valgrind/valgrind.*.log; do
		[ -f "$f" ] || continue
		# A process killed by a signal writes no summary: nothing to judge.
		if grep -q 'ERROR SUMMARY: [1-9]' "$f"; then
			echo "valgrind: errors in $f:" >&2
			cat "$f" >&2
			bad=1
		fi
	done
	exit $bad
fi

tanbad=${TB_VALGRIND_TANBAD:-$top_builddir/daemon/tanbad}
logdir=${TB_VALGRIND_LOG_DIR:-${TB_TMP:-/tmp}}/valgrind
# The front runs as [daemon] user and writes its own report: a directory
# every account may write to, each process its own file.
# (made by the first, root, start; a later start as another user uses it).
mkdir -p "$logdir" || exit 99
[ -O "$logdir" ] && chmod 1777 "$logdir"
command -v valgrind >/dev/null 2>&1 || { echo "valgrind-tanbad.sh: valgrind not installed" >&2; exit 77; }
# --trace-children=yes: the front, exec'd by the parent, is checked too.
# --child-silent-after-fork=yes: the parent's forked child only drops to
# [daemon] user and execs the front, which then reports in its own file; a
# report opened at the fork (as root, under the same pid) would keep the
# front from writing its own. --vgdb=no for the same reason: the gdbserver
# file the fork made as root, named by the pid, would stop the front.
# --track-fds=no: the daemon keeps its sockets open by design.
# --show-leak-kinds: only what fails the run is printed, so a report with
# errors is short enough to read in a test log.
exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --trace-children=yes --trace-children-skip-by-arg=--signer \
    --track-fds=no --child-silent-after-fork=yes --vgdb=no --num-callers=30 \
    --suppressions="$top_srcdir/tests/system/valgrind.supp" \
    --log-file="$logdir/valgrind.%p.log" \
    ${TB_VALGRIND_OPTS:-} "$tanbad" "$@"
