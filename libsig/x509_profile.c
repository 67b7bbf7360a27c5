/*
 * The strict profile, rule by rule. Only what RFC 5280 and RFC 5480 say a
 * conforming CA MUST (or MUST NOT) do is refused here, with the one
 * reading for trust anchors that docs/VERIFICATION.md explains; the
 * NCA's certificates keep to all of it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "x509_profile.h"

typedef struct findings {
	tb_profile_finding *v;
	int n, max;
} findings;

static void
add(findings *f, enum tb_verdict verdict, const char *msg_id, const char *detail)
{
	if (f->n >= f->max)
		return;
	f->v[f->n].verdict = verdict;
	f->v[f->n].msg_id = msg_id;
	snprintf(f->v[f->n].detail, sizeof(f->v[f->n].detail), "%s", detail);
	f->n++;
}

/* -1: x has no extension nid; else whether it is critical. */
static int
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* 1 when names holds a directoryName equal to name. */
static int
names_hold(const GENERAL_NAMES *names, const X509_NAME *name)
{
	int i;
	const GENERAL_NAME *g;

	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_DIRNAME && X509_NAME_cmp(g->d.directoryName, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * RFC 5280 4.2.1.1: a conforming CA MUST include keyIdentifier and MUST
 * mark the extension non-critical; X.509 (8.2.2.1) wants issuer and serial
 * both or neither. An anchor's issuer and serial, when present, must name
 * the anchor's own issuer: a self-signed anchor has none to name.
 */
static void
check_aki(findings *f, X509 *x, enum tb_profile_role role)
{
	const GENERAL_NAMES *iss = X509_get0_authority_issuer(x);
	const ASN1_INTEGER *ser = X509_get0_authority_serial(x);
	int crit = ext_critical(x, NID_authority_key_identifier);

	if (crit < 0) {
		if (role != TB_PROFILE_ANCHOR)
			add(f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
			    "no authorityKeyIdentifier (RFC 5280 4.2.1.1)");
		return;
	}
	if (crit)
		add(f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "critical authorityKeyIdentifier (RFC 5280 4.2.1.1)");
	if (X509_get0_authority_key_id(x) == NULL)
		add(f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "authorityKeyIdentifier without keyIdentifier (RFC 5280 4.2.1.1)");
	if ((iss == NULL) != (ser == NULL))
		add(f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "authorityKeyIdentifier with only one of issuer and serial");
	else if (iss != NULL && role == TB_PROFILE_ANCHOR &&
	    (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 ||
	    !names_hold(iss, X509_get_issuer_name(x))))
		add(f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "trust anchor's authorityKeyIdentifier names an issuer and serial "
		    "other than its own issuer's");
}

/* RFC 5480 2.1.1: namedCurve only; implicitCurve and specifiedCurve MUST NOT be used. */
static void
check_ec_params(findings *f, X509 *x)
{
	ASN1_OBJECT *alg_obj = NULL;
	const ASN1_OBJECT *kalg;
	X509_ALGOR *alg = NULL;
	int ptype = V_ASN1_UNDEF;

	if (!X509_PUBKEY_get0_param(&alg_obj, NULL, NULL, &alg, X509_get_X509_PUBKEY(x)) ||
	    alg == NULL)
		return;
	X509_ALGOR_get0(&kalg, &ptype, NULL, alg);
	if (OBJ_obj2nid(kalg) == NID_X9_62_id_ecPublicKey && ptype != V_ASN1_OBJECT)
		add(f, TB_V_UNSUPPORTED_ALGORITHM, "UNSUPPORTED_ALGORITHM.ec_params",
		    "EC key with explicit or implicit curve parameters (RFC 5480 2.1.1)");
}

/* RFC 5280 4.2.2.1: non-critical, and a SEQUENCE OF AccessDescription. */
static void
check_aia(findings *f, X509 *x)
{
	int i = X509_get_ext_by_NID(x, NID_info_access, -1);
	X509_EXTENSION *ext;
	AUTHORITY_INFO_ACCESS *aia;

	if (i < 0)
		return;
	ext = X509_get_ext(x, i);
	if (X509_EXTENSION_get_critical(ext))
		add(f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "critical authorityInfoAccess (RFC 5280 4.2.2.1)");
	if ((aia = X509V3_EXT_d2i(ext)) == NULL)
		add(f, TB_V_MALFORMED, "MALFORMED.cert", "authorityInfoAccess does not decode");
	AUTHORITY_INFO_ACCESS_free(aia);
}

int
tb_profile_check(X509 *x, enum tb_profile_role role, tb_profile_finding *out, int max)
{
	findings f = { out, 0, max };
	uint32_t flags = X509_get_extension_flags(x);
	int bc_crit = ext_critical(x, NID_basic_constraints);

	/* RFC 5280 4.2.1.9: a CA's basicConstraints is critical and says cA. */
	if (role == TB_PROFILE_ANCHOR &&
	    (bc_crit < 0 || !(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA)))
		add(&f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "trust anchor without basicConstraints cA (RFC 5280 4.2.1.9)");
	else if (role == TB_PROFILE_ANCHOR && bc_crit == 0)
		add(&f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "trust anchor's basicConstraints not critical (RFC 5280 4.2.1.9)");
	/* RFC 5280 4.2.1.2: every CA certificate carries subjectKeyIdentifier. */
	if (role != TB_PROFILE_LEAF && X509_get0_subject_key_id(x) == NULL)
		add(&f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "CA certificate without subjectKeyIdentifier (RFC 5280 4.2.1.2)");
	/* RFC 5280 4.1.2.6: a CA's subject is a non-empty distinguished name. */
	if (role != TB_PROFILE_LEAF && X509_NAME_entry_count(X509_get_subject_name(x)) == 0)
		add(&f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "CA certificate with an empty subject (RFC 5280 4.1.2.6)");
	/*
	 * RFC 5280 4.2.1.3: keyCertSign asserted means basicConstraints cA
	 * asserted too. A target that is itself a CA certificate (check-cert of
	 * an intermediate; PKITS 4.6.8) keeps its keyCertSign.
	 */
	if (role == TB_PROFILE_LEAF && (flags & EXFLAG_KUSAGE) &&
	    (X509_get_key_usage(x) & KU_KEY_CERT_SIGN) && !(flags & EXFLAG_CA))
		add(&f, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.profile",
		    "end-entity certificate with keyCertSign (RFC 5280 4.2.1.3)");
	check_aki(&f, x, role);
	check_aia(&f, x);
	check_ec_params(&f, x);
	return f.n;
}
