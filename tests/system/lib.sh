# Harness of the daemon's integration tests, sourced by every tests/daemon-*.sh.
# It makes a temporary tree under the build dir (a SoftHSM2 token, a test PKI,
# a PIN file and a tanbad.conf), starts the real tanbad on a socket in that
# tree, and stops it and removes the tree on exit. It never touches the
# system's tokens or /run/tanba. Set TB_NO_START=1 before sourcing to start
# the daemon yourself; TB_KEEP=1 keeps the tree for a post-mortem.

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${SOFTHSM_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
export top_srcdir top_builddir SOFTHSM_MODULE

if ! command -v softhsm2-util >/dev/null 2>&1; then
	echo "SKIP: softhsm2-util not installed"
	exit 77
fi

TB_TANBAD="$top_builddir/daemon/tanbad"
# The signer program beside it, for fronts built elsewhere (tests/tanbad-hooks).
TANBA_SIGNER_PROGRAM="$top_builddir/daemon/tanbad-signer"
export TANBA_SIGNER_PROGRAM
# TB_DAEMON_CMD runs the daemon through a command that takes tanbad's
# arguments (tests/valgrind-tanbad.sh); TB_DAEMON_CHECK is run at exit with
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

# tb_reloads: how many reloads tanbad.log tells of so far.
tb_reloads() {
	grep -c 'reloaded ' "$TB_TMP/tanbad.log" 2>/dev/null || :
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

. "$top_srcdir/tests/token-lib.sh"

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
	PYTHONPATH="$top_srcdir/tests" python3 - "$TB_SOCK" "$1" "$2" <<'PY'
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
# tb_rq OP NAME=VALUE...: one request to $TB_SOCK (tests/tbrq.py), the
# answer in $T/ans.json.
tb_rq() { python3 "$top_srcdir/tests/tbrq.py" "$TB_SOCK" "$@" > "$T/ans.json" || tb_fail "request $*"; }
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

tb_make_pki || tb_fail "could not make the test PKI"
tb_import_keys || tb_fail "could not put the keys on the SoftHSM2 token"
printf '%s' "$TB_USER_PIN" > "$TB_PIN_FILE"
chmod 0600 "$TB_PIN_FILE"
tb_write_conf
if [ -z "$TB_NO_START" ]; then
	tb_start_daemon || tb_fail "tanbad did not start (rc ${TB_DAEMON_RC:-?})"
fi
