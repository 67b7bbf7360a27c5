/*
 * Bounds-checked DER reading. Each function checks the remaining length
 * before touching a byte and returns TB_ERR_MALFORMED on anything short,
 * indefinite or not minimally encoded where that matters for a decision.
 * It never allocates and never trusts a length it has not compared.
 */
#include <string.h>

#include "der_reader.h"

void
tb_der_init(tb_der *d, const unsigned char *p, size_t len)
{
	d->p = p;
	d->len = p == NULL ? 0 : len;
}

int
tb_der_empty(const tb_der *d)
{
	return d->len == 0;
}

int
tb_der_peek(const tb_der *d, unsigned char *tag)
{
	if (d->len == 0)
		return TB_ERR_MALFORMED;
	*tag = d->p[0];
	return 0;
}

int
tb_der_next(tb_der *d, unsigned char *tag, tb_der *content, tb_der *whole)
{
	size_t hdr = 2, clen = 0, i, n;
	unsigned char t;

	if (d->len < 2)
		return TB_ERR_MALFORMED;
	t = d->p[0];
	/* High tag numbers never occur in the structures read here. */
	if ((t & 0x1f) == 0x1f)
		return TB_ERR_MALFORMED;
	if (d->p[1] < 0x80) {
		clen = d->p[1];
	} else {
		n = d->p[1] & 0x7f;
		/* 0x80 is the BER indefinite form; DER forbids it. */
		if (n == 0 || n > sizeof(size_t) || n > 4)
			return TB_ERR_MALFORMED;
		if (d->len - 2 < n)
			return TB_ERR_MALFORMED;
		if (d->p[2] == 0)
			return TB_ERR_MALFORMED;	/* not minimal */
		for (i = 0; i < n; i++)
			clen = (clen << 8) | d->p[2 + i];
		if (clen < 0x80)
			return TB_ERR_MALFORMED;	/* not minimal */
		hdr += n;
	}
	if (clen > d->len - hdr)
		return TB_ERR_MALFORMED;
	if (tag != NULL)
		*tag = t;
	if (content != NULL) {
		content->p = d->p + hdr;
		content->len = clen;
	}
	if (whole != NULL) {
		whole->p = d->p;
		whole->len = hdr + clen;
	}
	d->p += hdr + clen;
	d->len -= hdr + clen;
	return 0;
}

int
tb_der_expect(tb_der *d, unsigned char want, tb_der *content, tb_der *whole)
{
	unsigned char t;

	if (tb_der_peek(d, &t) != 0 || t != want)
		return TB_ERR_MALFORMED;
	return tb_der_next(d, NULL, content, whole);
}

int
tb_der_optional(tb_der *d, unsigned char want, tb_der *content, tb_der *whole,
    int *present)
{
	unsigned char t;

	*present = 0;
	if (tb_der_peek(d, &t) != 0 || t != want)
		return 0;
	*present = 1;
	return tb_der_next(d, NULL, content, whole);
}

int
tb_der_skip(tb_der *d)
{
	return tb_der_next(d, NULL, NULL, NULL);
}

int
tb_der_uint(const tb_der *c, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (c->len == 0 || (c->p[0] & 0x80))
		return TB_ERR_MALFORMED;	/* empty or negative */
	if (c->len > 1 && c->p[0] == 0 && !(c->p[1] & 0x80))
		return TB_ERR_MALFORMED;	/* not minimal */
	if (c->p[0] == 0)
		i = 1;
	if (c->len - i > 8)
		return TB_ERR_MALFORMED;
	for (; i < c->len; i++)
		v = (v << 8) | c->p[i];
	*out = v;
	return 0;
}

int
tb_der_bool(const tb_der *c, int *out)
{
	if (c->len != 1)
		return TB_ERR_MALFORMED;
	*out = c->p[0] != 0;
	return 0;
}

int
tb_der_bits(const tb_der *c, tb_der *bytes)
{
	if (c->len < 1 || c->p[0] != 0)
		return TB_ERR_MALFORMED;
	bytes->p = c->p + 1;
	bytes->len = c->len - 1;
	return 0;
}

time_t
tb_der_timegm(int year, int mon, int day, int hour, int min, int sec)
{
	/* Days from civil (H. Hinnant's algorithm): exact for the proleptic
	 * Gregorian calendar, and far faster than timegm() per CRL entry. */
	long long y = year - (mon <= 2);
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = era * 146097 + doe - 719468;

	return (time_t)(days * 86400 + hour * 3600 + min * 60 + sec);
}

static int
digits(const unsigned char *p, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return TB_ERR_MALFORMED;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int
tb_der_time(unsigned char tag, const tb_der *c, time_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, mon, day, hour, min, sec, leap;
	const unsigned char *p = c->p;

	/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ, GeneralizedTime
	 * YYYYMMDDHHMMSSZ; seconds present, no fractions, always Zulu. */
	if (tag == TB_DER_UTCTIME) {
		if (c->len != 13 || p[12] != 'Z' || digits(p, 2, &year) != 0)
			return TB_ERR_MALFORMED;
		year += year < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == TB_DER_GENTIME) {
		if (c->len != 15 || p[14] != 'Z' || digits(p, 4, &year) != 0)
			return TB_ERR_MALFORMED;
		p += 4;
	} else {
		return TB_ERR_MALFORMED;
	}
	if (digits(p, 2, &mon) != 0 || digits(p + 2, 2, &day) != 0 ||
	    digits(p + 4, 2, &hour) != 0 || digits(p + 6, 2, &min) != 0 ||
	    digits(p + 8, 2, &sec) != 0)
		return TB_ERR_MALFORMED;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] ||
	    hour > 23 || min > 59 || sec > 59)
		return TB_ERR_MALFORMED;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon == 2 && day == 29 && !leap)
		return TB_ERR_MALFORMED;
	*out = tb_der_timegm(year, mon, day, hour, min, sec);
	return 0;
}

int
tb_der_read_time(tb_der *d, time_t *out)
{
	unsigned char tag;
	tb_der c;
	int r;

	if ((r = tb_der_next(d, &tag, &c, NULL)) != 0)
		return r;
	return tb_der_time(tag, &c, out);
}

int
tb_der_oid_is(const tb_der *c, const unsigned char *oid, size_t len)
{
	return c->len == len && memcmp(c->p, oid, len) == 0;
}
