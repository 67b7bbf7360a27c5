/*
 * Helpers shared by the GOST unit tests: the known-answer files and the
 * DER they hold. Every failure here fails the calling test; nothing is
 * ever skipped silently except by gostt_find_vectors' answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>
#include <openssl/asn1.h>

#include "gost_testlib.h"

#define VECTORS "tests/vectors/nca-gost2015"

/* 1 when dir/ca.der is readable. */
static int
has_vectors(const char *dir)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s/ca.der", dir);
	return access(path, R_OK) == 0;
}

int
gostt_find_vectors(char *dir, size_t dir_len)
{
	const char *top = getenv("top_srcdir");

	if (top != NULL) {
		snprintf(dir, dir_len, "%s/" VECTORS, top);
		if (has_vectors(dir))
			return 1;
	}
	snprintf(dir, dir_len, VECTORS);
	return has_vectors(dir);
}

unsigned char *
gostt_slurp(const char *dir, const char *name, size_t *len)
{
	char path[1200];
	unsigned char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg((f = fopen(path, "rb")) != NULL, "%s", path);
	ck_assert_ptr_nonnull(buf = malloc(65536));
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	ck_assert_uint_gt(*len, 0);
	return buf;
}

void
gostt_first_element(const unsigned char *der, long len, const unsigned char **el,
    long *el_len)
{
	const unsigned char *p = der, *start;
	long l;
	int tag, cls;

	ck_assert_int_eq(ASN1_get_object(&p, &l, &tag, &cls, len) & 0x80, 0);
	start = p;
	ck_assert_int_eq(ASN1_get_object(&p, &l, &tag, &cls, len - (p - der)) & 0x80, 0);
	*el = start;
	*el_len = (p - start) + l;
}
