/*
 * Full and delta CRLs of the test PKI (RFC 5280 5), written as DER by hand
 * so that a list of a million entries takes seconds and little memory.
 * Entries come only from the index and released.txt (and random serials
 * when asked); a CRL never claims anything the index does not say.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "testpki.h"

/* DER of an X509_EXTENSION appended to d. */
static int
put_ext(tp_der *d, X509_EXTENSION *ext, tb_error *err)
{
	unsigned char *der = NULL;
	int len;

	if (ext == NULL || (len = i2d_X509_EXTENSION(ext, &der)) <= 0) {
		X509_EXTENSION_free(ext);
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "CRL extension");
	}
	tp_der_put(d, der, (size_t)len);
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	return 0;
}

static X509_EXTENSION *
int_ext(int nid, int crit, unsigned long v)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();
	X509_EXTENSION *ext = NULL;

	if (ai != NULL && ASN1_INTEGER_set_uint64(ai, v) == 1)
		ext = X509V3_EXT_i2d(nid, crit, ai);
	ASN1_INTEGER_free(ai);
	return ext;
}

/* INTEGER from the index's upper-case hex serial. */
static int
put_serial_hex(tp_der *d, const char *hex, tb_error *err)
{
	unsigned char b[64];
	size_t n = 0, len = strlen(hex), i = 0, start;
	int hi, lo;

	if (len == 0 || len > 2 * (sizeof(b) - 1))
		return tb_error_set(err, TB_ERR_MALFORMED, "serial %s", hex);
	b[n++] = 0;	/* room for a sign octet */
	if (len % 2) {
		if ((lo = OPENSSL_hexchar2int((unsigned char)hex[0])) < 0)
			return tb_error_set(err, TB_ERR_MALFORMED, "serial %s", hex);
		b[n++] = (unsigned char)lo;
		i = 1;
	}
	for (; i < len; i += 2) {
		if ((hi = OPENSSL_hexchar2int((unsigned char)hex[i])) < 0 ||
		    (lo = OPENSSL_hexchar2int((unsigned char)hex[i + 1])) < 0)
			return tb_error_set(err, TB_ERR_MALFORMED, "serial %s", hex);
		b[n++] = (unsigned char)(hi << 4 | lo);
	}
	/* X.690 8.3.2: minimal octets; keep a zero only before a set top bit. */
	start = 0;
	while (start + 1 < n && b[start] == 0 && (b[start + 1] & 0x80) == 0)
		start++;
	tp_der_put_hdr(d, 0x02, n - start);
	tp_der_put(d, b + start, n - start);
	return 0;
}

/* Extension { id, critical TRUE when crit, OCTET STRING value } appended to d. */
static int
put_raw_ext(tp_der *d, const char *oid, int crit, const tp_der *value, tb_error *err)
{
	static const unsigned char true_[] = { 0x01, 0x01, 0xff };
	tp_der e;
	int r;

	tp_der_init(&e);
	if ((r = tp_der_put_oid(&e, oid, err)) == 0) {
		if (crit)
			tp_der_put(&e, true_, sizeof(true_));
		tp_der_put_hdr(&e, 0x04, value->len);
		tp_der_put(&e, value->p, value->len);
		tp_der_wrap(&e, 0x30);
		tp_der_put(d, e.p, e.len);
		r = e.oom ? tb_error_set(err, TB_ERR_NOMEM, "extension") : 0;
	}
	tp_der_release(&e);
	return r;
}

/* certificateIssuer (RFC 5280 5.3.3, critical): GeneralNames { directoryName }. */
static int
put_cert_issuer(tp_der *exts, X509 *issuer, tb_error *err)
{
	unsigned char *der = NULL;
	tp_der v;
	int len, r;

	if ((len = i2d_X509_NAME(X509_get_subject_name(issuer), &der)) <= 0)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "certificateIssuer");
	tp_der_init(&v);
	tp_der_put(&v, der, (size_t)len);
	tp_der_wrap(&v, 0xa4);	/* [4] Name: explicit, Name is a CHOICE */
	tp_der_wrap(&v, 0x30);
	r = put_raw_ext(exts, "2.5.29.29", 1, &v, err);
	OPENSSL_free(der);
	tp_der_release(&v);
	return r;
}

/*
 * One revokedCertificates entry: serial, date, reasonCode when given, and
 * a certificateIssuer when cert_issuer is not NULL (the first entry of
 * another CA in an indirect CRL).
 */
static int
put_entry(tp_der *list, const char *serial, time_t when, int reason, X509 *cert_issuer,
    tb_error *err)
{
	tp_der e, exts;
	ASN1_ENUMERATED *en = NULL;
	int r;

	tp_der_init(&e);
	tp_der_init(&exts);
	if ((r = put_serial_hex(&e, serial, err)) != 0 || (r = tp_der_put_time(&e, when, 0, err)) != 0)
		goto out;
	if (reason != TP_REASON_NONE) {
		if ((en = ASN1_ENUMERATED_new()) == NULL ||
		    ASN1_ENUMERATED_set(en, reason) != 1) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "reasonCode");
			goto out;
		}
		if ((r = put_ext(&exts, X509V3_EXT_i2d(NID_crl_reason, 0, en), err)) != 0)
			goto out;
	}
	if (cert_issuer != NULL && (r = put_cert_issuer(&exts, cert_issuer, err)) != 0)
		goto out;
	if (exts.len > 0) {
		tp_der_wrap(&exts, 0x30);
		tp_der_put(&e, exts.p, exts.len);
	}
	tp_der_wrap(&e, 0x30);
	tp_der_put(list, e.p, e.len);
	r = (e.oom || exts.oom) ? tb_error_set(err, TB_ERR_NOMEM, "CRL entry") : 0;
out:
	ASN1_ENUMERATED_free(en);
	tp_der_release(&e);
	tp_der_release(&exts);
	return r;
}

/*
 * n random serials revoked at one instant, each a fixed 35-octet entry
 * written straight into the list: no per-entry allocation.
 */
static int
put_random(tp_der *list, size_t n, time_t when, tb_error *err)
{
	unsigned char *rnd = NULL, ent[64], *tder = NULL;
	ASN1_TIME *at = NULL;
	size_t i, elen;
	int tlen, r = TB_ERR_CRYPTO;
	const size_t chunk = 65536;

	if ((at = ASN1_TIME_set(NULL, when)) == NULL ||
	    (tlen = i2d_ASN1_TIME(at, &tder)) <= 0 || tlen > 20) {
		tb_error_set_ossl(err, r, "time");
		goto out;
	}
	elen = 2 + 18 + (size_t)tlen;
	if ((rnd = malloc(chunk * 16)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "random serials");
		goto out;
	}
	ent[0] = 0x30;
	ent[1] = (unsigned char)(elen - 2);
	ent[2] = 0x02;
	ent[3] = 16;
	memcpy(ent + 20, tder, (size_t)tlen);
	for (i = 0; i < n; i++) {
		if (i % chunk == 0 && RAND_bytes(rnd, (int)(chunk * 16)) != 1) {
			tb_error_set_ossl(err, r, "RAND_bytes");
			goto out;
		}
		memcpy(ent + 4, rnd + (i % chunk) * 16, 16);
		/* Positive and exactly 16 octets, like the issued serials. */
		ent[4] = (unsigned char)((ent[4] & 0x7f) | 0x40);
		tp_der_put(list, ent, elen);
	}
	r = list->oom ? tb_error_set(err, TB_ERR_NOMEM, "CRL entries") : 0;
out:
	free(rnd);
	OPENSSL_free(tder);
	ASN1_TIME_free(at);
	return r;
}

static int
put_entries(tp_der *list, const tp_index *ix, const tp_crl_req *req, X509 *cert_issuer,
    tb_error *err)
{
	const tp_index_entry *e;
	size_t i;
	int r;

	for (i = 0; i < ix->n; i++) {
		e = &ix->e[i];
		if (e->status != 'R' || (req->delta && e->revoked < req->since))
			continue;
		if ((r = put_entry(list, e->serial, e->revoked, e->reason, cert_issuer, err)) != 0)
			return r;
		cert_issuer = NULL;	/* the following entries are the same issuer's */
	}
	if (!req->delta)
		return 0;
	/* RFC 5280 5.2.4: a released hold appears in the delta as removeFromCRL. */
	for (i = 0; i < ix->nrel; i++) {
		const tp_index_entry *cur;

		if (ix->rel[i].when < req->since)
			continue;
		cur = tp_index_find((tp_index *)ix, ix->rel[i].serial);
		if (cur != NULL && cur->status == 'R')
			continue;	/* revoked again since: listed above */
		if ((r = put_entry(list, ix->rel[i].serial, ix->rel[i].when,
		    TP_REASON_REMOVE_FROM_CRL, cert_issuer, err)) != 0)
			return r;
		cert_issuer = NULL;
	}
	return 0;
}

/* ReasonFlags BIT STRING content (X.690 8.6.2: trailing zero bits dropped). */
static void
put_reason_flags(tp_der *d, unsigned mask)
{
	unsigned char b[3] = { 0, 0, 0 };
	int n, top = -1;

	for (n = 0; n <= 8; n++)
		if (mask & (1u << n)) {
			b[1 + n / 8] |= (unsigned char)(0x80 >> (n % 8));
			top = n;
		}
	if (top < 0) {
		tp_der_put_hdr(d, 0x83, 1);
		tp_der_put(d, b, 1);
		return;
	}
	b[0] = (unsigned char)(7 - top % 8);
	tp_der_put_hdr(d, 0x83, (size_t)(top / 8 + 2));
	tp_der_put(d, b, (size_t)(top / 8 + 2));
}

/* [tag] BOOLEAN TRUE when on (DER leaves a FALSE default out). */
static void
put_true(tp_der *d, unsigned char tag, int on)
{
	static const unsigned char yes = 0xff;

	if (!on)
		return;
	tp_der_put_hdr(d, tag, 1);
	tp_der_put(d, &yes, 1);
}

/* RFC 5280 5.2.5 issuingDistributionPoint (critical), when the request asks for one. */
static int
put_idp(tp_der *d, const tp_crl_req *req, tb_error *err)
{
	tp_der v, dp;
	int r;

	if (req->idp_uri == NULL && !req->only_user && !req->only_ca && !req->only_attr &&
	    !req->indirect && req->only_reasons == 0)
		return 0;
	tp_der_init(&v);
	tp_der_init(&dp);
	if (req->idp_uri != NULL) {
		/* [0] DistributionPointName { [0] fullName { [6] URI } } */
		tp_der_put_hdr(&dp, 0x86, strlen(req->idp_uri));
		tp_der_put(&dp, req->idp_uri, strlen(req->idp_uri));
		tp_der_wrap(&dp, 0xa0);
		tp_der_wrap(&dp, 0xa0);
		tp_der_put(&v, dp.p, dp.len);
	}
	put_true(&v, 0x81, req->only_user);
	put_true(&v, 0x82, req->only_ca);
	if (req->only_reasons != 0)
		put_reason_flags(&v, req->only_reasons);
	put_true(&v, 0x84, req->indirect);
	put_true(&v, 0x85, req->only_attr);
	tp_der_wrap(&v, 0x30);
	r = v.oom || dp.oom ? tb_error_set(err, TB_ERR_NOMEM, "issuingDistributionPoint") :
	    put_raw_ext(d, "2.5.29.28", 1, &v, err);
	tp_der_release(&v);
	tp_der_release(&dp);
	return r;
}

static int
put_crl_exts(tp_der *d, const tp_issuer *issuer, const tp_crl_req *req, tb_error *err)
{
	X509V3_CTX ctx;
	char uri[600];
	int r;

	X509V3_set_ctx(&ctx, issuer->cert, NULL, NULL, NULL, 0);
	/* RFC 5280 5.2.1: conforming CAs include the AKI in every CRL. */
	if ((r = put_ext(d, X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	    "keyid:always"), err)) != 0 ||
	    (!req->no_number && (r = put_ext(d, int_ext(NID_crl_number, req->number_critical,
	    req->number), err)) != 0) ||
	    (r = put_idp(d, req, err)) != 0)
		return r;
	/* RFC 5280 5.2.4: deltaCRLIndicator is critical and names the base. */
	if (req->delta &&
	    (r = put_ext(d, int_ext(NID_delta_crl, 1, req->base_number), err)) != 0)
		return r;
	/* RFC 5280 5.2.6: a full CRL may point at its delta. */
	if (!req->delta && req->delta_url != NULL && *req->delta_url) {
		snprintf(uri, sizeof(uri), "URI:%s", req->delta_url);
		if ((r = put_ext(d, X509V3_EXT_conf_nid(NULL, &ctx, NID_freshest_crl, uri),
		    err)) != 0)
			return r;
	}
	tp_der_wrap(d, 0x30);
	tp_der_wrap(d, 0xa0);
	return 0;
}

static int
write_out(const char *path, const tp_der *crl, int pem, tb_error *err)
{
	FILE *f;
	int bad;

	if ((f = fopen(path, "wb")) == NULL)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	if (pem)
		bad = PEM_write(f, "X509 CRL", "", crl->p, (long)crl->len) <= 0;
	else
		bad = fwrite(crl->p, 1, crl->len, f) != crl->len;
	if (fclose(f) != 0 || bad)
		return tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
	return 0;
}

int
tp_crl_write(const tp_issuer *issuer, const tp_index *ix, const tp_crl_req *req,
    const char *out_path, tb_error *err)
{
	int r = TB_ERR_CRYPTO;
	tp_der tbs, list, exts, crl;
	X509_ALGOR *sigalg = NULL;
	unsigned char *der = NULL;
	static const unsigned char v2[] = { 0x02, 0x01, 0x01 };
	int len;

	tp_der_init(&tbs);
	tp_der_init(&list);
	tp_der_init(&exts);
	tp_der_init(&crl);
	tp_der_put(&tbs, v2, sizeof(v2));
	if ((sigalg = tp_alg_sigalg_new(issuer->alg)) == NULL ||
	    (len = i2d_X509_ALGOR(sigalg, &der)) <= 0) {
		tb_error_set_ossl(err, r, "signature algorithm");
		goto out;
	}
	tp_der_put(&tbs, der, (size_t)len);
	OPENSSL_free(der);
	der = NULL;
	if ((len = i2d_X509_NAME(X509_get_subject_name(issuer->cert), &der)) <= 0) {
		tb_error_set_ossl(err, r, "issuer name");
		goto out;
	}
	tp_der_put(&tbs, der, (size_t)len);
	if ((r = tp_der_put_time(&tbs, req->this_update, 0, err)) != 0 ||
	    (r = tp_der_put_time(&tbs, req->next_update, 0, err)) != 0)
		goto out;

	if ((r = put_entries(&list, ix, req, NULL, err)) != 0 ||
	    (req->other_ix != NULL &&
	    (r = put_entries(&list, req->other_ix, req, req->other_issuer, err)) != 0) ||
	    (req->random_n > 0 &&
	    (r = put_random(&list, req->random_n, req->this_update, err)) != 0))
		goto out;
	/* RFC 5280 5.1.2.6: with nothing revoked the list is absent, not empty. */
	if (list.len > 0) {
		tp_der_wrap(&list, 0x30);
		tp_der_put(&tbs, list.p, list.len);
		tp_der_release(&list);
	}
	if ((r = put_crl_exts(&exts, issuer, req, err)) != 0)
		goto out;
	tp_der_put(&tbs, exts.p, exts.len);
	tp_der_wrap(&tbs, 0x30);
	if (tbs.oom || list.oom || exts.oom) {
		r = tb_error_set(err, TB_ERR_NOMEM, "CRL");
		goto out;
	}
	if ((r = tp_der_signed(issuer->alg, issuer->key, tbs.p, tbs.len, &crl, err)) != 0)
		goto out;
	tp_der_release(&tbs);
	r = write_out(out_path, &crl, req->pem, err);
out:
	OPENSSL_free(der);
	X509_ALGOR_free(sigalg);
	tp_der_release(&tbs);
	tp_der_release(&list);
	tp_der_release(&exts);
	tp_der_release(&crl);
	return r;
}
