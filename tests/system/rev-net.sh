#!/bin/sh
# Revocation against real servers on loopback: three `openssl ocsp`
# responders (delegated, the CA itself, an unauthorised signer, another
# CA's responder), a python HTTP server for CRLs and faults. Runs
# tests/unit/test_rev_net online, then stops every server and runs it again to
# show the last good CRL is served from disk after a restart.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
PROG=$top_builddir/tests/unit/test_rev_net

. "$top_srcdir/tests/system/setup.sh"
revnet_setup rev-net
P=$W/pki

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# Starts `openssl ocsp` signing with $2 on a port it picks itself and sets
# the variable named $1 to that port. The port is read from its log: a
# bare connect to probe it would make the responder spin.
responder() {
	log=$W/ocsp-$2.log
	openssl ocsp -index "$P/index.txt" -CA "$P/ca.pem" -rsigner "$P/$2.pem" \
	    -rkey "$P/$2.key" -port 0 -ignore_err -nmin 60 >"$log" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while ! grep -q "waiting for OCSP client" "$log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "openssl ocsp did not start" >&2; cat "$log" >&2; exit 1; }
		sleep 0.1
	done
	port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*/\1/p' "$log")
	[ -n "$port" ] || { echo "openssl ocsp port unknown" >&2; exit 1; }
	eval "$1=$port"
}

revnet_server HTTP_PORT
responder OCSP_DELEG ocsp
responder OCSP_DIRECT ca
responder OCSP_ROGUE rogue
responder OCSP_OTHER other-ocsp
REFUSED=$(free_port)

# Saved answers for the replay tests: one with a nonce (replayed later with
# another), one without a nonce for another certificate, one for the
# coalescing test.
openssl ocsp -issuer "$P/ca.pem" -cert "$P/good.pem" -url "http://127.0.0.1:$OCSP_DELEG" \
    -respout "$W/www/replay.der" -noverify -timeout 10 >/dev/null 2>&1
openssl ocsp -issuer "$P/ca.pem" -cert "$P/revoked.pem" -url "http://127.0.0.1:$OCSP_DELEG" \
    -respout "$W/www/other-cert.der" -no_nonce -noverify -timeout 10 >/dev/null 2>&1
openssl ocsp -issuer "$P/ca.pem" -cert "$P/good.pem" -url "http://127.0.0.1:$OCSP_DELEG" \
    -respout "$W/www/good-nononce.der" -no_nonce -noverify -timeout 10 >/dev/null 2>&1

export REV_PKI="$P" REV_WWW="$W/www" REV_CACHE="$W/cache"
export REV_HTTP="http://127.0.0.1:$HTTP_PORT"
export REV_OCSP_DELEG="http://127.0.0.1:$OCSP_DELEG"
export REV_OCSP_DIRECT="http://127.0.0.1:$OCSP_DIRECT"
export REV_OCSP_ROGUE="http://127.0.0.1:$OCSP_ROGUE"
export REV_OCSP_OTHER="http://127.0.0.1:$OCSP_OTHER"
export REV_REFUSED="http://127.0.0.1:$REFUSED"
mkdir -p "$W/cache"

${REV_WRAP:-} "$PROG" online

# Restart with every server stopped: the disk copy must answer.
revnet_stop
${REV_WRAP:-} "$PROG" offline
