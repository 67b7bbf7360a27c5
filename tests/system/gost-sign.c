/*
 * gost-sign: signs a file as CAdES-BES with a GOST 2015 key from an NCA
 * container, through libsig alone (gost_key.c holds the key, cms_sign.c
 * builds the SignedData). A test helper until tanbad's signer holds file
 * keys: the password comes from a file (mode 0600), never from argv.
 *
 *   gost-sign --p12 FILE --password-file F [--at TIME] [--detached] -o OUT FILE
 *   (exit 0 signed, 1 refused: the error on stderr, 2 usage)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cms_sign.h"
#include "gost_key.h"
#include "tb_clock.h"
#include "tb_file.h"

int
main(int argc, char **argv)
{
	const char *p12 = NULL, *pwf = NULL, *outp = NULL, *in = NULL;
	unsigned char *doc = NULL, *der = NULL;
	size_t doc_len = 0, der_len = 0, pw_len = 0;
	tb_gost_key *key = NULL;
	tb_sign_request req;
	tb_signer signer;
	tb_error err;
	char pw[256];
	time_t t;
	int i, fd = -1, rc = 1;
	FILE *f;

	memset(&req, 0, sizeof(req));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--p12") == 0 && i + 1 < argc)
			p12 = argv[++i];
		else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc)
			pwf = argv[++i];
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			outp = argv[++i];
		else if (strcmp(argv[i], "--detached") == 0)
			req.detached = 1;
		else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
			if (tb_clock_parse(argv[++i], &t) != 0)
				return 2;
			tb_clock_set(t);
		} else if (in == NULL && argv[i][0] != '-')
			in = argv[i];
		else {
			fprintf(stderr, "usage: gost-sign --p12 FILE --password-file F [--at TIME] "
			    "[--detached] -o OUT FILE\n");
			return 2;
		}
	}
	if (p12 == NULL || pwf == NULL || outp == NULL || in == NULL)
		return 2;
	tb_error_clear(&err);
	if (tb_secret_open(pwf, &fd, &err) != 0 ||
	    tb_secret_read(fd, pw, sizeof(pw), &pw_len, &err) != 0 ||
	    tb_file_read(in, 64 << 20, &doc, &doc_len, &err) != 0)
		goto out;
	if (tb_gost_key_load_p12(p12, pw, &key, &err) != 0)
		goto out;
	OPENSSL_cleanse(pw, sizeof(pw));
	signer.sign_digest = tb_gost_signer_cb;
	signer.ctx = key;
	req.data = doc;
	req.data_len = doc_len;
	req.signing_time = tb_clock_now();
	if (tb_cms_sign(tb_gost_key_cert(key), tb_gost_key_chain(key), &signer, &req, &der,
	    &der_len, &err) != 0)
		goto out;
	if ((f = fopen(outp, "wb")) == NULL || fwrite(der, 1, der_len, f) != der_len ||
	    fclose(f) != 0) {
		fprintf(stderr, "gost-sign: cannot write %s\n", outp);
		goto out;
	}
	printf("%s\n", tb_gost_key_info(key)->name);
	rc = 0;
out:
	if (rc != 0 && err.code != 0)
		fprintf(stderr, "gost-sign: %s: %s\n", tb_err_str(err.code), err.detail);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (fd != -1)
		close(fd);
	tb_gost_key_free(key);
	OPENSSL_free(der);
	free(doc);
	return rc;
}
