# The one setup script of the system tests (tests/system/), sourced by
# each of them, by scripts/demo and bench/run, and by the unit tests that make
# a SoftHSM2 token (tests/unit/p11_testlib.c, test_sandbox.c). POSIX sh, safe
# under `set -e`. Sourcing it only defines functions and constants; a test
# then calls the setup it needs:
#
#   tb_setup_daemon   the daemon's tree: a SoftHSM2 token, a test PKI, a PIN
#                     file, a tanbad.conf, and the real tanbad started on a
#                     socket in that tree (not with TB_NO_START=1); the
#                     tree is removed on exit (TB_KEEP=1 keeps it).
#   hz_setup          tb_setup_daemon without starting the daemon, plus an
#                     [audit] file and the [client] table of hz_conf
#                     (the hardening, split and load tests).
#   ad_setup          tanba-admin's tree: an empty token directory of its
#                     own and PIN files (ADMIN_KEEP=1 keeps it).
#   pki_setup         the test-PKI tests: tanba-testpki built, pki_* checks
#                     (pki_scratch makes the scratch directory).
#   verdict_setup     the tests that run tanba and read its verdict, with
#                     VERDICT_TEST naming the test: scratch directory $T,
#                     fail and expect.
#   revnet_setup NAME the revocation tests with servers on loopback.
#
# No setup touches the system's tokens or /run/tanba. PINs are passed as
# arguments: test tokens only.

: "${SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
export SOFTHSM_MODULE

# tb_top: top_srcdir and top_builddir when make check has not set them: the
# source tree two folders above the test, the build tree here.
tb_top() {
	: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
	: "${top_builddir:=$(pwd)}"
	export top_srcdir top_builddir
}

# tb_softhsm_conf DIR: DIR/tokens and DIR/softhsm2.conf, SOFTHSM2_CONF
# exported: SoftHSM2 then sees only the tokens of DIR.
tb_softhsm_conf() {
	mkdir -p "$1/tokens" || return 1
	_tb_dir=$(cd "$1" && pwd) || return 1
	cat > "$_tb_dir/softhsm2.conf" <<CONF || return 1
directories.tokendir = $_tb_dir/tokens
objectstore.backend = file
log.level = ERROR
CONF
	SOFTHSM2_CONF="$_tb_dir/softhsm2.conf"
	export SOFTHSM2_CONF
}

# ---- SoftHSM2 tokens: keys and certificates put on a token of its own

# tb_token_init DIR LABEL USERPIN SOPIN
# Creates DIR/tokens and DIR/softhsm2.conf, exports SOFTHSM2_CONF and
# initialises a token with that label in the first free slot.
tb_token_init() {
	[ $# -eq 4 ] || { echo "usage: tb_token_init DIR LABEL USERPIN SOPIN" >&2; return 2; }
	tb_softhsm_conf "$1" || return 1
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

# ---- the daemon: tanbad, its children and the tanba client

# tanbad is the parent: it starts tanbad-front (which serves) and, when the
# front asks, tanbad-signer, both its own children.
# tb_front_of PID: the pid of the tanbad-front under the parent PID (by its
# arguments: under valgrind its name is valgrind's).
tb_front_of() {
	pgrep -P "$1" -x tanbad-front || pgrep -P "$1" -f -- '--parent [0-9]+ --listen [0-9]+'
}

# tb_signer_of PID: the pid of the tanbad-signer under the parent PID (or
# under the parent of the front PID).
tb_signer_of() {
	pgrep -P "$1" -x tanbad-signer && return 0
	_tb_pp=$(awk '/^PPid:/ { print $2 }' /proc/"$1"/status 2>/dev/null)
	[ -n "$_tb_pp" ] && pgrep -P "$_tb_pp" -x tanbad-signer
}

# tb_fail MSG: the test failed; says why and exits 1 (the trap cleans up).
tb_fail() {
	echo "FAIL: $*" >&2
	if [ -n "$TB_TMP" ] && [ -f "$TB_TMP/tanbad.log" ]; then
		echo "--- last lines of tanbad.log" >&2
		tail -n 20 "$TB_TMP/tanbad.log" >&2
	fi
	exit 1
}

# tb_log MSG: a progress line for the .log file of the test.
tb_log() {
	echo "== $*"
}

# tb_wait_log REGEX: up to 10 s (x TB_TIME_SCALE) for tanbad.log to match.
tb_wait_log() {
	_tb_w=0
	until grep -q "$1" "$TB_TMP/tanbad.log" 2>/dev/null; do
		_tb_w=$((_tb_w + 1))
		[ $_tb_w -lt $((100 * TB_TIME_SCALE)) ] || return 1
		sleep 0.1
	done
}

# tb_reloads: how many reloads of the front tanbad.log tells of so far. The
# signer logs its own "reloaded" too, earlier: counting it would let a test
# go on before the front serves the new configuration.
tb_reloads() {
	grep -c 'reload_run: reloaded ' "$TB_TMP/tanbad.log" 2>/dev/null || :
}

# tb_has_key NAME: tanba keys lists a key NAME.
tb_has_key() {
	tb_tanba keys --json | python3 -c 'import json,sys; sys.exit(0 if any(k["name"]==sys.argv[1] for k in json.load(sys.stdin)["keys"]) else 1)' "$1"
}

# tb_wait_reload N: up to 10 s (x TB_TIME_SCALE) for more than N reloads.
tb_wait_reload() {
	_tb_w=0
	until [ "$(tb_reloads)" -gt "$1" ]; do
		_tb_w=$((_tb_w + 1))
		[ $_tb_w -lt $((100 * TB_TIME_SCALE)) ] || return 1
		sleep 0.1
	done
}

tb_cleanup() {
	_tb_rc=$?
	tb_stop_daemon >/dev/null 2>&1 || :
	if [ -n "${TB_DAEMON_CHECK:-}" ] && [ -n "$TB_TMP" ]; then
		$TB_DAEMON_CHECK "$TB_TMP" || _tb_rc=1
	fi
	if [ -n "${TB_DAEMON_BAD_RC:-}" ]; then
		echo "FAIL: tanbad exited $TB_DAEMON_BAD_RC (the error exit of $TB_DAEMON_CMD)" >&2
		_tb_rc=1
	fi
	[ -z "$TB_SOCK_DIR" ] || rm -rf "$TB_SOCK_DIR"
	if [ -n "$TB_TMP" ] && [ -z "$TB_KEEP" ]; then
		rm -rf "$TB_TMP"
	elif [ -n "$TB_TMP" ]; then
		echo "kept $TB_TMP" >&2
	fi
	exit $_tb_rc
}

# tb_make_pki: the test PKI, from tanba-testpki. Leaves: legal-sign (RSA-2048,
# key "rsa"), expired, notyet; plus an EC P-256 key issued the legal-sign
# profile (key "ec").
tb_make_pki() {
	"$TB_TESTPKI" hierarchy --out "$TB_PKI" --ca-alg rsa2048 --leaf-alg rsa2048 \
	    >"$TB_TMP/testpki.log" 2>&1 || { cat "$TB_TMP/testpki.log"; return 1; }
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$TB_PKI/ec-sign.key" 2>/dev/null || return 1
	"$TB_TESTPKI" issue --dir "$TB_PKI" --key "$TB_PKI/ec-sign.key" \
	    --profile legal-sign --out "$TB_PKI/ec-sign.pem" \
	    >>"$TB_TMP/testpki.log" 2>&1 || { cat "$TB_TMP/testpki.log"; return 1; }
	cp "$TB_PKI/legal-sign.pem" "$TB_PKI/rsa-sign.pem" &&
	    cp "$TB_PKI/legal-sign.key" "$TB_PKI/rsa-sign.key" || return 1
	cat "$TB_PKI/root.pem" "$TB_PKI/ca.pem" > "$TB_CAFILE"
}

# tb_import_keys: the four signing keys on the token; only "rsa" has its
# certificate on the token too, the others name a certificate file.
tb_import_keys() {
	tb_token_init "$TB_TMP/hsm" "$TB_TOKEN_LABEL" "$TB_USER_PIN" "$TB_SO_PIN" >/dev/null || return 1
	tb_token_import_key "$TB_TOKEN_LABEL" rsa 01 "$TB_PKI/rsa-sign.key" "$TB_USER_PIN" >/dev/null || return 1
	tb_token_import_cert "$TB_TOKEN_LABEL" rsa 01 "$TB_PKI/rsa-sign.pem" "$TB_USER_PIN" >/dev/null || return 1
	tb_token_import_key "$TB_TOKEN_LABEL" ec 02 "$TB_PKI/ec-sign.key" "$TB_USER_PIN" >/dev/null || return 1
	tb_token_import_key "$TB_TOKEN_LABEL" expired 03 "$TB_PKI/expired.key" "$TB_USER_PIN" >/dev/null || return 1
	tb_token_import_key "$TB_TOKEN_LABEL" notyet 04 "$TB_PKI/notyet.key" "$TB_USER_PIN" >/dev/null || return 1
}

# tb_write_conf [FILE [MODULE [PINFILE]]]: a tanbad.conf for this tree.
tb_write_conf() {
	_tb_conf=${1:-$TB_CONF}
	cat > "$_tb_conf" <<CONF
[daemon]
socket = $TB_SOCK
socket_mode = 0600
max_frame_bytes = ${TB_MAX_FRAME:-1048576}
max_connections = 64
max_inflight_per_connection = 32
rate_per_client = 1000000
workers = 4
read_timeout_s = 2
idle_timeout_s = 30
log_level = ${TB_LOG_LEVEL:-info}
syslog = no${TB_SANDBOX:+
sandbox = $TB_SANDBOX}

[audit]
file = $TB_TMP/audit.log

[client "tests"]
user = $(id -un)
ops = *
keys = *

[token]
module = ${2:-$SOFTHSM_MODULE}
pin_file = ${3:-$TB_PIN_FILE}
max_sessions = 4${TB_SANDBOX:+
sandbox = $TB_SANDBOX}

[key "rsa"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=rsa
chain = $TB_PKI/chain.pem
digest = sha256

[key "ec"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=ec
certificate = $TB_PKI/ec-sign.pem
digest = sha256

[key "expired"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=expired
certificate = $TB_PKI/expired.pem

[key "notyet"]
uri = pkcs11:token=$TB_TOKEN_LABEL;object=notyet
certificate = $TB_PKI/notyet.pem

# No [issuer] here, so these tests answer not_checked: the default
# (required = yes) would refuse with REVOCATION_UNKNOWN. Revocation tests
# write their own section.
[revocation]
required = no
CONF
}

# tb_start_daemon [CONF]: starts tanbad in the foreground, in the background
# of this shell, and waits for its socket. TB_DAEMON_PID is the parent (the
# process to signal), TB_FRONT_PID the front it started. Returns 1 (and leaves the log in
# $TB_TMP/tanbad.log) when it exits or does not listen within 20 s.
tb_start_daemon() {
	_tb_c=${1:-$TB_CONF}
	rm -f "$TB_SOCK"
	"$TB_TANBAD" -f -c "$_tb_c" >>"$TB_TMP/tanbad.log" 2>&1 &
	TB_DAEMON_PID=$!
	_tb_i=0
	while [ $_tb_i -lt $((200 * TB_TIME_SCALE)) ]; do
		if [ -S "$TB_SOCK" ] && "$TB_TANBA" --socket "$TB_SOCK" status >/dev/null 2>&1; then
			TB_FRONT_PID=$(tb_front_of "$TB_DAEMON_PID")
			return 0
		fi
		if ! kill -0 "$TB_DAEMON_PID" 2>/dev/null; then
			wait "$TB_DAEMON_PID" 2>/dev/null
			TB_DAEMON_RC=$?
			TB_DAEMON_PID=
			return 1
		fi
		sleep 0.1
		_tb_i=$((_tb_i + 1))
	done
	return 1
}

# tb_stop_daemon: SIGTERM, then wait; TB_DAEMON_RC holds its exit status.
tb_stop_daemon() {
	[ -n "$TB_DAEMON_PID" ] || return 0
	kill -TERM "$TB_DAEMON_PID" 2>/dev/null || :
	_tb_i=0
	while kill -0 "$TB_DAEMON_PID" 2>/dev/null && [ $_tb_i -lt $((100 * TB_TIME_SCALE)) ]; do
		sleep 0.1
		_tb_i=$((_tb_i + 1))
	done
	if kill -0 "$TB_DAEMON_PID" 2>/dev/null; then
		kill -KILL "$TB_DAEMON_PID" 2>/dev/null || :
		echo "tanbad did not exit within $((10 * TB_TIME_SCALE)) s of SIGTERM" >&2
	fi
	wait "$TB_DAEMON_PID" 2>/dev/null
	TB_DAEMON_RC=$?
	# valgrind-tanbad.sh exits 99 on a memory error or leak.
	[ -z "${TB_DAEMON_CMD:-}" ] || [ "$TB_DAEMON_RC" != 99 ] || TB_DAEMON_BAD_RC=99
	TB_DAEMON_PID=
	return 0
}

# tb_run_daemon_expect_fail CONF: runs tanbad that is expected to refuse to
# start; sets TB_DAEMON_RC and TB_DAEMON_ERR (its output). Returns 1 if it
# starts listening instead.
tb_run_daemon_expect_fail() {
	rm -f "$TB_SOCK"
	"$TB_TANBAD" -f -c "$1" >"$TB_TMP/refused.log" 2>&1 &
	_tb_p=$!
	_tb_i=0
	while kill -0 $_tb_p 2>/dev/null && [ $_tb_i -lt $((100 * TB_TIME_SCALE)) ]; do
		if [ -S "$TB_SOCK" ] && "$TB_TANBA" --socket "$TB_SOCK" status >/dev/null 2>&1; then
			kill -TERM $_tb_p; wait $_tb_p 2>/dev/null
			TB_DAEMON_ERR=$(cat "$TB_TMP/refused.log")
			return 1
		fi
		sleep 0.1
		_tb_i=$((_tb_i + 1))
	done
	if kill -0 $_tb_p 2>/dev/null; then
		kill -KILL $_tb_p; wait $_tb_p 2>/dev/null
		TB_DAEMON_ERR="still running after 10 s, not listening: $(cat "$TB_TMP/refused.log")"
		TB_DAEMON_RC=0
		return 1
	fi
	wait $_tb_p
	TB_DAEMON_RC=$?
	TB_DAEMON_ERR=$(cat "$TB_TMP/refused.log")
	return 0
}

# tb_tanba ARGS: the client against this tree's daemon.
tb_tanba() {
	"$TB_TANBA" --socket "$TB_SOCK" "$@"
}

# tb_verify_cms SIG.der [CONTENT]: the signature must verify with both the
# openssl CLI and GnuTLS certtool against root + issuing CA.
tb_verify_cms() {
	if [ -n "$2" ]; then
		openssl cms -verify -binary -inform DER -in "$1" -content "$2" \
		    -CAfile "$TB_CAFILE" -out /dev/null 2>"$TB_TMP/verify.err" ||
		    { cat "$TB_TMP/verify.err" >&2; return 1; }
		certtool --p7-verify --inder --infile "$1" --load-data "$2" \
		    --load-ca-certificate "$TB_CAFILE" >"$TB_TMP/verify.err" 2>&1 ||
		    { cat "$TB_TMP/verify.err" >&2; return 1; }
	else
		openssl cms -verify -binary -inform DER -in "$1" \
		    -CAfile "$TB_CAFILE" -out "$TB_TMP/verify.out" 2>"$TB_TMP/verify.err" ||
		    { cat "$TB_TMP/verify.err" >&2; return 1; }
		certtool --p7-verify --inder --infile "$1" \
		    --load-ca-certificate "$TB_CAFILE" >"$TB_TMP/verify.err" 2>&1 ||
		    { cat "$TB_TMP/verify.err" >&2; return 1; }
	fi
}

# tb_batch_call OUTDIR REQUEST.json: sends the request raw, writes the answer
# to OUTDIR/answer.json and each signed item's CMS to OUTDIR/N.der.
tb_batch_call() {
	mkdir -p "$1"
	PYTHONPATH="$top_srcdir/tests/system" python3 - "$TB_SOCK" "$1" "$2" <<'PY'
import base64, json, os, struct, sys
import tbframe
sock, out, reqf = sys.argv[1:4]
s = tbframe.connect(sock, 60)
tbframe.send(s, open(reqf, "rb").read())
(n,) = struct.unpack(">I", tbframe.exact(s, 4))
ans = json.loads(tbframe.exact(s, n))
json.dump(ans, open(os.path.join(out, "answer.json"), "w"))
for i, r in enumerate(ans.get("results", [])):
    if r.get("ok"):
        open(os.path.join(out, "%d.der" % i), "wb").write(base64.b64decode(r["cms"]))
PY
}

# tb_answer_get DIR EXPR: a Python expression over the answer "a".
tb_answer_get() {
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
	    "$1/answer.json" "$2"
}

# tb_signer_infos FILE: the hex of each SignerInfo of a DER SignedData, one a line.
tb_signer_infos() {
	python3 - "$1" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
def tlv(p):
    tag, l = b[p], b[p + 1]
    h = 2
    if l & 0x80:
        n = l & 0x7f
        l = int.from_bytes(b[p + 2:p + 2 + n], "big")
        h = 2 + n
    return tag, p + h, l
_, c, l = tlv(0)                # ContentInfo
_, c2, l2 = tlv(c)              # contentType
_, c, l = tlv(c2 + l2)          # [0]
_, p, l = tlv(c)                # SignedData
end, last = p + l, None
while p < end:
    t, c, l = tlv(p)
    last = (t, c, l)
    p = c + l
t, p, l = last
assert t == 0x31
end = p + l
while p < end:
    t, c, l = tlv(p)
    print(b[p:c + l].hex())
    p = c + l
PY
}

# tb_sha FILE ALG: the hex digest of FILE.
# tb_rq OP NAME=VALUE...: one request to $TB_SOCK (tests/system/tbrq.py), the
# answer in $T/ans.json.
tb_rq() { python3 "$top_srcdir/tests/system/tbrq.py" "$TB_SOCK" "$@" > "$T/ans.json" || tb_fail "request $*"; }
# tb_check WHAT PYTHON-EXPR: asserts EXPR over the last tb_rq answer (j) and
# the revocation object (rv) of its certificate, or else of its signer.
tb_check() {
	_what=$1
	shift
	python3 - "$T/ans.json" "$*" <<'PY' || tb_fail "$_what: $(cat "$T/ans.json")"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
c = j.get("certificate") or j.get("signer") or {}
rv = c.get("revocation", {})
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
	tb_log "ok: $_what"
}

tb_sha() {
	openssl dgst -"$2" -r "$1" | cut -d' ' -f1
}

# tb_setup_daemon: the daemon's tree under the build dir (a SoftHSM2 token,
# a test PKI, a PIN file and a tanbad.conf), and the real tanbad started on
# a socket in that tree, stopped and the tree removed on exit. Set
# TB_NO_START=1 to start the daemon yourself; TB_KEEP=1 keeps the tree for a
# post-mortem.
tb_setup_daemon() {
	tb_top
	if ! command -v softhsm2-util >/dev/null 2>&1; then
		echo "SKIP: softhsm2-util not installed"
		exit 77
	fi

	TB_TANBAD="$top_builddir/daemon/tanbad"
	# The signer program beside it, for fronts built elsewhere (tests/system/tanbad-hooks).
	TANBA_SIGNER_PROGRAM="$top_builddir/daemon/tanbad-signer"
	export TANBA_SIGNER_PROGRAM
	# TB_DAEMON_CMD runs the daemon through a command that takes tanbad's
	# arguments (tests/system/valgrind-tanbad.sh); TB_DAEMON_CHECK is run at exit with
	# $TB_TMP and fails the test when it finds a report (valgrind-tanbad.sh
	# --check); TB_TIME_SCALE multiplies the start and stop waits for a slow one.
	[ -z "${TB_DAEMON_CMD:-}" ] || TB_TANBAD=$TB_DAEMON_CMD
	TB_TIME_SCALE=${TB_TIME_SCALE:-1}
	# TB_SANDBOX=no writes "sandbox = no" into [daemon] and [token]: valgrind
	# cannot run a seccomp filter (it does not implement seccomp(2)).
	TB_TANBA="$top_builddir/ca-tools/tanba"
	TB_TESTPKI="$top_builddir/testpki/tanba-testpki"
	TB_TOKEN_LABEL=tanba
	TB_USER_PIN=tbUser-9Q4711
	TB_SO_PIN=tbSO-87654321
	TB_DAEMON_PID=
	TB_FRONT_PID=

	[ -x "$TB_TANBAD" ] || { echo "FAIL: $TB_TANBAD not built"; exit 99; }
	[ -x "$TB_TANBA" ] || { echo "FAIL: $TB_TANBA not built"; exit 99; }
	[ -x "$TB_TESTPKI" ] || { echo "FAIL: $TB_TESTPKI not built"; exit 99; }

	mkdir -p "$top_builddir/tests"
	TB_TMP=$(mktemp -d "$top_builddir/tests/tmp.daemon.XXXXXX") || exit 99
	trap tb_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	TB_PKI="$TB_TMP/pki"
	TB_SOCK="$TB_TMP/tanbad.sock"
	TB_SOCK_DIR=
	if [ ${#TB_SOCK} -gt 100 ]; then
		# sun_path holds 108 bytes; deep build trees (distcheck) get a short dir.
		TB_SOCK_DIR=$(mktemp -d /tmp/tanba-sock.XXXXXX) || exit 99
		TB_SOCK="$TB_SOCK_DIR/tanbad.sock"
	fi
	TB_CONF="$TB_TMP/tanbad.conf"
	TB_PIN_FILE="$TB_TMP/user.pin"
	TB_CAFILE="$TB_PKI/cafile.pem"	# root + issuing CA: what a relying party trusts
	export TB_TMP TB_PKI TB_SOCK TB_CONF TB_CAFILE

	tb_make_pki || tb_fail "could not make the test PKI"
	tb_import_keys || tb_fail "could not put the keys on the SoftHSM2 token"
	printf '%s' "$TB_USER_PIN" > "$TB_PIN_FILE"
	chmod 0600 "$TB_PIN_FILE"
	tb_write_conf
	if [ -z "$TB_NO_START" ]; then
		tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"
	fi
}

# ---- the hardening, split and load tests: the daemon's tree, not started

# hz_setup: tb_setup_daemon without starting the daemon, an [audit] file
# ($HZ_AUDIT) and the base configuration hz_conf starts from.
hz_setup() {
	TB_NO_START=1
	tb_setup_daemon
	HZ_AUDIT_DIR="$TB_TMP/audit"
	HZ_AUDIT="$HZ_AUDIT_DIR/audit.log"
	TB_ADMIN="$top_builddir/ca-tools/tanba-admin"
	mkdir -p "$HZ_AUDIT_DIR" || tb_fail "mkdir $HZ_AUDIT_DIR"
	cp "$TB_CONF" "$TB_TMP/base.conf" || tb_fail "copy the base configuration"
	# A client section letting the user running the tests do everything.
	HZ_SELF=$(id -un)
	HZ_SELF_CLIENT="[client \"self\"]
user = $HZ_SELF
ops = *
keys = *"
	# A python other users can run too (a per-user install may not be).
	HZ_PY=/usr/bin/python3
	[ -x "$HZ_PY" ] || HZ_PY=$(command -v python3)
}

# hz_conf [EXTRA_DAEMON_LINES] SECTION_TEXT: the base configuration without
# any [audit]/[client] it may have, the [daemon] lines given (replacing the
# base's of the same names), our [audit], and SECTION_TEXT (the [client]
# sections) appended.
hz_conf() {
	awk -v extra="$1" '
		BEGIN {
			n = split(extra, lines, "\n")
			for (i = 1; i <= n; i++) { k = lines[i]; sub(/[ \t]*=.*/, "", k); given[k] = 1 }
		}
		/^\[/ { skip = ($0 ~ /^\[(audit|client)/); daemon = ($0 ~ /^\[daemon\]/) }
		daemon && /=/ { k = $0; sub(/[ \t]*=.*/, "", k); if (k in given) next }
		!skip { print }
		/^\[daemon\]/ && extra != "" { print extra }
	' "$TB_TMP/base.conf" > "$TB_CONF" || return 1
	cat >> "$TB_CONF" <<CONF

[audit]
file = $HZ_AUDIT
syslog = ${HZ_AUDIT_SYSLOG:-no}

$2
CONF
}

# hz_audit_count OP RESULT: records in the audit file with that op and result.
hz_audit_count() {
	grep -c "\"op\":\"$1\",.*\"result\":\"$2\"" "$HZ_AUDIT" || :
}

# hz_need_root: skip (77) unless running as root.
hz_need_root() {
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
}

# hz_two_accounts: the front's and the signer's accounts (FU, SU; their uids
# FUID, SUID; created once, as root), and the signer's files made that
# account's alone: the PIN file, the token store and the audit directory.
# Certificates and the configuration stay public: all processes read them.
# Skips (77) without root, either account or setpriv.
hz_two_accounts() {
	hz_need_root
	FU=tanbafront
	SU=tanbasigner
	for _hz_u in $FU $SU; do
		id $_hz_u >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin $_hz_u >/dev/null 2>&1 ||
		    { echo "SKIP: cannot create user $_hz_u"; exit 77; }
	done
	command -v setpriv >/dev/null 2>&1 || { echo "SKIP: no setpriv"; exit 77; }
	FUID=$(id -u $FU)
	SUID=$(id -u $SU)
	chmod 0711 "$TB_TMP"
	chmod 0755 "$TB_PKI"
	chmod 0644 "$TB_PKI"/*.pem
	chown -R $SU: "$TB_TMP/hsm" "$TB_PIN_FILE" "$HZ_AUDIT_DIR"
	chmod 0700 "$TB_TMP/hsm" "$TB_TMP/hsm/tokens" "$HZ_AUDIT_DIR"
	chmod 0600 "$TB_PIN_FILE"
}

# hz_uid_of PID: its real, effective, saved and file-system uids, "r,e,s,f".
hz_uid_of() { awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' /proc/"$1"/status; }

# hz_back_and_signs WHO OLD UID PARENT DOC: within 30 s a WHO (front or
# signer) other than OLD runs under the parent PARENT and DOC signs with key
# rsa (to $TB_TMP/b.p7, which then verifies); that WHO runs as UID, every uid.
hz_back_and_signs() {
	_hz_i=0
	_hz_new=
	while [ $_hz_i -lt 150 ]; do
		_hz_new=$(tb_${1}_of "$4") && [ "$_hz_new" != "$2" ] &&
		    tb_tanba sign --key rsa -o "$TB_TMP/b.p7" "$5" 2>/dev/null && break
		_hz_new=
		sleep 0.2
		_hz_i=$((_hz_i + 1))
	done
	[ -n "$_hz_new" ] ||
	    tb_fail "no signature after the $1's restart: $(tail -n 5 "$TB_TMP/tanbad.log")"
	[ "$(hz_uid_of "$_hz_new")" = "$3,$3,$3,$3" ] ||
	    tb_fail "restarted $1 uid $(hz_uid_of "$_hz_new")"
	tb_verify_cms "$TB_TMP/b.p7" || tb_fail "signature after the $1's restart"
}

# hz_test_user: a system user for "another client" (created once, as root).
hz_test_user() {
	hz_need_root
	id tanbatest >/dev/null 2>&1 ||
	    useradd -M -r -s /usr/sbin/nologin tanbatest >/dev/null 2>&1 ||
	    { echo "SKIP: cannot create user tanbatest"; exit 77; }
}

# hz_req JSON [UID]: sends one request frame and prints the answer (one JSON
# line), or "CLOSED" when the daemon closed without one. With UID, the
# client runs as that user (setpriv, root only).
hz_req() {
	if [ -n "$2" ]; then
		setpriv --reuid="$2" --regid="$(id -g "$2")" --clear-groups \
		    "$HZ_PY" -c "$HZ_PY_REQ" "$TB_SOCK" "$1"
	else
		"$HZ_PY" -c "$HZ_PY_REQ" "$TB_SOCK" "$1"
	fi
}
# The client of hz_req, run by $HZ_PY.
HZ_PY_REQ='
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("CONNECT-FAILED %s" % e)
    sys.exit(0)
body = sys.argv[2].encode()
try:
    s.sendall(struct.pack(">I", len(body)) + body)
except (BrokenPipeError, ConnectionResetError):
    pass	# a refused peer is answered and closed at once: its answer is still there to read
def exact(n):
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except OSError:
            return None
        if not c:
            return None
        b += c
    return b
h = exact(4)
if h is None:
    print("CLOSED")
    sys.exit(0)
print(exact(struct.unpack(">I", h)[0]).decode())
'

# hz_field JSON PATH: a field of an answer ("error.code", "ok", "cms"), or "-".
hz_field() {
	python3 -c '
import json, sys
try:
    v = json.loads(sys.argv[1])
    for p in sys.argv[2].split("."):
        v = v[p]
    print(json.dumps(v) if not isinstance(v, str) else v)
except Exception:
    print("-")' "$1" "$2"
}

# ---- tanba-admin against tokens it makes itself

ad_cleanup() {
	_ad_rc=$?
	if [ -n "$ADMIN_KEEP" ]; then
		echo "kept $AD_TMP" >&2
	else
		rm -rf "$AD_TMP"
	fi
	exit $_ad_rc
}

# ad_setup: a temporary tree under the build dir with an empty SoftHSM2
# token directory of its own and PIN files (mode 0600), removed on exit
# (ADMIN_KEEP=1 keeps it).
ad_setup() {
	tb_top
	for _ad_tool in softhsm2-util pkcs11-tool openssl python3; do
		command -v "$_ad_tool" >/dev/null 2>&1 || { echo "SKIP: $_ad_tool not installed"; exit 77; }
	done
	[ -r "$SOFTHSM_MODULE" ] || { echo "SKIP: no SoftHSM2 module at $SOFTHSM_MODULE"; exit 77; }

	AD_ADMIN="$top_builddir/ca-tools/tanba-admin"
	AD_TESTPKI="$top_builddir/testpki/tanba-testpki"
	[ -x "$AD_ADMIN" ] || { echo "FAIL: $AD_ADMIN not built"; exit 99; }

	mkdir -p "$top_builddir/tests"
	AD_TMP=$(mktemp -d "$top_builddir/tests/tmp.admin.XXXXXX") || exit 99
	trap ad_cleanup EXIT
	trap 'exit 1' INT TERM HUP

	tb_softhsm_conf "$AD_TMP" || exit 99

	AD_LABEL=tanba
	AD_USER_PIN=4711
	AD_SO_PIN=87654321
	AD_PIN_FILE="$AD_TMP/user.pin"
	AD_SO_PIN_FILE="$AD_TMP/so.pin"
	printf '%s\n' "$AD_USER_PIN" > "$AD_PIN_FILE"
	printf '%s\n' "$AD_SO_PIN" > "$AD_SO_PIN_FILE"
	chmod 0600 "$AD_PIN_FILE" "$AD_SO_PIN_FILE"
}

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

# ---- the test PKI checked from outside: a scratch directory removed on
# exit, checks that stop the test with a reason, a free loopback port, and
# an IIN/BIN check written apart from the C code so that the two can disagree.

# pki_setup: tanba-testpki must be built.
pki_setup() {
	tb_top
	TESTPKI="$top_builddir/testpki/tanba-testpki"
	[ -x "$TESTPKI" ] || { echo "FAIL: $TESTPKI not built" >&2; exit 1; }
}

pki_fail() { echo "FAIL: $*" >&2; exit 1; }
pki_ok() { echo "ok: $*"; }

# pki_scratch: sets WORK to a new directory that is removed on exit.
pki_scratch() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tanba-pki.XXXXXX") || exit 1
	trap 'pki_cleanup' EXIT INT TERM
}
pki_cleanup() {
	[ -n "${PKI_PIDS:-}" ] && for p in $PKI_PIDS; do kill "$p" 2>/dev/null; done
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}

# pki_has FILE TEXT WHAT: FILE must contain the fixed string TEXT.
pki_has() {
	grep -qF -- "$2" "$1" || pki_fail "$3: '$2' not in $1"
}
pki_lacks() {
	! grep -qF -- "$2" "$1" || pki_fail "$3: '$2' unexpectedly in $1"
}

# pki_manifest NAME FIELD: a field (serial, iin, bin, ...) of manifest.txt.
pki_manifest() {
	awk -v n="$1" -v f="$2" '$1 == n { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$DIR/manifest.txt"
}

# pki_iin_valid N: exit status 0 when N has 12 digits and a valid check digit.
pki_iin_valid() {
	echo "$1" | awk '{
		if ($0 !~ /^[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/) exit 1
		s = 0; for (i = 1; i <= 11; i++) s += substr($0, i, 1) * i
		c = s % 11
		if (c == 10) {
			s = 0; for (i = 1; i <= 11; i++) s += substr($0, i, 1) * ((i + 1) % 11 + 1)
			c = s % 11
			if (c == 10) exit 1
		}
		exit (c == substr($0, 12, 1)) ? 0 : 1
	}'
}

# pki_free_port: prints a TCP port free on 127.0.0.1 at the time of asking.
pki_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- revocation with servers on loopback (rev-net.sh, netfault.sh): a
# scratch directory $W removed on exit with every server in $PIDS stopped,
# the test PKI in $W/pki and its CRLs in $W/www. Servers listen on
# 127.0.0.1 only.

# revnet_setup NAME: makes $W (tb-NAME.XXXXXX), the PKI and $W/www.
revnet_setup() {
	tb_top
	W=$(mktemp -d "${TMPDIR:-/tmp}/tb-$1.XXXXXX")
	PIDS=""
	trap revnet_cleanup EXIT INT TERM
	sh "$top_srcdir/tests/system/rev-pki.sh" "$W/pki" >/dev/null 2>&1
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

# revnet_server VAR [MODE [CERT KEY]]: starts tests/system/rev-httpd.py on $W/www
# (plain by default) and sets VAR to its port.
revnet_server() {
	_var=$1
	shift
	pf=$W/$_var.port
	python3 "$top_srcdir/tests/system/rev-httpd.py" "$W/www" "$pf" "$@" 2>"$W/$_var.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -f "$pf" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "server $_var did not start" >&2; cat "$W/$_var.log" >&2; exit 99; }
		sleep 0.1
	done
	eval "$_var=$(cat "$pf")"
}

# ---- the tests that run tanba and read its verdict

# answer_verdict FILE: the verdict of an answer: its first line, or with
# --json (which writes nothing but JSON) the "verdict" of the whole of
# stdout as parsed.
answer_verdict() {
	if [ "$(head -c 1 "$1")" = "{" ]; then
		python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$1" 2>/dev/null ||
		    echo "(stdout is not JSON alone)"
	else
		head -n 1 "$1"
	fi
}

# verdict_setup: finds the tools and makes the scratch directory $T (removed
# on exit), named after $VERDICT_TEST. It never decides a verdict itself:
# every check of fail and expect is a comparison with what the test says it
# expects.
verdict_setup() {
	tb_top
	TANBA=${TANBA:-"$top_builddir/ca-tools/tanba"}
	TESTPKI=${TESTPKI:-"$top_builddir/testpki/tanba-testpki"}
	[ -x "$TANBA" ] || { echo "FAIL: $TANBA not built"; exit 99; }
	[ -x "$TESTPKI" ] || { echo "FAIL: $TESTPKI not built"; exit 99; }
	mkdir -p "$top_builddir/tests"
	T=$(mktemp -d "$top_builddir/tests/tmp.$VERDICT_TEST.XXXXXX") || exit 99
	trap 'rm -rf "$T"' EXIT
	fails=0
}

fail() {
	echo "FAIL: $*"
	sed 's/^/  out: /' "$T/out"; sed 's/^/  err: /' "$T/err"
	fails=$((fails + 1))
}

# expect VERDICT STATUS ARGS...: exit status of tanba ARGS, and its
# verdict (answer_verdict) unless VERDICT is empty.
expect() {
	_want=$1 _rc=$2
	shift 2
	"$TANBA" "$@" >"$T/out" 2>"$T/err"
	_got=$?
	_first=$(answer_verdict "$T/out")
	if [ "$_got" != "$_rc" ]; then
		fail "tanba $*: exit $_got, expected $_rc"
	elif [ -n "$_want" ] && [ "$_first" != "$_want" ]; then
		fail "tanba $*: first line '$_first', expected '$_want'"
	else
		echo "ok: $_want ($_rc) tanba $*"
	fi
}
