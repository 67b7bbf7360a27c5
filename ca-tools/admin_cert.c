/*
 * tanba-admin cert import: puts the certifying centre's answer on the token
 * beside its key, with the key's CKA_ID and label, once its public key is
 * shown to be the token key's. A certificate for any other key is refused.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "admin.h"
#include "cert_read.h"
#include "tb_file.h"


int
admin_spki_fingerprint(EVP_PKEY *pkey, char *buf, size_t buf_len)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	int len;

	buf[0] = '\0';
	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return -1;
	if (EVP_Digest(der, (size_t)len, md, &md_len, EVP_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	if (buf_len < 3 * (size_t)md_len)
		return -1;
	for (i = 0; i < md_len; i++)
		snprintf(buf + 3 * i, 4, "%02X:", md[i]);
	buf[3 * md_len - 1] = '\0';
	return 0;
}

void
admin_pkey_describe(EVP_PKEY *pkey, char *buf, size_t buf_len)
{
	char group[64];

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
		snprintf(buf, buf_len, "RSA %d", EVP_PKEY_get_bits(pkey));
	else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
	    sizeof(group), NULL) == 1)
		snprintf(buf, buf_len, "EC %s", group);
	else
		snprintf(buf, buf_len, "%s %d", OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)),
		    EVP_PKEY_get_bits(pkey));
}

char *
admin_name_text(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *data;
	long len;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, (XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV & ~ASN1_STRFLGS_ESC_MSB)) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0)
		s = strndup(data, (size_t)len);
	BIO_free(b);
	return s;
}

static void
import_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin cert import --key URI [--pin-file FILE] CERT\n");
}

int
admin_cmd_cert_import(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c;
	const char *key_uri = NULL, *pin_file = NULL, *path;
	char *label = NULL, subj[512], *s;
	char fp_cert[100], fp_key[100], idhex[129];
	tb_p11_manage *p = NULL;
	tb_p11_object key;
	X509 *cert = NULL, *have[16];
	size_t nhave = 0, i;
	EVP_PKEY *tokpk = NULL;
	unsigned char *id = NULL;
	size_t id_len = 0;
	int dup = 0;
	tb_error err;

	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'k': key_uri = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': import_usage(stdout); return ADMIN_EXIT_OK;
		default: import_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind + 1 != argc || key_uri == NULL) {
		import_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	path = argv[optind];
	if (tb_cert_read_file(path, &cert, &err) != 0 ||
	    admin_p11_login(key_uri, pin_file, &p, &err) != 0 ||
	    tb_p11_manage_one_key(p, key_uri, &key, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	label = tb_p11_manage_label(p, key);
	if (label == NULL || tb_p11_manage_id(p, key, &id, &id_len, &err) != 0 ||
	    tb_p11_manage_pubkey(p, key, &tokpk, &err) != 0) {
		fprintf(stderr, "tanba-admin: key '%s': %s\n", key_uri, err.detail);
		goto out;
	}
	admin_hex(idhex, sizeof(idhex), id, id_len);
	s = admin_name_text(X509_get_subject_name(cert));
	snprintf(subj, sizeof(subj), "%s", s != NULL ? s : "?");
	free(s);
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), tokpk) != 1) {
		admin_spki_fingerprint(X509_get0_pubkey(cert), fp_cert, sizeof(fp_cert));
		admin_spki_fingerprint(tokpk, fp_key, sizeof(fp_key));
		fprintf(stderr, "tanba-admin: refused: the certificate in %s (%s) is for another key\n"
		    "  certificate's public key SHA-256 %s\n"
		    "  token key \"%s\" (id %s) SHA-256 %s\n", path, subj, fp_cert, label, idhex,
		    fp_key);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if (id_len == 0) {
		fprintf(stderr, "tanba-admin: key \"%s\" has no CKA_ID: a certificate cannot be "
		    "tied to it\n", label);
		goto out;
	}
	if (tb_p11_manage_certs(p, id, id_len, have, 16, &nhave, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	for (i = 0; i < nhave; i++) {
		if (X509_cmp(have[i], cert) == 0)
			dup = 1;
		X509_free(have[i]);
	}
	if (dup) {
		printf("certificate %s is already on the token with key \"%s\"\n", subj, label);
		rc = ADMIN_EXIT_OK;
		goto out;
	}
	if (tb_p11_manage_store_cert(p, cert, id, id_len, label, &err) != 0) {
		fprintf(stderr, "tanba-admin: storing the certificate failed: %s\n", err.detail);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	printf("certificate %s stored with key \"%s\" (id %s)\n", subj, label, idhex);
	rc = ADMIN_EXIT_OK;
out:
	EVP_PKEY_free(tokpk);
	X509_free(cert);
	free(id);
	free(label);
	tb_p11_manage_free(p);
	return rc;
}
