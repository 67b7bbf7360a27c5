/*
 * The ESS certificate identifiers a signer binds into its signed
 * attributes: signingCertificate (RFC 2634 5.4, ESSCertID: SHA-1 of the
 * certificate) and signingCertificateV2 (RFC 5035, ESSCertIDv2: any hash,
 * SHA-256 by default). RFC 3161 2.4.1 and RFC 5816 require one of them in
 * every time-stamp token, naming the TSA's certificate first: without that
 * binding a token could be presented with another certificate of the same
 * key (another name, another validity, another revocation status).
 */
#ifndef TB_ESS_CERT_ID_H
#define TB_ESS_CERT_ID_H

#include <stddef.h>

#include <openssl/cms.h>
#include <openssl/x509.h>

/* What the signed attributes say about cert. */
enum tb_ess_match {
	TB_ESS_MATCH = 0,	/* every ESS attribute present names cert first */
	TB_ESS_ABSENT,		/* neither attribute is there */
	TB_ESS_OTHER_CERT,	/* an attribute names another certificate */
	TB_ESS_MALFORMED,	/* an attribute is unreadable, or its hash unknown */
};

/*
 * Compares the first ESSCertID(v2) of si's signingCertificate and
 * signingCertificateV2 (each when present) with cert: the hash of its DER
 * and, when given, its issuer and serial. why (technical English) says
 * what differed when the answer is not TB_ESS_MATCH.
 */
enum tb_ess_match tb_ess_check(CMS_SignerInfo *si, X509 *cert, char *why, size_t why_len);

#endif
