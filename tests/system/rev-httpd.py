#!/usr/bin/env python3
# The loopback server of the revocation tests (rev-net.sh, netfault.sh):
# plain HTTP or HTTPS (with the certificate it is given) serving CRLs and
# saved OCSP responses from a directory, misbehaving on demand (HTTP 500,
# empty body, never answering, trickling, endless body, redirect); or
# "silent", a TCP port that accepts and never says a word (a TLS handshake
# that stalls). It only ever listens on 127.0.0.1, on a free port.
# Usage: rev-httpd.py DIR PORTFILE [plain|silent|tls CERT KEY]
# The port is written to PORTFILE when the server is ready.
import http.server
import os
import socket
import socketserver
import ssl
import sys
import time

ROOT, PORTFILE = sys.argv[1], sys.argv[2]
MODE = sys.argv[3] if len(sys.argv) > 3 else "plain"


def ready(port):
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(PORTFILE + ".tmp", PORTFILE)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body(self, data, status=200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def file(self, name):
        with open(os.path.join(ROOT, os.path.basename(name)), "rb") as f:
            self.body(f.read())

    def serve(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        parts = self.path.split("?")[0].strip("/").split("/")
        try:
            if parts[0] == "f" and len(parts) >= 2:
                self.file(parts[-1])
            elif parts[0] == "slow" and len(parts) >= 2:
                time.sleep(1.0)
                self.file(parts[-1])
            elif parts[0] == "status500":
                self.body(b"internal error", 500)
            elif parts[0] == "empty":
                self.body(b"")
            elif parts[0] == "hang":
                time.sleep(30)
            elif parts[0] == "trickle":
                # One byte a second for two minutes: only a limit ends it.
                self.send_response(200)
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                for _ in range(120):
                    self.wfile.write(b"0")
                    self.wfile.flush()
                    time.sleep(1)
            elif parts[0] == "endless":
                self.send_response(200)
                self.end_headers()
                chunk = b"0" * 65536
                for _ in range(100000):
                    self.wfile.write(chunk)
            elif parts[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.body(b"not found", 404)
        except FileNotFoundError:
            self.body(b"not found", 404)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            pass

    do_GET = serve
    do_POST = serve


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # failed handshakes are what the tests provoke


def silent():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    held = []
    ready(ls.getsockname()[1])
    while True:
        c, _ = ls.accept()
        held.append(c)  # kept open, never answered


if MODE == "silent":
    silent()
    sys.exit(0)

srv = Server(("127.0.0.1", 0), Handler)
if MODE == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    # The handshake runs in the connection's thread, so one client that
    # never finishes it cannot stop the others.
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    base_finish = Server.finish_request

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        base_finish(self, request, client_address)

    Server.finish_request = finish_request
elif MODE != "plain":
    sys.exit("mode: plain, silent or tls")
ready(srv.server_address[1])
srv.serve_forever()
