/*
 * OCSP requests and the checks on their answers (RFC 6960). OpenSSL parses
 * the response; the signed bytes and signature are taken from the raw DER
 * through der_reader and verified by tb_sigalg_verify, so GOST responders
 * work the same way. Never report good for an answer whose signer, nonce,
 * CertID or times failed a check.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "der_reader.h"
#include "ocsp_check.h"
#include "sigalg.h"
#include "tb_clock.h"
#include "tb_log.h"
#include "x509_path.h"

void
tb_ocsp_opts_init(tb_ocsp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->nonce = 1;
	o->nonce_required = 1;
	o->skew_s = 300;
	tb_fetch_opts_init(&o->fetch);
}

void
tb_ocsp_answer_clear(tb_ocsp_answer *a)
{
	if (a == NULL)
		return;
	free(a->der);
	memset(a, 0, sizeof(*a));
}

static time_t
asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return tb_der_timegm(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/* Signed bytes, algorithm and signature of a SEQUENCE { tbs, alg, BIT STRING, ... }. */
static int
signed_parts(tb_der *outer, tb_der *tbs, tb_der *alg, tb_der *sig)
{
	tb_der seq, bits;

	if (tb_der_expect(outer, TB_DER_SEQUENCE, &seq, NULL) != 0 ||
	    tb_der_expect(&seq, TB_DER_SEQUENCE, NULL, tbs) != 0 ||
	    tb_der_expect(&seq, TB_DER_SEQUENCE, NULL, alg) != 0 ||
	    tb_der_expect(&seq, TB_DER_BIT_STRING, &bits, NULL) != 0 ||
	    tb_der_bits(&bits, sig) != 0)
		return TB_ERR_MALFORMED;
	return 0;
}

static int
verify_parts(const tb_der *tbs, const tb_der *algder, const tb_der *sig, X509 *key_of,
    tb_error *err)
{
	const unsigned char *p = algder->p;
	tb_sigalg_info info;
	X509_ALGOR *alg;
	int r;

	if ((alg = d2i_X509_ALGOR(NULL, &p, (long)algder->len)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_MALFORMED, "signature algorithm");
	r = tb_sigalg_verify(NULL, alg, X509_get_X509_PUBKEY(key_of), tbs->p, tbs->len,
	    sig->p, sig->len, &info, err);
	X509_ALGOR_free(alg);
	/* The crypto floor holds for revocation evidence as for certificates. */
	if (r == 0 && info.weak_md)
		r = tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "signature uses a weak hash (%s)", info.name);
	return r;
}

/* 0 when cert carries a signature that issuer's key verifies. */
static int
cert_signed_by(X509 *cert, X509 *issuer, tb_error *err)
{
	unsigned char *der = NULL;
	tb_der d, tbs, alg, sig;
	int n, r;

	if ((n = i2d_X509(cert, &der)) <= 0)
		return tb_error_set_ossl(err, TB_ERR_MALFORMED, "responder certificate");
	tb_der_init(&d, der, (size_t)n);
	if ((r = signed_parts(&d, &tbs, &alg, &sig)) == 0)
		r = verify_parts(&tbs, &alg, &sig, issuer, err);
	else
		tb_error_set(err, r, "responder certificate malformed");
	OPENSSL_free(der);
	return r;
}

int
tb_ocsp_request_new(X509 *cert, X509 *issuer, const tb_ocsp_opts *o,
    OCSP_REQUEST **reqp, OCSP_CERTID **idp, tb_error *err)
{
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL, *id2 = NULL;
	int r = TB_ERR_INTERNAL;

	/* SHA-1 CertIDs are what every responder understands (RFC 5019);
	 * the hash only names the certificate, it protects nothing. */
	if ((id = OCSP_cert_to_id(o->certid_sha256 ? EVP_sha256() : EVP_sha1(),
	    cert, issuer)) == NULL || (id2 = OCSP_CERTID_dup(id)) == NULL ||
	    (req = OCSP_REQUEST_new()) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "OCSP CertID");
		goto out;
	}
	if (OCSP_request_add0_id(req, id2) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "OCSP request");
		goto out;
	}
	id2 = NULL;
	if (o->nonce && !OCSP_request_add1_nonce(req, NULL, -1)) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "OCSP nonce");
		goto out;
	}
	*reqp = req;
	*idp = id;
	req = NULL;
	id = NULL;
	r = 0;
 out:
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	OCSP_CERTID_free(id2);
	return r;
}

/* Checks that signer may answer for issuer's certificates at now. */
static int
responder_authorised(X509 *signer, X509 *issuer, time_t now, int skew, tb_error *err)
{
	char who[256];
	int r;

	if (X509_cmp(signer, issuer) == 0)
		return 0;	/* the CA itself */
	tb_x509_name_text(X509_get_subject_name(signer), who, sizeof(who));
	/* RFC 6960 4.2.2.2: a delegated responder is issued directly by
	 * the CA and carries id-kp-OCSPSigning. */
	if (X509_NAME_cmp(X509_get_issuer_name(signer), X509_get_subject_name(issuer)) != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP signer \"%s\" is not issued by the CA", who);
	if ((r = cert_signed_by(signer, issuer, err)) != 0)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP signer \"%s\" certificate is not signed by the CA", who);
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP signer \"%s\" is not authorised (no id-kp-OCSPSigning)", who);
	if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP signer \"%s\" key usage does not allow signing", who);
	if (asn1_time(X509_get0_notBefore(signer)) > now + skew ||
	    asn1_time(X509_get0_notAfter(signer)) < now)
		return tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP signer \"%s\" certificate is not valid now", who);
	return 0;
}

int
tb_ocsp_response_check(const unsigned char *der, size_t len, OCSP_REQUEST *req,
    OCSP_CERTID *id, X509 *issuer, const tb_ocsp_opts *o, time_t now,
    tb_ocsp_answer *a, tb_error *err)
{
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	STACK_OF(X509) *extra = NULL;
	X509 *signer = NULL;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	tb_der d, outer, c, rb, octets, tbs, alg, sig;
	const unsigned char *p = der;
	tb_ocsp_answer res;
	unsigned char tag;
	char t[32];
	int st, idx, reason = -1, nonce, r = TB_ERR_INTERNAL;

	memset(&res, 0, sizeof(res));
	if (len == 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "OCSP response is empty");
		goto out;
	}
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL || p != der + len) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "OCSP response does not parse");
		goto out;
	}
	if ((st = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN, "OCSP responder says %s",
		    OCSP_response_status_str(st));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "OCSP response is not basic");
		goto out;
	}
	/* The signed bytes exactly as received: OCSPResponse { status,
	 * [0] { type, OCTET STRING { BasicOCSPResponse } } }. */
	tb_der_init(&d, der, len);
	if (tb_der_expect(&d, TB_DER_SEQUENCE, &outer, NULL) != 0 ||
	    tb_der_expect(&outer, TB_DER_ENUMERATED, NULL, NULL) != 0 ||
	    tb_der_expect(&outer, TB_DER_CTX_CONS(0), &c, NULL) != 0 ||
	    tb_der_expect(&c, TB_DER_SEQUENCE, &rb, NULL) != 0 ||
	    tb_der_expect(&rb, TB_DER_OID, NULL, NULL) != 0 ||
	    tb_der_next(&rb, &tag, &octets, NULL) != 0 || tag != TB_DER_OCTET_STRING ||
	    signed_parts(&octets, &tbs, &alg, &sig) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "OCSP response structure");
		goto out;
	}
	if ((extra = sk_X509_new_null()) == NULL || !sk_X509_push(extra, issuer)) {
		r = tb_error_set(err, TB_ERR_NOMEM, "OCSP");
		goto out;
	}
	/* Which certificate does the ResponderID name: the CA or one of the
	 * certificates the response carries. Trust comes from the checks
	 * below, not from being found. */
	if (!OCSP_resp_get0_signer(bs, &signer, extra) || signer == NULL) {
		ERR_clear_error();
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP response signer not found (neither the CA nor an included certificate)");
		goto out;
	}
	if ((r = responder_authorised(signer, issuer, now, o->skew_s, err)) != 0)
		goto out;
	if ((r = verify_parts(&tbs, &alg, &sig, signer, err)) != 0) {
		if (r == TB_ERR_CRYPTO)
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "OCSP response signature does not verify");
		goto out;
	}
	if (req != NULL && o->nonce) {
		nonce = OCSP_check_nonce(req, bs);
		if (nonce == 0) {
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "OCSP nonce mismatch: a replayed or foreign response");
			goto out;
		}
		if (nonce == -1 && o->nonce_required) {
			r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
			    "OCSP responder did not echo the nonce");
			goto out;
		}
	}
	if ((idx = OCSP_resp_find(bs, id, -1)) < 0 || (single = OCSP_resp_get0(bs, idx)) == NULL) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP response is for another certificate (CertID does not match)");
		goto out;
	}
	st = OCSP_single_get0_status(single, &reason, &rev, &thisupd, &nextupd);
	res.this_update = asn1_time(thisupd);
	res.next_update = nextupd != NULL ? asn1_time(nextupd) : 0;
	res.produced_at = asn1_time(OCSP_resp_get0_produced_at(bs));
	if (res.this_update == 0 || res.produced_at == 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "OCSP response times");
		goto out;
	}
	/* RFC 6960 3.2 (4)-(6): the answer must be current. */
	if (res.this_update > now + o->skew_s) {
		tb_clock_format(res.this_update, t, sizeof(t));
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP thisUpdate %s is in the future", t);
		goto out;
	}
	if (res.next_update != 0 && res.next_update < now) {
		tb_clock_format(res.next_update, t, sizeof(t));
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP response is stale: nextUpdate %s has passed", t);
		goto out;
	}
	if (res.produced_at > now + o->skew_s) {
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP producedAt is in the future");
		goto out;
	}
	if (o->max_age_s > 0 && now - res.produced_at > o->max_age_s) {
		tb_clock_format(res.produced_at, t, sizeof(t));
		r = tb_error_set(err, TB_ERR_REVOCATION_UNKNOWN,
		    "OCSP response produced at %s is older than %d s", t, o->max_age_s);
		goto out;
	}
	switch (st) {
	case V_OCSP_CERTSTATUS_GOOD:
		res.status = TB_REV_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		res.status = TB_REV_REVOKED;
		res.revoked_at = asn1_time(rev);
		res.reason = reason;
		break;
	default:
		res.status = TB_REV_UNKNOWN;
		break;
	}
	if (st != V_OCSP_CERTSTATUS_REVOKED)
		res.reason = -1;
	tb_x509_name_text(X509_get_subject_name(signer), res.responder, sizeof(res.responder));
	if ((res.der = malloc(len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "OCSP evidence");
		goto out;
	}
	memcpy(res.der, der, len);
	res.der_len = len;
	*a = res;
	memset(&res, 0, sizeof(res));
	r = 0;
 out:
	ERR_clear_error();
	free(res.der);
	sk_X509_free(extra);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}

/* url + "/" + URL-encoded base64 of der (RFC 6960 A.1); NULL when too long. */
static char *
get_url(const char *url, const unsigned char *der, int len)
{
	unsigned char b64[512];
	char enc[1024], *out;
	size_t i, j = 0, ul = strlen(url);
	int n;

	if (len > 255 || (n = EVP_EncodeBlock(b64, der, len)) <= 0)
		return NULL;
	for (i = 0; i < (size_t)n; i++) {
		if (b64[i] == '+' || b64[i] == '/' || b64[i] == '=') {
			j += (size_t)snprintf(enc + j, sizeof(enc) - j, "%%%02X", b64[i]);
		} else {
			enc[j++] = (char)b64[i];
		}
	}
	enc[j] = '\0';
	if ((out = malloc(ul + j + 2)) == NULL)
		return NULL;
	snprintf(out, ul + j + 2, "%s%s%s", url, (ul > 0 && url[ul - 1] == '/') ? "" : "/", enc);
	return out;
}

int
tb_ocsp_query(const char *url, X509 *cert, X509 *issuer, const tb_ocsp_opts *o,
    tb_ocsp_answer *a, tb_error *err)
{
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id = NULL;
	unsigned char *rder = NULL, *body = NULL;
	size_t body_len = 0;
	char *gurl = NULL;
	int n, r = TB_ERR_INTERNAL;

	if ((r = tb_ocsp_request_new(cert, issuer, o, &req, &id, err)) != 0)
		goto out;
	if ((n = i2d_OCSP_REQUEST(req, &rder)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "OCSP request encoding");
		goto out;
	}
	if (o->use_get && (gurl = get_url(url, rder, n)) != NULL)
		r = tb_fetcher_call(o->fetcher, gurl, &o->fetch, NULL, NULL, 0, &body,
		    &body_len, err);
	else
		r = tb_fetcher_call(o->fetcher, url, &o->fetch, "application/ocsp-request", rder,
		    (size_t)n, &body, &body_len, err);
	if (r != 0)
		goto out;
	r = tb_ocsp_response_check(body, body_len, req, id, issuer, o, tb_clock_now(), a, err);
 out:
	free(gurl);
	free(body);
	OPENSSL_free(rder);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	return r;
}
