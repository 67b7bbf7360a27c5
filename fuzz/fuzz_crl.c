/*
 * Fuzz target: CRL parsing and indexing (crl_index.c) and the checks of
 * crl.c. The input is a DER CertificateList. It is indexed and loaded as
 * received (its signature cannot verify), then its signed bytes are
 * re-signed by a CA the target holds (fuzz_pki.c) so that everything
 * behind the signature check runs as well.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crl.h"
#include "crl_scope.h"
#include "fuzz.h"

#define CRL_MAX_ENTRIES 100000
#define CRL_SERIALS 16

/* Every entry a plain reading finds is in the index. */
static void
check_lookups(const tb_crl_index *ix, const tb_crl *crl, const unsigned char *tbs,
    size_t tbs_len)
{
	const unsigned char *serials[CRL_SERIALS];
	size_t lens[CRL_SERIALS], n, i;
	time_t at, at2;
	int why, why2, from_delta;

	n = fz_crl_serials(tbs, tbs_len, serials, lens, CRL_SERIALS);
	for (i = 0; i < n; i++) {
		FZ_ASSERT(tb_crl_index_lookup(ix, serials[i], lens[i], &at, &why) == 1);
		FZ_ASSERT(why >= TB_CRL_REASON_NONE && why <= 10);
		if (crl == NULL)
			continue;
		FZ_ASSERT(tb_crl_lookup(crl, NULL, serials[i], lens[i], &at2, &why2,
		    &from_delta) == 1);
		FZ_ASSERT(!from_delta && at2 == at && why2 == why);
	}
}

/*
 * Scope (crl_scope.c) on a hostile issuingDistributionPoint and hostile
 * certificateIssuer entries: it answers or refuses, and a CRL of
 * attribute certificates never covers a certificate.
 */
static void
check_scope(const tb_crl *crl, X509 *cert)
{
	const tb_crl_info *info = tb_crl_get_info(crl);
	unsigned mask = 0;
	time_t at;
	int r, why, from_delta;
	tb_error e;

	r = tb_crl_scope(crl, cert, &mask, &e);
	fz_note("scope: %s", r == 0 ? "covers" : e.detail);
	FZ_ASSERT(r == 0 || r == TB_ERR_REVOCATION_UNKNOWN);
	FZ_ASSERT(r != 0 || (mask & ~TB_CRL_REASONS_ALL) == 0);
	FZ_ASSERT(r != 0 || !info->only_attr_certs);
	FZ_ASSERT(r != 0 || mask == (mask & info->only_some_reasons));
	r = tb_crl_lookup_cert(crl, NULL, cert, &at, &why, &from_delta, &e);
	FZ_ASSERT(r == 0 || r == 1 || r < 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_crl_index *ix = NULL, *ix2 = NULL;
	tb_crl *crl = NULL;
	tb_crl_parts parts, parts2;
	const tb_crl_info *info, *li;
	tb_crl_policy pol;
	unsigned char *resigned = NULL;
	const unsigned char *issuer;
	size_t resigned_len, issuer_len;
	X509 *ca = NULL;
	json_t *s;
	tb_error e;
	int r, expect_ok;

	tb_error_clear(&e);
	if ((r = tb_crl_index_build(data, size, CRL_MAX_ENTRIES, &ix, &parts, &e)) != 0) {
		FZ_ASSERT(ix == NULL);
		FZ_ASSERT(r == TB_ERR_MALFORMED || r == TB_ERR_UNSUPPORTED ||
		    r == TB_ERR_TOO_LARGE || r == TB_ERR_NOMEM);
		return 0;
	}
	info = tb_crl_index_info(ix);
	FZ_ASSERT(info->version == 1 || info->version == 2);
	FZ_ASSERT(info->number_len <= TB_CRL_NUMBER_MAX && info->aki_len <= sizeof(info->aki));
	FZ_ASSERT(info->entries <= CRL_MAX_ENTRIES);
	issuer = tb_crl_index_issuer(ix, &issuer_len);
	FZ_ASSERT(issuer != NULL && issuer_len == parts.issuer.len &&
	    memcmp(issuer, parts.issuer.p, issuer_len) == 0);
	FZ_ASSERT(tb_crl_index_mem(ix) > 0);
	check_lookups(ix, NULL, parts.tbs.p, parts.tbs.len);

	if ((ca = fz_ca_named(parts.issuer.p, parts.issuer.len)) == NULL)
		goto out;
	memset(&pol, 0, sizeof(pol));
	pol.now = info->this_update;
	pol.max_entries = CRL_MAX_ENTRIES;
	pol.allow_expired = 1;
	/* As received: the signature is not the target's key, so never loaded. */
	FZ_ASSERT(tb_crl_load(data, size, ca, &pol, &crl, &e) != 0);

	if (fz_resign_crl(parts.tbs.p, parts.tbs.len, &resigned, &resigned_len) != 0)
		goto out;
	if (tb_crl_index_build(resigned, resigned_len, CRL_MAX_ENTRIES, &ix2, &parts2, &e) != 0)
		goto out;
	li = tb_crl_index_info(ix2);
	pol.now = li->this_update;
	/* Sound structure, the issuer's signature and a nextUpdate: it loads. */
	expect_ok = li->next_update != 0 && !(li->is_delta && li->version != 2);
	tb_error_clear(&e);
	r = tb_crl_load(resigned, resigned_len, ca, &pol, &crl, &e);
	fz_note("re-signed: %s, %zu entries", r == 0 ? "loaded" : e.detail, li->entries);
	if (!expect_ok) {
		FZ_ASSERT(r != 0 && crl == NULL);
		goto out;
	}
	if (r != 0)
		fprintf(stderr, "re-signed CRL refused: %s\n", e.detail);
	FZ_ASSERT(r == 0 && crl != NULL);
	info = tb_crl_get_info(crl);
	FZ_ASSERT(info->entries == li->entries && info->this_update == li->this_update &&
	    info->next_update == li->next_update && info->is_delta == li->is_delta);
	fz_note("issuer: %s", tb_crl_issuer_text(crl));
	/* The issuer text goes into JSON answers: it must be whole UTF-8. */
	FZ_ASSERT((s = json_string(tb_crl_issuer_text(crl))) != NULL);
	json_decref(s);
	FZ_ASSERT(tb_crl_mem(crl) > 0);
	if (info->next_update >= info->this_update)
		FZ_ASSERT(tb_crl_fresh(crl, info->this_update, 0, &e) == 0);
	FZ_ASSERT(tb_crl_fresh(crl, info->this_update - 3600, 0, &e) != 0);
	FZ_ASSERT(tb_crl_may_replace(NULL, crl, &e) == 0);
	FZ_ASSERT(tb_crl_may_replace(crl, crl, &e) == 0);
	FZ_ASSERT(tb_crl_delta_applies(crl, crl, &e) != 0);
	check_lookups(ix2, crl, parts2.tbs.p, parts2.tbs.len);
	check_scope(crl, ca);
 out:
	tb_crl_free(crl);
	tb_crl_index_free(ix);
	tb_crl_index_free(ix2);
	free(resigned);
	X509_free(ca);
	return 0;
}
