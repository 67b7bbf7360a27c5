/*
 * Certificate profiles of the test PKI (the NCA profile of DOMAIN.md) and
 * the issuing of one certificate, plus the IIN/BIN check digit and PEM
 * files. It never decides whether a certificate is acceptable: the
 * negative certificates it makes are for the verifier to refuse.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "gost.h"
#include "testpki.h"

#define ROLE_INDIVIDUAL "1.2.398.3.3.4.1.1"
#define ROLE_LEGAL "1.2.398.3.3.4.1.2"

static const struct profile_def {
	const char *name;
	enum tp_profile profile;
	const char *bc;		/* basicConstraints, NULL for end entities */
	const char *ku;
	const char *eku;	/* without the role */
	const char *role;	/* role OIDs appended to the EKU */
	const char *policy;
	int ocsp_nocheck;
} profiles[] = {
	{ "individual-sign", TP_PROF_INDIVIDUAL_SIGN, NULL,
	  "critical,digitalSignature,nonRepudiation", "emailProtection",
	  ROLE_INDIVIDUAL, "1.2.398.3.3.2.3", 0 },
	{ "individual-auth", TP_PROF_INDIVIDUAL_AUTH, NULL,
	  "critical,digitalSignature,keyEncipherment", "clientAuth",
	  ROLE_INDIVIDUAL, "1.2.398.3.3.2.4", 0 },
	/* A first head signs for the entity: legal-entity role plus .4.1.2.1. */
	{ "legal-sign", TP_PROF_LEGAL_SIGN, NULL,
	  "critical,digitalSignature,nonRepudiation", "emailProtection",
	  ROLE_LEGAL ",1.2.398.3.3.4.1.2.1", "1.2.398.3.3.2.1", 0 },
	{ "legal-employee", TP_PROF_LEGAL_EMPLOYEE, NULL,
	  "critical,digitalSignature,nonRepudiation", "emailProtection",
	  ROLE_LEGAL ",1.2.398.3.3.4.1.2.5", "1.2.398.3.3.2.1", 0 },
	/* RFC 6960 4.2.2.2: a delegated responder; 4.2.2.2.1 id-pkix-ocsp-nocheck. */
	{ "ocsp", TP_PROF_OCSP, NULL, "critical,digitalSignature", "OCSPSigning",
	  NULL, NULL, 1 },
	/* RFC 3161 2.3: timeStamping the only purpose, the extension critical. */
	{ "tsa", TP_PROF_TSA, NULL, "critical,digitalSignature", "critical,timeStamping",
	  NULL, NULL, 0 },
	{ "ca", TP_PROF_CA, "critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign",
	  NULL, NULL, "1.2.398.3.3.1.1", 0 },
	{ "root", TP_PROF_ROOT, "critical,CA:TRUE", "critical,keyCertSign,cRLSign",
	  NULL, NULL, "1.2.398.3.3.1.1", 0 },
};

static const struct profile_def *
profile_get(enum tp_profile p)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].profile == p)
			return &profiles[i];
	return NULL;
}

int
tp_profile_parse(const char *name, enum tp_profile *out)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0) {
			*out = profiles[i].profile;
			return 0;
		}
	return TB_ERR_INVALID_ARG;
}

/* ---- IIN / BIN ---- */

int
tp_iin_check_digit(const char *d)
{
	/* DOMAIN.md: weights 1..11 mod 11; on 10 retry with 3..11,1,2; 10 again: none. */
	static const int w1[11] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	static const int w2[11] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 };
	int i, s1 = 0, s2 = 0;

	for (i = 0; i < 11; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -1;
		s1 += (d[i] - '0') * w1[i];
		s2 += (d[i] - '0') * w2[i];
	}
	if (s1 % 11 != 10)
		return s1 % 11;
	if (s2 % 11 != 10)
		return s2 % 11;
	return -1;
}

int
tp_iin_valid(const char *s)
{
	int c;

	if (strlen(s) != 12 || (c = tp_iin_check_digit(s)) < 0)
		return 0;
	return s[11] - '0' == c;
}

int
tp_iin_make(const char *prefix, int want_valid, char *out)
{
	size_t plen = strlen(prefix), i;
	unsigned long k;
	int c;

	if (plen > 11)
		return TB_ERR_INVALID_ARG;
	for (i = 0; i < plen; i++)
		if (prefix[i] < '0' || prefix[i] > '9')
			return TB_ERR_INVALID_ARG;
	/* Fill the digits after the prefix with a counter until one has a check digit. */
	for (k = 0; k < 100000; k++) {
		unsigned long v = k;

		memcpy(out, prefix, plen);
		for (i = 11; i > plen; i--) {
			out[i - 1] = (char)('0' + v % 10);
			v /= 10;
		}
		if (v != 0 && plen < 11)
			break;
		if ((c = tp_iin_check_digit(out)) < 0) {
			if (plen == 11)
				break;
			continue;
		}
		/* A wrong check digit: any other digit fails, since the valid one is unique. */
		out[11] = (char)('0' + (want_valid ? c : (c + 1) % 10));
		out[12] = '\0';
		return 0;
	}
	return TB_ERR_INVALID_ARG;
}

/* ---- quirks ---- */

static const struct {
	const char *name;
	unsigned bit;
} quirks[] = {
	{ "no-ski", TP_QUIRK_NO_SKI },
	{ "no-aki", TP_QUIRK_NO_AKI },
	{ "aki-critical", TP_QUIRK_AKI_CRITICAL },
	{ "aki-issuer-serial", TP_QUIRK_AKI_ISSUER_SERIAL },
	{ "unknown-critical", TP_QUIRK_UNKNOWN_CRITICAL },
	{ "no-bc", TP_QUIRK_NO_BC },
	{ "bc-noncritical", TP_QUIRK_BC_NONCRITICAL },
	{ "empty-subject", TP_QUIRK_EMPTY_SUBJECT },
	{ "aia-critical", TP_QUIRK_AIA_CRITICAL },
	{ "aia-malformed", TP_QUIRK_AIA_MALFORMED },
	{ "ku-certsign", TP_QUIRK_KU_CERTSIGN },
};

int
tp_quirk_parse(const char *name, unsigned *bit)
{
	size_t i;

	for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (strcmp(quirks[i].name, name) == 0) {
			*bit = quirks[i].bit;
			return 0;
		}
	return TB_ERR_INVALID_ARG;
}

const char *
tp_quirk_names(void)
{
	static char buf[256];
	size_t i;

	if (buf[0] == '\0')
		for (i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
			    i ? "|" : "", quirks[i].name);
	return buf;
}

/* ---- issuing ---- */

static int
name_add(X509_NAME *n, int nid, const char *prefix, const char *value)
{
	char buf[512];

	if (value == NULL)
		return 1;
	snprintf(buf, sizeof(buf), "%s%s", prefix, value);
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
	    (const unsigned char *)buf, -1, -1, 0);
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, tb_error *err)
{
	X509_EXTENSION *ext;
	int ok;

	if (value == NULL)
		return 0;
	if ((ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value)) == NULL)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "extension %s = %s",
		    OBJ_nid2sn(nid), value);
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (ok != 1)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "add %s", OBJ_nid2sn(nid));
	return 0;
}

/* RFC 5280 4.1.2.2: positive, at most 20 octets; 16 random octets, top bit clear. */
static int
random_serial(X509 *x, tb_error *err)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	int r = TB_ERR_CRYPTO;

	if (RAND_bytes(b, sizeof(b)) != 1) {
		tb_error_set_ossl(err, r, "RAND_bytes");
		goto out;
	}
	b[0] = (unsigned char)((b[0] & 0x7f) | 0x40);
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL) {
		tb_error_set_ossl(err, r, "serial");
		goto out;
	}
	r = 0;
out:
	BN_free(bn);
	return r;
}

static int
build_subject(const tp_cert_req *req, X509_NAME *n)
{
	return name_add(n, NID_commonName, "", req->cn) &&
	    name_add(n, NID_surname, "", req->surname) &&
	    name_add(n, NID_serialNumber, "IIN", req->iin) &&
	    name_add(n, NID_countryName, "", "KZ") &&
	    name_add(n, NID_organizationName, "", req->org) &&
	    name_add(n, NID_organizationalUnitName, "BIN", req->bin) &&
	    name_add(n, NID_givenName, "", req->given);
}

/* Key usage: the request's, else the key type's for individual-sign, else the profile's. */
static const char *
profile_ku(const tp_cert_req *req, const struct profile_def *pd)
{
	const tp_alg *a;

	if (req->ku != NULL)
		return req->ku;
	if (pd->profile == TP_PROF_INDIVIDUAL_SIGN &&
	    (a = tp_alg_for_key(req->pubkey)) != NULL && a->sign_ku != NULL)
		return a->sign_ku;
	return pd->ku;
}

/*
 * cRLDistributionPoints { fullName URI, cRLIssuer directoryName } (RFC
 * 5280 4.2.1.13); without url, the point is the cRLIssuer alone.
 */
static int
add_cdp_crl_issuer(X509 *x, const char *url, const X509_NAME *crl_issuer, tb_error *err)
{
	STACK_OF(DIST_POINT) *dps = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	GENERAL_NAME *uri = GENERAL_NAME_new(), *dn = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	X509_NAME *name = X509_NAME_dup(crl_issuer);
	int r = TB_ERR_CRYPTO;

	if (dps == NULL || dp == NULL || uri == NULL || dn == NULL || ia5 == NULL ||
	    name == NULL || (dp->CRLissuer = GENERAL_NAMES_new()) == NULL)
		goto out;
	if (url != NULL) {
		if (!ASN1_STRING_set(ia5, url, (int)strlen(url)) ||
		    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
		    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL)
			goto out;
		dp->distpoint->type = 0;
		GENERAL_NAME_set0_value(uri, GEN_URI, ia5);
		ia5 = NULL;
		if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, uri))
			goto out;
		uri = NULL;
	}
	GENERAL_NAME_set0_value(dn, GEN_DIRNAME, name);
	name = NULL;
	if (!sk_GENERAL_NAME_push(dp->CRLissuer, dn))
		goto out;
	dn = NULL;
	if (!sk_DIST_POINT_push(dps, dp))
		goto out;
	dp = NULL;
	if (X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0, X509V3_ADD_DEFAULT) != 1)
		goto out;
	r = 0;
 out:
	if (r != 0)
		tb_error_set_ossl(err, r, "cRLDistributionPoints with cRLIssuer");
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	DIST_POINT_free(dp);
	GENERAL_NAME_free(uri);
	GENERAL_NAME_free(dn);
	ASN1_IA5STRING_free(ia5);
	X509_NAME_free(name);
	return r;
}

static int
add_profile_exts(const tp_cert_req *req, const struct profile_def *pd, X509 *x,
    X509V3_CTX *ctx, tb_error *err)
{
	char eku[256], uri[600];
	const char *role = req->role_oid != NULL ? req->role_oid : pd->role;
	int r;

	if ((r = add_ext(x, ctx, NID_basic_constraints, pd->bc, err)) != 0 ||
	    (r = add_ext(x, ctx, NID_key_usage, profile_ku(req, pd), err)) != 0)
		return r;
	if (pd->eku != NULL) {
		snprintf(eku, sizeof(eku), "%s%s%s", pd->eku, role ? "," : "", role ? role : "");
		if ((r = add_ext(x, ctx, NID_ext_key_usage, eku, err)) != 0)
			return r;
	}
	/* An issuer without a key identifier (--quirk no-ski) leaves none to copy. */
	if ((r = add_ext(x, ctx, NID_subject_key_identifier, "hash", err)) != 0 ||
	    (X509_get_ext_by_NID(ctx->issuer_cert, NID_subject_key_identifier, -1) >= 0 &&
	    (r = add_ext(x, ctx, NID_authority_key_identifier, "keyid:always", err)) != 0) ||
	    (r = add_ext(x, ctx, NID_certificate_policies,
	    req->policies != NULL ? req->policies : pd->policy, err)) != 0 ||
	    (r = add_ext(x, ctx, NID_policy_mappings, req->policy_mappings, err)) != 0)
		return r;
	/* The root is the anchor: nobody checks its revocation. */
	if (pd->profile != TP_PROF_ROOT) {
		if (req->crl_issuer != NULL) {
			if ((r = add_cdp_crl_issuer(x, req->crl_url != NULL && *req->crl_url ?
			    req->crl_url : NULL, req->crl_issuer, err)) != 0)
				return r;
		} else if (req->crl_url != NULL && *req->crl_url) {
			snprintf(uri, sizeof(uri), "URI:%s", req->crl_url);
			if ((r = add_ext(x, ctx, NID_crl_distribution_points, uri, err)) != 0)
				return r;
		}
		if (req->delta_url != NULL && *req->delta_url) {
			snprintf(uri, sizeof(uri), "URI:%s", req->delta_url);
			if ((r = add_ext(x, ctx, NID_freshest_crl, uri, err)) != 0)
				return r;
		}
		if (req->ocsp_url != NULL && *req->ocsp_url && !pd->ocsp_nocheck) {
			snprintf(uri, sizeof(uri), "OCSP;URI:%s", req->ocsp_url);
			if ((r = add_ext(x, ctx, NID_info_access, uri, err)) != 0)
				return r;
		}
	}
	if (pd->ocsp_nocheck &&
	    (r = add_ext(x, ctx, NID_id_pkix_OCSP_noCheck, "ignored", err)) != 0)
		return r;
	return 0;
}

/* Removes x's extension nid, if it has one. */
static void
drop_ext(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
}

static void
set_critical(X509 *x, int nid, int crit)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	if (i >= 0)
		X509_EXTENSION_set_critical(X509_get_ext(x, i), crit);
}

/* Adds an extension with the DER value der (len bytes) under the dotted OID or nid. */
static int
add_raw_ext(X509 *x, int nid, const char *oid, int crit, const unsigned char *der,
    int len, tb_error *err)
{
	ASN1_OBJECT *obj = oid != NULL ? OBJ_txt2obj(oid, 1) : OBJ_nid2obj(nid);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = obj != NULL && os != NULL && ASN1_OCTET_STRING_set(os, der, len) &&
	    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os)) != NULL &&
	    X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	if (oid != NULL)
		ASN1_OBJECT_free(obj);
	return ok ? 0 : tb_error_set_ossl(err, TB_ERR_CRYPTO, "quirk extension");
}

/* The departures req asks for, made to the extensions add_profile_exts wrote. */
static int
apply_quirks(const tp_cert_req *req, X509 *x, X509V3_CTX *ctx, tb_error *err)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };
	unsigned q = req->quirks;
	int r;

	if (q & TP_QUIRK_NO_SKI)
		drop_ext(x, NID_subject_key_identifier);
	if (q & TP_QUIRK_NO_AKI)
		drop_ext(x, NID_authority_key_identifier);
	if (q & TP_QUIRK_AKI_ISSUER_SERIAL) {
		drop_ext(x, NID_authority_key_identifier);
		if ((r = add_ext(x, ctx, NID_authority_key_identifier, "keyid:always,issuer:always",
		    err)) != 0)
			return r;
	}
	if (q & TP_QUIRK_AKI_CRITICAL)
		set_critical(x, NID_authority_key_identifier, 1);
	if (q & TP_QUIRK_NO_BC)
		drop_ext(x, NID_basic_constraints);
	if (q & TP_QUIRK_BC_NONCRITICAL)
		set_critical(x, NID_basic_constraints, 0);
	if ((q & TP_QUIRK_UNKNOWN_CRITICAL) &&
	    (r = add_raw_ext(x, NID_undef, "1.3.6.1.4.1.55555.13.1", 1, null_der,
	    (int)sizeof(null_der), err)) != 0)
		return r;
	if (q & (TP_QUIRK_AIA_CRITICAL | TP_QUIRK_AIA_MALFORMED))
		drop_ext(x, NID_info_access);
	if ((q & TP_QUIRK_AIA_CRITICAL) &&
	    (r = add_ext(x, ctx, NID_info_access, "critical,caIssuers;URI:http://127.0.0.1/ca.cer",
	    err)) != 0)
		return r;
	/* Not an AccessDescription sequence: a NULL where the SEQUENCE OF belongs. */
	if ((q & TP_QUIRK_AIA_MALFORMED) &&
	    (r = add_raw_ext(x, NID_info_access, NULL, 0, null_der, (int)sizeof(null_der),
	    err)) != 0)
		return r;
	if (q & TP_QUIRK_KU_CERTSIGN) {
		drop_ext(x, NID_key_usage);
		if ((r = add_ext(x, ctx, NID_key_usage,
		    "critical,digitalSignature,nonRepudiation,keyCertSign", err)) != 0)
			return r;
	}
	return 0;
}

int
tp_cert_issue(const tp_cert_req *req, const tp_issuer *issuer, X509 **out,
    tb_error *err)
{
	int r = TB_ERR_CRYPTO;
	const struct profile_def *pd = profile_get(req->profile);
	X509 *x = NULL, *signed_x = NULL;
	X509_NAME *subj = NULL;
	X509_ALGOR *sigalg = NULL, *tbs_alg;
	X509V3_CTX ctx;
	CONF *conf = NULL;
	unsigned char *tbs = NULL;
	const unsigned char *p;
	int tbs_len;
	tp_der der;

	tp_der_init(&der);
	if (pd == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "unknown profile");
		goto out;
	}
	if ((x = X509_new()) == NULL || (subj = X509_NAME_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "X509_new");
		goto out;
	}
	if (!(req->quirks & TP_QUIRK_EMPTY_SUBJECT) && !build_subject(req, subj)) {
		tb_error_set_ossl(err, r, "subject");
		goto out;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_subject_name(x, subj) != 1 ||
	    X509_set_issuer_name(x, issuer->cert != NULL ?
	    X509_get_subject_name(issuer->cert) : subj) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), req->not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), req->not_after) == NULL) {
		tb_error_set_ossl(err, r, "certificate fields");
		goto out;
	}
	/* Before the extensions: the SKI is the hash of this key's bits. */
	if ((r = tp_alg_set_pubkey(x, req->pubkey, err)) != 0)
		goto out;
	if ((r = random_serial(x, err)) != 0)
		goto out;
	X509V3_set_ctx(&ctx, issuer->cert != NULL ? issuer->cert : x, x, NULL, NULL, 0);
	/* certificatePolicies is parsed only with a config database, even an empty one. */
	if ((conf = NCONF_new(NULL)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "NCONF_new");
		goto out;
	}
	X509V3_set_nconf(&ctx, conf);
	if ((r = add_profile_exts(req, pd, x, &ctx, err)) != 0 ||
	    (r = apply_quirks(req, x, &ctx, err)) != 0)
		goto out;

	/*
	 * OpenSSL sets the TBS signature field only inside its own signing;
	 * the pluggable signer needs it set beforehand, so it is written
	 * through the pointer OpenSSL hands out.
	 */
	r = TB_ERR_CRYPTO;
	if ((sigalg = tp_alg_sigalg_new(issuer->alg)) == NULL) {
		tb_error_set_ossl(err, r, "signature algorithm");
		goto out;
	}
	tbs_alg = (X509_ALGOR *)X509_get0_tbs_sigalg(x);
	if (X509_ALGOR_copy(tbs_alg, sigalg) != 1 ||
	    (tbs_len = i2d_re_X509_tbs(x, &tbs)) <= 0) {
		tb_error_set_ossl(err, r, "encode TBSCertificate");
		goto out;
	}
	if ((r = tp_der_signed(issuer->alg, issuer->key, tbs, (size_t)tbs_len, &der, err)) != 0)
		goto out;
	p = der.p;
	if ((signed_x = d2i_X509(NULL, &p, (long)der.len)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "decode signed certificate");
		goto out;
	}
	*out = signed_x;
	signed_x = NULL;
	r = 0;
out:
	tp_der_release(&der);
	NCONF_free(conf);
	OPENSSL_free(tbs);
	X509_ALGOR_free(sigalg);
	X509_NAME_free(subj);
	X509_free(signed_x);
	X509_free(x);
	return r;
}

char *
tp_cert_serial_hex(const X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *h = NULL, *copy = NULL;

	/* BN_bn2hex gives whole octets in upper case, as openssl ocsp looks them up. */
	if (bn != NULL && (h = BN_bn2hex(bn)) != NULL)
		copy = strdup(BN_is_zero(bn) ? "00" : h);
	OPENSSL_free(h);
	BN_free(bn);
	return copy;
}

/* ---- files ---- */

char *
tp_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p != NULL)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

static int
write_cert_mode(const char *path, X509 *cert, const char *mode, tb_error *err)
{
	FILE *f;
	int ok;

	if ((f = fopen(path, mode)) == NULL)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	ok = PEM_write_X509(f, cert);
	if (fclose(f) != 0 || ok != 1)
		return tb_error_set_ossl(err, TB_ERR_IO, "%s: write", path);
	return 0;
}

int
tp_write_cert(const char *path, X509 *cert, tb_error *err)
{
	return write_cert_mode(path, cert, "w", err);
}

int
tp_append_cert(const char *path, X509 *cert, tb_error *err)
{
	return write_cert_mode(path, cert, "a", err);
}

int
tp_write_key(const char *path, EVP_PKEY *key, tb_error *err)
{
	FILE *f;
	int fd, ok;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	}
	/* PKCS#8, unencrypted: these keys exist only for tests. */
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0 || ok != 1)
		return tb_error_set_ossl(err, TB_ERR_IO, "%s: write", path);
	return 0;
}

int
tp_read_key(const char *path, EVP_PKEY **out, tb_error *err)
{
	BIO *b;
	EVP_PKEY *k;

	if ((b = BIO_new_file(path, "r")) == NULL)
		return tb_error_set_ossl(err, TB_ERR_IO, "%s: open", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k != NULL) {
		*out = k;
		return 0;
	}
	/* OpenSSL reads a GOST key only once libsig has loaded the engine. */
	ERR_clear_error();
	if (tp_gost_load(NULL) == 0 && tp_gost_key_read_pem(path, &k, NULL) == 0) {
		*out = k;
		return 0;
	}
	return tb_error_set(err, TB_ERR_MALFORMED, "%s: not a private key", path);
}

int
tp_issuer_load(const char *dir, const char *name, tp_issuer *out, tb_error *err)
{
	int r = TB_ERR_NOMEM;
	char file[128], *pc = NULL, *pk = NULL;
	tp_issuer iss = { NULL, NULL, NULL };

	snprintf(file, sizeof(file), "%s.pem", name);
	if ((pc = tp_path(dir, file)) == NULL)
		goto out;
	snprintf(file, sizeof(file), "%s.key", name);
	if ((pk = tp_path(dir, file)) == NULL)
		goto out;
	if ((r = tb_cert_read_file(pc, &iss.cert, err)) != 0 ||
	    (r = tp_read_key(pk, &iss.key, err)) != 0)
		goto out;
	if ((iss.alg = tp_alg_for_key(iss.key)) == NULL) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "%s: no signer for this key type", pk);
		goto out;
	}
	*out = iss;
	memset(&iss, 0, sizeof(iss));
	r = 0;
out:
	tp_issuer_clear(&iss);
	free(pc);
	free(pk);
	return r;
}

void
tp_issuer_clear(tp_issuer *iss)
{
	X509_free(iss->cert);
	EVP_PKEY_free(iss->key);
	memset(iss, 0, sizeof(*iss));
}
