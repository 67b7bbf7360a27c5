#!/bin/sh
# Privileges: started as root with [daemon] user = tanbatest, tanbad opens
# socket, audit file, PIN file and token, then runs as tanbatest with no
# supplementary groups, NoNewPrivs, RLIMIT_CORE 0 and not dumpable; it still
# signs; the PIN is in none of cmdline, environ, log or audit file; SIGSEGV
# leaves no core. Needs root (skips with 77).
. "$top_srcdir/tests/system/setup.sh"
hz_setup
hz_test_user

TU=tanbatest
TUID=$(id -u $TU)
TGID=$(id -g $TU)
# SoftHSM2 reads its token files at each operation: they must be the user's.
chmod 0711 "$TB_TMP"
chown -R "$TU" "$TB_TMP/hsm"
# The front is $TU from its start: the certificates it reads must be readable to it.
chmod 0755 "$TB_PKI"
chmod 0644 "$TB_PKI"/*.pem
mkdir -p "$TB_TMP/cwd" && chmod 0777 "$TB_TMP/cwd"
hz_conf "user = $TU" "$HZ_SELF_CLIENT"
(cd "$TB_TMP/cwd" && tb_start_daemon) || tb_fail "tanbad did not start"
# tb_start_daemon ran in a subshell: find the parent by its command line,
# and the front (started as the user) under it.
PARENT=$(pgrep -f -o "tanbad -f -c $TB_CONF") || tb_fail "no daemon pid"
TB_DAEMON_PID=$PARENT
PID=$(tb_front_of "$PARENT") || tb_fail "no front under the parent $PARENT"

tb_log "ids, groups, NoNewPrivs"
st=/proc/$PID/status
grep -q "^Uid:[[:space:]]*$TUID[[:space:]]*$TUID[[:space:]]*$TUID[[:space:]]*$TUID\$" $st ||
    tb_fail "uid: $(grep ^Uid: $st)"
grep -q "^Gid:[[:space:]]*$TGID[[:space:]]*$TGID[[:space:]]*$TGID[[:space:]]*$TGID\$" $st ||
    tb_fail "gid: $(grep ^Gid: $st)"
grep -q '^Groups:[[:space:]]*$' $st || tb_fail "supplementary groups: $(grep ^Groups: $st)"
grep -q '^NoNewPrivs:[[:space:]]*1$' $st || tb_fail "$(grep ^NoNewPrivs: $st)"
for t in /proc/$PID/task/*; do
	grep -q "^Uid:[[:space:]]*$TUID[[:space:]]" "$t/status" || tb_fail "thread $t: $(grep ^Uid: "$t/status")"
done

tb_log "no core: RLIMIT_CORE 0, not dumpable (proc files stay root's)"
grep -q '^Max core file size[[:space:]]*0[[:space:]]*0[[:space:]]' /proc/$PID/limits ||
    tb_fail "$(grep 'core' /proc/$PID/limits)"
[ "$(stat -c %u /proc/$PID/status)" = 0 ] || tb_fail "process is dumpable (/proc/$PID owned by $(stat -c %u /proc/$PID/status))"

tb_log "still signs as $TU"
echo privs > "$TB_TMP/doc"
tb_tanba sign --key rsa -o "$TB_TMP/doc.p7" "$TB_TMP/doc" || tb_fail "sign after the drop"
tb_verify_cms "$TB_TMP/doc.p7" || tb_fail "signature does not verify"

tb_log "the PIN is nowhere to be read"
for f in /proc/$PID/cmdline /proc/$PID/environ "$TB_TMP/tanbad.log" "$HZ_AUDIT"; do
	tr '\0' '\n' < "$f" | grep -q -F "$TB_USER_PIN" && tb_fail "PIN found in $f"
done

tb_log "SIGSEGV: no core file"
kill -SEGV "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt $((50 * TB_TIME_SCALE)) ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$PID" 2>/dev/null && tb_fail "still alive after SIGSEGV"
tb_stop_daemon
ls "$TB_TMP/cwd" | grep -q core && tb_fail "a core file was written: $(ls "$TB_TMP/cwd")"

tb_log "user set, but started as $TU (not root): refused"
sed -i "s|^user = $TU|user = root|" "$TB_CONF"
chown -R "$TU" "$TB_TMP"
rm -f "$TB_SOCK"
out=$(cd "$TB_TMP/cwd" && setpriv --reuid=$TU --regid=$TGID --clear-groups \
    "$TB_TANBAD" -f -c "$TB_CONF" 2>&1) && tb_fail "started as $TU with user = root"
case $out in *"not root: cannot become that user"*) ;; *) tb_fail "refusal: $out" ;; esac
tb_log "PASS"
exit 0
