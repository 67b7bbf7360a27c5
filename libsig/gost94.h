/*
 * GOST R 34.11-94 with the *test* S-box parameters (the hash of Kazakh
 * GOST 34.311-95 / 34.310-2004 signatures). The gost engine only offers
 * this hash with the CryptoPro S-box, so tanba carries it. Internal to the
 * GOST module: nothing outside libsig/gost*.c calls it.
 */
#ifndef TB_GOST94_H
#define TB_GOST94_H

#include <stddef.h>

#define TB_GOST94_LEN 32

/* Writes the 32-byte hash of data, in the byte order `rhash --gost94` prints. */
void tb_gost94_test_digest(const unsigned char *data, size_t len,
    unsigned char out[TB_GOST94_LEN]);

#endif
