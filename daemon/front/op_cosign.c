/*
 * The sign op on an existing CMS (a "cms" field), in the front: co-signing
 * (a new SignerInfo beside the others, over the same content) or, with
 * "countersign": N, a counter-signature on signer N (RFC 5652 11.4). The
 * front computes what is signed (the content digest, checked against the
 * existing signers' messageDigest; or the hash of signer N's signature
 * value) and sends it as for a plain sign; the signer process checks the
 * client, builds the attributes itself (without contentType for a
 * counter-signature, which the request says), signs and audits. libsig
 * puts the result into the CMS and checks that the other SignerInfos kept
 * their bytes. A GOST file key co-signs with its Streebog and the GOST
 * writer's SignerInfo; it does not counter-sign.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "cms_sign.h"
#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "revocation.h"
#include "tb_clock.h"
#include "tb_log.h"

/* What a request on an existing CMS carries. */
typedef struct cosign_input {
	unsigned char *cms;
	size_t cms_len;
	unsigned char *data;		/* detached content, or NULL */
	size_t data_len;
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t digest_len;		/* 0: no digest given */
	int md_nid;			/* 0: the key's default */
	int target;			/* countersign: the signer's number; -1: co-sign */
} cosign_input;

static int
input_read(json_t *req, cosign_input *in, tb_error *err)
{
	json_t *n = json_object_get(req, "countersign");
	int r;

	in->target = -1;
	if (json_object_get(req, "detached") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "detached: with cms the CMS decides whether the content is carried");
	if (json_object_get(req, "timestamp") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "timestamp: not offered with cms (stamp the new CMS with a plain sign)");
	if ((r = tb_proto_get_b64(req, "cms", 1, &in->cms, &in->cms_len, err)) != 0 ||
	    (r = tb_ops_digest_alg_read(req, &in->md_nid, err)) != 0)
		return r;
	if (n != NULL) {
		if (!json_is_integer(n) || json_integer_value(n) < 0 ||
		    json_integer_value(n) >= TB_CMS_SIGNERS_MAX)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "countersign: the number of a "
			    "signer (0 to %d)", TB_CMS_SIGNERS_MAX - 1);
		in->target = (int)json_integer_value(n);
		if (json_object_get(req, "data") != NULL || json_object_get(req, "digest") != NULL)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "countersign: signs a "
			    "signature value: give neither data nor digest");
		return 0;
	}
	if (json_object_get(req, "data") != NULL && json_object_get(req, "digest") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "digest: give either data or digest, not both");
	if (json_object_get(req, "digest") != NULL)
		return tb_ops_digest_read(req, &in->md_nid, in->digest, sizeof(in->digest),
		    &in->digest_len, err);
	return tb_proto_get_b64(req, "data", 0, &in->data, &in->data_len, err);
}

/* The new CMS must fit in one answer frame: refused before anything is signed. */
static int
answer_fits(struct tb_daemon *d, const tb_front_key *k, const cosign_input *in, tb_error *err)
{
	tb_config *cfg = tb_daemon_config(d);
	tb_sign_request shape;
	size_t cms, bound;
	int r = 0;

	memset(&shape, 0, sizeof(shape));
	shape.detached = 1;	/* the content, if any, is in the input already */
	cms = in->cms_len + tb_cms_sign_bound(k->cert, k->chain, &shape);
	bound = 4 * ((cms + 2) / 3) + 6 * strlen(k->name) + 4096;
	if (bound > cfg->max_frame_bytes)
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "cms: the answer could be up to %zu bytes, "
		    "over max_frame_bytes %zu", bound, cfg->max_frame_bytes);
	tb_config_unref(cfg);
	return r;
}

int
tb_op_cosign(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	tb_front_keys *ks = NULL;
	const tb_front_key *k;
	const char *name = NULL;
	cosign_input in;
	tb_sign_request sreq;
	tb_sc_ans *ans = NULL;
	tb_sc_signed sd;
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	size_t der_len = 0, md_len = 0;
	int r, md_nid, attached = 0, audited = 0, made = 0, index = -1, gost;
	char doc[TB_SC_DOC_MAX];

	memset(&in, 0, sizeof(in));
	doc[0] = '\0';
	if ((r = tb_ops_sign_key_name(req, client, &name, err)) != 0)
		goto out;
	if ((r = input_read(req, &in, err)) != 0)
		goto out;
	if ((r = tb_ops_sign_key(d, name, &ks, &k, err)) != 0 ||
	    (r = answer_fits(d, k, &in, err)) != 0)
		goto out;
	gost = tb_cms_cert_is_gost(k->cert);
	/* A GOST counter-signature would need the GOST writer to build it: not offered. */
	if (gost && in.target >= 0) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "countersign: key %s is a GOST file "
		    "key: it co-signs, but counter-signatures are for token keys (RSA, EC)",
		    name);
		goto out;
	}
	md_nid = in.md_nid != 0 ? in.md_nid : k->md_nid;
	if ((r = tb_ops_digest_fits_key(k, md_nid, err)) != 0)
		goto out;
	memset(&sreq, 0, sizeof(sreq));
	sreq.md_nid = md_nid;
	sreq.data = in.data;
	sreq.data_len = in.data_len;
	sreq.digest = in.digest_len != 0 ? in.digest : NULL;
	sreq.digest_len = in.digest_len;
	if (in.target >= 0)
		r = tb_cms_counter_digest(in.cms, in.cms_len, in.target, md_nid, md, &md_len, err);
	else
		r = tb_cms_cosign_digest(in.cms, in.cms_len, &sreq, &attached, md, &md_len, err);
	if (r != 0)
		goto out;
	tb_ops_digest_hex(md_nid, md, md_len, doc, sizeof(doc));
	if ((r = tb_daemon_sign(d, client, name, k->cert_sha256, md_nid, md, md_len,
	    in.target >= 0 ? TB_SIGN_COUNTER : !attached, &ans, &sd, &audited, err)) != 0)
		goto fail;
	made = 1;
	if (in.target >= 0)
		r = tb_cms_counter_assemble(in.cms, in.cms_len, in.target, k->cert, k->chain,
		    md_nid, sd.attrs, sd.attrs_len, sd.sig, sd.sig_len, &der, &der_len, err);
	else if (gost)
		r = tb_cms_cosign_gost_assemble(in.cms, in.cms_len, k->cert, k->chain,
		    k->gost_ess, k->gost_ess_len, md, md_len, sd.attrs, sd.attrs_len, sd.sig, sd.sig_len, (time_t)sd.signing_time, &der,
		    &der_len, &index, err);
	else
		r = tb_cms_cosign_assemble(in.cms, in.cms_len, k->cert, k->chain, md_nid, md,
		    md_len, sd.attrs, sd.attrs_len, sd.sig, sd.sig_len, &der, &der_len, &index,
		    err);
	if (r != 0)
		goto fail;
	if ((r = tb_ops_sign_answer(result, name, k->signer_info, der, der_len,
	    (time_t)sd.signing_time, err)) != 0)
		goto out;
	if (in.target >= 0)
		json_object_set_new(result, "countersigned", json_integer(in.target));
	else
		json_object_set_new(result, "signer_index", json_integer(index));
	tb_metrics_inc(tb_daemon_metrics(d), TB_COUNT_SIGNATURES);
	tb_info_f("uid %u pid %d: %s with key %s (%zu bytes of CMS)", client->uid, client->pid,
	    in.target >= 0 ? "counter-signed" : "co-signed", name, der_len);
	r = 0;
	goto out;
fail:
	tb_error_f(r, "uid %u key %s: %s", client->uid, name, err->detail);
out:
	/* As a plain sign: every refusal leaves a record, once. */
	tb_ops_sign_failed(d, client, name, doc, r, audited, made, err);
	free(ans);
	OPENSSL_free(der);
	free(in.data);
	free(in.cms);
	tb_front_keys_unref(ks);
	return r;
}
