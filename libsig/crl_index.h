/*
 * A compact index of the serials a CRL revokes, built straight from the
 * CRL's DER without creating one OpenSSL object per entry, so that a CRL
 * with a million entries loads in about a second and a lookup costs
 * O(log n). It checks structure only: signature, issuer and freshness are
 * crl.c's business, and an index must never be used before crl.c said yes.
 */
#ifndef TB_CRL_INDEX_H
#define TB_CRL_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "der_reader.h"
#include "tb_err.h"

#define TB_CRL_NUMBER_MAX 20	/* RFC 5280 5.2.3: at most 20 octets */
#define TB_CRL_REASON_NONE (-1)
#define TB_CRL_REASON_REMOVE 8	/* removeFromCRL, delta CRLs only */
/* RFC 5280 4.2.1.13 ReasonFlags, bit n set for named bit n (1..8); bit 0 is unused. */
#define TB_CRL_REASONS_ALL 0x1feu
#define TB_CRL_ENTRY_ISSUERS_MAX 65535	/* certificateIssuer changes in one CRL */

/* What the CRL says about itself. */
typedef struct tb_crl_info {
	int version;			/* 1 or 2 (the encoded value plus one) */
	time_t this_update;
	time_t next_update;		/* 0 when absent */
	int has_number;
	unsigned char number[TB_CRL_NUMBER_MAX];	/* crlNumber, big-endian, minimal */
	size_t number_len;
	int is_delta;			/* deltaCRLIndicator present */
	unsigned char base_number[TB_CRL_NUMBER_MAX];	/* its BaseCRLNumber */
	size_t base_number_len;
	int has_freshest;		/* Freshest CRL pointer to a delta */
	int only_user_certs, only_ca_certs;	/* issuingDistributionPoint scope */
	int only_attr_certs;		/* onlyContainsAttributeCerts: covers no certificate */
	int indirect;			/* indirectCRL: entries may name another issuer */
	int has_idp;			/* issuingDistributionPoint present */
	unsigned only_some_reasons;	/* ReasonFlags bits it covers; TB_CRL_REASONS_ALL when absent */
	size_t entry_issuers;		/* certificateIssuer entry extensions seen */
	unsigned char aki[64];		/* authorityKeyIdentifier keyIdentifier */
	size_t aki_len;
	size_t entries;
} tb_crl_info;

/* Byte ranges inside the DER the index was built from (not copied). */
typedef struct tb_crl_parts {
	tb_der tbs;		/* TBSCertList, the signed bytes (whole TLV) */
	tb_der sig_alg;		/* outer signatureAlgorithm (whole TLV) */
	tb_der sig;		/* signature value bytes */
	tb_der issuer;		/* issuer Name (whole TLV) */
	tb_der idp;		/* issuingDistributionPoint value (whole TLV), len 0 when absent */
} tb_crl_parts;

typedef struct tb_crl_index tb_crl_index;

/*
 * Parses the CertificateList in der and builds its index into *out (the
 * caller frees it with tb_crl_index_free). parts, when not NULL, receives
 * ranges into der for the signature check. Fails with TB_ERR_MALFORMED on
 * any structural error (a certificateIssuer entry outside an indirect CRL,
 * a missing or critical cRLNumber among them), TB_ERR_UNSUPPORTED on an
 * unknown critical extension, TB_ERR_TOO_LARGE past max_entries
 * (0: no limit). Scope (issuingDistributionPoint) is recorded, not judged:
 * crl_scope.c decides whether the CRL covers a certificate.
 */
int tb_crl_index_build(const unsigned char *der, size_t len, size_t max_entries,
    tb_crl_index **out, tb_crl_parts *parts, tb_error *err);
void tb_crl_index_free(tb_crl_index *ix);

const tb_crl_info *tb_crl_index_info(const tb_crl_index *ix);
/* The issuer Name DER (a copy the index owns). */
const unsigned char *tb_crl_index_issuer(const tb_crl_index *ix, size_t *len);
/* The issuingDistributionPoint DER (a copy the index owns), NULL when absent. */
const unsigned char *tb_crl_index_idp(const tb_crl_index *ix, size_t *len);
/* Bytes the index holds in memory. */
size_t tb_crl_index_mem(const tb_crl_index *ix);

/*
 * Looks up a serial given as the content octets of its INTEGER. Returns 1
 * and fills revoked_at and reason (TB_CRL_REASON_NONE when absent) when
 * listed, 0 when not.
 */
int tb_crl_index_lookup(const tb_crl_index *ix, const unsigned char *serial,
    size_t serial_len, time_t *revoked_at, int *reason);

/*
 * Says whether an entry belongs to the certificate's issuer: gn is the
 * GeneralNames DER of the entry's certificateIssuer (RFC 5280 5.3.3), or
 * NULL for entries before any, which belong to the CRL issuer.
 */
typedef int (*tb_crl_entry_issuer_fn)(void *arg, const unsigned char *gn, size_t len);

/*
 * As tb_crl_index_lookup, but only entries whose issuer mine() accepts
 * count (an indirect CRL may list one serial for several issuers).
 */
int tb_crl_index_lookup_issuer(const tb_crl_index *ix, const unsigned char *serial,
    size_t serial_len, tb_crl_entry_issuer_fn mine, void *arg, time_t *revoked_at,
    int *reason);

/* Compares two big-endian CRL numbers: <0, 0, >0. */
int tb_crl_number_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen);

#endif
