/*
 * The trust store's inside, for path building (x509_path.c) only: callers
 * elsewhere use the functions of trust_store.h.
 */
#ifndef TB_TRUST_INT_H
#define TB_TRUST_INT_H

#include <openssl/x509.h>

struct tb_trust {
	STACK_OF(X509) *anchors;
	STACK_OF(X509) *untrusted;
};

#endif
