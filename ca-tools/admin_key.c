/*
 * tanba-admin key generate / list / destroy: key pairs made on the token
 * (the private half sensitive and never extractable), the inventory with
 * certificate expiry and tanbad's use of each key, and destruction of a key
 * the config no longer names. No private key material is ever read.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "admin.h"
#include "tb_clock.h"

#define KEY_ID_BYTES 16		/* fresh random CKA_ID: never collides with an old key's */
#define KEYS_MAX 256
#define CERTS_MAX 16

static const struct key_type {
	const char *name;
	int rsa_bits;
	int ec_bits;
} key_types[] = {
	{ "rsa:2048", 2048, 0 },
	{ "rsa:3072", 3072, 0 },
	{ "rsa:4096", 4096, 0 },
	{ "ec:p256", 0, 256 },
	{ "ec:p384", 0, 384 },
};

static void
generate_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin key generate --token URI --label LABEL --type TYPE "
	    "[--pin-file FILE]\n"
	    "  TYPE: rsa:2048 rsa:3072 rsa:4096 ec:p256 ec:p384\n");
}

int
admin_key_new_id(tb_p11_manage *p, const char *label, unsigned char *id, size_t id_len)
{
	tb_p11_object o;
	size_t n = 0;
	tb_error err;

	tb_error_clear(&err);
	/* A second key under one label would make object=LABEL URIs ambiguous. */
	if (tb_p11_manage_find(p, TB_P11_PRIVATE_KEY, NULL, 0, label, &o, 1, &n, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		return ADMIN_EXIT_ERROR;
	}
	if (n != 0) {
		fprintf(stderr, "tanba-admin: the token already holds a private key labelled "
		    "'%s'; choose another label\n", label);
		return ADMIN_EXIT_FAIL;
	}
	if (RAND_bytes(id, (int)id_len) != 1) {
		fprintf(stderr, "tanba-admin: no random bytes for the key id\n");
		return ADMIN_EXIT_ERROR;
	}
	return ADMIN_EXIT_OK;
}

int
admin_cmd_key_generate(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "label", required_argument, NULL, 'l' },
		{ "type", required_argument, NULL, 'T' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c;
	const char *token = NULL, *label = NULL, *type = NULL, *pin_file = NULL;
	const struct key_type *kt = NULL;
	tb_p11_manage *p = NULL;
	unsigned char id[KEY_ID_BYTES];
	tb_p11_object o;
	char *uri = NULL;
	size_t i;
	tb_error err;

	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'l': label = optarg; break;
		case 'T': type = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': generate_usage(stdout); return ADMIN_EXIT_OK;
		default: generate_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind != argc || token == NULL || label == NULL || type == NULL) {
		generate_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strcmp(type, key_types[i].name) == 0)
			kt = &key_types[i];
	if (kt == NULL) {
		fprintf(stderr, "tanba-admin: unknown key type '%s'\n", type);
		generate_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	if (*label == '\0') {
		fprintf(stderr, "tanba-admin: the label must not be empty\n");
		return ADMIN_EXIT_ERROR;
	}
	if (admin_p11_login(token, pin_file, &p, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if ((rc = admin_key_new_id(p, label, id, sizeof(id))) != ADMIN_EXIT_OK)
		goto out;
	rc = ADMIN_EXIT_ERROR;
	if (tb_p11_manage_generate(p, kt->rsa_bits, kt->ec_bits, label, id, sizeof(id), &o,
	    &err) != 0) {
		fprintf(stderr, "tanba-admin: key generation failed: %s\n", err.detail);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if (tb_p11_manage_uri(p, o, &uri, &err) != 0) {
		fprintf(stderr, "tanba-admin: key generated, but %s\n", err.detail);
		goto out;
	}
	printf("%s\n", uri);
	rc = ADMIN_EXIT_OK;
out:
	free(uri);
	tb_p11_manage_free(p);
	return rc;
}

/* Seconds since the epoch of an ASN1_TIME. */
static int
asn1_time_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Whole days from now until t; negative once t has passed. */
static long
days_until(time_t t)
{
	double d = difftime(t, tb_clock_now()) / 86400.0;

	return d >= 0 ? (long)d : -(long)(-d + 0.999999);
}

static char *
serial_text(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	char *s = hex != NULL ? strdup(hex) : NULL;
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0'; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			s[i] = (char)(s[i] - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
	return s;
}

/* One key's inventory line, as JSON (printed as text or JSON later). */
static json_t *
key_entry(tb_p11_manage *p, tb_p11_object o, const tb_config *conf)
{
	json_t *k = json_object(), *warn = json_array(), *cj = json_null();
	unsigned char *id = NULL;
	size_t id_len = 0, nc = 0, i;
	char *label = tb_p11_manage_label(p, o), *uri = NULL, *s;
	char idhex[2 * 64 + 1], desc[64], tbuf[32];
	EVP_PKEY *pk = NULL;
	X509 *certs[CERTS_MAX], *best = NULL;
	const char *cname;
	time_t na, nb;
	int extractable, sensitive;

	if (k == NULL || warn == NULL || label == NULL)
		goto fail;
	if (tb_p11_manage_id(p, o, &id, &id_len, NULL) != 0)
		id_len = 0;
	admin_hex(idhex, sizeof(idhex), id, id_len);
	json_object_set_new(k, "label", json_string(label));
	json_object_set_new(k, "id", json_string(idhex));
	if (tb_p11_manage_uri(p, o, &uri, NULL) == 0)
		json_object_set_new(k, "uri", json_string(uri));
	if (tb_p11_manage_pubkey(p, o, &pk, NULL) == 0) {
		json_object_set_new(k, "type", json_string(EVP_PKEY_get_base_id(pk) ==
		    EVP_PKEY_RSA ? "rsa" : EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC ? "ec" : "other"));
		json_object_set_new(k, "bits", json_integer(EVP_PKEY_get_bits(pk)));
		admin_pkey_describe(pk, desc, sizeof(desc));
		json_object_set_new(k, "algorithm", json_string(desc));
	} else {
		json_object_set_new(k, "type", json_null());
		json_object_set_new(k, "bits", json_null());
		json_object_set_new(k, "algorithm", json_string("unknown"));
		json_array_append_new(warn, json_string("no public key found for it on the token"));
	}
	tb_p11_manage_key_flags(p, o, &sensitive, &extractable);
	json_object_set_new(k, "extractable", json_boolean(extractable));
	json_object_set_new(k, "sensitive", json_boolean(sensitive));
	if (extractable)
		json_array_append_new(warn, json_string(
		    "CKA_EXTRACTABLE is set: the private key can be exported from the token"));
	if (!sensitive)
		json_array_append_new(warn, json_string(
		    "CKA_SENSITIVE is not set: the private key can be read in the clear"));

	if (id_len > 0 && tb_p11_manage_certs(p, id, id_len, certs, CERTS_MAX, &nc, NULL) != 0)
		nc = 0;
	for (i = 0; i < nc; i++) {
		/* Only a certificate for this very key counts; the newest wins. */
		if (pk != NULL && EVP_PKEY_eq(X509_get0_pubkey(certs[i]), pk) != 1)
			continue;
		if (best == NULL || ASN1_TIME_compare(X509_get0_notAfter(certs[i]),
		    X509_get0_notAfter(best)) > 0)
			best = certs[i];
	}
	if (best != NULL && asn1_time_t(X509_get0_notAfter(best), &na) == 0 &&
	    asn1_time_t(X509_get0_notBefore(best), &nb) == 0) {
		cj = json_object();
		json_object_set_new(cj, "subject", json_string((s = admin_name_text(
		    X509_get_subject_name(best))) != NULL ? s : "?"));
		free(s);
		json_object_set_new(cj, "issuer", json_string((s = admin_name_text(
		    X509_get_issuer_name(best))) != NULL ? s : "?"));
		free(s);
		json_object_set_new(cj, "serial", json_string((s = serial_text(best)) != NULL ?
		    s : "?"));
		free(s);
		tb_clock_format(nb, tbuf, sizeof(tbuf));
		json_object_set_new(cj, "not_before", json_string(tbuf));
		tb_clock_format(na, tbuf, sizeof(tbuf));
		json_object_set_new(cj, "not_after", json_string(tbuf));
		json_object_set_new(cj, "days_left", json_integer(days_until(na)));
		if (days_until(na) < 0)
			json_array_append_new(warn, json_string("its certificate has expired"));
	} else
		json_array_append_new(warn, json_string("no certificate for it on the token"));
	json_object_set_new(k, "certificate", cj);
	cname = admin_conf_key_for(conf, p, o);
	json_object_set_new(k, "configured", cname != NULL ? json_string(cname) : json_null());
	json_object_set_new(k, "warnings", warn);
	warn = NULL;
	for (i = 0; i < nc; i++)
		X509_free(certs[i]);
	EVP_PKEY_free(pk);
	free(id);
	free(label);
	free(uri);
	return k;
fail:
	json_decref(k);
	json_decref(warn);
	free(label);
	return NULL;
}

static void
print_entry(json_t *k)
{
	json_t *c = json_object_get(k, "certificate"), *w = json_object_get(k, "warnings"), *v;
	const char *conf = json_string_value(json_object_get(k, "configured"));
	size_t i;

	printf("key \"%s\" id %s %s%s\n", json_string_value(json_object_get(k, "label")),
	    json_string_value(json_object_get(k, "id")),
	    json_string_value(json_object_get(k, "algorithm")),
	    conf != NULL ? "" : "  (not used by tanbad)");
	if (conf != NULL)
		printf("  used by tanbad as key \"%s\"\n", conf);
	printf("  uri: %s\n", json_string_value(json_object_get(k, "uri")));
	if (json_is_object(c)) {
		printf("  certificate: %s\n", json_string_value(json_object_get(c, "subject")));
		printf("  serial %s, notAfter %s, %lld days left\n",
		    json_string_value(json_object_get(c, "serial")),
		    json_string_value(json_object_get(c, "not_after")),
		    (long long)json_integer_value(json_object_get(c, "days_left")));
	}
	json_array_foreach(w, i, v) {
		(void)i;
		printf("  WARNING: %s\n", json_string_value(v));
	}
}

static void
list_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin key list [--token URI] [--pin-file FILE] "
	    "[--config FILE] [--json]\n");
}

int
admin_cmd_key_list(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c, as_json = 0;
	const char *token = NULL, *pin_file = NULL;
	tb_p11_manage *p = NULL;
	tb_config *conf = NULL;
	tb_p11_object objs[KEYS_MAX];
	size_t n = 0, i, wi;
	json_t *keys = NULL, *k, *doc = NULL;
	const char *tl;
	char *text;
	tb_error err;

	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 't': token = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'c': admin_opt_set_config(optarg); break;
		case 'j': as_json = 1; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': list_usage(stdout); return ADMIN_EXIT_OK;
		default: list_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind != argc) {
		list_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	if (admin_conf_load_chosen(&conf, &err) != 0 ||
	    admin_p11_login(token, pin_file, &p, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if (tb_p11_manage_find(p, TB_P11_PRIVATE_KEY, NULL, 0, NULL, objs, KEYS_MAX, &n,
	    &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if ((keys = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((k = key_entry(p, objs[i], conf)) == NULL) {
			fprintf(stderr, "tanba-admin: out of memory\n");
			goto out;
		}
		json_array_append_new(keys, k);
	}
	tl = tb_p11_manage_token_label(p);
	if (as_json) {
		doc = json_pack("{s:s, s:s?, s:O}", "token", tl, "config",
		    conf != NULL ? conf->path : NULL, "keys", keys);
		if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2) |
		    JSON_ENSURE_ASCII)) == NULL)
			goto out;
		printf("%s\n", text);
		free(text);
	} else {
		printf("token \"%s\": %lu private key%s%s%s\n", tl, (unsigned long)n,
		    n == 1 ? "" : "s", conf != NULL ? "; config " : "; no tanbad config read",
		    conf != NULL ? conf->path : "");
		json_array_foreach(keys, wi, k)
			print_entry(k);
	}
	/* Extractable keys are warned about on stderr too, whatever the format. */
	json_array_foreach(keys, wi, k) {
		if (json_is_true(json_object_get(k, "extractable")))
			fprintf(stderr, "tanba-admin: WARNING: key \"%s\" is extractable "
			    "(CKA_EXTRACTABLE=TRUE): replace it with a key generated on the token\n",
			    json_string_value(json_object_get(k, "label")));
	}
	rc = ADMIN_EXIT_OK;
out:
	json_decref(doc);
	json_decref(keys);
	tb_config_unref(conf);
	tb_p11_manage_free(p);
	return rc;
}

static void
destroy_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin key destroy URI [--pin-file FILE] [--config FILE] "
	    "[--yes]\n");
}

int
admin_cmd_key_destroy(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "pin-file", required_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ "yes", no_argument, NULL, 'y' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const enum tb_p11_class classes[] = { TB_P11_CERTIFICATE, TB_P11_PUBLIC_KEY,
	    TB_P11_PRIVATE_KEY };
	int rc = ADMIN_EXIT_ERROR, c, yes = 0;
	const char *pin_file = NULL, *key_uri, *cname;
	tb_p11_manage *p = NULL;
	tb_config *conf = NULL;
	tb_p11_object key, objs[KEYS_MAX];
	unsigned char *id = NULL;
	size_t id_len = 0, ci, m, i;
	char *label = NULL, typed[128], idhex[129];
	unsigned destroyed = 0;
	tb_error err;

	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "hy", lopts, NULL)) != -1) {
		switch (c) {
		case 'p': pin_file = optarg; break;
		case 'c': admin_opt_set_config(optarg); break;
		case 'y': yes = 1; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': destroy_usage(stdout); return ADMIN_EXIT_OK;
		default: destroy_usage(stderr); return ADMIN_EXIT_ERROR;
		}
	}
	if (optind + 1 != argc) {
		destroy_usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	key_uri = argv[optind];
	if (admin_conf_load_chosen(&conf, &err) != 0 ||
	    admin_p11_login(key_uri, pin_file, &p, &err) != 0 ||
	    tb_p11_manage_one_key(p, key_uri, &key, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	label = tb_p11_manage_label(p, key);
	if (label == NULL || tb_p11_manage_id(p, key, &id, &id_len, &err) != 0) {
		fprintf(stderr, "tanba-admin: cannot read the key's id: %s\n", err.detail);
		goto out;
	}
	admin_hex(idhex, sizeof(idhex), id, id_len);
	if ((cname = admin_conf_key_for(conf, p, key)) != NULL) {
		fprintf(stderr, "tanba-admin: refused: key \"%s\" (id %s) is tanbad's key \"%s\" in "
		    "%s; point that key at another URI, run tanba-admin reload, then destroy\n",
		    label, idhex, cname, conf->path);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	if (conf == NULL)
		fprintf(stderr, "tanba-admin: note: no tanbad config at %s; not checked for use\n",
		    ADMIN_DEFAULT_CONFIG);
	if (!yes) {
		printf("This destroys key \"%s\" (id %s), its public key and its certificates.\n",
		    label, idhex);
		fflush(stdout);
		if (admin_tty_line("Type the key's label to confirm: ", typed, sizeof(typed)) != 0) {
			fprintf(stderr, "tanba-admin: no terminal to confirm on: add --yes\n");
			goto out;
		}
		if (strcmp(typed, label) != 0) {
			fprintf(stderr, "tanba-admin: label not confirmed; nothing destroyed\n");
			rc = ADMIN_EXIT_FAIL;
			goto out;
		}
	}
	if (id_len == 0) {
		/* Without an id the key's other objects cannot be told apart: only the key goes. */
		if (tb_p11_manage_destroy(p, key, &err) != 0) {
			fprintf(stderr, "tanba-admin: %s\n", err.detail);
			goto out;
		}
		destroyed = 1;
	} else {
		for (ci = 0; ci < sizeof(classes) / sizeof(classes[0]); ci++) {
			if (tb_p11_manage_find(p, classes[ci], id, id_len, NULL, objs, KEYS_MAX,
			    &m, &err) != 0) {
				fprintf(stderr, "tanba-admin: %s\n", err.detail);
				goto out;
			}
			for (i = 0; i < m; i++) {
				if (tb_p11_manage_destroy(p, objs[i], &err) != 0) {
					fprintf(stderr, "tanba-admin: %s (after %u objects)\n",
					    err.detail, destroyed);
					goto out;
				}
				destroyed++;
			}
		}
	}
	printf("destroyed key \"%s\" (id %s): %u object%s\n", label, idhex, destroyed,
	    destroyed == 1 ? "" : "s");
	rc = ADMIN_EXIT_OK;
out:
	free(id);
	free(label);
	tb_config_unref(conf);
	tb_p11_manage_free(p);
	return rc;
}
