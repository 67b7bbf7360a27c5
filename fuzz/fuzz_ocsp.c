/*
 * Fuzz target: OCSP response checking (ocsp_check.c). The input is a DER
 * OCSPResponse. It is checked as received against a CA named like its
 * ResponderID, which must never succeed since the target's key did not
 * sign it; then its tbsResponseData is re-signed by that CA (fuzz_pki.c)
 * so that the CertID, nonce and time checks run too. A foreign nonce must
 * always be refused.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "der_reader.h"
#include "fuzz.h"
#include "ocsp_check.h"

/* CN=tanba fuzz responder: the CA when the response names none. */
static const unsigned char default_name[] = {
	0x30, 0x21, 0x31, 0x1f, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x16,
	't', 'a', 'n', 'b', 'a', ' ', 'f', 'u', 'z', 'z', ' ', 'r', 'e', 's', 'p',
	'o', 'n', 'd', 'e', 'r', ' ', 'C', 'A'
};

static time_t
asn1_to_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return tb_der_timegm(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/* The CA, a CertID to ask for and "now", all taken from the response. */
static void
pick(const uint8_t *data, size_t size, X509 **ca, OCSP_CERTID **id, time_t *now)
{
	const unsigned char *p = data;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	const ASN1_OCTET_STRING *keyid = NULL;
	const X509_NAME *name = NULL;
	ASN1_GENERALIZEDTIME *rev, *thisupd = NULL, *nextupd;
	unsigned char *der = NULL;
	int n, reason;

	*now = 0;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)size)) != NULL &&
	    (bs = OCSP_response_get1_basic(resp)) != NULL) {
		if (OCSP_resp_get0_id(bs, &keyid, &name) && name != NULL &&
		    (n = i2d_X509_NAME(name, &der)) > 0)
			*ca = fz_ca_named(der, (size_t)n);
		if ((single = OCSP_resp_get0(bs, 0)) != NULL) {
			*id = OCSP_CERTID_dup(OCSP_SINGLERESP_get0_id(single));
			(void)OCSP_single_get0_status(single, &reason, &rev, &thisupd, &nextupd);
			*now = asn1_to_time(thisupd);
		}
		if (*now == 0)
			*now = asn1_to_time(OCSP_resp_get0_produced_at(bs));
	}
	if (*ca == NULL)
		FZ_ASSERT((*ca = fz_ca_named(default_name, sizeof(default_name))) != NULL);
	if (*id == NULL)
		FZ_ASSERT((*id = OCSP_cert_to_id(NULL, *ca, *ca)) != NULL);
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
}

/*
 * OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING {
 * BasicOCSPResponse } } } around the input's tbsResponseData, signed by
 * the target's key and without certificates. 0 when the input has none.
 */
static int
resign(const uint8_t *data, size_t size, unsigned char **out, size_t *out_len)
{
	static const unsigned char head[] = {
		0x0a, 0x01, 0x00,	/* ENUMERATED successful */
	};
	static const unsigned char basic_oid[] = {
		0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01
	};
	unsigned char *basic = NULL, *octets = NULL, *rb = NULL, *ctx = NULL, *body = NULL;
	size_t basic_len, octets_len, ctx_len, body_len;
	tb_der d, outer, c, rbd, oct, bsd, tbs;
	unsigned char tag;
	int r = 0;

	tb_der_init(&d, data, size);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &outer, NULL) != 0 ||
	    tb_der_expect(&outer, TB_DER_ENUMERATED, NULL, NULL) != 0 ||
	    tb_der_expect(&outer, TB_DER_CTX_CONS(0), &c, NULL) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, &rbd, NULL) != 0 ||
	    tb_der_expect(&rbd, TB_DER_OID, NULL, NULL) != 0 ||
	    tb_der_next(&rbd, &tag, &oct, NULL) != 0 || tag != TB_DER_OCTET_STRING ||
	    tb_der_expect(&oct, TB_DER_SEQUENCE, &bsd, NULL) != 0 ||
	    tb_der_next(&bsd, &tag, NULL, &tbs) != 0)
		return 0;
	FZ_ASSERT(fz_resign(tbs.p, tbs.len, &basic, &basic_len) == 0);
	FZ_ASSERT(fz_der_wrap(TB_DER_OCTET_STRING, basic, basic_len, &octets, &octets_len) == 0);
	FZ_ASSERT((rb = malloc(sizeof(basic_oid) + octets_len)) != NULL);
	memcpy(rb, basic_oid, sizeof(basic_oid));
	memcpy(rb + sizeof(basic_oid), octets, octets_len);
	free(basic);
	FZ_ASSERT(fz_der_wrap(TB_DER_SEQUENCE, rb, sizeof(basic_oid) + octets_len, &basic,
	    &basic_len) == 0);
	FZ_ASSERT(fz_der_wrap(TB_DER_CTX_CONS(0), basic, basic_len, &ctx, &ctx_len) == 0);
	FZ_ASSERT((body = malloc(sizeof(head) + ctx_len)) != NULL);
	memcpy(body, head, sizeof(head));
	memcpy(body + sizeof(head), ctx, ctx_len);
	body_len = sizeof(head) + ctx_len;
	FZ_ASSERT(fz_der_wrap(TB_DER_SEQUENCE, body, body_len, out, out_len) == 0);
	r = 1;
	free(basic);
	free(octets);
	free(rb);
	free(ctx);
	free(body);
	return r;
}

/* What a successful check promises about its answer. */
static void
check_answer(const tb_ocsp_answer *a, const unsigned char *der, size_t len, time_t now,
    const tb_ocsp_opts *o)
{
	json_t *s;

	FZ_ASSERT(a->status == TB_REV_GOOD || a->status == TB_REV_REVOKED ||
	    a->status == TB_REV_UNKNOWN);
	FZ_ASSERT(a->der != NULL && a->der_len == len && memcmp(a->der, der, len) == 0);
	FZ_ASSERT(a->this_update != 0 && a->this_update <= now + o->skew_s);
	FZ_ASSERT(a->next_update == 0 || a->next_update >= now);
	FZ_ASSERT(a->status == TB_REV_REVOKED || a->reason == -1);
	/* The responder's name goes into JSON answers: whole UTF-8. */
	FZ_ASSERT((s = json_string(a->responder)) != NULL);
	json_decref(s);
}

/* A request carrying a nonce the response cannot know. */
static OCSP_REQUEST *
nonce_request(OCSP_CERTID *id)
{
	OCSP_REQUEST *req;
	OCSP_CERTID *copy;

	FZ_ASSERT((req = OCSP_REQUEST_new()) != NULL);
	FZ_ASSERT((copy = OCSP_CERTID_dup(id)) != NULL);
	FZ_ASSERT(OCSP_request_add0_id(req, copy) != NULL);
	FZ_ASSERT(OCSP_request_add1_nonce(req, NULL, 16));
	return req;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509 *ca = NULL;
	OCSP_CERTID *id = NULL;
	OCSP_REQUEST *req = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0;
	tb_ocsp_opts o;
	tb_ocsp_answer a;
	tb_error e;
	time_t now;
	int r;

	pick(data, size, &ca, &id, &now);
	tb_ocsp_opts_init(&o);
	memset(&a, 0, sizeof(a));
	/* As received: not signed by the CA's key nor by anyone it certified. */
	r = tb_ocsp_response_check(data, size, NULL, id, ca, &o, now, &a, &e);
	fz_note("as received: %s", e.detail);
	FZ_ASSERT(r != 0);
	FZ_ASSERT(a.der == NULL);

	if (!resign(data, size, &der, &der_len))
		goto out;
	tb_error_clear(&e);
	if (tb_ocsp_response_check(der, der_len, NULL, id, ca, &o, now, &a, &e) == 0) {
		fz_note("re-signed: accepted, status %d", (int)a.status);
		check_answer(&a, der, der_len, now, &o);
		tb_ocsp_answer_clear(&a);
	} else {
		fz_note("re-signed: %s", e.detail);
		FZ_ASSERT(e.code != 0 && a.der == NULL);
	}
	req = nonce_request(id);
	FZ_ASSERT(tb_ocsp_response_check(der, der_len, req, id, ca, &o, now, &a, &e) != 0);
	FZ_ASSERT(a.der == NULL);
 out:
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	X509_free(ca);
	free(der);
	ERR_clear_error();
	return 0;
}
