# Shell library for tests and the demo: makes a SoftHSM2 token in a
# directory of its own and puts keys and certificates on it. Sourced, POSIX
# sh, safe under `set -e`. PINs are passed as arguments: test tokens only.

: "${SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
export SOFTHSM_MODULE

# tb_token_init DIR LABEL USERPIN SOPIN
# Creates DIR/tokens and DIR/softhsm2.conf, exports SOFTHSM2_CONF and
# initialises a token with that label in the first free slot.
tb_token_init() {
	[ $# -eq 4 ] || { echo "usage: tb_token_init DIR LABEL USERPIN SOPIN" >&2; return 2; }
	mkdir -p "$1/tokens" || return 1
	_tb_dir=$(cd "$1" && pwd) || return 1
	cat > "$_tb_dir/softhsm2.conf" <<CONF || return 1
directories.tokendir = $_tb_dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
	SOFTHSM2_CONF="$_tb_dir/softhsm2.conf"
	export SOFTHSM2_CONF
	softhsm2-util --init-token --free --label "$2" --pin "$3" --so-pin "$4" || return 1
}

# tb_token_import_key TOKENLABEL OBJLABEL IDHEX KEYPEM USERPIN
# Imports a PKCS#8 PEM private key (RSA or EC) with that label and CKA_ID.
tb_token_import_key() {
	[ $# -eq 5 ] || { echo "usage: tb_token_import_key TOKENLABEL OBJLABEL IDHEX KEYPEM USERPIN" >&2; return 2; }
	softhsm2-util --import "$4" --token "$1" --label "$2" --id "$3" --pin "$5" || return 1
}

# tb_token_import_cert TOKENLABEL OBJLABEL IDHEX CERTPEM USERPIN
# Writes the certificate (PEM or DER) as a CKO_CERTIFICATE object.
tb_token_import_cert() {
	[ $# -eq 5 ] || { echo "usage: tb_token_import_cert TOKENLABEL OBJLABEL IDHEX CERTPEM USERPIN" >&2; return 2; }
	_tb_der=$(mktemp "${TMPDIR:-/tmp}/tb-cert.XXXXXX") || return 1
	if ! openssl x509 -in "$4" -outform DER -out "$_tb_der" 2>/dev/null &&
	    ! openssl x509 -inform DER -in "$4" -outform DER -out "$_tb_der"; then
		rm -f "$_tb_der"
		return 1
	fi
	_tb_rc=0
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$1" --login --pin "$5" \
	    --write-object "$_tb_der" --type cert --id "$3" --label "$2" || _tb_rc=1
	rm -f "$_tb_der"
	return $_tb_rc
}

# tb_token_gen_key TOKENLABEL OBJLABEL IDHEX rsa:2048|EC:prime256v1 USERPIN PUBOUT.pem
# Generates a key pair on the token and writes its public key as PEM.
tb_token_gen_key() {
	[ $# -eq 6 ] || { echo "usage: tb_token_gen_key TOKENLABEL OBJLABEL IDHEX KEYTYPE USERPIN PUBOUT.pem" >&2; return 2; }
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$1" --login --pin "$5" \
	    --keypairgen --key-type "$4" --id "$3" --label "$2" --usage-sign || return 1
	_tb_der=$(mktemp "${TMPDIR:-/tmp}/tb-pub.XXXXXX") || return 1
	_tb_rc=0
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$1" \
	    --read-object --type pubkey --id "$3" --output-file "$_tb_der" &&
	    openssl pkey -pubin -inform DER -in "$_tb_der" -out "$6" || _tb_rc=1
	rm -f "$_tb_der"
	return $_tb_rc
}
