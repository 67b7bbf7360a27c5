/*
 * A CA that the fuzz targets hold the key of. A fuzzed CRL or OCSP
 * response never carries a valid signature, so the checks behind the
 * signature would go unfuzzed; the targets re-sign the fuzzed signed
 * bytes with this key and name this CA as the issuer. Test use only: the
 * key lives in memory for the process and is never written anywhere.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "der_reader.h"
#include "der_writer.h"
#include "fuzz.h"
#include "x509_path.h"

static EVP_PKEY *key;
static tb_trust *trust;

EVP_PKEY *
fz_key(void)
{
	if (key == NULL)
		FZ_ASSERT((key = EVP_EC_gen("P-256")) != NULL);
	return key;
}

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

X509 *
fz_ca_named(const unsigned char *name, size_t len)
{
	const unsigned char *p = name;
	X509_NAME *n = NULL;
	X509 *x = NULL, *ret = NULL;

	if ((n = d2i_X509_NAME(NULL, &p, (long)len)) == NULL)
		goto out;
	FZ_ASSERT((x = X509_new()) != NULL);
	FZ_ASSERT(X509_set_version(x, X509_VERSION_3));
	FZ_ASSERT(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	FZ_ASSERT(X509_set_subject_name(x, n) && X509_set_issuer_name(x, n));
	/* Valid from the epoch for a century: the targets choose "now". */
	FZ_ASSERT(ASN1_TIME_set(X509_getm_notBefore(x), 0) != NULL);
	FZ_ASSERT(ASN1_TIME_set(X509_getm_notAfter(x), 4102444800) != NULL);
	FZ_ASSERT(X509_set_pubkey(x, fz_key()));
	FZ_ASSERT(add_ext(x, NID_basic_constraints, "critical,CA:TRUE"));
	FZ_ASSERT(add_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign"));
	if (X509_sign(x, fz_key(), EVP_sha256()) <= 0)
		goto out;
	ret = x;
	x = NULL;
 out:
	ERR_clear_error();
	X509_free(x);
	X509_NAME_free(n);
	return ret;
}

int
fz_der_wrap(unsigned char tag, const unsigned char *content, size_t len,
    unsigned char **out, size_t *out_len)
{
	unsigned char *buf;
	size_t h = tb_der_hdr_len(len);

	if ((buf = malloc(h + len)) == NULL)
		return -1;
	tb_der_hdr_put(buf, tag, len);
	if (len > 0)
		memcpy(buf + h, content, len);
	*out = buf;
	*out_len = h + len;
	return 0;
}

/* AlgorithmIdentifier { ecdsa-with-SHA256 } (RFC 5758 3.2: no parameters). */
static const unsigned char alg[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02
};

int
fz_resign(const unsigned char *tbs, size_t tbs_len, unsigned char **out, size_t *out_len)
{
	EVP_MD_CTX *md = NULL;
	unsigned char sig[1 + 80], *bits = NULL, *body = NULL;
	size_t sig_len = sizeof(sig) - 1, bits_len, body_len;
	int r = -1;

	FZ_ASSERT((md = EVP_MD_CTX_new()) != NULL);
	FZ_ASSERT(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, fz_key()) == 1);
	FZ_ASSERT(EVP_DigestSign(md, sig + 1, &sig_len, tbs, tbs_len) == 1);
	sig[0] = 0;	/* no unused bits */
	if (fz_der_wrap(0x03, sig, sig_len + 1, &bits, &bits_len) != 0 ||
	    (body = malloc(tbs_len + sizeof(alg) + bits_len)) == NULL)
		goto out;
	memcpy(body, tbs, tbs_len);
	memcpy(body + tbs_len, alg, sizeof(alg));
	memcpy(body + tbs_len + sizeof(alg), bits, bits_len);
	body_len = tbs_len + sizeof(alg) + bits_len;
	if (fz_der_wrap(0x30, body, body_len, out, out_len) != 0)
		goto out;
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	free(bits);
	free(body);
	return r;
}

int
fz_resign_crl(const unsigned char *tbs, size_t tbs_len, unsigned char **out,
    size_t *out_len)
{
	tb_der d, c, version, old;
	unsigned char *body = NULL, *nt = NULL;
	size_t head, rest, body_len, nt_len;
	int present, r = -1;

	tb_der_init(&d, tbs, tbs_len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &c, NULL) != 0 ||
	    tb_der_optional(&c, TB_DER_INTEGER, NULL, &version, &present) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, NULL, &old) != 0)
		return -1;
	head = present ? version.len : 0;
	rest = c.len;
	body_len = head + sizeof(alg) + rest;
	FZ_ASSERT((body = malloc(body_len)) != NULL);
	if (head > 0)
		memcpy(body, version.p, head);
	memcpy(body + head, alg, sizeof(alg));
	if (rest > 0)
		memcpy(body + head + sizeof(alg), c.p, rest);
	if (fz_der_wrap(0x30, body, body_len, &nt, &nt_len) == 0 &&
	    fz_resign(nt, nt_len, out, out_len) == 0)
		r = 0;
	free(body);
	free(nt);
	return r;
}

size_t
fz_crl_serials(const unsigned char *tbs, size_t len, const unsigned char **serials,
    size_t *serial_lens, size_t max)
{
	tb_der d, c, list, entry, serial;
	unsigned char tag;
	size_t n = 0;
	int present;

	tb_der_init(&d, tbs, len);
	/* TBSCertList: version?, signature, issuer, thisUpdate, nextUpdate?,
	 * revokedCertificates? (RFC 5280 5.1). */
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &c, NULL) != 0 ||
	    tb_der_optional(&c, TB_DER_INTEGER, NULL, NULL, &present) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, NULL, NULL) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, NULL, NULL) != 0 ||
	    tb_der_skip(&c) != 0)
		return 0;
	if (tb_der_peek(&c, &tag) == 0 && (tag == TB_DER_UTCTIME || tag == TB_DER_GENTIME) &&
	    tb_der_skip(&c) != 0)
		return 0;
	if (tb_der_optional(&c, TB_DER_SEQUENCE, &list, NULL, &present) != 0 || !present)
		return 0;
	while (n < max && !tb_der_empty(&list)) {
		if (tb_der_expect(&list, TB_DER_SEQUENCE, &entry, NULL) != 0 ||
		    tb_der_expect(&entry, TB_DER_INTEGER, &serial, NULL) != 0)
			break;
		serials[n] = serial.p;
		serial_lens[n] = serial.len;
		n++;
	}
	return n;
}

const struct tb_trust *
fz_trust(void)
{
	const char *anchors = getenv("TANBA_FUZZ_ANCHORS");
	const char *untrusted = getenv("TANBA_FUZZ_UNTRUSTED");
	tb_error e;

	if (trust != NULL)
		return trust;
	FZ_ASSERT((trust = tb_trust_new()) != NULL);
	if (anchors != NULL && *anchors != '\0' && tb_trust_load_anchors(trust, anchors, &e) != 0)
		fprintf(stderr, "TANBA_FUZZ_ANCHORS: %s\n", e.detail);
	if (untrusted != NULL && *untrusted != '\0' &&
	    tb_trust_load_untrusted(trust, untrusted, &e) != 0)
		fprintf(stderr, "TANBA_FUZZ_UNTRUSTED: %s\n", e.detail);
	return trust;
}
