/*
 * Builds the revoked-serial index from a CRL's DER in two passes over the
 * bytes (count and check, then fill), so the memory is sized exactly: one
 * 24-byte record per entry plus the serial bytes. It rejects anything it
 * does not fully understand; it never checks the signature (crl.c does).
 */
#define _GNU_SOURCE		/* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "crl_index.h"

/*
 * One entry, 24 bytes: the first 8 serial bytes (big-endian, zero-padded)
 * decide most comparisons without touching the arena, which halves the
 * cache misses of a lookup.
 */
typedef struct crl_entry {
	uint64_t prefix;
	int64_t revoked_at;
	uint32_t off;		/* offset of the serial in the arena */
	uint8_t len;		/* serial length */
	int8_t reason;		/* CRLReason or TB_CRL_REASON_NONE */
	uint16_t iss;		/* 0: the CRL issuer; k: the k-th certificateIssuer */
} crl_entry;

struct tb_crl_index {
	tb_crl_info info;
	unsigned char *issuer;
	size_t issuer_len;
	crl_entry *e;
	size_t n;
	unsigned char *arena;
	size_t arena_len;
	unsigned char *idp;	/* issuingDistributionPoint DER, or NULL */
	size_t idp_len;
	unsigned char **ci;	/* certificateIssuer GeneralNames DER, ci[k - 1] for iss k */
	size_t *ci_len;
	size_t n_ci;
};

/* Extension OIDs (content octets). */
static const unsigned char oid_crl_number[] = { 0x55, 0x1d, 0x14 };
static const unsigned char oid_reason[] = { 0x55, 0x1d, 0x15 };
static const unsigned char oid_invalidity[] = { 0x55, 0x1d, 0x18 };
static const unsigned char oid_delta[] = { 0x55, 0x1d, 0x1b };
static const unsigned char oid_idp[] = { 0x55, 0x1d, 0x1c };
static const unsigned char oid_cert_issuer[] = { 0x55, 0x1d, 0x1d };
static const unsigned char oid_aki[] = { 0x55, 0x1d, 0x23 };
static const unsigned char oid_freshest[] = { 0x55, 0x1d, 0x2e };

#define OID_IS(c, o) tb_der_oid_is((c), (o), sizeof(o))

/* One Extension: id, critical flag and the OCTET STRING's content. */
static int
read_ext(tb_der *exts, tb_der *id, int *critical, tb_der *val)
{
	tb_der ext, b;
	int present, r;

	if ((r = tb_der_expect(exts, TB_DER_SEQUENCE, &ext, NULL)) != 0 ||
	    (r = tb_der_expect(&ext, TB_DER_OID, id, NULL)) != 0 ||
	    (r = tb_der_optional(&ext, TB_DER_BOOLEAN, &b, NULL, &present)) != 0)
		return TB_ERR_MALFORMED;
	*critical = 0;
	if (present && tb_der_bool(&b, critical) != 0)
		return TB_ERR_MALFORMED;
	if (tb_der_expect(&ext, TB_DER_OCTET_STRING, val, NULL) != 0 ||
	    !tb_der_empty(&ext))
		return TB_ERR_MALFORMED;
	return 0;
}

/* A CRL number INTEGER (non-negative, at most 20 octets) into buf. */
static int
read_number(const tb_der *octets, unsigned char *buf, size_t *len)
{
	tb_der v = *octets, c;

	if (tb_der_expect(&v, TB_DER_INTEGER, &c, NULL) != 0 || !tb_der_empty(&v) ||
	    c.len == 0 || (c.p[0] & 0x80))
		return TB_ERR_MALFORMED;
	if (c.len > 1 && c.p[0] == 0) {
		c.p++;
		c.len--;
	}
	if (c.len > TB_CRL_NUMBER_MAX)
		return TB_ERR_MALFORMED;
	memcpy(buf, c.p, c.len);
	*len = c.len;
	return 0;
}

int
tb_crl_number_cmp(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	/* Both minimal and non-negative: the longer is the larger. */
	while (alen > 0 && a[0] == 0) {
		a++;
		alen--;
	}
	while (blen > 0 && b[0] == 0) {
		b++;
		blen--;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return alen == 0 ? 0 : memcmp(a, b, alen);
}

/*
 * One revokedCertificates entry; fills serial, time, reason and the
 * certificateIssuer GeneralNames (len 0 when the entry has none).
 */
static int
read_entry(tb_der *list, int indirect, tb_der *serial, time_t *when, int *reason,
    tb_der *cissuer, tb_error *err)
{
	tb_der ent, exts, id, val, v, c;
	int present, critical;
	uint64_t code;

	*reason = TB_CRL_REASON_NONE;
	tb_der_init(cissuer, NULL, 0);
	if (tb_der_expect(list, TB_DER_SEQUENCE, &ent, NULL) != 0 ||
	    tb_der_expect(&ent, TB_DER_INTEGER, serial, NULL) != 0 ||
	    serial->len == 0 || serial->len > 255 ||
	    tb_der_read_time(&ent, when) != 0)
		return tb_error_set(err, TB_ERR_MALFORMED, "CRL entry malformed");
	if (tb_der_optional(&ent, TB_DER_SEQUENCE, &exts, NULL, &present) != 0 ||
	    !tb_der_empty(&ent))
		return tb_error_set(err, TB_ERR_MALFORMED, "CRL entry malformed");
	while (present && !tb_der_empty(&exts)) {
		if (read_ext(&exts, &id, &critical, &val) != 0)
			return tb_error_set(err, TB_ERR_MALFORMED,
			    "CRL entry extension malformed");
		if (OID_IS(&id, oid_reason)) {
			v = val;
			if (tb_der_expect(&v, TB_DER_ENUMERATED, &c, NULL) != 0 ||
			    !tb_der_empty(&v) || tb_der_uint(&c, &code) != 0 ||
			    code > 10 || code == 7)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "CRL entry reasonCode malformed");
			*reason = (int)code;
		} else if (OID_IS(&id, oid_cert_issuer)) {
			/* RFC 5280 5.3.3: only an indirect CRL names another
			 * issuer; this entry and the ones after it are that
			 * issuer's. */
			v = val;
			if (!indirect)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "certificateIssuer entry in a CRL that is not indirect");
			if (tb_der_expect(&v, TB_DER_SEQUENCE, NULL, cissuer) != 0 ||
			    !tb_der_empty(&v) || cissuer->len > 4096)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "CRL entry certificateIssuer malformed");
		} else if (OID_IS(&id, oid_invalidity)) {
			continue;
		} else if (critical) {
			return tb_error_set(err, TB_ERR_UNSUPPORTED,
			    "unknown critical CRL entry extension");
		}
	}
	return 0;
}

/* ReasonFlags BIT STRING content into TB_CRL_REASONS_ALL bits. */
static int
read_reason_flags(const tb_der *c, unsigned *mask)
{
	size_t n;

	if (c->len < 1 || c->p[0] > 7 || (c->len == 1 && c->p[0] != 0))
		return TB_ERR_MALFORMED;
	/* X.690 8.6.2: named bit n is bit 7 - n % 8 of content octet n / 8. */
	*mask = 0;
	for (n = 1; n <= 8; n++)
		if (n / 8 + 1 < c->len && (c->p[n / 8 + 1] >> (7 - n % 8)) & 1)
			*mask |= 1u << n;
	return 0;
}

static int
read_idp(const tb_der *octets, tb_crl_info *info, tb_error *err)
{
	tb_der v = *octets, seq, c;
	unsigned char tag, last = 0;
	int b;

	info->has_idp = 1;
	if (tb_der_expect(&v, TB_DER_SEQUENCE, &seq, NULL) != 0 || !tb_der_empty(&v))
		return tb_error_set(err, TB_ERR_MALFORMED, "issuingDistributionPoint malformed");
	while (!tb_der_empty(&seq)) {
		/* Fields in order, each at most once (tag numbers 0..5). */
		if (tb_der_next(&seq, &tag, &c, NULL) != 0 ||
		    (tag & 0x1f) + 1 <= last)
			return tb_error_set(err, TB_ERR_MALFORMED,
			    "issuingDistributionPoint malformed");
		last = (unsigned char)((tag & 0x1f) + 1);
		if (tag == TB_DER_CTX_CONS(0))
			continue;	/* the name: crl_scope.c reads it */
		if (tag == TB_DER_CTX(3)) {
			if (read_reason_flags(&c, &info->only_some_reasons) != 0)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "issuingDistributionPoint onlySomeReasons malformed");
			continue;
		}
		if (tag != TB_DER_CTX(1) && tag != TB_DER_CTX(2) &&
		    tag != TB_DER_CTX(4) && tag != TB_DER_CTX(5))
			return tb_error_set(err, TB_ERR_MALFORMED,
			    "issuingDistributionPoint malformed");
		if (tb_der_bool(&c, &b) != 0)
			return tb_error_set(err, TB_ERR_MALFORMED,
			    "issuingDistributionPoint malformed");
		if (tag == TB_DER_CTX(1))
			info->only_user_certs = b;
		else if (tag == TB_DER_CTX(2))
			info->only_ca_certs = b;
		else if (tag == TB_DER_CTX(4))
			info->indirect = b;
		else
			info->only_attr_certs = b;
	}
	/* RFC 5280 5.2.5: at most one of the three "only" flags. */
	if (info->only_user_certs + info->only_ca_certs + info->only_attr_certs > 1)
		return tb_error_set(err, TB_ERR_MALFORMED,
		    "issuingDistributionPoint asserts more than one onlyContains flag");
	return 0;
}

static int
read_crl_exts(tb_der *exts, tb_crl_info *info, tb_der *idp, tb_error *err)
{
	tb_der id, val, v, seq, c;
	int critical, present, r;

	while (!tb_der_empty(exts)) {
		if (read_ext(exts, &id, &critical, &val) != 0)
			return tb_error_set(err, TB_ERR_MALFORMED, "CRL extension malformed");
		if (OID_IS(&id, oid_crl_number)) {
			/* RFC 5280 5.2.3: "this extension is non-critical". */
			if (critical)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "cRLNumber is marked critical");
			if (info->has_number)
				return tb_error_set(err, TB_ERR_MALFORMED, "cRLNumber twice");
			if (read_number(&val, info->number, &info->number_len) != 0)
				return tb_error_set(err, TB_ERR_MALFORMED, "cRLNumber malformed");
			info->has_number = 1;
		} else if (OID_IS(&id, oid_delta)) {
			if (read_number(&val, info->base_number, &info->base_number_len) != 0)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "deltaCRLIndicator malformed");
			info->is_delta = 1;
		} else if (OID_IS(&id, oid_idp)) {
			if (info->has_idp)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "issuingDistributionPoint twice");
			if ((r = read_idp(&val, info, err)) != 0)
				return r;
			*idp = val;
		} else if (OID_IS(&id, oid_freshest)) {
			info->has_freshest = 1;
		} else if (OID_IS(&id, oid_aki)) {
			v = val;
			if (tb_der_expect(&v, TB_DER_SEQUENCE, &seq, NULL) != 0 ||
			    tb_der_optional(&seq, TB_DER_CTX(0), &c, NULL, &present) != 0)
				return tb_error_set(err, TB_ERR_MALFORMED,
				    "authorityKeyIdentifier malformed");
			if (present && c.len <= sizeof(info->aki)) {
				memcpy(info->aki, c.p, c.len);
				info->aki_len = c.len;
			}
		} else if (critical) {
			return tb_error_set(err, TB_ERR_UNSUPPORTED,
			    "unknown critical CRL extension");
		}
	}
	/* RFC 5280 5.2.4: a delta CRL carries its own cRLNumber too. */
	if (info->is_delta && !info->has_number)
		return tb_error_set(err, TB_ERR_MALFORMED, "delta CRL without cRLNumber");
	return 0;
}

static uint64_t
prefix_of(const unsigned char *s, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | (i < len ? s[i] : 0);
	return v;
}

/* Order: by length, then by bytes (numeric order for minimal INTEGERs). */
static int
entry_cmp(const void *a, const void *b, void *arg)
{
	const crl_entry *x = a, *y = b;
	const unsigned char *arena = arg;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	if (x->len <= 8)
		return 0;
	return memcmp(arena + x->off + 8, arena + y->off + 8, x->len - 8u);
}

static int
key_cmp(const unsigned char *s, size_t len, uint64_t prefix, const crl_entry *e,
    const unsigned char *arena)
{
	if (len != e->len)
		return len < e->len ? -1 : 1;
	if (prefix != e->prefix)
		return prefix < e->prefix ? -1 : 1;
	if (len <= 8)
		return 0;
	return memcmp(s + 8, arena + e->off + 8, len - 8);
}

int
tb_crl_index_build(const unsigned char *der, size_t len, size_t max_entries,
    tb_crl_index **out, tb_crl_parts *parts, tb_error *err)
{
	tb_crl_index *ix = NULL;
	tb_der all, crl, tbs, tbs_whole, alg, alg_out, alg_whole, sig, bits, issuer, v, list,
	    list0, exts, wrap, serial, idp, cissuer;
	unsigned char tag;
	uint64_t ver;
	size_t i, k, n = 0, bytes = 0, pos = 0;
	int present, reason, r = TB_ERR_MALFORMED, sorted = 1;
	time_t when;

	tb_der_init(&all, der, len);
	if ((ix = calloc(1, sizeof(*ix))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "CRL index");
		goto out;
	}
	/* RFC 5280 5.1: CertificateList ::= SEQUENCE { tbsCertList,
	 * signatureAlgorithm, signatureValue }. */
	if (tb_der_expect(&all, TB_DER_SEQUENCE, &crl, NULL) != 0 || !tb_der_empty(&all) ||
	    tb_der_expect(&crl, TB_DER_SEQUENCE, &tbs, &tbs_whole) != 0 ||
	    tb_der_expect(&crl, TB_DER_SEQUENCE, &alg_out, &alg_whole) != 0 ||
	    tb_der_expect(&crl, TB_DER_BIT_STRING, &sig, NULL) != 0 ||
	    !tb_der_empty(&crl) || tb_der_bits(&sig, &bits) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "not a DER CertificateList");
		goto out;
	}
	ix->info.version = 1;
	ix->info.only_some_reasons = TB_CRL_REASONS_ALL;
	tb_der_init(&idp, NULL, 0);
	if (tb_der_optional(&tbs, TB_DER_INTEGER, &v, NULL, &present) != 0)
		goto bad;
	if (present) {
		if (tb_der_uint(&v, &ver) != 0 || ver != 1)
			goto bad;
		ix->info.version = 2;
	}
	if (tb_der_expect(&tbs, TB_DER_SEQUENCE, &alg, NULL) != 0 ||
	    tb_der_expect(&tbs, TB_DER_SEQUENCE, NULL, &issuer) != 0 ||
	    tb_der_read_time(&tbs, &ix->info.this_update) != 0)
		goto bad;
	/* RFC 5280 5.1.2.1: the inner and outer algorithms must match. */
	if (alg.len != alg_out.len || memcmp(alg.p, alg_out.p, alg.len) != 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED,
		    "CRL signature algorithms inside and outside differ");
		goto out;
	}
	if (tb_der_peek(&tbs, &tag) == 0 && (tag == TB_DER_UTCTIME || tag == TB_DER_GENTIME)) {
		if (tb_der_read_time(&tbs, &ix->info.next_update) != 0)
			goto bad;
	}
	tb_der_init(&list, NULL, 0);
	if (tb_der_optional(&tbs, TB_DER_SEQUENCE, &list, NULL, &present) != 0)
		goto bad;
	if (tb_der_optional(&tbs, TB_DER_CTX_CONS(0), &wrap, NULL, &present) != 0 ||
	    !tb_der_empty(&tbs))
		goto bad;
	if (present) {
		if (ix->info.version != 2 ||
		    tb_der_expect(&wrap, TB_DER_SEQUENCE, &exts, NULL) != 0 ||
		    !tb_der_empty(&wrap))
			goto bad;
		if ((r = read_crl_exts(&exts, &ix->info, &idp, err)) != 0)
			goto out;
	}
	/* RFC 5280 5.2.3: conforming CAs MUST include the cRLNumber; without
	 * it neither replay nor a delta's base can be judged. */
	if (!ix->info.has_number) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "CRL without cRLNumber");
		goto out;
	}

	/* Pass 1: check every entry, count them and their serial bytes. */
	list0 = list;
	while (!tb_der_empty(&list)) {
		if ((r = read_entry(&list, ix->info.indirect, &serial, &when, &reason, &cissuer,
		    err)) != 0)
			goto out;
		if (cissuer.len > 0 && ++ix->n_ci > TB_CRL_ENTRY_ISSUERS_MAX) {
			r = tb_error_set(err, TB_ERR_TOO_LARGE,
			    "CRL names more than %d certificate issuers", TB_CRL_ENTRY_ISSUERS_MAX);
			goto out;
		}
		if (reason == TB_CRL_REASON_REMOVE && !ix->info.is_delta) {
			r = tb_error_set(err, TB_ERR_MALFORMED,
			    "removeFromCRL entry in a complete CRL");
			goto out;
		}
		n++;
		bytes += serial.len;
		if (max_entries != 0 && n > max_entries) {
			r = tb_error_set(err, TB_ERR_TOO_LARGE,
			    "CRL has more than %zu entries", max_entries);
			goto out;
		}
	}
	if (bytes > UINT32_MAX) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "CRL serials too large");
		goto out;
	}
	if ((ix->e = malloc((n ? n : 1) * sizeof(*ix->e))) == NULL ||
	    (ix->arena = malloc(bytes ? bytes : 1)) == NULL ||
	    (ix->issuer = malloc(issuer.len)) == NULL ||
	    (idp.len > 0 && (ix->idp = malloc(idp.len)) == NULL) ||
	    (ix->n_ci > 0 && ((ix->ci = calloc(ix->n_ci, sizeof(*ix->ci))) == NULL ||
	    (ix->ci_len = calloc(ix->n_ci, sizeof(*ix->ci_len))) == NULL))) {
		r = tb_error_set(err, TB_ERR_NOMEM, "CRL index of %zu entries", n);
		goto out;
	}
	memcpy(ix->issuer, issuer.p, issuer.len);
	ix->issuer_len = issuer.len;
	if (idp.len > 0)
		memcpy(ix->idp, idp.p, idp.len);
	ix->idp_len = idp.len;
	ix->info.entry_issuers = ix->n_ci;

	/* Pass 2: fill; the bytes were checked above. */
	list = list0;
	for (i = 0, k = 0; i < n; i++) {
		if ((r = read_entry(&list, ix->info.indirect, &serial, &when, &reason, &cissuer,
		    err)) != 0)
			goto out;
		if (cissuer.len > 0) {
			if ((ix->ci[k] = malloc(cissuer.len)) == NULL) {
				r = tb_error_set(err, TB_ERR_NOMEM, "CRL certificate issuers");
				goto out;
			}
			memcpy(ix->ci[k], cissuer.p, cissuer.len);
			ix->ci_len[k++] = cissuer.len;
		}
		ix->e[i].iss = (uint16_t)k;
		memcpy(ix->arena + pos, serial.p, serial.len);
		ix->e[i].revoked_at = when;
		ix->e[i].prefix = prefix_of(serial.p, serial.len);
		ix->e[i].off = (uint32_t)pos;
		ix->e[i].len = (uint8_t)serial.len;
		ix->e[i].reason = (int8_t)reason;
		pos += serial.len;
		if (i > 0 && sorted && entry_cmp(&ix->e[i - 1], &ix->e[i], ix->arena) > 0)
			sorted = 0;
	}
	ix->n = n;
	ix->arena_len = bytes;
	ix->info.entries = n;
	/* CAs usually list serials in order; sort only when they did not. */
	if (!sorted)
		qsort_r(ix->e, n, sizeof(*ix->e), entry_cmp, ix->arena);
	if (parts != NULL) {
		parts->tbs = tbs_whole;
		parts->sig_alg = alg_whole;
		parts->sig = bits;
		parts->issuer = issuer;
		parts->idp = idp;
	}
	*out = ix;
	ix = NULL;
	r = 0;
	goto out;
 bad:
	r = tb_error_set(err, TB_ERR_MALFORMED, "TBSCertList malformed");
 out:
	tb_crl_index_free(ix);
	return r;
}

void
tb_crl_index_free(tb_crl_index *ix)
{
	size_t k;

	if (ix == NULL)
		return;
	for (k = 0; ix->ci != NULL && k < ix->n_ci; k++)
		free(ix->ci[k]);
	free(ix->ci);
	free(ix->ci_len);
	free(ix->idp);
	free(ix->e);
	free(ix->arena);
	free(ix->issuer);
	free(ix);
}

const tb_crl_info *
tb_crl_index_info(const tb_crl_index *ix)
{
	return &ix->info;
}

const unsigned char *
tb_crl_index_issuer(const tb_crl_index *ix, size_t *len)
{
	*len = ix->issuer_len;
	return ix->issuer;
}

const unsigned char *
tb_crl_index_idp(const tb_crl_index *ix, size_t *len)
{
	*len = ix->idp_len;
	return ix->idp;
}

size_t
tb_crl_index_mem(const tb_crl_index *ix)
{
	size_t k, m = sizeof(*ix) + ix->n * sizeof(*ix->e) + ix->arena_len + ix->issuer_len +
	    ix->idp_len;

	for (k = 0; k < ix->n_ci; k++)
		m += ix->ci_len[k] + sizeof(*ix->ci) + sizeof(*ix->ci_len);
	return m;
}

int
tb_crl_index_lookup(const tb_crl_index *ix, const unsigned char *serial,
    size_t serial_len, time_t *revoked_at, int *reason)
{
	return tb_crl_index_lookup_issuer(ix, serial, serial_len, NULL, NULL, revoked_at,
	    reason);
}

int
tb_crl_index_lookup_issuer(const tb_crl_index *ix, const unsigned char *serial,
    size_t serial_len, tb_crl_entry_issuer_fn mine, void *arg, time_t *revoked_at,
    int *reason)
{
	size_t lo = 0, hi = ix->n, mid;
	uint64_t prefix = prefix_of(serial, serial_len);
	const crl_entry *e;

	/* The first entry not below the serial; then every equal one, since
	 * an indirect CRL may list the same serial for several issuers. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (key_cmp(serial, serial_len, prefix, &ix->e[mid], ix->arena) <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	for (; lo < ix->n; lo++) {
		e = &ix->e[lo];
		if (key_cmp(serial, serial_len, prefix, e, ix->arena) != 0)
			break;
		if (mine != NULL && !(e->iss == 0 ? mine(arg, NULL, 0) :
		    mine(arg, ix->ci[e->iss - 1], ix->ci_len[e->iss - 1])))
			continue;
		*revoked_at = (time_t)e->revoked_at;
		*reason = e->reason;
		return 1;
	}
	return 0;
}
