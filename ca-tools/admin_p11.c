/*
 * The PKCS#11 calls tanba-admin needs beyond the token layer (slot
 * enumeration, token setup, object search, creation and destruction), all
 * through the token layer's one call wrapper (TB_P11_CALL). It never keeps
 * a PIN: the caller's buffer is used for one C_Login and nothing else.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>

#include "admin.h"
#include "call.h"
#include "tb_p11.h"

#define ADMIN_MAX_CERTS 16

int
admin_p11_open(const char *module, admin_p11 **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	admin_p11 *p = NULL;
	char *path = NULL;
	CK_C_INITIALIZE_ARGS args;

	if ((p = calloc(1, sizeof(*p))) == NULL || (p->module = strdup(module)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "module");
		goto out;
	}
	p->h = CK_INVALID_HANDLE;
	if ((r = tb_p11_module_path(module, &path, err)) != 0)
		goto out;
	if ((p->f = p11_kit_module_load(path, 0)) == NULL) {
		r = tb_error_set(err, TB_ERR_MODULE, "%s: %s", path,
		    p11_kit_message() ? p11_kit_message() : "cannot load");
		goto out;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if ((r = TB_P11_CALL(err, p->f, C_Initialize, &args)) != 0) {
		p11_kit_module_release(p->f);
		p->f = NULL;
		goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	free(path);
	admin_p11_free(p);
	return r;
}

int
admin_p11_login(const char *token_uri, const char *pin_file, admin_p11 **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	char pin[ADMIN_PIN_MAX], *module = NULL;
	admin_p11 *p = NULL;

	memset(pin, 0, sizeof(pin));
	if ((module = admin_module_choose()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "module");
		goto out;
	}
	if ((r = admin_p11_open(module, &p, err)) != 0)
		goto out;
	if ((r = admin_pin_get(pin_file, "user PIN", 0, pin, sizeof(pin), err)) != 0)
		goto out;
	if ((r = admin_p11_use_token(p, token_uri, pin, err)) != 0)
		goto out;
	*out = p;
	p = NULL;
	r = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	free(module);
	admin_p11_free(p);
	return r;
}

void
admin_p11_free(admin_p11 *p)
{
	if (p == NULL)
		return;
	if (p->f != NULL) {
		if (p->h != CK_INVALID_HANDLE)
			(void)TB_P11_CALL(NULL, p->f, C_CloseSession, p->h);
		(void)TB_P11_CALL(NULL, p->f, C_Finalize, NULL);
		p11_kit_module_release(p->f);
	}
	free(p->module);
	free(p);
}

int
admin_p11_slots(admin_p11 *p, int tokens_only, CK_SLOT_ID **slots, CK_ULONG *n,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_ID *s = NULL;
	CK_ULONG cnt = 0;

	if ((r = TB_P11_CALL(err, p->f, C_GetSlotList, tokens_only ? CK_TRUE : CK_FALSE,
	    NULL, &cnt)) != 0)
		goto out;
	if ((s = calloc(cnt + 1, sizeof(*s))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "slots");
		goto out;
	}
	if ((r = TB_P11_CALL(err, p->f, C_GetSlotList, tokens_only ? CK_TRUE : CK_FALSE,
	    s, &cnt)) != 0)
		goto out;
	*slots = s;
	*n = cnt;
	s = NULL;
	r = 0;
out:
	free(s);
	return r;
}

void
admin_p11_text(char *dst, size_t dst_len, const CK_UTF8CHAR *src, size_t src_len)
{
	size_t n = src_len < dst_len - 1 ? src_len : dst_len - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

void
admin_hex(char *dst, size_t dst_len, const unsigned char *v, size_t len)
{
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < dst_len; i++)
		snprintf(dst + 2 * i, 3, "%02x", v[i]);
}

int
admin_p11_use_token(admin_p11 *p, const char *uri_text, const char *pin, tb_error *err)
{
	int r = TB_ERR_INTERNAL, ur;
	P11KitUri *uri = NULL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti;
	unsigned matches = 0;
	char label[33];

	if ((uri = p11_kit_uri_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "URI");
		goto out;
	}
	if (uri_text != NULL && (ur = p11_kit_uri_parse(uri_text,
	    P11_KIT_URI_FOR_OBJECT_ON_TOKEN, uri)) != P11_KIT_URI_OK) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "URI '%s': %s", uri_text,
		    p11_kit_uri_message(ur));
		goto out;
	}
	if ((r = admin_p11_slots(p, 1, &slots, &n, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (TB_P11_CALL(NULL, p->f, C_GetTokenInfo, slots[i], &ti) != 0 ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0 ||
		    !p11_kit_uri_match_token_info(uri, &ti))
			continue;
		if (matches++ == 0) {
			p->slot = slots[i];
			p->tinfo = ti;
		}
	}
	if (matches != 1) {
		r = tb_error_set(err, TB_ERR_NO_TOKEN, "%s: %s token matches '%s'%s",
		    p->module, matches == 0 ? "no" : "more than one",
		    uri_text != NULL ? uri_text : "pkcs11:",
		    matches == 0 ? " (see tanba-admin token list)" : "; name it with token=...");
		goto out;
	}
	p->have_token = 1;
	if ((r = TB_P11_CALL(err, p->f, C_OpenSession, p->slot,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &p->h)) != 0)
		goto out;
	if (pin != NULL) {
		admin_p11_text(label, sizeof(label), p->tinfo.label, sizeof(p->tinfo.label));
		/* Never spend the token's last try: a wrong file would lock it. */
		if ((p->tinfo.flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY)) != 0) {
			r = tb_error_set(err, TB_ERR_PIN_LOCKED,
			    "token %s: user PIN is %s; no login attempted", label,
			    (p->tinfo.flags & CKF_USER_PIN_LOCKED) ? "locked" : "at its final try");
			goto out;
		}
		if ((r = TB_P11_CALL(err, p->f, C_Login, p->h, CKU_USER,
		    (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin))) != 0) {
			r = tb_error_set(err, r, "token %s: login refused (%s)", label,
			    tb_err_str(r));
			goto out;
		}
	}
	r = 0;
out:
	free(slots);
	p11_kit_uri_free(uri);
	return r;
}

int
admin_p11_find(admin_p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG tn, CK_OBJECT_HANDLE *objs,
    CK_ULONG max, CK_ULONG *n, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_ULONG got = 0;

	if ((r = TB_P11_CALL(err, p->f, C_FindObjectsInit, p->h, tmpl, tn)) != 0)
		goto out;
	r = TB_P11_CALL(err, p->f, C_FindObjects, p->h, objs, max, &got);
	(void)TB_P11_CALL(NULL, p->f, C_FindObjectsFinal, p->h);
	if (r != 0)
		goto out;
	*n = got;
	r = 0;
out:
	return r;
}

int
admin_p11_attr(admin_p11 *p, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type,
    unsigned char **val, size_t *len, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_RV rv;
	unsigned char *v = NULL;

	rv = p->f->C_GetAttributeValue(p->h, o, &a, 1);
	if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "attribute 0x%lx not available",
		    (unsigned long)type);
		goto out;
	}
	if ((r = tb_p11_call_result("C_GetAttributeValue", rv, err)) != 0)
		goto out;
	if ((v = malloc(a.ulValueLen + 1)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "attribute");
		goto out;
	}
	a.pValue = v;
	if ((r = TB_P11_CALL(err, p->f, C_GetAttributeValue, p->h, o, &a, 1)) != 0)
		goto out;
	v[a.ulValueLen] = '\0';
	*val = v;
	*len = a.ulValueLen;
	v = NULL;
	r = 0;
out:
	free(v);
	return r;
}

int
admin_p11_bool(admin_p11 *p, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, int dflt)
{
	unsigned char *v = NULL;
	size_t len = 0;
	int res = dflt;

	if (admin_p11_attr(p, o, type, &v, &len, NULL) == 0 && len == sizeof(CK_BBOOL))
		res = v[0] != CK_FALSE;
	free(v);
	return res;
}

char *
admin_p11_label(admin_p11 *p, CK_OBJECT_HANDLE o)
{
	unsigned char *v = NULL;
	size_t len = 0;

	if (admin_p11_attr(p, o, CKA_LABEL, &v, &len, NULL) != 0)
		return strdup("");
	return (char *)v;
}

int
admin_p11_find_keys(admin_p11 *p, const char *key_uri, CK_OBJECT_HANDLE *objs,
    CK_ULONG max, CK_ULONG *n, tb_error *err)
{
	int r = TB_ERR_INTERNAL, ur;
	P11KitUri *uri = NULL;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[3], *a;
	CK_ULONG tn = 0, got = 0;

	if ((uri = p11_kit_uri_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "URI");
		goto out;
	}
	if ((ur = p11_kit_uri_parse(key_uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, uri)) !=
	    P11_KIT_URI_OK) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "key URI '%s': %s", key_uri,
		    p11_kit_uri_message(ur));
		goto out;
	}
	if ((a = p11_kit_uri_get_attribute(uri, CKA_CLASS)) != NULL &&
	    (a->ulValueLen != sizeof(cls) || *(CK_OBJECT_CLASS *)a->pValue != cls)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "key URI '%s' names something other than a private key", key_uri);
		goto out;
	}
	tmpl[tn++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	if ((a = p11_kit_uri_get_attribute(uri, CKA_ID)) != NULL)
		tmpl[tn++] = *a;
	if ((a = p11_kit_uri_get_attribute(uri, CKA_LABEL)) != NULL)
		tmpl[tn++] = *a;
	if (tn == 1) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "key URI '%s' names no key (give id=... or object=...)", key_uri);
		goto out;
	}
	if ((r = admin_p11_find(p, tmpl, tn, objs, max, &got, err)) != 0)
		goto out;
	if (got == 0) {
		r = tb_error_set(err, TB_ERR_NO_KEY, "no private key matches '%s'", key_uri);
		goto out;
	}
	*n = got;
	r = 0;
out:
	p11_kit_uri_free(uri);
	return r;
}

int
admin_p11_one_key(admin_p11 *p, const char *key_uri, CK_OBJECT_HANDLE *out, tb_error *err)
{
	CK_OBJECT_HANDLE keys[2];
	CK_ULONG n = 0;
	int r;

	if ((r = admin_p11_find_keys(p, key_uri, keys, 2, &n, err)) != 0)
		return r;
	/* Acting on the wrong one of two keys is worse than refusing. */
	if (n != 1)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "'%s' names more than one key; name it by id", key_uri);
	*out = keys[0];
	return 0;
}

/* An EVP_PKEY from RSA modulus and exponent. */
static int
pkey_rsa(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen,
    EVP_PKEY **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn = NULL, *be = NULL;

	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "RSA public key from the token");
		goto out;
	}
	r = 0;
out:
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* An EVP_PKEY from CKA_EC_PARAMS (a named curve OID) and CKA_EC_POINT. */
static int
pkey_ec(const unsigned char *params_der, size_t plen, const unsigned char *point_der,
    size_t qlen, EVP_PKEY **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	const unsigned char *pp = params_der, *qp = point_der;
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *q = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	const unsigned char *pub;
	size_t pub_len;
	int nid;

	if ((oid = d2i_ASN1_OBJECT(NULL, &pp, (long)plen)) == NULL ||
	    (nid = OBJ_obj2nid(oid)) == NID_undef) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "EC key on an unnamed curve");
		goto out;
	}
	/* PKCS#11 2.40: CKA_EC_POINT is the DER OCTET STRING; some tokens give it raw. */
	if ((q = d2i_ASN1_OCTET_STRING(NULL, &qp, (long)qlen)) != NULL &&
	    qp == point_der + qlen) {
		pub = ASN1_STRING_get0_data(q);
		pub_len = (size_t)ASN1_STRING_length(q);
	} else {
		pub = point_der;
		pub_len = qlen;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    OBJ_nid2sn(nid), 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "EC public key from the token");
		goto out;
	}
	r = 0;
out:
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(q);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* The public key held in object o's attributes (public key, or RSA private key). */
static int
pubkey_from_object(admin_p11 *p, CK_OBJECT_HANDLE o, EVP_PKEY **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned char *kt = NULL, *a = NULL, *b = NULL;
	size_t ktl = 0, al = 0, bl = 0;
	CK_KEY_TYPE type;

	if ((r = admin_p11_attr(p, o, CKA_KEY_TYPE, &kt, &ktl, err)) != 0)
		goto out;
	if (ktl != sizeof(type)) {
		r = tb_error_set(err, TB_ERR_TOKEN, "bad CKA_KEY_TYPE");
		goto out;
	}
	memcpy(&type, kt, sizeof(type));
	if (type == CKK_RSA) {
		if ((r = admin_p11_attr(p, o, CKA_MODULUS, &a, &al, err)) != 0 ||
		    (r = admin_p11_attr(p, o, CKA_PUBLIC_EXPONENT, &b, &bl, err)) != 0)
			goto out;
		r = pkey_rsa(a, al, b, bl, out, err);
	} else if (type == CKK_EC) {
		if ((r = admin_p11_attr(p, o, CKA_EC_PARAMS, &a, &al, err)) != 0 ||
		    (r = admin_p11_attr(p, o, CKA_EC_POINT, &b, &bl, err)) != 0)
			goto out;
		r = pkey_ec(a, al, b, bl, out, err);
	} else
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "key type 0x%lx is not RSA or EC",
		    (unsigned long)type);
out:
	free(kt);
	free(a);
	free(b);
	return r;
}

int
admin_p11_pubkey(admin_p11 *p, CK_OBJECT_HANDLE o, EVP_PKEY **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned char *id = NULL;
	size_t id_len = 0, nc = 0, i;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[2];
	CK_OBJECT_HANDLE pub[2];
	CK_ULONG n = 0;
	X509 *certs[ADMIN_MAX_CERTS];
	EVP_PKEY *pk = NULL;

	if ((r = admin_p11_attr(p, o, CKA_ID, &id, &id_len, err)) != 0)
		goto out;
	tmpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[1] = (CK_ATTRIBUTE){ CKA_ID, id, id_len };
	if (id_len > 0 && (r = admin_p11_find(p, tmpl, 2, pub, 2, &n, err)) != 0)
		goto out;
	if (n == 1 && pubkey_from_object(p, pub[0], out, NULL) == 0) {
		r = 0;
		goto out;
	}
	if (pubkey_from_object(p, o, out, NULL) == 0) {
		r = 0;
		goto out;
	}
	if (id_len > 0 && (r = admin_p11_certs(p, id, id_len, certs, ADMIN_MAX_CERTS, &nc,
	    err)) != 0)
		goto out;
	for (i = 0; i < nc; i++) {
		if (pk == NULL && (pk = X509_get_pubkey(certs[i])) != NULL)
			*out = pk;
		X509_free(certs[i]);
	}
	r = pk != NULL ? 0 : tb_error_set(err, TB_ERR_NO_KEY,
	    "the token holds no public key for this private key (no public key object, "
	    "no certificate with its CKA_ID)");
out:
	free(id);
	return r;
}

int
admin_p11_certs(admin_p11 *p, const unsigned char *id, size_t id_len, X509 **certs,
    size_t max, size_t *n, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE tmpl[3];
	CK_OBJECT_HANDLE objs[ADMIN_MAX_CERTS];
	CK_ULONG got = 0, i;
	unsigned char *v = NULL;
	const unsigned char *pv;
	size_t len, cnt = 0;
	X509 *x;

	tmpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[1] = (CK_ATTRIBUTE){ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) };
	tmpl[2] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	if ((r = admin_p11_find(p, tmpl, 3, objs,
	    max < ADMIN_MAX_CERTS ? max : ADMIN_MAX_CERTS, &got, err)) != 0)
		goto out;
	for (i = 0; i < got; i++) {
		if (admin_p11_attr(p, objs[i], CKA_VALUE, &v, &len, NULL) != 0)
			continue;
		pv = v;
		if ((x = d2i_X509(NULL, &pv, (long)len)) != NULL)
			certs[cnt++] = x;
		free(v);
		v = NULL;
	}
	*n = cnt;
	r = 0;
out:
	return r;
}

int
admin_p11_uri(admin_p11 *p, CK_OBJECT_HANDLE o, char **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	P11KitUri *uri = NULL;
	unsigned char *id = NULL, *label = NULL;
	size_t id_len = 0, label_len = 0;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE a;
	char *s = NULL;

	if ((uri = p11_kit_uri_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "URI");
		goto out;
	}
	memcpy(p11_kit_uri_get_token_info(uri), &p->tinfo, sizeof(p->tinfo));
	if (admin_p11_attr(p, o, CKA_ID, &id, &id_len, NULL) == 0 && id_len > 0) {
		a = (CK_ATTRIBUTE){ CKA_ID, id, id_len };
		p11_kit_uri_set_attribute(uri, &a);
	}
	if (admin_p11_attr(p, o, CKA_LABEL, &label, &label_len, NULL) == 0 && label_len > 0) {
		a = (CK_ATTRIBUTE){ CKA_LABEL, label, label_len };
		p11_kit_uri_set_attribute(uri, &a);
	}
	a = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	p11_kit_uri_set_attribute(uri, &a);
	if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &s) != P11_KIT_URI_OK) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "cannot format the key's URI");
		goto out;
	}
	*out = s;
	r = 0;
out:
	free(id);
	free(label);
	p11_kit_uri_free(uri);
	return r;
}

int
admin_p11_slot_info(admin_p11 *p, CK_SLOT_ID slot, CK_SLOT_INFO *si, CK_TOKEN_INFO *ti,
    int *has_token, CK_ULONG *nmech, tb_error *err)
{
	int r = TB_ERR_INTERNAL;

	*has_token = 0;
	*nmech = 0;
	if ((r = TB_P11_CALL(err, p->f, C_GetSlotInfo, slot, si)) != 0)
		goto out;
	if ((si->flags & CKF_TOKEN_PRESENT) != 0 &&
	    TB_P11_CALL(NULL, p->f, C_GetTokenInfo, slot, ti) == 0) {
		*has_token = 1;
		if (TB_P11_CALL(NULL, p->f, C_GetMechanismList, slot, NULL, nmech) != 0)
			*nmech = 0;
	}
	r = 0;
out:
	return r;
}

/* The slot now holding the freshly initialised token labelled label32. */
static int
find_new_token(admin_p11 *p, CK_SLOT_ID old, const CK_UTF8CHAR *label32, CK_SLOT_ID *out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti;
	unsigned matches = 0;

	/* Some modules (SoftHSM2) move a token to a new slot id when it is initialised. */
	if ((r = admin_p11_slots(p, 1, &slots, &n, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (TB_P11_CALL(NULL, p->f, C_GetTokenInfo, slots[i], &ti) != 0 ||
		    (ti.flags & CKF_TOKEN_INITIALIZED) == 0 ||
		    (ti.flags & CKF_USER_PIN_INITIALIZED) != 0 ||
		    memcmp(ti.label, label32, sizeof(ti.label)) != 0)
			continue;
		if (matches++ == 0 || slots[i] == old)
			*out = slots[i];
	}
	if (matches == 0) {
		r = tb_error_set(err, TB_ERR_NO_TOKEN, "the initialised token is not found again");
		goto out;
	}
	r = 0;
out:
	free(slots);
	return r;
}

int
admin_p11_init_token(admin_p11 *p, CK_SLOT_ID slot, const char *so_pin, const char *label,
    const char *user_pin, CK_SLOT_ID *new_slot, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_UTF8CHAR label32[32];
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	int logged_in = 0;
	tb_error e;

	memset(label32, ' ', sizeof(label32));
	memcpy(label32, label, strlen(label));
	if ((r = TB_P11_CALL(&e, p->f, C_InitToken, slot, (CK_UTF8CHAR_PTR)so_pin,
	    (CK_ULONG)strlen(so_pin), label32)) != 0) {
		r = tb_error_set(err, r, "%s%s", e.detail, r == TB_ERR_PIN_INCORRECT ?
		    " (the SO PIN is wrong; the token is unchanged)" : r == TB_ERR_PIN_LOCKED ?
		    " (the SO PIN is locked)" : "");
		goto out;
	}
	if ((r = find_new_token(p, slot, label32, &slot, err)) != 0)
		goto out;
	if ((r = TB_P11_CALL(err, p->f, C_OpenSession, slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h)) != 0)
		goto out;
	if ((r = TB_P11_CALL(err, p->f, C_Login, h, CKU_SO, (CK_UTF8CHAR_PTR)so_pin,
	    (CK_ULONG)strlen(so_pin))) != 0)
		goto out;
	logged_in = 1;
	if ((r = TB_P11_CALL(err, p->f, C_InitPIN, h, (CK_UTF8CHAR_PTR)user_pin,
	    (CK_ULONG)strlen(user_pin))) != 0)
		goto out;
	*new_slot = slot;
	r = 0;
out:
	if (logged_in)
		(void)TB_P11_CALL(NULL, p->f, C_Logout, h);
	if (h != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, p->f, C_CloseSession, h);
	return r;
}

/* DER OIDs of the named curves key generate offers. */
static const unsigned char oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

int
admin_p11_generate(admin_p11 *p, int rsa_bits, int ec_bits, const char *label,
    const unsigned char *id, size_t id_len, CK_OBJECT_HANDLE *priv_out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY, priv_cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = rsa_bits > 0 ? CKK_RSA : CKK_EC;
	CK_ULONG bits = (CK_ULONG)rsa_bits;
	CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM mech = { rsa_bits > 0 ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN,
	    NULL, 0 };
	CK_ATTRIBUTE pub[12], priv[14];
	CK_ULONG npub = 0, npriv = 0;
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	size_t llen = strlen(label);

	pub[npub++] = (CK_ATTRIBUTE){ CKA_CLASS, &pub_cls, sizeof(pub_cls) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_VERIFY, &yes, sizeof(yes) };
	/* A signing key does nothing else: no encryption, no key wrapping. */
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_WRAP, &no, sizeof(no) };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	pub[npub++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, llen };
	if (rsa_bits > 0) {
		pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, e65537, sizeof(e65537) };
	} else if (ec_bits == 256)
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256) };
	else if (ec_bits == 384)
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)oid_p384, sizeof(oid_p384) };
	else {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "EC curve of %d bits", ec_bits);
		goto out;
	}
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_CLASS, &priv_cls, sizeof(priv_cls) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_UNWRAP, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_DERIVE, &no, sizeof(no) };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	priv[npriv++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, llen };
	if ((r = TB_P11_CALL(err, p->f, C_GenerateKeyPair, p->h, &mech, pub, npub, priv, npriv,
	    &hpub, &hpriv)) != 0)
		goto out;
	/* A token that ignored the template must not leave an exportable key behind. */
	if (!admin_p11_bool(p, hpriv, CKA_SENSITIVE, 0) ||
	    admin_p11_bool(p, hpriv, CKA_EXTRACTABLE, 1)) {
		(void)TB_P11_CALL(NULL, p->f, C_DestroyObject, p->h, hpriv);
		(void)TB_P11_CALL(NULL, p->f, C_DestroyObject, p->h, hpub);
		r = tb_error_set(err, TB_ERR_TOKEN,
		    "the token made the key extractable or not sensitive; key destroyed");
		goto out;
	}
	*priv_out = hpriv;
	r = 0;
out:
	return r;
}

int
admin_p11_store_cert(admin_p11 *p, X509 *cert, const unsigned char *id, size_t id_len,
    const char *label, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int der_len, subj_len, iss_len, ser_len;
	CK_ATTRIBUTE t[10];
	CK_OBJECT_HANDLE h;

	der_len = i2d_X509(cert, &der);
	subj_len = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	iss_len = i2d_X509_NAME(X509_get_issuer_name(cert), &iss);
	ser_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &ser);
	if (der_len <= 0 || subj_len <= 0 || iss_len <= 0 || ser_len <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "encoding the certificate");
		goto out;
	}
	t[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	t[1] = (CK_ATTRIBUTE){ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) };
	t[2] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	t[3] = (CK_ATTRIBUTE){ CKA_PRIVATE, &no, sizeof(no) };
	t[4] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	t[5] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	t[6] = (CK_ATTRIBUTE){ CKA_SUBJECT, subj, (CK_ULONG)subj_len };
	t[7] = (CK_ATTRIBUTE){ CKA_ISSUER, iss, (CK_ULONG)iss_len };
	t[8] = (CK_ATTRIBUTE){ CKA_SERIAL_NUMBER, ser, (CK_ULONG)ser_len };
	t[9] = (CK_ATTRIBUTE){ CKA_VALUE, der, (CK_ULONG)der_len };
	if ((r = TB_P11_CALL(err, p->f, C_CreateObject, p->h, t, 10, &h)) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return r;
}

int
admin_p11_destroy(admin_p11 *p, CK_OBJECT_HANDLE o, tb_error *err)
{
	return TB_P11_CALL(err, p->f, C_DestroyObject, p->h, o);
}
