/*
 * Certificate fields for protocol answers. Text comes from OpenSSL's own
 * printers (never hand-decoded DER) and is kept to one line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "certinfo.h"
#include "tb_clock.h"

static int
asn1_time_to_t(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
tb_cert_times(X509 *cert, time_t *not_before, time_t *not_after)
{
	if (asn1_time_to_t(X509_get0_notBefore(cert), not_before) != 0 ||
	    asn1_time_to_t(X509_get0_notAfter(cert), not_after) != 0)
		return -1;
	return 0;
}

long
tb_cert_days_left(time_t not_after, time_t now)
{
	long long d = (long long)not_after - (long long)now;

	/* Round towards minus infinity: one second past is day -1. */
	return (long)(d >= 0 ? d / 86400 : -((-d + 86399) / 86400));
}

char *
tb_cert_name_text(const X509_NAME *name)
{
	/* RFC 2253 order and escaping, but UTF-8 kept as is for Cyrillic names. */
	unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	json_t *j = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, flags) >= 0 && (n = BIO_get_mem_data(b, &p)) >= 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	/* A name that is not valid UTF-8 (T61String...) is shown escaped instead. */
	if (out != NULL && (j = json_string(out)) == NULL && flags != XN_FLAG_RFC2253) {
		free(out);
		out = NULL;
		if ((b = BIO_new(BIO_s_mem())) != NULL &&
		    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
		    (n = BIO_get_mem_data(b, &p)) >= 0 && (out = malloc((size_t)n + 1)) != NULL) {
			memcpy(out, p, (size_t)n);
			out[n] = '\0';
		}
		BIO_free(b);
	}
	json_decref(j);
	return out;
}

char *
tb_cert_serial_hex(X509 *cert)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex, *out = NULL, *q;

	if (bn == NULL)
		return NULL;
	if ((hex = BN_bn2hex(bn)) != NULL && (out = strdup(hex)) != NULL)
		for (q = out; *q != '\0'; q++)
			if (*q >= 'A' && *q <= 'F')
				*q = (char)(*q - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
	return out;
}

int
tb_certinfo_add(json_t *obj, X509 *cert, time_t now, int full)
{
	char *subject = NULL, *issuer = NULL, *serial = NULL;
	char nb_text[32], na_text[32];
	time_t nb, na;
	int r = -1;

	if (tb_cert_times(cert, &nb, &na) != 0 ||
	    (subject = tb_cert_name_text(X509_get_subject_name(cert))) == NULL ||
	    (serial = tb_cert_serial_hex(cert)) == NULL)
		goto out;
	tb_clock_format(nb, nb_text, sizeof(nb_text));
	tb_clock_format(na, na_text, sizeof(na_text));
	json_object_set_new(obj, "subject", json_string(subject));
	if (full) {
		if ((issuer = tb_cert_name_text(X509_get_issuer_name(cert))) == NULL)
			goto out;
		json_object_set_new(obj, "issuer", json_string(issuer));
	}
	json_object_set_new(obj, "serial", json_string(serial));
	if (full)
		json_object_set_new(obj, "not_before", json_string(nb_text));
	json_object_set_new(obj, "not_after", json_string(na_text));
	if (full)
		json_object_set_new(obj, "days_left",
		    json_integer(tb_cert_days_left(na, now)));
	r = 0;
out:
	free(subject);
	free(issuer);
	free(serial);
	return r;
}

int
tb_ks_cert_check(const char *name, X509 *cert, time_t now, tb_error *err)
{
	time_t nb, na;
	char when[32];

	if (cert == NULL)
		return tb_error_set(err, TB_ERR_NO_CERT, "key %s has no certificate", name);
	if (tb_cert_times(cert, &nb, &na) != 0)
		return tb_error_set(err, TB_ERR_MALFORMED,
		    "certificate of key %s has unreadable validity dates", name);
	if (now > na) {
		tb_clock_format(na, when, sizeof(when));
		return tb_error_set(err, TB_ERR_CERT_EXPIRED,
		    "certificate of key %s expired on %s", name, when);
	}
	if (now < nb) {
		tb_clock_format(nb, when, sizeof(when));
		return tb_error_set(err, TB_ERR_CERT_NOT_YET_VALID,
		    "certificate of key %s is not valid before %s", name, when);
	}
	return 0;
}
