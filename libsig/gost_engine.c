/*
 * Loads Debian's gost engine for its GOST R 34.10-2001/2012 key and
 * signature methods, which its provider (gostprov 3.0.1) does not offer.
 * Only the key methods are registered: digests and ciphers of the rest of
 * the process stay OpenSSL's. It must never become the default engine.
 */
/* The ENGINE API is deprecated in OpenSSL 3.0; this file is its only user. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "config.h"

#include <stdio.h>

#include <openssl/engine.h>
#include <openssl/err.h>

#include "gost_engine.h"

int
tb_gost_engine_load(char *why, size_t why_len)
{
	ENGINE *e = NULL;
	int r = -1;

	ERR_set_mark();
	/* Finds gost.so in OPENSSL_ENGINES or the built-in engines directory. */
	if ((e = ENGINE_by_id("gost")) == NULL) {
		snprintf(why, why_len, "gost engine not found");
		goto out;
	}
	if (!ENGINE_init(e)) {
		snprintf(why, why_len, "gost engine failed to initialise");
		goto out;
	}
	/*
	 * The asn1 methods let d2i_PUBKEY decode a Russian-OID SPKI; the pkey
	 * methods do the sign and verify. The engine tables keep their own
	 * reference, so ours is dropped below. Nothing is set as default.
	 */
	if (!ENGINE_register_pkey_asn1_meths(e) || !ENGINE_register_pkey_meths(e)) {
		snprintf(why, why_len, "gost engine key methods not registered");
		ENGINE_finish(e);
		goto out;
	}
	r = 0;
 out:
	ENGINE_free(e);
	/* A missing engine is a state we report, not an error for the caller. */
	ERR_pop_to_mark();
	return r;
}
