/*
 * Unit tests of the TLS side of the access-control table: [client]
 * tls_subject and tls_cert_sha256 (either, or both which must then both
 * match), TLS-only clients never matching a UNIX peer, and the [tls]
 * section's validation (listen literals, required files, key permissions).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../daemon/shared/conf.h"

static char dir[256], pin[300], key[300];

static void
setup(void)
{
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/tb-tlsmap.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pin, sizeof(pin), "%s/pin", dir);
	snprintf(key, sizeof(key), "%s/tls.key", dir);
	ck_assert_ptr_nonnull(f = fopen(pin, "w"));
	fputs("1234", f);
	fclose(f);
	chmod(pin, 0600);
	ck_assert_ptr_nonnull(f = fopen(key, "w"));
	fputs("not read by the parser\n", f);
	fclose(f);
	chmod(key, 0600);
}

static void
teardown(void)
{
	unlink(pin);
	unlink(key);
	rmdir(dir);
}

static int
parse(const char *tail, tb_config **cfg, tb_error *err)
{
	char text[4096];

	snprintf(text, sizeof(text), "[daemon]\nsocket = /tmp/x.sock\n[token]\nmodule = m\n"
	    "pin_file = %s\n[key \"a\"]\nuri = pkcs11:object=a\n[audit]\nfile = /tmp/a.log\n%s",
	    pin, tail);
	tb_error_clear(err);
	*cfg = NULL;
	return tb_config_parse("t.conf", text, strlen(text), cfg, err);
}

#define FP_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(map_subject_and_fingerprint)
{
	unsigned char fa[32], fz[32];
	const tb_client_conf *c;
	tb_config *cfg;
	tb_error err;
	size_t i;

	/* fa as written in FP_A: 01 23 45 67 89 ab cd ef, four times */
	for (i = 0; i < 32; i++)
		fa[i] = (unsigned char)(0x01 + 0x22 * (i % 8));
	memset(fz, 0x5a, sizeof(fz));
	ck_assert_int_eq(parse("[client \"by-subject\"]\ntls_subject = CN=alpha,O=Test\n"
	    "ops = status\n"
	    "[client \"by-fp\"]\ntls_cert_sha256 = " FP_A "\nops = keys\n"
	    "[client \"both\"]\ntls_subject = CN=both\ntls_cert_sha256 = "
	    "5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:5A:"
	    "5A:5A:5A:5A\nops = *\nkeys = *\n"
	    "[client \"unix\"]\nuser = root\nops = status\n", &cfg, &err), 0);
	c = tb_config_client_tls(cfg, "CN=alpha,O=Test", fz);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "by-subject");
	/* Exact text: another order or case is another subject. */
	ck_assert_ptr_null(tb_config_client_tls(cfg, "O=Test,CN=alpha", fz));
	ck_assert_ptr_null(tb_config_client_tls(cfg, "cn=alpha,O=Test", fz));
	c = tb_config_client_tls(cfg, "CN=whoever", fa);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "by-fp");
	/* Both given: both must match. */
	c = tb_config_client_tls(cfg, "CN=both", fz);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "both");
	ck_assert_ptr_null(tb_config_client_tls(cfg, "CN=other", fz));
	fz[31] ^= 1;
	ck_assert_ptr_null(tb_config_client_tls(cfg, "CN=both", fz));
	/* A client without TLS identity is never a TLS client, nor the reverse. */
	ck_assert_ptr_null(tb_config_client_tls(cfg, "", fz));
	c = tb_config_client(cfg, 0, 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "unix");
	ck_assert_ptr_null(tb_config_client(cfg, 4242, 4242));
	ck_assert_ptr_null(tb_config_client(cfg, (unsigned)-1, (unsigned)-1));
	ck_assert_ptr_nonnull(tb_config_client_named(cfg, "both"));
	ck_assert_ptr_null(tb_config_client_named(cfg, "nobody-here"));
	ck_assert_ptr_null(cfg->tls_listen);	/* no [tls]: off */
	tb_config_unref(cfg);
}
END_TEST

START_TEST(bad_client_entries)
{
	tb_config *cfg;
	tb_error err;

	ck_assert_int_eq(parse("[client \"x\"]\nops = status\n", &cfg, &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "tls_subject"));
	ck_assert_int_eq(parse("[client \"x\"]\ntls_cert_sha256 = abcd\nops = status\n", &cfg,
	    &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "tls_cert_sha256"));
	ck_assert_int_eq(parse("[client \"x\"]\ntls_cert_sha256 = " FP_A "00\nops = status\n",
	    &cfg, &err), TB_ERR_CONFIG);
	ck_assert_int_eq(parse("[client \"x\"]\ntls_cert_sha256 = "
	    "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nops = status\n",
	    &cfg, &err), TB_ERR_CONFIG);
	ck_assert_int_eq(parse("[client \"x\"]\nuser = root\ngroup = root\nops = status\n", &cfg,
	    &err), TB_ERR_CONFIG);
}
END_TEST

static int
parse_tls(const char *listen, const char *extra, tb_config **cfg, tb_error *err)
{
	char tail[1024];

	snprintf(tail, sizeof(tail), "[tls]\n%s%s%scertificate = /c.pem\nprivate_key = %s\n"
	    "client_ca = /ca.pem\n%s", listen ? "listen = " : "", listen ? listen : "",
	    listen ? "\n" : "", key, extra);
	return parse(tail, cfg, err);
}

START_TEST(tls_section)
{
	char host[64];
	unsigned port;
	tb_config *cfg;
	tb_error err;

	ck_assert_int_eq(parse_tls("127.0.0.1:8443", "", &cfg, &err), 0);
	ck_assert_str_eq(cfg->tls_listen, "127.0.0.1:8443");
	ck_assert_str_eq(cfg->tls_private_key, key);
	ck_assert_ptr_null(cfg->tls_crl);
	tb_config_unref(cfg);
	ck_assert_int_eq(parse_tls("[::1]:9000", "crl = /crl.pem\n", &cfg, &err), 0);
	ck_assert_str_eq(cfg->tls_crl, "/crl.pem");
	tb_config_unref(cfg);
	ck_assert_int_eq(tb_config_tls_address("[::]:1", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "::");
	ck_assert_uint_eq(port, 1);
	ck_assert_int_eq(tb_config_tls_address("0.0.0.0:65535", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "0.0.0.0");
	ck_assert_uint_eq(port, 65535);
	/* Names, a bare IPv6, ports out of range: refused. */
	ck_assert_int_eq(parse_tls("localhost:8443", "", &cfg, &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "listen"));
	ck_assert_int_ne(tb_config_tls_address("::1:8443", host, sizeof(host), &port), 0);
	ck_assert_int_ne(tb_config_tls_address("127.0.0.1:0", host, sizeof(host), &port), 0);
	ck_assert_int_ne(tb_config_tls_address("127.0.0.1:65536", host, sizeof(host), &port), 0);
	ck_assert_int_ne(tb_config_tls_address("127.0.0.1", host, sizeof(host), &port), 0);
	ck_assert_int_ne(tb_config_tls_address("[127.0.0.1]:1", host, sizeof(host), &port), 0);
	/* A section without listen is a mistake, not "off". */
	ck_assert_int_eq(parse_tls(NULL, "", &cfg, &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "listen is required"));
	ck_assert_int_eq(parse("[tls]\nlisten = 127.0.0.1:1\ncertificate = /c\n", &cfg, &err),
	    TB_ERR_CONFIG);
	/* The key is a secret: group or world access refuses the file. */
	chmod(key, 0640);
	ck_assert_int_eq(parse_tls("127.0.0.1:8443", "", &cfg, &err), TB_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.detail, "private_key"));
	chmod(key, 0604);
	ck_assert_int_eq(parse_tls("127.0.0.1:8443", "", &cfg, &err), TB_ERR_CONFIG);
	chmod(key, 0600);
	ck_assert_int_eq(parse_tls("127.0.0.1:8443", "bogus = 1\n", &cfg, &err), TB_ERR_CONFIG);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tls_map");
	TCase *tc = tcase_create("conf");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, map_subject_and_fingerprint);
	tcase_add_test(tc, bad_client_entries);
	tcase_add_test(tc, tls_section);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
