#!/bin/sh
# tanba-admin token init and token list against a SoftHSM2 token directory
# made here: the token is created, listed with its flags, and a
# re-initialisation is refused without --reinit and with a wrong SO PIN.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/system/setup.sh"
ad_setup

ad_log "token list before init"
out=$(ad_admin token list) || ad_fail "token list: $out"
echo "$out"
echo "$out" | grep -q "not initialized" || ad_fail "no uninitialised slot listed"

ad_log "token init reads PINs only from files or a terminal"
if out=$(ad_admin token init --free --label "$AD_LABEL" 2>&1); then
	ad_fail "token init without PIN files and without a terminal succeeded"
fi
echo "$out" | grep -q "PIN" || ad_fail "no word about the missing PIN: $out"
chmod 0644 "$AD_PIN_FILE"
if out=$(ad_admin token init --free --label "$AD_LABEL" --so-pin-file "$AD_SO_PIN_FILE" \
    --pin-file "$AD_PIN_FILE" 2>&1); then
	ad_fail "token init accepted a world-readable PIN file"
fi
echo "$out" | grep -q "0644" || ad_fail "mode of the PIN file not named: $out"
chmod 0600 "$AD_PIN_FILE"

ad_log "token init"
ad_token_init || ad_fail "token init"
out=$(ad_admin token list) || ad_fail "token list: $out"
echo "$out"
echo "$out" | grep -q "token: \"$AD_LABEL\"" || ad_fail "token not listed"
echo "$out" | grep -q "initialized,login-required,user-pin-set" || ad_fail "flags not listed"
echo "$out" | grep -q "sessions:" || ad_fail "sessions not listed"
echo "$out" | grep -Eq "mechanisms: [1-9]" || ad_fail "mechanism count not listed"
echo "$out" | grep -q "uri: pkcs11:.*token=$AD_LABEL" || ad_fail "token URI not listed"

ad_log "the user PIN works (pkcs11-tool logs in with it)"
ad_p11tool --list-objects >/dev/null || ad_fail "user PIN set by token init does not log in"

ad_log "a PIN typed at a terminal is not echoed"
python3 - "$AD_ADMIN" "$SOFTHSM_MODULE" "$AD_USER_PIN" <<'PY' || ad_fail "PIN prompt on a terminal"
import os, pty, select, signal, sys, time
admin, module, pin = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execv(admin, [admin, "--module", module, "key", "list"])
out = b""
def read_until(marker, limit=20.0):
    # select() bounds every wait: a child stuck at its prompt fails the test.
    global out
    end = time.time() + limit
    while (marker is None or marker not in out) and time.time() < end:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.time()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return marker is not None and marker in out
if not read_until(b"user PIN: "):
    os.kill(pid, signal.SIGKILL)
    raise SystemExit("no PIN prompt: %r" % out)
os.write(fd, pin.encode() + b"\n")
read_until(None)
end = time.time() + 20
done, status = os.waitpid(pid, os.WNOHANG)
while done == 0 and time.time() < end:
    time.sleep(0.05)
    done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:
    os.kill(pid, signal.SIGKILL)
    raise SystemExit("tanba-admin did not finish after the PIN: %r" % out)
text = out.decode("utf-8", "replace")
print(text)
assert os.WEXITSTATUS(status) == 0, status
assert pin not in text, "the PIN was echoed"
assert "private key" in text, text
PY

slot=$(echo "$out" | awk -v l="$AD_LABEL" '/^slot / { s = $2 } $0 ~ "token: \"" l "\"" { sub(":", "", s); print s }')
[ -n "$slot" ] || ad_fail "slot of the token not found"

ad_log "re-initialising an initialised token needs --reinit"
if out=$(ad_admin token init --slot "$slot" --label other --so-pin-file "$AD_SO_PIN_FILE" \
    --pin-file "$AD_PIN_FILE" 2>&1); then
	ad_fail "an initialised token was re-initialised without --reinit"
fi
echo "$out" | grep -q -- "--reinit" || ad_fail "refusal does not name --reinit: $out"

ad_log "a wrong SO PIN is refused with a clear message"
printf 'wrong-so-pin\n' > "$AD_TMP/bad-so.pin"
chmod 0600 "$AD_TMP/bad-so.pin"
if out=$(ad_admin token init --slot "$slot" --label other --reinit \
    --so-pin-file "$AD_TMP/bad-so.pin" --pin-file "$AD_PIN_FILE" 2>&1); then
	ad_fail "token init with a wrong SO PIN succeeded"
fi
echo "$out"
echo "$out" | grep -q "SO PIN is wrong" || ad_fail "wrong SO PIN not said: $out"
ad_admin token list | grep -q "token: \"$AD_LABEL\"" || ad_fail "token changed after a refused init"

echo "PASS"
