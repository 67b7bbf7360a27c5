/*
 * tanba-admin key import: an NCA key container (PKCS#12 and its password)
 * onto the token. The RSA or EC key becomes a sensitive, never-extractable
 * signing key; its certificate and chain go beside it under the same
 * CKA_ID. The container's bytes and the password are wiped as soon as the
 * container is open; a wrong password is reported once and never retried.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "admin.h"
#include "p12_read.h"
#include "tb_clock.h"
#include "tb_file.h"

#define KEY_ID_BYTES 16
#define P12_MAX_BYTES (1024 * 1024)	/* NCA containers are a few kilobytes */

static void
import_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin key import --p12 FILE [--password-file F] --token URI "
	    "--label L\n"
	    "                [--pin-file F] [--allow-expired] [--at RFC3339-TIME]\n");
}

/*
 * Opens the container: the file read, the password taken from its file or
 * the terminal, both wiped before this returns.
 */
static int
open_container(const char *path, const char *pw_file, tb_p12 **out, tb_error *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	char pw[ADMIN_PIN_MAX];
	int r;

	(void)mlock(pw, sizeof(pw));
	if ((r = tb_file_read(path, P12_MAX_BYTES, &der, &der_len, err)) != 0)
		goto out;
	if ((r = admin_pin_get(pw_file, "container password", 0, pw, sizeof(pw), err)) != 0)
		goto out;
	if ((r = tb_p12_read(der, der_len, pw, out, err)) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	(void)munlock(pw, sizeof(pw));
	if (der != NULL) {
		OPENSSL_cleanse(der, der_len);
		free(der);
	}
	return r;
}

/* RFC 5280 4.1.2.5 at the one clock: 0, or why the certificate cannot be used now. */
static int
cert_current(X509 *cert, tb_error *err)
{
	time_t now = tb_clock_now();
	char t[32];

	if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
		tb_clock_format(now, t, sizeof(t));
		return tb_error_set(err, TB_ERR_CERT_NOT_YET_VALID,
		    "the certificate is not valid yet at %s", t);
	}
	if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
		tb_clock_format(now, t, sizeof(t));
		return tb_error_set(err, TB_ERR_CERT_EXPIRED,
		    "the certificate expired before %s", t);
	}
	return 0;
}

int
admin_cmd_key_import(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "p12", required_argument, NULL, 'P' },
		{ "password-file", required_argument, NULL, 'w' },
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "allow-expired", no_argument, NULL, 'x' },
		{ "at", required_argument, NULL, 'a' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c, allow_expired = 0, i;
	const char *p12_path = NULL, *pw_file = NULL, *token = NULL, *label = NULL;
	const char *pin_file = NULL, *at = NULL;
	tb_p11_manage *p = NULL;
	tb_p12 *box = NULL;
	EVP_PKEY *key = NULL;
	tb_p11_object o;
	unsigned char id[KEY_ID_BYTES];
	char oid[80], idhex[2 * KEY_ID_BYTES + 1], *uri = NULL;
	time_t t;
	tb_error err;

	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'P': p12_path = optarg; break;
		case 'w': pw_file = optarg; break;
		case 't': token = optarg; break;
		case 'l': label = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'x': allow_expired = 1; break;
		case 'a': at = optarg; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': import_usage(stdout); return ADMIN_EXIT_OK;
		default: import_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind != argc || p12_path == NULL || token == NULL || label == NULL) {
		import_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	if (*label == '\0') {
		fprintf(stderr, "tanba-admin: the label must not be empty\n");
		return ADMIN_EXIT_ERROR;
	}
	/* --at: the one clock at another instant, to check a container against a date. */
	if (at != NULL) {
		if (tb_clock_parse(at, &t) != 0) {
			fprintf(stderr, "tanba-admin: --at: expected an RFC 3339 time such as "
			    "2021-06-01T00:00:00Z\n");
			return ADMIN_EXIT_ERROR;
		}
		tb_clock_set(t);
	}
	if (open_container(p12_path, pw_file, &box, &err) != 0) {
		if (err.code == TB_ERR_PIN_INCORRECT)
			fprintf(stderr, "tanba-admin: %s: wrong password (not retried; nothing "
			    "imported)\n", p12_path);
		else
			fprintf(stderr, "tanba-admin: %s: %s\n", p12_path, err.detail);
		rc = err.code == TB_ERR_PIN_INCORRECT || err.code == TB_ERR_NO_KEY ||
		    err.code == TB_ERR_NO_CERT ? ADMIN_EXIT_FAIL : ADMIN_EXIT_ERROR;
		goto out;
	}
	tb_p12_key_oid(box, oid, sizeof(oid));
	if (strncmp(oid, "1.2.398.3.10.1.", 15) == 0 || strncmp(oid, "1.2.643.", 8) == 0) {
		fprintf(stderr, "tanba-admin: %s holds a GOST key (%s): no token tanba drives "
		    "can hold it (SoftHSM2 and the token layer have no GOST 34.10 mechanism).\n"
		    "Keep the container as a file key instead: see \"File keys\" in "
		    "docs/OPERATIONS.md. Nothing imported.\n", p12_path, oid);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if ((key = EVP_PKCS82PKEY(box->p8)) == NULL ||
	    (!EVP_PKEY_is_a(key, "RSA") && !EVP_PKEY_is_a(key, "EC"))) {
		fprintf(stderr, "tanba-admin: %s holds a key of algorithm %s, which a token "
		    "cannot hold here (RSA or EC only); nothing imported\n", p12_path,
		    *oid != '\0' ? oid : "unknown");
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if (X509_check_private_key(box->cert, key) != 1) {
		ERR_clear_error();
		fprintf(stderr, "tanba-admin: %s: the private key does not match its "
		    "certificate; nothing imported\n", p12_path);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if (cert_current(box->cert, &err) != 0) {
		if (!allow_expired) {
			fprintf(stderr, "tanba-admin: %s: %s; nothing imported (--allow-expired "
			    "imports it anyway: tanbad will still refuse to sign with it)\n",
			    p12_path, err.detail);
			rc = ADMIN_EXIT_FAIL;
			goto out;
		}
		fprintf(stderr, "tanba-admin: warning: %s\n", err.detail);
	}
	if (admin_p11_login(token, pin_file, &p, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if ((rc = admin_key_new_id(p, label, id, sizeof(id))) != ADMIN_EXIT_OK)
		goto out;
	rc = ADMIN_EXIT_ERROR;
	if (tb_p11_manage_import_key(p, key, label, id, sizeof(id), &o, &err) != 0) {
		fprintf(stderr, "tanba-admin: the token refused the key: %s\n", err.detail);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if (tb_p11_manage_store_cert(p, box->cert, id, sizeof(id), label, &err) != 0) {
		fprintf(stderr, "tanba-admin: key stored, but its certificate was not: %s\n",
		    err.detail);
		(void)tb_p11_manage_destroy(p, o, NULL);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < sk_X509_num(box->chain); i++)
		if (tb_p11_manage_store_cert(p, sk_X509_value(box->chain, i), id, sizeof(id),
		    label, &err) != 0)
			fprintf(stderr, "tanba-admin: warning: chain certificate %d not stored: %s\n",
			    i, err.detail);
	if (tb_p11_manage_uri(p, o, &uri, &err) != 0) {
		fprintf(stderr, "tanba-admin: key imported, but %s\n", err.detail);
		goto out;
	}
	admin_hex(idhex, sizeof(idhex), id, sizeof(id));
	fprintf(stderr, "tanba-admin: imported key \"%s\" (id %s) with its certificate and "
	    "%d chain certificate%s\n", label, idhex, sk_X509_num(box->chain),
	    sk_X509_num(box->chain) == 1 ? "" : "s");
	printf("%s\n", uri);
	rc = ADMIN_EXIT_OK;
out:
	free(uri);
	EVP_PKEY_free(key);
	tb_p12_free(box);
	tb_p11_manage_free(p);
	return rc;
}
