#!/bin/sh
# make check: replays every fuzz corpus through its target once (gcc
# build: fuzz/replay_main.c; libFuzzer build: -runs=0). Seeds: the
# checked-in fuzz/corpus/NAME, the test PKI's (fuzz/make-corpus, made
# here when missing) and every reproducer in fuzz/crashes/NAME. Fails
# when a target aborts, crashes or reads nothing. The reproducers of
# findings not fixed yet, fuzz/crashes/open/NAME, are run one by one and
# reported (KNOWN while they fail, FIXED when they pass) without failing.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
gen=$top_builddir/fuzz/corpus-gen
targets=${FUZZ_TARGETS_ONLY:-"frame request config identity cms crl delta ocsp gost policy path xml p12"}

if [ ! -f "$gen/stamp" ]; then
	sh "$top_srcdir/fuzz/make-corpus" "$top_builddir/testpki/tanba-testpki" "$gen" \
	    > "$top_builddir/fuzz/make-corpus.log" 2>&1 || {
		echo "FAIL: fuzz/make-corpus (see fuzz/make-corpus.log)"
		cat "$top_builddir/fuzz/make-corpus.log"
		exit 1
	}
	touch "$gen/stamp"
fi
TANBA_FUZZ_ANCHORS=$gen/pki/anchors.pem
TANBA_FUZZ_UNTRUSTED=$gen/pki/untrusted.pem
export TANBA_FUZZ_ANCHORS TANBA_FUZZ_UNTRUSTED

failed=0
for t in $targets; do
	set --
	for d in "$top_srcdir/fuzz/corpus/$t" "$gen/$t" "$top_srcdir/fuzz/crashes/$t"; do
		[ -d "$d" ] && set -- "$@" "$d"
	done
	if "$top_builddir/fuzz/fuzz_$t" -runs=0 "$@" > "$top_builddir/fuzz/replay_$t.log" 2>&1
	then
		echo "PASS: fuzz_$t: $(tail -n 1 "$top_builddir/fuzz/replay_$t.log")"
	else
		echo "FAIL: fuzz_$t"
		tail -n 30 "$top_builddir/fuzz/replay_$t.log"
		failed=1
	fi
	for f in "$top_srcdir/fuzz/crashes/open/$t"/*; do
		[ -f "$f" ] || continue
		if "$top_builddir/fuzz/fuzz_$t" -runs=0 "$f" > /dev/null 2>&1; then
			echo "FIXED?: fuzz_$t $f passes here (some need ASan:" \
			    "scripts/fuzz); once fixed, move it to fuzz/crashes/$t/"
		else
			echo "KNOWN: fuzz_$t $f (open finding, docs/FUZZING.md)"
		fi
	done
done
exit $failed
