/*
 * The front's side of the signer process: has the parent start it
 * (launcher.h), watches it, has it restarted with exponential back-off
 * when it dies, and carries requests to it, matching
 * answers by id. A request in flight when the signer dies fails at once;
 * a late answer to a request that gave up is dropped. Never loads the
 * module or opens the PIN file; holds only what the signer described:
 * key names, certificates and chains.
 */
#ifndef TB_SIGNER_LINK_H
#define TB_SIGNER_LINK_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "signchan.h"
#include "tb_err.h"

typedef struct tb_signer_link tb_signer_link;
struct tb_launcher;

typedef struct tb_signer_link_opts {
	/* The parent's link (launcher.h): the parent starts and reaps every signer. */
	struct tb_launcher *launcher;
	double restart_min_s;		/* first back-off (0.1 s) */
	double restart_max_s;		/* back-off ceiling (30 s) */
	const char *pid_file;		/* the signer's pid goes here at each start, or NULL */
	/* Called on the link's thread after a restarted signer said it is ready. */
	void (*on_restart)(void *arg);
	void *arg;
} tb_signer_link_opts;

/*
 * Starts the signer and waits (up to 120 s) for it to say it is ready.
 * When it cannot start, returns its error (the signer's own reason in err).
 */
int tb_signer_link_new(const tb_signer_link_opts *o, tb_signer_link **out, tb_error *err);
/* Closes the channel, waits for the signer to exit (then kills it). NULL is a no-op. */
void tb_signer_link_free(tb_signer_link *l);

/*
 * Sends req (its id is set here) and waits for the answer, at most
 * timeout_s. *ans is a new answer the caller frees (even when its status
 * is an error: the status is also returned). Fails with TB_ERR_UNAVAILABLE
 * when the signer is down or dies meanwhile, TB_ERR_TIMEOUT when it does
 * not answer in time; then *ans is NULL.
 */
int tb_signer_link_call(tb_signer_link *l, tb_sc_req *req, unsigned timeout_s,
    tb_sc_ans **ans, tb_error *err);

/*
 * Sends head and n items as one SIGN_BATCH record and waits (at most
 * timeout_s) for every item's answer: *parts, *nparts records the caller
 * frees (the array too), holding n items in all (tb_sc_batch_ans_items).
 * When the signer refuses the batch whole, returns its status and the
 * answer in *refusal (freed by the caller); a failure of the link as
 * tb_signer_link_call.
 */
int tb_signer_link_call_batch(tb_signer_link *l, tb_sc_req *head, const tb_sc_item *items,
    uint32_t n, unsigned timeout_s, tb_sc_ans ***parts, size_t *nparts, tb_sc_ans **refusal,
    tb_error *err);

/*
 * A UNIX-socket client's connection, numbered conn (not 0, never reused),
 * is handed to the signer (CONNECT with the descriptor), which reads its
 * credentials itself; sign requests then name conn. The link keeps a
 * duplicate of fd until tb_signer_link_peer_remove, and hands it again to
 * a restarted signer before any request. TB_ERR_BUSY when too many.
 */
int tb_signer_link_peer_add(tb_signer_link *l, uint64_t conn, int fd, tb_error *err);
/* The connection closed: its duplicate is closed and the signer forgets it. */
void tb_signer_link_peer_remove(tb_signer_link *l, uint64_t conn);

/* The signer's state for status: up, pid, restarts so far, the last exit (text). */
typedef struct tb_signer_link_state {
	int up;
	pid_t pid;
	unsigned long restarts;
	char last_exit[128];
} tb_signer_link_state;
void tb_signer_link_get_state(tb_signer_link *l, tb_signer_link_state *st);

/* ---- the keys as the front knows them: what the signer described ---- */

typedef struct tb_front_key {
	char *name;
	X509 *cert;			/* or NULL: the key cannot sign */
	STACK_OF(X509) *chain;		/* or NULL */
	int key_type;			/* EVP_PKEY_RSA, EVP_PKEY_EC */
	int md_nid;			/* default digest */
	/* Made once per key set, not per signature (with cert only): */
	unsigned char cert_sha256[32];	/* names the certificate to the signer */
	json_t *signer_info;		/* the answer's "signer" (tb_certinfo_add) */
	/* A GOST key's signingCertificateV2 (tb_cms_gost_ess_attr), else NULL. */
	unsigned char *gost_ess;
	size_t gost_ess_len;
} tb_front_key;

typedef struct tb_front_keys tb_front_keys;

/* Asks the signer for every key (DESCRIBE); a new set with one reference. */
int tb_front_keys_fetch(tb_signer_link *l, tb_front_keys **out, tb_error *err);
tb_front_keys *tb_front_keys_ref(tb_front_keys *ks);
void tb_front_keys_unref(tb_front_keys *ks);	/* NULL is a no-op */
size_t tb_front_keys_count(const tb_front_keys *ks);
const tb_front_key *tb_front_keys_at(const tb_front_keys *ks, size_t i);
const tb_front_key *tb_front_keys_find(const tb_front_keys *ks, const char *name);

#endif
