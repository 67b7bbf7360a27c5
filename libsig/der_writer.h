/*
 * The DER header (one tag octet and a definite length) that every piece of
 * DER built by hand in tanba starts with: the CMS rebuilt around embedded
 * validation data, a SignerInfo wrapped for OpenSSL to read, GOST
 * SignedData, and the test PKI's and fuzzers' certificates.
 */
#ifndef TB_DER_WRITER_H
#define TB_DER_WRITER_H

#include <stddef.h>

/* The most octets a header takes: tag, 0x80 | n, n length octets. */
#define TB_DER_HDR_MAX (2 + sizeof(size_t))

/* Octets of the header of a value of len content octets (2 .. TB_DER_HDR_MAX). */
size_t tb_der_hdr_len(size_t len);

/* Writes that header at w, which has room for it; the octet after it. */
unsigned char *tb_der_hdr_put(unsigned char *w, unsigned char tag, size_t len);

#endif
