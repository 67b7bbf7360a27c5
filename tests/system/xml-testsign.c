/*
 * xml-testsign: XML signatures for the tests (tests/system/xml-verify.sh):
 *
 *   xml-testsign digest ALG < BYTES   base64 of the plain hash of BYTES
 *   xml-testsign sign KEY.pem < BYTES base64 of the NCA signature value
 *                                     (the row's hash, signed, reversed)
 *   xml-testsign xml KEY.pem CERT.pem [REF [MD]] < DOC
 *                                     DOC signed by libsig's tb_xml_sign,
 *                                     the signer a test-PKI key file (RSA,
 *                                     EC, or GOST through the engine)
 *   xml-testsign wsse KEY.pem CERT.pem [TTL] < SOAP
 *                                     the SOAP envelope signed with
 *                                     WS-Security by tb_xml_sign_wsse
 *
 * The first two give the pieces of a GOST XML signature as NCALayer
 * writes them, for a test that assembles the XML around them by itself.
 * ALG: gost2015-512, gost2015-256, gost2004. Base64 lines are 64 characters
 * ended by "&#13;" and a newline, as Kalkan writes them. Exit 77 when the
 * gost engine is not there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "gost.h"
#include "testpki_gost.h"
#include "xml.h"
#include "xml_int.h"

static unsigned char buf[1 << 20];

static void
print_b64(const unsigned char *v, size_t len)
{
	char out[4 * (128 / 3 + 2) + 1];
	size_t i, n = (size_t)EVP_EncodeBlock((unsigned char *)out, v, (int)len);

	for (i = 0; i < n; i += 64)
		printf("%.*s%s", (int)(n - i < 64 ? n - i : 64), out + i,
		    i + 64 < n ? "&#13;\n" : "");
	printf("\n");
}

/* A tb_signer over a key in memory, as the daemon's is over a token key. */
static int
key_sign_digest(void *ctx, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, tb_error *err)
{
	EVP_PKEY *key = ctx;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(key, NULL);
	unsigned char rs[TB_SIG_MAX];
	size_t rs_len = sizeof(rs), i;
	int gost = tb_gost_key_alg(key) != NULL, ok;

	ok = pc != NULL && EVP_PKEY_sign_init(pc) > 0;
	if (ok && !gost)
		ok = EVP_PKEY_CTX_set_signature_md(pc, EVP_get_digestbynid(md_nid)) > 0 &&
		    (!EVP_PKEY_is_a(key, "RSA") ||
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) > 0);
	ok = ok && EVP_PKEY_sign(pc, rs, &rs_len, digest, digest_len) > 0 && rs_len <= *sig_len;
	EVP_PKEY_CTX_free(pc);
	if (!ok)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "signing failed");
	/* GOST: RFC 4491 order to the NCA's, as a GOST token signer answers. */
	for (i = 0; i < rs_len; i++)
		sig[i] = gost ? rs[rs_len - 1 - i] : rs[i];
	*sig_len = rs_len;
	return 0;
}

static int
sign_xml(int argc, char **argv, size_t len)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	FILE *f;
	tb_signer signer;
	tb_xml_sign_request req;
	tb_wsse_sign_request wreq;
	unsigned char *out = NULL;
	size_t out_len = 0;
	tb_error e;
	int r = 1;

	tb_error_clear(&e);
	if ((f = fopen(argv[2], "r")) != NULL) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (key == NULL && tp_gost_key_read_pem(argv[2], &key, &e) != 0)
		goto out;
	if ((f = fopen(argv[3], "r")) == NULL || (cert = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		if (f != NULL)
			fclose(f);
		tb_error_set(&e, TB_ERR_INVALID_ARG, "certificate %s", argv[3]);
		goto out;
	}
	fclose(f);
	signer.sign_digest = key_sign_digest;
	signer.ctx = key;
	memset(&req, 0, sizeof(req));
	req.input = buf;
	req.input_len = len;
	req.reference = argc > 4 ? argv[4] : "";
	req.md_nid = argc > 5 ? OBJ_txt2nid(argv[5]) : 0;
	memset(&wreq, 0, sizeof(wreq));
	wreq.input = buf;
	wreq.input_len = len;
	wreq.ttl = argc > 4 ? atol(argv[4]) : 0;
	if (strcmp(argv[1], "wsse") == 0 ? tb_xml_sign_wsse(cert, &signer, &wreq, &out, &out_len,
	    &e) != 0 : tb_xml_sign(cert, &signer, &req, &out, &out_len, &e) != 0)
		goto out;
	fwrite(out, 1, out_len, stdout);
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "xml-testsign: %s\n", e.detail);
	OPENSSL_free(out);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

int
main(int argc, char **argv)
{
	static const struct { const char *alg, *oid; } hashes[] = {
		{ "gost2015-512", "1.2.398.3.10.1.3.3" },
		{ "gost2015-256", "1.2.398.3.10.1.3.2" },
		{ "gost2004", "1.2.398.3.10.1.3.1.1.0" },
	};
	unsigned char out[EVP_MAX_MD_SIZE + 128];
	unsigned int md_len = 0;
	size_t len, sig_len = 0, i;
	EVP_PKEY *key = NULL;
	X509_ALGOR *a;
	tb_error e;

	tb_error_clear(&e);
	if (argc >= 4 && argc <= 6 && (strcmp(argv[1], "xml") == 0 || strcmp(argv[1], "wsse") == 0)) {
		tb_gost_engine_ready(&e);	/* loads the engine when there is one */
		return sign_xml(argc, argv, fread(buf, 1, sizeof(buf), stdin));
	}
	if (argc != 3) {
		fprintf(stderr, "usage: xml-testsign digest ALG | sign KEY.pem | xml KEY CERT [REF [MD]] < BYTES\n");
		return 2;
	}
	if (tb_gost_engine_ready(&e) != 0) {
		fprintf(stderr, "xml-testsign: %s\n", e.detail);
		return 77;
	}
	len = fread(buf, 1, sizeof(buf), stdin);
	if (strcmp(argv[1], "digest") == 0) {
		for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
			if (strcmp(hashes[i].alg, argv[2]) == 0)
				break;
		if (i == sizeof(hashes) / sizeof(hashes[0]) ||
		    (a = tb_xml_algor(hashes[i].oid)) == NULL ||
		    tb_sigalg_digest(a, buf, len, out, &md_len, &e) != 0) {
			fprintf(stderr, "xml-testsign: digest %s: %s\n", argv[2], e.detail);
			return 1;
		}
		X509_ALGOR_free(a);
		print_b64(out, md_len);
		return 0;
	}
	if (strcmp(argv[1], "sign") == 0 && tp_gost_key_read_pem(argv[2], &key, &e) == 0 &&
	    tp_gost_sign(key, buf, len, out, &sig_len, &e) == 0) {
		print_b64(out, sig_len);
		EVP_PKEY_free(key);
		return 0;
	}
	fprintf(stderr, "xml-testsign: %s\n", e.detail[0] ? e.detail : "usage");
	EVP_PKEY_free(key);
	return 1;
}
