/*
 * Fuzz target: certificate identity parsing (identity.c: IIN, BIN, names,
 * roles, policies) and the check-cert op's path (tb_verify_cert). The
 * input is one certificate, DER or PEM. Whatever the certificate holds,
 * the identity read from it is well formed and its JSON answer is built.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "identity.h"
#include "verify.h"

/* "" or exactly 12 digits. */
static int
number_ok(const char *s)
{
	return s[0] == '\0' || (strlen(s) == 12 && strspn(s, "0123456789") == 12);
}

static void
utf8_ok(const char *s)
{
	json_t *j = json_string(s);

	FZ_ASSERT(j != NULL);
	json_decref(j);
}

static void
check_identity(X509 *cert)
{
	tb_identity id;
	tb_error e;
	int i;

	memset(&id, 0x5a, sizeof(id));
	tb_error_clear(&e);
	if (tb_identity_from_cert(cert, &id, &e) != 0) {
		FZ_ASSERT(e.code != 0);
		return;
	}
	FZ_ASSERT(memchr(id.iin, 0, sizeof(id.iin)) && number_ok(id.iin));
	FZ_ASSERT(memchr(id.bin, 0, sizeof(id.bin)) && number_ok(id.bin));
	FZ_ASSERT(memchr(id.common_name, 0, sizeof(id.common_name)));
	FZ_ASSERT(memchr(id.surname, 0, sizeof(id.surname)));
	FZ_ASSERT(memchr(id.given_name, 0, sizeof(id.given_name)));
	FZ_ASSERT(memchr(id.organization, 0, sizeof(id.organization)));
	FZ_ASSERT(memchr(id.country, 0, sizeof(id.country)));
	FZ_ASSERT(memchr(id.email, 0, sizeof(id.email)));
	/* Every name goes into a JSON answer: each must be whole UTF-8. */
	utf8_ok(id.common_name);
	utf8_ok(id.surname);
	utf8_ok(id.given_name);
	utf8_ok(id.organization);
	utf8_ok(id.country);
	utf8_ok(id.email);
	fz_note("iin %s bin %s roles %d", id.iin, id.bin, id.n_roles);
	FZ_ASSERT(id.n_roles >= 0 && id.n_roles <= TB_ID_MAX_ROLES);
	for (i = 0; i < id.n_roles; i++) {
		FZ_ASSERT(id.roles[i] != NULL);
		FZ_ASSERT(tb_role_lookup(id.roles[i]) == id.roles[i]);
	}
	FZ_ASSERT(id.n_policies >= 0 && id.n_policies <= TB_ID_MAX_POLICIES);
	for (i = 0; i < id.n_policies; i++)
		FZ_ASSERT(id.policies[i] != NULL);
	if (id.iin[0] != '\0')
		(void)tb_iin_valid(id.iin);
}

static void
check_cert_op(const uint8_t *data, size_t size)
{
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	json_t *j;
	tb_error e;
	int r;

	tb_verify_policy_default(&pol);
	memset(&req, 0, sizeof(req));
	req.input = data;
	req.input_len = size;
	req.bin = "040840001231";
	tb_error_clear(&e);
	r = tb_verify_cert(fz_trust(), &pol, NULL, &req, &res, &e);
	if (r != 0) {
		FZ_ASSERT(res == NULL && e.code == r);
		FZ_ASSERT(r == TB_ERR_TOO_LARGE || r == TB_ERR_NOMEM || r == TB_ERR_INVALID_ARG);
		return;
	}
	FZ_ASSERT(res != NULL && res->is_cert);
	fz_note("check-cert verdict %d", (int)res->verdict);
	FZ_ASSERT((j = tb_verify_result_to_json(res, "ru")) != NULL);
	json_decref(j);
	tb_verify_result_free(res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509 *cert;
	BIO *b;
	char text[64];

	if ((cert = d2i_X509(NULL, &p, (long)size)) == NULL && size > 0 &&
	    (b = BIO_new_mem_buf(data, (int)(size > 1 << 20 ? 1 << 20 : size))) != NULL) {
		cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (cert != NULL) {
		check_identity(cert);
		X509_free(cert);
	}
	check_cert_op(data, size);
	/* The role table and the check digit take any text a request carries. */
	snprintf(text, sizeof(text), "%.*s", (int)(size < 63 ? size : 63), (const char *)data);
	(void)tb_role_lookup(text);
	(void)tb_role_oid(text);
	FZ_ASSERT(!tb_iin_valid(text) || (strlen(text) == 12 &&
	    strspn(text, "0123456789") == 12));
	ERR_clear_error();
	return 0;
}
