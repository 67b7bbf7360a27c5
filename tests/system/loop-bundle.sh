#!/bin/sh
# tests/system/loop-bundle.sh DIR N MODE: N CA certificates all named "CN=Loop CA"
# in DIR/bundle.pem and a leaf they issue in DIR/leaf.pem, made by openssl
# at test time, for the tests of the path search's budget.
#   same:     one key; every certificate self-signed by it, so each one
#             "signs" every other (any order verifies: N!/(N-k)! paths)
#   distinct: a key each, no key identifiers; certificate i is signed by
#             the key of certificate i+1, so one order verifies and every
#             other candidate costs a signature check
set -eu
d=$1 n=$2 mode=$3
mkdir -p "$d"
printf 'basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = none\nauthorityKeyIdentifier = none\n' > "$d/ca.ext"
printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, nonRepudiation\nsubjectKeyIdentifier = none\nauthorityKeyIdentifier = none\n' > "$d/leaf.ext"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
: > "$d/bundle.pem"
i=$((n - 1))
key "$d/k.pem"
openssl req -x509 -new -key "$d/k.pem" -subj "/CN=Loop CA" -set_serial $n -days 3650 \
    -addext "basicConstraints = critical, CA:TRUE" -addext "keyUsage = critical, keyCertSign" \
    -out "$d/up.pem" 2>/dev/null
cp "$d/k.pem" "$d/upk.pem"
cat "$d/up.pem" >> "$d/bundle.pem"
while [ $i -gt 0 ]; do
	i=$((i - 1))
	if [ "$mode" = distinct ]; then
		key "$d/k.pem"
		openssl req -new -key "$d/k.pem" -subj "/CN=Loop CA" -out "$d/c.csr" 2>/dev/null
		openssl x509 -req -in "$d/c.csr" -CA "$d/up.pem" -CAkey "$d/upk.pem" -set_serial $((i + 1)) \
		    -days 3650 -extfile "$d/ca.ext" -out "$d/c.pem" 2>/dev/null
		mv "$d/c.pem" "$d/up.pem"
		mv "$d/k.pem" "$d/upk.pem"
	else
		openssl req -x509 -new -key "$d/k.pem" -subj "/CN=Loop CA" -set_serial $((i + 1)) -days 3650 \
		    -addext "basicConstraints = critical, CA:TRUE" -addext "keyUsage = critical, keyCertSign" \
		    -out "$d/up.pem" 2>/dev/null
	fi
	cat "$d/up.pem" >> "$d/bundle.pem"
done
key "$d/leaf.key"
openssl req -new -key "$d/leaf.key" -subj "/CN=Loop leaf" -out "$d/c.csr" 2>/dev/null
openssl x509 -req -in "$d/c.csr" -CA "$d/up.pem" -CAkey "$d/upk.pem" -set_serial 100000 -days 3650 \
    -extfile "$d/leaf.ext" -out "$d/leaf.pem" 2>/dev/null
