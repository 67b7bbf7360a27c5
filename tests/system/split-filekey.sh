#!/bin/sh
# A file key behind the signer boundary, two accounts: started as root with
# [daemon] user = tanbafront and signer_user = tanbasigner, the GOST
# container and its password file are tanbasigner's (0600). The signer
# opens them and signs through the front; as tanbafront neither opens, and
# the front process holds no descriptor of either. Needs root (skips with 77).
. "$top_srcdir/tests/system/setup.sh"
hz_setup
hz_two_accounts
CHECK="$top_builddir/tests/system/gost-check"
"$CHECK" --available >/dev/null 2>&1 || { echo "SKIP: no GOST engine here"; exit 77; }

G="$TB_TMP/gpki"
KEYS="$TB_TMP/filekeys"
"$TB_TESTPKI" hierarchy --out "$G" --ca-alg gost512 --leaf-alg gost256 >"$TB_TMP/gpki.log" 2>&1 ||
    { cat "$TB_TMP/gpki.log"; tb_fail "GOST test PKI"; }
mkdir -m 0700 "$KEYS"
printf 'Sp-41kQ9zW\n' > "$KEYS/gost.pw"
chmod 0600 "$KEYS/gost.pw"
"$TB_TESTPKI" p12 --cert "$G/individual-sign.pem" --key "$G/individual-sign.key" \
    --chain "$G/chain.pem" --password-file "$KEYS/gost.pw" --out "$KEYS/gost.p12" \
    >>"$TB_TMP/gpki.log" 2>&1 || tb_fail "tanba-testpki p12"
chmod 0600 "$KEYS/gost.p12"

chmod 0711 "$TB_TMP"
chmod 0755 "$TB_PKI"
chmod 0644 "$TB_PKI"/*.pem
chown -R $SU: "$TB_TMP/hsm" "$TB_PIN_FILE" "$HZ_AUDIT_DIR" "$KEYS"
chmod 0700 "$TB_TMP/hsm" "$TB_TMP/hsm/tokens" "$HZ_AUDIT_DIR"
chmod 0600 "$TB_PIN_FILE"
hz_conf "user = $FU
signer_user = $SU" "$HZ_SELF_CLIENT

[key \"gost\"]
p12 = $KEYS/gost.p12
p12_password_file = $KEYS/gost.pw"
mkdir -p "$TB_TMP/cwd" && chmod 0777 "$TB_TMP/cwd"
(cd "$TB_TMP/cwd" && tb_start_daemon) || tb_fail "tanbad did not start"
FRONT=$(pgrep -f -o "tanbad -f -c $TB_CONF") || tb_fail "no front"
TB_DAEMON_PID=$FRONT
SIGNER=$(tb_signer_of "$FRONT") || tb_fail "no signer under the front $FRONT"

tb_log "the signer (as $SU) opened the container: a GOST 2015-256 signature verifies"
printf 'document\n' > "$TB_TMP/doc"
tb_tanba sign --key gost -o "$TB_TMP/g.p7s" "$TB_TMP/doc" || tb_fail "sign with the file key"
"$CHECK" "$TB_TMP/g.p7s" "$G/individual-sign.pem" | grep -q "OK (gost2015-256)" ||
    tb_fail "gost-check refuses the GOST 2015-256 signature"
"$TB_TANBA" verify --offline --no-revocation --anchors "$G/root.pem" --untrusted "$G/chain.pem" \
    "$TB_TMP/g.p7s" | head -n 1 | grep -q '^VALID' || tb_fail "tanba verify"
tb_tanba keys --json | grep -q '"store": *"file"' || tb_fail "keys: no file key"

tb_log "as $FU the container and its password file do not open"
setpriv --reuid=$FU --regid="$(id -g $FU)" --clear-groups "$HZ_PY" - \
    "$KEYS/gost.p12" "$KEYS/gost.pw" <<'PY' || tb_fail "the front's account reached the container"
import sys
bad = []
for p in sys.argv[1:]:
    try:
        open(p, "rb")
        bad.append(p)
    except PermissionError:
        pass
assert not bad, "as the front's account could open: " + ", ".join(bad)
print("front account refused both")
PY
tb_log "the signer is not dumpable: its /proc files stay root's though it runs as $SU"
[ "$(awk '/^Uid:/ { print $2 }' /proc/"$SIGNER"/status)" = "$(id -u $SU)" ] ||
    tb_fail "the signer does not run as $SU"
[ "$(stat -c %u /proc/"$SIGNER"/environ)" = 0 ] ||
    tb_fail "the signer is dumpable (/proc/$SIGNER/environ is $(stat -c %U /proc/"$SIGNER"/environ)'s)"

tb_log "the front process holds no descriptor of them; the signer none after loading"
for pid in "$FRONT" "$SIGNER"; do
	if ls -l /proc/"$pid"/fd 2>/dev/null | grep -q "$KEYS"; then
		tb_fail "process $pid keeps a file key's file open"
	fi
done
echo "PASS"
