/*
 * tanba-admin csr: a PKCS#10 request for a token key, subject in the NCA
 * profile. OpenSSL builds and encodes the request; the token layer
 * (tb_p11_key_sign) makes the signature, so the private key never leaves
 * the token. The request is checked against its own public key before it
 * is written.
 */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "admin.h"
#include "tb_p11.h"
#include "signer.h"
#include "tb_file.h"

struct csr_subject {
	const char *cn, *surname, *given, *iin, *bin, *org, *country;
};

/* IIN and BIN are exactly 12 digits (checksums are not enforced: test PKIs break them). */
static int
twelve_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return i == 12;
}

static int
add_entry(X509_NAME *name, int nid, const char *value, tb_error *err)
{
	if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value,
	    -1, -1, 0) != 1)
		return tb_error_set_ossl(err, TB_ERR_INVALID_ARG, "%s '%s' is not valid here",
		    OBJ_nid2sn(nid), value);
	return 0;
}

/* CN, SN, serialNumber=IIN, C, GN, O, OU=BIN: the order NCA certificates use. */
static int
build_subject(const struct csr_subject *s, X509_NAME **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	X509_NAME *name = NULL;
	char buf[32];

	if ((name = X509_NAME_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "name");
		goto out;
	}
	if ((r = add_entry(name, NID_commonName, s->cn, err)) != 0)
		goto out;
	if (s->surname != NULL && (r = add_entry(name, NID_surname, s->surname, err)) != 0)
		goto out;
	if (s->iin != NULL) {
		snprintf(buf, sizeof(buf), "IIN%s", s->iin);
		if ((r = add_entry(name, NID_serialNumber, buf, err)) != 0)
			goto out;
	}
	if (s->country != NULL && (r = add_entry(name, NID_countryName, s->country, err)) != 0)
		goto out;
	if (s->given != NULL && (r = add_entry(name, NID_givenName, s->given, err)) != 0)
		goto out;
	if (s->org != NULL && (r = add_entry(name, NID_organizationName, s->org, err)) != 0)
		goto out;
	if (s->bin != NULL) {
		snprintf(buf, sizeof(buf), "BIN%s", s->bin);
		if ((r = add_entry(name, NID_organizationalUnitName, buf, err)) != 0)
			goto out;
	}
	*out = name;
	name = NULL;
	r = 0;
out:
	X509_NAME_free(name);
	return r;
}

/*
 * The public key of the key URI names, read through the admin wrapper, and
 * a URI naming only its token (what tb_p11_token_open takes).
 */
static int
token_pubkey(const char *key_uri, int pin_fd, EVP_PKEY **out, char **token_uri,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	char *module = NULL, pin[ADMIN_PIN_MAX];
	size_t len;
	tb_p11_manage *p = NULL;
	tb_p11_object key;
	char *tu = NULL;

	memset(pin, 0, sizeof(pin));
	if ((module = admin_module_choose()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "module");
		goto out;
	}
	if ((r = tb_secret_read(pin_fd, pin, sizeof(pin), &len, err)) != 0 ||
	    (r = tb_p11_manage_open(module, &p, err)) != 0 ||
	    (r = tb_p11_manage_use_token(p, key_uri, pin, err)) != 0 ||
	    (r = tb_p11_manage_one_key(p, key_uri, &key, err)) != 0 ||
	    (r = tb_p11_manage_token_uri(p, &tu, err)) != 0 ||
	    (r = tb_p11_manage_pubkey(p, key, out, err)) != 0)
		goto out;
	*token_uri = tu;
	tu = NULL;
	r = 0;
out:
	free(tu);
	OPENSSL_cleanse(pin, sizeof(pin));
	free(module);
	tb_p11_manage_free(p);
	return r;
}

/* Signs req's CertificationRequestInfo with the token key. */
static int
sign_request(X509_REQ *req, EVP_PKEY *pub, const EVP_MD *md, tb_p11_key *key, tb_error *err)
{
	int r = TB_ERR_INTERNAL, sig_nid, tbs_len;
	unsigned char *tbs = NULL, digest[EVP_MAX_MD_SIZE], sig[TB_SIG_MAX];
	unsigned int dlen = 0;
	size_t sig_len = sizeof(sig);
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *bs = NULL;
	int pkey_nid = EVP_PKEY_get_base_id(pub);

	if (!OBJ_find_sigid_by_algs(&sig_nid, EVP_MD_get_type(md), pkey_nid)) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "no signature algorithm for %s with %s",
		    EVP_MD_get0_name(md), OBJ_nid2sn(pkey_nid));
		goto out;
	}
	/* RFC 4055: RSA PKCS#1 v1.5 takes NULL parameters; RFC 5758: ECDSA takes none. */
	if ((alg = X509_ALGOR_new()) == NULL ||
	    X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid),
	    pkey_nid == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) != 1 ||
	    X509_REQ_set1_signature_algo(req, alg) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "signature algorithm");
		goto out;
	}
	if ((tbs_len = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0 ||
	    EVP_Digest(tbs, (size_t)tbs_len, digest, &dlen, md, NULL) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "encoding the request");
		goto out;
	}
	if ((r = tb_p11_key_sign(key, EVP_MD_get_type(md), digest, dlen, sig, &sig_len,
	    err)) != 0)
		goto out;
	if ((bs = ASN1_BIT_STRING_new()) == NULL ||
	    ASN1_BIT_STRING_set(bs, sig, (int)sig_len) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "signature");
		goto out;
	}
	/* A signature value has no unused bits. */
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, bs);
	bs = NULL;
	if (X509_REQ_verify(req, pub) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO,
		    "the token's signature does not verify under the key's public key");
		goto out;
	}
	r = 0;
out:
	ASN1_BIT_STRING_free(bs);
	X509_ALGOR_free(alg);
	OPENSSL_free(tbs);
	return r;
}

static void
csr_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin csr --key URI --cn TEXT [--surname TEXT] [--given-name TEXT]\n"
	    "           [--iin 12DIGITS] [--bin 12DIGITS] [--org TEXT] [--country KZ]\n"
	    "           [--digest sha256|sha384|sha512] [--pin-file FILE] -o FILE\n"
	    "  Subject: CN, SN (surname), serialNumber=IIN..., C, GN (given name or\n"
	    "  patronymic), O, OU=BIN...; all text UTF-8.\n");
}

int
admin_cmd_csr(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "cn", required_argument, NULL, 'C' },
		{ "surname", required_argument, NULL, 'S' },
		{ "given-name", required_argument, NULL, 'G' },
		{ "iin", required_argument, NULL, 'I' },
		{ "bin", required_argument, NULL, 'B' },
		{ "org", required_argument, NULL, 'O' },
		{ "country", required_argument, NULL, 'c' },
		{ "digest", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c, pin_fd = -1;
	const char *key_uri = NULL, *pin_file = NULL, *digest = "sha256", *out_path = NULL;
	struct csr_subject s = { .country = "KZ" };
	const EVP_MD *md;
	X509_NAME *name = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *pub = NULL;
	tb_p11_module *mod = NULL;
	tb_p11_token *tok = NULL;
	tb_p11_key *key = NULL;
	char *module = NULL, *token_uri = NULL;
	FILE *f = NULL;
	tb_error err;

	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "ho:", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': key_uri = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'C': s.cn = optarg; break;
		case 'S': s.surname = optarg; break;
		case 'G': s.given = optarg; break;
		case 'I': s.iin = optarg; break;
		case 'B': s.bin = optarg; break;
		case 'O': s.org = optarg; break;
		case 'c': s.country = *optarg != '\0' ? optarg : NULL; break;
		case 'd': digest = optarg; break;
		case 'o': out_path = optarg; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': csr_usage(stdout); return ADMIN_EXIT_OK;
		default: csr_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind != argc || key_uri == NULL || s.cn == NULL || out_path == NULL) {
		csr_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	if ((s.iin != NULL && !twelve_digits(s.iin)) || (s.bin != NULL && !twelve_digits(s.bin))) {
		fprintf(stderr, "tanba-admin: --iin and --bin take exactly 12 digits\n");
		return ADMIN_EXIT_ERROR;
	}
	if (strcmp(digest, "sha256") != 0 && strcmp(digest, "sha384") != 0 &&
	    strcmp(digest, "sha512") != 0) {
		fprintf(stderr, "tanba-admin: --digest takes sha256, sha384 or sha512\n");
		return ADMIN_EXIT_ERROR;
	}
	md = EVP_get_digestbyname(digest);
	if (md == NULL || build_subject(&s, &name, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", md == NULL ? "digest unavailable" : err.detail);
		goto out;
	}
	/* The PIN is read once into a descriptor both token users read from. */
	if (admin_pin_fd(pin_file, "user PIN", &pin_fd, &err) != 0 ||
	    token_pubkey(key_uri, pin_fd, &pub, &token_uri, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if ((module = admin_module_choose()) == NULL ||
	    tb_p11_module_load(module, &mod, &err) != 0 ||
	    tb_p11_token_open(mod, token_uri, pin_fd, 1, &tok, &err) != 0 ||
	    tb_p11_key_find(tok, key_uri, &key, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if ((req = X509_REQ_new()) == NULL ||
	    X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, pub) != 1) {
		tb_error_set_ossl(&err, TB_ERR_CRYPTO, "building the request");
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if (sign_request(req, pub, md, key, &err) != 0) {
		fprintf(stderr, "tanba-admin: signing the request on the token failed: %s\n",
		    err.detail);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if ((f = fopen(out_path, "w")) == NULL || PEM_write_X509_REQ(f, req) != 1 ||
	    fclose(f) != 0) {
		f = NULL;
		fprintf(stderr, "tanba-admin: cannot write %s\n", out_path);
		goto out;
	}
	f = NULL;
	printf("certificate request written to %s\n", out_path);
	rc = ADMIN_EXIT_OK;
out:
	if (f != NULL)
		fclose(f);
	tb_p11_key_free(key);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
	if (pin_fd != -1)
		close(pin_fd);
	free(module);
	free(token_uri);
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_PKEY_free(pub);
	return rc;
}
