/*
 * Fuzz target: XML signature verification (xml_verify.c, xml_alg.c and,
 * behind them, libxml2's parser and canonicalization). The input is an
 * XML document as a client sends it to the verify op with format "xml",
 * with an IIN demanded and, for odd sizes, an element that must be
 * signed. Trust comes from TANBA_FUZZ_ANCHORS / TANBA_FUZZ_UNTRUSTED
 * (fuzz_pki.c); revocation is not checked. Every verdict must come back
 * as JSON.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>

#include "fuzz.h"
#include "xml.h"

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
	req.signed_element = size % 2 ? "/" : NULL;
	tb_error_clear(&e);
	r = tb_verify_xml(fz_trust(), &pol, NULL, &req, &res, &e);
	if (r != 0) {
		FZ_ASSERT(res == NULL && e.code == r);
		FZ_ASSERT(r == TB_ERR_TOO_LARGE || r == TB_ERR_NOMEM || r == TB_ERR_INVALID_ARG);
		goto out;
	}
	FZ_ASSERT(res != NULL && !res->is_cert);
	FZ_ASSERT(res->n_signers <= TB_XML_DEFAULT_SIGNATURES);
	fz_note("verdict %d, %zu signers", (int)res->verdict, res->n_signers);
	for (i = 0; i < res->n_signers; i++)
		FZ_ASSERT(res->signers[i].extra != NULL);
	FZ_ASSERT((j = tb_verify_result_to_json(res, "ru")) != NULL);
	json_decref(j);
out:
	tb_verify_result_free(res);
	ERR_clear_error();
	return 0;
}
