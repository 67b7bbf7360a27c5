/*
 * Token fixtures shared by the token layer's unit tests (test_p11,
 * test_p11_fault): one way to make and remove a SoftHSM2 test token and
 * one signature check. It never fakes a token: everything runs against
 * the real SoftHSM2 and the openssl CLI.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <openssl/rsa.h>

#include "p11_testlib.h"

int
p11t_token_make(char *dir, size_t dirlen, const char *name, const char *script)
{
	const char *srcdir = getenv("top_srcdir");
	const char *builddir = getenv("top_builddir");
	char cmd[4096], conf[600];
	FILE *f;

	if ((size_t)snprintf(dir, dirlen, "%s/tests/%s-XXXXXX", builddir != NULL ? builddir : ".",
	    name) >= dirlen || mkdtemp(dir) == NULL) {
		if ((size_t)snprintf(dir, dirlen, "/tmp/tb-%s-XXXXXX", name) >= dirlen ||
		    mkdtemp(dir) == NULL) {
			dir[0] = '\0';
			return -1;
		}
	}
	snprintf(cmd, sizeof(cmd), "%s/setup.sh", dir);
	if ((f = fopen(cmd, "w")) == NULL)
		return -1;
	fprintf(f, "set -e\ncd \"$1\"\n. \"$2/tests/system/setup.sh\"\n%s", script);
	if (fclose(f) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "sh %s/setup.sh '%s' '%s' >%s/setup.log 2>&1",
	    dir, dir, srcdir != NULL ? srcdir : "..", dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/setup.log >&2", dir);
		(void)system(cmd);
		return -1;
	}
	if ((size_t)snprintf(conf, sizeof(conf), "%s/hsm/softhsm2.conf", dir) >= sizeof(conf))
		return -1;
	setenv("SOFTHSM2_CONF", conf, 1);
	return 0;
}

void
p11t_token_remove(const char *dir)
{
	char cmd[600];

	if (dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

int
p11t_verify(EVP_PKEY *pub, const EVP_MD *md, const unsigned char *dgst, size_t dlen,
    const unsigned char *sig, size_t slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	int ok;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, md), 1);
	ok = EVP_PKEY_verify(ctx, sig, slen, dgst, dlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}
