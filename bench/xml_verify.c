/*
 * XML signature verification rate beside CMS verification of the same
 * content, in one run: a 1 KB and a 100 KB XML document, each signed
 * enveloped (tb_xml_sign) and as CAdES-BES with the document attached
 * (tb_cms_sign), both by the same key, then verified in-process with
 * libsig (path to the anchors, no revocation) for SECONDS each, one
 * thread. The difference between the two is what XML adds: parsing,
 * canonicalization and the reference digest.
 * Usage: xml_verify NAME KEY.pem CERT.pem ANCHORS.pem CHAIN.pem [SECONDS]
 * Prints: xml_verify_1k_NAME, cms_verify_1k_NAME, ..._100k_NAME (verify/s)
 * and xml_cms_ratio_1k_NAME, _100k_NAME.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "bench_io.h"
#include "cms_sign.h"
#include "tb_clock.h"
#include "xml.h"

/* The signer over a key in memory (RSA or EC), as the daemon's over a token key. */
static int
key_sign(void *ctx, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(ctx, NULL);
	int ok;

	ok = pc != NULL && EVP_PKEY_sign_init(pc) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_get_digestbynid(md_nid)) > 0 &&
	    (!EVP_PKEY_is_a(ctx, "RSA") || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0) &&
	    EVP_PKEY_sign(pc, sig, sig_len, digest, digest_len) > 0;
	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : tb_error_set_ossl(err, TB_ERR_CRYPTO, "signing failed");
}

/* Verifications per second of input (xml or CMS) for seconds; -1 when one is not VALID. */
static double
rate(const tb_trust *trust, int xml, const unsigned char *in, size_t len, double seconds)
{
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res;
	double start = bench_now_s(), end;
	long n = 0;
	tb_error e;
	int r;

	tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = in;
	req.input_len = len;
	do {
		res = NULL;
		r = xml ? tb_verify_xml(trust, &pol, NULL, &req, &res, &e) :
		    tb_verify_cms(trust, &pol, NULL, &req, &res, &e);
		/* No revocation is given: the best verdict here is VALID with it not checked. */
		if (r != 0 || res->verdict != TB_V_VALID) {
			fprintf(stderr, "xml_verify: %s verdict %s %s\n", xml ? "XML" : "CMS",
			    r != 0 ? "error" : tb_verdict_code(res->verdict), r != 0 ? e.detail : "");
			tb_verify_result_free(res);
			return -1;
		}
		tb_verify_result_free(res);
		n++;
	} while ((end = bench_now_s()) - start < seconds);
	return n / (end - start);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 1024, 100 * 1024 };
	static const char *const labels[] = { "1k", "100k" };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	tb_trust *trust = tb_trust_new();
	tb_signer signer;
	tb_xml_sign_request xr;
	tb_sign_request cr;
	unsigned char *doc, *xml = NULL, *cms = NULL;
	size_t xml_len, cms_len, i, k;
	double seconds = argc > 6 ? atof(argv[6]) : 3, x, c;
	FILE *f;
	tb_error e;

	if (argc < 6) {
		fprintf(stderr, "usage: xml_verify NAME KEY CERT ANCHORS CHAIN [SECONDS]\n");
		return 2;
	}
	if ((f = fopen(argv[2], "r")) != NULL) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(argv[3], "r")) != NULL) {
		cert = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (key == NULL || cert == NULL || trust == NULL ||
	    tb_trust_load_anchors(trust, argv[4], &e) != 0 ||
	    tb_trust_load_untrusted(trust, argv[5], &e) != 0) {
		fprintf(stderr, "xml_verify: key, certificate or trust unreadable\n");
		return 2;
	}
	signer.sign_digest = key_sign;
	signer.ctx = key;
	for (k = 0; k < 2; k++) {
		/* <doc><data>Kazakh text...</data></doc>, sizes[k] bytes in all */
		if ((doc = malloc(sizes[k] + 1)) == NULL)
			return 2;
		memcpy(doc, "<doc><data>", 11);
		for (i = 11; i < sizes[k] - 13; i++)
			doc[i] = (unsigned char)("Kazakhstan "[i % 11]);
		memcpy(doc + sizes[k] - 13, "</data></doc>", 13);
		memset(&xr, 0, sizeof(xr));
		xr.input = doc;
		xr.input_len = sizes[k];
		memset(&cr, 0, sizeof(cr));
		cr.md_nid = NID_sha256;
		cr.data = doc;
		cr.data_len = sizes[k];
		cr.signing_time = tb_clock_now();
		if (tb_xml_sign(cert, &signer, &xr, &xml, &xml_len, &e) != 0 ||
		    tb_cms_sign(cert, NULL, &signer, &cr, &cms, &cms_len, &e) != 0) {
			fprintf(stderr, "xml_verify: signing: %s\n", e.detail);
			return 2;
		}
		if ((x = rate(trust, 1, xml, xml_len, seconds)) < 0 ||
		    (c = rate(trust, 0, cms, cms_len, seconds)) < 0)
			return 2;
		printf("xml_verify_%s_%s %.1f verify/s\n", labels[k], argv[1], x);
		printf("cms_verify_%s_%s %.1f verify/s\n", labels[k], argv[1], c);
		printf("xml_cms_ratio_%s_%s %.3f ratio\n", labels[k], argv[1], x / c);
		fflush(stdout);
		OPENSSL_free(xml);
		OPENSSL_free(cms);
		free(doc);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	tb_trust_free(trust);
	return 0;
}
