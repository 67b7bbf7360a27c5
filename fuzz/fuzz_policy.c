/*
 * Fuzz target: RFC 5280 policy processing (libsig/x509_policy.c). Byte 0
 * picks the 6.1.1 inputs (bit 0 explicit policy, bit 1 inhibit mapping,
 * bit 2 inhibit anyPolicy, bits 3-4 the initial set), byte 1 the node
 * limit (4, 16, 64 or 1000); the rest is up to six DER certificates back to
 * back, leaf first, the last standing for the anchor. Signatures are not
 * looked at: the tree sees what a path validated elsewhere would give it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "x509_policy.h"

#define MAX_CERTS 6

static const char *const sets[4][2] = {
	{ NULL, NULL },
	{ "2.16.840.1.101.3.2.1.48.1", NULL },
	{ "2.16.840.1.101.3.2.1.48.1", "2.16.840.1.101.3.2.1.48.2" },
	{ "1.2.398.3.3.2.3", "1.2.398.3.3.2.1" },
};

static int
in_set(char **set, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(set[i], s) == 0)
			return 1;
	return 0;
}

static int
dotted(const char *s)
{
	size_t n = strlen(s);

	return n > 2 && strspn(s, "0123456789.") == n && s[0] != '.' && s[n - 1] != '.' &&
	    strstr(s, "..") == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[4] = { 4, 16, 64, 1000 };
	tb_policy_inputs in;
	tb_policy_result res;
	X509 *certs[MAX_CERTS];
	const unsigned char *p;
	size_t i, left;
	tb_error e;
	int n = 0, k, r;

	if (size < 3)
		return 0;
	memset(&in, 0, sizeof(in));
	in.explicit_policy = data[0] & 1;
	in.inhibit_mapping = (data[0] >> 1) & 1;
	in.inhibit_any = (data[0] >> 2) & 1;
	for (k = 0; k < 2 && sets[(data[0] >> 3) & 3][k] != NULL; k++)
		FZ_ASSERT(tb_policy_inputs_add(&in, sets[(data[0] >> 3) & 3][k], &e) == 0);
	in.max_nodes = limits[data[1] & 3];
	p = data + 2;
	left = size - 2;
	while (n < MAX_CERTS && left > 0) {
		const unsigned char *start = p;

		if ((certs[n] = d2i_X509(NULL, &p, (long)left)) == NULL)
			break;
		left -= (size_t)(p - start);
		n++;
	}
	ERR_clear_error();
	if (n == 0)
		return 0;
	tb_error_clear(&e);
	r = tb_policy_check(&in, certs, n, &res, &e);
	FZ_ASSERT(r == 0 || r == TB_ERR_NOMEM);
	if (r == 0) {
		fz_note("certs %d status %d nodes %zu valid %zu user %zu", n, (int)res.status,
		    res.nodes, res.n_valid, res.n_user);
		FZ_ASSERT(res.status >= TB_POLICY_OK && res.status <= TB_POLICY_LIMIT);
		/* The limit holds: one node more is never made. */
		FZ_ASSERT(res.nodes <= in.max_nodes);
		FZ_ASSERT(res.cert >= -1 && res.cert < n);
		FZ_ASSERT(res.status == TB_POLICY_OK || (res.cert >= 0 && res.detail[0] != '\0'));
		FZ_ASSERT(res.status != TB_POLICY_LIMIT || strstr(res.detail, "cut off") != NULL);
		for (i = 0; i < res.n_valid; i++)
			FZ_ASSERT(dotted(res.valid[i]));
		/* 6.1.5 (g): what the user set keeps was valid, or is what was asked for. */
		for (i = 0; i < res.n_user; i++)
			FZ_ASSERT(in_set(res.valid, res.n_valid, res.user[i]) ||
			    (in.n_initial > 0 && (strcmp(res.user[i], in.initial[0]) == 0 ||
			    (in.n_initial > 1 && strcmp(res.user[i], in.initial[1]) == 0))));
		/* Without a set asked for, the two sets are one. */
		FZ_ASSERT(in.n_initial > 0 || res.n_user == res.n_valid);
		/* An explicit policy demanded from the start: passing means one is valid. */
		FZ_ASSERT(!(in.explicit_policy && res.status == TB_POLICY_OK && n > 1) ||
		    res.n_user > 0);
		tb_policy_result_clear(&res);
	}
	while (n > 0)
		X509_free(certs[--n]);
	ERR_clear_error();
	return 0;
}
