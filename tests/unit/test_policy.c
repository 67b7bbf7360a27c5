/*
 * Unit tests for libsig/x509_policy.c: the 6.1.1 inputs (OID checks, how a
 * request's inputs merge over the configured ones), and tb_policy_check on
 * NIST PKITS paths (tests/vectors/pkits): the policy sets it reports, a
 * mapping, an unmet demand, and the node limit cutting a path off.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/x509.h>

#include "check_run.h"
#include "tb_file.h"
#include "x509_policy.h"

#define NIST_P1 "2.16.840.1.101.3.2.1.48.1"
#define NIST_P2 "2.16.840.1.101.3.2.1.48.2"

static X509 *
pkits_cert(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	unsigned char *buf = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *x;
	tb_error e;

	snprintf(path, sizeof(path), "%s/tests/vectors/pkits/certs/%s.crt", top ? top : ".", name);
	ck_assert_msg(tb_file_read(path, 1 << 20, &buf, &len, &e) == 0, "%s", e.detail);
	p = buf;
	x = d2i_X509(NULL, &p, (long)len);
	free(buf);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* The path leaf first, anchor last, as tb_path holds it. */
typedef struct path {
	X509 *c[4];
	int n;
} path;

static void
path_load(path *p, const char *leaf, const char *ca)
{
	p->n = 0;
	p->c[p->n++] = pkits_cert(leaf);
	if (ca != NULL)
		p->c[p->n++] = pkits_cert(ca);
	p->c[p->n++] = pkits_cert("TrustAnchorRootCertificate");
}

static void
path_free(path *p)
{
	while (p->n > 0)
		X509_free(p->c[--p->n]);
}

START_TEST(inputs_add_checks_oids)
{
	tb_policy_inputs in;
	tb_error e;
	char longoid[200];
	int i;

	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(tb_policy_inputs_add(&in, "1.2.398.3.3.2.3", &e), 0);
	ck_assert_str_eq(in.initial[0], "1.2.398.3.3.2.3");
	ck_assert_int_eq(tb_policy_inputs_add(&in, "individual_sign", &e), TB_ERR_INVALID_ARG);
	ck_assert_msg(strstr(e.detail, "not a dotted OID") != NULL, "%s", e.detail);
	ck_assert_int_eq(tb_policy_inputs_add(&in, "", &e), TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_policy_inputs_add(&in, "1..2", &e), TB_ERR_INVALID_ARG);
	memset(longoid, 0, sizeof(longoid));
	for (i = 0; i < 70; i++)	/* 141 characters */
		strcat(longoid, "1.");
	strcat(longoid, "1");
	ck_assert_int_eq(tb_policy_inputs_add(&in, longoid, &e), TB_ERR_INVALID_ARG);
	ck_assert_uint_eq(in.n_initial, 1);
	for (i = 1; i < TB_POLICY_MAX_INITIAL; i++)
		ck_assert_int_eq(tb_policy_inputs_add(&in, "1.2.3", &e), 0);
	ck_assert_int_eq(tb_policy_inputs_add(&in, "1.2.3", &e), TB_ERR_INVALID_ARG);
}
END_TEST

/* A request's set replaces the configured one; its flags only add. */
START_TEST(inputs_merge)
{
	tb_policy_inputs cfg, req;
	tb_error e;

	memset(&cfg, 0, sizeof(cfg));
	memset(&req, 0, sizeof(req));
	ck_assert_int_eq(tb_policy_inputs_add(&cfg, "1.2.398.3.3.2.3", &e), 0);
	cfg.inhibit_any = 1;
	cfg.max_nodes = 50;
	tb_policy_inputs_merge(&cfg, &req);
	ck_assert_uint_eq(cfg.n_initial, 1);
	ck_assert_int_eq(cfg.inhibit_any, 1);
	ck_assert_int_eq(tb_policy_inputs_add(&req, "1.2.398.3.3.2.1", &e), 0);
	req.explicit_policy = 1;
	req.max_nodes = 100000;
	tb_policy_inputs_merge(&cfg, &req);
	ck_assert_uint_eq(cfg.n_initial, 1);
	ck_assert_str_eq(cfg.initial[0], "1.2.398.3.3.2.1");
	ck_assert_int_eq(cfg.explicit_policy, 1);
	ck_assert_int_eq(cfg.inhibit_any, 1);
	ck_assert_uint_eq(cfg.max_nodes, 50);
}
END_TEST

/* PKITS 4.8.1: GoodCA and the EE both assert NIST-test-policy-1. */
START_TEST(same_policy_sets)
{
	tb_policy_inputs in;
	tb_policy_result res;
	tb_error e;
	path p;

	path_load(&p, "ValidCertificatePathTest1EE", "GoodCACert");
	ck_assert_int_eq(tb_policy_check(NULL, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_OK);
	ck_assert_uint_eq(res.n_valid, 1);
	ck_assert_str_eq(res.valid[0], NIST_P1);
	ck_assert_uint_eq(res.n_user, 1);
	tb_policy_result_clear(&res);
	/* Asking for policy 2 explicitly: nothing valid, refused at the leaf. */
	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(tb_policy_inputs_add(&in, NIST_P2, &e), 0);
	in.explicit_policy = 1;
	ck_assert_int_eq(tb_policy_check(&in, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_NONE);
	ck_assert_int_eq(res.cert, 0);
	ck_assert_uint_eq(res.n_valid, 1);
	ck_assert_uint_eq(res.n_user, 0);
	tb_policy_result_clear(&res);
	/* The same without the explicit flag: valid, but nothing user-constrained. */
	in.explicit_policy = 0;
	ck_assert_int_eq(tb_policy_check(&in, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_OK);
	ck_assert_uint_eq(res.n_user, 0);
	tb_policy_result_clear(&res);
	path_free(&p);
}
END_TEST

/* PKITS 4.10.1: the CA maps policy 1 to policy 2, the EE asserts 2. */
START_TEST(mapping_followed_and_inhibited)
{
	tb_policy_inputs in;
	tb_policy_result res;
	tb_error e;
	path p;

	path_load(&p, "ValidPolicyMappingTest1EE", "Mapping1to2CACert");
	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(tb_policy_inputs_add(&in, NIST_P1, &e), 0);
	in.explicit_policy = 1;
	ck_assert_int_eq(tb_policy_check(&in, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_OK);
	ck_assert_uint_eq(res.n_user, 1);
	ck_assert_str_eq(res.user[0], NIST_P2);
	tb_policy_result_clear(&res);
	in.inhibit_mapping = 1;
	ck_assert_int_eq(tb_policy_check(&in, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_NONE);
	tb_policy_result_clear(&res);
	path_free(&p);
}
END_TEST

/* The limit counts nodes: root, the CA's node, the EE's node. */
START_TEST(node_limit_cuts_off)
{
	tb_policy_inputs in;
	tb_policy_result res;
	tb_error e;
	path p;

	path_load(&p, "ValidCertificatePathTest1EE", "GoodCACert");
	memset(&in, 0, sizeof(in));
	in.max_nodes = 2;
	ck_assert_int_eq(tb_policy_check(&in, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_LIMIT);
	ck_assert_int_eq(res.cert, 0);
	ck_assert_msg(strstr(res.detail, "over 2 nodes") != NULL, "%s", res.detail);
	tb_policy_result_clear(&res);
	in.max_nodes = 3;
	ck_assert_int_eq(tb_policy_check(&in, p.c, p.n, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_OK);
	ck_assert_uint_eq(res.nodes, 3);
	tb_policy_result_clear(&res);
	path_free(&p);
}
END_TEST

/* The target is itself the anchor: nothing to process. */
START_TEST(anchor_only)
{
	tb_policy_result res;
	tb_error e;
	X509 *a = pkits_cert("TrustAnchorRootCertificate");

	ck_assert_int_eq(tb_policy_check(NULL, &a, 1, &res, &e), 0);
	ck_assert_int_eq(res.status, TB_POLICY_OK);
	ck_assert_uint_eq(res.n_valid, 0);
	tb_policy_result_clear(&res);
	X509_free(a);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, inputs_add_checks_oids);
	tcase_add_test(tc, inputs_merge);
	tcase_add_test(tc, same_policy_sets);
	tcase_add_test(tc, mapping_followed_and_inhibited);
	tcase_add_test(tc, node_limit_cuts_off);
	tcase_add_test(tc, anchor_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tbt_run(policy_suite(), CK_NORMAL);
}
