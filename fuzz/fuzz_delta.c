/*
 * Fuzz target: the delta CRL merge (crl.c, RFC 5280 5.2.4). The input is
 * two DER CertificateLists back to back, a base and a delta. Both are
 * re-signed by a CA the target holds (fuzz_pki.c) and named like the
 * base's issuer, so the merge rules run on any structure the index takes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crl.h"
#include "der_reader.h"
#include "fuzz.h"

#define DELTA_MAX_ENTRIES 100000
#define DELTA_SERIALS 16

/* Re-signs one CertificateList and loads it; NULL when it does not load. */
static tb_crl *
load_resigned(const tb_der *whole, X509 *ca, time_t now, tb_crl_index **ix,
    unsigned char **der, size_t *der_len, tb_crl_parts *parts)
{
	tb_crl_parts p;
	tb_crl_policy pol;
	tb_crl *crl = NULL;
	tb_error e;

	if (tb_crl_index_build(whole->p, whole->len, DELTA_MAX_ENTRIES, ix, &p, &e) != 0)
		return NULL;
	if (fz_resign_crl(p.tbs.p, p.tbs.len, der, der_len) != 0) {
		tb_crl_index_free(*ix);
		*ix = NULL;
		return NULL;
	}
	tb_crl_index_free(*ix);
	*ix = NULL;
	if (tb_crl_index_build(*der, *der_len, DELTA_MAX_ENTRIES, ix, parts, &e) != 0)
		return NULL;
	memset(&pol, 0, sizeof(pol));
	pol.now = now;
	/* The merge is what this target is for; times are fuzz_crl's. */
	pol.skew_s = 1 << 30;
	pol.max_entries = DELTA_MAX_ENTRIES;
	pol.allow_expired = 1;
	if (tb_crl_load(*der, *der_len, ca, &pol, &crl, &e) != 0) {
		fz_note("not loaded: %s", e.detail);
		return NULL;
	}
	return crl;
}

/* tb_crl_lookup over base + delta agrees with the two indexes read apart. */
static void
check_lookup(const tb_crl *base, const tb_crl *delta, const tb_crl_index *bix,
    const tb_crl_index *dix, const unsigned char *serial, size_t len)
{
	time_t at = 0, bat, dat;
	int why = 0, bwhy, dwhy, from_delta, got, in_base, in_delta;

	in_base = tb_crl_index_lookup(bix, serial, len, &bat, &bwhy);
	in_delta = tb_crl_index_lookup(dix, serial, len, &dat, &dwhy);
	got = tb_crl_lookup(base, delta, serial, len, &at, &why, &from_delta);
	FZ_ASSERT(from_delta == in_delta);
	if (in_delta && dwhy == TB_CRL_REASON_REMOVE) {
		FZ_ASSERT(got == 0);
	} else if (in_delta) {
		FZ_ASSERT(got == 1 && at == dat && why == dwhy);
	} else {
		FZ_ASSERT(got == in_base);
		if (got)
			FZ_ASSERT(at == bat && why == bwhy);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *serials[2 * DELTA_SERIALS];
	size_t lens[2 * DELTA_SERIALS], n, i;
	tb_crl_index *bix = NULL, *dix = NULL, *probe = NULL;
	tb_crl *base = NULL, *delta = NULL;
	tb_crl_parts bp, dp, pp;
	const tb_crl_info *bi, *di;
	unsigned char *bder = NULL, *dder = NULL, tag;
	size_t blen = 0, dlen = 0;
	tb_der in, bw, dw;
	X509 *ca = NULL;
	tb_error e;
	time_t now;

	tb_der_init(&in, data, size);
	if (tb_der_next(&in, &tag, NULL, &bw) != 0 || tb_der_next(&in, &tag, NULL, &dw) != 0)
		return 0;
	/* The CA is named like the base's issuer, the delta must match it. */
	if (tb_crl_index_build(bw.p, bw.len, DELTA_MAX_ENTRIES, &probe, &pp, &e) != 0 ||
	    (ca = fz_ca_named(pp.issuer.p, pp.issuer.len)) == NULL)
		goto out;
	now = tb_crl_index_info(probe)->this_update;
	if ((base = load_resigned(&bw, ca, now, &bix, &bder, &blen, &bp)) == NULL ||
	    (delta = load_resigned(&dw, ca, now, &dix, &dder, &dlen, &dp)) == NULL)
		goto out;
	bi = tb_crl_get_info(base);
	di = tb_crl_get_info(delta);
	tb_error_clear(&e);
	fz_note("delta: %s", tb_crl_delta_applies(base, delta, &e) == 0 ? "applies" : e.detail);
	if (tb_crl_delta_applies(base, delta, &e) == 0) {
		FZ_ASSERT(di->is_delta && !bi->is_delta && bi->has_number);
		FZ_ASSERT(tb_crl_number_cmp(di->number, di->number_len, bi->number,
		    bi->number_len) > 0);
	}
	if (bi->is_delta != di->is_delta) {
		FZ_ASSERT(tb_crl_may_replace(base, delta, &e) != 0);
		FZ_ASSERT(tb_crl_may_replace(delta, base, &e) != 0);
	}
	n = fz_crl_serials(bp.tbs.p, bp.tbs.len, serials, lens, DELTA_SERIALS);
	n += fz_crl_serials(dp.tbs.p, dp.tbs.len, serials + n, lens + n, DELTA_SERIALS);
	for (i = 0; i < n; i++)
		check_lookup(base, delta, bix, dix, serials[i], lens[i]);
 out:
	tb_crl_free(base);
	tb_crl_free(delta);
	tb_crl_index_free(bix);
	tb_crl_index_free(dix);
	tb_crl_index_free(probe);
	free(bder);
	free(dder);
	X509_free(ca);
	return 0;
}
