/*
 * Fuzz target: CMS verification input (verify.c, cms_verify.c,
 * x509_path.c). The input is a CMS SignedData (DER or PEM) as a client
 * sends it to the verify op, with an IIN and role demanded. Trust comes
 * from TANBA_FUZZ_ANCHORS / TANBA_FUZZ_UNTRUSTED (fuzz_pki.c); revocation
 * is not checked. Every verdict must come back as JSON. The same input's
 * embedded validation data (cms_evidence.c) is read, and added to itself:
 * entries already there are not added twice, and what was readable stays
 * readable. OpenSSL's own DER of a CMS it read is not always readable
 * again (an AlgorithmIdentifier parameter tagged 0x20 comes back as an
 * end-of-contents 00 00: fuzz/crashes/cms/alg-param-eoc.der); only then
 * may the output fail to read, as its input does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cms_evidence.h"
#include "fuzz.h"
#include "verify.h"

static const char *const roles[] = { "individual", "first_head" };

static void
evidence_round_trip(const uint8_t *data, size_t size)
{
	tb_cms_evidence ev, again;
	unsigned char *out = NULL;
	size_t out_len = 0;
	tb_error e;

	tb_error_clear(&e);
	if (tb_cms_evidence_read(data, size, &ev, &e) != 0)
		return;
	FZ_ASSERT(ev.n_crls <= TB_EVIDENCE_MAX && ev.n_ocsp <= TB_EVIDENCE_MAX);
	if (tb_cms_evidence_add(ev.owned, ev.owned_len, &ev, &out, &out_len, &e) == 0) {
		if (tb_cms_evidence_read(out, out_len, &again, &e) == 0) {
			FZ_ASSERT(again.n_crls == ev.n_crls && again.n_ocsp == ev.n_ocsp);
			tb_cms_evidence_clear(&again);
		} else {
			/* Unreadable only where the input's own DER is. */
			FZ_ASSERT(tb_cms_evidence_read(ev.owned, ev.owned_len, &again, &e) != 0);
		}
	}
	OPENSSL_free(out);
	tb_cms_evidence_clear(&ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	json_t *j;
	tb_error e;
	size_t i;
	int r;

	tb_verify_policy_default(&pol);
	pol.max_input_bytes = 1024 * 1024;
	memset(&req, 0, sizeof(req));
	req.input = data;
	req.input_len = size;
	req.iin = "900101300126";
	req.roles = roles;
	req.n_roles = 2;
	/* Odd sizes take the signing time, so both time paths are fuzzed. */
	req.time = size % 2 ? TB_TIME_SIGNING : TB_TIME_POLICY;
	tb_error_clear(&e);
	r = tb_verify_cms(fz_trust(), &pol, NULL, &req, &res, &e);
	if (r != 0) {
		FZ_ASSERT(res == NULL && e.code == r);
		/* The request itself is sound: only size and memory may stop it. */
		FZ_ASSERT(r == TB_ERR_TOO_LARGE || r == TB_ERR_NOMEM || r == TB_ERR_INVALID_ARG);
		goto out;
	}
	FZ_ASSERT(res != NULL && !res->is_cert);
	fz_note("verdict %d, %zu signers", (int)res->verdict, res->n_signers);
	for (i = 0; i < res->n_signers; i++)
		FZ_ASSERT(res->signers[i].id.n_roles <= TB_ID_MAX_ROLES);
	FZ_ASSERT((j = tb_verify_result_to_json(res, "kk")) != NULL);
	json_decref(j);
	FZ_ASSERT((j = tb_verify_result_to_json(res, NULL)) != NULL);
	json_decref(j);
 out:
	tb_verify_result_free(res);
	evidence_round_trip(data, size);
	ERR_clear_error();
	return 0;
}
