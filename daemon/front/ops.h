/*
 * The op table of the socket protocol. Each op lives in its own file and
 * is listed once in ops.c.
 */
#ifndef TB_OPS_H
#define TB_OPS_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "tb_err.h"

struct tb_daemon;	/* the daemon's state: config snapshot, keys, counters */
struct tb_client_conf;	/* conf.h: a [client] section */

/*
 * What the caller is: peer credentials from SO_PEERCRED, and the [client]
 * entry of the request's configuration they matched (set for each request
 * before an op runs; never NULL inside an op, which only runs when allowed).
 */
typedef struct tb_client {
	unsigned uid;
	unsigned gid;
	int pid;
	const struct tb_client_conf *acl;
	/*
	 * A client of the TLS listener (uid and gid are then TB_CLIENT_NO_ID,
	 * pid 0): its verified certificate's subject (RFC 2253) and SHA-256,
	 * matched against [client] tls_subject / tls_cert_sha256 per request.
	 */
	int tls;
	char tls_subject[512];
	unsigned char tls_sha256[32];
	/* A UNIX-socket client: the number its connection was handed to the signer under. */
	uint64_t conn;
} tb_client;

/* The uid and gid of a client that has none (TLS). */
#define TB_CLIENT_NO_ID ((unsigned)-1)

/*
 * An op handler reads its fields from req and fills result (an object the
 * server has created, to which it adds "id" and "ok"). On failure it
 * returns a tb_err code and describes it in err; err->detail names the
 * field at fault as "field: message" when one is.
 */
typedef int (*tb_op_fn)(struct tb_daemon *d, const tb_client *client,
    json_t *req, json_t *result, tb_error *err);

/*
 * The worker lane an op runs in (server.c): a slow token holds only the
 * sign lane, a slow responder only the verify lane, and status and keys
 * stay answered beside both.
 */
enum tb_lane { TB_LANE_CONTROL, TB_LANE_VERIFY, TB_LANE_SIGN };

typedef struct tb_op {
	const char *name;
	tb_op_fn fn;
	enum tb_lane lane;
} tb_op;

/* The handler for name, or NULL. */
const tb_op *tb_op_lookup(const char *name);
/* The lane of a decoded request: its op's, or control for one that names none. */
enum tb_lane tb_op_lane(const json_t *req);

/* Handlers of the signing ops (daemon/front/op_sign.c, op_keys.c, op_status.c). */
int tb_op_sign(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
/* sign with "format": "xml": an enveloped XML signature over data (op_sign_xml.c). */
int tb_op_sign_xml(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
/* sign with "format": "wsse": a SOAP envelope with WS-Security (op_sign_wsse.c). */
int tb_op_sign_wsse(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
/* sign with a "cms" field: co-signs it, or counter-signs signer "countersign" (op_cosign.c). */
int tb_op_cosign(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
/* sign with "documents" or "digests" (daemon/front/op_sign_batch.c). */
int tb_op_sign_is_batch(const json_t *req);
int tb_op_sign_batch(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
int tb_op_keys(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
int tb_op_status(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);

/* Handlers of the verification ops (daemon/front/op_verify.c). */
int tb_op_verify(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
int tb_op_check_cert(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);
/* CAdES-T for a CMS handed in (daemon/front/op_timestamp.c). */
int tb_op_timestamp(struct tb_daemon *d, const tb_client *client, json_t *req,
    json_t *result, tb_error *err);

/* The request's "digest_alg" (sha256, sha384, sha512) into *md_nid, when given. */
int tb_ops_digest_alg_read(json_t *req, int *md_nid, tb_error *err);
/*
 * The request's "digest" ("sha256:<hex>"...) into digest (room bytes), its
 * algorithm into *md_nid, which must agree with a digest_alg already there.
 */
int tb_ops_digest_read(json_t *req, int *md_nid, unsigned char *digest, size_t room,
    size_t *len, tb_error *err);
/* The request's "key", which the client's [client] section must list. */
int tb_ops_sign_key_name(json_t *req, const tb_client *client, const char **name,
    tb_error *err);
/*
 * The front's key name for signing now: *ks (the caller unrefs it, also on
 * failure) and *k in it, with a certificate valid now and not revoked.
 */
struct tb_front_keys;
struct tb_front_key;
int tb_ops_sign_key(struct tb_daemon *d, const char *name, struct tb_front_keys **ks,
    const struct tb_front_key **k, tb_error *err);
/* A digest algorithm the key signs: Streebog (its own) for GOST keys, SHA-2 for others. */
int tb_ops_digest_fits_key(const struct tb_front_key *k, int md_nid, tb_error *err);
/* The document's digest as the key's CMS writer takes it (GOST or not). */
struct tb_sign_request;
int tb_ops_content_digest(const struct tb_front_key *k, const struct tb_sign_request *sreq,
    unsigned char *md, size_t *md_len, tb_error *err);
/* The CMS around the signer's attributes and signature, by the key's writer. */
int tb_ops_assemble(const struct tb_front_key *k, struct tb_sign_request *sreq,
    const unsigned char *md, size_t md_len, const unsigned char *attrs, size_t attrs_len,
    const unsigned char *sig, size_t sig_len, int64_t signing_time, unsigned char **der,
    size_t *der_len, tb_error *err);
/*
 * Refuses (TB_ERR_TOO_LARGE, naming data and adding hint) a signature
 * whose answer could exceed max_frame_bytes: payload bytes in base64
 * and the rest of the answer as it will be encoded ("id", "ok", "key",
 * "signing_time", "signer"). A signature made and audited must reach its
 * client, so this is asked before the signer is.
 */
/*
 * The [verify] xml_max_* limits of the running configuration: the verifier
 * and the XML signer take a document under the same ones.
 */
struct tb_xml_limits;
struct tb_config;
void tb_ops_xml_limits(struct tb_daemon *d, struct tb_xml_limits *lim);
void tb_ops_xml_limits_of(const struct tb_config *cfg, struct tb_xml_limits *lim);

/*
 * TB_ERR_INVALID_ARG naming the first field of a CMS signature in req
 * (digest, detached, cms, policy...) that an XML signature of format has no
 * place for: refused, not ignored.
 */
int tb_ops_xml_cms_only(json_t *req, const char *format, tb_error *err);

int tb_ops_answer_fits(struct tb_daemon *d, json_t *req, const struct tb_front_key *k,
    size_t payload, const char *hint, tb_error *err);
/* A signature's answer: "cms" (der in base64), "key", "signing_time", "signer". */
int tb_ops_sign_answer(json_t *result, const char *key, const json_t *signer_info,
    const unsigned char *der, size_t der_len, time_t signing_time, tb_error *err);
/*
 * The record of a sign refused before the signer had it (once it had it,
 * it recorded the outcome itself): key and doc as far as known.
 */
void tb_ops_sign_refused(struct tb_daemon *d, const tb_client *client, const char *key,
    const char *doc, int r, const tb_error *err);
/*
 * The record of a signature the signer made and recorded ok that the front
 * then could not deliver (the TSA, the evidence or the CMS around it
 * failed): a refusal after the signer's ok, saying so, so that the trail
 * does not stand for a signature no client received.
 */
void tb_ops_sign_withheld(struct tb_daemon *d, const tb_client *client, const char *key,
    const char *doc, int r, const tb_error *err);
/*
 * The front's record of a sign that failed (r != 0), if one is due: refused
 * when the signer did not record it (audited 0), withheld when the signer
 * made and recorded the signature (made 1) and it was not delivered.
 */
void tb_ops_sign_failed(struct tb_daemon *d, const tb_client *client, const char *key,
    const char *doc, int r, int audited, int made, const tb_error *err);

/* "sha256:<hex>" of buf, as audit records name documents, into out
 * (at least 7 + 2 * 32 + 1 bytes). */
void tb_ops_digest_text(const void *buf, size_t len, char *out, size_t out_len);
/* "<alg>:<hex>" of a digest already made (SHA-2, or a GOST key's Streebog), the same way. */
void tb_ops_digest_hex(int md_nid, const unsigned char *md, size_t len, char *out,
    size_t out_len);

#endif
