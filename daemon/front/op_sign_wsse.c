/*
 * sign with "format": "wsse": a SOAP envelope signed with WS-Security for
 * the e-government gateway (docs/XML.md "WS-Security through tanbad"),
 * with a token key or a GOST file key. Split as op_sign_xml.c: the front
 * parses the envelope and sends the Body's reference digest and URI and
 * the ID the Timestamp is to have; the signer makes the Timestamp from its
 * own clock, builds and signs the SignedInfo over Body and Timestamp and
 * records both digests; the front writes that Timestamp and the signature
 * into the envelope once the SignedInfo is checked to be the one for them
 * (libsig/xml_wsse_split.c). Never logs or keeps the document.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "tb_clock.h"
#include "tb_log.h"
#include "xml.h"
#include "xml_signed_info.h"

/* Bytes the header adds besides the certificate (twice: token, base64 with line breaks). */
#define WSSE_OVERHEAD 6144
#define TTL_DEFAULT 300

/* Fields a WS-Security signature has no place for. */
static int
other_fields(json_t *req, tb_error *err)
{
	if (json_object_get(req, "reference") != NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference: not with format \"wsse\" "
		    "(the signature is over the envelope's Body and its own Timestamp)");
	return tb_ops_xml_cms_only(req, "wsse", err);
}

/* "ttl": whole seconds, 1 to TB_WSSE_TTL_MAX; TTL_DEFAULT when absent. */
static int
ttl_read(json_t *req, long *ttl, tb_error *err)
{
	json_t *v = json_object_get(req, "ttl");

	*ttl = TTL_DEFAULT;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > TB_WSSE_TTL_MAX)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "ttl: whole seconds, 1 to %d",
		    TB_WSSE_TTL_MAX);
	*ttl = (long)json_integer_value(v);
	return 0;
}

int
tb_op_sign_wsse(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	tb_front_keys *ks = NULL;
	const tb_front_key *k;
	const char *name = NULL;
	unsigned char *data = NULL, *out = NULL;
	size_t data_len = 0, out_len = 0;
	tb_wsse_split *split = NULL;
	tb_wsse_split_refs refs;
	tb_xml_limits lim;
	tb_sc_ans *ans = NULL;
	tb_sc_signed sd;
	char doc[TB_SC_DOC_MAX], when[32];
	long ttl = TTL_DEFAULT;
	int r, md_nid = 0, audited = 0, made = 0;

	doc[0] = '\0';
	if ((r = tb_ops_sign_key_name(req, client, &name, err)) != 0 ||
	    (r = other_fields(req, err)) != 0 ||
	    (r = ttl_read(req, &ttl, err)) != 0 ||
	    (r = tb_ops_digest_alg_read(req, &md_nid, err)) != 0 ||
	    (r = tb_proto_get_b64(req, "data", 1, &data, &data_len, err)) != 0)
		goto out;
	tb_ops_digest_text(data, data_len, doc, sizeof(doc));
	/* The envelope is taken under the limits the verifier applies ([verify] xml_max_*). */
	tb_ops_xml_limits(d, &lim);
	if ((r = tb_ops_sign_key(d, name, &ks, &k, err)) != 0 ||
	    (r = tb_ops_digest_fits_key(k, md_nid != 0 ? md_nid : k->md_nid, err)) != 0 ||
	    (r = tb_ops_answer_fits(d, req, k, data_len + WSSE_OVERHEAD +
	    4 * (size_t)i2d_X509(k->cert, NULL), "", err)) != 0 ||
	    (r = tb_wsse_split_begin(k->cert, md_nid != 0 ? md_nid : k->md_nid, ttl, data,
	    data_len, &lim, &split, &refs, err)) != 0)
		goto out;
	if ((r = tb_daemon_sign_wsse(d, client, name, k->cert_sha256, refs.md_nid,
	    refs.body_digest, refs.body_digest_len, refs.body_uri, refs.ts_id, ttl, &ans, &sd,
	    &audited, err)) != 0) {
		tb_error_f(r, "uid %u key %s: SOAP: %s", client->uid, name, err->detail);
		goto out;
	}
	/* Made and recorded by the signer under the Body's digest: named so from here. */
	made = 1;
	tb_ops_digest_hex(refs.md_nid, refs.body_digest, refs.body_digest_len, doc, sizeof(doc));
	if ((r = tb_wsse_split_finish(split, (time_t)sd.signing_time, sd.attrs, sd.attrs_len,
	    sd.sig, sd.sig_len, &out, &out_len, err)) != 0 ||
	    (r = tb_ops_answer_fits(d, req, k, out_len, " (the envelope as written back)",
	    err)) != 0 ||
	    (r = tb_ops_sign_answer(result, name, k->signer_info, out, out_len,
	    (time_t)sd.signing_time, err)) != 0) {
		tb_error_f(r, "uid %u key %s: SOAP: %s", client->uid, name, err->detail);
		goto out;
	}
	json_object_set(result, "xml", json_object_get(result, "cms"));
	json_object_del(result, "cms");
	json_object_set_new(result, "format", json_string("wsse"));
	tb_clock_format((time_t)sd.signing_time + ttl, when, sizeof(when));
	json_object_set_new(result, "expires", json_string(when));
	tb_metrics_inc(tb_daemon_metrics(d), TB_COUNT_SIGNATURES);
	tb_info_f("uid %u pid %d: signed SOAP with key %s (%zu bytes)", client->uid, client->pid,
	    name, out_len);
	r = 0;
out:
	/* As op_sign.c: a refusal the signer did not record, or a signature withheld. */
	tb_ops_sign_failed(d, client, name, doc, r, audited, made, err);
	tb_wsse_split_free(split);
	free(ans);
	OPENSSL_free(out);
	free(data);
	tb_front_keys_unref(ks);
	return r;
}
