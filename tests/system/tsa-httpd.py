#!/usr/bin/env python3
# A loopback RFC 3161 time-stamp authority for the tests: each POST body (a
# TimeStampReq) is piped to `openssl ts -reply` with the TSA named by the
# first path element, and its TimeStampResp is the answer. Misbehaving on
# demand: /slow/NAME answers after 5 s, /lag/NAME after 2 s, /replay/NAME
# answers the previous request's response (another nonce), /garbage answers
# bytes that are no TimeStampResp. It only ever listens on 127.0.0.1, on a free port.
# Usage: tsa-httpd.py DIR PORTFILE   (DIR holds NAME.pem, NAME.key, chain.pem)
import http.server
import os
import socketserver
import subprocess
import sys
import threading
import time

ROOT, PORTFILE = sys.argv[1], sys.argv[2]
CONF = os.path.join(ROOT, "tsa.cnf")
last = {}
# openssl ts -reply reads and rewrites the serial file: one at a time.
lock = threading.Lock()

with open(CONF, "w") as f:
    f.write("""[tsa]
default_tsa = tsa_config1
[tsa_config1]
serial = %s/serial
crypto_device = builtin
default_policy = 1.2.398.3.3.2.6.1
other_policies = 1.2.398.3.3.2.6.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
signer_digest = sha256
""" % ROOT)
with open(os.path.join(ROOT, "serial"), "w") as f:
    f.write("01\n")


def reply(name, query):
    with lock:
        return reply_locked(name, query)


def reply_locked(name, query):
    if name.startswith("gost"):
        p = subprocess.run([os.environ["TESTPKI"], "cms", "--cert", os.path.join(ROOT, name + ".pem"),
                            "--key", os.path.join(ROOT, name + ".key"),
                            "--tst-query", "/dev/stdin", "--out", "/dev/stdout"],
                           input=query, capture_output=True, check=False)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode(errors="replace"))
        return p.stdout
    p = subprocess.run(["openssl", "ts", "-reply", "-config", CONF, "-queryfile", "/dev/stdin",
                        "-signer", os.path.join(ROOT, name + ".pem"),
                        "-inkey", os.path.join(ROOT, name + ".key"),
                        "-chain", os.path.join(ROOT, "chain.pem"), "-out", "/dev/stdout"],
                       input=query, capture_output=True, check=False)
    if p.returncode != 0:
        sys.stderr.write(p.stderr.decode(errors="replace"))
    return p.stdout


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def body(self, data, status=200):
        self.send_response(status)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(n) if n else b""
        parts = self.path.strip("/").split("/")
        if parts[0] == "garbage":
            self.body(b"\x30\x03\x02\x01\x05 not a response")
            return
        name = os.path.basename(parts[-1])
        resp = reply(name, query)
        if parts[0] == "slow":
            time.sleep(5)
        if parts[0] == "lag":
            time.sleep(2.0)
        if parts[0] == "replay":
            prev = last.get(name)
            last[name] = resp
            if prev is not None:
                resp = prev
        self.body(resp if resp else b"", 200 if resp else 500)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
