/*
 * Unit tests of the access-control table ([client] sections: user and
 * group resolved at load, ops and keys lists, first match wins) and of the
 * per-client token bucket. Real config parser; users root and nobody.
 */
#include "config.h"

#include <check.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../daemon/shared/conf.h"
#include "../daemon/front/ratelimit.h"
#include "check_run.h"

static char dir[256], pin[300];

static void
setup(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/tb-acl.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pin, sizeof(pin), "%s/pin", dir);
	ck_assert_ptr_nonnull(f = fopen(pin, "w"));
	fputs("1234", f);
	fclose(f);
	chmod(pin, 0600);
}

static void
teardown(void)
{
	unlink(pin);
	rmdir(dir);
}

/* Parses the common head plus clients; returns the code. */
static int
parse(const char *clients, tb_config **cfg, tb_error *err)
{
	char text[4096];

	snprintf(text, sizeof(text), "[daemon]\nsocket = /tmp/x.sock\n[token]\nmodule = m\n"
	    "pin_file = %s\n[key \"a\"]\nuri = pkcs11:object=a\n[key \"b\"]\n"
	    "uri = pkcs11:object=b\n[audit]\nfile = /tmp/a.log\n%s", pin, clients);
	tb_error_clear(err);
	return tb_config_parse("t.conf", text, strlen(text), cfg, err);
}

START_TEST(match_and_rights)
{
	tb_config *cfg = NULL;
	tb_error err;
	const tb_client_conf *c;
	struct passwd *nb = getpwnam("nobody");

	ck_assert_ptr_nonnull(nb);
	ck_assert_int_eq(parse("[client \"adm\"]\nuser = root\nops = *\nkeys = *\n"
	    "[client \"web\"]\nuser = nobody\nops = verify, status\nkeys = b\n", &cfg, &err), 0);
	ck_assert_uint_eq(cfg->nclients, 2);
	ck_assert_str_eq(cfg->audit_file, "/tmp/a.log");
	ck_assert_uint_eq(cfg->rate_per_client, 200);
	ck_assert_uint_eq(cfg->rate_burst, 400);
	c = tb_config_client(cfg, 0, 12345);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "adm");
	ck_assert_uint_eq(c->ops, TB_OP_ALL);
	ck_assert(tb_config_client_key_ok(c, "a"));
	c = tb_config_client(cfg, nb->pw_uid, 12345);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "web");
	ck_assert_uint_eq(c->ops, TB_OP_VERIFY | TB_OP_STATUS);
	ck_assert(!(c->ops & tb_config_op_bit("sign")));
	ck_assert(tb_config_client_key_ok(c, "b"));
	ck_assert(!tb_config_client_key_ok(c, "a"));
	ck_assert(!tb_config_client_key_ok(NULL, "a"));
	/* Default deny: neither user nor group matches. */
	ck_assert_ptr_null(tb_config_client(cfg, 54321, 54321));
	tb_config_unref(cfg);
}
END_TEST

START_TEST(group_match)
{
	tb_config *cfg = NULL;
	tb_error err;

	ck_assert_int_eq(parse("[client \"g\"]\ngroup = root\nops = status\n", &cfg, &err), 0);
	ck_assert_ptr_nonnull(tb_config_client(cfg, 54321, 0));
	ck_assert_ptr_null(tb_config_client(cfg, 54321, 54321));
	/* No keys line: no key. */
	ck_assert(!tb_config_client_key_ok(tb_config_client(cfg, 1, 0), "a"));
	tb_config_unref(cfg);
}
END_TEST

START_TEST(errors)
{
	tb_config *cfg = NULL;
	tb_error err;

	ck_assert_int_eq(parse("[client \"x\"]\nuser = root\ngroup = root\nops = *\n", &cfg, &err),
	    TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "either user or group"));
	ck_assert_int_eq(parse("[client \"x\"]\nuser = root\nops = sign fly\n", &cfg, &err),
	    TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "'fly' is not one of"));
	ck_assert_int_eq(parse("[client \"x\"]\nuser = root\nops = sign\nkeys = a zz\n", &cfg,
	    &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "no [key \"zz\"] section"));
	ck_assert_int_eq(parse("[client \"x\"]\nuser = no-such-user-tb\nops = sign\n", &cfg, &err),
	    TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "no user named"));
	ck_assert_int_eq(parse("[client \"x\"]\nuser = root\n", &cfg, &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "ops is required"));
	ck_assert_int_eq(parse("[client \"x\"]\nuser = root\nops = *\n[client \"x\"]\nuser = root\n"
	    "ops = *\n", &cfg, &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "given twice"));
	ck_assert_int_eq(parse("[audit]\nsyslog = yes\n", &cfg, &err), TB_ERR_CONFIG);
}
END_TEST

START_TEST(token_bucket)
{
	tb_ratelimit *rl = tb_ratelimit_new();
	int i, ok = 0;

	ck_assert_ptr_nonnull(rl);
	/* A burst of 10 at t=0, then refused; other uids have their own bucket. */
	for (i = 0; i < 20; i++)
		ok += tb_ratelimit_take(rl, 1000, 100.0, 5, 10);
	ck_assert_int_eq(ok, 10);
	ck_assert_int_eq(tb_ratelimit_take(rl, 1001, 100.0, 5, 10), 1);
	/* One second later: 5 more. */
	for (ok = 0, i = 0; i < 20; i++)
		ok += tb_ratelimit_take(rl, 1000, 101.0, 5, 10);
	ck_assert_int_eq(ok, 5);
	/* Many uids: the table grows and keeps each bucket. */
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(tb_ratelimit_take(rl, 5000 + (unsigned)i, 102.0, 5, 1), 1);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(tb_ratelimit_take(rl, 5000 + (unsigned)i, 102.0, 5, 1), 0);
	tb_ratelimit_free(rl);
	tb_ratelimit_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("acl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, match_and_rights);
	tcase_add_test(tc, group_match);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, token_bucket);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
