/*
 * Fixtures shared by the revocation tests that run against real servers
 * on loopback (test_rev_net, test_netfault). Everything here reads what
 * the test's shell script made; nothing is faked.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <check.h>
#include <openssl/pem.h>

#include "rev_testlib.h"

const char *
revt_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL, "%s not set: run through rev-net.sh or netfault.sh", name);
	return v;
}

X509 *
revt_pki_cert(const char *name)
{
	char path[4096];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.pem", revt_env("REV_PKI"), name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

const char *
revt_url(const char *base_env, const char *path)
{
	static char ring[16][512];
	static int k;
	char *b = ring[k++ % 16];

	snprintf(b, 512, "%s%s", revt_env(base_env), path);
	return b;
}

void
revt_conf_reset(tb_rev_conf *conf, tb_rev_issuer_conf *ic)
{
	static char ca[4096];

	tb_rev_conf_init(conf);
	tb_rev_issuer_conf_init(ic);
	snprintf(ca, sizeof(ca), "%s/ca.pem", revt_env("REV_PKI"));
	ic->issuer_file = ca;
	conf->issuers = ic;
	conf->n_issuers = 1;
	conf->background = 0;
}
