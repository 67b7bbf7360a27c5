/*
 * The one reader of certificate files in tanba: every file that holds
 * certificates (trust anchors, chains, [key] and [issuer] certificates,
 * tanba-admin's import, the test PKI's own files) is read by the rule
 * here, so a file one part accepts is never refused by another.
 */
#ifndef TB_CERT_READ_H
#define TB_CERT_READ_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"

/* Largest certificate file read (a bundle of every national root fits). */
#define TB_CERT_FILE_MAX (64 * 1024 * 1024)

/*
 * The rule: input starting with a SEQUENCE tag (0x30) is one DER
 * certificate, with no byte after it; anything else is PEM, one or more
 * CERTIFICATE blocks (text and other blocks between them are skipped),
 * and a damaged block is an error. Empty input, input with no certificate,
 * and input over TB_CERT_FILE_MAX are TB_ERR_MALFORMED (TB_ERR_TOO_LARGE
 * for the size). *out is a new stack the caller frees with
 * sk_X509_pop_free.
 */
int tb_certs_read_mem(const unsigned char *buf, size_t len, STACK_OF(X509) **out,
    tb_error *err);
/* As tb_certs_read_mem, from a file; errors name the file. */
int tb_certs_read_file(const char *path, STACK_OF(X509) **out, tb_error *err);
/*
 * The one certificate of a file (same rule); a file with several is
 * TB_ERR_MALFORMED, since taking the first would be a guess. *out is new.
 */
int tb_cert_read_file(const char *path, X509 **out, tb_error *err);

#endif
