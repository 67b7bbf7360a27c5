/*
 * RFC 3161 time-stamp tokens: a TimeStampToken is a CMS SignedData whose
 * content is a TSTInfo. Checked here: the TSTInfo, its message imprint
 * against the data stamped, the nonce when one was sent, the TSA
 * certificate's extended key usage (id-kp-timeStamping only, critical,
 * RFC 3161 2.3), the ESS signingCertificate(V2) naming that certificate
 * (RFC 3161 2.4.1, RFC 5816), and, through tb_verify_cms, the token's signature
 * (RSA, EC, GOST through the algorithm table) and the TSA certificate's
 * path to the TSA's own trust list at the token's genTime.
 */
#ifndef TB_TST_VERIFY_H
#define TB_TST_VERIFY_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/cms.h>

#include "verify.h"

/* What a token says and what its check found. */
typedef struct tb_tst_info {
	int parsed;			/* the TSTInfo was read: the fields below are set */
	time_t gen_time;
	char policy[64];		/* dotted OID */
	char serial[84];		/* hex */
	char hash[48];			/* imprint hash: short name or dotted OID */
	char tsa[256];			/* TSA certificate subject, RFC 2253; "" when not found */
	tb_rev_result tsa_rev;		/* the TSA certificate's revocation at genTime;
					 * NOT_CHECKED with the reason in detail when
					 * none was established (ocsp_der always NULL) */
	enum tb_verdict verdict;	/* VALID, or why the token is refused */
	char reason[256];		/* technical English; "" when VALID */
} tb_tst_info;

/*
 * Checks the DER token tok as a time stamp over data (for CAdES-T, the
 * SignerInfo's signature value exactly as stored). nonce: the nonce sent,
 * or NULL when none is expected. rev may be NULL: the TSA certificate's
 * revocation is then not checked, as in tb_verify_cms.
 * Returns 0 whenever a verdict was reached (info->verdict, info->reason);
 * an error only when out of memory.
 */
int tb_tst_verify(const tb_trust *tsa_trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const unsigned char *tok, size_t tok_len,
    const unsigned char *data, size_t data_len, const ASN1_INTEGER *nonce,
    tb_tst_info *info, tb_error *err);

/*
 * CAdES-T (ETSI EN 319 122-1 5.3): checks every signatureTimeStampToken
 * (unsigned attribute 1.2.840.113549.1.9.16.2.14) of si over its signature
 * value as stored, keeps the report in res->signers[idx].tst (the first
 * refused token, else the earliest) and adds a "<VERDICT>.timestamp"
 * reason for each refused one: a bad token is never dropped. The tokens'
 * TSA paths spend from res's budget. Error only when out of memory.
 */
int tb_tst_check_signer(const tb_trust *tsa_trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, CMS_SignerInfo *si, tb_verify_result *res, int idx,
    tb_error *err);

/* The report of one token as JSON (time, tsa, policy, serial, hash, verdict); null for NULL. */
json_t *tb_tst_info_json(const struct tb_tst_info *info);

#endif
