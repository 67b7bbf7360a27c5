/*
 * Certificate fields as text for verdicts, logs and the CLI: names in RFC
 * 2253 form with UTF-8 kept, serial numbers in hex, times as UTC. Every
 * output is bounded by the caller's buffer and cut at a UTF-8 character.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include "x509_text.h"

void
tb_x509_name_text(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	/* RFC 2253 form, but letters outside ASCII stay UTF-8 rather than \XX. */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &data);
		if (n >= (long)len) {
			n = (long)len - 1;
			while (n > 0 && ((unsigned char)data[n] & 0xC0) == 0x80)
				n--;
		}
		if (n > 0) {
			memcpy(buf, data, (size_t)n);
			buf[n] = '\0';
		}
	}
	BIO_free(b);
}

void
tb_x509_serial_hex(X509 *cert, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", h != NULL ? h : "");
	OPENSSL_free(h);
	BN_free(bn);
}

int
tb_asn1_time_get(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;
	time_t v;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	if ((v = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = v;
	return 0;
}

void
tb_time_human(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "?");
}
