/*
 * The op table of the socket protocol: each name once, each handler in a
 * file of its own. An op not listed here does not exist for clients.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "certinfo.h"
#include "daemon.h"
#include "ops.h"
#include "proto.h"
#include "revocation.h"
#include "signchan.h"
#include "cms_sign.h"
#include "tb_clock.h"
#include "xml_limits.h"

static const tb_op ops[] = {
	{ "sign", tb_op_sign, TB_LANE_SIGN },
	{ "keys", tb_op_keys, TB_LANE_CONTROL },
	{ "status", tb_op_status, TB_LANE_CONTROL },
	{ "verify", tb_op_verify, TB_LANE_VERIFY },
	{ "check-cert", tb_op_check_cert, TB_LANE_VERIFY },
	/* A TSA round trip, network-bound as revocation: beside verify, not sign. */
	{ "timestamp", tb_op_timestamp, TB_LANE_VERIFY },
};

const tb_op *
tb_op_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

enum tb_lane
tb_op_lane(const json_t *req)
{
	const char *name = json_string_value(json_object_get(req, "op"));
	const tb_op *op = name != NULL ? tb_op_lookup(name) : NULL;

	/* Anything that names no op is answered bad_request at once: control. */
	return op != NULL ? op->lane : TB_LANE_CONTROL;
}

void
tb_ops_digest_hex(int md_nid, const unsigned char *md, size_t len, char *out, size_t out_len)
{
	const char *name = tb_config_digest_name(md_nid);
	size_t pos, i;

	if (name == NULL)	/* a GOST key's */
		name = md_nid == NID_id_GostR3411_2012_512 ? "streebog512" : "streebog256";
	pos = (size_t)snprintf(out, out_len, "%s:", name);
	for (i = 0; i < len && pos + 3 <= out_len; i++, pos += 2)
		snprintf(out + pos, 3, "%02x", md[i]);
}

void
tb_ops_digest_text(const void *buf, size_t len, char *out, size_t out_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		snprintf(out, out_len, "sha256:?");
		return;
	}
	tb_ops_digest_hex(NID_sha256, md, mdlen, out, out_len);
}

void
tb_ops_xml_limits(struct tb_daemon *d, tb_xml_limits *lim)
{
	tb_config *cfg = tb_daemon_config(d);

	tb_ops_xml_limits_of(cfg, lim);
	tb_config_unref(cfg);
}

void
tb_ops_xml_limits_of(const tb_config *cfg, tb_xml_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_depth = cfg->verify_xml_max_depth;
	lim->max_nodes = cfg->verify_xml_max_nodes;
	lim->max_signatures = cfg->verify_xml_max_signatures;
	lim->max_references = cfg->verify_xml_max_references;
	lim->max_transforms = cfg->verify_xml_max_transforms;
	lim->max_certs = cfg->verify_xml_max_certs;
	lim->max_attributes = cfg->verify_xml_max_attributes;
}

int
tb_ops_xml_cms_only(json_t *req, const char *format, tb_error *err)
{
	static const char *const cms_only[] = {
		"digest", "detached", "timestamp", "evidence", "documents", "digests",
		"cms", "countersign", "signer", "attached", "policy", "policies",
	};
	size_t i;

	for (i = 0; i < sizeof(cms_only) / sizeof(cms_only[0]); i++)
		if (json_object_get(req, cms_only[i]) != NULL)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "%s: not with format \"%s\" "
			    "(an XML signature is over the document in data)", cms_only[i], format);
	return 0;
}

int
tb_ops_answer_fits(struct tb_daemon *d, json_t *req, const tb_front_key *k, size_t payload,
    const char *hint, tb_error *err)
{
	tb_config *cfg = tb_daemon_config(d);
	json_t *jid = json_object_get(req, "id");
	char *who = json_dumps(k->signer_info, JSON_COMPACT);
	char *id = jid != NULL ? json_dumps(jid, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	size_t bound;
	int r = 0;

	bound = 4 * ((payload + 2) / 3) + 6 * strlen(k->name) + 256 +
	    (who != NULL ? strlen(who) : 0) + (id != NULL ? strlen(id) : 0);
	if (who == NULL || (jid != NULL && id == NULL))
		r = tb_error_set(err, TB_ERR_NOMEM, "answer");
	else if (bound > cfg->max_frame_bytes)
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "data: the answer could be up to %zu "
		    "bytes, over max_frame_bytes %zu%s", bound, cfg->max_frame_bytes, hint);
	free(who);
	free(id);
	tb_config_unref(cfg);
	return r;
}

int
tb_ops_sign_answer(json_t *result, const char *key, const json_t *signer_info,
    const unsigned char *der, size_t der_len, time_t signing_time, tb_error *err)
{
	char *b64 = tb_b64_encode(der, der_len), when[32];
	json_t *who = json_deep_copy(signer_info);

	if (b64 == NULL || who == NULL) {
		free(b64);
		json_decref(who);
		return tb_error_set(err, TB_ERR_NOMEM, "answer");
	}
	tb_clock_format(signing_time, when, sizeof(when));
	json_object_set_new(result, "cms", json_string(b64));
	json_object_set_new(result, "key", json_string(key));
	json_object_set_new(result, "signing_time", json_string(when));
	json_object_set_new(result, "signer", who);
	free(b64);
	return 0;
}

void
tb_ops_sign_refused(struct tb_daemon *d, const tb_client *client, const char *key,
    const char *doc, int r, const tb_error *err)
{
	(void)tb_daemon_audit(d, client->uid, "sign",
	    key != NULL && strlen(key) < TB_SC_NAME_MAX ? key : NULL,
	    doc != NULL && doc[0] != '\0' ? doc : NULL, NULL, r,
	    err != NULL ? err->detail : NULL, NULL);
}

void
tb_ops_sign_withheld(struct tb_daemon *d, const tb_client *client, const char *key,
    const char *doc, int r, const tb_error *err)
{
	tb_error w;

	tb_error_set(&w, r, "signature made, then withheld: %s", err != NULL ? err->detail :
	    tb_err_str(r));
	tb_ops_sign_refused(d, client, key, doc, r, &w);
}

void
tb_ops_sign_failed(struct tb_daemon *d, const tb_client *client, const char *key,
    const char *doc, int r, int audited, int made, const tb_error *err)
{
	if (r == 0)
		return;
	if (!audited)
		tb_ops_sign_refused(d, client, key, doc, r, err);
	else if (made)
		tb_ops_sign_withheld(d, client, key, doc, r, err);
}

int
tb_ops_sign_key(struct tb_daemon *d, const char *name, tb_front_keys **ks,
    const tb_front_key **k, tb_error *err)
{
	time_t now;
	int r;

	*ks = tb_daemon_keys(d);
	if ((*k = tb_front_keys_find(*ks, name)) == NULL)
		return tb_error_set(err, TB_ERR_NO_KEY, "key: no key named '%.64s'", name);
	now = tb_clock_now();
	/* The signer checks the dates again; here it spares a round trip. */
	if ((r = tb_ks_cert_check((*k)->name, (*k)->cert, now, err)) != 0)
		return r;
	/* A revoked signing certificate stops signing (cached: no request per signature). */
	return tb_revocation_check_key(d, name, (*k)->cert, now, err);
}

int
tb_ops_sign_key_name(json_t *req, const tb_client *client, const char **name, tb_error *err)
{
	int r;

	if ((r = tb_proto_get_string(req, "key", 1, name, err)) != 0)
		return r;
	if (!tb_config_client_key_ok(client->acl, *name))
		return tb_error_set(err, TB_ERR_FORBIDDEN, "key: client %s may not use key '%.64s'",
		    client->acl->name, *name);
	return 0;
}

/* The Streebog names a GOST key's digests go by (the keys op's "digest"). */
static int
streebog_nid(const char *name, size_t len)
{
	if (len == 11 && strncmp(name, "streebog512", 11) == 0)
		return NID_id_GostR3411_2012_512;
	if (len == 11 && strncmp(name, "streebog256", 11) == 0)
		return NID_id_GostR3411_2012_256;
	return 0;
}

int
tb_ops_digest_alg_read(json_t *req, int *md_nid, tb_error *err)
{
	const char *alg = NULL;
	int r;

	if ((r = tb_proto_get_string(req, "digest_alg", 0, &alg, err)) != 0)
		return r;
	if (alg != NULL && (*md_nid = tb_config_digest_nid(alg)) == 0 &&
	    (*md_nid = streebog_nid(alg, strlen(alg))) == 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest_alg: '%.32s' is not one of "
		    "sha256, sha384, sha512, streebog256, streebog512", alg);
	return 0;
}

int
tb_ops_digest_read(json_t *req, int *md_nid, unsigned char *digest, size_t room, size_t *len,
    tb_error *err)
{
	const char *spec = NULL;
	tb_error e;
	int nid, r;

	if ((r = tb_proto_get_string(req, "digest", 1, &spec, err)) != 0)
		return r;
	if ((r = tb_digest_spec_parse(spec, &nid, digest, room, len, &e)) != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest: %s", e.detail);
	if (*md_nid != 0 && *md_nid != nid)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "digest_alg: does not match the algorithm of digest");
	*md_nid = nid;
	return 0;
}

/*
 * A GOST key (a file key) signs only its own Streebog, a token key only
 * SHA-2: a digest of the other kind is refused with what the key takes.
 */
int
tb_ops_digest_fits_key(const tb_front_key *k, int md_nid, tb_error *err)
{
	int streebog = md_nid == NID_id_GostR3411_2012_512 || md_nid == NID_id_GostR3411_2012_256;

	if (tb_cms_cert_is_gost(k->cert) && md_nid != k->md_nid)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest_alg: key %s is a GOST key: "
		    "it signs %s digests only", k->name,
		    k->md_nid == NID_id_GostR3411_2012_512 ? "streebog512" : "streebog256");
	if (!tb_cms_cert_is_gost(k->cert) && streebog)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest_alg: key %s is not a GOST "
		    "key: streebog digests are for GOST keys", k->name);
	return 0;
}

int
tb_ops_content_digest(const tb_front_key *k, const tb_sign_request *sreq, unsigned char *md,
    size_t *md_len, tb_error *err)
{
	return (tb_cms_cert_is_gost(k->cert) ? tb_cms_gost_content_digest :
	    tb_cms_content_digest)(k->cert, sreq, md, md_len, err);
}

/* A GOST CMS checks the attributes at the time the signer put in them. */
int
tb_ops_assemble(const tb_front_key *k, tb_sign_request *sreq, const unsigned char *md,
    size_t md_len, const unsigned char *attrs, size_t attrs_len, const unsigned char *sig,
    size_t sig_len, int64_t signing_time, unsigned char **der, size_t *der_len, tb_error *err)
{
	if (!tb_cms_cert_is_gost(k->cert))
		return tb_cms_assemble(k->cert, k->chain, sreq, md, md_len, attrs, attrs_len, sig,
		    sig_len, der, der_len, err);
	sreq->signing_time = (time_t)signing_time;
	return tb_cms_gost_assemble(k->cert, k->chain, k->gost_ess, k->gost_ess_len, sreq, md,
	    md_len, attrs, attrs_len, sig, sig_len, der, der_len, err);
}
