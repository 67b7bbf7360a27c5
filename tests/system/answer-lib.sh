# Sourced by the tests that read tanba verify/check-cert answers.
# The verdict of an answer in $1: its first line, or with --json (which
# writes nothing but JSON) the "verdict" of the whole of stdout as parsed.
answer_verdict() {
	if [ "$(head -c 1 "$1")" = "{" ]; then
		python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$1" 2>/dev/null ||
		    echo "(stdout is not JSON alone)"
	else
		head -n 1 "$1"
	fi
}
