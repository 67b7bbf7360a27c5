/*
 * Token fixtures shared by the token layer's unit tests: a SoftHSM2 token
 * made at test time in a temporary directory through tests/system/setup.sh,
 * and the OpenSSL check of a raw signature. Test code only: never linked
 * into anything that ships.
 */
#ifndef TB_P11_TESTLIB_H
#define TB_P11_TESTLIB_H

#include <stddef.h>

#include <openssl/evp.h>

/*
 * Makes DIR ($top_builddir/tests/NAME-XXXXXX, else /tmp/tb-NAME-XXXXXX),
 * runs script there in sh -e after sourcing tests/system/setup.sh, and points
 * SOFTHSM2_CONF at DIR/hsm. 0, or -1 with the setup log on stderr.
 */
int p11t_token_make(char *dir, size_t dirlen, const char *name, const char *script);

/* Removes what p11t_token_make made; an empty dir is a no-op. */
void p11t_token_remove(const char *dir);

/* 1 if sig is pub's signature (PKCS#1 v1.5 for RSA) over dgst made with md. */
int p11t_verify(EVP_PKEY *pub, const EVP_MD *md, const unsigned char *dgst, size_t dlen,
    const unsigned char *sig, size_t slen);

#endif
