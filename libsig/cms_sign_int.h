/*
 * What cms_sign.c and cms_cosign.c share inside libsig: the checks and
 * the pieces of a SignerInfo built around signed attributes made
 * elsewhere. Not part of libsig's interface.
 */
#ifndef TB_CMS_SIGN_INT_H
#define TB_CMS_SIGN_INT_H

#include <openssl/cms.h>

#include "cms_sign.h"

/* RSA (PKCS#1 v1.5) and ECDSA only: the forms the token layer produces. */
int tb_cms_key_check(X509 *cert, tb_error *err);
/* 1 when the CMS carries cert already. */
int tb_cms_has_cert(CMS_ContentInfo *cms, X509 *cert);
/* Adds the certificates of chain the CMS does not carry yet (a co-signer's chain). */
int tb_cms_add_chain_new(CMS_ContentInfo *cms, STACK_OF(X509) *chain, tb_error *err);
/*
 * Hashes the DER of signed attributes with md and has the signer sign the
 * hash; sig has TB_SIG_MAX bytes, *sig_len is set to the value's length.
 */
int tb_cms_sign_attrs_der(const unsigned char *attrs, size_t attrs_len, const EVP_MD *md,
    int md_nid, const tb_signer *signer, unsigned char *sig, size_t *sig_len, tb_error *err);
/*
 * The attributes another process made, taken into si: exactly one
 * messageDigest equal to md, and one contentType of id-data when
 * content_type (none when 0: a counter-signature), or the CMS would say
 * something else than the front means.
 */
int tb_cms_attrs_take(CMS_SignerInfo *si, const unsigned char *der, size_t der_len,
    const unsigned char *md, size_t md_len, int content_type, tb_error *err);

/*
 * cms_der with the one signer of add_der (a SignedData the GOST writer
 * made over the same content) added: the union of the digest algorithms,
 * certificates and SignerInfos in DER, everything else cms_der's. *der is
 * new (OPENSSL_free).
 */
int tb_cms_signed_data_join(const unsigned char *cms_der, size_t cms_len,
    const unsigned char *add_der, size_t add_len, unsigned char **der, size_t *der_len,
    tb_error *err);

#endif
