/*
 * Revocation against real servers on loopback, started by rev-net.sh:
 * `openssl ocsp` responders and a python HTTP server that serves CRLs and
 * faults. Every fault must end UNKNOWN (never GOOD) with a clear detail.
 * Run as "test_rev_net online", then "offline" once the servers are gone.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>
#include <openssl/pem.h>

#include "check_run.h"
#include "der_reader.h"
#include "verify_budget.h"
#include "rev_checker.h"
#include "rev_testlib.h"
#include "tb_clock.h"
#include "tb_file.h"

static time_t
pki_time(const char *name)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char path[4096];
	tb_der c;
	time_t t = 0;

	snprintf(path, sizeof(path), "%s/%s", revt_env("REV_PKI"), name);
	ck_assert_int_eq(tb_file_read(path, 64, &buf, &len, NULL), 0);
	while (len > 0 && (buf[len - 1] == '\n'))
		len--;
	tb_der_init(&c, buf, len);
	ck_assert_int_eq(tb_der_time(TB_DER_UTCTIME, &c, &t), 0);
	free(buf);
	return t;
}

static tb_rev_conf conf;
static tb_rev_issuer_conf ic;

static void
conf_reset(void)
{
	revt_conf_reset(&conf, &ic);
	conf.fetch.connect_timeout_ms = 2000;
	conf.fetch.timeout_ms = 3000;
	conf.fetch.low_speed_bytes = 100;
	conf.fetch.low_speed_time_s = 2;
}

static void
ocsp(const char *url)
{
	ic.ocsp_urls[ic.n_ocsp_urls++] = url;
}

static void
crl(const char *url)
{
	ic.crl_urls[ic.n_crl_urls++] = url;
}

static tb_rev_ctx *
mk(void)
{
	tb_rev_ctx *ctx = NULL;
	tb_error err;

	ck_assert_msg(tb_rev_ctx_new(&conf, &ctx, &err) == 0, "%s", err.detail);
	return ctx;
}

/* Checks the certificate called name (issued by the CA) at time at. */
static tb_rev_result
check_at(tb_rev_ctx *ctx, const char *name, time_t at)
{
	X509 *cert = revt_pki_cert(name), *ca = revt_pki_cert("ca");
	tb_rev_result res;
	tb_error err;

	ck_assert_int_eq(tb_rev_check(ctx, cert, ca, at, &res, &err), 0);
	X509_free(cert);
	X509_free(ca);
	return res;
}

static tb_rev_result
check(tb_rev_ctx *ctx, const char *name)
{
	return check_at(ctx, name, tb_clock_now());
}

#define ASSERT_UNKNOWN(res, text) do { \
	ck_assert_msg((res).status == TB_REV_UNKNOWN, "status %d, detail: %s", \
	    (res).status, (res).detail); \
	ck_assert_msg(strstr((res).detail, (text)) != NULL, "detail \"%s\" lacks \"%s\"", \
	    (res).detail, (text)); \
} while (0)

/* The answer for cert name from a checker made for this one check. */
static tb_rev_result
check_once(const char *name)
{
	tb_rev_ctx *ctx = mk();
	tb_rev_result res = check(ctx, name);

	tb_rev_ctx_free(ctx);
	return res;
}

/* One OCSP URL, no CRL: the answer of cert name. */
static tb_rev_result
ocsp_only(const char *url, const char *name)
{
	ocsp(url);
	return check_once(name);
}

static tb_rev_result
crl_only(const char *url, const char *name)
{
	crl(url);
	return check_once(name);
}

/* ---- OCSP ---- */

START_TEST(ocsp_delegated_good)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_DELEG"), "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "ocsp");
	ck_assert_ptr_nonnull(strstr(r.issuer, "CN=ocsp"));
	ck_assert_ptr_nonnull(r.ocsp_der);
	ck_assert_int_gt(r.ocsp_der_len, 100);
	ck_assert_int_gt(r.next_update, tb_clock_now());
	ck_assert_int_le(r.this_update, tb_clock_now() + 5);
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_delegated_revoked)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_DELEG"), "revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
	ck_assert_int_eq(r.reason, 1);	/* keyCompromise */
	ck_assert_int_eq(r.revoked_at, pki_time("rev1.time"));
	ck_assert_int_eq(r.revoked_later, 0);
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_unknown_cert)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_DELEG"), "unknown");
	ASSERT_UNKNOWN(r, "does not know");
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_direct_by_ca)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_DIRECT"), "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_ptr_nonnull(strstr(r.issuer, "CN=Tanba Test CA"));
	tb_rev_result_clear(&r);
	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_DIRECT"), "revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_get_and_sha256)
{
	tb_rev_result r;

	conf_reset();
	ic.ocsp_get = 1;
	r = ocsp_only(revt_env("REV_OCSP_DELEG"), "revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "GET: %d %s", r.status, r.detail);
	tb_rev_result_clear(&r);
	conf_reset();
	ic.ocsp_certid_sha256 = 1;
	r = ocsp_only(revt_env("REV_OCSP_DELEG"), "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "SHA-256 CertID: %d %s", r.status, r.detail);
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_unauthorised_signer)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_ROGUE"), "good");
	ASSERT_UNKNOWN(r, "not authorised");
	conf_reset();
	r = ocsp_only(revt_env("REV_OCSP_OTHER"), "good");
	ASSERT_UNKNOWN(r, "not issued by the CA");
}
END_TEST

START_TEST(ocsp_replayed_nonce)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_url("REV_HTTP", "/f/replay.der"), "good");
	ASSERT_UNKNOWN(r, "nonce mismatch");
}
END_TEST

START_TEST(ocsp_other_certificate)
{
	tb_rev_result r;

	conf_reset();
	ic.ocsp_nonce = 0;
	r = ocsp_only(revt_url("REV_HTTP", "/f/other-cert.der"), "good");
	ASSERT_UNKNOWN(r, "another certificate");
	/* With the nonce on, a response without one is refused first. */
	conf_reset();
	r = ocsp_only(revt_url("REV_HTTP", "/f/good-nononce.der"), "good");
	ASSERT_UNKNOWN(r, "did not echo the nonce");
	/* A responder known not to echo may be allowed to. */
	conf_reset();
	ic.ocsp_nonce_required = 0;
	r = ocsp_only(revt_url("REV_HTTP", "/f/good-nononce.der"), "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_refused)
{
	tb_rev_result r;
	time_t t0 = time(NULL);

	conf_reset();
	r = ocsp_only(revt_env("REV_REFUSED"), "good");
	ASSERT_UNKNOWN(r, revt_env("REV_REFUSED") + 7);
	ck_assert_int_lt(time(NULL) - t0, 3);
}
END_TEST

START_TEST(ocsp_never_answers)
{
	tb_rev_result r;
	time_t t0 = time(NULL);

	conf_reset();
	conf.fetch.timeout_ms = 1500;
	r = ocsp_only(revt_url("REV_HTTP", "/hang"), "good");
	ASSERT_UNKNOWN(r, "timed out");
	ck_assert_int_lt(time(NULL) - t0, 5);
}
END_TEST

/*
 * A fetch made for a verification ends by that verification's deadline
 * ([verify] max_time_ms), whatever its own timeout: the responder that
 * never answers costs the time left, not the configured 60 s, and once the
 * time is spent no fetch starts.
 */
START_TEST(fetch_capped_by_budget)
{
	tb_verify_budget b;
	tb_budget_limits lim;
	tb_rev_result r;

	memset(&lim, 0, sizeof(lim));
	lim.max_time_ms = 300;
	conf_reset();
	conf.fetch.timeout_ms = 60000;
	conf.fetch.connect_timeout_ms = 60000;
	tb_verify_budget_start(&b, &lim);
	tb_verify_budget_set_current(&b);
	r = ocsp_only(revt_url("REV_HTTP", "/hang"), "good");
	ASSERT_UNKNOWN(r, "timed out");
	/* Spent: refused before any connection. */
	b.deadline.tv_sec -= 10;
	conf_reset();
	ic.ocsp_nonce_required = 0;
	conf.fetch.timeout_ms = 60000;
	r = ocsp_only(revt_url("REV_HTTP", "/f/good-nononce.der"), "good");
	tb_verify_budget_set_current(NULL);
	ASSERT_UNKNOWN(r, "verification time budget spent");
	/* No verification running: the fetch is not limited by one. */
	conf_reset();
	ic.ocsp_nonce_required = 0;
	r = ocsp_only(revt_url("REV_HTTP", "/f/good-nononce.der"), "good");
	ck_assert_int_eq(r.status, TB_REV_GOOD);
	tb_rev_result_clear(&r);
}
END_TEST

START_TEST(ocsp_http_faults)
{
	tb_rev_result r;

	conf_reset();
	r = ocsp_only(revt_url("REV_HTTP", "/status500"), "good");
	ASSERT_UNKNOWN(r, "HTTP status 500");
	conf_reset();
	r = ocsp_only(revt_url("REV_HTTP", "/empty"), "good");
	ASSERT_UNKNOWN(r, "empty body");
	conf_reset();
	r = ocsp_only(revt_url("REV_HTTP", "/redirect"), "good");
	ASSERT_UNKNOWN(r, "HTTP status 302");
	conf_reset();
	r = ocsp_only(revt_url("REV_HTTP", "/f/full.crl"), "good");
	ASSERT_UNKNOWN(r, "does not parse");
	/* OCSP answers are capped at 1 MiB whatever the CRL cap is. */
	conf_reset();
	conf.fetch.timeout_ms = 60000;
	r = ocsp_only(revt_url("REV_HTTP", "/endless"), "good");
	ASSERT_UNKNOWN(r, "over 1048576 bytes, cut off");
}
END_TEST

START_TEST(trickle_cut_off)
{
	tb_rev_result r;
	time_t t0 = time(NULL);

	conf_reset();
	conf.fetch.timeout_ms = 60000;
	r = crl_only(revt_url("REV_HTTP", "/trickle"), "good");
	ck_assert_msg(r.status == TB_REV_UNKNOWN, "%d %s", r.status, r.detail);
	ck_assert_int_lt(time(NULL) - t0, 8);
}
END_TEST

START_TEST(endless_body_cut_off)
{
	tb_rev_result r;
	time_t t0 = time(NULL);

	conf_reset();
	conf.fetch.timeout_ms = 60000;
	conf.fetch.max_bytes = 1024 * 1024;
	r = crl_only(revt_url("REV_HTTP", "/endless"), "good");
	ASSERT_UNKNOWN(r, "cut off");
	ck_assert_int_lt(time(NULL) - t0, 10);
}
END_TEST

START_TEST(scheme_refused)
{
	tb_rev_ctx *ctx = NULL;
	tb_error err;

	conf_reset();
	ocsp("file:///etc/passwd");
	ck_assert_int_eq(tb_rev_ctx_new(&conf, &ctx, &err), TB_ERR_CONFIG);
	ck_assert_ptr_null(ctx);
	ck_assert_ptr_nonnull(strstr(err.detail, "only http and https"));
}
END_TEST

/* A crl_signer without cRLSign, or that no other issuer signed, is refused. */
START_TEST(crl_signer_refused)
{
	tb_rev_ctx *ctx = NULL;
	tb_error err;
	X509 *leaf = revt_pki_cert("good"), *self = revt_pki_cert("ca");

	conf_reset();
	crl("http://127.0.0.1:1/x.crl");
	ic.crl_signer = leaf;
	ck_assert_int_eq(tb_rev_ctx_new(&conf, &ctx, &err), TB_ERR_CONFIG);
	ck_assert_ptr_null(ctx);
	ck_assert_msg(strstr(err.detail, "lacks cRLSign") != NULL, "%s", err.detail);
	/* The CA's name and cRLSign, but self-signed: no other issuer vouches. */
	ic.crl_signer = self;
	ck_assert_int_eq(tb_rev_ctx_new(&conf, &ctx, &err), TB_ERR_CONFIG);
	ck_assert_msg(strstr(err.detail, "not signed by another configured issuer") != NULL,
	    "%s", err.detail);
	X509_free(leaf);
	X509_free(self);
}
END_TEST

/* ---- CRL and delta CRL ---- */

START_TEST(crl_states)
{
	tb_rev_ctx *ctx;
	tb_rev_result r;

	conf_reset();
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ctx = mk();
	r = check(ctx, "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "crl");
	ck_assert_ptr_nonnull(strstr(r.issuer, "CN=Tanba Test CA"));
	ck_assert_int_gt(r.next_update, tb_clock_now());
	r = check(ctx, "revoked");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	ck_assert_int_eq(r.reason, 1);
	ck_assert_int_eq(r.revoked_at, pki_time("rev1.time"));
	r = check(ctx, "held");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	ck_assert_int_eq(r.reason, 6);	/* certificateHold */
	r = check(ctx, "delta-revoked");
	ck_assert_int_eq(r.status, TB_REV_GOOD);
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(delta_applied)
{
	tb_rev_ctx *ctx;
	tb_rev_result r;

	conf_reset();
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ic.delta_urls[ic.n_delta_urls++] = revt_url("REV_HTTP", "/f/delta.crl");
	ctx = mk();
	r = check(ctx, "delta-revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "delta");
	ck_assert_int_eq(r.reason, 1);
	ck_assert_int_eq(r.revoked_at, pki_time("revdelta.time"));
	r = check(ctx, "held");
	ck_assert_msg(r.status == TB_REV_GOOD, "removeFromCRL: %d %s", r.status, r.detail);
	ck_assert_ptr_nonnull(strstr(r.detail, "removed"));
	r = check(ctx, "revoked");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	r = check(ctx, "good");
	ck_assert_int_eq(r.status, TB_REV_GOOD);
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(delta_served_as_base_refused)
{
	tb_rev_result r;

	conf_reset();
	r = crl_only(revt_url("REV_HTTP", "/f/delta.crl"), "good");
	ASSERT_UNKNOWN(r, "delta CRL where a complete CRL was expected");
}
END_TEST

START_TEST(crl_faults)
{
	static const struct { const char *path, *text; } cases[] = {
		{ "/f/zero.crl", "empty body" },
		{ "/f/truncated.crl", "not a DER CertificateList" },
		{ "/f/impostor.crl", "signature does not verify" },
		{ "/f/other.crl", "not by the CA" },
		{ "/f/expired.crl", "expired" },
		{ "/f/future.crl", "in the future" },
		{ "/f/missing.crl", "HTTP status 404" },
		{ "/status500", "HTTP status 500" },
	};
	tb_rev_result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_reset();
		r = crl_only(revt_url("REV_HTTP", cases[i].path), "revoked");
		ASSERT_UNKNOWN(r, cases[i].text);
		conf_reset();
		r = crl_only(revt_url("REV_HTTP", cases[i].path), "good");
		ck_assert_msg(r.status == TB_REV_UNKNOWN, "%s: good must not pass", cases[i].path);
	}
}
END_TEST

/*
 * RFC 5280 6.3.3: a CRL whose scope does not cover the certificate is no
 * evidence that it is good (these were answered GOOD before: fail open),
 * over the loopback HTTP server as the checker fetches them.
 */
START_TEST(crl_scope_online)
{
	static const struct { const char *path, *text; } cases[] = {
		{ "/f/idp-other.crl", "another distribution point" },
		{ "/f/only-ca.crl", "onlyContainsCACerts" },
		{ "/f/only-attr.crl", "onlyContainsAttributeCerts" },
		{ "/f/only-some.crl", "only some reasons" },
	};
	tb_rev_result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_reset();
		r = crl_only(revt_url("REV_HTTP", cases[i].path), "good");
		ASSERT_UNKNOWN(r, cases[i].text);
	}
	/* The CRL of the certificate's own distribution point answers. */
	conf_reset();
	r = crl_only(revt_url("REV_HTTP", "/f/idp-match.crl"), "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	conf_reset();
	r = crl_only(revt_url("REV_HTTP", "/f/idp-match.crl"), "revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
}
END_TEST

START_TEST(bad_crl_never_replaces_good)
{
	char dir[4096], src[4096], dst[4096], cmd[16384];
	unsigned char *a = NULL, *b = NULL;
	size_t al, bl;
	tb_rev_ctx *ctx;
	tb_rev_result r;
	tb_error err;
	const char *bad[] = { "truncated.crl", "expired.crl", "impostor.crl", "zero.crl" };
	size_t i;

	snprintf(dir, sizeof(dir), "%s/keep", revt_env("REV_WWW"));
	mkdir(dir, 0700);
	snprintf(dst, sizeof(dst), "%s/current.crl", revt_env("REV_WWW"));
	snprintf(cmd, sizeof(cmd), "cp '%s/full.crl' '%s'", revt_env("REV_WWW"), dst);
	ck_assert_int_eq(system(cmd), 0);
	conf_reset();
	conf.cache_dir = dir;
	crl(revt_url("REV_HTTP", "/f/current.crl"));
	ctx = mk();
	r = check(ctx, "revoked");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cp '%s/%s' '%s'", revt_env("REV_WWW"), bad[i], dst);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_ne(tb_rev_refresh_crls(ctx, &err), 0);
		r = check(ctx, "revoked");
		ck_assert_msg(r.status == TB_REV_REVOKED, "after %s: %d %s", bad[i], r.status,
		    r.detail);
		r = check(ctx, "good");
		ck_assert_msg(r.status == TB_REV_GOOD, "after %s: %d %s", bad[i], r.status,
		    r.detail);
	}
	tb_rev_ctx_free(ctx);
	/* The disk copy is still the good CRL, byte for byte. */
	snprintf(cmd, sizeof(cmd), "ls %s/*.crl | head -1", dir);
	{
		FILE *p = popen(cmd, "r");

		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_nonnull(fgets(dst, sizeof(dst), p));
		pclose(p);
		dst[strcspn(dst, "\n")] = '\0';
	}
	snprintf(src, sizeof(src), "%s/full.crl", revt_env("REV_WWW"));
	ck_assert_int_eq(tb_file_read(src, 1 << 20, &a, &al, NULL), 0);
	ck_assert_int_eq(tb_file_read(dst, 1 << 20, &b, &bl, NULL), 0);
	ck_assert_int_eq(al, bl);
	ck_assert_int_eq(memcmp(a, b, al), 0);
	free(a);
	free(b);
}
END_TEST

/* ---- policy ---- */

START_TEST(fallback_ocsp_to_crl)
{
	tb_rev_ctx *ctx;
	tb_rev_result r;

	conf_reset();
	ocsp(revt_env("REV_REFUSED"));
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ctx = mk();
	r = check(ctx, "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "crl");
	tb_rev_ctx_free(ctx);
	/* CRL first when configured so: OCSP is not even asked. */
	conf_reset();
	ocsp(revt_env("REV_REFUSED"));
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ic.order[0] = TB_REV_SRC_CRL;
	ic.order[1] = TB_REV_SRC_OCSP;
	ctx = mk();
	r = check(ctx, "revoked");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	ck_assert_str_eq(r.source, "crl");
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(soft_and_hard_fail)
{
	tb_rev_result r;

	conf_reset();
	crl(revt_env("REV_REFUSED"));
	r = ocsp_only(revt_env("REV_REFUSED"), "good");
	ASSERT_UNKNOWN(r, "127.0.0.1");
	conf_reset();
	ic.soft_fail = 1;
	crl(revt_env("REV_REFUSED"));
	r = ocsp_only(revt_env("REV_REFUSED"), "good");
	ck_assert_int_eq(r.status, TB_REV_SKIPPED);
	ck_assert_ptr_nonnull(strstr(r.detail, "skipped"));
}
END_TEST

START_TEST(unconfigured_issuer)
{
	tb_rev_ctx *ctx;
	X509 *cert = revt_pki_cert("other-ocsp"), *ca = revt_pki_cert("other-ca");
	tb_rev_result r;
	tb_error err;

	conf_reset();
	ocsp(revt_env("REV_OCSP_DELEG"));
	ctx = mk();
	ck_assert_int_eq(tb_rev_check(ctx, cert, ca, tb_clock_now(), &r, &err), 0);
	ASSERT_UNKNOWN(r, "no revocation source configured for issuer");
	tb_rev_ctx_free(ctx);
	X509_free(cert);
	X509_free(ca);
}
END_TEST

START_TEST(revoked_after_evaluation_time)
{
	tb_rev_ctx *ctx;
	tb_rev_result r;
	time_t rt = pki_time("revlater.time");

	conf_reset();
	ocsp(revt_env("REV_OCSP_DELEG"));
	ctx = mk();
	r = check_at(ctx, "later", rt - 3600);
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_int_eq(r.revoked_later, 1);
	ck_assert_int_eq(r.revoked_at, rt);
	ck_assert_int_eq(r.reason, 4);	/* superseded */
	tb_rev_result_clear(&r);
	r = check_at(ctx, "later", rt);
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	tb_rev_result_clear(&r);
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(aia_off_by_default)
{
	tb_rev_result r;
	tb_rev_ctx *ctx;

	/* The leaves carry AIA and CDP URLs at 127.0.0.1:1; none is used. */
	conf_reset();
	ctx = mk();
	r = check(ctx, "good");
	ASSERT_UNKNOWN(r, "no responder configured");
	ck_assert_ptr_null(strstr(r.detail, "127.0.0.1:1"));
	tb_rev_ctx_free(ctx);
	conf_reset();
	ic.use_aia = 1;
	ctx = mk();
	r = check(ctx, "good");
	ASSERT_UNKNOWN(r, "127.0.0.1:1");
	tb_rev_ctx_free(ctx);
}
END_TEST

/* ---- caching ---- */

typedef struct worker {
	tb_rev_ctx *ctx;
	tb_rev_result r;
} worker;

static void *
worker_main(void *arg)
{
	worker *w = arg;
	X509 *cert = revt_pki_cert("good"), *ca = revt_pki_cert("ca");

	tb_rev_check(w->ctx, cert, ca, tb_clock_now(), &w->r, NULL);
	X509_free(cert);
	X509_free(ca);
	return NULL;
}

START_TEST(ocsp_coalesced_and_cached)
{
	pthread_t th[8];
	worker w[8];
	tb_rev_ctx *ctx;
	tb_rev_issuer_status *st = NULL;
	tb_rev_result r;
	size_t n, i;

	conf_reset();
	ic.ocsp_nonce = 0;
	ocsp(revt_url("REV_HTTP", "/slow/good-nononce.der"));	/* answers after 1 s */
	ctx = mk();
	for (i = 0; i < 8; i++) {
		w[i].ctx = ctx;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(w[i].r.status == TB_REV_GOOD, "%d %s", w[i].r.status, w[i].r.detail);
		ck_assert_ptr_nonnull(w[i].r.ocsp_der);
		tb_rev_result_clear(&w[i].r);
	}
	r = check(ctx, "good");
	ck_assert_int_eq(r.status, TB_REV_GOOD);
	tb_rev_result_clear(&r);
	ck_assert_int_eq(tb_rev_status(ctx, &st, &n, NULL), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(st[0].ocsp_ok, 1);	/* one request for nine checks */
	ck_assert_int_eq(st[0].ocsp_fail, 0);
	ck_assert_int_eq(st[0].healthy, 1);
	free(st);
	ck_assert_int_eq(tb_rev_ocsp_cached(ctx), 1);
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(ocsp_cache_bounded)
{
	const char *names[] = { "good", "revoked", "later", "held" };
	tb_rev_ctx *ctx;
	tb_rev_result r;
	size_t i;

	conf_reset();
	conf.ocsp_cache_max = 2;
	ocsp(revt_env("REV_OCSP_DELEG"));
	ctx = mk();
	for (i = 0; i < 4; i++) {
		r = check(ctx, names[i]);
		ck_assert_int_ne(r.status, TB_REV_UNKNOWN);
		tb_rev_result_clear(&r);
		ck_assert_int_le(tb_rev_ocsp_cached(ctx), 2);
	}
	ck_assert_int_eq(tb_rev_ocsp_cached(ctx), 2);
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(status_and_background)
{
	tb_rev_issuer_status *st = NULL;
	tb_rev_ctx *ctx;
	size_t n;
	int i;

	conf_reset();
	conf.background = 1;
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ic.name = "test-ca";
	ctx = mk();
	/* The background thread fetches the CRL without any check asking. */
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(tb_rev_status(ctx, &st, &n, NULL), 0);
		if (st[0].has_crl)
			break;
		free(st);
		st = NULL;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(st[0].name, "test-ca");
	ck_assert_int_eq(st[0].has_crl, 1);
	ck_assert_int_eq(st[0].crl_entries, 3);
	ck_assert_int_gt(st[0].crl_next_update, tb_clock_now());
	ck_assert_int_ge(st[0].crl_age_s, 0);
	ck_assert_int_eq(st[0].healthy, 1);
	ck_assert_int_eq(st[0].crl_fetch_ok, 1);
	free(st);
	tb_rev_ctx_free(ctx);
	/* Nothing reachable: unhealthy, with the reason. */
	conf_reset();
	crl(revt_env("REV_REFUSED"));
	ocsp(revt_env("REV_REFUSED"));
	ctx = mk();
	tb_rev_result r = check(ctx, "good");
	ck_assert_int_eq(r.status, TB_REV_UNKNOWN);
	ck_assert_int_eq(tb_rev_status(ctx, &st, &n, NULL), 0);
	ck_assert_int_eq(st[0].healthy, 0);
	ck_assert_int_eq(st[0].ocsp_fail, 1);
	ck_assert_int_eq(st[0].crl_fetch_fail, 1);
	ck_assert_int_gt(strlen(st[0].last_error), 0);
	free(st);
	tb_rev_ctx_free(ctx);
}
END_TEST

START_TEST(restart_prepare)
{
	tb_rev_ctx *ctx;
	tb_rev_result r;

	conf_reset();
	conf.cache_dir = revt_env("REV_CACHE");
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ic.delta_urls[ic.n_delta_urls++] = revt_url("REV_HTTP", "/f/delta.crl");
	ctx = mk();
	ck_assert_int_eq(tb_rev_refresh_crls(ctx, NULL), 0);
	r = check(ctx, "delta-revoked");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	tb_rev_ctx_free(ctx);
}
END_TEST

/* ---- after the servers are gone ---- */

START_TEST(restart_from_disk)
{
	tb_rev_issuer_status *st = NULL;
	tb_rev_ctx *ctx;
	tb_rev_result r;
	size_t n;

	conf_reset();
	conf.cache_dir = revt_env("REV_CACHE");
	ocsp(revt_env("REV_OCSP_DELEG"));
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ic.delta_urls[ic.n_delta_urls++] = revt_url("REV_HTTP", "/f/delta.crl");
	ctx = mk();
	/* Loaded at start, before any check. */
	ck_assert_int_eq(tb_rev_status(ctx, &st, &n, NULL), 0);
	ck_assert_int_eq(st[0].has_crl, 1);
	ck_assert_int_eq(st[0].has_delta, 1);
	free(st);
	r = check(ctx, "revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
	ck_assert_int_eq(r.reason, 1);
	r = check(ctx, "delta-revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "delta");
	r = check(ctx, "held");
	ck_assert_int_eq(r.status, TB_REV_GOOD);
	r = check(ctx, "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	tb_rev_ctx_free(ctx);
	/* Without the disk copy nothing can answer. */
	conf_reset();
	ocsp(revt_env("REV_OCSP_DELEG"));
	crl(revt_url("REV_HTTP", "/f/full.crl"));
	ctx = mk();
	r = check(ctx, "good");
	ck_assert_int_eq(r.status, TB_REV_UNKNOWN);
	tb_rev_ctx_free(ctx);
}
END_TEST

/* ---- offline: stored CRLs and OCSP responses, no network ---- */

static unsigned char *
www(const char *name, size_t *len)
{
	char path[4096];
	unsigned char *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", revt_env("REV_WWW"), name);
	ck_assert_msg(tb_file_read(path, 1 << 24, &buf, len, NULL) == 0, "%s", path);
	return buf;
}

static tb_rev_result
offline(const char *ocsp_file, const char *const *crls, size_t n, const char *name)
{
	tb_rev_offline in;
	unsigned char *bufs[TB_REV_MAX_URLS + 1] = { NULL };
	X509 *cert = revt_pki_cert(name), *ca = revt_pki_cert("ca");
	tb_rev_result res;
	tb_error err;
	size_t i;

	memset(&in, 0, sizeof(in));
	if (ocsp_file != NULL)
		in.ocsp_der = bufs[TB_REV_MAX_URLS] = www(ocsp_file, &in.ocsp_len);
	for (i = 0; i < n; i++)
		in.crl_der[i] = bufs[i] = www(crls[i], &in.crl_len[i]);
	in.n_crls = n;
	ck_assert_int_eq(tb_rev_check_offline(&in, cert, ca, tb_clock_now(), &res, &err), 0);
	for (i = 0; i <= TB_REV_MAX_URLS; i++)
		free(bufs[i]);
	X509_free(cert);
	X509_free(ca);
	return res;
}

START_TEST(offline_inputs)
{
	const char *both[] = { "delta.crl", "full.crl" };
	const char *bad_then_good[] = { "impostor.crl", "truncated.crl", "full.crl" };
	const char *expired[] = { "expired.crl" };
	const char *idp_other[] = { "idp-other.crl" }, *only_ca[] = { "only-ca.crl" };
	const char *idp_match[] = { "idp-match.crl" };
	tb_rev_result r;

	r = offline("good-nononce.der", NULL, 0, "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "ocsp");
	ck_assert_ptr_nonnull(r.ocsp_der);
	tb_rev_result_clear(&r);
	r = offline("other-cert.der", NULL, 0, "good");
	ASSERT_UNKNOWN(r, "another certificate");
	r = offline("other-cert.der", both, 2, "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "delta");
	r = offline(NULL, both, 2, "delta-revoked");
	ck_assert_int_eq(r.status, TB_REV_REVOKED);
	ck_assert_str_eq(r.source, "delta");
	r = offline(NULL, both, 2, "held");
	ck_assert_int_eq(r.status, TB_REV_GOOD);
	r = offline(NULL, both, 1, "delta-revoked");	/* the delta alone */
	ASSERT_UNKNOWN(r, "no usable complete CRL");
	r = offline(NULL, bad_then_good, 3, "revoked");
	ck_assert_msg(r.status == TB_REV_REVOKED, "%d %s", r.status, r.detail);
	ck_assert_str_eq(r.source, "crl");
	r = offline(NULL, expired, 1, "good");
	ASSERT_UNKNOWN(r, "expired");
	r = offline(NULL, NULL, 0, "good");
	ASSERT_UNKNOWN(r, "no CRL or OCSP response given");
	/* Scope offline: another distribution point, onlyContainsCACerts. */
	r = offline(NULL, idp_other, 1, "good");
	ASSERT_UNKNOWN(r, "another distribution point");
	r = offline(NULL, only_ca, 1, "good");
	ASSERT_UNKNOWN(r, "onlyContainsCACerts");
	r = offline(NULL, idp_match, 1, "good");
	ck_assert_msg(r.status == TB_REV_GOOD, "%d %s", r.status, r.detail);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s = suite_create("rev_net");
	TCase *tc = tcase_create("net");
	int offline = argc > 1 && strcmp(argv[1], "offline") == 0;

	tcase_set_timeout(tc, 60);
	if (!offline) {
		tcase_add_test(tc, ocsp_delegated_good);
		tcase_add_test(tc, ocsp_delegated_revoked);
		tcase_add_test(tc, ocsp_unknown_cert);
		tcase_add_test(tc, ocsp_direct_by_ca);
		tcase_add_test(tc, ocsp_get_and_sha256);
		tcase_add_test(tc, ocsp_unauthorised_signer);
		tcase_add_test(tc, ocsp_replayed_nonce);
		tcase_add_test(tc, ocsp_other_certificate);
		tcase_add_test(tc, ocsp_refused);
		tcase_add_test(tc, ocsp_never_answers);
		tcase_add_test(tc, fetch_capped_by_budget);
		tcase_add_test(tc, ocsp_http_faults);
		tcase_add_test(tc, trickle_cut_off);
		tcase_add_test(tc, endless_body_cut_off);
		tcase_add_test(tc, scheme_refused);
		tcase_add_test(tc, crl_states);
		tcase_add_test(tc, delta_applied);
		tcase_add_test(tc, delta_served_as_base_refused);
		tcase_add_test(tc, crl_faults);
		tcase_add_test(tc, crl_scope_online);
		tcase_add_test(tc, crl_signer_refused);
		tcase_add_test(tc, bad_crl_never_replaces_good);
		tcase_add_test(tc, fallback_ocsp_to_crl);
		tcase_add_test(tc, soft_and_hard_fail);
		tcase_add_test(tc, unconfigured_issuer);
		tcase_add_test(tc, revoked_after_evaluation_time);
		tcase_add_test(tc, aia_off_by_default);
		tcase_add_test(tc, ocsp_coalesced_and_cached);
		tcase_add_test(tc, ocsp_cache_bounded);
		tcase_add_test(tc, status_and_background);
		tcase_add_test(tc, restart_prepare);
	} else {
		tcase_add_test(tc, restart_from_disk);
		tcase_add_test(tc, offline_inputs);
	}
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
