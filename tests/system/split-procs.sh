#!/bin/sh
# What each tanbad process holds: the parent (the process tanbad started
# as) and the front (its child tanbad-front) have no PKCS#11 module mapped,
# neither the PIN file nor the audit file open; the signer (the parent's
# other child, tanbad-signer) has all three. All run with NoNewPrivs and
# RLIMIT_CORE 0. When the front dies (SIGKILL), its signer notices the
# closed channel and exits, and the parent starts a new front and signer.
TB_NO_START=1
. "$top_srcdir/tests/system/setup.sh"
tb_setup_daemon

tb_start_daemon || tb_fail "tanbad did not start"
PARENT=$TB_DAEMON_PID
FRONT=$TB_FRONT_PID
[ -n "$FRONT" ] || tb_fail "no tanbad-front under the parent $PARENT"
i=0
while [ $i -lt 50 ]; do
	SIGNER=$(tb_signer_of "$PARENT") && break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$SIGNER" ] || tb_fail "no tanbad-signer under the parent $PARENT"
tb_log "parent $PARENT, front $FRONT, signer $SIGNER"
tb_tanba sign --key ec -o "$TB_TMP/doc.p7" "$TB_CONF" || tb_fail "sign"

MODULE=$(basename "$(readlink -f "$SOFTHSM_MODULE")")
PIN=$(readlink -f "$TB_PIN_FILE")
AUDIT=$(readlink -f "$TB_TMP/audit.log")

# has_fd PID FILE: PID holds FILE open.
has_fd() {
	for _f in /proc/"$1"/fd/*; do
		[ "$(readlink "$_f" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

tb_log "the module: mapped in the signer only"
grep -q "$MODULE" /proc/"$SIGNER"/maps || tb_fail "$MODULE not mapped in the signer"
for p in "$PARENT" "$FRONT"; do
	grep -q "$MODULE" /proc/"$p"/maps && tb_fail "$MODULE mapped in $p"
	grep -qi softhsm /proc/"$p"/maps && tb_fail "a SoftHSM library is mapped in $p"
done

tb_log "the PIN file and the audit file: open in the signer only"
has_fd "$SIGNER" "$PIN" || tb_fail "the signer does not hold the PIN file"
has_fd "$FRONT" "$PIN" && tb_fail "the front holds the PIN file open"
has_fd "$PARENT" "$PIN" && tb_fail "the parent holds the PIN file open"
has_fd "$SIGNER" "$AUDIT" || tb_fail "the signer does not hold the audit file"
has_fd "$FRONT" "$AUDIT" && tb_fail "the front holds the audit file open"
has_fd "$PARENT" "$AUDIT" && tb_fail "the parent holds the audit file open"

tb_log "all three hardened; the PIN in none's command line or environment"
for p in "$PARENT" "$FRONT" "$SIGNER"; do
	grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/"$p"/status || tb_fail "$p: NoNewPrivs not set"
	grep -q '^Max core file size[[:space:]]*0[[:space:]]*0[[:space:]]' /proc/"$p"/limits ||
	    tb_fail "$p: core dumps allowed"
	for f in cmdline environ; do
		tr '\0' '\n' < /proc/"$p"/$f | grep -q -F "$TB_USER_PIN" && tb_fail "PIN in /proc/$p/$f"
	done
done

tb_log "the front dies: its signer exits"
kill -KILL "$FRONT"
i=0
while kill -0 "$SIGNER" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$SIGNER" 2>/dev/null && tb_fail "the signer $SIGNER outlived its front"
kill -0 "$PARENT" || tb_fail "the parent went with its front"
tb_log "PASS"
exit 0
