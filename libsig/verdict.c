/*
 * Verdict codes, reasons and their wording. The words live in
 * libsig/verdicts.tsv, never in C strings here, so that a translator edits
 * one file. Nothing here decides whether a signature is valid.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_err.h"
#include "verdict.h"

static const char *const verdict_codes[TB_V_COUNT] = {
	[TB_V_VALID] = "VALID",
	[TB_V_REVOCATION_UNKNOWN] = "REVOCATION_UNKNOWN",
	[TB_V_IDENTITY_MISMATCH] = "IDENTITY_MISMATCH",
	[TB_V_KEY_USAGE_INVALID] = "KEY_USAGE_INVALID",
	[TB_V_CERT_NOT_YET_VALID] = "CERT_NOT_YET_VALID",
	[TB_V_CERT_EXPIRED] = "CERT_EXPIRED",
	[TB_V_CHAIN_UNTRUSTED] = "CHAIN_UNTRUSTED",
	[TB_V_CERT_REVOKED] = "CERT_REVOKED",
	[TB_V_UNSUPPORTED_ALGORITHM] = "UNSUPPORTED_ALGORITHM",
	[TB_V_DIGEST_MISMATCH] = "DIGEST_MISMATCH",
	[TB_V_SIGNATURE_INVALID] = "SIGNATURE_INVALID",
	[TB_V_MALFORMED] = "MALFORMED",
};

const char *const tb_verdict_langs[3] = { "kk", "ru", "en" };

const char *
tb_verdict_code(enum tb_verdict v)
{
	if ((int)v < 0 || v >= TB_V_COUNT)
		return NULL;
	return verdict_codes[v];
}

int
tb_verdict_parse(const char *code, enum tb_verdict *out)
{
	int i;

	for (i = 0; i < TB_V_COUNT; i++) {
		if (strcmp(verdict_codes[i], code) == 0) {
			*out = (enum tb_verdict)i;
			return 0;
		}
	}
	return -1;
}

int
tb_verdict_lang_ok(const char *lang)
{
	size_t i;

	for (i = 0; lang != NULL && i < 3; i++)
		if (strcmp(lang, tb_verdict_langs[i]) == 0)
			return 1;
	return 0;
}

int
tb_reasons_add(tb_reasons *rs, enum tb_verdict v, const char *msg_id, int signer,
    const char *detail, ...)
{
	va_list ap;
	tb_reason *r, *nv;
	const char *name, *value;
	size_t ncap;

	if (rs->n == rs->cap) {
		ncap = rs->cap == 0 ? 4 : rs->cap * 2;
		if ((nv = realloc(rs->v, ncap * sizeof(*nv))) == NULL)
			return TB_ERR_NOMEM;
		rs->v = nv;
		rs->cap = ncap;
	}
	r = &rs->v[rs->n];
	memset(r, 0, sizeof(*r));
	r->verdict = v;
	snprintf(r->msg_id, sizeof(r->msg_id), "%s", msg_id != NULL ? msg_id : tb_verdict_code(v));
	r->signer = signer;
	snprintf(r->detail, sizeof(r->detail), "%s", detail != NULL ? detail : "");
	va_start(ap, detail);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (r->n_params >= TB_REASON_PARAMS)
			continue;
		snprintf(r->params[r->n_params].name, sizeof(r->params[0].name), "%s", name);
		snprintf(r->params[r->n_params].value, sizeof(r->params[0].value), "%s",
		    value != NULL ? value : "");
		r->n_params++;
	}
	va_end(ap);
	rs->n++;
	return 0;
}

enum tb_verdict
tb_reasons_verdict(const tb_reasons *rs)
{
	enum tb_verdict v = TB_V_VALID;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].verdict > v)
			v = rs->v[i].verdict;
	return v;
}

void
tb_reasons_clear(tb_reasons *rs)
{
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

const char *
tb_verdict_text(const char *id, const char *lang)
{
	size_t i;

	for (i = 0; i < tb_verdict_catalogue_len; i++)
		if (strcmp(tb_verdict_catalogue[i].id, id) == 0 &&
		    strcmp(tb_verdict_catalogue[i].lang, lang) == 0)
			return tb_verdict_catalogue[i].text;
	return NULL;
}

/* Appends s (n bytes) to buf, truncating; *pos may run past len - 1. */
static void
append(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
	size_t room = *pos < len ? len - 1 - *pos : 0;

	if (n > room)
		n = room;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

/* The raw value of parameter name, or NULL. */
static const char *
param_value(const tb_reason *r, const char *name, size_t name_len)
{
	int i;

	for (i = 0; i < r->n_params; i++)
		if (strlen(r->params[i].name) == name_len &&
		    strncmp(r->params[i].name, name, name_len) == 0)
			return r->params[i].value;
	return NULL;
}

/*
 * Appends a parameter value: items separated by ", " that read "@id" are
 * replaced by the catalogue's text of id in lang (revocation reasons, roles).
 */
static void
append_param(char *buf, size_t len, size_t *pos, const char *v, const char *lang)
{
	const char *end, *t;
	char id[64];
	size_t n;

	for (;;) {
		end = strstr(v, ", ");
		n = end != NULL ? (size_t)(end - v) : strlen(v);
		t = NULL;
		if (n > 1 && v[0] == '@' && n - 1 < sizeof(id)) {
			memcpy(id, v + 1, n - 1);
			id[n - 1] = '\0';
			t = tb_verdict_text(id, lang);
		}
		if (t != NULL)
			append(buf, len, pos, t, strlen(t));
		else
			append(buf, len, pos, v, n);
		if (end == NULL)
			break;
		append(buf, len, pos, ", ", 2);
		v = end + 2;
	}
}

int
tb_reason_message(const tb_reason *r, const char *lang, char *buf, size_t len)
{
	const char *t = tb_verdict_text(r->msg_id, lang), *p, *close, *v;
	size_t pos = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (t == NULL)
		t = tb_verdict_text(tb_verdict_code(r->verdict), lang);
	if (t == NULL) {
		snprintf(buf, len, "%s", tb_verdict_code(r->verdict));
		return -1;
	}
	for (p = t; *p != '\0';) {
		if (*p == '{' && (close = strchr(p, '}')) != NULL &&
		    (v = param_value(r, p + 1, (size_t)(close - p - 1))) != NULL) {
			append_param(buf, len, &pos, v, lang);
			p = close + 1;
			continue;
		}
		append(buf, len, &pos, p, 1);
		p++;
	}
	return 0;
}
