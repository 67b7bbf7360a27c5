# Sourced by the revocation tests that run servers on loopback (rev-net.sh,
# netfault.sh), with top_srcdir set: a scratch directory $W removed on
# exit with every server in $PIDS stopped, the test PKI in $W/pki and its
# CRLs in $W/www. Servers listen on 127.0.0.1 only.

# revnet_setup NAME: makes $W (tb-NAME.XXXXXX), the PKI and $W/www.
revnet_setup() {
	W=$(mktemp -d "${TMPDIR:-/tmp}/tb-$1.XXXXXX")
	PIDS=""
	trap revnet_cleanup EXIT INT TERM
	sh "$top_srcdir/tests/rev-pki.sh" "$W/pki" >/dev/null 2>&1
	mkdir -p "$W/www"
	cp "$W/pki"/*.crl "$W/www/"
}

# revnet_stop: stops every server started so far.
revnet_stop() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	PIDS=""
}

revnet_cleanup() {
	revnet_stop
	rm -rf "$W"
}

# revnet_server VAR [MODE [CERT KEY]]: starts tests/rev-httpd.py on $W/www
# (plain by default) and sets VAR to its port.
revnet_server() {
	_var=$1
	shift
	pf=$W/$_var.port
	python3 "$top_srcdir/tests/rev-httpd.py" "$W/www" "$pf" "$@" 2>"$W/$_var.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -f "$pf" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "server $_var did not start" >&2; cat "$W/$_var.log" >&2; exit 99; }
		sleep 0.1
	done
	eval "$_var=$(cat "$pf")"
}
