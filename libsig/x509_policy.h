/*
 * Certificate policy processing (RFC 5280 6.1.2 - 6.1.5): the
 * valid_policy_tree over a built path, with policy mappings,
 * requireExplicitPolicy, inhibitPolicyMapping and inhibitAnyPolicy. The
 * tree is bounded: a path whose policies would grow it past the node
 * limit is refused as cut off, never accepted.
 */
#ifndef TB_X509_POLICY_H
#define TB_X509_POLICY_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"
#include "verdict.h"

#define TB_POLICY_MAX_INITIAL 16	/* OIDs in the user-initial-policy-set */
#define TB_POLICY_OID_MAX 128		/* dotted text of one OID, with its NUL */
#define TB_POLICY_MAX_NODES 1000	/* default limit on policy-tree nodes */
#define TB_POLICY_ANY "2.5.29.32.0"	/* anyPolicy */

/* The RFC 5280 6.1.1 inputs (c), (e), (f), (g), (h) and the node limit. */
typedef struct tb_policy_inputs {
	char initial[TB_POLICY_MAX_INITIAL][TB_POLICY_OID_MAX];	/* dotted OIDs */
	size_t n_initial;		/* 0: any-policy */
	int explicit_policy;		/* initial-explicit-policy */
	int inhibit_mapping;		/* initial-policy-mapping-inhibit */
	int inhibit_any;		/* initial-any-policy-inhibit */
	size_t max_nodes;		/* policy-tree nodes; 0: TB_POLICY_MAX_NODES */
} tb_policy_inputs;

/* Appends oid (dotted) to the initial policy set; TB_ERR_INVALID_ARG "policy: why". */
int tb_policy_inputs_add(tb_policy_inputs *in, const char *oid, tb_error *err);

/*
 * A request's inputs over the configured ones (dst): a policy set given
 * replaces the configured set; each flag can only be turned on; the node
 * limit stays the configured one.
 */
void tb_policy_inputs_merge(tb_policy_inputs *dst, const tb_policy_inputs *req);

enum tb_policy_status {
	TB_POLICY_NOT_RUN = 0,		/* the path did not reach an anchor */
	TB_POLICY_OK,
	TB_POLICY_NONE,			/* an explicit policy was required and none is valid */
	TB_POLICY_BAD_MAPPING,		/* a mapping to or from anyPolicy (6.1.4 (a)) */
	TB_POLICY_MALFORMED,		/* a policy extension cannot be read, or repeats a policy */
	TB_POLICY_LIMIT,		/* the tree grew past the node limit: cut off */
};

typedef struct tb_policy_result {
	enum tb_policy_status status;
	int cert;			/* where it failed: index in the path (0 the leaf), -1 */
	char detail[200];
	char **valid;			/* authorities-constrained policy set (dotted OIDs) */
	size_t n_valid;
	char **user;			/* user-constrained policy set */
	size_t n_user;
	size_t nodes;			/* tree nodes made */
} tb_policy_result;

/* Frees the sets; the struct itself is the caller's. */
void tb_policy_result_clear(tb_policy_result *res);

/*
 * Runs RFC 5280 policy processing over certs, given leaf first and the
 * trust anchor last (as tb_path holds them; the anchor only starts the
 * path and is not processed). in NULL means the defaults. Fills *res;
 * returns 0 whatever the outcome, an error only for lack of memory.
 */
int tb_policy_check(const tb_policy_inputs *in, X509 *const *certs, int n,
    tb_policy_result *res, tb_error *err);

/*
 * As tb_policy_check, and appends the reason a failed outcome gives to rs
 * (tagged with signer): CHAIN_UNTRUSTED.policy, CHAIN_UNTRUSTED.policy_limit,
 * CHAIN_UNTRUSTED.constraint for a mapping of anyPolicy, MALFORMED.cert.
 */
int tb_policy_check_reasons(const tb_policy_inputs *in, X509 *const *certs, int n,
    int signer, tb_reasons *rs, tb_policy_result *res, tb_error *err);

#endif
