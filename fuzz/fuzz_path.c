/*
 * Fuzz target: path building (x509_path.c extend() and its budget) over
 * many certificates that share a few names and a few keys, the shape that
 * made the search explode. The input describes the certificates; the
 * target makes and signs them, checks the first through tb_verify_cert
 * with the rest as intermediates, then again with every intermediate
 * offered twice (same subject and key, another serial).
 *
 * Input: byte 0 the number of keys (1..8); byte 1 the limits (0: the
 * defaults, else at most 1..64 signature checks and 1..256 candidates);
 * byte 2 the depth (0: default, else 1..16); then 3 bytes a certificate
 * (up to 64): flags (bits 0-1 subject name, 2-3 issuer name, 4 cA, 5 a
 * key identifier of the signing key, 6 expired), the subject's key, the
 * signing key. One anchor: name 0, key 0, self-signed.
 *
 * Properties: a verdict always; the budget's counters stay within their
 * limits; a spent budget is never VALID and says CHAIN_UNTRUSTED.cut_off;
 * offering each intermediate twice never changes the verdict; and when no
 * signature failed, the copies cost no signature check (a dead end is
 * not explored again through a copy).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fuzz.h"
#include "verify.h"

#define N_KEYS 8
#define MAX_CERTS 64
#define DAY 86400L

static EVP_PKEY *keys[N_KEYS];
static tb_trust *trust;
static const char *const names[4] = { "Loop Root", "Loop CA", "Loop CA 2", "Loop Leaf" };

static X509_NAME *
name_of(int i)
{
	X509_NAME *n = X509_NAME_new();

	FZ_ASSERT(n != NULL && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)names[i & 3], -1, -1, 0));
	return n;
}

static void
ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	FZ_ASSERT((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) != NULL);
	FZ_ASSERT(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

/* A certificate of the subject key, signed by the signer key (serial says which). */
static X509 *
make(int subj, int iss, int key, int signer, int ca, int akid, int expired, long serial)
{
	X509 *x = X509_new(), *signer_x = NULL;
	X509_NAME *sn = name_of(subj), *in = name_of(iss);
	time_t now = time(NULL);

	FZ_ASSERT(x != NULL);
	FZ_ASSERT(X509_set_version(x, X509_VERSION_3));
	FZ_ASSERT(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	FZ_ASSERT(X509_set_subject_name(x, sn) && X509_set_issuer_name(x, in));
	FZ_ASSERT(ASN1_TIME_set(X509_getm_notBefore(x), now - 10 * DAY) != NULL);
	FZ_ASSERT(ASN1_TIME_set(X509_getm_notAfter(x), now + (expired ? -DAY : 365 * DAY)) != NULL);
	FZ_ASSERT(X509_set_pubkey(x, keys[key]));
	ext(x, x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	ext(x, x, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature,nonRepudiation");
	ext(x, x, NID_subject_key_identifier, "hash");
	if (akid) {
		/* The key identifier of the signing key: a certificate of it to copy from. */
		FZ_ASSERT((signer_x = X509_new()) != NULL && X509_set_pubkey(signer_x, keys[signer]));
		ext(signer_x, signer_x, NID_subject_key_identifier, "hash");
		ext(x, signer_x, NID_authority_key_identifier, "keyid:always");
	}
	FZ_ASSERT(X509_sign(x, keys[signer], EVP_sha256()) > 0);
	X509_free(signer_x);
	X509_NAME_free(sn);
	X509_NAME_free(in);
	return x;
}

static void
setup(void)
{
	int i;
	X509 *anchor;
	tb_error e;

	if (trust != NULL)
		return;
	for (i = 0; i < N_KEYS; i++)
		FZ_ASSERT((keys[i] = EVP_EC_gen("P-256")) != NULL);
	FZ_ASSERT((trust = tb_trust_new()) != NULL);
	anchor = make(0, 0, 0, 0, 1, 0, 0, 1);
	FZ_ASSERT(tb_trust_add_anchor(trust, anchor, &e) == 0);
	X509_free(anchor);
}

typedef struct run {
	enum tb_verdict verdict;
	unsigned sig_checks;
	int spent;
	int sig_failed;		/* some certificate signature did not verify */
	int complete;		/* a path to the anchor was found */
} run;

static run
check(const tb_verify_policy *pol, X509 *leaf, STACK_OF(X509) *pool)
{
	tb_verify_request req;
	tb_verify_result *res = NULL;
	unsigned char *der = NULL;
	int len, cut = 0;
	size_t i;
	tb_error e;
	run out;

	FZ_ASSERT((len = i2d_X509(leaf, &der)) > 0);
	memset(&req, 0, sizeof(req));
	req.input = der;
	req.input_len = (size_t)len;
	req.certs = pool;
	tb_error_clear(&e);
	FZ_ASSERT(tb_verify_cert(trust, pol, NULL, &req, &res, &e) == 0);
	FZ_ASSERT(res->budget.sig_checks <= res->budget.lim.max_sig_checks);
	FZ_ASSERT(res->budget.candidates <= res->budget.lim.max_candidates);
	for (i = 0; i < res->reasons.n; i++)
		if (strcmp(res->reasons.v[i].msg_id, "CHAIN_UNTRUSTED.cut_off") == 0)
			cut = 1;
	out.verdict = res->verdict;
	out.sig_checks = res->budget.sig_checks;
	out.spent = res->budget.spent != TB_BUDGET_NONE;
	out.sig_failed = 0;
	out.complete = res->n_signers > 0 && res->signers[0].path != NULL &&
	    res->signers[0].path->complete;
	for (i = 0; i < res->reasons.n; i++)
		if (res->reasons.v[i].verdict == TB_V_SIGNATURE_INVALID)
			out.sig_failed = 1;
	/* A search that was cut off is a refusal that says so, never VALID. */
	if (out.spent && res->budget.spent != TB_BUDGET_TIME)
		FZ_ASSERT(cut && out.verdict != TB_V_VALID);
	fz_note("verdict %d, %u signature checks, %u candidates, spent %d", (int)out.verdict,
	    res->budget.sig_checks, res->budget.candidates, (int)res->budget.spent);
	tb_verify_result_free(res);
	OPENSSL_free(der);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *pool = NULL, *twice = NULL;
	X509 *certs[MAX_CERTS], *dup;
	tb_verify_policy pol;
	int n = 0, i, n_keys;
	const uint8_t *r;
	run a, b;

	if (size < 6)
		return 0;
	setup();
	n_keys = 1 + data[0] % N_KEYS;
	tb_verify_policy_default(&pol);
	pol.check_iin_checksum = 0;
	if (data[1] != 0) {
		pol.budget.max_sig_checks = 1 + data[1] % 64;
		pol.budget.max_candidates = 1 + (unsigned)data[1] * 7 % 256;
	}
	pol.budget.max_time_ms = 600000;	/* the deadline is not what is fuzzed here */
	if (data[2] % 17 != 0)
		pol.max_chain_depth = data[2] % 17;
	for (r = data + 3; r + 3 <= data + size && n < MAX_CERTS; r += 3, n++)
		certs[n] = make(r[0] & 3, (r[0] >> 2) & 3, r[1] % n_keys, r[2] % n_keys,
		    n > 0 && (r[0] & 0x10), r[0] & 0x20, r[0] & 0x40, 100 + n);
	FZ_ASSERT((pool = sk_X509_new_null()) != NULL && (twice = sk_X509_new_null()) != NULL);
	for (i = 1; i < n; i++) {
		FZ_ASSERT(sk_X509_push(pool, certs[i]) && sk_X509_push(twice, certs[i]));
		/* The same subject, key and extensions under another serial, right after. */
		FZ_ASSERT((dup = X509_dup(certs[i])) != NULL);
		FZ_ASSERT(ASN1_INTEGER_set(X509_get_serialNumber(dup), 10000 + i));
		FZ_ASSERT(X509_sign(dup, keys[data[3 + 3 * i + 2] % n_keys], EVP_sha256()) > 0);
		FZ_ASSERT(sk_X509_push(twice, dup));
	}
	a = check(&pol, certs[0], pool);
	b = check(&pol, certs[0], twice);
	if (!a.spent && !b.spent) {
		FZ_ASSERT(a.verdict == b.verdict);
		if (!a.sig_failed && !b.sig_failed && !a.complete && !b.complete)
			FZ_ASSERT(a.sig_checks == b.sig_checks);
	}
	for (i = 0; i < sk_X509_num(twice); i++)
		if (i % 2 == 1)
			X509_free(sk_X509_value(twice, i));
	sk_X509_free(twice);
	sk_X509_free(pool);
	for (i = 0; i < n; i++)
		X509_free(certs[i]);
	ERR_clear_error();
	return 0;
}
