/*
 * RFC 5280 6.1 certificate policy processing, written out step by step
 * beside the RFC's lettering. The valid_policy_tree is a flat array of
 * nodes; every node made and every comparison made is counted, and a
 * path that would pass either limit is refused as cut off (fail closed):
 * policies times mappings must never hold a worker (CVE-2023-0464 is the
 * same attack on OpenSSL's tree).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "x509_path.h"
#include "x509_policy.h"

/*
 * Comparisons allowed per node allowed: a real path makes a few dozen; the
 * default (a million) is some milliseconds of work at most.
 */
#define WORK_PER_NODE 1000

typedef struct pnode {
	const ASN1_OBJECT *policy;	/* valid_policy (borrowed from a certificate) */
	const ASN1_OBJECT **expected;	/* expected_policy_set; NULL: { policy } */
	size_t n_expected;
	int parent;			/* index, -1 for the root */
	int depth;
	int children;			/* live children */
	int alive;
} pnode;

#define OVER_NODES 1
#define OVER_WORK 2

typedef struct ptree {
	pnode *v;
	size_t n, cap;
	size_t max_nodes;
	unsigned long work, max_work;
	int over;			/* a limit was reached: OVER_NODES or OVER_WORK */
	int nomem;
	int null;			/* valid_policy_tree is NULL */
	const ASN1_OBJECT *any;
} ptree;

int
tb_policy_inputs_add(tb_policy_inputs *in, const char *oid, tb_error *err)
{
	ASN1_OBJECT *o;
	size_t len = oid != NULL ? strlen(oid) : 0;

	if (in->n_initial >= TB_POLICY_MAX_INITIAL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "policy: more than %d OIDs",
		    TB_POLICY_MAX_INITIAL);
	/* Digits in arcs of one dot each: OBJ_txt2obj alone takes "1..2". */
	if (len == 0 || len >= TB_POLICY_OID_MAX || strspn(oid, "0123456789.") != len ||
	    oid[0] == '.' || oid[len - 1] == '.' || strstr(oid, "..") != NULL ||
	    strchr(oid, '.') == NULL || (o = OBJ_txt2obj(oid, 1)) == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "policy: '%s' is not a dotted OID",
		    oid != NULL ? oid : "");
	ASN1_OBJECT_free(o);
	memcpy(in->initial[in->n_initial++], oid, len + 1);
	return 0;
}

void
tb_policy_inputs_merge(tb_policy_inputs *dst, const tb_policy_inputs *req)
{
	if (req->n_initial > 0) {
		memcpy(dst->initial, req->initial, sizeof(dst->initial));
		dst->n_initial = req->n_initial;
	}
	dst->explicit_policy |= req->explicit_policy;
	dst->inhibit_mapping |= req->inhibit_mapping;
	dst->inhibit_any |= req->inhibit_any;
}

void
tb_policy_result_clear(tb_policy_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->n_valid; i++)
		free(res->valid[i]);
	for (i = 0; i < res->n_user; i++)
		free(res->user[i]);
	free(res->valid);
	free(res->user);
	res->valid = res->user = NULL;
	res->n_valid = res->n_user = 0;
}

/* One comparison, counted; 0 when equal. Over the limit everything differs. */
static int
cmp(ptree *t, const ASN1_OBJECT *a, const ASN1_OBJECT *b)
{
	if (++t->work > t->max_work) {
		if (!t->over)
			t->over = OVER_WORK;
		return 1;
	}
	return OBJ_cmp(a, b);
}

static int
is_any(ptree *t, const ASN1_OBJECT *o)
{
	return cmp(t, o, t->any) == 0;
}

static int
expects(ptree *t, const pnode *nd, const ASN1_OBJECT *p)
{
	size_t i;

	if (nd->expected == NULL)
		return cmp(t, nd->policy, p) == 0;
	for (i = 0; i < nd->n_expected; i++)
		if (cmp(t, nd->expected[i], p) == 0)
			return 1;
	return 0;
}

/* A new node below parent; -1 when a limit is reached or memory is out. */
static int
node_add(ptree *t, int parent, const ASN1_OBJECT *policy, const ASN1_OBJECT **exp,
    size_t n_exp)
{
	pnode *nd;
	size_t cap;

	if (t->over || t->nomem)
		return -1;
	if (t->n >= t->max_nodes) {
		t->over = OVER_NODES;
		return -1;
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((nd = realloc(t->v, cap * sizeof(*nd))) == NULL) {
			t->nomem = 1;
			return -1;
		}
		t->v = nd;
		t->cap = cap;
	}
	nd = &t->v[t->n];
	memset(nd, 0, sizeof(*nd));
	nd->policy = policy;
	nd->parent = parent;
	nd->depth = parent >= 0 ? t->v[parent].depth + 1 : 0;
	nd->alive = 1;
	if (exp != NULL) {
		if ((nd->expected = malloc((n_exp ? n_exp : 1) * sizeof(*exp))) == NULL) {
			t->nomem = 1;
			return -1;
		}
		memcpy(nd->expected, exp, n_exp * sizeof(*exp));
		nd->n_expected = n_exp;
	}
	if (parent >= 0)
		t->v[parent].children++;
	return (int)t->n++;
}

static void
node_kill(ptree *t, int k)
{
	size_t j;

	if (!t->v[k].alive)
		return;
	t->v[k].alive = 0;
	if (t->v[k].parent >= 0)
		t->v[t->v[k].parent].children--;
	/* "this node and all its children": children always come later in the array. */
	for (j = (size_t)k + 1; j < t->n && t->v[k].children > 0; j++)
		if (t->v[j].alive && t->v[j].parent == k)
			node_kill(t, (int)j);
	if (k == 0)
		t->null = 1;
}

/* Deletes childless nodes above depth, level by level; the root too (tree NULL). */
static void
prune(ptree *t, int depth)
{
	int d;
	size_t j;

	for (d = depth - 1; d >= 0; d--)
		for (j = 0; j < t->n; j++)
			if (t->v[j].alive && t->v[j].depth == d && t->v[j].children == 0)
				node_kill(t, (int)j);
}

static void
tree_free(ptree *t)
{
	size_t j;

	for (j = 0; j < t->n; j++)
		free(t->v[j].expected);
	free(t->v);
}

/* An integer of a policy extension; -1 when negative or unreadable. */
static long
skip_certs(const ASN1_INTEGER *a)
{
	long v;

	if (a == NULL)
		return -1;
	if (a->type == V_ASN1_NEG_INTEGER)
		return -1;
	v = ASN1_INTEGER_get(a);
	/* Larger than any path: no constraint within reach. */
	return v < 0 ? 1L << 20 : v;
}

/* RFC 5280 6.1.3 (d): the certificate's policies grow depth i. */
static void
process_policies(ptree *t, CERTIFICATEPOLICIES *cp, int i, int last, int selfiss,
    long inhibit_any)
{
	size_t before = t->n, k, e, j;
	int m, matched, has_any = 0;
	const ASN1_OBJECT *p;

	for (m = 0; m < sk_POLICYINFO_num(cp); m++) {
		p = sk_POLICYINFO_value(cp, m)->policyid;
		if (is_any(t, p)) {
			has_any = 1;
			continue;
		}
		/* (d)(1)(i): below every node that expects P. */
		matched = 0;
		for (k = 0; k < before; k++)
			if (t->v[k].alive && t->v[k].depth == i - 1 && expects(t, &t->v[k], p)) {
				node_add(t, (int)k, p, NULL, 0);
				matched = 1;
			}
		/* (d)(1)(ii): else below the anyPolicy node. */
		for (k = 0; !matched && k < before; k++)
			if (t->v[k].alive && t->v[k].depth == i - 1 && is_any(t, t->v[k].policy))
				node_add(t, (int)k, p, NULL, 0);
	}
	/* (d)(2): anyPolicy, unless inhibited (a self-issued CA in the middle may still). */
	if (has_any && (inhibit_any > 0 || (!last && selfiss))) {
		for (k = 0; k < before; k++) {
			const pnode *nd = &t->v[k];
			size_t ne = nd->expected ? nd->n_expected : 1;

			if (!nd->alive || nd->depth != i - 1)
				continue;
			for (e = 0; e < ne; e++) {
				p = nd->expected ? nd->expected[e] : nd->policy;
				for (j = before; j < t->n; j++)
					if (t->v[j].alive && t->v[j].parent == (int)k &&
					    cmp(t, t->v[j].policy, p) == 0)
						break;
				if (j == t->n)
					node_add(t, (int)k, p, NULL, 0);
				nd = &t->v[k];	/* node_add may move the array */
			}
		}
	}
	/* (d)(3) */
	prune(t, i);
}

/* 6.1.4 (a), (b): the mappings of certificate i (not the last). */
static int
process_mappings(ptree *t, POLICY_MAPPINGS *pm, int i, long policy_mapping)
{
	const ASN1_OBJECT **subj = NULL, *idp;
	int a, b, rc = 0;
	size_t ns, k;
	int found, anyk;

	for (a = 0; a < sk_POLICY_MAPPING_num(pm); a++) {
		POLICY_MAPPING *mp = sk_POLICY_MAPPING_value(pm, a);

		if (is_any(t, mp->issuerDomainPolicy) || is_any(t, mp->subjectDomainPolicy))
			return TB_POLICY_BAD_MAPPING;
	}
	if ((subj = calloc((size_t)sk_POLICY_MAPPING_num(pm) + 1, sizeof(*subj))) == NULL) {
		t->nomem = 1;
		return 0;
	}
	for (a = 0; a < sk_POLICY_MAPPING_num(pm) && !t->over && !t->nomem; a++) {
		idp = sk_POLICY_MAPPING_value(pm, a)->issuerDomainPolicy;
		/* Each issuerDomainPolicy once: skip one seen in an earlier mapping. */
		for (b = 0; b < a; b++)
			if (cmp(t, sk_POLICY_MAPPING_value(pm, b)->issuerDomainPolicy, idp) == 0)
				break;
		if (b < a)
			continue;
		ns = 0;
		for (b = a; b < sk_POLICY_MAPPING_num(pm); b++) {
			POLICY_MAPPING *mp = sk_POLICY_MAPPING_value(pm, b);

			if (cmp(t, mp->issuerDomainPolicy, idp) != 0)
				continue;
			for (k = 0; k < ns; k++)
				if (cmp(t, subj[k], mp->subjectDomainPolicy) == 0)
					break;
			if (k == ns)
				subj[ns++] = mp->subjectDomainPolicy;
		}
		if (policy_mapping > 0) {
			/* (b)(1): ID-P now expects what it maps to. */
			found = 0;
			anyk = -1;
			for (k = 0; k < t->n; k++) {
				pnode *nd = &t->v[k];

				if (!nd->alive || nd->depth != i)
					continue;
				if (cmp(t, nd->policy, idp) == 0) {
					const ASN1_OBJECT **ne = malloc(ns * sizeof(*ne));

					if (ne == NULL) {
						t->nomem = 1;
						break;
					}
					memcpy(ne, subj, ns * sizeof(*ne));
					free(nd->expected);
					nd->expected = ne;
					nd->n_expected = ns;
					found = 1;
				} else if (is_any(t, nd->policy))
					anyk = (int)k;
			}
			if (!found && anyk >= 0)
				node_add(t, t->v[anyk].parent, idp, subj, ns);
		} else {
			/* (b)(2): mapping inhibited: ID-P goes. */
			for (k = 0; k < t->n; k++)
				if (t->v[k].alive && t->v[k].depth == i &&
				    cmp(t, t->v[k].policy, idp) == 0)
					node_kill(t, (int)k);
		}
	}
	if (policy_mapping <= 0)
		prune(t, i);
	free(subj);
	return rc;
}

/*
 * Dotted text of o. OBJ_obj2txt costs about a microsecond an OID, as much
 * as the rest of a short path's policy processing: arcs that fit in 64
 * bits are written here, others by OpenSSL. -1 when it cannot be written.
 */
static int
oid_text(const ASN1_OBJECT *o, char *buf, size_t len)
{
	const unsigned char *d = OBJ_get0_data(o);
	size_t n = OBJ_length(o), i, pos = 0;
	unsigned long long v = 0;
	int w, first = 1;

	for (i = 0; d != NULL && i < n; i++) {
		if (v > (~0ULL >> 7))
			goto openssl;
		v = (v << 7) | (d[i] & 0x7F);
		if (d[i] & 0x80)
			continue;
		if (first)	/* X.690 8.19.4: the first two arcs share one number */
			w = snprintf(buf + pos, len - pos, "%llu.%llu", v < 80 ? v / 40 : 2,
			    v < 80 ? v % 40 : v - 80);
		else
			w = snprintf(buf + pos, len - pos, ".%llu", v);
		if (w < 0 || (size_t)w >= len - pos)
			return -1;
		pos += (size_t)w;
		first = 0;
		v = 0;
	}
	if (d == NULL || n == 0 || (d[n - 1] & 0x80))
		goto openssl;
	return 0;
openssl:
	return OBJ_obj2txt(buf, (int)len, o, 1) > 0 && strlen(buf) < len - 1 ? 0 : -1;
}

static int
set_add(char ***set, size_t *n, const ASN1_OBJECT *o)
{
	char buf[TB_POLICY_OID_MAX], **v;
	size_t k;

	if (oid_text(o, buf, sizeof(buf)) != 0)
		return 0;
	for (k = 0; k < *n; k++)
		if (strcmp((*set)[k], buf) == 0)
			return 0;
	if ((v = realloc(*set, (*n + 1) * sizeof(*v))) == NULL)
		return -1;
	*set = v;
	if ((v[*n] = strdup(buf)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

/* The policies of the live nodes at depth d. */
static int
collect(ptree *t, int d, char ***set, size_t *n)
{
	size_t k;

	for (k = 0; !t->null && k < t->n; k++)
		if (t->v[k].alive && t->v[k].depth == d && set_add(set, n, t->v[k].policy) != 0)
			return -1;
	return 0;
}

/* 6.1.5 (g)(iii): the tree cut down to the user-initial-policy-set. */
static void
intersect(ptree *t, ASN1_OBJECT *const *user, size_t n_user, int depth)
{
	size_t k, u, j, before;
	int anyleaf = -1, in;

	if (t->null)
		return;
	/* (1), (2): nodes whose parent is anyPolicy and whose policy nobody asked for. */
	for (k = 1; k < t->n; k++) {
		pnode *nd = &t->v[k];

		if (!nd->alive || !is_any(t, t->v[nd->parent].policy) || is_any(t, nd->policy))
			continue;
		for (in = 0, u = 0; u < n_user && !in; u++)
			in = cmp(t, nd->policy, user[u]) == 0;
		if (!in)
			node_kill(t, (int)k);
	}
	/* (3): an anyPolicy leaf stands for every asked-for policy not yet present. */
	for (k = 0; k < t->n; k++)
		if (t->v[k].alive && t->v[k].depth == depth && is_any(t, t->v[k].policy))
			anyleaf = (int)k;
	if (anyleaf >= 0) {
		int parent = t->v[anyleaf].parent;

		before = t->n;
		for (u = 0; u < n_user; u++) {
			for (j = 0; j < before; j++) {
				pnode *nd = &t->v[j];

				if (nd->alive && nd->parent >= 0 &&
				    is_any(t, t->v[nd->parent].policy) &&
				    cmp(t, nd->policy, user[u]) == 0)
					break;
			}
			if (j == before)
				node_add(t, parent, user[u], NULL, 0);
		}
		node_kill(t, anyleaf);
	}
	/* (4) */
	prune(t, depth);
}

/* Text of what failed, with the certificate's subject. */
static void
fail_at(tb_policy_result *res, enum tb_policy_status st, int cert, X509 *x, const char *why)
{
	char subj[128];

	tb_x509_name_text(X509_get_subject_name(x), subj, sizeof(subj));
	res->status = st;
	res->cert = cert;
	if (snprintf(res->detail, sizeof(res->detail), "%s (at \"%s\")", why, subj) < 0)
		res->detail[0] = '\0';
}

int
tb_policy_check(const tb_policy_inputs *in, X509 *const *certs, int ncerts,
    tb_policy_result *res, tb_error *err)
{
	static const tb_policy_inputs defaults;
	int r = TB_ERR_INTERNAL, i, n = ncerts - 1, crit, last, selfiss;
	long explicit_policy, policy_mapping, inhibit_any, v;
	ptree t;
	ASN1_OBJECT *user[TB_POLICY_MAX_INITIAL];
	size_t n_user = 0, u;
	X509 *x;
	/* Nodes borrow their OIDs from the decoded extensions: kept to the end. */
	CERTIFICATEPOLICIES *cps[TB_PATH_MAX] = { NULL }, *cp = NULL;
	POLICY_MAPPINGS *pms[TB_PATH_MAX] = { NULL }, *pm = NULL;
	POLICY_CONSTRAINTS *pc = NULL;
	ASN1_INTEGER *ia = NULL;
	char why[120];

	memset(&t, 0, sizeof(t));
	memset(res, 0, sizeof(*res));
	res->cert = -1;
	if (in == NULL)
		in = &defaults;
	if (n <= 0 || n > TB_PATH_MAX) {
		res->status = TB_POLICY_OK;	/* the target is itself an anchor */
		return 0;
	}
	for (u = 0; u < in->n_initial; u++) {
		if ((user[n_user] = OBJ_txt2obj(in->initial[u], 1)) == NULL) {
			r = tb_error_set(err, TB_ERR_INVALID_ARG, "policy: '%s'", in->initial[u]);
			goto out;
		}
		n_user++;
	}
	t.any = OBJ_nid2obj(NID_any_policy);
	t.max_nodes = in->max_nodes > 0 ? in->max_nodes : TB_POLICY_MAX_NODES;
	t.max_work = (unsigned long)t.max_nodes * WORK_PER_NODE;
	/* 6.1.2 (a), (d), (e), (f) */
	if (node_add(&t, -1, t.any, NULL, 0) != 0)
		goto nomem;
	explicit_policy = in->explicit_policy ? 0 : n + 1;
	inhibit_any = in->inhibit_any ? 0 : n + 1;
	policy_mapping = in->inhibit_mapping ? 0 : n + 1;

	res->status = TB_POLICY_OK;
	for (i = 1; i <= n; i++) {
		int idx = n - i;	/* certs[] runs leaf first */

		x = certs[idx];
		last = i == n;
		selfiss = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
		cp = cps[i - 1] = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
		if (cp == NULL && crit != -1) {
			fail_at(res, TB_POLICY_MALFORMED, idx, x, "certificatePolicies unreadable");
			goto done;
		}
		if (cp != NULL) {
			int a, b;

			/* RFC 5280 4.2.1.4: a policy OID at most once. */
			for (a = 0; a < sk_POLICYINFO_num(cp); a++)
				for (b = 0; b < a; b++)
					if (cmp(&t, sk_POLICYINFO_value(cp, a)->policyid,
					    sk_POLICYINFO_value(cp, b)->policyid) == 0 && !t.over) {
						fail_at(res, TB_POLICY_MALFORMED, idx, x,
						    "certificatePolicies repeats a policy");
						goto done;
					}
			/* (d) */
			if (!t.null)
				process_policies(&t, cp, i, last, selfiss, inhibit_any);
		} else {
			/* (e) */
			t.null = 1;
		}
		if (t.nomem)
			goto nomem;
		if (t.over)
			goto over;
		/* (f) */
		if (explicit_policy <= 0 && t.null) {
			fail_at(res, TB_POLICY_NONE, idx, x,
			    "no valid certificate policy where an explicit one is required");
			goto done;
		}
		if (last)
			break;
		/* 6.1.4 (a), (b) */
		pm = pms[i - 1] = X509_get_ext_d2i(x, NID_policy_mappings, &crit, NULL);
		if (pm == NULL && crit != -1) {
			fail_at(res, TB_POLICY_MALFORMED, idx, x, "policyMappings unreadable");
			goto done;
		}
		if (pm != NULL && !t.null &&
		    process_mappings(&t, pm, i, policy_mapping) == TB_POLICY_BAD_MAPPING) {
			fail_at(res, TB_POLICY_BAD_MAPPING, idx, x,
			    "policyMappings maps to or from anyPolicy (RFC 5280 6.1.4 (a))");
			goto done;
		}
		if (pm != NULL && t.null && sk_POLICY_MAPPING_num(pm) > 0) {
			/* (a) applies whether or not the tree still exists. */
			int a;

			for (a = 0; a < sk_POLICY_MAPPING_num(pm); a++)
				if (is_any(&t, sk_POLICY_MAPPING_value(pm, a)->issuerDomainPolicy) ||
				    is_any(&t, sk_POLICY_MAPPING_value(pm, a)->subjectDomainPolicy)) {
					fail_at(res, TB_POLICY_BAD_MAPPING, idx, x,
					    "policyMappings maps to or from anyPolicy (RFC 5280 6.1.4 (a))");
					goto done;
				}
		}
		if (t.nomem)
			goto nomem;
		if (t.over)
			goto over;
		/* (h): a self-issued certificate does not count. */
		if (!selfiss) {
			if (explicit_policy > 0)
				explicit_policy--;
			if (policy_mapping > 0)
				policy_mapping--;
			if (inhibit_any > 0)
				inhibit_any--;
		}
		/* (i) */
		pc = X509_get_ext_d2i(x, NID_policy_constraints, &crit, NULL);
		if (pc == NULL && crit != -1) {
			fail_at(res, TB_POLICY_MALFORMED, idx, x, "policyConstraints unreadable");
			goto done;
		}
		if (pc != NULL) {
			if (pc->requireExplicitPolicy != NULL &&
			    (v = skip_certs(pc->requireExplicitPolicy)) >= 0 && v < explicit_policy)
				explicit_policy = v;
			if (pc->inhibitPolicyMapping != NULL &&
			    (v = skip_certs(pc->inhibitPolicyMapping)) >= 0 && v < policy_mapping)
				policy_mapping = v;
			if ((pc->requireExplicitPolicy != NULL &&
			    skip_certs(pc->requireExplicitPolicy) < 0) ||
			    (pc->inhibitPolicyMapping != NULL &&
			    skip_certs(pc->inhibitPolicyMapping) < 0)) {
				fail_at(res, TB_POLICY_MALFORMED, idx, x, "policyConstraints negative");
				goto done;
			}
			POLICY_CONSTRAINTS_free(pc);
			pc = NULL;
		}
		/* (j) */
		ia = X509_get_ext_d2i(x, NID_inhibit_any_policy, &crit, NULL);
		if (ia == NULL && crit != -1) {
			fail_at(res, TB_POLICY_MALFORMED, idx, x, "inhibitAnyPolicy unreadable");
			goto done;
		}
		if (ia != NULL) {
			if ((v = skip_certs(ia)) < 0) {
				fail_at(res, TB_POLICY_MALFORMED, idx, x, "inhibitAnyPolicy negative");
				goto done;
			}
			if (v < inhibit_any)
				inhibit_any = v;
			ASN1_INTEGER_free(ia);
			ia = NULL;
		}
	}
	/* 6.1.5 (a), (b) */
	x = certs[0];
	if (explicit_policy > 0)
		explicit_policy--;
	pc = X509_get_ext_d2i(x, NID_policy_constraints, &crit, NULL);
	if (pc == NULL && crit != -1) {
		fail_at(res, TB_POLICY_MALFORMED, 0, x, "policyConstraints unreadable");
		goto done;
	}
	if (pc != NULL && pc->requireExplicitPolicy != NULL &&
	    skip_certs(pc->requireExplicitPolicy) == 0)
		explicit_policy = 0;
	/* The authorities-constrained set, then (g) */
	if (collect(&t, n, &res->valid, &res->n_valid) != 0)
		goto nomem;
	if (n_user > 0)
		intersect(&t, user, n_user, n);
	if (t.nomem)
		goto nomem;
	if (t.over)
		goto over;
	if (n_user > 0 && collect(&t, n, &res->user, &res->n_user) != 0)
		goto nomem;
	/* No set asked for: the user-constrained set is the authorities' (6.1.5 (g)(ii)). */
	for (u = 0; n_user == 0 && u < res->n_valid; u++) {
		char **grown = realloc(res->user, (u + 1) * sizeof(*grown));

		if (grown == NULL)
			goto nomem;
		res->user = grown;
		if ((grown[u] = strdup(res->valid[u])) == NULL)
			goto nomem;
		res->n_user = u + 1;
	}
	if (explicit_policy <= 0 && (t.null || res->n_user == 0)) {
		snprintf(why, sizeof(why), "no valid certificate policy %s",
		    n_user > 0 ? "among those required" : "where an explicit one is required");
		fail_at(res, TB_POLICY_NONE, 0, x, why);
	}
	goto done;
over:
	if (t.over == OVER_NODES)
		snprintf(why, sizeof(why), "policy tree over %zu nodes (max_policy_nodes): cut off",
		    t.max_nodes);
	else
		snprintf(why, sizeof(why), "policy processing over %lu comparisons "
		    "(%d per allowed node): cut off", t.max_work, WORK_PER_NODE);
	fail_at(res, TB_POLICY_LIMIT, n - i, certs[n - i], why);
done:
	res->nodes = t.n;
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "policy tree");
out:
	if (r != 0)
		tb_policy_result_clear(res);
	for (i = 0; i < TB_PATH_MAX; i++) {
		CERTIFICATEPOLICIES_free(cps[i]);
		sk_POLICY_MAPPING_pop_free(pms[i], POLICY_MAPPING_free);
	}
	POLICY_CONSTRAINTS_free(pc);
	ASN1_INTEGER_free(ia);
	for (u = 0; u < n_user; u++)
		ASN1_OBJECT_free(user[u]);
	tree_free(&t);
	return r;
}

int
tb_policy_check_reasons(const tb_policy_inputs *in, X509 *const *certs, int n, int signer,
    tb_reasons *rs, tb_policy_result *res, tb_error *err)
{
	enum tb_verdict v = TB_V_CHAIN_UNTRUSTED;
	const char *id = "CHAIN_UNTRUSTED.policy";
	char subj[256] = "";
	int r;

	if ((r = tb_policy_check(in, certs, n, res, err)) != 0)
		return r;
	switch (res->status) {
	case TB_POLICY_OK:
	case TB_POLICY_NOT_RUN:
		return 0;
	case TB_POLICY_LIMIT:
		id = "CHAIN_UNTRUSTED.policy_limit";
		break;
	case TB_POLICY_BAD_MAPPING:
		id = "CHAIN_UNTRUSTED.constraint";
		break;
	case TB_POLICY_MALFORMED:
		v = TB_V_MALFORMED;
		id = "MALFORMED.cert";
		break;
	default:
		break;
	}
	if (res->cert >= 0)
		tb_x509_name_text(X509_get_subject_name(certs[res->cert]), subj, sizeof(subj));
	if (tb_reasons_add(rs, v, id, signer, res->detail, "subject", subj, NULL) != 0)
		return tb_error_set(err, TB_ERR_NOMEM, "reason");
	return 0;
}
