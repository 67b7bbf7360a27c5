/*
 * Internal to libsig: the steps that CMS verification (cms_verify.c) and
 * certificate checks (verify.c) share. Callers outside libsig use verify.h.
 */
#ifndef TB_CMS_VERIFY_H
#define TB_CMS_VERIFY_H

#include <openssl/cms.h>

#include "verify.h"

/* A new, empty result; NULL when out of memory. */
tb_verify_result *tb_verify_result_new(int is_cert, size_t n_signers);

/*
 * Validates the path of signers[idx].cert at signers[idx].eval_time, reads
 * its identity and checks the identity against the profile (check digits,
 * roles without a BIN). extra: certificates that may serve as intermediates.
 */
int tb_verify_signer_cert(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, tb_verify_result *res, size_t idx, STACK_OF(X509) *extra,
    tb_error *err);

/*
 * Applies the request's iin/bin/roles: satisfied when one signer with a
 * certificate matches all of them; otherwise IDENTITY_MISMATCH reasons.
 */
int tb_verify_identity_demands(const tb_verify_request *req, tb_verify_result *res);

/*
 * The DER of si's signed attributes as they were signed (RFC 5652 5.4), in
 * the order received, not re-sorted; *der OPENSSL_malloc'd. 0 or -1.
 */
int tb_cms_signed_attrs_der(CMS_SignerInfo *si, unsigned char **der, int *der_len);

/* 1 when pol refuses a SignerInfo's digest algorithm (MD5; SHA-1 unless allow_sha1). */
int tb_cms_digest_refused(const tb_verify_policy *pol, const X509_ALGOR *digest_alg);

/* The signer's certificate among pool (the CMS's and the caller's), or NULL. */
X509 *tb_cms_signer_cert_find(CMS_SignerInfo *si, STACK_OF(X509) *pool);

/* The signingTime attribute of si into s (has_signing_time), when it has one. */
void tb_cms_read_signing_time(CMS_SignerInfo *si, tb_signer_result *s);

/*
 * The counter-signatures of si, signer idx of res (cms_countersig.c): each
 * checked as a signer of its own and listed with its verdict in the
 * signer's "countersigners"; one that is not VALID adds its verdict to
 * res's overall reasons (not to signer idx's own). Their paths spend from
 * res's budget. pool: the certificates the counter-signers' may be among.
 * An error only without memory.
 */
int tb_cms_check_countersigs(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, CMS_SignerInfo *si, STACK_OF(X509) *pool,
    tb_verify_result *res, int idx, tb_error *err);

/* Sets res->verdict from its reasons (and the top-level time from signer 0). */
void tb_verify_result_finish(tb_verify_result *res);

#endif
