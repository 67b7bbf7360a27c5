/*
 * The private-key operation as libsig sees it: an interface it is handed.
 * libsig never makes a PKCS#11 call; the daemon hands it a signer backed by
 * the token (directly, or through the signer process).
 */
#ifndef TB_SIGNER_H
#define TB_SIGNER_H

#include <stddef.h>

#include "tb_err.h"

/* Largest signature value any supported key produces (RSA-4096 is 512). */
#define TB_SIG_MAX 1024

typedef struct tb_signer {
	/*
	 * Signs a digest made with md_nid (an OpenSSL NID: NID_sha256, ...).
	 * Writes the signature value in the form CMS carries it: for RSA the
	 * PKCS#1 v1.5 signature, for ECDSA the DER Ecdsa-Sig-Value. *sig_len
	 * holds the room in sig on entry and the length written on return.
	 */
	int (*sign_digest)(void *ctx, int md_nid, const unsigned char *digest,
	    size_t digest_len, unsigned char *sig, size_t *sig_len, tb_error *err);
	void *ctx;
} tb_signer;

#endif
