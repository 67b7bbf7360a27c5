#!/bin/sh
# Many clients at once: 8 signing loops for a bounded time; every output
# must verify and none may be lost. Then several requests in flight on one
# connection, answered with matching ids.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/system/setup.sh"
tb_setup_daemon

DURATION=${TB_CONC_SECONDS:-10}
CLIENTS=8
doc="$TB_TMP/doc"
head -c 4096 /dev/urandom > "$doc"
d256="sha256:$(tb_sha "$doc" sha256)"

tb_log "$CLIENTS clients for $DURATION s"
end=$(( $(date +%s) + DURATION ))
c=0
pids=
while [ $c -lt $CLIENTS ]; do
	(
		mkdir -p "$TB_TMP/c$c"
		n=0; ok=0; bad=0
		while [ "$(date +%s)" -lt $end ]; do
			n=$((n + 1))
			case $(( (c + n) % 3 )) in
			0) set -- --key rsa --digest "$d256" ;;
			1) set -- --key ec --detached "$doc" ;;
			*) set -- --key ec --digest "$d256" ;;
			esac
			if "$TB_TANBA" --socket "$TB_SOCK" sign "$@" -o "$TB_TMP/c$c/$n.der" \
			    2>>"$TB_TMP/c$c/err"; then
				ok=$((ok + 1))
			else
				bad=$((bad + 1)); rm -f "$TB_TMP/c$c/$n.der"
			fi
		done
		echo "$ok $bad" > "$TB_TMP/c$c/count"
	) &
	pids="$pids $!"
	c=$((c + 1))
done
# Not a bare `wait`: tanbad is a child of this shell too.
for p in $pids; do
	wait "$p"
done

ok_total=0; bad_total=0; files=0
c=0
while [ $c -lt $CLIENTS ]; do
	read -r ok bad < "$TB_TMP/c$c/count" || tb_fail "client $c left no count"
	ok_total=$((ok_total + ok)); bad_total=$((bad_total + bad))
	for f in "$TB_TMP/c$c"/*.der; do
		[ -e "$f" ] || continue
		files=$((files + 1))
		openssl cms -verify -binary -inform DER -in "$f" -content "$doc" \
		    -CAfile "$TB_CAFILE" -out /dev/null 2>/dev/null ||
		    tb_fail "client $c: $(basename "$f") does not verify"
	done
	c=$((c + 1))
done
echo "  $ok_total signatures, $bad_total failures, $files files"
[ "$bad_total" -eq 0 ] || tb_fail "$bad_total requests failed: $(cat "$TB_TMP"/c*/err | sort | uniq -c | head -n 5)"
[ "$files" -eq "$ok_total" ] || tb_fail "$files outputs for $ok_total successful requests"
[ "$ok_total" -ge $CLIENTS ] || tb_fail "only $ok_total signatures in $DURATION s"

tb_tanba status --json > "$TB_TMP/status.json" || tb_fail "status"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["counters"]["signatures"] >= int(sys.argv[2]), s["counters"]' \
    "$TB_TMP/status.json" "$ok_total" || tb_fail "status counts fewer signatures than were made"

tb_log "5 requests in flight on one connection"
mkdir -p "$TB_TMP/pipe"
python3 "$top_srcdir/tests/system/rawclient.py" "$TB_SOCK" pipeline rsa "$d256" 5 "$TB_TMP/pipe" ||
    tb_fail "pipelined requests"
python3 "$top_srcdir/tests/system/rawclient.py" "$TB_SOCK" pipeline ec "$d256" 20 "$TB_TMP/pipe" ||
    tb_fail "20 pipelined requests"
for f in "$TB_TMP/pipe"/*.der; do
	tb_verify_cms "$f" "$doc" || tb_fail "pipelined $(basename "$f") does not verify"
done
echo "PASS"
