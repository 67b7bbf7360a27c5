/*
 * sign with "format": "xml": an enveloped XMLDSig signature over the whole
 * document, or with "reference": "#ID" over the element with that ID,
 * with a token key (RSA, EC). The split is the CMS one: the
 * front parses and canonicalizes the document and sends only the
 * reference digest; the signer process re-checks the client, builds the
 * ds:SignedInfo around that digest with its certificate's method, signs it
 * and records the digest before it answers; the front checks that
 * SignedInfo is the one for its digest and writes the signature into the
 * document (libsig/xml_sign_split.c). Never logs or keeps the document.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "tb_log.h"
#include "xml.h"

/*
 * Bytes a signature adds to the document besides the certificate (whose
 * base64 with line breaks is under twice its DER): SignedInfo, value, tags.
 */
#define XML_SIG_OVERHEAD 4096

int
tb_op_sign_xml(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	tb_front_keys *ks = NULL;
	const tb_front_key *k;
	const char *name = NULL, *reference = "";
	unsigned char *data = NULL, *out = NULL, digest[EVP_MAX_MD_SIZE];
	size_t data_len = 0, out_len = 0, digest_len = 0;
	tb_xml_split *split = NULL;
	tb_sc_ans *ans = NULL;
	tb_sc_signed sd;
	tb_xml_limits lim;
	char doc[TB_SC_DOC_MAX];
	int r, md_nid = 0, ref_md_nid = 0, audited = 0, made = 0;

	doc[0] = '\0';
	if ((r = tb_ops_sign_key_name(req, client, &name, err)) != 0 ||
	    (r = tb_ops_xml_cms_only(req, "xml", err)) != 0 ||
	    (r = tb_ops_digest_alg_read(req, &md_nid, err)) != 0 ||
	    (r = tb_proto_get_b64(req, "data", 1, &data, &data_len, err)) != 0 ||
	    (r = tb_proto_get_string(req, "reference", 0, &reference, err)) != 0)
		goto out;
	tb_ops_digest_text(data, data_len, doc, sizeof(doc));
	/* The document is taken under the limits the verifier applies ([verify] xml_max_*). */
	tb_ops_xml_limits(d, &lim);
	if ((r = tb_ops_sign_key(d, name, &ks, &k, err)) != 0 ||
	    (r = tb_ops_digest_fits_key(k, md_nid != 0 ? md_nid : k->md_nid, err)) != 0 ||
	    (r = tb_ops_answer_fits(d, req, k, data_len + XML_SIG_OVERHEAD +
	    2 * (size_t)i2d_X509(k->cert, NULL), "", err)) != 0 ||
	    (r = tb_xml_split_begin(k->cert, md_nid != 0 ? md_nid : k->md_nid, reference, data,
	    data_len, &lim, &split, &ref_md_nid, digest, &digest_len, err)) != 0)
		goto out;
	/* The signer builds and signs the SignedInfo around the reference digest. */
	if ((r = tb_daemon_sign_xml(d, client, name, k->cert_sha256, ref_md_nid, digest,
	    digest_len, reference, &ans, &sd, &audited, err)) != 0) {
		tb_error_f(r, "uid %u key %s: XML: %s", client->uid, name, err->detail);
		goto out;
	}
	/* Made and recorded by the signer under the reference digest: named so from here. */
	made = 1;
	tb_ops_digest_hex(ref_md_nid, digest, digest_len, doc, sizeof(doc));
	/*
	 * The document comes back as libxml2 writes it, which may be longer than
	 * what came in (&quot; for a quote, UTF-8 for Latin-1): the bound checked
	 * before signing is checked again on what is answered.
	 */
	if ((r = tb_xml_split_finish(split, sd.attrs, sd.attrs_len, sd.sig, sd.sig_len, &out,
	    &out_len, err)) != 0 ||
	    (r = tb_ops_answer_fits(d, req, k, out_len, " (the document as written back)",
	    err)) != 0 ||
	    (r = tb_ops_sign_answer(result, name, k->signer_info, out, out_len,
	    (time_t)sd.signing_time, err)) != 0) {
		tb_error_f(r, "uid %u key %s: XML: %s", client->uid, name, err->detail);
		goto out;
	}
	/* The answer names what it holds: "xml", not "cms". */
	json_object_set(result, "xml", json_object_get(result, "cms"));
	json_object_del(result, "cms");
	json_object_set_new(result, "format", json_string("xml"));
	tb_metrics_inc(tb_daemon_metrics(d), TB_COUNT_SIGNATURES);
	tb_info_f("uid %u pid %d: signed XML with key %s (%zu bytes)", client->uid, client->pid,
	    name, out_len);
	r = 0;
out:
	/* As op_sign.c: a refusal the signer did not record, or a signature withheld. */
	tb_ops_sign_failed(d, client, name, doc, r, audited, made, err);
	tb_xml_split_free(split);
	free(ans);
	OPENSSL_free(out);
	free(data);
	tb_front_keys_unref(ks);
	return r;
}
