/*
 * CRL checks in the order RFC 5280 6.3.3 needs them: the CRL must be the
 * CA's (issuer name, key identifier, cRLSign), carry the CA's signature
 * (checked through tb_sigalg_verify, never X509_CRL_verify), and be
 * current. Only then is the index handed out. A failed CRL is freed here
 * and never reaches a caller or the disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "sigalg.h"
#include "tb_clock.h"
#include "tb_log.h"
#include "x509_path.h"

struct tb_crl {
	tb_crl_index *ix;
	char issuer_text[256];
};

int
tb_crl_load(const unsigned char *der, size_t len, X509 *ca, const tb_crl_policy *pol,
    tb_crl **out, tb_error *err)
{
	tb_crl *crl = NULL;
	tb_crl_index *ix = NULL;
	tb_crl_parts parts;
	const tb_crl_info *info;
	X509_NAME *iname = NULL;
	X509_ALGOR *alg = NULL;
	tb_sigalg_info sinfo;
	const ASN1_OCTET_STRING *skid;
	const unsigned char *p;
	char t1[32], t2[32];
	int r = TB_ERR_INTERNAL;

	if (len == 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "CRL is empty");
		goto out;
	}
	if ((r = tb_crl_index_build(der, len, pol->max_entries, &ix, &parts, err)) != 0)
		goto out;
	info = tb_crl_index_info(ix);
	p = parts.issuer.p;
	if ((iname = d2i_X509_NAME(NULL, &p, (long)parts.issuer.len)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "CRL issuer name");
		goto out;
	}
	/* RFC 5280 6.3.3 (b)(1): the CRL issuer is the certificate's issuer. */
	if (X509_NAME_cmp(iname, X509_get_subject_name(ca)) != 0) {
		char want[256], got[256];

		tb_x509_name_text(X509_get_subject_name(ca), want, sizeof(want));
		tb_x509_name_text(iname, got, sizeof(got));
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL issued by \"%s\", not by the CA \"%s\"", got, want);
		goto out;
	}
	skid = X509_get0_subject_key_id(ca);
	if (info->aki_len > 0 && skid != NULL &&
	    (info->aki_len != (size_t)ASN1_STRING_length(skid) ||
	    memcmp(info->aki, ASN1_STRING_get0_data(skid), info->aki_len) != 0)) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL authority key identifier is not the CA's key");
		goto out;
	}
	/* RFC 5280 6.3.3 (f): the CA must be allowed to sign CRLs. */
	if ((X509_get_extension_flags(ca) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(ca) & KU_CRL_SIGN)) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CA key usage does not allow signing CRLs");
		goto out;
	}
	p = parts.sig_alg.p;
	if ((alg = d2i_X509_ALGOR(NULL, &p, (long)parts.sig_alg.len)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "CRL signature algorithm");
		goto out;
	}
	if ((r = tb_sigalg_verify(NULL, alg, X509_get_X509_PUBKEY(ca), parts.tbs.p,
	    parts.tbs.len, parts.sig.p, parts.sig.len, &sinfo, err)) != 0) {
		if (r == TB_ERR_CRYPTO)
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "CRL signature does not verify with the CA's key");
		goto out;
	}
	/* The crypto floor holds for CRLs as for certificates. */
	if (sinfo.weak_md) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL signed with a weak hash (%s)", sinfo.name);
		goto out;
	}
	if (info->this_update > pol->now + pol->skew_s) {
		tb_clock_format(info->this_update, t1, sizeof(t1));
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL thisUpdate %s is in the future", t1);
		goto out;
	}
	/* Without nextUpdate nobody can tell whether the CRL is current. */
	if (info->next_update == 0) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "CRL has no nextUpdate");
		goto out;
	}
	if (info->next_update < pol->now && !pol->allow_expired) {
		tb_clock_format(info->next_update, t1, sizeof(t1));
		tb_clock_format(pol->now, t2, sizeof(t2));
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL expired: nextUpdate %s is before %s", t1, t2);
		goto out;
	}
	if (info->is_delta && info->version != 2) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "delta CRL is not version 2");
		goto out;
	}
	if ((crl = calloc(1, sizeof(*crl))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "CRL");
		goto out;
	}
	tb_x509_name_text(iname, crl->issuer_text, sizeof(crl->issuer_text));
	crl->ix = ix;
	ix = NULL;
	*out = crl;
	crl = NULL;
	r = 0;
 out:
	tb_crl_index_free(ix);
	free(crl);
	X509_NAME_free(iname);
	X509_ALGOR_free(alg);
	return r;
}

void
tb_crl_free(tb_crl *crl)
{
	if (crl == NULL)
		return;
	tb_crl_index_free(crl->ix);
	free(crl);
}

const tb_crl_info *
tb_crl_get_info(const tb_crl *crl)
{
	return tb_crl_index_info(crl->ix);
}

const tb_crl_index *
tb_crl_get_index(const tb_crl *crl)
{
	return crl->ix;
}

const char *
tb_crl_issuer_text(const tb_crl *crl)
{
	return crl->issuer_text;
}

size_t
tb_crl_mem(const tb_crl *crl)
{
	return sizeof(*crl) + tb_crl_index_mem(crl->ix);
}

int
tb_crl_fresh(const tb_crl *crl, time_t now, int skew_s, tb_error *err)
{
	const tb_crl_info *info = tb_crl_index_info(crl->ix);
	char t[32];

	if (info->this_update > now + skew_s) {
		tb_clock_format(info->this_update, t, sizeof(t));
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "%s thisUpdate %s is in the future", info->is_delta ? "delta CRL" : "CRL", t);
	}
	if (info->next_update < now) {
		tb_clock_format(info->next_update, t, sizeof(t));
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "%s expired at %s (nextUpdate)", info->is_delta ? "delta CRL" : "CRL", t);
	}
	return 0;
}

int
tb_crl_may_replace(const tb_crl *cur, const tb_crl *cand, tb_error *err)
{
	const tb_crl_info *a, *b;

	if (cur == NULL)
		return 0;
	a = tb_crl_index_info(cur->ix);
	b = tb_crl_index_info(cand->ix);
	if (a->is_delta != b->is_delta)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "a delta CRL cannot replace a complete CRL or the reverse");
	/* RFC 5280 5.2.3: cRLNumber increases; it orders CRLs better than
	 * thisUpdate, which is the fallback when a CRL has no number. */
	if (a->has_number && b->has_number) {
		if (tb_crl_number_cmp(b->number, b->number_len, a->number, a->number_len) < 0)
			return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "CRL number is lower than the one held: an old CRL");
		return 0;
	}
	if (b->this_update < a->this_update)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "CRL thisUpdate is older than the one held");
	return 0;
}

int
tb_crl_delta_applies(const tb_crl *base, const tb_crl *delta, tb_error *err)
{
	const tb_crl_info *b = tb_crl_index_info(base->ix), *d = tb_crl_index_info(delta->ix);
	const unsigned char *bn, *dn;
	size_t bl, dl;

	if (!d->is_delta || b->is_delta)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "not a base and a delta CRL");
	/* RFC 5280 5.2.4: same issuer and same scope. */
	bn = tb_crl_index_issuer(base->ix, &bl);
	dn = tb_crl_index_issuer(delta->ix, &dl);
	if (bl != dl || memcmp(bn, dn, bl) != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "delta CRL issuer differs from the base CRL issuer");
	bn = tb_crl_index_idp(base->ix, &bl);
	dn = tb_crl_index_idp(delta->ix, &dl);
	if (bl != dl || (bl > 0 && memcmp(bn, dn, bl) != 0))
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "delta CRL scope (issuingDistributionPoint) differs from the base CRL's");
	if (!b->has_number)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "base CRL has no cRLNumber, a delta cannot refer to it");
	/* The base must be at least as new as the delta's BaseCRLNumber. */
	if (tb_crl_number_cmp(b->number, b->number_len, d->base_number,
	    d->base_number_len) < 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "delta CRL needs a newer base CRL than the one held");
	/* A delta older than the base adds nothing the base lacks. */
	if (tb_crl_number_cmp(d->number, d->number_len, b->number, b->number_len) <= 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "delta CRL is older than the base CRL");
	return 0;
}

int
tb_crl_cert_serial(X509 *cert, unsigned char *buf, size_t buf_len, size_t *len,
    tb_error *err)
{
	unsigned char *der = NULL;
	tb_der d, c;
	int n, r = TB_ERR_INTERNAL;

	if ((n = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "certificate serial");
		goto out;
	}
	tb_der_init(&d, der, (size_t)n);
	if (tb_der_expect(&d, TB_DER_INTEGER, &c, NULL) != 0 || c.len == 0 ||
	    c.len > buf_len) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "certificate serial");
		goto out;
	}
	memcpy(buf, c.p, c.len);
	*len = c.len;
	r = 0;
 out:
	OPENSSL_free(der);
	return r;
}

int
tb_crl_lookup(const tb_crl *base, const tb_crl *delta, const unsigned char *serial,
    size_t serial_len, time_t *revoked_at, int *reason, int *from_delta)
{
	return tb_crl_lookup_issuer(base, delta, serial, serial_len, NULL, NULL, revoked_at,
	    reason, from_delta);
}

int
tb_crl_lookup_issuer(const tb_crl *base, const tb_crl *delta,
    const unsigned char *serial, size_t serial_len, tb_crl_entry_issuer_fn mine, void *arg,
    time_t *revoked_at, int *reason, int *from_delta)
{
	time_t t;
	int why;

	*from_delta = 0;
	/* RFC 5280 5.2.4: the delta's entries supersede the base's; a
	 * removeFromCRL entry takes the serial off (a released hold). */
	if (delta != NULL && tb_crl_index_lookup_issuer(delta->ix, serial, serial_len, mine,
	    arg, &t, &why)) {
		*from_delta = 1;
		if (why == TB_CRL_REASON_REMOVE)
			return 0;
		*revoked_at = t;
		*reason = why;
		return 1;
	}
	if (tb_crl_index_lookup_issuer(base->ix, serial, serial_len, mine, arg, &t, &why)) {
		*revoked_at = t;
		*reason = why;
		return 1;
	}
	return 0;
}
