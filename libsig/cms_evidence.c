/*
 * SignedData.crls as validation data (see cms_evidence.h). OpenSSL 3.0
 * offers no way to add or read an "other" RevocationInfoChoice, so the
 * SignedData is walked with the bounds-checked DER reader and rebuilt
 * around a longer crls field; every other byte is copied unchanged.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>	/* before cms.h: it declares PEM_read_bio_CMS */
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cms_evidence.h"
#include "der_reader.h"
#include "der_writer.h"
#include "rev_offline.h"

#define TAG_CTX0 TB_DER_CTX_CONS(0)
#define TAG_CTX1 TB_DER_CTX_CONS(1)

/* id-ri-ocsp-response, 1.3.6.1.5.5.7.16.2, as an OID TLV. */
static const unsigned char oid_ri_ocsp[] = {
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x10, 0x02
};

/* The parts of a ContentInfo of SignedData, as ranges of its DER. */
typedef struct sd_parts {
	tb_der ct_oid;		/* ContentInfo contentType (whole TLV) */
	tb_der version;		/* (whole TLV) */
	tb_der head;		/* digestAlgorithms .. certificates (whole TLVs, contiguous) */
	tb_der crls;		/* crls content; len 0 when absent */
	tb_der signer_infos;	/* (whole TLV) */
} sd_parts;

static int
sd_split(const unsigned char *der, size_t len, sd_parts *p)
{
	tb_der d, ci, exp, sd, t, w;
	int present;

	memset(p, 0, sizeof(*p));
	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &ci, NULL) != 0 || !tb_der_empty(&d) ||
	    tb_der_expect(&ci, TB_DER_OID, NULL, &p->ct_oid) != 0 ||
	    tb_der_expect(&ci, TAG_CTX0, &exp, NULL) != 0 || !tb_der_empty(&ci) ||
	    tb_der_expect(&exp, TB_DER_SEQUENCE, &sd, NULL) != 0 || !tb_der_empty(&exp) ||
	    tb_der_expect(&sd, TB_DER_INTEGER, NULL, &p->version) != 0)
		return TB_ERR_MALFORMED;
	/* digestAlgorithms, encapContentInfo, [0] certificates (optional). */
	p->head.p = sd.p;
	if (tb_der_expect(&sd, TB_DER_SET, NULL, NULL) != 0 ||
	    tb_der_expect(&sd, TB_DER_SEQUENCE, NULL, NULL) != 0 ||
	    tb_der_optional(&sd, TAG_CTX0, NULL, NULL, &present) != 0)
		return TB_ERR_MALFORMED;
	p->head.len = (size_t)(sd.p - p->head.p);
	if (tb_der_optional(&sd, TAG_CTX1, &t, &w, &present) != 0)
		return TB_ERR_MALFORMED;
	if (present)
		p->crls = t;
	if (tb_der_expect(&sd, TB_DER_SET, NULL, &p->signer_infos) != 0 || !tb_der_empty(&sd))
		return TB_ERR_MALFORMED;
	return 0;
}

/* The CRLs and id-ri-ocsp-response entries of a crls content into ev. */
static int
crls_read(const tb_der *crls, tb_cms_evidence *ev)
{
	tb_der d = *crls, t, w, other, oid;
	unsigned char tag;

	while (!tb_der_empty(&d)) {
		if (tb_der_next(&d, &tag, &t, &w) != 0)
			return TB_ERR_MALFORMED;
		if (tag == TB_DER_SEQUENCE && ev->n_crls < TB_EVIDENCE_MAX) {
			ev->crl[ev->n_crls] = w.p;
			ev->crl_len[ev->n_crls++] = w.len;
		} else if (tag == TAG_CTX1 && ev->n_ocsp < TB_EVIDENCE_MAX) {
			/* [1] IMPLICIT OtherRevocationInfoFormat { format OID, info ANY } */
			other = t;
			if (tb_der_expect(&other, TB_DER_OID, NULL, &oid) != 0)
				return TB_ERR_MALFORMED;
			if (oid.len != sizeof(oid_ri_ocsp) ||
			    memcmp(oid.p, oid_ri_ocsp, sizeof(oid_ri_ocsp)) != 0)
				continue;
			if (tb_der_expect(&other, TB_DER_SEQUENCE, NULL, &w) != 0 ||
			    !tb_der_empty(&other))
				return TB_ERR_MALFORMED;
			ev->ocsp[ev->n_ocsp] = w.p;
			ev->ocsp_len[ev->n_ocsp++] = w.len;
		}
	}
	return 0;
}

/* A CMS in DER, BER or PEM, as the DER OpenSSL writes of it (OPENSSL_malloc'd). */
static int
to_der(const unsigned char *in, size_t len, unsigned char **der, size_t *der_len)
{
	BIO *b = len <= INT_MAX ? BIO_new_mem_buf(in, (int)len) : NULL;
	CMS_ContentInfo *ci = NULL;
	int n = 0;

	if (b == NULL)
		return TB_ERR_MALFORMED;
	if (len > 11 && memcmp(in, "-----BEGIN ", 11) == 0)
		ci = PEM_read_bio_CMS(b, NULL, NULL, NULL);
	else
		ci = d2i_CMS_bio(b, NULL);
	if (ci != NULL)
		n = i2d_CMS_ContentInfo(ci, der);
	CMS_ContentInfo_free(ci);
	BIO_free(b);
	ERR_clear_error();
	if (n <= 0)
		return TB_ERR_MALFORMED;
	*der_len = (size_t)n;
	return 0;
}

int
tb_cms_evidence_read(const unsigned char *in, size_t len, tb_cms_evidence *ev,
    tb_error *err)
{
	sd_parts p;

	memset(ev, 0, sizeof(*ev));
	if (to_der(in, len, &ev->owned, &ev->owned_len) != 0 ||
	    sd_split(ev->owned, ev->owned_len, &p) != 0 || crls_read(&p.crls, ev) != 0) {
		tb_cms_evidence_clear(ev);
		return tb_error_set(err, TB_ERR_MALFORMED,
		    "embedded validation data: not a readable CMS SignedData");
	}
	return 0;
}

void
tb_cms_evidence_clear(tb_cms_evidence *ev)
{
	OPENSSL_free(ev->owned);
	memset(ev, 0, sizeof(*ev));
}

/* A growing DER buffer; a failed append leaves ok 0 and the rest no-ops. */
typedef struct dbuf {
	unsigned char *p;
	size_t len, cap;
	int ok;
} dbuf;

static void
put(dbuf *b, const void *data, size_t n)
{
	unsigned char *q;
	size_t cap;

	/* nothing to add: the buffer (and data) may still be NULL */
	if (!b->ok || n == 0)
		return;
	if (b->len + n > b->cap) {
		cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n + 256;
		if ((q = OPENSSL_realloc(b->p, cap)) == NULL) {
			b->ok = 0;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
put_hdr(dbuf *b, unsigned char tag, size_t n)
{
	unsigned char h[TB_DER_HDR_MAX];

	put(b, h, (size_t)(tb_der_hdr_put(h, tag, n) - h));
}

/* 1 when the TLV x is already among the entries of crls. */
static int
already_there(const tb_der *crls, const unsigned char *x, size_t n, int other)
{
	tb_der d = *crls, t, w, o, oid, v;
	unsigned char tag;

	while (!tb_der_empty(&d) && tb_der_next(&d, &tag, &t, &w) == 0) {
		if (!other && tag == TB_DER_SEQUENCE && w.len == n && memcmp(w.p, x, n) == 0)
			return 1;
		o = t;
		if (other && tag == TAG_CTX1 && tb_der_expect(&o, TB_DER_OID, NULL, &oid) == 0 &&
		    tb_der_next(&o, NULL, NULL, &v) == 0 && v.len == n && memcmp(v.p, x, n) == 0)
			return 1;
	}
	return 0;
}

int
tb_cms_evidence_add(const unsigned char *cms, size_t len, const tb_cms_evidence *add,
    unsigned char **out, size_t *out_len, tb_error *err)
{
	static const unsigned char v5[] = { 0x02, 0x01, 0x05 };
	dbuf crls = { NULL, 0, 0, 1 }, sd = { NULL, 0, 0, 1 }, ci = { NULL, 0, 0, 1 };
	dbuf body = { NULL, 0, 0, 1 }, inner = { NULL, 0, 0, 1 };
	sd_parts p;
	tb_der probe;
	size_t i;
	int has_other = 0, r = TB_ERR_INTERNAL;

	if (sd_split(cms, len, &p) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "not a DER CMS SignedData");
		goto out;
	}
	put(&crls, p.crls.p, p.crls.len);
	for (i = 0; i < add->n_crls; i++) {
		tb_der_init(&probe, add->crl[i], add->crl_len[i]);
		if (tb_der_expect(&probe, TB_DER_SEQUENCE, NULL, NULL) != 0 ||
		    !tb_der_empty(&probe)) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "evidence: CRL %zu is not DER", i);
			goto out;
		}
		if (!already_there(&p.crls, add->crl[i], add->crl_len[i], 0))
			put(&crls, add->crl[i], add->crl_len[i]);
	}
	for (i = 0; i < add->n_ocsp; i++) {
		tb_der_init(&probe, add->ocsp[i], add->ocsp_len[i]);
		if (tb_der_expect(&probe, TB_DER_SEQUENCE, NULL, NULL) != 0 ||
		    !tb_der_empty(&probe)) {
			r = tb_error_set(err, TB_ERR_MALFORMED,
			    "evidence: OCSP response %zu is not DER", i);
			goto out;
		}
		if (already_there(&p.crls, add->ocsp[i], add->ocsp_len[i], 1))
			continue;
		put_hdr(&crls, TAG_CTX1, sizeof(oid_ri_ocsp) + add->ocsp_len[i]);
		put(&crls, oid_ri_ocsp, sizeof(oid_ri_ocsp));
		put(&crls, add->ocsp[i], add->ocsp_len[i]);
	}
	{
		tb_cms_evidence now;

		memset(&now, 0, sizeof(now));
		tb_der_init(&probe, crls.p, crls.len);
		has_other = crls.ok && crls_read(&probe, &now) == 0 && now.n_ocsp > 0;
	}
	/* RFC 5652 5.1: an "other" RevocationInfoChoice makes the SignedData version 5. */
	if (has_other)
		put(&sd, v5, sizeof(v5));
	else
		put(&sd, p.version.p, p.version.len);
	put(&sd, p.head.p, p.head.len);
	if (crls.len > 0) {
		put_hdr(&sd, TAG_CTX1, crls.len);
		put(&sd, crls.p, crls.len);
	}
	put(&sd, p.signer_infos.p, p.signer_infos.len);
	/* ContentInfo { contentType, [0] EXPLICIT SignedData }. */
	put_hdr(&body, TB_DER_SEQUENCE, sd.len);
	put(&body, sd.p, sd.len);
	put(&inner, p.ct_oid.p, p.ct_oid.len);
	put_hdr(&inner, TAG_CTX0, body.len);
	put(&inner, body.p, body.len);
	put_hdr(&ci, TB_DER_SEQUENCE, inner.len);
	put(&ci, inner.p, inner.len);
	if (!ci.ok || !inner.ok || !body.ok || !sd.ok || !crls.ok) {
		r = tb_error_set(err, TB_ERR_NOMEM, "evidence");
		goto out;
	}
	*out = ci.p;
	*out_len = ci.len;
	ci.p = NULL;
	r = 0;
out:
	OPENSSL_free(crls.p);
	OPENSSL_free(sd.p);
	OPENSSL_free(body.p);
	OPENSSL_free(inner.p);
	OPENSSL_free(ci.p);
	return r;
}

int
tb_rev_check_offline_each(tb_rev_offline *in, const unsigned char *const *ocsp,
    const size_t *ocsp_len, size_t n_ocsp, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err)
{
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	for (i = 0; i == 0 || i < n_ocsp; i++) {
		tb_rev_result_clear(out);
		memset(out, 0, sizeof(*out));
		in->ocsp_der = i < n_ocsp ? ocsp[i] : NULL;
		in->ocsp_len = i < n_ocsp ? ocsp_len[i] : 0;
		if ((r = tb_rev_check_offline(in, cert, issuer, at, out, err)) != 0)
			return r;
		if (out->status != TB_REV_UNKNOWN)
			break;
	}
	return 0;
}

/* The embedded data's answer for cert, when it has one. */
static int
embedded_check(const tb_cms_evidence *ev, X509 *cert, X509 *issuer, time_t at,
    tb_rev_result *out, tb_error *err)
{
	tb_rev_offline in;
	size_t i;

	memset(&in, 0, sizeof(in));
	in.clock_skew_s = 300;
	for (i = 0; i < ev->n_crls && in.n_crls < TB_REV_MAX_URLS; i++) {
		in.crl_der[in.n_crls] = ev->crl[i];
		in.crl_len[in.n_crls++] = ev->crl_len[i];
	}
	return tb_rev_check_offline_each(&in, ev->ocsp, ev->ocsp_len, ev->n_ocsp, cert, issuer,
	    at, out, err);
}

static int
evidence_check(void *vctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	tb_evidence_checker *c = vctx;
	tb_rev_result emb;
	char why[2 * sizeof(out->detail) + 32];
	int r;

	memset(out, 0, sizeof(*out));
	out->status = TB_REV_NOT_CHECKED;
	out->reason = -1;
	if (c->inner != NULL && (r = c->inner->check(c->inner->ctx, cert, issuer, at, out,
	    err)) != 0)
		return r;
	if (out->status == TB_REV_GOOD || out->status == TB_REV_REVOKED ||
	    (c->ev->n_crls == 0 && c->ev->n_ocsp == 0))
		return 0;
	memset(&emb, 0, sizeof(emb));
	if ((r = embedded_check(c->ev, cert, issuer, at, &emb, err)) != 0) {
		tb_rev_result_clear(&emb);
		return r;
	}
	if (emb.status != TB_REV_GOOD && emb.status != TB_REV_REVOKED) {
		/* Both said nothing: the network's reason, and the embedded data's. */
		snprintf(why, sizeof(why), "%s; embedded in the CMS: %s", out->detail, emb.detail);
		snprintf(out->detail, sizeof(out->detail), "%.*s", (int)sizeof(out->detail) - 1, why);
		tb_rev_result_clear(&emb);
		return 0;
	}
	tb_rev_result_clear(out);
	*out = emb;
	snprintf(out->detail, sizeof(out->detail), "embedded in the CMS");
	return 0;
}

void
tb_evidence_checker_init(tb_evidence_checker *c, const tb_rev_checker *inner,
    const tb_cms_evidence *ev)
{
	c->inner = inner;
	c->ev = ev;
	c->self.check = evidence_check;
	c->self.ctx = c;
}
