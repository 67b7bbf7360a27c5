/*
 * The trust store: the configured anchors and the untrusted intermediates
 * offered for path building.
 */
#ifndef TB_TRUST_STORE_H
#define TB_TRUST_STORE_H

#include <stddef.h>

#include <openssl/x509.h>

#include "tb_err.h"

/* Anchors and untrusted intermediates; read-only once loaded, shared by threads. */
typedef struct tb_trust tb_trust;

tb_trust *tb_trust_new(void);
void tb_trust_free(tb_trust *t);
/* Adds every certificate of path (a PEM or DER file, or a directory of them). */
int tb_trust_load_anchors(tb_trust *t, const char *path, tb_error *err);
int tb_trust_load_untrusted(tb_trust *t, const char *path, tb_error *err);
/* Adds one certificate (a reference is taken). */
int tb_trust_add_anchor(tb_trust *t, X509 *x, tb_error *err);
int tb_trust_add_untrusted(tb_trust *t, X509 *x, tb_error *err);
size_t tb_trust_anchor_count(const tb_trust *t);
/* A new stack (the caller's, sk_X509_pop_free) of every anchor and untrusted certificate. */
int tb_trust_certs(const tb_trust *t, STACK_OF(X509) **out, tb_error *err);

#endif
