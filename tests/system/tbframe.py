"""Frames of tanbad's protocol for the tests' raw clients: a 4-byte
big-endian length and a JSON body. Import it with tests/ on sys.path."""
import json
import socket
import struct


def connect(path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def frame(body):
    """A frame of body: bytes, a JSON text, or an object to encode."""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode()
    return struct.pack(">I", len(body)) + body


def send(s, body):
    s.sendall(frame(body))


def exact(s, n):
    """n bytes, or None when the peer closed (or reset) first."""
    b = b""
    while len(b) < n:
        try:
            c = s.recv(n - len(b))
        except ConnectionResetError:
            return None
        if not c:
            return None
        b += c
    return b


def recv(s):
    """The next answer as an object, or None when the peer closed."""
    h = exact(s, 4)
    if h is None:
        return None
    body = exact(s, struct.unpack(">I", h)[0])
    return None if body is None else json.loads(body)


def ask(s, body):
    send(s, body)
    return recv(s)
