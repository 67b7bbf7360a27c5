/*
 * The RFC 3161 client: asks a TSA over HTTP (through the tb_fetcher it is
 * given: fetcher.h) for a time-stamp token over some bytes, and verifies every
 * response before it is used (tst_verify.c: status, nonce, imprint, TSA
 * path and extended key usage, the token's signature, the policy asked).
 * Also adds tokens to an existing CMS as CAdES-T unsigned attributes.
 */
#ifndef TB_TST_CLIENT_H
#define TB_TST_CLIENT_H

#include <stddef.h>

#include "fetcher.h"
#include "tst_verify.h"

typedef struct tb_tsa_opts {
	const char *url;		/* http:// or https:// */
	const char *policy;		/* reqPolicy, dotted OID; NULL: the TSA's default */
	const char *hash;		/* imprint: "sha256" (NULL), "sha384", "sha512",
					 * "gost34311-95", "streebog256", "streebog512" */
	tb_fetch_opts fetch;		/* timeouts; max_bytes default 1 MiB */
	const tb_fetcher *fetcher;	/* the HTTP exchange (NULL: none, requests fail) */
	const tb_trust *trust;		/* the TSA trust list */
	const tb_verify_policy *pol;	/* key floors, budget */
	const tb_rev_checker *rev;	/* revocation of the TSA certificate, or NULL */
} tb_tsa_opts;

/* Defaults: sha256, fetch limits of 5 s connect, 10 s total, 1 MiB. */
void tb_tsa_opts_init(tb_tsa_opts *o);

/*
 * Asks the TSA for a token over data with a fresh 64-bit nonce and certReq.
 * *tok (OPENSSL_malloc'd DER) only when the answer was granted and the token
 * verified VALID (info filled in). Errors: TB_ERR_NETWORK / TB_ERR_TIMEOUT
 * (TSA down or slow), TB_ERR_MALFORMED (not a TimeStampResp, refused
 * status, bad token: the detail says why), TB_ERR_INVALID_ARG (options).
 */
int tb_tsa_request(const tb_tsa_opts *o, const unsigned char *data, size_t len,
    unsigned char **tok, size_t *tok_len, tb_tst_info *info, tb_error *err);

/*
 * Adds a verified token over each chosen signer's signature value (signer
 * -1: every signer) as its signatureTimeStampToken. The signed content and
 * the signed attributes stay byte for byte: when re-encoding would change
 * them the CMS is refused (TB_ERR_UNSUPPORTED). *out is OPENSSL_malloc'd DER.
 */
int tb_tsa_stamp_cms(const tb_tsa_opts *o, const unsigned char *cms, size_t len,
    int signer, unsigned char **out, size_t *out_len, tb_error *err);

#endif
