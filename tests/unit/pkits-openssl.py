#!/usr/bin/env python3
"""OpenSSL's figures on NIST PKITS (tests/vectors/pkits), for the table in
docs/VERIFICATION.md beside tanba's: every run through `openssl verify`
twice, once with -crl_check_all only (what most callers use), once with
every option that bears on RFC 5280 (-policy_check -extended_crl
-x509_strict and the run's 6.1.1 inputs as -policy, -explicit_policy,
-inhibit_map, -inhibit_any), all at the suite's evaluation time.

Usage: tests/unit/pkits-openssl.py [--tanba FILE] [--openssl PATH] [-v]
--tanba FILE adds tanba's column from `tests/unit/test_pkits -c 0 -o FILE`.
Not part of make check: it measures another program.
"""
import json
import os
import subprocess
import sys
import tempfile
from calendar import timegm
from time import strptime

top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
vec = os.path.join(top, "tests", "vectors", "pkits")
args = sys.argv[1:]
verbose = "-v" in args
openssl = args[args.index("--openssl") + 1] if "--openssl" in args else "openssl"
tanba = {}
if "--tanba" in args:
    with open(args[args.index("--tanba") + 1]) as f:
        for line in f:
            rid, verdict = line.split()
            tanba[rid] = verdict

table = json.load(open(os.path.join(vec, "tests.json")))
at = str(timegm(strptime(table["evaluation_time"], "%Y-%m-%dT%H:%M:%SZ")))
tmp = tempfile.mkdtemp(prefix="pkits-openssl.")


def pem(kind, name, out):
    """Appends the DER file's PEM form to out."""
    sub, ext, cmd = ("certs", ".crt", "x509") if kind == "cert" else ("crls", ".crl", "crl")
    der = os.path.join(vec, sub, name + ext)
    text = subprocess.run([openssl, cmd, "-inform", "DER", "-in", der], check=True,
                          capture_output=True, text=True).stdout
    with open(out, "a") as f:
        f.write(text)


def run_id(t):
    title = t["title"]
    if "(Subpart " in title:
        return "%s#%d" % (t["number"], int(title.split("(Subpart ")[1].split(")")[0]))
    return t["number"]


def verify(t, full):
    for f in ("anchor.pem", "untrusted.pem", "crls.pem", "leaf.pem"):
        p = os.path.join(tmp, f)
        if os.path.exists(p):
            os.unlink(p)
    pem("cert", t["anchor"], os.path.join(tmp, "anchor.pem"))
    for name in t["path"][:-1]:
        pem("cert", name, os.path.join(tmp, "untrusted.pem"))
    pem("cert", t["path"][-1], os.path.join(tmp, "leaf.pem"))
    for name in t["crls"]:
        pem("crl", name, os.path.join(tmp, "crls.pem"))
    cmd = [openssl, "verify", "-attime", at, "-crl_check_all",
           "-CAfile", os.path.join(tmp, "anchor.pem"),
           "-CRLfile", os.path.join(tmp, "crls.pem")]
    if len(t["path"]) > 1:
        cmd += ["-untrusted", os.path.join(tmp, "untrusted.pem")]
    if full:
        cmd += ["-policy_check", "-extended_crl", "-x509_strict"]
        # Without -policy, OpenSSL's user set is empty, not anyPolicy (RFC 5280's default).
        for oid in t.get("initial_policy_set", ["2.5.29.32.0"]):
            cmd += ["-policy", oid]
        if t.get("initial_explicit_policy"):
            cmd.append("-explicit_policy")
        if t.get("initial_policy_mapping_inhibit"):
            cmd.append("-inhibit_map")
        if t.get("initial_any_policy_inhibit"):
            cmd.append("-inhibit_any")
    cmd.append(os.path.join(tmp, "leaf.pem"))
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip().splitlines()[-1:]


sections = {}
order = []
for t in table["tests"]:
    sec = ".".join(t["number"].split(".")[:2])
    if sec not in sections:
        sections[sec] = {"runs": 0, "default": 0, "full": 0, "tanba": 0, "dflt_runs": 0,
                         "dflt_default": 0}
        order.append(sec)
    s = sections[sec]
    want = t["expect"] == "VALID"
    ok_d, why_d = verify(t, False)
    ok_f, why_f = verify(t, True)
    defaults_only = not any(k.startswith("initial_") for k in t)
    s["runs"] += 1
    s["default"] += ok_d == want
    s["full"] += ok_f == want
    if defaults_only:
        s["dflt_runs"] += 1
        s["dflt_default"] += ok_d == want
    rid = run_id(t)
    if rid in tanba:
        s["tanba"] += (tanba[rid] == "VALID") == want
    if verbose and (ok_d != want or ok_f != want):
        print("%-8s %-7s default %s full %s  %s" % (rid, t["expect"], ok_d, ok_f,
              (why_f or why_d or [""])[0]))

ver = subprocess.run([openssl, "version"], capture_output=True, text=True).stdout.strip()
print("| section | runs | tanba | %s -crl_check_all | with every option |" % ver)
print("| --- | ---: | ---: | ---: | ---: |")
tot = {"runs": 0, "default": 0, "full": 0, "tanba": 0, "dflt_runs": 0, "dflt_default": 0}
for sec in order:
    s = sections[sec]
    for k in tot:
        tot[k] += s[k]
    print("| %s | %d | %s | %d | %d |" % (sec, s["runs"], s["tanba"] if tanba else "-",
                                        s["default"], s["full"]))
print("| **total** | %d | %s | %d | %d |" % (tot["runs"], tot["tanba"] if tanba else "-",
                                             tot["default"], tot["full"]))
print("\nruns with default inputs only: %d; openssl -crl_check_all agrees on %d"
      % (tot["dflt_runs"], tot["dflt_default"]))
for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
