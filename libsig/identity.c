/*
 * Reading the NCA certificate profile: IIN, BIN, names, roles, policies.
 * Every value comes out of the certificate as UTF-8 and is copied with its
 * length bounded; this file only reads, it never judges the path.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity.h"

/* DOMAIN.md, "The NCA certificate profile": roles carried as EKU OIDs. */
static const struct {
	const char *name;
	const char *oid;
} roles[] = {
	{ "individual", "1.2.398.3.3.4.1.1" },
	{ "legal_entity", "1.2.398.3.3.4.1.2" },
	{ "first_head", "1.2.398.3.3.4.1.2.1" },
	{ "may_sign", "1.2.398.3.3.4.1.2.2" },
	{ "finance", "1.2.398.3.3.4.1.2.3" },
	{ "hr", "1.2.398.3.3.4.1.2.4" },
	{ "employee", "1.2.398.3.3.4.1.2.5" },
};

static const struct {
	const char *name;
	const char *oid;
} policies[] = {
	{ "individual_sign", "1.2.398.3.3.2.3" },
	{ "individual_auth", "1.2.398.3.3.2.4" },
	{ "legal_sign", "1.2.398.3.3.2.1" },
	{ "ca", "1.2.398.3.3.1.1" },
};

#define LEGAL_ARC "1.2.398.3.3.4.1.2"

int
tb_iin_valid(const char *s)
{
	static const int w2[11] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 };
	int i, sum = 0, c;

	if (s == NULL || strlen(s) != 12 || strspn(s, "0123456789") != 12)
		return 0;
	for (i = 0; i < 11; i++)
		sum += (s[i] - '0') * (i + 1);
	c = sum % 11;
	if (c == 10) {
		for (sum = 0, i = 0; i < 11; i++)
			sum += (s[i] - '0') * w2[i];
		c = sum % 11;
		if (c == 10)
			return 0;
	}
	return c == s[11] - '0';
}

const char *
tb_role_lookup(const char *name_or_oid)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, name_or_oid) == 0 ||
		    strcmp(roles[i].oid, name_or_oid) == 0)
			return roles[i].name;
	return NULL;
}

const char *
tb_role_oid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, name) == 0)
			return roles[i].oid;
	return NULL;
}

/* Copies the UTF-8 form of an ASN1_STRING, bounded; "" when it cannot be converted. */
static void
copy_utf8(const ASN1_STRING *s, char *out, size_t len)
{
	unsigned char *u = NULL;
	int n;

	out[0] = '\0';
	if ((n = ASN1_STRING_to_UTF8(&u, s)) < 0)
		return;
	/* Cut at a character boundary so the JSON layer never sees half a letter. */
	if ((size_t)n >= len) {
		n = (int)len - 1;
		while (n > 0 && (u[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, u, (size_t)n);
	out[n] = '\0';
	OPENSSL_free(u);
}

/* "IIN" or "BIN" followed by 12 digits: the digits, else 0. */
static int
tagged_number(const char *v, const char *tag, char out[13])
{
	size_t tl = strlen(tag);

	if (strncmp(v, tag, tl) != 0 || strlen(v + tl) != 12 ||
	    strspn(v + tl, "0123456789") != 12)
		return 0;
	memcpy(out, v + tl, 13);
	return 1;
}

static void
read_subject(X509_NAME *name, tb_identity *id)
{
	X509_NAME_ENTRY *e;
	char buf[256];
	int i, nid;

	for (i = 0; i < X509_NAME_entry_count(name); i++) {
		e = X509_NAME_get_entry(name, i);
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		switch (nid) {
		case NID_serialNumber:
			copy_utf8(X509_NAME_ENTRY_get_data(e), buf, sizeof(buf));
			if (id->iin[0] == '\0')
				tagged_number(buf, "IIN", id->iin);
			break;
		case NID_organizationalUnitName:
			copy_utf8(X509_NAME_ENTRY_get_data(e), buf, sizeof(buf));
			if (id->bin[0] == '\0')
				tagged_number(buf, "BIN", id->bin);
			break;
		case NID_commonName:
			copy_utf8(X509_NAME_ENTRY_get_data(e), id->common_name,
			    sizeof(id->common_name));
			break;
		case NID_surname:
			copy_utf8(X509_NAME_ENTRY_get_data(e), id->surname, sizeof(id->surname));
			break;
		case NID_givenName:
			copy_utf8(X509_NAME_ENTRY_get_data(e), id->given_name,
			    sizeof(id->given_name));
			break;
		case NID_organizationName:
			copy_utf8(X509_NAME_ENTRY_get_data(e), id->organization,
			    sizeof(id->organization));
			break;
		case NID_countryName:
			copy_utf8(X509_NAME_ENTRY_get_data(e), id->country, sizeof(id->country));
			break;
		case NID_pkcs9_emailAddress:
			copy_utf8(X509_NAME_ENTRY_get_data(e), id->email, sizeof(id->email));
			break;
		default:
			break;
		}
	}
}

static void
read_roles(X509 *cert, tb_identity *id)
{
	EXTENDED_KEY_USAGE *eku;
	char oid[80];
	const char *name;
	int i, crit = 0;

	if ((eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL)) == NULL)
		return;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		if (OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i), 1) <= 0)
			continue;
		if (strncmp(oid, LEGAL_ARC, strlen(LEGAL_ARC)) == 0 &&
		    (oid[strlen(LEGAL_ARC)] == '\0' || oid[strlen(LEGAL_ARC)] == '.'))
			id->legal_role = 1;
		if ((name = tb_role_lookup(oid)) != NULL && id->n_roles < TB_ID_MAX_ROLES)
			id->roles[id->n_roles++] = name;
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static void
read_policies(X509 *cert, tb_identity *id)
{
	CERTIFICATEPOLICIES *cp;
	POLICYINFO *pi;
	char oid[80];
	size_t j;
	int i, crit = 0;

	if ((cp = X509_get_ext_d2i(cert, NID_certificate_policies, &crit, NULL)) == NULL)
		return;
	for (i = 0; i < sk_POLICYINFO_num(cp); i++) {
		pi = sk_POLICYINFO_value(cp, i);
		if (OBJ_obj2txt(oid, sizeof(oid), pi->policyid, 1) <= 0)
			continue;
		for (j = 0; j < sizeof(policies) / sizeof(policies[0]); j++)
			if (strcmp(policies[j].oid, oid) == 0 &&
			    id->n_policies < TB_ID_MAX_POLICIES)
				id->policies[id->n_policies++] = policies[j].name;
	}
	CERTIFICATEPOLICIES_free(cp);
}

int
tb_identity_from_cert(X509 *cert, tb_identity *id, tb_error *err)
{
	memset(id, 0, sizeof(*id));
	if (cert == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no certificate");
	read_subject(X509_get_subject_name(cert), id);
	read_roles(cert, id);
	read_policies(cert, id);
	return 0;
}
