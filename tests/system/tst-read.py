#!/usr/bin/env python3
# Reads a CAdES-T signature without libsig, for an independent check of a
# time-stamp token: writes the first SignerInfo's signature value to OUT
# and prints the token's imprint (hash OID, hex) and the token signer's
# digest and signature algorithm OIDs.
# Usage: tst-read.py SIGNED.p7s OUT
import sys
der = open(sys.argv[1], "rb").read()


def tlv(b, i):
    """(tag, content start, end, start) of the DER element at i."""
    n, j = b[i + 1], i + 2
    if n & 0x80:
        n, j = int.from_bytes(b[j:j + (n & 0x7f)], "big"), j + (n & 0x7f)
    return b[i], j, j + n, i


def kids(b, t):
    s, out = t[1], []
    while s < t[2]:
        out.append(tlv(b, s))
        s = out[-1][2]
    return out


def oid(b, t):
    v, n = b[t[1]:t[2]], 0
    out = [v[0] // 40, v[0] % 40]
    for c in v[1:]:
        n = (n << 7) | (c & 0x7f)
        if not c & 0x80:
            out.append(n)
            n = 0
    return ".".join(map(str, out))


def signed_data(b):
    """ContentInfo { oid, [0] SignedData }: the SignedData's elements."""
    return kids(b, kids(b, kids(b, tlv(b, 0))[1])[0])


def signer_info(b):
    return kids(b, kids(b, signed_data(b)[-1])[0])


si = signer_info(der)
sig = [k for k in si if k[0] == 0x04][-1]
open(sys.argv[2], "wb").write(der[sig[1]:sig[2]])
attr = kids(der, kids(der, [k for k in si if k[0] == 0xa1][0])[0])
assert oid(der, attr[0]) == "1.2.840.113549.1.9.16.2.14"
t = kids(der, attr[1])[0]
tok = der[t[3]:t[2]]
# encapContentInfo { id-ct-TSTInfo, [0] { OCTET STRING { TSTInfo } } }
eci = [k for k in signed_data(tok) if k[0] == 0x30][0]
octets = kids(tok, kids(tok, eci)[1])[0]
tst = kids(tok, tlv(tok, octets[1]))
mi = kids(tok, tst[2])
print("imprint", oid(tok, kids(tok, mi[0])[0]), tok[mi[1][1]:mi[1][2]].hex())
tsi = signer_info(tok)
print("signer", " ".join(oid(tok, kids(tok, k)[0]) for k in tsi if k[0] == 0x30 and
                         kids(tok, k)[0][0] == 0x06))
