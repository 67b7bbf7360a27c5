#!/usr/bin/env python3
# Raw-frame client for the daemon's integration tests: sends frames the
# tanba client never would (cut short, too long, not JSON, pipelined) and
# checks what tanbad answers. Exits 0 when the daemon behaved as the
# protocol says, 1 with one line of why when it did not. Test use only.
import base64
import json
import os
import socket
import struct
import sys
import time

import tbframe	# beside this file, so on sys.path

TIMEOUT = 15.0


def fail(msg):
    print("rawclient: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(path):
    return tbframe.connect(path, TIMEOUT)


send_frame = tbframe.send
recv_exact = tbframe.exact


def recv_frame(s):
    """The next answer as a dict, or None when the daemon closed."""
    hdr = recv_exact(s, 4)
    if hdr is None:
        return None
    (n,) = struct.unpack(">I", hdr)
    body = recv_exact(s, n)
    if body is None:
        fail("connection closed inside an answer of %d bytes" % n)
    try:
        return json.loads(body)
    except ValueError as e:
        fail("daemon sent invalid JSON: %s" % e)


def expect_closed(s, what):
    try:
        data = s.recv(1)
    except socket.timeout:
        fail("%s: connection still open after %.0f s" % (what, TIMEOUT))
    except ConnectionResetError:
        return
    if data:
        fail("%s: expected the connection closed, got more bytes" % what)


def expect_error(ans, codes, what, field=None, id_=None):
    if ans is None:
        fail("%s: connection closed without an answer" % what)
    if ans.get("ok") is not False:
        fail("%s: expected an error, got %s" % (what, json.dumps(ans)[:200]))
    err = ans.get("error") or {}
    if err.get("code") not in codes:
        fail("%s: expected code %s, got %s" % (what, "/".join(codes), json.dumps(ans)[:300]))
    if not isinstance(err.get("message"), str) or not err["message"]:
        fail("%s: error without a message: %s" % (what, json.dumps(ans)))
    if "\n" in err["message"]:
        fail("%s: message is not one line" % what)
    if field is not None and err.get("field") != field:
        fail("%s: expected field %r, got %s" % (what, field, json.dumps(ans)[:300]))
    if "id" not in ans or ans["id"] != id_:
        fail("%s: expected id %r, got %s" % (what, id_, json.dumps(ans)[:200]))
    return err


def expect_keys_ok(s, id_, what):
    send_frame(s, {"id": id_, "op": "keys"})
    ans = recv_frame(s)
    if ans is None:
        fail("%s: connection closed; a valid request after it got no answer" % what)
    if ans.get("id") != id_ or ans.get("ok") is not True:
        fail("%s: valid request after it failed: %s" % (what, json.dumps(ans)[:300]))


def case_truncated(path, args):
    s = connect(path)
    s.sendall(struct.pack(">I", 100) + b'{"id":1,"op":"ke')
    s.close()


def case_too_large(path, args):
    limit = int(args[0])
    s = connect(path)
    # Only the header: the daemon must decide on the length alone.
    s.sendall(struct.pack(">I", limit + 1))
    expect_error(recv_frame(s), ("too_large",), "frame over max_frame_bytes")
    expect_closed(s, "frame over max_frame_bytes")


def case_zero(path, args):
    s = connect(path)
    s.sendall(struct.pack(">I", 0))
    expect_error(recv_frame(s), ("too_large", "bad_request"), "zero-length frame")
    expect_closed(s, "zero-length frame")


def case_bad_json(path, args):
    s = connect(path)
    send_frame(s, b'{"id":1,"op":')
    expect_error(recv_frame(s), ("bad_request",), "invalid JSON")
    expect_keys_ok(s, 2, "invalid JSON")
    send_frame(s, b'[1,2,3]')
    expect_error(recv_frame(s), ("bad_request",), "JSON array")
    send_frame(s, b'\xff\xfe{}')
    expect_error(recv_frame(s), ("bad_request",), "not UTF-8")
    expect_keys_ok(s, "three", "not UTF-8")


def case_wrong_type(path, args):
    s = connect(path)
    send_frame(s, {"id": 10, "op": "sign", "key": 5, "data": "aGVsbG8="})
    expect_error(recv_frame(s), ("bad_request",), "key: 5", field="key", id_=10)
    send_frame(s, {"id": 11, "op": "sign", "key": "rsa", "data": 17})
    expect_error(recv_frame(s), ("bad_request",), "data: 17", field="data", id_=11)
    send_frame(s, {"id": 12, "op": "sign", "key": "rsa", "data": "aGVsbG8=", "detached": "yes"})
    expect_error(recv_frame(s), ("bad_request",), "detached: \"yes\"", field="detached", id_=12)
    send_frame(s, {"id": 13, "op": "sign", "data": "aGVsbG8="})
    expect_error(recv_frame(s), ("bad_request",), "key missing", field="key", id_=13)
    send_frame(s, {"id": 14, "op": "sign", "key": "rsa", "data": "%%%not base64"})
    expect_error(recv_frame(s), ("bad_request",), "data not base64", field="data", id_=14)
    send_frame(s, {"id": 15, "op": "sign", "key": "rsa", "digest": "sha256:" + "ab" * 32,
                   "detached": False})
    expect_error(recv_frame(s), ("bad_request",), "digest with detached false", id_=15)
    send_frame(s, {"id": 16, "op": "sign", "key": "rsa", "digest": "sha256:abcd"})
    expect_error(recv_frame(s), ("bad_request",), "short digest", field="digest", id_=16)
    send_frame(s, {"id": "s17", "op": 42})
    expect_error(recv_frame(s), ("bad_request",), "op: 42", field="op", id_="s17")
    expect_keys_ok(s, 18, "wrong types")


def case_unknown_op(path, args):
    s = connect(path)
    send_frame(s, {"id": 20, "op": "frobnicate"})
    expect_error(recv_frame(s), ("bad_request",), "unknown op", field="op", id_=20)
    send_frame(s, {"id": 21})
    expect_error(recv_frame(s), ("bad_request",), "missing op", field="op", id_=21)
    expect_keys_ok(s, 22, "unknown op")


def case_stall(path, args):
    timeout = float(args[0])
    s = connect(path)
    s.settimeout(timeout + 10)
    t0 = time.monotonic()
    s.sendall(struct.pack(">I", 50) + b'{"id":1,"op":"keys"')
    try:
        ans = recv_frame(s)
        if ans is not None:
            expect_error(ans, ("timeout", "bad_request"), "stalled frame")
            expect_closed(s, "stalled frame")
    except (socket.timeout, TimeoutError):
        fail("half frame: connection still open after %.0f s" % (timeout + 10))
    except ConnectionResetError:
        pass
    took = time.monotonic() - t0
    if took < timeout - 0.5 or took > timeout + 5:
        fail("half frame: closed after %.1f s, read_timeout_s is %.0f" % (took, timeout))
    print("half frame closed after %.1f s" % took)


def case_disconnect_inflight(path, args):
    key, digest = args[0], args[1]
    for i in range(5):
        s = connect(path)
        send_frame(s, {"id": i, "op": "sign", "key": key, "digest": digest})
        s.close()


def case_pipeline(path, args):
    """pipeline KEY DIGEST N OUTDIR: N signs on one connection, then N answers."""
    key, digest, n, outdir = args[0], args[1], int(args[2]), args[3]
    s = connect(path)
    ids = ["req-%d" % i if i % 2 else i for i in range(n)]
    for i in ids:
        send_frame(s, {"id": i, "op": "sign", "key": key, "digest": digest})
    seen = set()
    for _ in ids:
        ans = recv_frame(s)
        if ans is None:
            fail("pipeline: closed after %d of %d answers" % (len(seen), n))
        if ans.get("id") not in ids or str(ans.get("id")) in seen:
            fail("pipeline: unexpected id in %s" % json.dumps(ans)[:200])
        if ans.get("ok") is not True:
            fail("pipeline: request %r failed: %s" % (ans.get("id"), json.dumps(ans)[:300]))
        seen.add(str(ans["id"]))
        with open(os.path.join(outdir, "pipe-%s.der" % ans["id"]), "wb") as f:
            f.write(base64.b64decode(ans["cms"], validate=True))
    if len(seen) != n:
        fail("pipeline: %d distinct answers for %d requests" % (len(seen), n))


def case_request(path, args):
    """request JSON: one request, the answer printed (for docs and tests)."""
    s = connect(path)
    send_frame(s, json.loads(args[0]))
    ans = recv_frame(s)
    if ans is None:
        fail("closed without an answer")
    print(json.dumps(ans))


CASES = {
    "truncated": case_truncated,
    "too-large": case_too_large,
    "zero": case_zero,
    "bad-json": case_bad_json,
    "wrong-type": case_wrong_type,
    "unknown-op": case_unknown_op,
    "stall": case_stall,
    "disconnect-inflight": case_disconnect_inflight,
    "pipeline": case_pipeline,
    "request": case_request,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[2] not in CASES:
        print("usage: rawclient.py SOCKET CASE [ARGS]; cases: " + " ".join(sorted(CASES)),
              file=sys.stderr)
        sys.exit(2)
    try:
        CASES[sys.argv[2]](sys.argv[1], sys.argv[3:])
    except (OSError, socket.timeout) as e:
        fail("%s: %s" % (sys.argv[2], e))
