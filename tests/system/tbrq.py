#!/usr/bin/env python3
"""One request to tanbad from a shell test: tbrq.py SOCKET OP NAME=VALUE...
A VALUE @FILE is FILE in base64; true and false are booleans. The answer,
as JSON, on stdout; exit status 1 when the daemon closed without one."""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tbframe import ask, connect  # noqa: E402

req = {"id": 1, "op": sys.argv[2]}
for a in sys.argv[3:]:
    k, v = a.split("=", 1)
    if v.startswith("@"):
        v = base64.b64encode(open(v[1:], "rb").read()).decode()
    elif v in ("true", "false"):
        v = v == "true"
    req[k] = v
ans = ask(connect(sys.argv[1], 60), req)
if ans is None:
    sys.exit("tbrq: the daemon closed without an answer")
json.dump(ans, sys.stdout, ensure_ascii=False)
