/*
 * OCSP response checks of tb_ocsp_response_check, offline, with responses
 * signed here at test time. The nonce policy of docs/REVOCATION.md: an
 * echoed nonce is good; a different nonce is always refused (a replayed or
 * foreign answer); a response without a nonce when one was sent is refused
 * while ocsp_nonce_required is on and accepted when it is off. A response
 * changed after signing is refused by its signature. A delegated
 * responder answers only with a certificate the CA signed (RFC 6960
 * 4.2.2.2): one that names the CA and carries id-kp-OCSPSigning but was
 * signed by another key is refused. tb_ocsp_query makes its one HTTP
 * exchange through the tb_fetcher it is given, and without one it fails
 * closed. The network side of the same checks is in tests/unit/test_rev_net.c
 * (openssl ocsp responders).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "check_run.h"
#include "ocsp_check.h"
#include "x509_testlib.h"

static EVP_PKEY *ca_key, *leaf_key, *resp_key, *rogue_key;
static X509 *ca, *leaf, *responder, *forged_responder;

static void
setup(void)
{
	ck_assert_ptr_nonnull(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ck_assert_ptr_nonnull(leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ck_assert_ptr_nonnull(resp_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ck_assert_ptr_nonnull(rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ca = tbt_cert("OCSP TEST CA", 1, ca_key, NULL, ca_key, NULL);
	leaf = tbt_cert("OCSP TEST LEAF", 2, leaf_key, ca, ca_key, NULL);
	responder = tbt_cert("OCSP TEST RESPONDER", 3, resp_key, ca, ca_key, "OCSPSigning");
	/* Names the CA as its issuer, as a real one would; signed by another key. */
	forged_responder = tbt_cert("OCSP TEST RESPONDER", 3, resp_key, ca, rogue_key,
	    "OCSPSigning");
}

static void
teardown(void)
{
	X509_free(forged_responder);
	X509_free(responder);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(rogue_key);
	EVP_PKEY_free(resp_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
}

enum nonce_kind { ECHO, OTHER, NONE };

/*
 * The answer "good" for id with the nonce of kind, signed by signer with
 * key (the CA, or a responder whose certificate the response carries).
 */
static unsigned char *
response(OCSP_REQUEST *req, OCSP_CERTID *id, enum nonce_kind kind, X509 *signer,
    EVP_PKEY *key, size_t *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp;
	ASN1_TIME *thisupd = X509_gmtime_adj(NULL, -60), *nextupd = X509_gmtime_adj(NULL, 3600);
	unsigned char other[16], *der = NULL;
	int n;

	ck_assert(bs != NULL && thisupd != NULL && nextupd != NULL);
	ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL,
	    thisupd, nextupd));
	if (kind == ECHO)
		ck_assert_int_eq(OCSP_copy_nonce(bs, req), 1);
	if (kind == OTHER) {
		memset(other, 0x5a, sizeof(other));
		ck_assert_int_eq(OCSP_basic_add1_nonce(bs, other, sizeof(other)), 1);
	}
	ck_assert_int_eq(OCSP_basic_sign(bs, signer, key, EVP_sha256(), NULL, 0), 1);
	ck_assert_ptr_nonnull(resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
	ck_assert_int_gt(n = i2d_OCSP_RESPONSE(resp, &der), 0);
	*len = (size_t)n;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_TIME_free(thisupd);
	ASN1_TIME_free(nextupd);
	return der;
}

/* Set: the signed response's nextUpdate is moved a year on after signing. */
static int tamper_next_update;

/* Moves the year of the [0] nextUpdate GeneralizedTime in der one on. */
static void
later_next_update(unsigned char *der, size_t len)
{
	static const unsigned char tag[] = { 0xa0, 0x11, 0x18, 0x0f };
	size_t i;

	for (i = 0; i + sizeof(tag) + 4 <= len; i++)
		if (memcmp(der + i, tag, sizeof(tag)) == 0) {
			ck_assert(der[i + 7] >= '0' && der[i + 7] <= '8');
			der[i + 7]++;
			return;
		}
	ck_abort_msg("no nextUpdate in the response");
}

/*
 * Sends (nonce on) a request, answers it with a response of kind signed by
 * signer (NULL: the CA), checks it with ocsp_nonce_required = required.
 * 0 and *status, or the error with its detail in detail.
 */
static int
check_signed(enum nonce_kind kind, int required, X509 *signer, EVP_PKEY *key,
    enum tb_rev_status *status, char *detail, size_t detail_len)
{
	tb_ocsp_opts o;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	tb_ocsp_answer a;
	tb_error err;
	unsigned char *der;
	size_t len;
	int r;

	tb_ocsp_opts_init(&o);
	ck_assert_int_eq(o.nonce, 1);
	o.nonce_required = required;
	ck_assert_int_eq(tb_ocsp_request_new(leaf, ca, &o, &req, &id, &err), 0);
	der = response(req, id, kind, signer != NULL ? signer : ca, signer != NULL ? key : ca_key,
	    &len);
	if (tamper_next_update)
		later_next_update(der, len);
	memset(&a, 0, sizeof(a));
	tb_error_clear(&err);
	r = tb_ocsp_response_check(der, len, req, id, ca, &o, time(NULL), &a, &err);
	*status = a.status;
	snprintf(detail, detail_len, "%s", err.detail);
	tb_ocsp_answer_clear(&a);
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	return r;
}

static int
check_kind(enum nonce_kind kind, int required, enum tb_rev_status *status, char *detail,
    size_t detail_len)
{
	return check_signed(kind, required, NULL, NULL, status, detail, detail_len);
}

START_TEST(echoed_nonce_is_good)
{
	enum tb_rev_status st;
	char detail[512];

	ck_assert_msg(check_kind(ECHO, 1, &st, detail, sizeof(detail)) == 0, "%s", detail);
	ck_assert_int_eq(st, TB_REV_GOOD);
}
END_TEST

START_TEST(other_nonce_refused)
{
	enum tb_rev_status st;
	char detail[512];
	int required;

	/* A mismatch is refused whether or not an echo is required. */
	for (required = 0; required <= 1; required++) {
		ck_assert_int_eq(check_kind(OTHER, required, &st, detail, sizeof(detail)),
		    TB_ERR_REVOCATION_UNKNOWN);
		ck_assert_msg(strstr(detail, "nonce mismatch") != NULL, "%s", detail);
	}
}
END_TEST

START_TEST(missing_nonce_by_policy)
{
	enum tb_rev_status st;
	char detail[512];

	ck_assert_int_eq(check_kind(NONE, 1, &st, detail, sizeof(detail)),
	    TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_msg(strstr(detail, "did not echo the nonce") != NULL, "%s", detail);
	/* ocsp_nonce_required = false: a responder known not to echo. */
	ck_assert_msg(check_kind(NONE, 0, &st, detail, sizeof(detail)) == 0, "%s", detail);
	ck_assert_int_eq(st, TB_REV_GOOD);
}
END_TEST

/* A signed field changed after signing: the signature no longer verifies. */
START_TEST(tampered_response_refused)
{
	enum tb_rev_status st;
	char detail[512];

	tamper_next_update = 1;
	ck_assert_int_eq(check_kind(ECHO, 1, &st, detail, sizeof(detail)),
	    TB_ERR_REVOCATION_UNKNOWN);
	tamper_next_update = 0;
	ck_assert_msg(strstr(detail, "signature does not verify") != NULL, "%s", detail);
}
END_TEST

START_TEST(delegated_responder_signed_by_ca)
{
	enum tb_rev_status st;
	char detail[512];

	ck_assert_msg(check_signed(ECHO, 1, responder, resp_key, &st, detail, sizeof(detail)) == 0,
	    "%s", detail);
	ck_assert_int_eq(st, TB_REV_GOOD);
}
END_TEST

START_TEST(delegated_responder_forged)
{
	enum tb_rev_status st;
	char detail[512];

	ck_assert_int_eq(check_signed(ECHO, 1, forged_responder, resp_key, &st, detail,
	    sizeof(detail)), TB_ERR_REVOCATION_UNKNOWN);
	ck_assert_msg(strstr(detail, "is not signed by the CA") != NULL, "%s", detail);
}
END_TEST

/*
 * A fetcher that answers the OCSP request POSTed to it as the CA would
 * (with the request's own nonce): what libsig sees of the network.
 */
static int
ca_fetch(void *ctx, const char *url, const tb_fetch_opts *fo, const char *post_type,
    const unsigned char *post, size_t post_len, unsigned char **body, size_t *body_len,
    tb_error *err)
{
	const unsigned char *p = post;
	OCSP_REQUEST *req;
	unsigned char *der;
	size_t len;

	(void)fo;
	(void)err;
	ck_assert_str_eq(url, "http://ocsp.test/");
	ck_assert_ptr_nonnull(post_type);
	ck_assert_str_eq(post_type, "application/ocsp-request");
	ck_assert_ptr_nonnull(req = d2i_OCSP_REQUEST(NULL, &p, (long)post_len));
	ck_assert(p == post + post_len);
	der = response(req, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), ECHO, ca,
	    ca_key, &len);
	ck_assert_ptr_nonnull(*body = malloc(len));
	memcpy(*body, der, len);
	*body_len = len;
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	++*(int *)ctx;
	return 0;
}

START_TEST(query_through_given_fetcher)
{
	int calls = 0;
	tb_fetcher f = { ca_fetch, &calls };
	tb_ocsp_opts o;
	tb_ocsp_answer a;
	tb_error err;

	tb_ocsp_opts_init(&o);
	o.fetcher = &f;
	memset(&a, 0, sizeof(a));
	tb_error_clear(&err);
	ck_assert_msg(tb_ocsp_query("http://ocsp.test/", leaf, ca, &o, &a, &err) == 0, "%s",
	    err.detail);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(a.status, TB_REV_GOOD);
	ck_assert_ptr_nonnull(a.der);
	tb_ocsp_answer_clear(&a);
}
END_TEST

START_TEST(query_without_fetcher_fails_closed)
{
	tb_ocsp_opts o;
	tb_ocsp_answer a;
	tb_error err;

	tb_ocsp_opts_init(&o);
	ck_assert_ptr_null(o.fetcher);
	memset(&a, 0, sizeof(a));
	a.status = TB_REV_UNKNOWN;
	tb_error_clear(&err);
	ck_assert_int_eq(tb_ocsp_query("http://ocsp.test/", leaf, ca, &o, &a, &err),
	    TB_ERR_NETWORK);
	ck_assert_ptr_nonnull(strstr(err.detail, "no HTTP fetcher"));
	ck_assert_int_eq(a.status, TB_REV_UNKNOWN);
	ck_assert_ptr_null(a.der);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ocsp-check");
	TCase *tc = tcase_create("offline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, echoed_nonce_is_good);
	tcase_add_test(tc, other_nonce_refused);
	tcase_add_test(tc, missing_nonce_by_policy);
	tcase_add_test(tc, tampered_response_refused);
	tcase_add_test(tc, delegated_responder_signed_by_ca);
	tcase_add_test(tc, delegated_responder_forged);
	tcase_add_test(tc, query_through_given_fetcher);
	tcase_add_test(tc, query_without_fetcher_fails_closed);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
