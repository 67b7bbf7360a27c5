/*
 * The work one verification may do. Every search it starts (issuer
 * candidates, certificate signatures, name-constraint comparisons, policy
 * tree nodes) takes from a budget, and the whole verification, revocation
 * fetches included, ends by a wall-clock deadline. A spent budget is a
 * refusal (CHAIN_UNTRUSTED.cut_off), never VALID: see docs/VERIFICATION.md.
 */
#ifndef TB_VERIFY_BUDGET_H
#define TB_VERIFY_BUDGET_H

#include <time.h>

/* What a verification may spend; 0 in a field means its default. */
typedef struct tb_budget_limits {
	unsigned max_candidates;	/* issuer candidates tried (default 1000) */
	unsigned max_sig_checks;	/* certificate signatures checked (default 100) */
	unsigned max_nc_checks;		/* name-constraint comparisons (default 10000) */
	unsigned max_policy_nodes;	/* policy tree nodes (default 10000) */
	long max_time_ms;		/* wall clock, fetches included (default 2000) */
} tb_budget_limits;

#define TB_BUDGET_DEFAULT_CANDIDATES	1000u
#define TB_BUDGET_DEFAULT_SIG_CHECKS	100u
#define TB_BUDGET_DEFAULT_NC_CHECKS	10000u
#define TB_BUDGET_DEFAULT_POLICY_NODES	10000u
#define TB_BUDGET_DEFAULT_TIME_MS	2000L

enum tb_budget_kind {
	TB_BUDGET_NONE = 0,		/* not spent */
	TB_BUDGET_CANDIDATES,
	TB_BUDGET_SIG_CHECKS,
	TB_BUDGET_NC_CHECKS,
	TB_BUDGET_POLICY_NODES,
	TB_BUDGET_TIME,
};

typedef struct tb_verify_budget {
	tb_budget_limits lim;		/* defaults filled in */
	unsigned candidates, sig_checks, nc_checks, policy_nodes;	/* spent so far */
	struct timespec deadline;	/* CLOCK_MONOTONIC */
	enum tb_budget_kind spent;	/* the first limit reached, or NONE */
} tb_verify_budget;

/* Fills the defaults of every 0 field of lim. */
void tb_budget_limits_default(tb_budget_limits *lim);

/* Starts a budget now with lim (NULL: all defaults). */
void tb_verify_budget_start(tb_verify_budget *b, const tb_budget_limits *lim);

/*
 * Takes n units of kind (CANDIDATES, SIG_CHECKS, NC_CHECKS or
 * POLICY_NODES) and checks the deadline. 0 while within budget; -1 once
 * any limit is reached (then b->spent says which, and stays set).
 */
int tb_verify_budget_take(tb_verify_budget *b, enum tb_budget_kind kind, unsigned n);

/* 1 when the budget is spent or the deadline has passed (and marks it). */
int tb_verify_budget_over(tb_verify_budget *b);

/* Milliseconds left until the deadline (0 when passed). */
long tb_verify_budget_ms_left(const tb_verify_budget *b);

/* "issuer candidates", "signature checks", ... for messages; "" for NONE. */
const char *tb_verify_budget_what(enum tb_budget_kind kind);
/* The [verify] setting that sets kind's limit ("max_signature_checks"); "" for NONE. */
const char *tb_verify_budget_setting(enum tb_budget_kind kind);

/*
 * The budget of the verification running on this thread, for code that
 * has no other way to learn it (network fetches cap their timeouts by the
 * time left). set(NULL) ends it. NULL when none runs.
 */
void tb_verify_budget_set_current(tb_verify_budget *b);
tb_verify_budget *tb_verify_budget_current(void);

#endif
