#!/bin/sh
# Two accounts, two programs: started as root with [daemon] user = tanbafront
# and signer_user = tanbasigner, the front runs as tanbafront, the signer
# (tanbad-signer, started by the root launcher) as tanbasigner. The PIN file,
# the token store and the audit trail are tanbasigner's alone: as tanbafront
# none of them opens (so a compromised front cannot read the PIN or the key
# objects, nor write a record). The audit file left by root (mode 0644) is
# given to the signer (0600) at start; a link in its place is refused; the
# front's CRL cache is given to the front, and refused if others may write
# into it. The
# signer killed with SIGKILL comes back as tanbasigner and signs again with
# no manual step. Needs root (skips with 77).
. "$top_srcdir/tests/harden-lib.sh"
hz_two_accounts
FUID=$(id -u $FU)
SUID=$(id -u $SU)

# The signer's files: its account only. Certificates and the configuration
# are public: both accounts read them (the signer opens its own as
# signer_user, before anything else).
chmod 0711 "$TB_TMP"
chmod 0755 "$TB_PKI"
chmod 0644 "$TB_PKI"/*.pem
chown -R $SU: "$TB_TMP/hsm" "$TB_PIN_FILE" "$HZ_AUDIT_DIR"
chmod 0700 "$TB_TMP/hsm" "$TB_TMP/hsm/tokens" "$HZ_AUDIT_DIR"
chmod 0600 "$TB_PIN_FILE"
# An audit file created by root, as an operator's first start would leave it.
: > "$HZ_AUDIT"
chmod 0644 "$HZ_AUDIT"
mkdir -p "$TB_TMP/cwd" && chmod 0777 "$TB_TMP/cwd"
hz_conf "user = $FU
signer_user = $SU" "$HZ_SELF_CLIENT"
# The front's CRL cache, made by root: given to the front's account at start.
CACHE=$TB_TMP/crlcache
mkdir -m 0755 "$CACHE"
sed -i "s|^required = no\$|required = no\ncache_dir = $CACHE|" "$TB_CONF"
grep -q "^cache_dir = $CACHE" "$TB_CONF" || tb_fail "no cache_dir in $TB_CONF"
(cd "$TB_TMP/cwd" && tb_start_daemon) || tb_fail "tanbad did not start"
FRONT=$(pgrep -f -o "tanbad -f -c $TB_CONF") || tb_fail "no front"
TB_DAEMON_PID=$FRONT
SIGNER=$(tb_signer_of "$FRONT") || tb_fail "no signer under the front $FRONT"

uid_of() { awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' /proc/"$1"/status; }
tb_log "the front runs as $FU, the signer as $SU"
[ "$(uid_of "$FRONT")" = "$FUID,$FUID,$FUID,$FUID" ] || tb_fail "front uid $(uid_of "$FRONT")"
[ "$(uid_of "$SIGNER")" = "$SUID,$SUID,$SUID,$SUID" ] || tb_fail "signer uid $(uid_of "$SIGNER")"
tb_tanba sign --key rsa -o "$TB_TMP/a.p7" "$TB_CONF" || tb_fail "sign"

tb_log "the CRL cache is the front's"
[ "$(stat -c %u "$CACHE")" = "$FUID" ] || tb_fail "cache_dir owner $(stat -c %U "$CACHE")"

tb_log "the audit file is the signer's, 0600"
[ "$(stat -c %u:%a "$HZ_AUDIT")" = "$SUID:600" ] || tb_fail "audit file $(stat -c %U:%a "$HZ_AUDIT")"

tb_log "as $FU: the PIN file, the token store and the audit trail do not open"
TOKFILE=$(find "$TB_TMP/hsm/tokens" -type f | head -n 1)
[ -n "$TOKFILE" ] || tb_fail "no token file"
setpriv --reuid=$FU --regid="$(id -g $FU)" --clear-groups /usr/bin/python3 - \
    "$TB_PIN_FILE" "$TB_TMP/hsm/tokens" "$TOKFILE" "$HZ_AUDIT" <<'PY' || tb_fail "the front's account reached a signer file"
import os, sys
pin, tokdir, tok, audit = sys.argv[1:]
tries = [("read the PIN file", lambda: open(pin, "rb")),
         ("list the token store", lambda: os.listdir(tokdir)),
         ("read a token object", lambda: open(tok, "rb")),
         ("append to the audit file", lambda: open(audit, "ab")),
         ("read the audit file", lambda: open(audit, "rb"))]
bad = []
for what, f in tries:
    try:
        f()
        bad.append(what)
    except PermissionError:
        pass
assert not bad, "as the front's account could: " + ", ".join(bad)
print("front account refused all %d" % len(tries))
PY

tb_log "kill -9 of the signer: it comes back as $SU and signs, no manual step"
kill -KILL "$SIGNER"
i=0
NEW=
while [ $i -lt 150 ]; do
	NEW=$(tb_signer_of "$FRONT") && [ "$NEW" != "$SIGNER" ] &&
	    tb_tanba sign --key rsa -o "$TB_TMP/b.p7" "$TB_CONF" 2>/dev/null && break
	NEW=
	sleep 0.2
	i=$((i + 1))
done
[ -n "$NEW" ] || tb_fail "no signature after the signer's restart: $(tail -n 5 "$TB_TMP/tanbad.log")"
[ "$(uid_of "$NEW")" = "$SUID,$SUID,$SUID,$SUID" ] || tb_fail "restarted signer uid $(uid_of "$NEW")"
tb_stop_daemon || tb_fail "tanbad did not stop"
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"

tb_log "a link in the audit file's place is refused, not followed"
mv "$HZ_AUDIT" "$HZ_AUDIT.old"
ln -s "$TB_TMP/elsewhere" "$HZ_AUDIT"
tb_run_daemon_expect_fail "$TB_CONF" || tb_fail "tanbad started on a linked audit file"
echo "$TB_DAEMON_ERR" | grep -q "symbolic links" || tb_fail "no word of the link: $TB_DAEMON_ERR"
[ ! -e "$TB_TMP/elsewhere" ] || tb_fail "the link was followed"
rm -f "$HZ_AUDIT"
mv "$HZ_AUDIT.old" "$HZ_AUDIT"

tb_log "a cache directory others may write into is refused"
chmod 0777 "$CACHE"
tb_run_daemon_expect_fail "$TB_CONF" || tb_fail "tanbad started with a world-writable cache"
echo "$TB_DAEMON_ERR" | grep -q "cache_dir .*lets others write" ||
    tb_fail "no word of the cache's mode: $TB_DAEMON_ERR"
echo "PASS"
