/*
 * Bounded, thread-safe caches that spare verification repeated work: parsed
 * certificates keyed by the SHA-256 of their DER, and certificate signatures
 * already checked, keyed by the issuer's key and the certificate's bytes.
 * They hold results of parsing and of signature mathematics only; they must
 * never hold validity times, revocation or policy outcomes, which every
 * request evaluates afresh.
 */
#ifndef TB_CERT_CACHE_H
#define TB_CERT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "sigalg.h"

#define TB_CERT_CACHE_KEY_LEN 32	/* SHA-256 */

typedef struct tb_cert_cache tb_cert_cache;

typedef struct tb_cert_cache_stats {
	uint64_t cert_hits, cert_misses, cert_evictions;
	uint64_t sig_hits, sig_misses, sig_evictions;
	size_t certs, sigs;		/* entries held now */
	size_t max_certs, max_sigs;
} tb_cert_cache_stats;

/* A cache of at most max_certs certificates and max_sigs checked signatures (each >= 1). */
tb_cert_cache *tb_cert_cache_new(size_t max_certs, size_t max_sigs);
void tb_cert_cache_free(tb_cert_cache *c);

/*
 * The process-wide cache that libsig's verification uses (created on first
 * use, 1024 certificates, 8192 signatures). Never freed before exit.
 */
tb_cert_cache *tb_cert_cache_default(void);

/*
 * The certificate whose DER is exactly der[0..len) (no trailing bytes), as a
 * new reference the caller frees: from the cache, or parsed and added.
 * NULL when the bytes are not a certificate (nothing is cached then).
 * The object is shared between threads: callers must not modify it.
 */
X509 *tb_cert_cache_get(tb_cert_cache *c, const unsigned char *der, size_t len);

/*
 * The key of "child's signature verifies under the key spki": SHA-256 over
 * the SHA-256 of the issuer's SubjectPublicKeyInfo DER and the SHA-256 of
 * the child's whole DER (TBS, algorithm and signature value).
 */
int tb_cert_cache_sig_key(X509_PUBKEY *issuer_spki, const unsigned char *child_der,
    size_t child_len, unsigned char key[TB_CERT_CACHE_KEY_LEN]);

/* 1 and *info filled when key is recorded as a good signature; 0 otherwise. */
int tb_cert_cache_sig_lookup(tb_cert_cache *c, const unsigned char key[TB_CERT_CACHE_KEY_LEN],
    tb_sigalg_info *info);

/* Records key as a signature that verified (only good ones are recorded). */
void tb_cert_cache_sig_store(tb_cert_cache *c, const unsigned char key[TB_CERT_CACHE_KEY_LEN],
    const tb_sigalg_info *info);

void tb_cert_cache_get_stats(tb_cert_cache *c, tb_cert_cache_stats *st);

#endif
