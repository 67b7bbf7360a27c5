/*
 * Counting the work of one verification. Plain counters and one monotonic
 * deadline: cheap enough to consult on every candidate issuer.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "verify_budget.h"

static __thread tb_verify_budget *current;

void
tb_budget_limits_default(tb_budget_limits *lim)
{
	if (lim->max_candidates == 0)
		lim->max_candidates = TB_BUDGET_DEFAULT_CANDIDATES;
	if (lim->max_sig_checks == 0)
		lim->max_sig_checks = TB_BUDGET_DEFAULT_SIG_CHECKS;
	if (lim->max_nc_checks == 0)
		lim->max_nc_checks = TB_BUDGET_DEFAULT_NC_CHECKS;
	if (lim->max_policy_nodes == 0)
		lim->max_policy_nodes = TB_BUDGET_DEFAULT_POLICY_NODES;
	if (lim->max_time_ms <= 0)
		lim->max_time_ms = TB_BUDGET_DEFAULT_TIME_MS;
}

void
tb_verify_budget_start(tb_verify_budget *b, const tb_budget_limits *lim)
{
	memset(b, 0, sizeof(*b));
	if (lim != NULL)
		b->lim = *lim;
	tb_budget_limits_default(&b->lim);
	clock_gettime(CLOCK_MONOTONIC, &b->deadline);
	b->deadline.tv_sec += b->lim.max_time_ms / 1000;
	b->deadline.tv_nsec += (b->lim.max_time_ms % 1000) * 1000000L;
	if (b->deadline.tv_nsec >= 1000000000L) {
		b->deadline.tv_sec++;
		b->deadline.tv_nsec -= 1000000000L;
	}
}

long
tb_verify_budget_ms_left(const tb_verify_budget *b)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(b->deadline.tv_sec - now.tv_sec) * 1000L +
	    (b->deadline.tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? ms : 0;
}

static int
mark(tb_verify_budget *b, enum tb_budget_kind kind)
{
	if (b->spent == TB_BUDGET_NONE)
		b->spent = kind;
	return -1;
}

int
tb_verify_budget_over(tb_verify_budget *b)
{
	if (b->spent != TB_BUDGET_NONE)
		return 1;
	if (tb_verify_budget_ms_left(b) == 0) {
		mark(b, TB_BUDGET_TIME);
		return 1;
	}
	return 0;
}

int
tb_verify_budget_take(tb_verify_budget *b, enum tb_budget_kind kind, unsigned n)
{
	unsigned *used, max;

	switch (kind) {
	case TB_BUDGET_CANDIDATES:
		used = &b->candidates;
		max = b->lim.max_candidates;
		break;
	case TB_BUDGET_SIG_CHECKS:
		used = &b->sig_checks;
		max = b->lim.max_sig_checks;
		break;
	case TB_BUDGET_NC_CHECKS:
		used = &b->nc_checks;
		max = b->lim.max_nc_checks;
		break;
	case TB_BUDGET_POLICY_NODES:
		used = &b->policy_nodes;
		max = b->lim.max_policy_nodes;
		break;
	default:
		return tb_verify_budget_over(b) ? -1 : 0;
	}
	if (b->spent != TB_BUDGET_NONE)
		return -1;
	if (n > max - *used || *used > max) {
		*used = max;
		return mark(b, kind);
	}
	*used += n;
	return tb_verify_budget_over(b) ? -1 : 0;
}

const char *
tb_verify_budget_what(enum tb_budget_kind kind)
{
	switch (kind) {
	case TB_BUDGET_CANDIDATES:
		return "issuer candidates";
	case TB_BUDGET_SIG_CHECKS:
		return "signature checks";
	case TB_BUDGET_NC_CHECKS:
		return "name-constraint comparisons";
	case TB_BUDGET_POLICY_NODES:
		return "policy tree nodes";
	case TB_BUDGET_TIME:
		return "time (max_time_ms)";
	default:
		return "";
	}
}

const char *
tb_verify_budget_setting(enum tb_budget_kind kind)
{
	switch (kind) {
	case TB_BUDGET_CANDIDATES:
		return "max_issuer_candidates";
	case TB_BUDGET_SIG_CHECKS:
		return "max_signature_checks";
	case TB_BUDGET_NC_CHECKS:
		return "max_name_constraint_checks";
	case TB_BUDGET_POLICY_NODES:
		return "max_policy_nodes";
	case TB_BUDGET_TIME:
		return "max_time_ms";
	default:
		return "";
	}
}

void
tb_verify_budget_set_current(tb_verify_budget *b)
{
	current = b;
}

tb_verify_budget *
tb_verify_budget_current(void)
{
	return current;
}
