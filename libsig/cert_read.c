/*
 * Certificate files, read by one rule (cert_read.h): DER when the input
 * starts with a SEQUENCE tag, PEM otherwise. Every reader in tanba calls
 * these; none may keep its own PEM-or-DER guess.
 */
#include "config.h"

#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cert_read.h"
#include "tb_file.h"

int
tb_certs_read_mem(const unsigned char *buf, size_t len, STACK_OF(X509) **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	STACK_OF(X509) *sk = NULL;
	BIO *b = NULL;
	X509 *x = NULL;
	const unsigned char *p = buf;

	if (len > (size_t)TB_CERT_FILE_MAX) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "certificate file over %d bytes",
		    TB_CERT_FILE_MAX);
		goto out;
	}
	if (len == 0) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "empty: no certificate");
		goto out;
	}
	if ((sk = sk_X509_new_null()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "certificate stack");
		goto out;
	}
	if (buf[0] == 0x30) {
		if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != buf + len) {
			r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "not a DER certificate");
			goto out;
		}
		if (!sk_X509_push(sk, x)) {
			r = tb_error_set(err, TB_ERR_NOMEM, "certificate stack");
			goto out;
		}
		x = NULL;
	} else {
		if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
			r = tb_error_set_ossl(err, TB_ERR_NOMEM, "BIO");
			goto out;
		}
		ERR_clear_error();
		while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
			if (!sk_X509_push(sk, x)) {
				r = tb_error_set(err, TB_ERR_NOMEM, "certificate stack");
				goto out;
			}
			x = NULL;
		}
		/* The loop ends on "no more PEM blocks"; a damaged block is an error. */
		if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
		    sk_X509_num(sk) == 0) {
			r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "no readable certificate");
			goto out;
		}
		ERR_clear_error();
	}
	*out = sk;
	sk = NULL;
	r = 0;
out:
	X509_free(x);
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

int
tb_certs_read_file(const char *path, STACK_OF(X509) **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned char *buf = NULL;
	size_t len = 0;
	tb_error e;

	if ((r = tb_file_read(path, TB_CERT_FILE_MAX, &buf, &len, err)) != 0)
		goto out;
	if ((r = tb_certs_read_mem(buf, len, out, &e)) != 0) {
		tb_error_set(err, r, "%s: %s", path, e.detail);
		goto out;
	}
	r = 0;
out:
	free(buf);
	return r;
}

int
tb_cert_read_file(const char *path, X509 **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	STACK_OF(X509) *sk = NULL;

	if ((r = tb_certs_read_file(path, &sk, err)) != 0)
		goto out;
	if (sk_X509_num(sk) != 1) {
		r = tb_error_set(err, TB_ERR_MALFORMED, "%s: %d certificates, one expected", path,
		    sk_X509_num(sk));
		goto out;
	}
	*out = sk_X509_shift(sk);
	r = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	return r;
}
