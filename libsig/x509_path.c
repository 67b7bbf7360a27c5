/*
 * RFC 5280 path validation written out step by step, so that every
 * certificate signature goes through tb_sigalg_verify (GOST included) and
 * every rule is visible here. It never trusts a certificate because the
 * signer sent it: only the configured anchors end a path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert_cache.h"
#include "der_reader.h"
#include "trust_int.h"
#include "x509_path.h"
#include "x509_profile.h"


/* Copies text into a fixed field, cut at a UTF-8 character boundary. */
static void
copy_text(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
tb_path_free(tb_path *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		X509_free(p->certs[i]);
		tb_rev_result_clear(&p->rev[i]);
	}
	tb_policy_result_clear(&p->policy);
	free(p);
}

/* Certificates remembered as dead ends: beyond that the budget alone bounds the search. */
#define MEMO_MAX 256

/* State of one path search. */
typedef struct builder {
	const tb_trust *trust;
	STACK_OF(X509) *extra;
	int max_depth;
	tb_path *p;
	tb_verify_budget *budget;
	X509 *bad_sig_child;		/* a certificate whose issuer's key rejected it */
	X509 *unsupported_child;	/* one whose signature algorithm is unusable */
	char unsupported_alg[96];
	/* Dead ends: no anchor is reachable upward from a certificate like
	 * memo[i] (same_upward) within memo_left[i] more certificates. */
	X509 *memo[MEMO_MAX];
	int memo_left[MEMO_MAX];
	int n_memo;
} builder;

/*
 * Two certificates with the same subject and the same public key are one
 * issuer for path building: whatever one can sign or reach, so can the
 * other. Keys are compared as encoded (algorithm and bits), so GOST keys
 * that OpenSSL cannot read compare too.
 */
static int
same_issuer(X509 *a, X509 *b)
{
	const unsigned char *ka, *kb;
	int la, lb;
	X509_ALGOR *aa, *ab;

	if (a == b)
		return 1;
	if (X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) != 0)
		return 0;
	if (!X509_PUBKEY_get0_param(NULL, &ka, &la, &aa, X509_get_X509_PUBKEY(a)) ||
	    !X509_PUBKEY_get0_param(NULL, &kb, &lb, &ab, X509_get_X509_PUBKEY(b)))
		return 0;
	return la == lb && memcmp(ka, kb, (size_t)la) == 0 && X509_ALGOR_cmp(aa, ab) == 0;
}

/*
 * Two certificates the search cannot tell apart going upward: the same
 * issuer (above), the same issuer name and the same authority key
 * identifier, so they have the same candidate issuers. Only their own
 * signatures may differ: a dead end is remembered only when no issuer
 * rejected the certificate's own signature (see extend()), so a forged
 * copy, or a certificate of a key rollover signed by the other key, never
 * hides a good one.
 */
static int
same_upward(X509 *a, X509 *b)
{
	const ASN1_OCTET_STRING *ka = X509_get0_authority_key_id(a);
	const ASN1_OCTET_STRING *kb = X509_get0_authority_key_id(b);

	if (!same_issuer(a, b) ||
	    X509_NAME_cmp(X509_get_issuer_name(a), X509_get_issuer_name(b)) != 0)
		return 0;
	if (ka == NULL || kb == NULL)
		return ka == kb;
	return ASN1_OCTET_STRING_cmp(ka, kb) == 0;
}

/* 1 when a certificate like x was found a dead end with at least left steps to go. */
static int
memo_dead(const builder *b, X509 *x, int left)
{
	int i;

	for (i = 0; i < b->n_memo; i++)
		if (b->memo_left[i] >= left && same_upward(b->memo[i], x))
			return 1;
	return 0;
}

static void
memo_add(builder *b, X509 *x, int left)
{
	if (b->n_memo < MEMO_MAX) {
		b->memo[b->n_memo] = x;
		b->memo_left[b->n_memo++] = left;
	}
}

/* RFC 5280 6.1.3 (a)(4) name chaining, with the AKI/SKI hint when both exist. */
static int
may_issue(X509 *child, X509 *parent)
{
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(child);
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(parent);

	if (X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(parent)) != 0)
		return 0;
	if (akid != NULL && skid != NULL && ASN1_OCTET_STRING_cmp(akid, skid) != 0)
		return 0;
	return 1;
}

/* A certificate like x (same subject and key) is already in the path: a loop. */
static int
in_path(const tb_path *p, X509 *x)
{
	int i;

	for (i = 0; i < p->n; i++)
		if (X509_cmp(p->certs[i], x) == 0 || same_issuer(p->certs[i], x))
			return 1;
	return 0;
}

/*
 * The TBSCertificate bytes inside a certificate's DER (its first element),
 * as a window into der; -1 when the DER is not a SEQUENCE starting so.
 */
static int
tbs_of(const unsigned char *der, size_t len, tb_der *tbs)
{
	tb_der d, body;

	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &body, NULL) != 0 || !tb_der_empty(&d) ||
	    tb_der_expect(&body, TB_DER_SEQUENCE, NULL, tbs) != 0)
		return -1;
	return 0;
}

/*
 * Checks child's signature with parent's key; 0 when it verifies. The
 * signed bytes are taken from the certificate's own encoding, never
 * re-encoded: re-encoding writes to the object, which other threads share.
 * A signature that verified is remembered by (parent key, child bytes), so
 * a known chain costs no arithmetic; a failure is never remembered.
 */
static int
link_ok(builder *b, X509 *child, X509 *parent, tb_sigalg_info *info)
{
	const ASN1_BIT_STRING *sig = NULL;
	const X509_ALGOR *alg = NULL;
	unsigned char *der = NULL, key[TB_CERT_CACHE_KEY_LEN];
	tb_cert_cache *cache = tb_cert_cache_default();
	int der_len, r, keyed = 0;
	tb_der tbs;
	tb_error e;

	tb_error_clear(&e);
	if (tb_verify_budget_take(b->budget, TB_BUDGET_SIG_CHECKS, 1) != 0)
		return -1;
	X509_get0_signature(&sig, &alg, child);
	/* RFC 5280 4.1.1.2: the outer algorithm must equal the one inside TBS. */
	if (sig == NULL || alg == NULL || X509_ALGOR_cmp(alg, X509_get0_tbs_sigalg(child)) != 0) {
		if (b->bad_sig_child == NULL)
			b->bad_sig_child = child;
		return -1;
	}
	if ((der_len = i2d_X509(child, &der)) <= 0 || tbs_of(der, (size_t)der_len, &tbs) != 0) {
		OPENSSL_free(der);
		return -1;
	}
	if (cache != NULL && tb_cert_cache_sig_key(X509_get_X509_PUBKEY(parent), der,
	    (size_t)der_len, key) == 0) {
		keyed = 1;
		if (tb_cert_cache_sig_lookup(cache, key, info)) {
			OPENSSL_free(der);
			return 0;
		}
	}
	r = tb_sigalg_verify(NULL, alg, X509_get_X509_PUBKEY(parent), tbs.p, tbs.len,
	    ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), info, &e);
	OPENSSL_free(der);
	if (r == 0 && keyed)
		tb_cert_cache_sig_store(cache, key, info);
	if (r == TB_ERR_UNSUPPORTED) {
		if (b->unsupported_child == NULL) {
			b->unsupported_child = child;
			copy_text(b->unsupported_alg, sizeof(b->unsupported_alg), e.detail);
		}
	} else if (r != 0 && b->bad_sig_child == NULL)
		b->bad_sig_child = child;
	return r;
}

static int
push(tb_path *p, X509 *x)
{
	if (p->n >= TB_PATH_MAX || !X509_up_ref(x))
		return -1;
	p->certs[p->n++] = x;
	return 0;
}

static void
pop(tb_path *p)
{
	X509_free(p->certs[--p->n]);
}

/*
 * Depth-first search from the path's last certificate to an anchor,
 * bounded: every candidate and signature is taken from the budget (the
 * search stops with nothing when it is spent), a certificate like one in
 * the path (same subject and key) is a loop, and a certificate found to be
 * a dead end is not explored again, nor any like it (same_upward), with as
 * few or fewer steps left. So the work grows with the number of distinct
 * issuers, not with the orders they can be put in. *own_sig_failed is set
 * when an issuer candidate rejected the last certificate's own signature:
 * then its failure says nothing about a copy with another signature.
 */
static int
extend(builder *b, int *own_sig_failed)
{
	tb_path *p = b->p;
	X509 *cur = p->certs[p->n - 1], *cand;
	tb_sigalg_info info;
	STACK_OF(X509) *pools[2] = { b->extra, b->trust->untrusted };
	int i, k, sig_failed;

	*own_sig_failed = 0;
	for (i = 0; i < sk_X509_num(b->trust->anchors); i++) {
		cand = sk_X509_value(b->trust->anchors, i);
		/* The certificate itself is an anchor (an intermediate configured as one). */
		if (X509_cmp(cand, cur) == 0 && p->n > 1) {
			p->complete = 1;
			return 1;
		}
		if (!may_issue(cur, cand) || p->n >= b->max_depth)
			continue;
		if (tb_verify_budget_take(b->budget, TB_BUDGET_CANDIDATES, 1) != 0)
			return 0;
		memset(&info, 0, sizeof(info));
		if (link_ok(b, cur, cand, &info) != 0) {
			*own_sig_failed = 1;
			continue;
		}
		if (push(p, cand) != 0)
			return 0;
		p->link[p->n - 2] = info;
		p->complete = 1;
		return 1;
	}
	if (p->n >= b->max_depth)
		return 0;
	for (k = 0; k < 2; k++) {
		for (i = 0; pools[k] != NULL && i < sk_X509_num(pools[k]); i++) {
			cand = sk_X509_value(pools[k], i);
			if (!may_issue(cur, cand) || in_path(p, cand))
				continue;
			if (tb_verify_budget_take(b->budget, TB_BUDGET_CANDIDATES, 1) != 0)
				return 0;
			if (memo_dead(b, cand, b->max_depth - p->n - 1))
				continue;
			memset(&info, 0, sizeof(info));
			if (link_ok(b, cur, cand, &info) != 0) {
				if (b->budget->spent != TB_BUDGET_NONE)
					return 0;
				*own_sig_failed = 1;
				continue;
			}
			if (push(p, cand) != 0)
				return 0;
			p->link[p->n - 2] = info;
			if (extend(b, &sig_failed))
				return 1;
			pop(p);
			if (b->budget->spent != TB_BUDGET_NONE)
				return 0;
			if (!sig_failed)
				memo_add(b, cand, b->max_depth - p->n - 1);
		}
	}
	return 0;
}

static int
is_anchor(const tb_trust *t, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(t->anchors); i++)
		if (X509_cmp(sk_X509_value(t->anchors, i), x) == 0)
			return 1;
	return 0;
}

static int
self_issued(X509 *x)
{
	return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* The extensions this file processes; any other critical one ends the path. */
static int
ext_understood(int nid)
{
	switch (nid) {
	case NID_basic_constraints:
	case NID_key_usage:
	case NID_ext_key_usage:
	case NID_certificate_policies:
	case NID_policy_mappings:	/* x509_policy.c */
	case NID_policy_constraints:
	case NID_inhibit_any_policy:
	case NID_subject_alt_name:
	case NID_issuer_alt_name:
	case NID_name_constraints:
	case NID_subject_key_identifier:
	case NID_authority_key_identifier:
	case NID_crl_distribution_points:
	case NID_freshest_crl:
	case NID_info_access:
		return 1;
	default:
		return 0;
	}
}

typedef struct checker {
	const tb_path_policy *pol;
	tb_reasons *rs;
	int signer;
	int failed;		/* a reason could not be recorded */
	tb_verify_budget *budget;
} checker;

static void
reason(checker *c, enum tb_verdict v, const char *id, X509 *x, const char *detail,
    const char *pname, const char *pvalue)
{
	char subj[256] = "";

	if (x != NULL)
		tb_x509_name_text(X509_get_subject_name(x), subj, sizeof(subj));
	if (tb_reasons_add(c->rs, v, id, c->signer, detail, "subject", subj,
	    pname, pvalue, NULL) != 0)
		c->failed = 1;
}

/* RFC 5280 6.1.3 (a)(2): valid from notBefore to notAfter, both seconds included. */
static void
check_validity(checker *c, X509 *x, int is_leaf, time_t at)
{
	time_t nb, na;
	char when[40], detail[256], subj[200];

	if (tb_asn1_time_get(X509_get0_notBefore(x), &nb) != 0 ||
	    tb_asn1_time_get(X509_get0_notAfter(x), &na) != 0) {
		reason(c, TB_V_MALFORMED, "MALFORMED.cert", x, "unreadable validity dates",
		    NULL, NULL);
		return;
	}
	/* The subject is printed only for a reason: printing costs more than the check. */
	if (at > na) {
		tb_x509_name_text(X509_get_subject_name(x), subj, sizeof(subj));
		tb_time_human(na, when, sizeof(when));
		if (snprintf(detail, sizeof(detail), "%s expired at %s", subj, when) < 0)
			detail[0] = '\0';
		reason(c, TB_V_CERT_EXPIRED, is_leaf ? "CERT_EXPIRED" : "CERT_EXPIRED.ca", x,
		    detail, "date", when);
	}
	if (at < nb) {
		tb_x509_name_text(X509_get_subject_name(x), subj, sizeof(subj));
		tb_time_human(nb, when, sizeof(when));
		if (snprintf(detail, sizeof(detail), "%s not valid before %s", subj, when) < 0)
			detail[0] = '\0';
		reason(c, TB_V_CERT_NOT_YET_VALID,
		    is_leaf ? "CERT_NOT_YET_VALID" : "CERT_NOT_YET_VALID.ca", x, detail,
		    "date", when);
	}
}

/* RFC 5280 4.2: an anchor, too, with a critical extension nothing here processes is refused. */
static void
check_critical_exts(checker *c, X509 *x)
{
	char detail[256], oid[80];
	int i, nid;
	X509_EXTENSION *ext;

	for (i = 0; i < X509_get_ext_count(x); i++) {
		ext = X509_get_ext(x, i);
		nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		if (!X509_EXTENSION_get_critical(ext) || ext_understood(nid))
			continue;
		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);
		snprintf(detail, sizeof(detail), "unprocessed critical extension %s", oid);
		reason(c, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.critical", x, detail, NULL, NULL);
	}
}

/* The strict profile (x509_profile.c), each broken rule a reason of its own. */
static void
check_profile(checker *c, X509 *x, enum tb_profile_role role)
{
	tb_profile_finding f[TB_PROFILE_MAX_FINDINGS];
	int i, n = tb_profile_check(x, role, f, TB_PROFILE_MAX_FINDINGS);

	for (i = 0; i < n; i++)
		reason(c, f[i].verdict, f[i].msg_id, x, f[i].detail, NULL, NULL);
}

/* Structure every non-anchor certificate must have. */
static void
check_structure(checker *c, X509 *x)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);

	/* RFC 5280 4.1.2.2: a positive serial of at most 20 octets. OpenSSL accepts more. */
	if (sn == NULL || ASN1_STRING_length(sn) > 20 || sn->type == V_ASN1_NEG_INTEGER ||
	    ASN1_INTEGER_get(sn) == 0)
		reason(c, TB_V_MALFORMED, "MALFORMED.cert", x,
		    "serial number not positive or over 20 octets (RFC 5280 4.1.2.2)", NULL, NULL);
	/* RFC 5280 4.1.2.1: extensions only in version 3. */
	if (X509_get_ext_count(x) > 0 && X509_get_version(x) != X509_VERSION_3)
		reason(c, TB_V_MALFORMED, "MALFORMED.cert", x,
		    "extensions in a certificate that is not version 3", NULL, NULL);
	if (X509_get_extension_flags(x) & EXFLAG_INVALID)
		reason(c, TB_V_MALFORMED, "MALFORMED.cert", x,
		    "an extension cannot be decoded or repeats", NULL, NULL);
	/* RFC 5280 4.2: a critical extension that is not processed rejects the certificate. */
	check_critical_exts(c, x);
}

/* RFC 5280 6.1.4 (k), (n): a CA below the anchor is a v3 cA with keyCertSign. */
static void
check_ca(checker *c, X509 *x, int is_anchor_cert)
{
	uint32_t flags = X509_get_extension_flags(x);

	if (!is_anchor_cert && (X509_get_version(x) != X509_VERSION_3 ||
	    !(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA)))
		reason(c, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.constraint", x,
		    "issuer is not a CA (basicConstraints cA absent)", NULL, NULL);
	if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		reason(c, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.constraint", x,
		    "issuer's keyUsage lacks keyCertSign", NULL, NULL);
}

/*
 * RFC 5280 6.1.4 (l), (m). The anchor's own pathLenConstraint is applied
 * too (stricter than RFC 5280, which leaves anchors unconstrained): an
 * operator who configures an issuing CA as anchor keeps its limit.
 */
static void
check_path_len(checker *c, const tb_path *p)
{
	int i, max = p->n - 1;
	long pl;

	for (i = p->n - 1; i >= 1; i--) {
		X509 *x = p->certs[i];

		if (i < p->n - 1 && !self_issued(x)) {
			if (max <= 0) {
				reason(c, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.constraint", x,
				    "pathLenConstraint exceeded", NULL, NULL);
				return;
			}
			max--;
		}
		pl = X509_get_pathlen(x);
		if (pl >= 0 && pl < max)
			max = (int)pl;
	}
}

/* Names of x a constraint is compared with: its subject's attributes and SANs. */
static unsigned
name_count(X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	unsigned n = (unsigned)X509_NAME_entry_count(X509_get_subject_name(x)) + 1;

	if (gens != NULL)
		n += (unsigned)sk_GENERAL_NAME_num(gens);
	GENERAL_NAMES_free(gens);
	return n;
}

/* RFC 5280 6.1.3 (b), (c): names below a CA stay inside its constraints. */
static void
check_name_constraints(checker *c, const tb_path *p)
{
	NAME_CONSTRAINTS *nc;
	int i, j, crit, rc;
	unsigned trees;
	char detail[128];

	for (j = p->n - 1; j >= 1; j--) {
		if ((nc = X509_get_ext_d2i(p->certs[j], NID_name_constraints, &crit, NULL)) == NULL)
			continue;
		/* sk_num of an absent (NULL) list is -1. */
		trees = (unsigned)(nc->permittedSubtrees != NULL ?
		    sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) : 0) +
		    (unsigned)(nc->excludedSubtrees != NULL ?
		    sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) : 0);
		for (i = j - 1; i >= 0; i--) {
			if (i > 0 && self_issued(p->certs[i]))
				continue;
			/* Each subtree is compared with each name: the budget pays for all. */
			if (tb_verify_budget_take(c->budget, TB_BUDGET_NC_CHECKS,
			    trees * name_count(p->certs[i])) != 0) {
				NAME_CONSTRAINTS_free(nc);
				return;
			}
			if ((rc = NAME_CONSTRAINTS_check(p->certs[i], nc)) != X509_V_OK) {
				snprintf(detail, sizeof(detail), "name constraints: %s",
				    X509_verify_cert_error_string(rc));
				reason(c, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.constraint",
				    p->certs[i], detail, NULL, NULL);
			}
		}
		NAME_CONSTRAINTS_free(nc);
	}
}

/* The crypto floor: key sizes and hashes tanba refuses whatever OpenSSL allows. */
static void
check_key_floor(checker *c, X509 *x)
{
	EVP_PKEY *k;
	int bits, floor = 0;
	char alg[64];

	if ((k = X509_get0_pubkey(x)) == NULL) {
		ERR_clear_error();
		return;		/* GOST keys: OpenSSL cannot read them; the GOST module judges */
	}
	bits = EVP_PKEY_get_bits(k);
	if (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS"))
		floor = c->pol->min_rsa_bits > 0 ? c->pol->min_rsa_bits : 2048;
	else if (EVP_PKEY_is_a(k, "EC"))
		floor = c->pol->min_ec_bits > 0 ? c->pol->min_ec_bits : 256;
	else if (EVP_PKEY_is_a(k, "DSA"))
		floor = 1 << 30;	/* DSA is not in the NCA profile */
	if (bits < floor) {
		snprintf(alg, sizeof(alg), "%s-%d", EVP_PKEY_get0_type_name(k), bits);
		reason(c, TB_V_UNSUPPORTED_ALGORITHM, "UNSUPPORTED_ALGORITHM.weak_key", x,
		    "key below the crypto floor", "alg", alg);
	}
}

static void
check_link_floor(checker *c, X509 *child, const tb_sigalg_info *info)
{
	/* No MD5 or SHA-1 on certificates, whatever the CMS switch says. */
	if (info->weak_md)
		reason(c, TB_V_UNSUPPORTED_ALGORITHM, "UNSUPPORTED_ALGORITHM.cert", child,
		    "certificate signed with MD5 or SHA-1", "alg", info->name);
}

static void
check_leaf_usage(checker *c, X509 *x)
{
	uint32_t flags = X509_get_extension_flags(x), ku = X509_get_key_usage(x);

	if (!c->pol->check_signing_usage && !c->pol->require_non_repudiation)
		return;
	/* NCA signing certificates always carry keyUsage: no extension is no permission. */
	if (!(flags & EXFLAG_KUSAGE)) {
		reason(c, TB_V_KEY_USAGE_INVALID, NULL, x, "no keyUsage extension", NULL, NULL);
		return;
	}
	if (!(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		reason(c, TB_V_KEY_USAGE_INVALID, NULL, x,
		    "keyUsage has neither digitalSignature nor nonRepudiation", NULL, NULL);
	else if (c->pol->require_non_repudiation && !(ku & KU_NON_REPUDIATION))
		reason(c, TB_V_KEY_USAGE_INVALID, "KEY_USAGE_INVALID.non_repudiation", x,
		    "policy requires nonRepudiation", NULL, NULL);
}

static const char *
crl_reason_id(int code)
{
	static const char *const ids[] = {
		"@reason.unspecified", "@reason.keyCompromise", "@reason.cACompromise",
		"@reason.affiliationChanged", "@reason.superseded",
		"@reason.cessationOfOperation", "@reason.certificateHold", NULL,
		"@reason.removeFromCRL", "@reason.privilegeWithdrawn", "@reason.aACompromise",
	};

	if (code < 0 || code >= (int)(sizeof(ids) / sizeof(ids[0])) || ids[code] == NULL)
		return "@reason.unspecified";
	return ids[code];
}

/* The search or a check was stopped by the budget: a refusal of its own kind. */
static void
cut_off(checker *c, X509 *x)
{
	char detail[200];

	snprintf(detail, sizeof(detail),
	    "path validation cut off: budget of %s spent ([verify] %s)",
	    tb_verify_budget_what(c->budget->spent), tb_verify_budget_setting(c->budget->spent));
	reason(c, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.cut_off", x, detail, "limit",
	    tb_verify_budget_what(c->budget->spent));
}

static int
check_revocation(checker *c, const tb_rev_checker *rev, tb_path *p, time_t at)
{
	int i, rc;
	tb_error e;
	tb_rev_result *res;
	char when[40], detail[256], subj[256];

	for (i = 0; i + 1 < p->n; i++) {
		res = &p->rev[i];
		tb_error_clear(&e);
		memset(res, 0, sizeof(*res));
		res->reason = -1;
		rc = rev->check(rev->ctx, p->certs[i], p->certs[i + 1], at, res, &e);
		if (rc != 0) {
			/* A checker that fails says nothing: fail closed. */
			tb_rev_result_clear(res);
			memset(res, 0, sizeof(*res));
			res->status = TB_REV_UNKNOWN;
			res->reason = -1;
			copy_text(res->detail, sizeof(res->detail),
			    e.detail[0] ? e.detail : tb_err_str(rc));
		}
		switch (res->status) {
		case TB_REV_GOOD:
		case TB_REV_SKIPPED:
		case TB_REV_NOT_CHECKED:
			break;
		case TB_REV_REVOKED:
			if (res->revoked_later)
				break;
			tb_time_human(res->revoked_at, when, sizeof(when));
			snprintf(detail, sizeof(detail), "revoked at %s (%s), reason %d", when,
			    res->source, res->reason);
			tb_x509_name_text(X509_get_subject_name(p->certs[i]), subj, sizeof(subj));
			if (tb_reasons_add(c->rs, TB_V_CERT_REVOKED,
			    i == 0 ? "CERT_REVOKED" : "CERT_REVOKED.ca", c->signer, detail,
			    "date", when, "reason", crl_reason_id(res->reason),
			    "subject", subj, NULL) != 0)
				return TB_ERR_NOMEM;
			break;
		default:
			snprintf(detail, sizeof(detail), "revocation unknown: %s", res->detail);
			if (tb_reasons_add(c->rs, TB_V_REVOCATION_UNKNOWN, NULL, c->signer,
			    detail, NULL) != 0)
				return TB_ERR_NOMEM;
			break;
		}
	}
	p->rev_checked = 1;
	return 0;
}

int
tb_path_validate(const tb_trust *trust, const tb_path_policy *pol,
    const tb_rev_checker *rev, X509 *leaf, STACK_OF(X509) *extra, time_t at, int signer,
    tb_reasons *reasons, tb_path **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL, i, anchor_leaf, sig_failed;
	builder b;
	checker c;
	tb_path *p = NULL;
	tb_verify_budget own;
	char detail[300], iss[256];

	memset(&b, 0, sizeof(b));
	c.pol = pol;
	c.rs = reasons;
	c.signer = signer;
	c.failed = 0;
	if ((c.budget = pol->budget) == NULL) {
		tb_verify_budget_start(&own, NULL);
		c.budget = &own;
	}
	b.budget = c.budget;
	if ((p = calloc(1, sizeof(*p))) == NULL || push(p, leaf) != 0) {
		r = tb_error_set(err, TB_ERR_NOMEM, "path");
		goto out;
	}
	for (i = 0; i < TB_PATH_MAX; i++)
		p->rev[i].reason = -1;
	b.trust = trust;
	b.extra = extra;
	b.max_depth = pol->max_depth > 0 && pol->max_depth <= TB_PATH_MAX ? pol->max_depth : 8;
	b.p = p;
	anchor_leaf = is_anchor(trust, leaf);
	if (anchor_leaf)
		p->complete = 1;	/* the certificate itself is trusted */
	else
		extend(&b, &sig_failed);

	/* Checks on every certificate found, even on a path that ends nowhere. */
	for (i = 0; i < p->n; i++) {
		int anchor = p->complete && i == p->n - 1 && !(anchor_leaf && i == 0);

		check_validity(&c, p->certs[i], i == 0, at);
		if (!anchor || i == 0)
			check_structure(&c, p->certs[i]);
		else
			check_critical_exts(&c, p->certs[i]);
		/* The key floor holds for anchors too. */
		check_key_floor(&c, p->certs[i]);
		check_profile(&c, p->certs[i], anchor || (anchor_leaf && i == 0) ?
		    TB_PROFILE_ANCHOR : i == 0 ? TB_PROFILE_LEAF : TB_PROFILE_CA);
		if (i > 0)
			check_ca(&c, p->certs[i], anchor);
		if (i + 1 < p->n)
			check_link_floor(&c, p->certs[i], &p->link[i]);
	}
	check_leaf_usage(&c, leaf);
	if (!p->complete) {
		X509 *last = p->certs[p->n - 1];

		if (c.budget->spent != TB_BUDGET_NONE) {
			cut_off(&c, last);
		} else if (b.unsupported_child != NULL) {
			reason(&c, TB_V_UNSUPPORTED_ALGORITHM, "UNSUPPORTED_ALGORITHM.cert",
			    b.unsupported_child, b.unsupported_alg, "alg", b.unsupported_alg);
		} else if (b.bad_sig_child != NULL) {
			reason(&c, TB_V_SIGNATURE_INVALID, "SIGNATURE_INVALID.cert",
			    b.bad_sig_child, "certificate signature does not verify with its issuer's key",
			    NULL, NULL);
		} else {
			tb_x509_name_text(X509_get_issuer_name(last), iss, sizeof(iss));
			snprintf(detail, sizeof(detail), "no trusted issuer found for \"%s\"", iss);
			reason(&c, TB_V_CHAIN_UNTRUSTED, NULL, last, detail, NULL, NULL);
		}
	} else {
		check_path_len(&c, p);
		check_name_constraints(&c, p);
		if ((r = tb_policy_check_reasons(pol->policy, p->certs, p->n, signer, reasons,
		    &p->policy, err)) != 0)
			goto out;
		if (rev != NULL && rev->check != NULL && c.budget->spent == TB_BUDGET_NONE &&
		    (r = check_revocation(&c, rev, p, at)) != 0) {
			tb_error_set(err, r, "recording revocation");
			goto out;
		}
		/* A path found, but a check after it ran out of budget. (The deadline
		 * reached during revocation leaves that REVOCATION_UNKNOWN, as any
		 * fetch that timed out.) */
		if (c.budget->spent != TB_BUDGET_NONE)
			cut_off(&c, p->certs[0]);
	}
	if (c.failed) {
		r = tb_error_set(err, TB_ERR_NOMEM, "recording reasons");
		goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	tb_path_free(p);
	return r;
}
