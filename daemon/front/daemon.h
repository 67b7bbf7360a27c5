/*
 * The front's state as the ops see it: the current configuration, the
 * keys as the signer process described them, and the revocation checker
 * (each a reference-counted snapshot), when and whether the last load
 * worked, the counters, and the link to the signer process. A reload
 * makes the signer reload first, then builds the front's new snapshots
 * and swaps them at once; a failed reload leaves the old ones serving.
 * The front holds no token, no PIN and no audit file: signatures and
 * audit records are the signer's (signer_link.h).
 */
#ifndef TB_DAEMON_H
#define TB_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "metrics.h"
#include "signer_link.h"
#include "tb_err.h"

struct tb_daemon;
typedef struct tb_daemon tb_daemon;

/*
 * Loads the configuration at path, has the signer process started
 * (through launcher, the link to the parent that starts it; it opens the
 * audit trail and the tokens; its error is returned when it cannot) and
 * asks it for the keys. debug forces debug logging over the file's
 * log_level (the parent starts the signer with its own -d and -f). The
 * launcher stays the caller's, to free after tb_daemon_free.
 */
struct tb_launcher;
int tb_daemon_new(const char *config_path, int debug, struct tb_launcher *launcher,
    tb_daemon **out, tb_error *err);
/* Stops the signer and frees; every snapshot taken must have been released. NULL is a no-op. */
void tb_daemon_free(tb_daemon *d);

/* The current configuration, with a reference the caller drops (tb_config_unref). */
tb_config *tb_daemon_config(tb_daemon *d);
/* The current revocation checker, with a reference the caller drops (tb_revocation_unref). */
struct tb_revocation *tb_daemon_revocation(tb_daemon *d);
/* The trust anchors of the running configuration, with a reference the caller drops. */
struct tb_anchors *tb_daemon_anchors(tb_daemon *d);
/* The current keys, with a reference the caller drops (tb_front_keys_unref). */
tb_front_keys *tb_daemon_keys(tb_daemon *d);

/* 1 when key k's certificate has expiry_warning_days or fewer left (written to *days_left). */
int tb_daemon_expiring(tb_daemon *d, const tb_front_key *k, time_t now, long *days_left);
/* Logs a warning for every key close to expiry, at most daily unless force. */
void tb_daemon_expiry_check(tb_daemon *d, int force);
/* Bumped by every successful reload. */
unsigned tb_daemon_generation(tb_daemon *d);

tb_metrics *tb_daemon_metrics(tb_daemon *d);
/* Seconds since start (monotonic). */
long tb_daemon_uptime(tb_daemon *d);
/* When the current configuration was loaded (tb_clock time). */
time_t tb_daemon_config_loaded(tb_daemon *d);
/* Why the last reload failed, copied into buf; 0 if it did not (buf empty). */
int tb_daemon_config_error(tb_daemon *d, char *buf, size_t len);

/*
 * Has the signer append one audit record (it is the trail's only writer).
 * uid is the client's; the signer looks up its user name. result is 0 or
 * a tb_err code. sig_digest must be NULL: only the signer knows a
 * signature. Returns 0, or TB_ERR_UNAVAILABLE with err saying why when
 * the record could not be written and synced (or the signer is down).
 */
int tb_daemon_audit(tb_daemon *d, unsigned uid, const char *op, const char *key,
    const char *doc_digest, const char *sig_digest, int result, const char *detail,
    tb_error *err);

/*
 * One signature from the signer process: it re-checks the client (uid,
 * gid, the [client] name acl_name) against its own table, builds the
 * signed attributes itself around digest (the document's md_nid digest,
 * which becomes messageDigest; its own signing time and certificate),
 * signs them with key and writes the audit record before answering.
 * detached is recorded: 0 attached, 1 detached, or TB_SIGN_COUNTER when
 * digest is the hash of another signer's signature value (the signer then
 * builds counter-signature attributes), or TB_SIGN_XML when it is an XML
 * reference digest (the signer then builds a ds:SignedInfo, returned as
 * sd->attrs). cert_sha256 (SHA-256 of its DER) names the
 * certificate the CMS will carry: the signer signs only with the key of
 * that certificate (across a reload, the one the front still knows). On
 * success *ans is the answer (the caller frees it) and *sd points into it.
 * *audited is set when the signer got the request (it then recorded the
 * outcome itself, success or not).
 */
#define TB_SIGN_COUNTER 2
#define TB_SIGN_XML 3
#define TB_SIGN_WSSE 4
struct tb_client;
int tb_daemon_sign(tb_daemon *d, const struct tb_client *client,
    const char *key, const unsigned char cert_sha256[32], int md_nid,
    const unsigned char *digest, size_t digest_len, int detached, tb_sc_ans **ans,
    tb_sc_signed *sd, int *audited, tb_error *err);

/*
 * tb_daemon_sign for an XML reference digest (TB_SIGN_XML) whose Reference
 * has URI uri ("" or "#ID"): the signer checks it before it builds it into
 * the SignedInfo.
 */
int tb_daemon_sign_xml(tb_daemon *d, const struct tb_client *client, const char *key,
    const unsigned char cert_sha256[32], int md_nid, const unsigned char *digest,
    size_t digest_len, const char *uri, tb_sc_ans **ans, tb_sc_signed *sd, int *audited,
    tb_error *err);

/*
 * tb_daemon_sign for a SOAP Body's reference digest (TB_SIGN_WSSE, URI
 * body_uri): the signer makes the wsu:Timestamp (wsu:Id ts_id, Created its
 * clock, which is sd->signing_time, Expires ttl seconds later) and signs a
 * SignedInfo over both, returned as sd->attrs.
 */
int tb_daemon_sign_wsse(tb_daemon *d, const struct tb_client *client, const char *key,
    const unsigned char cert_sha256[32], int md_nid, const unsigned char *digest,
    size_t digest_len, const char *body_uri, const char *ts_id, long ttl, tb_sc_ans **ans,
    tb_sc_signed *sd, int *audited, tb_error *err);

/*
 * The same for n digests with one key, in one record to the signer, which
 * checks the client and the key once and each item as tb_daemon_sign
 * would, and records each item's outcome. On success *parts (*nparts
 * answer records, freed by the caller with the array) hold every item's
 * answer (tb_sc_batch_ans_items); an error refuses the whole batch.
 */
int tb_daemon_sign_batch(tb_daemon *d, const struct tb_client *client, const char *key,
    const unsigned char cert_sha256[32], const tb_sc_item *items, uint32_t n, int detached,
    tb_sc_ans ***parts, size_t *nparts, int *audited, tb_error *err);

/*
 * A UNIX-socket client connected on fd (numbered conn, its tb_client's
 * conn): the signer is handed the connection to read its credentials
 * itself (tb_signer_link_peer_add). tb_daemon_client_gone when it closes.
 */
int tb_daemon_client_connected(tb_daemon *d, uint64_t conn, int fd, tb_error *err);
void tb_daemon_client_gone(tb_daemon *d, uint64_t conn);

/* Token health and the audit trail's state, from the signer. */
int tb_daemon_signer_status(tb_daemon *d, tb_sc_status *st, tb_error *err);
/* Whether the signer runs, its pid and restarts. */
void tb_daemon_signer_state(tb_daemon *d, tb_signer_link_state *st);

/*
 * An operator's reload, on a thread of its own: the signer reloads its
 * configuration and tokens, then the front takes the new configuration,
 * keys and revocation checker, swapped in only when all are good (a
 * failure is logged, recorded and shown in status). Settings the running
 * server cannot change (socket, workers) are logged as needing a restart.
 * Asked for while one runs, it runs once more after it.
 */
void tb_daemon_reload_start(tb_daemon *d);
/* Waits for a running reload to end (at shutdown). */
void tb_daemon_reload_wait(tb_daemon *d);

#endif
