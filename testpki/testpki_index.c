/*
 * The test PKI's record of issued certificates, in the index.txt format of
 * `openssl ca` so that `openssl ocsp -index` answers from it, plus
 * released.txt for holds released (which that format cannot say). The
 * files are rewritten whole through a temporary file, never in place.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "testpki.h"

/* CRLReason names as `openssl ca` writes them into the index (apps/ca.c). */
static const struct {
	const char *name;
	int code;
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "CACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "certificateHold", 6 },
	{ "removeFromCRL", 8 },
};

int
tp_reason_parse(const char *name, int *out)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcasecmp(reasons[i].name, name) == 0) {
			*out = reasons[i].code;
			return 0;
		}
	return TB_ERR_INVALID_ARG;
}

const char *
tp_reason_name(int reason)
{
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == reason)
			return reasons[i].name;
	return NULL;
}

void
tp_time_index(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
	if (tm.tm_year + 1900 < 2050)
		snprintf(buf, len, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, len, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
tp_time_index_parse(const char *s, time_t *out)
{
	struct tm tm;
	size_t len = strlen(s);
	int year;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (len == 13 && sscanf(s, "%2d%2d%2d%2d%2d%2d", &year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6)
		year += year < 50 ? 2000 : 1900;
	else if (len != 15 || sscanf(s, "%4d%2d%2d%2d%2d%2d", &year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return TB_ERR_MALFORMED;
	if (s[len - 1] != 'Z')
		return TB_ERR_MALFORMED;
	tm.tm_year = year - 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return TB_ERR_MALFORMED;
	*out = t;
	return 0;
}

void
tp_index_free(tp_index *ix)
{
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->n; i++) {
		free(ix->e[i].serial);
		free(ix->e[i].subject);
	}
	for (i = 0; i < ix->nrel; i++)
		free(ix->rel[i].serial);
	free(ix->e);
	free(ix->rel);
	free(ix->path);
	free(ix->release_path);
	free(ix);
}

static int
entry_push(tp_index *ix, const tp_index_entry *e)
{
	tp_index_entry *ne;
	size_t cap;

	if (ix->n == ix->cap) {
		cap = ix->cap ? ix->cap * 2 : 16;
		if ((ne = realloc(ix->e, cap * sizeof(*ne))) == NULL)
			return TB_ERR_NOMEM;
		ix->e = ne;
		ix->cap = cap;
	}
	ix->e[ix->n++] = *e;
	return 0;
}

static int
release_push(tp_index *ix, const char *serial, time_t when)
{
	tp_release *nr;
	size_t cap;

	if (ix->nrel == ix->caprel) {
		cap = ix->caprel ? ix->caprel * 2 : 8;
		if ((nr = realloc(ix->rel, cap * sizeof(*nr))) == NULL)
			return TB_ERR_NOMEM;
		ix->rel = nr;
		ix->caprel = cap;
	}
	if ((ix->rel[ix->nrel].serial = strdup(serial)) == NULL)
		return TB_ERR_NOMEM;
	ix->rel[ix->nrel++].when = when;
	return 0;
}

/* Splits line at tabs into at most max fields; returns their count. */
static int
split_tabs(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	f[n++] = line;
	while (n < max && (line = strchr(line, '\t')) != NULL) {
		*line++ = '\0';
		f[n++] = line;
	}
	return n;
}

static int
parse_entry(char *line, tp_index_entry *e)
{
	char *f[6], *comma;
	int reason;

	memset(e, 0, sizeof(*e));
	e->reason = TP_REASON_NONE;
	if (split_tabs(line, f, 6) != 6 || (f[0][0] != 'V' && f[0][0] != 'R') ||
	    tp_time_index_parse(f[1], &e->expiry) != 0)
		return TB_ERR_MALFORMED;
	e->status = f[0][0];
	if (e->status == 'R') {
		if ((comma = strchr(f[2], ',')) != NULL) {
			*comma++ = '\0';
			if (tp_reason_parse(comma, &reason) != 0)
				return TB_ERR_MALFORMED;
			e->reason = reason;
		}
		if (tp_time_index_parse(f[2], &e->revoked) != 0)
			return TB_ERR_MALFORMED;
	}
	if ((e->serial = strdup(f[3])) == NULL || (e->subject = strdup(f[5])) == NULL) {
		free(e->serial);
		return TB_ERR_NOMEM;
	}
	return 0;
}

static int
load_releases(tp_index *ix, tb_error *err)
{
	FILE *f;
	char line[256], *fld[2];
	time_t when;
	int r = 0;

	if ((f = fopen(ix->release_path, "r")) == NULL)
		return errno == ENOENT ? 0 :
		    tb_error_set(err, TB_ERR_IO, "%s: %s", ix->release_path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (split_tabs(line, fld, 2) != 2 || tp_time_index_parse(fld[1], &when) != 0) {
			r = tb_error_set(err, TB_ERR_MALFORMED, "%s: bad line", ix->release_path);
			break;
		}
		if ((r = release_push(ix, fld[0], when)) != 0)
			break;
	}
	fclose(f);
	return r;
}

int
tp_index_load(const char *path, tp_index **out, tb_error *err)
{
	int r = TB_ERR_NOMEM;
	tp_index *ix = NULL;
	tp_index_entry e;
	FILE *f = NULL;
	char line[4096];
	size_t dlen;

	if ((ix = calloc(1, sizeof(*ix))) == NULL || (ix->path = strdup(path)) == NULL)
		goto out;
	dlen = strrchr(path, '/') != NULL ? (size_t)(strrchr(path, '/') - path) : 0;
	if ((ix->release_path = malloc(dlen + 16)) == NULL)
		goto out;
	snprintf(ix->release_path, dlen + 16, "%.*s%sreleased.txt", (int)dlen, path,
	    dlen ? "/" : "");
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			r = tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
	} else {
		while (fgets(line, sizeof(line), f) != NULL) {
			if ((r = parse_entry(line, &e)) != 0) {
				tb_error_set(err, r, "%s: bad line", path);
				goto out;
			}
			if ((r = entry_push(ix, &e)) != 0) {
				free(e.serial);
				free(e.subject);
				goto out;
			}
		}
	}
	if ((r = load_releases(ix, err)) != 0)
		goto out;
	*out = ix;
	ix = NULL;
	r = 0;
out:
	if (r == TB_ERR_NOMEM)
		tb_error_set(err, r, "index");
	if (f != NULL)
		fclose(f);
	tp_index_free(ix);
	return r;
}

static int
write_atomic(const char *path, int (*fill)(FILE *, const tp_index *),
    const tp_index *ix, tb_error *err)
{
	char tmp[4096];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
	bad = fill(f, ix);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		(void)remove(tmp);
		return tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
	}
	return 0;
}

static int
fill_index(FILE *f, const tp_index *ix)
{
	char exp[20], rev[20];
	const tp_index_entry *e;
	size_t i;

	for (i = 0; i < ix->n; i++) {
		e = &ix->e[i];
		tp_time_index(e->expiry, exp, sizeof(exp));
		rev[0] = '\0';
		if (e->status == 'R')
			tp_time_index(e->revoked, rev, sizeof(rev));
		if (fprintf(f, "%c\t%s\t%s%s%s\t%s\tunknown\t%s\n", e->status, exp, rev,
		    e->status == 'R' && e->reason != TP_REASON_NONE ? "," : "",
		    e->status == 'R' && e->reason != TP_REASON_NONE ?
		    tp_reason_name(e->reason) : "", e->serial, e->subject) < 0)
			return 1;
	}
	return 0;
}

static int
fill_releases(FILE *f, const tp_index *ix)
{
	char when[20];
	size_t i;

	for (i = 0; i < ix->nrel; i++) {
		tp_time_index(ix->rel[i].when, when, sizeof(when));
		if (fprintf(f, "%s\t%s\n", ix->rel[i].serial, when) < 0)
			return 1;
	}
	return 0;
}

static int
fill_attr(FILE *f, const tp_index *ix)
{
	(void)ix;
	/* One person holds several certificates (signing and authentication). */
	return fprintf(f, "unique_subject = no\n") < 0;
}

int
tp_index_save(const tp_index *ix, tb_error *err)
{
	char attr[4096];
	int r;

	snprintf(attr, sizeof(attr), "%s.attr", ix->path);
	if ((r = write_atomic(ix->path, fill_index, ix, err)) != 0 ||
	    (r = write_atomic(attr, fill_attr, ix, err)) != 0)
		return r;
	if (ix->nrel > 0)
		return write_atomic(ix->release_path, fill_releases, ix, err);
	return 0;
}

int
tp_index_add(tp_index *ix, X509 *cert, tb_error *err)
{
	tp_index_entry e;
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	struct tm tm;
	char *p;

	memset(&e, 0, sizeof(e));
	e.status = 'V';
	e.reason = TP_REASON_NONE;
	if (ASN1_TIME_to_tm(na, &tm) != 1)
		return tb_error_set(err, TB_ERR_MALFORMED, "notAfter");
	e.expiry = timegm(&tm);
	if ((e.serial = tp_cert_serial_hex(cert)) == NULL ||
	    (e.subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0)) == NULL)
		goto nomem;
	/* The index is tab-separated: no tab may survive in a field. */
	for (p = e.subject; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	if (tp_index_find(ix, e.serial) != NULL) {
		free(e.serial);
		OPENSSL_free(e.subject);
		return tb_error_set(err, TB_ERR_INVALID_ARG, "serial already in the index");
	}
	/* X509_NAME_oneline allocates with OPENSSL_malloc; keep one allocator. */
	p = strdup(e.subject);
	OPENSSL_free(e.subject);
	if ((e.subject = p) == NULL || entry_push(ix, &e) != 0)
		goto nomem;
	return 0;
nomem:
	free(e.serial);
	free(e.subject);
	return tb_error_set(err, TB_ERR_NOMEM, "index entry");
}

tp_index_entry *
tp_index_find(tp_index *ix, const char *serial_hex)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		if (strcasecmp(ix->e[i].serial, serial_hex) == 0)
			return &ix->e[i];
	return NULL;
}

int
tp_index_revoke(tp_index *ix, const char *serial_hex, int reason, time_t t,
    tb_error *err)
{
	tp_index_entry *e = tp_index_find(ix, serial_hex);

	if (e == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "serial %s not in %s",
		    serial_hex, ix->path);
	if (reason == TP_REASON_REMOVE_FROM_CRL) {
		/* RFC 5280 5.3.1: removeFromCRL only undoes a certificateHold. */
		if (e->status != 'R' || e->reason != TP_REASON_CERTIFICATE_HOLD)
			return tb_error_set(err, TB_ERR_INVALID_ARG,
			    "serial %s is not on hold", serial_hex);
		e->status = 'V';
		e->revoked = 0;
		e->reason = TP_REASON_NONE;
		return release_push(ix, serial_hex, t) == 0 ? 0 :
		    tb_error_set(err, TB_ERR_NOMEM, "release");
	}
	/* A hold may become a final revocation; nothing else is revoked twice. */
	if (e->status == 'R' && e->reason != TP_REASON_CERTIFICATE_HOLD)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "serial %s already revoked",
		    serial_hex);
	e->status = 'R';
	e->revoked = t;
	e->reason = reason;
	return 0;
}
