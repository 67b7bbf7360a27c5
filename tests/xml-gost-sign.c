/*
 * xml-gost-sign: the pieces of a GOST XML signature as NCALayer writes
 * them, for tests that assemble the XML around them (tests/xml-verify.sh):
 *
 *   xml-gost-sign digest ALG < BYTES   base64 of the plain hash of BYTES
 *   xml-gost-sign sign KEY.pem < BYTES base64 of the NCA signature value
 *                                      (the row's hash, signed, reversed)
 *
 * ALG: gost2015-512, gost2015-256, gost2004. Base64 lines are 64 characters
 * ended by "&#13;" and a newline, as Kalkan writes them. Exit 77 when the
 * gost engine is not there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gost.h"
#include "testpki_gost.h"
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
	if (argc != 3) {
		fprintf(stderr, "usage: xml-gost-sign digest ALG | sign KEY.pem < BYTES\n");
		return 2;
	}
	if (tb_gost_engine_ready(&e) != 0) {
		fprintf(stderr, "xml-gost-sign: %s\n", e.detail);
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
			fprintf(stderr, "xml-gost-sign: digest %s: %s\n", argv[2], e.detail);
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
	fprintf(stderr, "xml-gost-sign: %s\n", e.detail[0] ? e.detail : "usage");
	EVP_PKEY_free(key);
	return 1;
}
