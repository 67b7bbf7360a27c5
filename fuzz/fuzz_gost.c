/*
 * Fuzz target: GOST signature and key decoding (gost.c). The input is a
 * DER certificate, optionally followed by its issuer's; the first one's
 * signature is checked with tb_gost_verify under the issuer's key (its
 * own when alone), exactly over the signed bytes received, with and
 * without a CMS digest algorithm. Keys, parameters, OIDs and signature
 * values are all fuzzed; the engine does the arithmetic.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "der_reader.h"
#include "fuzz.h"
#include "gost.h"

/* Kazakh and Russian hash OIDs, as a SignerInfo's digestAlgorithm names them. */
static const char *const hash_oids[] = {
	"1.2.398.3.10.1.3.3", "1.2.398.3.10.1.3.2", "1.2.643.7.1.1.2.3", "1.2.643.7.1.1.2.2"
};

static X509_ALGOR *
algor(const char *oid)
{
	X509_ALGOR *a;
	ASN1_OBJECT *o;

	FZ_ASSERT((a = X509_ALGOR_new()) != NULL);
	FZ_ASSERT((o = OBJ_txt2obj(oid, 1)) != NULL);
	FZ_ASSERT(X509_ALGOR_set0(a, o, V_ASN1_UNDEF, NULL));
	return a;
}

static void
verify(const X509_ALGOR *dalg, const X509_ALGOR *salg, X509_PUBKEY *spki,
    const tb_der *tbs, const tb_der *sig)
{
	tb_sigalg_info info;
	tb_error e;
	int r;

	tb_error_clear(&e);
	r = tb_gost_verify(dalg, salg, spki, tbs->p, tbs->len, sig->p, sig->len, &info, &e);
	fz_note("%s", r == 0 ? info.name : e.detail);
	FZ_ASSERT(r == 0 || r == TB_ERR_CRYPTO || r == TB_ERR_UNSUPPORTED ||
	    r == TB_ERR_MALFORMED || r == TB_ERR_INVALID_ARG || r == TB_ERR_NOMEM);
	FZ_ASSERT(r == 0 || e.code == r);
	if (r == 0)
		FZ_ASSERT(info.key_bits == 256 || info.key_bits == 512);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p;
	X509 *cert = NULL, *issuer = NULL;
	X509_ALGOR *salg = NULL, *dalg;
	X509_PUBKEY *spki;
	tb_der in, cw, iw, c, tbs, alg, bits, sig;
	unsigned char tag;
	size_t i;

	tb_der_init(&in, data, size);
	if (tb_der_next(&in, &tag, &c, &cw) != 0 || tag != TB_DER_SEQUENCE)
		return 0;
	/* Certificate { tbsCertificate, signatureAlgorithm, signatureValue }. */
	if (tb_der_next(&c, &tag, NULL, &tbs) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, NULL, &alg) != 0 ||
	    tb_der_expect(&c, TB_DER_BIT_STRING, &bits, NULL) != 0 ||
	    tb_der_bits(&bits, &sig) != 0)
		return 0;
	p = alg.p;
	if ((salg = d2i_X509_ALGOR(NULL, &p, (long)alg.len)) == NULL)
		goto out;
	(void)tb_gost_is_gost_oid(salg->algorithm);
	p = cw.p;
	if ((cert = d2i_X509(NULL, &p, (long)cw.len)) == NULL)
		goto out;
	if (tb_der_next(&in, &tag, NULL, &iw) == 0) {
		p = iw.p;
		issuer = d2i_X509(NULL, &p, (long)iw.len);
	}
	spki = X509_get_X509_PUBKEY(issuer != NULL ? issuer : cert);
	verify(NULL, salg, spki, &tbs, &sig);
	for (i = 0; i < sizeof(hash_oids) / sizeof(hash_oids[0]); i++) {
		dalg = algor(hash_oids[i]);
		verify(dalg, salg, spki, &tbs, &sig);
		X509_ALGOR_free(dalg);
	}
 out:
	X509_ALGOR_free(salg);
	X509_free(cert);
	X509_free(issuer);
	ERR_clear_error();
	return 0;
}
