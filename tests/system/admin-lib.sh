# Harness of the tanba-admin tests, sourced by tests/admin-*.sh: a temporary
# tree under the build dir with an empty SoftHSM2 token directory of its own,
# PIN files (mode 0600) and helpers. It never touches the system's tokens and
# removes the tree on exit (ADMIN_KEEP=1 keeps it).

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
export top_srcdir top_builddir SOFTHSM_MODULE

for _ad_tool in softhsm2-util pkcs11-tool openssl python3; do
	command -v "$_ad_tool" >/dev/null 2>&1 || { echo "SKIP: $_ad_tool not installed"; exit 77; }
done
[ -r "$SOFTHSM_MODULE" ] || { echo "SKIP: no SoftHSM2 module at $SOFTHSM_MODULE"; exit 77; }

AD_ADMIN="$top_builddir/ca-tools/tanba-admin"
AD_TESTPKI="$top_builddir/testpki/tanba-testpki"
[ -x "$AD_ADMIN" ] || { echo "FAIL: $AD_ADMIN not built"; exit 99; }

mkdir -p "$top_builddir/tests"
AD_TMP=$(mktemp -d "$top_builddir/tests/tmp.admin.XXXXXX") || exit 99
ad_cleanup() {
	_ad_rc=$?
	if [ -n "$ADMIN_KEEP" ]; then
		echo "kept $AD_TMP" >&2
	else
		rm -rf "$AD_TMP"
	fi
	exit $_ad_rc
}
trap ad_cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$AD_TMP/tokens"
cat > "$AD_TMP/softhsm2.conf" <<CONF
directories.tokendir = $AD_TMP/tokens
objectstore.backend = file
log.level = ERROR
CONF
SOFTHSM2_CONF="$AD_TMP/softhsm2.conf"
export SOFTHSM2_CONF

AD_LABEL=tanba
AD_USER_PIN=4711
AD_SO_PIN=87654321
AD_PIN_FILE="$AD_TMP/user.pin"
AD_SO_PIN_FILE="$AD_TMP/so.pin"
printf '%s\n' "$AD_USER_PIN" > "$AD_PIN_FILE"
printf '%s\n' "$AD_SO_PIN" > "$AD_SO_PIN_FILE"
chmod 0600 "$AD_PIN_FILE" "$AD_SO_PIN_FILE"

# ad_fail MSG: the test failed; says why and exits 1.
ad_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ad_log() {
	echo "== $*"
}

# ad_admin ARGS: tanba-admin on the test module; stdin is never a terminal.
ad_admin() {
	"$AD_ADMIN" --module "$SOFTHSM_MODULE" "$@" </dev/null
}

# ad_token_init: a token labelled $AD_LABEL, made by tanba-admin itself.
ad_token_init() {
	ad_admin token init --free --label "$AD_LABEL" --so-pin-file "$AD_SO_PIN_FILE" \
	    --pin-file "$AD_PIN_FILE"
}

# ad_p11tool ARGS: pkcs11-tool logged in on the test token.
ad_p11tool() {
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$AD_LABEL" --login \
	    --pin "$AD_USER_PIN" "$@" 2>/dev/null
}

# ad_access LABEL: the "Access:" line pkcs11-tool shows for the private key LABEL.
ad_access() {
	ad_p11tool --list-objects --type privkey |
	    awk -v l="$1" '/^Private Key Object/ { p = 1; next }
		p && $1 == "label:" { sub(/^[ \t]*label:[ \t]*/, ""); cur = $0; next }
		p && $1 == "Access:" && cur == l { sub(/^[ \t]*Access:[ \t]*/, ""); print; p = 0 }'
}

# ad_make_ca DIR: a test CA (tanba-testpki when built, else the openssl CLI).
ad_make_ca() {
	mkdir -p "$1"
	if [ -x "$AD_TESTPKI" ] && [ -z "$AD_PKI_OPENSSL" ]; then
		"$AD_TESTPKI" hierarchy --out "$1" --ca-alg rsa2048 --leaf-alg rsa2048 \
		    >"$1/testpki.log" 2>&1 || { cat "$1/testpki.log"; return 1; }
	else
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" -out "$1/ca.pem" \
		    -days 3650 -subj "/CN=tanba admin test CA/C=KZ" \
		    -addext basicConstraints=critical,CA:true \
		    -addext keyUsage=critical,keyCertSign,cRLSign >"$1/ca.log" 2>&1 ||
		    { cat "$1/ca.log"; return 1; }
		cp "$1/ca.pem" "$1/chain.pem"
	fi
}

# ad_issue CADIR CSR OUT [DAYS]: a signing certificate for the request.
ad_issue() {
	if [ -x "$AD_TESTPKI" ] && [ -z "$AD_PKI_OPENSSL" ]; then
		"$AD_TESTPKI" issue --dir "$1" --csr "$2" --profile legal-sign --out "$3" \
		    --days "${4:-365}" >/dev/null
	else
		openssl x509 -req -in "$2" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial \
		    -days "${4:-365}" -out "$3" 2>/dev/null
	fi
}
