/*
 * Network faults between the revocation checker and its sources, started
 * by tests/system/netfault.sh: a host that does not resolve, TLS failures, a slow
 * trickle, an endless body over TLS. Every fault must end UNKNOWN, never
 * GOOD, with a detail that names the cause, within a bound derived from
 * the configured limit (loose: these are behaviour checks, not timings).
 */
#define _GNU_SOURCE	/* strcasestr */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/pem.h>

#include "check_run.h"
#include "rev_checker.h"
#include "rev_testlib.h"
#include "tb_clock.h"

/* RFC 6761 6.4: names under .invalid never resolve. */
#define DNS_FAIL_HOST "crl.tanba-test.invalid"

/* 1 when the TLS test CA is trusted (the namespace was available). */
static int
trusted(void)
{
	const char *v = getenv("NF_TRUSTED");

	return v != NULL && strcmp(v, "1") == 0;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static tb_rev_conf conf;
static tb_rev_issuer_conf ic;

/* Short, explicit limits so every cut-off is quick; tests change them. */
static void
conf_reset(void)
{
	revt_conf_reset(&conf, &ic);
	conf.fetch.connect_timeout_ms = 1000;
	conf.fetch.timeout_ms = 2000;
}

/*
 * 2.5 s in all and a floor of 1 B/s over 60 s: a one-byte-a-second
 * trickle meets only the whole-transfer limit.
 */
static void
conf_trickle(void)
{
	conf_reset();
	conf.fetch.timeout_ms = 2500;
	conf.fetch.low_speed_bytes = 1;
	conf.fetch.low_speed_time_s = 60;
}

typedef struct outcome {
	tb_rev_result r;
	long ms;		/* how long tb_rev_check took */
} outcome;

/* Builds the checker from conf and checks certificate name once, timed. */
static outcome
run(const char *name)
{
	tb_rev_ctx *ctx = NULL;
	X509 *cert = revt_pki_cert(name), *ca = revt_pki_cert("ca");
	tb_error err;
	outcome o;
	long t0;

	ck_assert_msg(tb_rev_ctx_new(&conf, &ctx, &err) == 0, "%s", err.detail);
	t0 = now_ms();
	ck_assert_int_eq(tb_rev_check(ctx, cert, ca, tb_clock_now(), &o.r, &err), 0);
	o.ms = now_ms() - t0;
	tb_rev_ctx_free(ctx);
	X509_free(cert);
	X509_free(ca);
	return o;
}

static outcome
ocsp_only(const char *url)
{
	ic.ocsp_urls[ic.n_ocsp_urls++] = url;
	return run("good");
}

static outcome
crl_only(const char *url, const char *name)
{
	ic.crl_urls[ic.n_crl_urls++] = url;
	return run(name);
}

/* UNKNOWN with text in the detail (case-insensitive), within bound_ms. */
#define ASSERT_CUT(o, text, bound_ms) do { \
	ck_assert_msg((o).r.status == TB_REV_UNKNOWN, "status %d, detail: %s", \
	    (o).r.status, (o).r.detail); \
	ck_assert_msg(strcasestr((o).r.detail, (text)) != NULL, \
	    "detail \"%s\" lacks \"%s\"", (o).r.detail, (text)); \
	ck_assert_msg((o).ms < (bound_ms), "took %ld ms, bound %ld ms (%s)", (o).ms, \
	    (long)(bound_ms), (o).r.detail); \
	tb_rev_result_clear(&(o).r); \
} while (0)

/* ---- DNS ---- */

START_TEST(dns_failure_ocsp)
{
	outcome o;

	conf_reset();
	o = ocsp_only("http://" DNS_FAIL_HOST "/ocsp");
	/* "Could not resolve host", or "Resolving timed out" on a dead resolver. */
	ASSERT_CUT(o, "resolv", 3 * conf.fetch.connect_timeout_ms);
	conf_reset();
	o = ocsp_only("http://" DNS_FAIL_HOST "/ocsp");
	ck_assert_ptr_nonnull(strstr(o.r.detail, DNS_FAIL_HOST));
	tb_rev_result_clear(&o.r);
}
END_TEST

START_TEST(dns_failure_crl)
{
	outcome o;

	conf_reset();
	o = crl_only("http://" DNS_FAIL_HOST "/full.crl", "revoked");
	ck_assert_ptr_nonnull(strstr(o.r.detail, DNS_FAIL_HOST));
	ASSERT_CUT(o, "resolv", 3 * conf.fetch.connect_timeout_ms);
	/* Every source unresolvable, OCSP first then CRL: still UNKNOWN. */
	conf_reset();
	ic.crl_urls[ic.n_crl_urls++] = "https://" DNS_FAIL_HOST "/full.crl";
	o = ocsp_only("https://" DNS_FAIL_HOST "/ocsp");
	ASSERT_CUT(o, "resolv", 2 * 3 * conf.fetch.connect_timeout_ms);
}
END_TEST

/* ---- TLS ---- */

START_TEST(tls_trusted_control)
{
	outcome o;

	if (!trusted()) {
		fprintf(stderr, "tls_trusted_control: no namespace, skipped\n");
		return;
	}
	/* The same server setup with a good certificate works: the faults
	 * below fail for the reason they name, not for a broken TLS setup. */
	conf_reset();
	o = crl_only(revt_url("NF_TLS_GOOD", "/f/full.crl"), "good");
	ck_assert_msg(o.r.status == TB_REV_GOOD, "%d %s", o.r.status, o.r.detail);
	ck_assert_str_eq(o.r.source, "crl");
	tb_rev_result_clear(&o.r);
	conf_reset();
	o = crl_only(revt_url("NF_TLS_GOOD", "/f/full.crl"), "revoked");
	ck_assert_msg(o.r.status == TB_REV_REVOKED, "%d %s", o.r.status, o.r.detail);
	tb_rev_result_clear(&o.r);
}
END_TEST

START_TEST(tls_untrusted_self_signed)
{
	outcome o;

	conf_reset();
	o = crl_only(revt_url("NF_TLS_SELF", "/f/full.crl"), "good");
	ck_assert_ptr_nonnull(strstr(o.r.detail, revt_env("NF_TLS_SELF") + 8));
	ASSERT_CUT(o, "self-signed certificate", 3 * conf.fetch.timeout_ms);
	conf_reset();
	o = ocsp_only(revt_url("NF_TLS_SELF", "/ocsp"));
	ASSERT_CUT(o, "self-signed certificate", 3 * conf.fetch.timeout_ms);
}
END_TEST

START_TEST(tls_expired_server_certificate)
{
	outcome o;
	const char *why = trusted() ? "certificate has expired" : "SSL certificate problem";

	conf_reset();
	o = crl_only(revt_url("NF_TLS_EXPIRED", "/f/full.crl"), "good");
	ASSERT_CUT(o, why, 3 * conf.fetch.timeout_ms);
	conf_reset();
	o = ocsp_only(revt_url("NF_TLS_EXPIRED", "/ocsp"));
	ASSERT_CUT(o, why, 3 * conf.fetch.timeout_ms);
}
END_TEST

START_TEST(tls_wrong_host_name)
{
	outcome o;

	conf_reset();
	o = crl_only(revt_url("NF_TLS_MISNAMED", "/f/full.crl"), "good");
	ASSERT_CUT(o, trusted() ? "subject name" : "SSL certificate problem",
	    3 * conf.fetch.timeout_ms);
}
END_TEST

START_TEST(tls_plain_http_behind_https)
{
	outcome o;

	conf_reset();
	o = crl_only(revt_url("NF_PLAIN_AS_TLS", "/f/full.crl"), "good");
	ASSERT_CUT(o, "wrong version number", 3 * conf.fetch.timeout_ms);
}
END_TEST

START_TEST(tls_handshake_never_answered)
{
	outcome o;

	/* The connect timeout covers the TLS handshake. */
	conf_reset();
	conf.fetch.timeout_ms = 30000;
	o = ocsp_only(revt_url("NF_SILENT", "/ocsp"));
	ASSERT_CUT(o, "SSL connection timeout", 3 * conf.fetch.connect_timeout_ms);
	conf_reset();
	conf.fetch.timeout_ms = 30000;
	o = crl_only(revt_url("NF_SILENT", "/full.crl"), "good");
	ASSERT_CUT(o, "SSL connection timeout", 3 * conf.fetch.connect_timeout_ms);
}
END_TEST

/* ---- slow and endless answers ---- */

START_TEST(trickle_cut_by_time_limit)
{
	outcome o;

	/* One byte a second passes a 1 B/s low-speed floor: only the whole-
	 * transfer limit ends it. */
	conf_trickle();
	o = ocsp_only(revt_url("NF_PLAIN", "/trickle"));
	ck_assert_msg(o.ms >= 2000, "cut after %ld ms, before the limit", o.ms);
	ASSERT_CUT(o, "timed out", 3 * conf.fetch.timeout_ms);
	conf_trickle();
	o = crl_only(revt_url("NF_PLAIN", "/trickle"), "good");
	ck_assert_msg(o.ms >= 2000, "cut after %ld ms, before the limit", o.ms);
	ASSERT_CUT(o, "timed out", 3 * conf.fetch.timeout_ms);
}
END_TEST

START_TEST(trickle_cut_by_default_limits)
{
	outcome o;

	/* The shipped defaults (1000 B/s over 10 s, 30 s in all) end a
	 * one-byte-a-second responder at the low-speed cut-off. */
	conf_reset();
	tb_fetch_opts_init(&conf.fetch);
	o = ocsp_only(revt_url("NF_PLAIN", "/trickle"));
	ck_assert_msg(o.ms >= 1000L * (conf.fetch.low_speed_time_s - 1), "cut after %ld ms", o.ms);
	ASSERT_CUT(o, "too slow", 3 * 1000L * conf.fetch.low_speed_time_s);
}
END_TEST

START_TEST(trickle_over_tls)
{
	outcome o;

	if (!trusted()) {
		fprintf(stderr, "trickle_over_tls: no namespace, skipped\n");
		return;
	}
	conf_trickle();
	o = crl_only(revt_url("NF_TLS_GOOD", "/trickle"), "good");
	ASSERT_CUT(o, "timed out", 3 * conf.fetch.timeout_ms);
}
END_TEST

START_TEST(endless_body_over_tls)
{
	outcome o;

	if (!trusted()) {
		fprintf(stderr, "endless_body_over_tls: no namespace, skipped\n");
		return;
	}
	conf_reset();
	conf.fetch.timeout_ms = 20000;
	conf.fetch.max_bytes = 2 * 1024 * 1024;
	o = crl_only(revt_url("NF_TLS_GOOD", "/endless"), "good");
	/* Cut at the size cap, long before the time limit. */
	ASSERT_CUT(o, "cut off", conf.fetch.timeout_ms / 2);
	conf_reset();
	conf.fetch.timeout_ms = 20000;
	o = ocsp_only(revt_url("NF_TLS_GOOD", "/endless"));
	ASSERT_CUT(o, "over 1048576 bytes", conf.fetch.timeout_ms / 2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netfault");
	TCase *tc = tcase_create("net");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, dns_failure_ocsp);
	tcase_add_test(tc, dns_failure_crl);
	tcase_add_test(tc, tls_trusted_control);
	tcase_add_test(tc, tls_untrusted_self_signed);
	tcase_add_test(tc, tls_expired_server_certificate);
	tcase_add_test(tc, tls_wrong_host_name);
	tcase_add_test(tc, tls_plain_http_behind_https);
	tcase_add_test(tc, tls_handshake_never_answered);
	tcase_add_test(tc, trickle_cut_by_time_limit);
	tcase_add_test(tc, trickle_cut_by_default_limits);
	tcase_add_test(tc, trickle_over_tls);
	tcase_add_test(tc, endless_body_over_tls);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_VERBOSE);
}
