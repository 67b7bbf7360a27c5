/*
 * RFC 5280 6.3.3 (b) and (d): a CRL is evidence about a certificate only
 * within its scope. Names are compared as 6.3.3 (b)(2)(i) says, relative
 * names completed with their issuer's name (4.2.1.13, 5.2.5). Whatever
 * cannot be read is out of scope: this file never widens a scope to make
 * an answer possible.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crl_scope.h"

/* 1 when gens holds a directoryName equal to name. */
static int
dirname_in(GENERAL_NAMES *gens, const X509_NAME *name)
{
	int i;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DIRNAME && X509_NAME_cmp(g->d.directoryName, name) == 0)
			return 1;
	}
	return 0;
}

/* 1 when one name of a equals one name of b. */
static int
names_meet(GENERAL_NAMES *a, GENERAL_NAMES *b)
{
	int i, j;

	for (i = 0; i < sk_GENERAL_NAME_num(a); i++)
		for (j = 0; j < sk_GENERAL_NAME_num(b); j++)
			if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(a, i),
			    sk_GENERAL_NAME_value(b, j)) == 0)
				return 1;
	return 0;
}

/* A distribution point name (relative ones completed) against names. */
static int
dpn_meets_names(const DIST_POINT_NAME *a, GENERAL_NAMES *names)
{
	if (a->type == 0)
		return names_meet(a->name.fullname, names);
	return a->dpname != NULL && dirname_in(names, a->dpname);
}

static int
dpn_meets_dpn(const DIST_POINT_NAME *a, const DIST_POINT_NAME *b)
{
	if (b->type == 0)
		return dpn_meets_names(a, b->name.fullname);
	if (b->dpname == NULL)
		return 0;
	if (a->type == 0)
		return dirname_in(a->name.fullname, b->dpname);
	return a->dpname != NULL && X509_NAME_cmp(a->dpname, b->dpname) == 0;
}

static unsigned
dp_reasons(const ASN1_BIT_STRING *bits)
{
	unsigned m = 0;
	int n;

	for (n = 1; n <= 8; n++)
		if (ASN1_BIT_STRING_get_bit(bits, n))
			m |= 1u << n;
	return m;
}

void
tb_crl_reasons_text(unsigned mask, char *buf, size_t len)
{
	static const char *const names[9] = { NULL, "keyCompromise", "cACompromise",
	    "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold",
	    "privilegeWithdrawn", "aACompromise" };
	size_t used = 0;
	int n, w;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (n = 1; n <= 8; n++) {
		if (!(mask & (1u << n)))
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[n]);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
	if (used == 0)
		snprintf(buf, len, "none");
}

int
tb_crl_scope(const tb_crl *crl, X509 *cert, unsigned *reasons, tb_error *err)
{
	const tb_crl_index *ix = tb_crl_get_index(crl);
	const tb_crl_info *info = tb_crl_get_info(crl);
	const unsigned char *p;
	size_t len;
	X509_NAME *iname = NULL;
	const X509_NAME *cissuer = X509_get_issuer_name(cert);
	ISSUING_DIST_POINT *idp = NULL;
	STACK_OF(DIST_POINT) *dps = NULL;
	const char *why = "CRL does not cover the certificate";
	unsigned mask = 0;
	int i, crit = -1, is_ca, matched = 0, r = TB_ERR_REVOCATION_UNKNOWN;

	p = tb_crl_index_issuer(ix, &len);
	if ((iname = d2i_X509_NAME(NULL, &p, (long)len)) == NULL) {
		why = "CRL issuer name unreadable";
		goto out;
	}
	if ((p = tb_crl_index_idp(ix, &len)) != NULL &&
	    (idp = d2i_ISSUING_DIST_POINT(NULL, &p, (long)len)) == NULL) {
		why = "issuingDistributionPoint unreadable";
		goto out;
	}
	/* RFC 5280 5.2.5: a relative name is relative to the CRL issuer. */
	if (idp != NULL && idp->distpoint != NULL &&
	    !DIST_POINT_set_dpname(idp->distpoint, iname)) {
		why = "issuingDistributionPoint name unreadable";
		goto out;
	}
	/* RFC 5280 6.3.3 (b)(2)(ii)-(iv). */
	is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
	if (info->only_attr_certs) {
		why = "CRL covers attribute certificates only (onlyContainsAttributeCerts)";
		goto out;
	}
	if (info->only_user_certs && is_ca) {
		why = "CRL covers end-entity certificates only (onlyContainsUserCerts), "
		    "the certificate is a CA";
		goto out;
	}
	if (info->only_ca_certs && !is_ca) {
		why = "CRL covers CA certificates only (onlyContainsCACerts), "
		    "the certificate is not a CA";
		goto out;
	}
	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, &crit, NULL);
	if (dps == NULL && crit != -1) {
		why = "certificate's cRLDistributionPoints unreadable";
		goto out;
	}
	if (dps == NULL || sk_DIST_POINT_num(dps) == 0) {
		/* No distribution point: only the issuer's own CRL that names
		 * no distribution point can cover the certificate. */
		if (X509_NAME_cmp(iname, cissuer) != 0)
			why = "CRL issuer is not the certificate's issuer";
		else if (idp != NULL && idp->distpoint != NULL)
			why = "CRL is for a distribution point the certificate does not name";
		else {
			matched = 1;
			mask = info->only_some_reasons;
		}
	}
	for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		const X509_NAME *rel = cissuer;

		/* (b)(1): a cRLIssuer asks for its indirect CRL; otherwise the
		 * CRL must be the certificate issuer's. */
		if (dp->CRLissuer != NULL) {
			if (!info->indirect) {
				why = "certificate names a cRLIssuer, the CRL is not indirect";
				continue;
			}
			if (!dirname_in(dp->CRLissuer, iname)) {
				why = "CRL issuer is not the certificate's cRLIssuer";
				continue;
			}
			rel = iname;
		} else if (X509_NAME_cmp(iname, cissuer) != 0) {
			why = "CRL issuer is not the certificate's issuer";
			continue;
		}
		/* (b)(2)(i): names compared, relative ones completed. */
		if (idp != NULL && idp->distpoint != NULL) {
			if (dp->distpoint != NULL) {
				if (!DIST_POINT_set_dpname(dp->distpoint, (X509_NAME *)rel) ||
				    !dpn_meets_dpn(idp->distpoint, dp->distpoint)) {
					why = "CRL is for another distribution point";
					continue;
				}
			} else if (dp->CRLissuer == NULL ||
			    !dpn_meets_names(idp->distpoint, dp->CRLissuer)) {
				why = "CRL is for another distribution point";
				continue;
			}
		}
		/* (d): the reasons this CRL answers for through this point. */
		matched = 1;
		mask |= info->only_some_reasons &
		    (dp->reasons != NULL ? dp_reasons(dp->reasons) : TB_CRL_REASONS_ALL);
	}
	if (!matched)
		goto out;
	*reasons = mask;
	r = 0;
 out:
	if (r != 0)
		tb_error_set(err, r, "%s", why);
	ERR_clear_error();
	X509_NAME_free(iname);
	ISSUING_DIST_POINT_free(idp);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return r;
}

typedef struct whose {
	X509_NAME *crl_issuer;
	const X509_NAME *cert_issuer;
} whose;

static int
entry_is_ours(void *arg, const unsigned char *gn, size_t len)
{
	whose *w = arg;
	GENERAL_NAMES *gens;
	int yes;

	if (gn == NULL)
		return X509_NAME_cmp(w->crl_issuer, w->cert_issuer) == 0;
	/* Unreadable names cannot be ours; yet the entry may revoke us: the
	 * index refused malformed certificateIssuer values already. */
	if ((gens = d2i_GENERAL_NAMES(NULL, &gn, (long)len)) == NULL) {
		ERR_clear_error();
		return 1;
	}
	yes = dirname_in(gens, w->cert_issuer);
	GENERAL_NAMES_free(gens);
	return yes;
}

int
tb_crl_lookup_cert(const tb_crl *base, const tb_crl *delta, X509 *cert,
    time_t *revoked_at, int *reason, int *from_delta, tb_error *err)
{
	unsigned char serial[256];
	const unsigned char *p;
	size_t slen, len;
	whose w;
	int r;

	if ((r = tb_crl_cert_serial(cert, serial, sizeof(serial), &slen, err)) != 0)
		return r;
	p = tb_crl_index_issuer(tb_crl_get_index(base), &len);
	if ((w.crl_issuer = d2i_X509_NAME(NULL, &p, (long)len)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_MALFORMED, "CRL issuer name");
	w.cert_issuer = X509_get_issuer_name(cert);
	r = tb_crl_lookup_issuer(base, delta, serial, slen, entry_is_ours, &w, revoked_at,
	    reason, from_delta);
	X509_NAME_free(w.crl_issuer);
	return r;
}
