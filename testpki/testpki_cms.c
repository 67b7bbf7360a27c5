/*
 * CMS SignedData for tests (RFC 5652), written as DER by hand so that one
 * structure can carry RSA, ECDSA and Kazakh GOST signers side by side: the
 * signature goes through each signer's tp_alg row, like certificates and
 * CRLs. It signs what it is given and never checks a signature.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "der_writer.h"
#include "sigalg.h"
#include "tb_clock.h"
#include "testpki.h"

#define OID_DATA "1.2.840.113549.1.7.1"
#define OID_SIGNED_DATA "1.2.840.113549.1.7.2"
#define OID_CONTENT_TYPE "1.2.840.113549.1.9.3"
#define OID_MESSAGE_DIGEST "1.2.840.113549.1.9.4"
#define OID_SIGNING_TIME "1.2.840.113549.1.9.5"
#define OID_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"

/* Appends (and frees) der, the len bytes an i2d function made. */
static int
put_i2d(tp_der *d, int len, unsigned char *der, const char *what, tb_error *err)
{
	if (len <= 0) {
		OPENSSL_free(der);
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "encode %s", what);
	}
	tp_der_put(d, der, (size_t)len);
	OPENSSL_free(der);
	return 0;
}

/* IssuerAndSerialNumber (RFC 5652 10.2.4), also IssuerSerial's serial. */
static int
put_issuer_serial(tp_der *d, X509 *cert, int general_names, tb_error *err)
{
	unsigned char *der = NULL;
	tp_der s;
	int r, len;

	tp_der_init(&s);
	len = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
	r = put_i2d(&s, len, der, "issuer", err);
	/* RFC 5035 IssuerSerial: GeneralNames { directoryName [4] Name }. */
	if (r == 0 && general_names) {
		tp_der_wrap(&s, 0xa4);
		tp_der_wrap(&s, 0x30);
	}
	der = NULL;
	if (r == 0) {
		len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
		r = put_i2d(&s, len, der, "serial", err);
	}
	if (r == 0) {
		tp_der_wrap(&s, 0x30);
		tp_der_put(d, s.p, s.len);
	}
	tp_der_release(&s);
	return r;
}

/* One Attribute: SEQUENCE { type, SET { value } }. */
static void
attr_wrap(tp_der *a, const char *oid, tb_error *err, int *r)
{
	tp_der t;

	if (*r != 0)
		return;
	tp_der_wrap(a, 0x31);
	tp_der_init(&t);
	*r = tp_der_put_oid(&t, oid, err);
	tp_der_put(&t, a->p, a->len);
	tp_der_wrap(&t, 0x30);
	tp_der_release(a);
	*a = t;
}

static int
digest_of(const char *oid, const unsigned char *data, size_t len, unsigned char *md,
    unsigned int *md_len, tb_error *err)
{
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int r;

	if (alg == NULL || obj == NULL || X509_ALGOR_set0(alg, obj, V_ASN1_UNDEF, NULL) != 1) {
		ASN1_OBJECT_free(obj);
		X509_ALGOR_free(alg);
		return tb_error_set_ossl(err, TB_ERR_NOMEM, "digest algorithm");
	}
	/* libsig computes both the OpenSSL and the Kazakh GOST hashes. */
	r = tb_sigalg_digest(alg, data, len, md, md_len, err);
	X509_ALGOR_free(alg);
	return r;
}

/*
 * The signed attributes of RFC 5652 5.3 and RFC 5035 (CAdES-BES):
 * contentType, signingTime, messageDigest, signingCertificateV2 (its cert
 * hash SHA-256, the default), as the DER SET that is signed.
 */
static int
signed_attrs(const tp_cms_signer *s, const tp_cms_req *req, const unsigned char *md,
    unsigned int md_len, tp_der *set, tb_error *err)
{
	tp_der a[4];
	unsigned char cert_hash[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int ch_len = 0;
	int i, len, r = 0;

	for (i = 0; i < 4; i++)
		tp_der_init(&a[i]);
	r = tp_der_put_oid(&a[0], req->content_type != NULL ? req->content_type : OID_DATA, err);
	attr_wrap(&a[0], OID_CONTENT_TYPE, err, &r);
	if (r == 0)
		r = tp_der_put_time(&a[1], req->signing_time, 0, err);
	attr_wrap(&a[1], OID_SIGNING_TIME, err, &r);
	tp_der_put_hdr(&a[2], 0x04, md_len);
	tp_der_put(&a[2], md, md_len);
	attr_wrap(&a[2], OID_MESSAGE_DIGEST, err, &r);
	/* ESSCertIDv2 { certHash, issuerSerial }; hashAlgorithm sha256 is the default. */
	if (r == 0) {
		if ((len = i2d_X509(s->cert, &der)) <= 0 ||
		    EVP_Digest(der, (size_t)len, cert_hash, &ch_len, EVP_sha256(), NULL) != 1)
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "certificate hash");
		OPENSSL_free(der);
	}
	if (r == 0) {
		tp_der_put_hdr(&a[3], 0x04, ch_len);
		tp_der_put(&a[3], cert_hash, ch_len);
		r = put_issuer_serial(&a[3], s->cert, 1, err);
		tp_der_wrap(&a[3], 0x30);	/* ESSCertIDv2 */
		tp_der_wrap(&a[3], 0x30);	/* certs SEQUENCE OF */
		tp_der_wrap(&a[3], 0x30);	/* SigningCertificateV2 */
	}
	attr_wrap(&a[3], OID_SIGNING_CERT_V2, err, &r);
	if (r == 0) {
		tp_der_put_set(set, a, 4);
		if (set->oom)
			r = tb_error_set(err, TB_ERR_NOMEM, "signed attributes");
	}
	for (i = 0; i < 4; i++)
		tp_der_release(&a[i]);
	return r;
}

/* One SignerInfo (version 1, issuerAndSerialNumber) into si. */
static int
signer_info(const tp_cms_signer *s, const tp_cms_req *req, tp_der *si, tb_error *err)
{
	static const unsigned char v1[] = { 0x02, 0x01, 0x01 };
	const char *dig = s->digest_oid != NULL ? s->digest_oid : s->alg->digest_oid;
	unsigned char md[EVP_MAX_MD_SIZE], *sig = NULL;
	unsigned int md_len = 0;
	size_t sig_len = 0;
	tp_der attrs;
	int r;

	tp_der_init(&attrs);
	tp_der_put(si, v1, sizeof(v1));
	if ((r = put_issuer_serial(si, s->cert, 0, err)) != 0 ||
	    (r = tp_der_put_algid(si, dig, 0, err)) != 0)
		goto out;
	if (req->no_attrs) {
		/* RFC 5652 5.4: without attributes the content itself is signed. */
		if ((r = s->alg->sign(s->alg, s->key, req->data, req->len, &sig, &sig_len,
		    err)) != 0)
			goto out;
	} else {
		if ((r = digest_of(dig, req->data, req->len, md, &md_len, err)) != 0 ||
		    (r = signed_attrs(s, req, md, md_len, &attrs, err)) != 0)
			goto out;
		/* RFC 5652 5.4: the signature covers the SET, carried as [0] IMPLICIT. */
		if ((r = s->alg->sign(s->alg, s->key, attrs.p, attrs.len, &sig, &sig_len,
		    err)) != 0)
			goto out;
		attrs.p[0] = 0xa0;
		tp_der_put(si, attrs.p, attrs.len);
	}
	if ((r = tp_der_put_algid(si, s->alg->sig_oid, s->alg->sig_params_null, err)) != 0)
		goto out;
	tp_der_put_hdr(si, 0x04, sig_len);
	tp_der_put(si, sig, sig_len);
	tp_der_wrap(si, 0x30);
	r = si->oom ? tb_error_set(err, TB_ERR_NOMEM, "SignerInfo") : 0;
out:
	OPENSSL_free(sig);
	tp_der_release(&attrs);
	return r;
}

int
tp_cms_make(const tp_cms_signer *signers, size_t n, const tp_cms_req *req,
    tp_der *out, tb_error *err)
{
	static const unsigned char v1[] = { 0x02, 0x01, 0x01 };
	tp_der *algs = NULL, *certs = NULL, *sis = NULL, sd, encap;
	unsigned char *der;
	size_t i, j, nalgs = 0;
	int r = TB_ERR_NOMEM, len;

	tp_der_init(&sd);
	tp_der_init(&encap);
	if (n == 0 || (req->data == NULL && req->len > 0))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no signer or no content");
	if ((algs = calloc(n, sizeof(*algs))) == NULL ||
	    (certs = calloc(n, sizeof(*certs))) == NULL ||
	    (sis = calloc(n, sizeof(*sis))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "signers");
		goto out;
	}
	for (i = 0; i < n; i++) {
		tp_der alg;
		const char *dig = signers[i].digest_oid != NULL ? signers[i].digest_oid :
		    signers[i].alg->digest_oid;

		/* digestAlgorithms: each digest once. */
		tp_der_init(&alg);
		if ((r = tp_der_put_algid(&alg, dig, 0, err)) != 0)
			goto out;
		for (j = 0; j < nalgs; j++)
			if (algs[j].len == alg.len && memcmp(algs[j].p, alg.p, alg.len) == 0)
				break;
		if (j == nalgs)
			algs[nalgs++] = alg;
		else
			tp_der_release(&alg);
		der = NULL;
		len = i2d_X509(signers[i].cert, &der);
		if ((r = put_i2d(&certs[i], len, der, "certificate", err)) != 0 ||
		    (r = signer_info(&signers[i], req, &sis[i], err)) != 0)
			goto out;
	}
	/* EncapsulatedContentInfo: id-data, the content unless detached. */
	if ((r = tp_der_put_oid(&encap, req->content_type != NULL ? req->content_type : OID_DATA,
	    err)) != 0)
		goto out;
	if (!req->detached) {
		tp_der_put_hdr(&encap, 0xa0, tb_der_hdr_len(req->len) + req->len);
		tp_der_put_hdr(&encap, 0x04, req->len);
		tp_der_put(&encap, req->data, req->len);
	}
	tp_der_wrap(&encap, 0x30);

	tp_der_put(&sd, v1, sizeof(v1));
	tp_der_put_set(&sd, algs, nalgs);
	tp_der_put(&sd, encap.p, encap.len);
	/* certificates [0] IMPLICIT SET OF Certificate: the signers' own. */
	{
		tp_der set;

		tp_der_init(&set);
		tp_der_put_set(&set, certs, n);
		if (set.len > 0)
			set.p[0] = 0xa0;
		tp_der_put(&sd, set.p, set.len);
		if (set.oom)
			sd.oom = 1;
		tp_der_release(&set);
	}
	tp_der_put_set(&sd, sis, n);
	tp_der_wrap(&sd, 0x30);
	tp_der_wrap(&sd, 0xa0);
	tp_der_init(out);
	if ((r = tp_der_put_oid(out, OID_SIGNED_DATA, err)) != 0)
		goto out;
	tp_der_put(out, sd.p, sd.len);
	tp_der_wrap(out, 0x30);
	if (out->oom || sd.oom || encap.oom) {
		tp_der_release(out);
		r = tb_error_set(err, TB_ERR_NOMEM, "SignedData");
		goto out;
	}
	r = 0;
out:
	for (i = 0; i < n; i++) {
		if (algs != NULL)
			tp_der_release(&algs[i]);
		if (certs != NULL)
			tp_der_release(&certs[i]);
		if (sis != NULL)
			tp_der_release(&sis[i]);
	}
	free(algs);
	free(certs);
	free(sis);
	tp_der_release(&sd);
	tp_der_release(&encap);
	return r;
}

int
tp_tst_info_make(const unsigned char *query, size_t len, unsigned char **out,
    size_t *out_len, tb_error *err)
{
	const unsigned char *p = query;
	TS_REQ *req = NULL;
	TS_TST_INFO *tst = TS_TST_INFO_new();
	ASN1_OBJECT *pol = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_GENERALIZEDTIME *t = NULL;
	unsigned char rnd[8];
	BIGNUM *bn = NULL;
	int n, r;

	*out = NULL;
	if (len > LONG_MAX || (req = d2i_TS_REQ(NULL, &p, (long)len)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "not a TimeStampReq");
		goto out;
	}
	pol = TS_REQ_get_policy_id(req) != NULL ? OBJ_dup(TS_REQ_get_policy_id(req)) :
	    OBJ_txt2obj("1.2.398.3.3.2.6.1", 1);
	if (tst == NULL || pol == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    (bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (t = ASN1_GENERALIZEDTIME_set(NULL, tb_clock_now())) == NULL ||
	    !TS_TST_INFO_set_version(tst, 1) || !TS_TST_INFO_set_policy_id(tst, pol) ||
	    !TS_TST_INFO_set_msg_imprint(tst, TS_REQ_get_msg_imprint(req)) ||
	    !TS_TST_INFO_set_serial(tst, serial) || !TS_TST_INFO_set_time(tst, t) ||
	    (TS_REQ_get_nonce(req) != NULL && !TS_TST_INFO_set_nonce(tst, TS_REQ_get_nonce(req))) ||
	    (n = i2d_TS_TST_INFO(tst, out)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "TSTInfo");
		goto out;
	}
	*out_len = (size_t)n;
	r = 0;
out:
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	ASN1_GENERALIZEDTIME_free(t);
	ASN1_OBJECT_free(pol);
	TS_TST_INFO_free(tst);
	TS_REQ_free(req);
	return r;
}
