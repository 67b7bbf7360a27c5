/*
 * The one place tanba touches OpenSSL's deprecated ENGINE API: Debian 12's
 * gost provider (gostprov 3.0.1) offers only hashes and ciphers, so GOST
 * public-key methods come from the gost engine. Internal to libsig/gost*.c.
 */
#ifndef TB_GOST_ENGINE_H
#define TB_GOST_ENGINE_H

#include <stddef.h>

/*
 * Loads the gost engine and registers its key decoding and signature
 * methods, so that d2i_PUBKEY and EVP_PKEY_CTX_new_id find the Russian
 * GOST key types. Not thread-safe: call once, under a run-once guard.
 * Returns 0 when the methods are usable; on failure writes why to why.
 */
int tb_gost_engine_load(char *why, size_t why_len);

#endif
