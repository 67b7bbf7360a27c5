/*
 * What the fuzz targets share: the libFuzzer entry point, an assertion
 * that aborts (so libFuzzer and the replay both report it), the request
 * walk that fuzz_frame and fuzz_request run, and fuzz_pki.c's helpers that
 * re-sign fuzzed CRLs and OCSP responses. Never linked into tanbad.
 */
#ifndef TB_FUZZ_H
#define TB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Runs one input through the target; always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promises; a broken one is a finding. */
#define FZ_ASSERT(cond) \
	((cond) ? (void)0 : fz_fail(__FILE__, __LINE__, #cond))
void fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* Prints a line to stderr when TANBA_FUZZ_VERBOSE is set: what an input reached. */
void fz_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Decodes payload as request.c and the op handlers do, reads every typed
 * field, builds the answer and checks that it encodes and decodes back.
 */
void fz_request_walk(const unsigned char *payload, size_t len);

/* ---- fuzz_pki.c: a CA whose key the target holds ---- */

/* The process's P-256 key (made once). */
EVP_PKEY *fz_key(void);

/*
 * A self-signed CA certificate (CA:TRUE, keyCertSign + cRLSign, no key
 * identifier) named by the DER Name name, with fz_key's public key; NULL
 * when name does not parse. The caller frees it.
 */
X509 *fz_ca_named(const unsigned char *name, size_t len);

/*
 * SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature by fz_key }:
 * a Certificate, CertificateList or BasicOCSPResponse around the signed
 * bytes tbs (a whole TLV). *out is malloc'ed.
 */
int fz_resign(const unsigned char *tbs, size_t tbs_len, unsigned char **out,
    size_t *out_len);

/*
 * As fz_resign for a CertificateList: the TBSCertList's own signature
 * field becomes ecdsa-with-SHA256 too (RFC 5280 5.1.1.2: inside and outside
 * must agree). Returns -1 when tbs is not shaped like a TBSCertList.
 */
int fz_resign_crl(const unsigned char *tbs, size_t tbs_len, unsigned char **out,
    size_t *out_len);

/* tag, DER length, content: a new malloc'ed TLV. */
int fz_der_wrap(unsigned char tag, const unsigned char *content, size_t len,
    unsigned char **out, size_t *out_len);

/*
 * Up to max serial numbers (INTEGER content octets) of the revoked
 * entries of the TBSCertList TLV tbs, found by a reading of its own so
 * that lookups can be checked against the index; how many were found.
 */
size_t fz_crl_serials(const unsigned char *tbs, size_t len, const unsigned char **serials,
    size_t *serial_lens, size_t max);

/*
 * The trust the verification targets use, made once: the anchors of the
 * file TANBA_FUZZ_ANCHORS names and the intermediates of
 * TANBA_FUZZ_UNTRUSTED (both optional: without anchors every path ends
 * unanchored, which still runs the parsing and signature checks).
 */
struct tb_trust;
const struct tb_trust *fz_trust(void);

#endif
