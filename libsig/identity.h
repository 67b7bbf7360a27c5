/*
 * Who a certificate belongs to, in the NCA profile: IIN from
 * serialNumber=IIN..., BIN from OU=BIN..., names, roles (EKU OIDs under
 * 1.2.398.3.3.4.1) and policies; the IIN/BIN check digit. It reads names
 * and never decides trust: path validation does that.
 */
#ifndef TB_IDENTITY_H
#define TB_IDENTITY_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"

#define TB_ID_MAX_ROLES 8
#define TB_ID_MAX_POLICIES 8

typedef struct tb_identity {
	char iin[13];			/* "" when the subject has none */
	char bin[13];
	char common_name[256];		/* UTF-8, as in the certificate */
	char surname[128];
	char given_name[128];		/* GN: the patronymic in the NCA profile */
	char organization[256];
	char country[8];
	char email[128];
	const char *roles[TB_ID_MAX_ROLES];	/* names from the role table, e.g. "first_head" */
	int n_roles;
	const char *policies[TB_ID_MAX_POLICIES];	/* names of known policy OIDs */
	int n_policies;
	int legal_role;			/* 1 when a legal-entity role (1.2.398.3.3.4.1.2*) is present */
} tb_identity;

/*
 * 1 when s is 12 digits whose check digit is right (IIN and BIN share the
 * rule: weights 1..11 mod 11, then 3..11,1,2 when the first gives 10).
 */
int tb_iin_valid(const char *s);

/* Fills id from cert's subject and extensions. Never fails on missing parts. */
int tb_identity_from_cert(X509 *cert, tb_identity *id, tb_error *err);

/*
 * The role named by name ("first_head") or by its dotted OID; returns the
 * table's name, or NULL when unknown.
 */
const char *tb_role_lookup(const char *name_or_oid);
/* The dotted OID of a role name, or NULL. */
const char *tb_role_oid(const char *name);

#endif
