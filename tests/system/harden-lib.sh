# Setup shared by the hardening tests (tests/harden-*.sh): the common daemon
# harness (tests/lib.sh: token, PKI, PIN file, tanbad.conf) without starting
# the daemon, plus an [audit] file and the [client] table these tests need.
# hz_conf CLIENTS... rewrites $TB_CONF with the given [client] sections.

TB_NO_START=1
. "$top_srcdir/tests/lib.sh"

HZ_AUDIT_DIR="$TB_TMP/audit"
HZ_AUDIT="$HZ_AUDIT_DIR/audit.log"
TB_ADMIN="$top_builddir/ca-tools/tanba-admin"
mkdir -p "$HZ_AUDIT_DIR" || tb_fail "mkdir $HZ_AUDIT_DIR"
cp "$TB_CONF" "$TB_TMP/base.conf" || tb_fail "copy the base configuration"

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

# A client section letting the user running the tests do everything.
HZ_SELF=$(id -un)
HZ_SELF_CLIENT="[client \"self\"]
user = $HZ_SELF
ops = *
keys = *"

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
# A python other users can run too (a per-user install may not be).
HZ_PY=/usr/bin/python3
[ -x "$HZ_PY" ] || HZ_PY=$(command -v python3)
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
