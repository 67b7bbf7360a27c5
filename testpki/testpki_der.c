/*
 * DER writing for the test PKI: a growable buffer, tag/length headers,
 * OIDs, times, sorted SETs and the SEQUENCE { tbs, algorithm, signature }
 * that every certificate, CRL and OCSP response ends in. It writes only
 * what it is given and never parses anything.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "der_writer.h"
#include "testpki.h"

void
tp_der_init(tp_der *d)
{
	memset(d, 0, sizeof(*d));
}

void
tp_der_release(tp_der *d)
{
	free(d->p);
	tp_der_init(d);
}

static int
der_reserve(tp_der *d, size_t more)
{
	size_t cap;
	unsigned char *p;

	if (d->oom)
		return -1;
	if (d->len + more <= d->cap)
		return 0;
	cap = d->cap ? d->cap : 256;
	while (cap < d->len + more)
		cap *= 2;
	if ((p = realloc(d->p, cap)) == NULL) {
		d->oom = 1;
		return -1;
	}
	d->p = p;
	d->cap = cap;
	return 0;
}

void
tp_der_put(tp_der *d, const void *data, size_t len)
{
	if (len == 0 || der_reserve(d, len) != 0)
		return;
	memcpy(d->p + d->len, data, len);
	d->len += len;
}

void
tp_der_put_hdr(tp_der *d, unsigned char tag, size_t len)
{
	unsigned char h[TB_DER_HDR_MAX];

	tp_der_put(d, h, (size_t)(tb_der_hdr_put(h, tag, len) - h));
}

void
tp_der_wrap(tp_der *d, unsigned char tag)
{
	tp_der w;

	if (d->oom)
		return;
	tp_der_init(&w);
	if (der_reserve(&w, tb_der_hdr_len(d->len) + d->len) != 0) {
		d->oom = 1;
		return;
	}
	tp_der_put_hdr(&w, tag, d->len);
	tp_der_put(&w, d->p, d->len);
	free(d->p);
	*d = w;
}

int
tp_der_signed(const tp_alg *alg, EVP_PKEY *key, const unsigned char *tbs,
    size_t tbs_len, tp_der *out, tb_error *err)
{
	return tp_der_signed_tail(alg, key, tbs, tbs_len, NULL, 0, out, err);
}

int
tp_der_signed_tail(const tp_alg *alg, EVP_PKEY *key, const unsigned char *tbs,
    size_t tbs_len, const unsigned char *tail, size_t tail_len, tp_der *out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	X509_ALGOR *sigalg = NULL;
	unsigned char *algder = NULL, *sig = NULL, zero = 0;
	int alglen;
	size_t sig_len = 0;
	tp_der d;

	tp_der_init(&d);
	if ((sigalg = tp_alg_sigalg_new(alg)) == NULL ||
	    (alglen = i2d_X509_ALGOR(sigalg, &algder)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s: algorithm identifier", alg->name);
		goto out;
	}
	if ((r = alg->sign(alg, key, tbs, tbs_len, &sig, &sig_len, err)) != 0)
		goto out;
	tp_der_put(&d, tbs, tbs_len);
	tp_der_put(&d, algder, (size_t)alglen);
	/* BIT STRING with no unused bits. */
	tp_der_put_hdr(&d, 0x03, sig_len + 1);
	tp_der_put(&d, &zero, 1);
	tp_der_put(&d, sig, sig_len);
	tp_der_put(&d, tail, tail_len);
	tp_der_wrap(&d, 0x30);
	if (d.oom) {
		r = tb_error_set(err, TB_ERR_NOMEM, "signed object");
		goto out;
	}
	*out = d;
	tp_der_init(&d);
	r = 0;
out:
	tp_der_release(&d);
	OPENSSL_free(sig);
	OPENSSL_free(algder);
	X509_ALGOR_free(sigalg);
	return r;
}

int
tp_der_put_oid(tp_der *d, const char *dotted, tb_error *err)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(dotted, 1);
	unsigned char *der = NULL;
	int len;

	if (obj == NULL || (len = i2d_ASN1_OBJECT(obj, &der)) <= 0) {
		ASN1_OBJECT_free(obj);
		return tb_error_set_ossl(err, TB_ERR_INTERNAL, "OID %s", dotted);
	}
	tp_der_put(d, der, (size_t)len);
	OPENSSL_free(der);
	ASN1_OBJECT_free(obj);
	return 0;
}

int
tp_der_put_algid(tp_der *d, const char *dotted, int null_params, tb_error *err)
{
	static const unsigned char null[] = { 0x05, 0x00 };
	tp_der a;
	int r;

	tp_der_init(&a);
	if ((r = tp_der_put_oid(&a, dotted, err)) == 0) {
		if (null_params)
			tp_der_put(&a, null, sizeof(null));
		tp_der_wrap(&a, 0x30);
		tp_der_put(d, a.p, a.len);
		if (a.oom)
			d->oom = 1;
	}
	tp_der_release(&a);
	return r;
}

int
tp_der_put_time(tp_der *d, time_t t, int gen, tb_error *err)
{
	ASN1_TIME *at = gen ? ASN1_GENERALIZEDTIME_set(NULL, t) : ASN1_TIME_set(NULL, t);
	unsigned char *der = NULL;
	int len;

	if (at == NULL || (len = i2d_ASN1_TIME(at, &der)) <= 0) {
		ASN1_TIME_free(at);
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "time");
	}
	tp_der_put(d, der, (size_t)len);
	OPENSSL_free(der);
	ASN1_TIME_free(at);
	return 0;
}

/* X.690 11.6: compare as octet strings, the shorter padded with zeros. */
static int
der_elem_cmp(const void *a, const void *b)
{
	const tp_der *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len, i;
	int c = memcmp(x->p, y->p, n);

	if (c != 0)
		return c;
	for (i = n; i < x->len; i++)
		if (x->p[i] != 0)
			return 1;
	for (i = n; i < y->len; i++)
		if (y->p[i] != 0)
			return -1;
	return 0;
}

void
tp_der_put_set(tp_der *d, tp_der *elems, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		if (elems[i].oom)
			d->oom = 1;
		len += elems[i].len;
	}
	if (n > 1)
		qsort(elems, n, sizeof(*elems), der_elem_cmp);
	tp_der_put_hdr(d, 0x31, len);
	for (i = 0; i < n; i++)
		tp_der_put(d, elems[i].p, elems[i].len);
}
