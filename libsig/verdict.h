/*
 * Verdicts: the stable codes a verification ends in, the reasons that led
 * there, and their messages in Kazakh, Russian and English from the one
 * catalogue (libsig/verdicts.tsv). Nothing here decides validity; it only
 * names and words what the checks found.
 */
#ifndef TB_VERDICT_H
#define TB_VERDICT_H

#include <stddef.h>

/* In rising order of precedence: the overall verdict is the highest reason. */
enum tb_verdict {
	TB_V_VALID = 0,
	TB_V_REVOCATION_UNKNOWN,	/* transient: below every definite finding */
	TB_V_IDENTITY_MISMATCH,
	TB_V_KEY_USAGE_INVALID,
	TB_V_CERT_NOT_YET_VALID,
	TB_V_CERT_EXPIRED,
	TB_V_CHAIN_UNTRUSTED,
	TB_V_CERT_REVOKED,
	TB_V_UNSUPPORTED_ALGORITHM,
	TB_V_DIGEST_MISMATCH,
	TB_V_SIGNATURE_INVALID,
	TB_V_MALFORMED,
	TB_V_COUNT
};

/* "VALID", "CERT_EXPIRED", ...; NULL for an out-of-range value. */
const char *tb_verdict_code(enum tb_verdict v);
/* The verdict of a code string; -1 when unknown. */
int tb_verdict_parse(const char *code, enum tb_verdict *out);

#define TB_REASON_PARAMS 3

/* One thing found wrong, with what its message needs. */
typedef struct tb_reason {
	enum tb_verdict verdict;
	char msg_id[48];		/* catalogue id: "CERT_EXPIRED" or "CERT_EXPIRED.ca" */
	int signer;			/* index of the signer it concerns, -1 for none */
	char detail[256];		/* technical English, for logs and integrators */
	struct {
		char name[16];
		char value[256];
	} params[TB_REASON_PARAMS];
	int n_params;
} tb_reason;

typedef struct tb_reasons {
	tb_reason *v;
	size_t n, cap;
} tb_reasons;

/*
 * Appends a reason. msg_id NULL means the bare verdict code. params are
 * name/value string pairs ended by NULL. Returns 0 or TB_ERR_NOMEM.
 */
int tb_reasons_add(tb_reasons *rs, enum tb_verdict v, const char *msg_id, int signer,
    const char *detail, ...) __attribute__((sentinel));
/* The verdict with the highest precedence among rs; VALID when empty. */
enum tb_verdict tb_reasons_verdict(const tb_reasons *rs);
/* Frees the array (the struct itself is the caller's). */
void tb_reasons_clear(tb_reasons *rs);

/* The languages of the catalogue, in the order answers list them. */
extern const char *const tb_verdict_langs[3];
/* 1 when lang is "kk", "ru" or "en". */
int tb_verdict_lang_ok(const char *lang);

/* The raw catalogue text of id in lang, or NULL. */
const char *tb_verdict_text(const char *id, const char *lang);

/*
 * Writes the message of reason r in lang into buf, parameters substituted.
 * A missing variant falls back to the bare verdict code's message.
 * Returns 0, or -1 when the catalogue has nothing (buf then holds the code).
 */
int tb_reason_message(const tb_reason *r, const char *lang, char *buf, size_t len);

/* The catalogue, generated from libsig/verdicts.tsv. */
typedef struct tb_verdict_msg {
	const char *id;
	const char *lang;
	const char *text;
} tb_verdict_msg;
extern const tb_verdict_msg tb_verdict_catalogue[];
extern const size_t tb_verdict_catalogue_len;

#endif
