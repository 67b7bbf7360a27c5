/*
 * A small bounds-checked DER reader for bytes that come from outside (CRLs,
 * OCSP responses). Every read checks the remaining length first and fails
 * with TB_ERR_MALFORMED on a short or inconsistent input; nothing else in
 * libsig does pointer arithmetic on such bytes. It never allocates.
 */
#ifndef TB_DER_READER_H
#define TB_DER_READER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tb_err.h"

/* Universal and context tags as they appear in the identifier octet. */
#define TB_DER_BOOLEAN		0x01
#define TB_DER_INTEGER		0x02
#define TB_DER_BIT_STRING	0x03
#define TB_DER_OCTET_STRING	0x04
#define TB_DER_NULL		0x05
#define TB_DER_OID		0x06
#define TB_DER_ENUMERATED	0x0a
#define TB_DER_UTCTIME		0x17
#define TB_DER_GENTIME		0x18
#define TB_DER_SEQUENCE		0x30
#define TB_DER_SET		0x31
#define TB_DER_CTX(n)		(0x80 | (n))	/* [n] IMPLICIT, primitive */
#define TB_DER_CTX_CONS(n)	(0xa0 | (n))	/* [n] constructed / EXPLICIT */

/* A window of bytes still to read. */
typedef struct tb_der {
	const unsigned char *p;
	size_t len;
} tb_der;

void tb_der_init(tb_der *d, const unsigned char *p, size_t len);
/* 1 when nothing is left. */
int tb_der_empty(const tb_der *d);
/* The next tag without consuming it; TB_ERR_MALFORMED when empty. */
int tb_der_peek(const tb_der *d, unsigned char *tag);
/*
 * Reads one TLV. Only low-number tags and definite lengths are accepted.
 * content receives the value; whole (may be NULL) the full TLV bytes.
 */
int tb_der_next(tb_der *d, unsigned char *tag, tb_der *content, tb_der *whole);
/* As tb_der_next, and fails unless the tag is want. */
int tb_der_expect(tb_der *d, unsigned char want, tb_der *content, tb_der *whole);
/* When the next tag is want, reads it and sets *present; otherwise *present = 0. */
int tb_der_optional(tb_der *d, unsigned char want, tb_der *content, tb_der *whole,
    int *present);
/* Skips one TLV. */
int tb_der_skip(tb_der *d);

/* An INTEGER or ENUMERATED content as a small non-negative value. */
int tb_der_uint(const tb_der *content, uint64_t *out);
/* A BOOLEAN content. */
int tb_der_bool(const tb_der *content, int *out);
/* A BIT STRING content with no unused bits: the bytes after the count octet. */
int tb_der_bits(const tb_der *content, tb_der *bytes);
/* UTCTime (tag 0x17) or GeneralizedTime (0x18) content, Z form, as a time_t. */
int tb_der_time(unsigned char tag, const tb_der *content, time_t *out);
/* Reads a Time (either tag) from d. */
int tb_der_read_time(tb_der *d, time_t *out);
/* 1 when the OID content equals the DER content bytes oid[0..len). */
int tb_der_oid_is(const tb_der *content, const unsigned char *oid, size_t len);

/* Seconds since the epoch of a civil UTC date; no time-zone lookup. */
time_t tb_der_timegm(int year, int mon, int day, int hour, int min, int sec);

#endif
