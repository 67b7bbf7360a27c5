#!/bin/sh
# Access control by peer credentials: a second user (tanbatest) allowed
# verify, status and keys but not sign is refused sign with forbidden and
# sees only its keys; a user matching no [client] (nobody) is refused at
# connect; key-level limits hold; every denial is audited; the socket gets
# the configured owner, group and mode. Needs root (skips with 77).
. "$top_srcdir/tests/system/setup.sh"
hz_setup
hz_test_user

# A socket directory other users can pass through (the build tree may not be).
TB_SOCK_DIR=$(mktemp -d /tmp/tanba-acl.XXXXXX) || tb_fail "mktemp"
chmod 0711 "$TB_SOCK_DIR"
TB_SOCK="$TB_SOCK_DIR/tanbad.sock"
sed -i -e "s|^socket = .*|socket = $TB_SOCK|" -e '/^socket_mode = /d' "$TB_TMP/base.conf"
NOBODY=nobody
id "$NOBODY" >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }

clients="$HZ_SELF_CLIENT

[client \"portal\"]
user = tanbatest
ops = verify check-cert status keys
keys = ec"
hz_conf "socket_mode = 0660
socket_owner = $HZ_SELF
socket_group = tanbatest" "$clients"
tb_start_daemon || tb_fail "tanbad did not start"

tb_log "socket owner, group and mode"
[ "$(stat -c '%U %G %a' "$TB_SOCK")" = "$HZ_SELF tanbatest 660" ] ||
    tb_fail "socket is $(stat -c '%U %G %a' "$TB_SOCK")"

tb_log "tanbatest: sign forbidden, status and keys allowed, verify reaches its op"
b64=$(printf 'doc' | base64)
ans=$(hz_req "{\"id\":1,\"op\":\"sign\",\"key\":\"ec\",\"data\":\"$b64\"}" tanbatest)
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "sign as tanbatest: $ans"
[ "$(hz_field "$ans" cms)" = - ] || tb_fail "a CMS came back: $ans"
ans=$(hz_req '{"id":2,"op":"status"}' tanbatest)
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "status as tanbatest: $ans"
ans=$(hz_req '{"id":3,"op":"keys"}' tanbatest)
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "keys as tanbatest: $ans"
names=$(python3 -c 'import json,sys; print(" ".join(k["name"] for k in json.loads(sys.argv[1])["keys"]))' "$ans")
[ "$names" = ec ] || tb_fail "tanbatest sees keys '$names', want 'ec'"
ans=$(hz_req '{"id":4,"op":"verify"}' tanbatest)
[ "$(hz_field "$ans" id)" = 4 ] || tb_fail "verify as tanbatest: $ans"
[ "$(hz_field "$ans" error.code)" != forbidden ] || tb_fail "verify forbidden: $ans"
ans=$(hz_req '{"id":5,"op":"keys"}')
n=$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])["keys"]))' "$ans")
[ "$n" = 4 ] || tb_fail "$HZ_SELF sees $n keys, want 4"
[ "$(grep -c '"uid":'"$(id -u tanbatest)"',"client":"tanbatest","op":"sign","key":"ec",.*"result":"forbidden"' "$HZ_AUDIT")" = 1 ] ||
    tb_fail "the refused sign is not audited once"

tb_log "nobody cannot even connect through the 0660 socket"
ans=$(hz_req '{"id":6,"op":"status"}' "$NOBODY")
case $ans in CONNECT-FAILED*) ;; *) tb_fail "nobody got through: $ans" ;; esac
tb_stop_daemon

tb_log "socket open to all: nobody is refused by the daemon; key limits"
clients="$HZ_SELF_CLIENT

[client \"portal\"]
user = tanbatest
ops = sign status
keys = ec"
hz_conf "socket_mode = 0666" "$clients"
tb_start_daemon || tb_fail "tanbad did not restart"
ans=$(hz_req '{"id":7,"op":"status"}' "$NOBODY")
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "nobody: $ans"
[ "$(hz_field "$ans" id)" = null ] || tb_fail "nobody: id should be null: $ans"
[ "$(hz_field "$ans" version)" = - ] || tb_fail "nobody got a status: $ans"
grep -q "\"uid\":$(id -u "$NOBODY"),.*\"op\":\"connect\",.*\"result\":\"forbidden\"" "$HZ_AUDIT" ||
    tb_fail "the refused connection is not audited"
ans=$(hz_req "{\"id\":8,\"op\":\"sign\",\"key\":\"rsa\",\"data\":\"$b64\"}" tanbatest)
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "sign rsa as tanbatest: $ans"
ans=$(hz_req "{\"id\":9,\"op\":\"sign\",\"key\":\"ec\",\"data\":\"$b64\"}" tanbatest)
[ "$(hz_field "$ans" ok)" = true ] || tb_fail "sign ec as tanbatest: $ans"
ans=$(hz_req '{"id":10,"op":"keys"}' tanbatest)
[ "$(hz_field "$ans" error.code)" = forbidden ] || tb_fail "keys as tanbatest: $ans"
"$TB_ADMIN" audit-verify "$HZ_AUDIT" || tb_fail "audit-verify"
tb_log "PASS"
exit 0
