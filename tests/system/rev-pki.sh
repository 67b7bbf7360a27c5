#!/bin/sh
# Makes the test PKI for the revocation tests with the openssl CLI: a CA,
# an impostor CA with the same name, an unrelated CA, leaves in every
# revocation state, OCSP responder certificates, complete, delta and faulty
# CRLs, and the index files `openssl ca` and `openssl ocsp` read.
# Usage: rev-pki.sh DIR. Test material only: keys are unencrypted.
set -eu
D=$1
mkdir -p "$D"
cd "$D"

ago() { date -u -d "$1" +%y%m%d%H%M%SZ; }

cat > ext.cnf <<'EOC'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://127.0.0.1:1/from-cert.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:1/from-cert-ocsp
[ocsp]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
authorityKeyIdentifier = keyid
EOC

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# The CA (RSA like the NCA's), an impostor with the same name but another
# key, and an unrelated CA.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -subj "/C=KZ/O=Tanba Test/CN=Tanba Test CA" -days 3650 \
    -extensions ca -config ext.cnf -set_serial 1 -out ca.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out impostor.key 2>/dev/null
openssl req -x509 -new -key impostor.key -subj "/C=KZ/O=Tanba Test/CN=Tanba Test CA" \
    -days 3650 -extensions ca -config ext.cnf -set_serial 2 -out impostor.pem 2>/dev/null
key other-ca.key
openssl req -x509 -new -key other-ca.key -subj "/C=KZ/O=Other/CN=Other CA" -days 3650 \
    -extensions ca -config ext.cnf -set_serial 3 -out other-ca.pem 2>/dev/null

issue() { # name serial profile [ca]
	ca=${4:-ca}
	key "$1.key"
	openssl req -new -key "$1.key" -subj "/C=KZ/CN=$1" -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$2" \
	    -days 365 -extfile ext.cnf -extensions "$3" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr"
}
issue good 1001 leaf
issue revoked 1002 leaf
issue delta-revoked 1003 leaf
issue held 1004 leaf
issue unknown 1005 leaf
issue later 1006 leaf
issue ocsp 2001 ocsp
issue rogue 2002 leaf
issue other-ocsp 2003 ocsp other-ca

EXP=301231000000Z
REV1=$(ago '3 hours ago')
REVL=$(ago '1 hour ago')
REVD=$(ago '30 minutes ago')
echo "$REV1" > rev1.time
echo "$REVL" > revlater.time
echo "$REVD" > revdelta.time
line() { printf '%s\t%s\t%s\t%s\tunknown\t/C=KZ/CN=%s\n' "$1" "$EXP" "$2" "$3" "$4"; }
{
	line V "" 1001 good
	line R "$REV1,keyCompromise" 1002 revoked
	line V "" 1003 delta-revoked
	line R "$REV1,certificateHold,holdInstructionReject" 1004 held
	line R "$REVL,superseded" 1006 later
	line V "" 2001 ocsp
	line V "" 2002 rogue
} > index.txt
# The delta since the base: one new revocation, one hold released.
{
	line R "$REVD,keyCompromise" 1003 delta-revoked
	line R "$REVD,removeFromCRL" 1004 held
} > index-delta.txt
: > index-other.txt

cat > ca.cnf <<'EOC'
[ca]
default_ca = CA_default
[CA_default]
database = $ENV::DB
crlnumber = $ENV::NUM
default_md = sha256
crl_extensions = $ENV::EXT
[full]
authorityKeyIdentifier = keyid
[delta]
authorityKeyIdentifier = keyid
2.5.29.27 = critical,DER:02:01:01
[bare]
[idp-match]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical,@dp_cert
[idp-other]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical,@dp_other
[only-ca]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical,@dp_only_ca
[only-attr]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical,@dp_only_attr
[only-some]
authorityKeyIdentifier = keyid
issuingDistributionPoint = critical,@dp_only_some
[dp_cert]
fullname = URI:http://127.0.0.1:1/from-cert.crl
onlyuser = TRUE
[dp_other]
fullname = URI:http://127.0.0.1:1/another.crl
[dp_only_ca]
onlyCA = TRUE
[dp_only_attr]
onlyAA = TRUE
[dp_only_some]
onlysomereasons = keyCompromise,CACompromise
EOC
crl() { # out db number ext ca [extra ca args]
	out=$1 db=$2 num=$3 ext=$4 ca=$5
	shift 5
	echo "$num" > crlnumber
	DB=$db NUM=crlnumber EXT=$ext openssl ca -batch -config ca.cnf -gencrl \
	    -keyfile "$ca.key" -cert "$ca.pem" "$@" -out "$out.pem" 2>/dev/null
	openssl crl -in "$out.pem" -outform DER -out "$out.crl"
	rm -f "$out.pem" crlnumber.old "$db.attr" "$db.attr.old" "$db.old"
}
crl full index.txt 01 full ca -crlhours 24
crl delta index-delta.txt 02 delta ca -crlhours 24
crl expired index.txt 01 full ca -crl_lastupdate "$(ago '2 days ago')" \
    -crl_nextupdate "$(ago '1 day ago')"
crl future index.txt 05 full ca -crl_lastupdate "$(ago '2 days')" -crl_nextupdate "$(ago '3 days')"
crl impostor index.txt 07 bare impostor -crlhours 24
# RFC 5280 6.3.3 scope: the leaves name from-cert.crl as their distribution point.
for scope in idp-match idp-other only-ca only-attr only-some; do
	crl "$scope" index.txt 01 "$scope" ca -crlhours 24
done
crl other index-other.txt 01 full other-ca -crlhours 24
head -c 300 full.crl > truncated.crl
: > zero.crl
rm -f crlnumber
