/*
 * Fuzz target: NCA key containers (libsig/p12_read.c) and the GOST key
 * inside (gost_key.c, gost.c's PKCS#8 mapping), what tanbad-signer reads
 * for a file key. Input: one byte n (at most 64), n bytes of password, the
 * container. It is opened as received (the MAC decides) and, when it
 * parses as a PKCS12, once more with its MAC made anew under that password,
 * so that mutated bags, PBE parameters and keys get past the MAC to the
 * decoders. Every outcome must be one of the documented codes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>

#include "fuzz.h"
#include "gost_key.h"
#include "p12_read.h"

#define PASSWORD_MAX 64

static void
open_one(const unsigned char *der, size_t len, const char *pw)
{
	tb_p12 *box = NULL;
	tb_gost_key *k = NULL;
	char oid[80];
	tb_error e;
	int r;

	tb_error_clear(&e);
	r = tb_p12_read(der, len, pw, &box, &e);
	fz_note("p12: %s", r == 0 ? "open" : e.detail);
	FZ_ASSERT(r == 0 || r == TB_ERR_MALFORMED || r == TB_ERR_PIN_INCORRECT ||
	    r == TB_ERR_NO_KEY || r == TB_ERR_NO_CERT || r == TB_ERR_UNSUPPORTED ||
	    r == TB_ERR_NOMEM || r == TB_ERR_INVALID_ARG || r == TB_ERR_CRYPTO);
	if (r == 0) {
		FZ_ASSERT(box != NULL && box->p8 != NULL && box->cert != NULL);
		tb_p12_key_oid(box, oid, sizeof(oid));
		FZ_ASSERT(strlen(oid) < sizeof(oid));
	}
	tb_p12_free(box);
	if (r != 0)
		return;
	/* The signer's whole load: the key made for the engine and checked against its certificate. */
	tb_error_clear(&e);
	r = tb_gost_key_load_p12_mem(der, len, pw, &k, &e);
	fz_note("gost key: %s", r == 0 ? tb_gost_key_info(k)->name : e.detail);
	FZ_ASSERT(r == 0 || r == TB_ERR_MALFORMED || r == TB_ERR_UNSUPPORTED ||
	    r == TB_ERR_CRYPTO || r == TB_ERR_NO_KEY || r == TB_ERR_NO_CERT ||
	    r == TB_ERR_NOMEM || r == TB_ERR_INVALID_ARG || r == TB_ERR_PIN_INCORRECT);
	FZ_ASSERT((r == 0) == (k != NULL));
	if (k != NULL)
		FZ_ASSERT(tb_gost_key_cert(k) != NULL && tb_gost_key_info(k)->hash_len > 0);
	tb_gost_key_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pw[PASSWORD_MAX + 1];
	const unsigned char *p;
	unsigned char *again = NULL;
	PKCS12 *p12;
	size_t n;
	int len;

	if (size < 1 || (n = data[0]) > PASSWORD_MAX || size < 1 + n)
		return 0;
	memcpy(pw, data + 1, n);
	pw[n] = '\0';
	if (strlen(pw) != n)
		return 0;	/* a password file holds no NUL */
	open_one(data + 1 + n, size - 1 - n, pw);
	p = data + 1 + n;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)(size - 1 - n))) != NULL &&
	    PKCS12_set_mac(p12, pw, (int)n, NULL, 0, 1, NULL) == 1 &&
	    (len = i2d_PKCS12(p12, &again)) > 0)
		open_one(again, (size_t)len, pw);
	OPENSSL_free(again);
	PKCS12_free(p12);
	ERR_clear_error();
	return 0;
}
