#!/bin/sh
# conf/tanbad.service (made in the build tree from conf/tanbad.service.in
# with configure's paths): systemd must parse it without complaint about its
# own directives, and its `systemd-analyze security` exposure must not rise
# above the figure recorded in docs/SANDBOX.md (MAX_EXPOSURE below). Skips
# (77) where systemd-analyze is missing or cannot analyse offline.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
UNIT="$top_builddir/conf/tanbad.service"
# docs/SANDBOX.md, "systemd unit": raise only with a reason written there.
MAX_EXPOSURE=2.4

command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }
[ -f "$UNIT" ] || { echo "FAIL: $UNIT missing"; exit 1; }

out=$(systemd-analyze security --offline=yes --no-pager "$UNIT" 2>&1)
rc=$?
case $out in
*"Overall exposure level"*) ;;
*)
	if echo "$out" | grep -q -i 'unrecognized option\|unknown option'; then
		echo "SKIP: this systemd-analyze has no --offline"; exit 77
	fi
	echo "FAIL: systemd-analyze security (rc $rc): $out"; exit 1 ;;
esac
score=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "FAIL: no exposure figure in: $out"; exit 1; }
echo "exposure $score (at most $MAX_EXPOSURE)"
awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s + 0 <= m + 0) }' ||
    { echo "$out"; echo "FAIL: exposure $score is above $MAX_EXPOSURE"; exit 1; }

# The directives the design relies on are there (a score can hide a swap).
for d in Type=notify NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' MemoryDenyWriteExecute=yes \
    'SystemCallFilter=@system-service seccomp'; do
	grep -q "^$d\$" "$UNIT" || { echo "FAIL: $UNIT lacks $d"; exit 1; }
done

# systemd's own parser: warnings about unknown or misspelt directives fail.
# (Missing /usr/sbin/tanbad and man pages are expected in a build tree.)
v=$(systemd-analyze verify --man=no "$UNIT" 2>&1 |
    grep -v 'is not executable: No such file or directory' |
    grep -v "Command 'man " | grep -i 'unknown\|invalid\|failed to parse\|ignoring')
[ -z "$v" ] || { echo "FAIL: systemd-analyze verify: $v"; exit 1; }
exit 0
