/*
 * The strict certificate profile: rules of RFC 5280 (and RFC 5480 for EC
 * keys) that path validation (6.1) does not itself require but hostile
 * certificates break, checked for each certificate by its place in the
 * path. Each broken rule is one finding with its own reason; see
 * docs/VERIFICATION.md, "Strict profile".
 */
#ifndef TB_X509_PROFILE_H
#define TB_X509_PROFILE_H

#include <openssl/x509.h>

#include "verdict.h"

enum tb_profile_role {
	TB_PROFILE_ANCHOR,	/* a configured trust anchor */
	TB_PROFILE_CA,		/* an intermediate: issues the certificate below it */
	TB_PROFILE_LEAF,	/* the certificate verified */
};

typedef struct tb_profile_finding {
	enum tb_verdict verdict;
	const char *msg_id;		/* catalogue id */
	char detail[160];		/* the rule, in technical English */
} tb_profile_finding;

#define TB_PROFILE_MAX_FINDINGS 12

/*
 * Checks x as a certificate in role; writes up to max findings to out and
 * returns how many it wrote (0: x keeps to the profile).
 */
int tb_profile_check(X509 *x, enum tb_profile_role role, tb_profile_finding *out, int max);

#endif
