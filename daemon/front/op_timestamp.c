/*
 * The timestamp op: adds an RFC 3161 signatureTimeStampToken (CAdES-T) from
 * the [tsa] TSA to a CMS the client hands in, for every signer or the one
 * named, as `tanba timestamp` does on its own. Each token is verified
 * before it is added (libsig/tst_client.c) and the signed content and
 * signed attributes stay byte for byte. No key is used and the signer
 * process is not asked: the TSA signs, and its token is what the answer
 * carries. The CMS itself is not verified here: a stamp proves when its
 * signature value existed, not that it is good; verify says that.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cms_sign.h"
#include "conf.h"
#include "daemon.h"
#include "evidence.h"
#include "ops.h"
#include "proto.h"
#include "tb_log.h"
#include "tsa_client.h"

/* The request's "signer": absent (-1, every signer) or an index of the CMS's signers. */
static int
signer_read(json_t *req, int n_signers, int *signer, tb_error *err)
{
	json_t *v = json_object_get(req, "signer");

	*signer = -1;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= n_signers)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "signer: an index from 0 to %d "
		    "(the CMS has %d signer(s))", n_signers - 1, n_signers);
	*signer = (int)json_integer_value(v);
	return 0;
}

/* The number of signers of a DER SignedData, or an error naming the field. */
static int
count_signers(const unsigned char *der, size_t len, int *n, tb_error *err)
{
	const unsigned char *p = der;
	CMS_ContentInfo *ci = NULL;
	int r = 0;

	if (len > LONG_MAX || (ci = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    p != der + len || OBJ_obj2nid(CMS_get0_type(ci)) != NID_pkcs7_signed)
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "cms: not a DER CMS SignedData");
	else if ((*n = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(ci))) <= 0)
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "cms: the SignedData has no signer");
	/* The bound verification and co-signing keep: each signer costs a TSA round trip. */
	else if (*n > TB_CMS_SIGNERS_MAX)
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "cms: %d signers, at most %d are "
		    "time-stamped", *n, TB_CMS_SIGNERS_MAX);
	ERR_clear_error();
	CMS_ContentInfo_free(ci);
	return r;
}

int
tb_op_timestamp(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	tb_config *cfg = tb_daemon_config(d);
	unsigned char *raw = NULL, *der = NULL;
	size_t raw_len = 0, der_len = 0, grown, bound;
	char *b64 = NULL;
	int n_signers = 0, signer = -1, embed = 0, r = TB_ERR_INTERNAL;

	if ((r = tb_proto_get_b64(req, "cms", 1, &raw, &raw_len, err)) != 0)
		goto out;
	/* tb_stamp_cms replaces the CMS with an OPENSSL_malloc'd one: one allocator throughout. */
	if ((der = OPENSSL_memdup(raw, raw_len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "cms");
		goto out;
	}
	der_len = raw_len;
	if ((r = count_signers(der, der_len, &n_signers, err)) != 0 ||
	    (r = signer_read(req, n_signers, &signer, err)) != 0 ||
	    (r = tb_evidence_want_read(req, &embed, err)) != 0)
		goto out;
	/* The answer must fit a frame: refused before the TSA is asked. */
	grown = der_len + (size_t)(signer < 0 ? n_signers : 1) * tb_stamp_bound(d) +
	    (embed ? tb_evidence_bound(d) : 0);
	bound = 4 * ((grown + 2) / 3) + 128;
	if (bound > cfg->max_frame_bytes) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "cms: the stamped CMS could be up to %zu "
		    "bytes of answer, over max_frame_bytes %zu", bound, cfg->max_frame_bytes);
		goto out;
	}
	if ((r = tb_stamp_cms(d, TB_STAMP_YES, signer, &der, &der_len, result, err)) != 0 ||
	    (embed && (r = tb_evidence_embed(d, &der, &der_len, result, err)) != 0))
		goto out;
	if ((b64 = tb_b64_encode(der, der_len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "answer");
		goto out;
	}
	json_object_set_new(result, "cms", json_string(b64));
	json_object_set_new(result, "stamped", json_integer(signer < 0 ? n_signers : 1));
	tb_info_f("uid %u pid %d: time-stamped %s of a CMS (%zu bytes)", client->uid,
	    client->pid, signer < 0 ? "every signer" : "one signer", der_len);
	r = 0;
out:
	free(b64);
	free(raw);
	OPENSSL_free(der);
	tb_config_unref(cfg);
	return r;
}
