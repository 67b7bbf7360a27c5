/*
 * gost-check: verifies the signature of a test-PKI file (certificate, CRL,
 * OCSP response or CMS SignedData, DER or PEM) through libsig's
 * tb_sigalg_verify, which hands GOST to libsig/gost.c. A test helper:
 * it never trusts OpenSSL's own verify, since that cannot do Kazakh GOST.
 *
 *   gost-check [--content FILE] FILE CERT...   (exit 0 valid, 1 invalid,
 *                                               2 unusable input, 3 unsupported)
 *   gost-check --available                     (exit 77 when no GOST at all)
 *
 * Certificates, CRLs and OCSP responses are checked with the first CERT (the
 * issuer, or the OCSP responder). A CMS is checked signer by signer, each
 * with its certificate from the CMS or from CERT..., over its signed
 * attributes, and its messageDigest against the content (eContent, or
 * --content for a detached signature).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "der_reader.h"
#include "gost.h"
#include "sigalg.h"

enum { OK = 0, BAD = 1, UNUSABLE = 2, UNSUPPORTED = 3 };

static int
verdict(int r, const char *what, const tb_sigalg_info *info, const tb_error *err)
{
	if (r == 0) {
		printf("%s: OK (%s)\n", what, info->name);
		return OK;
	}
	printf("%s: FAILED: %s\n", what, err->detail);
	if (r == TB_ERR_CRYPTO)
		return BAD;
	return r == TB_ERR_UNSUPPORTED ? UNSUPPORTED : UNUSABLE;
}

/* The whole file, PEM decoded when it is PEM and pem_ok. */
static unsigned char *
read_der(const char *path, int pem_ok, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL, *p;
	size_t n = 0, cap = 0, got;
	BIO *b;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			if ((p = realloc(buf, cap + 65536)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	if (!pem_ok || n < 11 || memcmp(buf, "-----BEGIN ", 11) != 0) {
		*len = n;
		return buf;
	}
	b = BIO_new_mem_buf(buf, (int)n);
	if (b == NULL || PEM_read_bio(b, &name, &header, &data, &dlen) != 1) {
		BIO_free(b);
		free(buf);
		return NULL;
	}
	BIO_free(b);
	free(buf);
	OPENSSL_free(name);
	OPENSSL_free(header);
	if ((buf = malloc((size_t)dlen + 1)) != NULL)
		memcpy(buf, data, (size_t)dlen);
	OPENSSL_free(data);
	*len = (size_t)dlen;
	return buf;
}

static X509_ALGOR *
algor(const tb_der *whole)
{
	const unsigned char *p = whole->p;

	return d2i_X509_ALGOR(NULL, &p, (long)whole->len);
}

/* SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }: certificate, CRL, BasicOCSPResponse. */
static int
check_signed(const unsigned char *der, size_t len, X509 *signer, const char *what)
{
	tb_der d, outer, c, tbs, algw, bits, sig;
	unsigned char tag;
	X509_ALGOR *alg = NULL;
	tb_sigalg_info info;
	tb_error err;
	int r;

	memset(&info, 0, sizeof(info));
	tb_error_clear(&err);
	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &outer, NULL) != 0 ||
	    tb_der_next(&outer, &tag, &c, &tbs) != 0 ||
	    tb_der_expect(&outer, TB_DER_SEQUENCE, &c, &algw) != 0 ||
	    tb_der_expect(&outer, TB_DER_BIT_STRING, &bits, NULL) != 0 ||
	    tb_der_bits(&bits, &sig) != 0 || (alg = algor(&algw)) == NULL) {
		printf("%s: not a signed object\n", what);
		return UNUSABLE;
	}
	if (signer == NULL) {
		printf("%s: no signer certificate given\n", what);
		X509_ALGOR_free(alg);
		return UNUSABLE;
	}
	r = tb_sigalg_verify(NULL, alg, X509_get_X509_PUBKEY(signer), tbs.p, tbs.len,
	    sig.p, sig.len, &info, &err);
	X509_ALGOR_free(alg);
	return verdict(r, what, &info, &err);
}

/* OCSPResponse { status, [0] { responseType, OCTET STRING BasicOCSPResponse } } */
static int
check_ocsp(tb_der *outer, X509 *signer)
{
	tb_der st, rb, rbs, oid, basic;
	uint64_t status;

	if (tb_der_expect(outer, TB_DER_ENUMERATED, &st, NULL) != 0 ||
	    tb_der_uint(&st, &status) != 0) {
		printf("OCSP response: malformed\n");
		return UNUSABLE;
	}
	if (status != 0) {
		printf("OCSP response: status %u, nothing signed\n", (unsigned)status);
		return BAD;
	}
	if (tb_der_expect(outer, TB_DER_CTX_CONS(0), &rb, NULL) != 0 ||
	    tb_der_expect(&rb, TB_DER_SEQUENCE, &rbs, NULL) != 0 ||
	    tb_der_expect(&rbs, TB_DER_OID, &oid, NULL) != 0 ||
	    tb_der_expect(&rbs, TB_DER_OCTET_STRING, &basic, NULL) != 0) {
		printf("OCSP response: malformed\n");
		return UNUSABLE;
	}
	return check_signed(basic.p, basic.len, signer, "OCSP response");
}

static X509 *
cert_of(const tb_der *whole)
{
	const unsigned char *p = whole->p;

	return d2i_X509(NULL, &p, (long)whole->len);
}

/* The certificate of an IssuerAndSerialNumber among certs. */
static X509 *
find_signer(const tb_der *sid_whole, STACK_OF(X509) *certs)
{
	tb_der d, sid, namew, serw, c;
	const unsigned char *p;
	X509_NAME *name = NULL;
	ASN1_INTEGER *serial = NULL;
	X509 *found = NULL;
	int i;

	tb_der_init(&d, sid_whole->p, sid_whole->len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &sid, NULL) != 0 ||
	    tb_der_expect(&sid, TB_DER_SEQUENCE, &c, &namew) != 0 ||
	    tb_der_expect(&sid, TB_DER_INTEGER, &c, &serw) != 0)
		return NULL;
	p = namew.p;
	name = d2i_X509_NAME(NULL, &p, (long)namew.len);
	p = serw.p;
	serial = d2i_ASN1_INTEGER(NULL, &p, (long)serw.len);
	for (i = 0; name != NULL && serial != NULL && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_NAME_cmp(X509_get_issuer_name(x), name) == 0 &&
		    ASN1_INTEGER_cmp(X509_get0_serialNumber(x), serial) == 0) {
			found = x;
			break;
		}
	}
	X509_NAME_free(name);
	ASN1_INTEGER_free(serial);
	return found;
}

/* messageDigest (1.2.840.113549.1.9.4) among the signed attributes. */
static int
message_digest(const tb_der *attrs, tb_der *value)
{
	static const unsigned char oid_md[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04 };
	tb_der d = *attrs, a, oid, set;

	while (!tb_der_empty(&d)) {
		if (tb_der_expect(&d, TB_DER_SEQUENCE, &a, NULL) != 0 ||
		    tb_der_expect(&a, TB_DER_OID, &oid, NULL) != 0 ||
		    tb_der_expect(&a, TB_DER_SET, &set, NULL) != 0)
			return -1;
		if (tb_der_oid_is(&oid, oid_md, sizeof(oid_md)))
			return tb_der_expect(&set, TB_DER_OCTET_STRING, value, NULL);
	}
	return -1;
}

static int
check_signer_info(int n, const tb_der *si_whole, const tb_der *content, STACK_OF(X509) *certs)
{
	tb_der d, si, c, sidw, digw, attrs, attrsw, sigw, sig, mdv;
	unsigned char tag, *tbs = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	X509_ALGOR *dig = NULL, *alg = NULL;
	X509 *x;
	tb_sigalg_info info;
	tb_error err;
	char what[64];
	int r, present = 0, res = UNUSABLE;

	memset(&info, 0, sizeof(info));
	tb_error_clear(&err);
	snprintf(what, sizeof(what), "signer %d", n);
	tb_der_init(&d, si_whole->p, si_whole->len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &si, NULL) != 0 ||
	    tb_der_expect(&si, TB_DER_INTEGER, &c, NULL) != 0 ||
	    tb_der_next(&si, &tag, &c, &sidw) != 0 ||
	    tb_der_expect(&si, TB_DER_SEQUENCE, &c, &digw) != 0 ||
	    tb_der_optional(&si, TB_DER_CTX_CONS(0), &attrs, &attrsw, &present) != 0 ||
	    tb_der_expect(&si, TB_DER_SEQUENCE, &c, &sigw) != 0 ||
	    tb_der_expect(&si, TB_DER_OCTET_STRING, &sig, NULL) != 0 ||
	    (dig = algor(&digw)) == NULL || (alg = algor(&sigw)) == NULL) {
		printf("%s: malformed SignerInfo\n", what);
		goto out;
	}
	if (tag != TB_DER_SEQUENCE || (x = find_signer(&sidw, certs)) == NULL) {
		printf("%s: signer certificate not found\n", what);
		goto out;
	}
	if (!present) {
		/* RFC 5652 5.4: no signed attributes, the content itself is signed. */
		r = tb_sigalg_verify(dig, alg, X509_get_X509_PUBKEY(x), content->p, content->len,
		    sig.p, sig.len, &info, &err);
		res = verdict(r, what, &info, &err);
		goto out;
	}
	/* The messageDigest is the plain hash of the content, GOST or not. */
	if (message_digest(&attrs, &mdv) != 0) {
		printf("%s: no messageDigest\n", what);
		res = BAD;
		goto out;
	}
	if ((r = tb_sigalg_digest(dig, content->p, content->len, md, &md_len, &err)) != 0) {
		res = verdict(r, what, &info, &err);
		goto out;
	}
	if (md_len != mdv.len || memcmp(md, mdv.p, md_len) != 0) {
		printf("%s: FAILED: messageDigest does not match the content\n", what);
		res = BAD;
		goto out;
	}
	/* RFC 5652 5.4: the signature covers the attributes with a SET tag. */
	if ((tbs = malloc(attrsw.len)) == NULL)
		goto out;
	memcpy(tbs, attrsw.p, attrsw.len);
	tbs[0] = TB_DER_SET;
	r = tb_sigalg_verify(dig, alg, X509_get_X509_PUBKEY(x), tbs, attrsw.len, sig.p, sig.len,
	    &info, &err);
	res = verdict(r, what, &info, &err);
out:
	free(tbs);
	X509_ALGOR_free(dig);
	X509_ALGOR_free(alg);
	return res;
}

/* ContentInfo { id-signedData, [0] SignedData } */
static int
check_cms(tb_der *outer, const unsigned char *detached, size_t detached_len,
    STACK_OF(X509) *certs)
{
	tb_der oid, e, sd, c, encap, econt, content, certset, cw, sis, siw;
	unsigned char tag;
	int present = 0, n = 0, res = OK, one;
	X509 *x;

	if (tb_der_expect(outer, TB_DER_OID, &oid, NULL) != 0 ||
	    tb_der_expect(outer, TB_DER_CTX_CONS(0), &e, NULL) != 0 ||
	    tb_der_expect(&e, TB_DER_SEQUENCE, &sd, NULL) != 0 ||
	    tb_der_expect(&sd, TB_DER_INTEGER, &c, NULL) != 0 ||
	    tb_der_expect(&sd, TB_DER_SET, &c, NULL) != 0 ||
	    tb_der_expect(&sd, TB_DER_SEQUENCE, &encap, NULL) != 0 ||
	    tb_der_expect(&encap, TB_DER_OID, &c, NULL) != 0 ||
	    tb_der_optional(&encap, TB_DER_CTX_CONS(0), &econt, NULL, &present) != 0) {
		printf("CMS: malformed SignedData\n");
		return UNUSABLE;
	}
	if (present) {
		if (tb_der_expect(&econt, TB_DER_OCTET_STRING, &content, NULL) != 0) {
			printf("CMS: eContent is not a DER OCTET STRING\n");
			return UNUSABLE;
		}
		printf("CMS: attached content, %zu bytes\n", content.len);
	} else if (detached != NULL) {
		tb_der_init(&content, detached, detached_len);
		printf("CMS: detached, content from --content\n");
	} else {
		printf("CMS: detached and no --content given\n");
		return UNUSABLE;
	}
	if (tb_der_optional(&sd, TB_DER_CTX_CONS(0), &certset, NULL, &present) != 0)
		return UNUSABLE;
	while (present && !tb_der_empty(&certset)) {
		if (tb_der_next(&certset, &tag, &c, &cw) != 0 || (x = cert_of(&cw)) == NULL ||
		    !sk_X509_push(certs, x)) {
			printf("CMS: bad certificate\n");
			return UNUSABLE;
		}
	}
	if (tb_der_optional(&sd, TB_DER_CTX_CONS(1), &c, NULL, &present) != 0 ||
	    tb_der_expect(&sd, TB_DER_SET, &sis, NULL) != 0) {
		printf("CMS: no signerInfos\n");
		return UNUSABLE;
	}
	while (!tb_der_empty(&sis)) {
		if (tb_der_next(&sis, &tag, &c, &siw) != 0)
			return UNUSABLE;
		one = check_signer_info(++n, &siw, &content, certs);
		if (one != OK && (res == OK || one < res))
			res = one;
	}
	printf("CMS: %d signer(s)\n", n);
	return n == 0 ? UNUSABLE : res;
}

static int
usage(void)
{
	fprintf(stderr, "usage: gost-check [--content FILE] FILE CERT...\n"
	    "       gost-check --available\n");
	return UNUSABLE;
}

int
main(int argc, char **argv)
{
	const char *content_path = NULL, *path;
	unsigned char *der = NULL, *content = NULL;
	size_t len = 0, content_len = 0;
	STACK_OF(X509) *certs = NULL;
	X509 *x;
	BIO *b;
	tb_der d, outer;
	unsigned char tag;
	char buf[256];
	int i = 1, res = UNUSABLE;

	if (argc == 2 && strcmp(argv[1], "--available") == 0) {
		if (tb_gost_available(buf, sizeof(buf)) == 0) {
			printf("%s\n", buf);
			return 77;
		}
		printf("%s\n", buf);
		return 0;
	}
	if (argc > 3 && strcmp(argv[1], "--content") == 0) {
		content_path = argv[2];
		i = 3;
	}
	if (i >= argc)
		return usage();
	path = argv[i++];
	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	for (; i < argc; i++) {
		if ((b = BIO_new_file(argv[i], "r")) == NULL ||
		    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
		    !sk_X509_push(certs, x)) {
			fprintf(stderr, "gost-check: %s: not a PEM certificate\n", argv[i]);
			BIO_free(b);
			goto out;
		}
		BIO_free(b);
	}
	if ((der = read_der(path, 1, &len)) == NULL ||
	    (content_path != NULL &&
	    (content = read_der(content_path, 0, &content_len)) == NULL)) {
		fprintf(stderr, "gost-check: cannot read %s\n", der == NULL ? path : content_path);
		goto out;
	}
	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &outer, NULL) != 0 ||
	    tb_der_peek(&outer, &tag) != 0) {
		fprintf(stderr, "gost-check: %s: not DER\n", path);
		goto out;
	}
	x = sk_X509_num(certs) > 0 ? sk_X509_value(certs, 0) : NULL;
	if (tag == TB_DER_SEQUENCE)
		res = check_signed(der, len, x, "signature");
	else if (tag == TB_DER_ENUMERATED)
		res = check_ocsp(&outer, x);
	else if (tag == TB_DER_OID)
		res = check_cms(&outer, content, content_len, certs);
	else
		fprintf(stderr, "gost-check: %s: unknown structure\n", path);
out:
	sk_X509_pop_free(certs, X509_free);
	free(der);
	free(content);
	return res;
}
