#!/bin/sh
# Network faults on the way to a revocation source, through the real fetch
# and revocation code (tests/unit/test_netfault): a host that never resolves, TLS
# failures, one byte a second, an endless body over TLS. Servers:
# tests/system/rev-httpd.py on 127.0.0.1. Never touches the system CA bundle.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
PROG=$top_builddir/tests/unit/test_netfault
BUNDLE=/etc/ssl/certs/ca-certificates.crt

. "$top_srcdir/tests/system/setup.sh"
revnet_setup netfault
mkdir -p "$W/tls"

# ---- TLS server certificates: a CA of their own and four server certificates
T=$W/tls
cat > "$T/ext.cnf" <<'EOC'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[srv]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[misnamed]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:crl.example.invalid
[ca_default]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
EOC
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
(
	cd "$T"
	key ca.key
	openssl req -x509 -new -key ca.key -subj "/CN=Tanba TLS Test CA" -days 30 \
	    -extensions ca -config ext.cnf -out ca.pem 2>/dev/null
	for n in good expired misnamed; do
		key $n.key
		openssl req -new -key $n.key -subj "/CN=127.0.0.1" -out $n.csr 2>/dev/null
	done
	openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key -set_serial 0x10 -days 30 \
	    -extfile ext.cnf -extensions srv -out good.pem 2>/dev/null
	openssl x509 -req -in misnamed.csr -CA ca.pem -CAkey ca.key -set_serial 0x11 -days 30 \
	    -extfile ext.cnf -extensions misnamed -out misnamed.pem 2>/dev/null
	# Expired a year ago: `openssl ca` is the CLI way to set both dates.
	: > index.txt
	echo 12 > serial
	openssl ca -batch -config ext.cnf -name ca_default -cert ca.pem -keyfile ca.key \
	    -in expired.csr -extfile ext.cnf -extensions srv -notext \
	    -startdate "$(date -u -d '400 days ago' +%Y%m%d%H%M%SZ)" \
	    -enddate "$(date -u -d '365 days ago' +%Y%m%d%H%M%SZ)" -out expired.pem 2>/dev/null
	key self.key
	openssl req -x509 -new -key self.key -subj "/CN=127.0.0.1" -days 30 \
	    -extensions srv -config ext.cnf -out self.pem 2>/dev/null
)
for n in good expired misnamed self; do
	[ -s "$T/$n.pem" ] || { echo "could not make TLS certificate $n" >&2; exit 99; }
done
openssl x509 -in "$T/expired.pem" -noout -checkend 0 >/dev/null 2>&1 &&
    { echo "expired.pem is not expired" >&2; exit 99; }

revnet_server PLAIN plain
revnet_server SILENT silent
for n in good expired misnamed self; do
	revnet_server "TLS_$(echo $n | tr a-z A-Z)" tls "$T/$n.pem" "$T/$n.key"
done

export REV_PKI="$W/pki"
export NF_PLAIN="http://127.0.0.1:$PLAIN"
export NF_SILENT="https://127.0.0.1:$SILENT"
export NF_PLAIN_AS_TLS="https://127.0.0.1:$PLAIN"
export NF_TLS_GOOD="https://127.0.0.1:$TLS_GOOD"
export NF_TLS_EXPIRED="https://127.0.0.1:$TLS_EXPIRED"
export NF_TLS_MISNAMED="https://127.0.0.1:$TLS_MISNAMED"
export NF_TLS_SELF="https://127.0.0.1:$TLS_SELF"

# The expired, misnamed and working-control cases need a server certificate
# the client trusts: this test's TLS CA is bound over the CA bundle inside a
# private user and mount namespace only. Without namespaces those cases
# assert just the fail-closed outcome (NF_NO_NAMESPACE=1 forces this).
if [ -z "${NF_NO_NAMESPACE:-}" ] && [ -f "$BUNDLE" ] &&
    unshare -rm sh -c "mount --bind '$T/ca.pem' '$BUNDLE'" 2>/dev/null; then
	echo "TLS CA trusted inside a mount namespace"
	rc=0
	NF_TRUSTED=1 unshare -rm sh -c \
	    'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$T/ca.pem" "$BUNDLE" \
	    ${REV_WRAP:-} "$PROG" || rc=$?
	exit $rc
fi
echo "namespaces unavailable: TLS cases assert only the fail-closed outcome"
NF_TRUSTED=0 ${REV_WRAP:-} "$PROG"
