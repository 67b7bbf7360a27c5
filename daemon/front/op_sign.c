/*
 * The sign op, in the front: a CAdES-BES signature over the client's data
 * (base64) or over a digest it made, with a named key whose certificate is
 * valid now. The front hashes the document and sends the digest; the
 * signer process re-checks the client, builds the signed attributes
 * itself (its certificate, its clock, that digest), signs them and writes
 * the audit record before it answers; libsig assembles the CMS here around
 * the attributes and signature returned. Refusals decided here are audited
 * through the signer too. Never logs or keeps the document; never touches
 * a token.
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
#include "tsa_client.h"
#include "daemon.h"
#include "evidence.h"
#include "ops.h"
#include "proto.h"
#include "revocation.h"
#include "tb_clock.h"
#include "tb_log.h"

/* The document or digest of a request, checked for shape. */
typedef struct sign_input {
	unsigned char *data;
	size_t data_len;
	unsigned char digest[EVP_MAX_MD_SIZE];
	size_t digest_len;
	int md_nid;		/* 0: the key's default */
	int detached;
	int by_digest;
} sign_input;

static int
input_read(json_t *req, sign_input *in, tb_error *err)
{
	const char *spec = NULL;
	int has_data = json_object_get(req, "data") != NULL;
	int has_digest = json_object_get(req, "digest") != NULL;
	int detached = -1, r;

	if (has_data && has_digest)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "digest: give either data or digest, not both");
	if (!has_data && !has_digest)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "data: required field is missing (or give digest)");
	if ((r = tb_proto_get_bool(req, "detached", 0, &detached, err)) != 0 ||
	    (r = tb_ops_digest_alg_read(req, &in->md_nid, err)) != 0)
		return r;
	if (has_digest) {
		if ((r = tb_proto_get_string(req, "digest", 1, &spec, err)) != 0)
			return r;
		if (detached == 0)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "detached: a digest makes only a detached signature");
		if ((r = tb_ops_digest_read(req, &in->md_nid, in->digest, sizeof(in->digest),
		    &in->digest_len, err)) != 0)
			return r;
		in->by_digest = 1;
		in->detached = 1;
		return 0;
	}
	if ((r = tb_proto_get_b64(req, "data", 1, &in->data, &in->data_len, err)) != 0)
		return r;
	in->detached = detached == 1;
	return 0;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int
tb_op_sign(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_front_keys *ks = NULL;
	const tb_front_key *k;
	const char *name = NULL, *spec = NULL, *format = NULL;
	sign_input in;
	tb_sign_request sreq;
	tb_sc_ans *ans = NULL;
	tb_sc_signed sd;
	unsigned char *der = NULL, content_md[EVP_MAX_MD_SIZE];
	size_t der_len = 0, content_md_len = 0;
	int audited = 0, made = 0;
	char doc[TB_SC_DOC_MAX];
	struct timespec t0;
	time_t now;
	enum tb_stamp_want stamp = TB_STAMP_NO;
	int embed = 0;

	/* An XML document: an enveloped XMLDSig signature (op_sign_xml.c). */
	if ((r = tb_proto_get_string(req, "format", 0, &format, err)) != 0)
		return r;
	if (format != NULL && strcmp(format, "xml") == 0)
		return tb_op_sign_xml(d, client, req, result, err);
	/* A SOAP envelope with WS-Security (op_sign_wsse.c). */
	if (format != NULL && strcmp(format, "wsse") == 0)
		return tb_op_sign_wsse(d, client, req, result, err);
	if (format != NULL && strcmp(format, "cms") != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "format: \"cms\", \"xml\" or \"wsse\"");
	/* A CMS signature is over the whole content: no element to name, no Timestamp. */
	if (json_object_get(req, "reference") != NULL || json_object_get(req, "ttl") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: only with format \"%s\"",
		    json_object_get(req, "reference") != NULL ? "reference" : "ttl",
		    json_object_get(req, "reference") != NULL ? "xml" : "wsse");
	/* On an existing CMS: co-signing or a counter-signature (op_cosign.c). */
	if (json_object_get(req, "cms") != NULL)
		return tb_op_cosign(d, client, req, result, err);
	/* Several documents or digests in one request: daemon/front/op_sign_batch.c. */
	if (tb_op_sign_is_batch(req))
		return tb_op_sign_batch(d, client, req, result, err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&in, 0, sizeof(in));
	doc[0] = '\0';
	if ((r = tb_ops_sign_key_name(req, client, &name, err)) != 0)
		goto out;
	if ((r = input_read(req, &in, err)) != 0 ||
	    (r = tb_stamp_want_read(req, &stamp, err)) != 0 ||
	    (r = tb_evidence_want_read(req, &embed, err)) != 0)
		goto out;
	if (in.by_digest && tb_proto_get_string(req, "digest", 1, &spec, NULL) == 0)
		snprintf(doc, sizeof(doc), "%.*s", (int)sizeof(doc) - 1, spec);
	else if (!in.by_digest)
		tb_ops_digest_text(in.data, in.data_len, doc, sizeof(doc));
	if ((r = tb_ops_sign_key(d, name, &ks, &k, err)) != 0)
		goto out;
	memset(&sreq, 0, sizeof(sreq));
	sreq.md_nid = in.md_nid != 0 ? in.md_nid : k->md_nid;
	if ((r = tb_ops_digest_fits_key(k, sreq.md_nid, err)) != 0)
		goto out;
	sreq.detached = in.detached;
	sreq.data = in.by_digest ? NULL : in.data;
	sreq.data_len = in.data_len;
	sreq.digest = in.by_digest ? in.digest : NULL;
	sreq.digest_len = in.digest_len;
	/* The CMS's largest DER, a time-stamp token and validation data included. */
	if ((r = tb_ops_answer_fits(d, req, k, tb_cms_sign_bound(k->cert, k->chain, &sreq) +
	    (stamp ? tb_stamp_bound(d) : 0) + (embed ? tb_evidence_bound(d) : 0),
	    "; sign by digest instead", err)) != 0)
		goto out;
	/*
	 * The signer builds the signed attributes around the document's digest
	 * with its own clock and certificate, and signs them; the CMS is built
	 * here around what it returned.
	 */
	if ((r = tb_ops_content_digest(k, &sreq, content_md, &content_md_len, err)) != 0 ||
	    (r = tb_daemon_sign(d, client, name, k->cert_sha256, sreq.md_nid, content_md,
	    content_md_len, in.detached, &ans, &sd, &audited, err)) != 0) {
		tb_error_f(r, "uid %u key %s: %s", client->uid, name, err->detail);
		goto out;
	}
	made = 1;
	if ((r = tb_ops_assemble(k, &sreq, content_md, content_md_len, sd.attrs, sd.attrs_len,
	    sd.sig, sd.sig_len, sd.signing_time, &der, &der_len, err)) != 0) {
		tb_error_f(r, "uid %u key %s: %s", client->uid, name, err->detail);
		goto out;
	}
	now = (time_t)sd.signing_time;
	/* CAdES-T: the front stamps the assembled CMS (daemon/front/tsa_client.c). */
	if (stamp && (r = tb_stamp_cms(d, stamp, -1, &der, &der_len, result, err)) != 0)
		goto out;
	/* Validation data last, so that the TSA's path is in it too (daemon/front/evidence.c). */
	if (embed && (r = tb_evidence_embed(d, &der, &der_len, result, err)) != 0)
		goto out;
	if ((r = tb_ops_sign_answer(result, name, k->signer_info, der, der_len, now, err)) != 0)
		goto out;
	tb_metrics_inc(tb_daemon_metrics(d), TB_COUNT_SIGNATURES);
	tb_metrics_sign_latency(tb_daemon_metrics(d), ms_since(&t0));
	tb_info_f("uid %u pid %d: signed with key %s (%s, %zu bytes of CMS)", client->uid,
	    client->pid, name, in.by_digest ? "digest" : in.detached ? "detached" : "attached",
	    der_len);
	r = 0;
out:
	/*
	 * Every refusal leaves a record too. Once the signer had the request it
	 * recorded the outcome itself (the signature was on disk before it
	 * answered). A signer that died meanwhile may have recorded it or not:
	 * the refusal is recorded once it is back (a failed try is logged). A
	 * signature the signer recorded ok that is not answered (the TSA or the
	 * evidence failed) gets a record saying it was withheld.
	 */
	tb_ops_sign_failed(d, client, name, doc, r, audited, made, err);
	free(ans);
	OPENSSL_free(der);
	free(in.data);
	tb_front_keys_unref(ks);
	return r;
}
