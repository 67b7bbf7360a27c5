/*
 * Certificate fields as bounded text (names, serials, times).
 */
#ifndef TB_X509_TEXT_H
#define TB_X509_TEXT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

/* RFC 2253 text of name with UTF-8 left as UTF-8 (bounded, cut at a character). */
void tb_x509_name_text(const X509_NAME *name, char *buf, size_t len);
/* Upper-case hex of cert's serial number. */
void tb_x509_serial_hex(X509 *cert, char *buf, size_t len);
/* An ASN1_TIME as time_t; -1 when unreadable. */
int tb_asn1_time_get(const ASN1_TIME *t, time_t *out);
/* "YYYY-MM-DD HH:MM:SS UTC", as the messages show dates. */
void tb_time_human(time_t t, char *buf, size_t len);

#endif
