/*
 * Token management for tanba-admin (tb_p11_manage.h): what the tool does
 * on a token beyond signing, through the token layer's one call wrapper and
 * its shared URI, token-matching and login rules (objects.c). It never
 * keeps a PIN: the caller's buffer serves one C_Login and nothing else.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "call.h"
#include "p11_int.h"
#include "tb_p11_manage.h"

struct tb_p11_manage {
	tb_p11_module *mod;
	CK_FUNCTION_LIST *f;		/* mod's */
	CK_SLOT_ID slot;
	CK_TOKEN_INFO tinfo;		/* the selected token, as found */
	char label[33];
	CK_SESSION_HANDLE h;		/* CK_INVALID_HANDLE until a token is selected */
};

static const CK_OBJECT_CLASS class_of[] = {
	[TB_P11_PRIVATE_KEY] = CKO_PRIVATE_KEY,
	[TB_P11_PUBLIC_KEY] = CKO_PUBLIC_KEY,
	[TB_P11_CERTIFICATE] = CKO_CERTIFICATE,
};

/* Fails when no token is selected yet. */
static int
need_token(const tb_p11_manage *m, tb_error *err)
{
	if (m->h == CK_INVALID_HANDLE)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no token selected");
	return 0;
}

int
tb_p11_manage_open(const char *module, tb_p11_manage **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_p11_manage *m = NULL;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "module");
		goto out;
	}
	m->h = CK_INVALID_HANDLE;
	if ((r = tb_p11_module_load(module, &m->mod, err)) != 0)
		goto out;
	m->f = m->mod->funcs;
	*out = m;
	m = NULL;
	r = 0;
out:
	tb_p11_manage_free(m);
	return r;
}

void
tb_p11_manage_free(tb_p11_manage *m)
{
	if (m == NULL)
		return;
	if (m->h != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, m->f, C_CloseSession, m->h);
	tb_p11_module_free(m->mod);
	free(m);
}

/* The token flags an officer acts on, in words; capitals need action. */
static void
flag_words(CK_FLAGS f, char *buf, size_t len)
{
	static const struct {
		CK_FLAGS flag;
		const char *name;
	} names[] = {
		{ CKF_TOKEN_INITIALIZED, "initialized" },
		{ CKF_LOGIN_REQUIRED, "login-required" },
		{ CKF_USER_PIN_INITIALIZED, "user-pin-set" },
		{ CKF_PROTECTED_AUTHENTICATION_PATH, "pin-pad" },
		{ CKF_WRITE_PROTECTED, "write-protected" },
		{ CKF_RNG, "rng" },
		{ CKF_USER_PIN_COUNT_LOW, "USER-PIN-COUNT-LOW" },
		{ CKF_USER_PIN_FINAL_TRY, "USER-PIN-FINAL-TRY" },
		{ CKF_USER_PIN_LOCKED, "USER-PIN-LOCKED" },
		{ CKF_USER_PIN_TO_BE_CHANGED, "user-pin-to-be-changed" },
		{ CKF_SO_PIN_COUNT_LOW, "SO-PIN-COUNT-LOW" },
		{ CKF_SO_PIN_FINAL_TRY, "SO-PIN-FINAL-TRY" },
		{ CKF_SO_PIN_LOCKED, "SO-PIN-LOCKED" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((f & names[i].flag) == 0 || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used > 0 ? "," : "",
		    names[i].name);
	}
}

/* A URI naming the token ti only (new string), or NULL. */
static char *
token_uri_text(const CK_TOKEN_INFO *ti)
{
	P11KitUri *u;
	char *s = NULL;

	if ((u = p11_kit_uri_new()) == NULL)
		return NULL;
	memcpy(p11_kit_uri_get_token_info(u), ti, sizeof(*ti));
	if (p11_kit_uri_format(u, P11_KIT_URI_FOR_TOKEN, &s) != P11_KIT_URI_OK)
		s = NULL;
	p11_kit_uri_free(u);
	return s;
}

/* One slot's description and its token's state. */
static int
slot_describe(tb_p11_manage *m, CK_SLOT_ID id, tb_p11_slot *s, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_ULONG nmech = 0;

	memset(s, 0, sizeof(*s));
	s->id = (unsigned long)id;
	s->sessions_max = s->sessions_open = -1;
	if ((r = TB_P11_CALL(err, m->f, C_GetSlotInfo, id, &si)) != 0)
		goto out;
	p11_text(s->description, sizeof(s->description), si.slotDescription,
	    sizeof(si.slotDescription));
	if ((si.flags & CKF_TOKEN_PRESENT) == 0 ||
	    TB_P11_CALL(NULL, m->f, C_GetTokenInfo, id, &ti) != 0) {
		r = 0;
		goto out;
	}
	s->has_token = 1;
	s->initialized = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
	p11_text(s->label, sizeof(s->label), ti.label, sizeof(ti.label));
	p11_text(s->manufacturer, sizeof(s->manufacturer), ti.manufacturerID,
	    sizeof(ti.manufacturerID));
	p11_text(s->model, sizeof(s->model), ti.model, sizeof(ti.model));
	p11_text(s->serial, sizeof(s->serial), ti.serialNumber, sizeof(ti.serialNumber));
	flag_words(ti.flags, s->flags, sizeof(s->flags));
	if (ti.ulMaxSessionCount == CK_EFFECTIVELY_INFINITE)
		s->sessions_max = -2;
	else if (ti.ulMaxSessionCount != CK_UNAVAILABLE_INFORMATION)
		s->sessions_max = (long)ti.ulMaxSessionCount;
	if (ti.ulSessionCount != CK_UNAVAILABLE_INFORMATION)
		s->sessions_open = (long)ti.ulSessionCount;
	if (TB_P11_CALL(NULL, m->f, C_GetMechanismList, id, NULL, &nmech) == 0)
		s->mechanisms = (unsigned long)nmech;
	if (s->initialized)
		s->uri = token_uri_text(&ti);
	r = 0;
out:
	return r;
}

int
tb_p11_manage_slots(tb_p11_manage *m, int tokens_only, tb_p11_slot **slots, size_t *n,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_ID *ids = NULL;
	CK_ULONG cnt = 0, i;
	tb_p11_slot *s = NULL;
	tb_error e;

	if ((r = p11_slots(m->f, tokens_only, &ids, &cnt, err)) != 0)
		goto out;
	if ((s = calloc(cnt + 1, sizeof(*s))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "slots");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		/* A slot that cannot be described is listed with its id only. */
		if (slot_describe(m, ids[i], &s[i], &e) != 0)
			snprintf(s[i].description, sizeof(s[i].description), "%.64s", e.detail);
	}
	*slots = s;
	*n = cnt;
	s = NULL;
	r = 0;
out:
	tb_p11_slots_free(s, cnt);
	free(ids);
	return r;
}

void
tb_p11_slots_free(tb_p11_slot *slots, size_t n)
{
	size_t i;

	if (slots == NULL)
		return;
	for (i = 0; i < n; i++)
		free(slots[i].uri);
	free(slots);
}

int
tb_p11_manage_use_token(tb_p11_manage *m, const char *uri_text, const char *pin,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	P11KitUri *uri = NULL;
	tb_error e;

	if (m->h != CK_INVALID_HANDLE) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "a token is selected already");
		goto out;
	}
	if ((r = p11_uri_parse(uri_text, "token", &uri, err)) != 0)
		goto out;
	if ((r = p11_find_slot(m->mod, uri, &m->slot, &m->tinfo, &e)) != 0) {
		r = tb_error_set(err, r, "%s (URI '%s'; see tanba-admin token list)", e.detail,
		    uri_text != NULL ? uri_text : "pkcs11:");
		goto out;
	}
	p11_text(m->label, sizeof(m->label), m->tinfo.label, sizeof(m->tinfo.label));
	if ((r = TB_P11_CALL(err, m->f, C_OpenSession, m->slot,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &m->h)) != 0)
		goto out;
	if (pin != NULL && (r = p11_login_user(m->f, m->slot, m->h, pin, strlen(pin),
	    &e)) != 0) {
		r = tb_error_set(err, r, "token %s: login refused: %s", m->label, e.detail);
		goto out;
	}
	r = 0;
out:
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return r;
}

const char *
tb_p11_manage_token_label(const tb_p11_manage *m)
{
	return m->label;
}

int
tb_p11_manage_token_uri(const tb_p11_manage *m, char **out, tb_error *err)
{
	char *s;

	if (need_token(m, err) != 0)
		return TB_ERR_INVALID_ARG;
	if ((s = token_uri_text(&m->tinfo)) == NULL)
		return tb_error_set(err, TB_ERR_INTERNAL, "cannot format the token's URI");
	*out = s;
	return 0;
}

/* The slot now holding the freshly initialised token labelled label32. */
static int
find_new_token(tb_p11_manage *m, CK_SLOT_ID old, const CK_UTF8CHAR *label32,
    CK_SLOT_ID *out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti;
	unsigned matches = 0;

	/* Some modules (SoftHSM2) move a token to a new slot id when it is initialised. */
	if ((r = p11_slots(m->f, 1, &slots, &n, err)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (TB_P11_CALL(NULL, m->f, C_GetTokenInfo, slots[i], &ti) != 0 ||
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
tb_p11_manage_init_token(tb_p11_manage *m, unsigned long slot_id, const char *so_pin,
    const char *label, const char *user_pin, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_UTF8CHAR label32[32];
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_SLOT_ID slot = (CK_SLOT_ID)slot_id;
	size_t llen = strlen(label);
	int logged_in = 0;
	tb_error e;

	if (llen == 0 || llen > sizeof(label32)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "a token label has 1 to 32 bytes");
		goto out;
	}
	memset(label32, ' ', sizeof(label32));
	memcpy(label32, label, llen);
	if ((r = TB_P11_CALL(&e, m->f, C_InitToken, slot, (CK_UTF8CHAR_PTR)so_pin,
	    (CK_ULONG)strlen(so_pin), label32)) != 0) {
		r = tb_error_set(err, r, "%s%s", e.detail, r == TB_ERR_PIN_INCORRECT ?
		    " (the SO PIN is wrong; the token is unchanged)" : r == TB_ERR_PIN_LOCKED ?
		    " (the SO PIN is locked)" : "");
		goto out;
	}
	if ((r = find_new_token(m, slot, label32, &slot, err)) != 0)
		goto out;
	if ((r = TB_P11_CALL(err, m->f, C_OpenSession, slot,
	    CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h)) != 0)
		goto out;
	if ((r = TB_P11_CALL(err, m->f, C_Login, h, CKU_SO, (CK_UTF8CHAR_PTR)so_pin,
	    (CK_ULONG)strlen(so_pin))) != 0)
		goto out;
	logged_in = 1;
	if ((r = TB_P11_CALL(err, m->f, C_InitPIN, h, (CK_UTF8CHAR_PTR)user_pin,
	    (CK_ULONG)strlen(user_pin))) != 0)
		goto out;
	r = 0;
out:
	if (logged_in)
		(void)TB_P11_CALL(NULL, m->f, C_Logout, h);
	if (h != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, m->f, C_CloseSession, h);
	return r;
}

/* Up to max objects matching tmpl, as tb_p11_object values. */
static int
find_objects(tb_p11_manage *m, CK_ATTRIBUTE *tmpl, CK_ULONG tn, tb_p11_object *objs,
    size_t max, size_t *n, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_OBJECT_HANDLE *h = NULL;
	CK_ULONG got = 0, i;

	if ((r = need_token(m, err)) != 0)
		goto out;
	if ((h = calloc(max + 1, sizeof(*h))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "objects");
		goto out;
	}
	if ((r = p11_find(m->f, m->h, tmpl, tn, h, (CK_ULONG)max, &got, err)) != 0)
		goto out;
	for (i = 0; i < got; i++)
		objs[i] = (tb_p11_object)h[i];
	*n = (size_t)got;
	r = 0;
out:
	free(h);
	return r;
}

int
tb_p11_manage_find(tb_p11_manage *m, enum tb_p11_class cls, const unsigned char *id,
    size_t id_len, const char *label, tb_p11_object *objs, size_t max, size_t *n,
    tb_error *err)
{
	CK_OBJECT_CLASS c = class_of[cls];
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG tn = 0;

	tmpl[tn++] = (CK_ATTRIBUTE){ CKA_CLASS, &c, sizeof(c) };
	if (id != NULL)
		tmpl[tn++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	if (label != NULL)
		tmpl[tn++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	return find_objects(m, tmpl, tn, objs, max, n, err);
}

int
tb_p11_manage_one_key(tb_p11_manage *m, const char *key_uri, tb_p11_object *out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	p11_key_ref ref;
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG tn;
	tb_p11_object keys[2];
	size_t n = 0;

	memset(&ref, 0, sizeof(ref));
	if ((r = p11_key_ref_parse(key_uri, &ref, err)) != 0)
		goto out;
	if (!p11_kit_uri_match_token_info(ref.uri, &m->tinfo)) {
		r = tb_error_set(err, TB_ERR_NO_KEY, "key URI '%s' names another token than %s",
		    key_uri, m->label);
		goto out;
	}
	tn = p11_key_ref_template(&ref, &cls, tmpl);
	if ((r = find_objects(m, tmpl, tn, keys, 2, &n, err)) != 0)
		goto out;
	if (n == 0) {
		r = tb_error_set(err, TB_ERR_NO_KEY, "no private key matches '%s'", key_uri);
		goto out;
	}
	/* Acting on the wrong one of two keys is worse than refusing. */
	if (n != 1) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "'%s' names more than one key; name it by id", key_uri);
		goto out;
	}
	*out = keys[0];
	r = 0;
out:
	p11_key_ref_clear(&ref);
	return r;
}

/* Reads one attribute of o on the selected token into a new buffer. */
static int
attr(tb_p11_manage *m, tb_p11_object o, CK_ATTRIBUTE_TYPE type, unsigned char **val,
    size_t *len, tb_error *err)
{
	int r;

	if ((r = need_token(m, err)) != 0)
		return r;
	return p11_attr_read(m->f, m->h, (CK_OBJECT_HANDLE)o, type, val, len, err);
}

int
tb_p11_manage_uri_names(tb_p11_manage *m, const char *key_uri, tb_p11_object o)
{
	p11_key_ref ref;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE attrs[3];
	unsigned char *id = NULL, *label = NULL;
	size_t id_len = 0, label_len = 0;
	int res = 0;

	memset(&ref, 0, sizeof(ref));
	if (p11_key_ref_parse(key_uri, &ref, NULL) != 0 ||
	    !p11_kit_uri_match_token_info(ref.uri, &m->tinfo) ||
	    attr(m, o, CKA_ID, &id, &id_len, NULL) != 0 ||
	    attr(m, o, CKA_LABEL, &label, &label_len, NULL) != 0)
		goto out;
	attrs[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	attrs[1] = (CK_ATTRIBUTE){ CKA_ID, id, id_len };
	attrs[2] = (CK_ATTRIBUTE){ CKA_LABEL, label, label_len };
	res = p11_kit_uri_match_attributes(ref.uri, attrs, 3) != 0;
out:
	p11_key_ref_clear(&ref);
	free(id);
	free(label);
	return res;
}

int
tb_p11_manage_id(tb_p11_manage *m, tb_p11_object o, unsigned char **id, size_t *len,
    tb_error *err)
{
	return attr(m, o, CKA_ID, id, len, err);
}

char *
tb_p11_manage_label(tb_p11_manage *m, tb_p11_object o)
{
	unsigned char *v = NULL;
	size_t len = 0;

	if (attr(m, o, CKA_LABEL, &v, &len, NULL) != 0)
		return strdup("");
	return (char *)v;
}

/* A CK_BBOOL attribute; a missing one reads as dflt. */
static int
attr_bool(tb_p11_manage *m, tb_p11_object o, CK_ATTRIBUTE_TYPE type, int dflt)
{
	unsigned char *v = NULL;
	size_t len = 0;
	int res = dflt;

	if (attr(m, o, type, &v, &len, NULL) == 0 && len == sizeof(CK_BBOOL))
		res = v[0] != CK_FALSE;
	free(v);
	return res;
}

void
tb_p11_manage_key_flags(tb_p11_manage *m, tb_p11_object o, int *sensitive,
    int *extractable)
{
	*sensitive = attr_bool(m, o, CKA_SENSITIVE, 0);
	*extractable = attr_bool(m, o, CKA_EXTRACTABLE, 1);
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
pubkey_from_object(tb_p11_manage *m, tb_p11_object o, EVP_PKEY **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned char *kt = NULL, *a = NULL, *b = NULL;
	size_t ktl = 0, al = 0, bl = 0;
	CK_KEY_TYPE type;

	if ((r = attr(m, o, CKA_KEY_TYPE, &kt, &ktl, err)) != 0)
		goto out;
	if (ktl != sizeof(type)) {
		r = tb_error_set(err, TB_ERR_TOKEN, "bad CKA_KEY_TYPE");
		goto out;
	}
	memcpy(&type, kt, sizeof(type));
	if (type == CKK_RSA) {
		if ((r = attr(m, o, CKA_MODULUS, &a, &al, err)) != 0 ||
		    (r = attr(m, o, CKA_PUBLIC_EXPONENT, &b, &bl, err)) != 0)
			goto out;
		r = pkey_rsa(a, al, b, bl, out, err);
	} else if (type == CKK_EC) {
		if ((r = attr(m, o, CKA_EC_PARAMS, &a, &al, err)) != 0 ||
		    (r = attr(m, o, CKA_EC_POINT, &b, &bl, err)) != 0)
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
tb_p11_manage_pubkey(tb_p11_manage *m, tb_p11_object o, EVP_PKEY **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	unsigned char *id = NULL;
	size_t id_len = 0, nc = 0, n = 0, i;
	tb_p11_object pub[2];
	X509 *certs[P11_MAX_CERTS];
	EVP_PKEY *pk = NULL;

	if ((r = attr(m, o, CKA_ID, &id, &id_len, err)) != 0)
		goto out;
	if (id_len > 0 && (r = tb_p11_manage_find(m, TB_P11_PUBLIC_KEY, id, id_len, NULL, pub,
	    2, &n, err)) != 0)
		goto out;
	if (n == 1 && pubkey_from_object(m, pub[0], out, NULL) == 0) {
		r = 0;
		goto out;
	}
	if (pubkey_from_object(m, o, out, NULL) == 0) {
		r = 0;
		goto out;
	}
	if (id_len > 0 && (r = tb_p11_manage_certs(m, id, id_len, certs, P11_MAX_CERTS, &nc,
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
tb_p11_manage_certs(tb_p11_manage *m, const unsigned char *id, size_t id_len, X509 **certs,
    size_t max, size_t *n, tb_error *err)
{
	int r;

	if ((r = need_token(m, err)) != 0)
		return r;
	return p11_certs_by_id(m->f, m->h, id, id_len, certs, max, n, err);
}

int
tb_p11_manage_uri(tb_p11_manage *m, tb_p11_object o, char **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	P11KitUri *uri = NULL;
	unsigned char *id = NULL, *label = NULL;
	size_t id_len = 0, label_len = 0;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE a;
	char *s = NULL;

	if ((r = need_token(m, err)) != 0)
		goto out;
	if ((uri = p11_kit_uri_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "URI");
		goto out;
	}
	memcpy(p11_kit_uri_get_token_info(uri), &m->tinfo, sizeof(m->tinfo));
	if (attr(m, o, CKA_ID, &id, &id_len, NULL) == 0 && id_len > 0) {
		a = (CK_ATTRIBUTE){ CKA_ID, id, id_len };
		p11_kit_uri_set_attribute(uri, &a);
	}
	if (attr(m, o, CKA_LABEL, &label, &label_len, NULL) == 0 && label_len > 0) {
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
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return r;
}

/* DER OIDs of the named curves key generation offers. */
static const unsigned char oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

/*
 * A token that ignored the template must not leave an exportable key
 * behind: private key priv (and public key pub, when not
 * CK_INVALID_HANDLE) are destroyed unless priv is sensitive and not
 * extractable.
 */
static int
key_kept_safe(tb_p11_manage *m, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub, tb_error *err)
{
	int sensitive, extractable;

	tb_p11_manage_key_flags(m, (tb_p11_object)priv, &sensitive, &extractable);
	if (sensitive && !extractable)
		return 0;
	(void)TB_P11_CALL(NULL, m->f, C_DestroyObject, m->h, priv);
	if (pub != CK_INVALID_HANDLE)
		(void)TB_P11_CALL(NULL, m->f, C_DestroyObject, m->h, pub);
	return tb_error_set(err, TB_ERR_TOKEN,
	    "the token made the key extractable or not sensitive; key destroyed");
}

int
tb_p11_manage_generate(tb_p11_manage *m, int rsa_bits, int ec_bits, const char *label,
    const unsigned char *id, size_t id_len, tb_p11_object *priv_out, tb_error *err)
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

	if ((r = need_token(m, err)) != 0)
		goto out;
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
	if ((r = TB_P11_CALL(err, m->f, C_GenerateKeyPair, m->h, &mech, pub, npub, priv,
	    npriv, &hpub, &hpriv)) != 0)
		goto out;
	if ((r = key_kept_safe(m, hpriv, hpub, err)) != 0)
		goto out;
	*priv_out = (tb_p11_object)hpriv;
	r = 0;
out:
	return r;
}

int
tb_p11_manage_store_cert(tb_p11_manage *m, X509 *cert, const unsigned char *id,
    size_t id_len, const char *label, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int der_len, subj_len, iss_len, ser_len;
	CK_ATTRIBUTE t[10];
	CK_OBJECT_HANDLE h;

	if ((r = need_token(m, err)) != 0)
		goto out;
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
	if ((r = TB_P11_CALL(err, m->f, C_CreateObject, m->h, t, 10, &h)) != 0)
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
tb_p11_manage_destroy(tb_p11_manage *m, tb_p11_object o, tb_error *err)
{
	int r;

	if ((r = need_token(m, err)) != 0)
		return r;
	return TB_P11_CALL(err, m->f, C_DestroyObject, m->h, (CK_OBJECT_HANDLE)o);
}

/* One big-number parameter of key as unsigned big-endian bytes (new, wiped by the caller). */
static int
param_bytes(EVP_PKEY *key, const char *name, size_t pad, unsigned char **out, size_t *len)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;
	size_t n;

	if (!EVP_PKEY_get_bn_param(key, name, &bn))
		return -1;
	n = (size_t)BN_num_bytes(bn);
	if (pad > n)
		n = pad;
	if ((buf = OPENSSL_secure_zalloc(n > 0 ? n : 1)) == NULL ||
	    BN_bn2binpad(bn, buf, (int)n) < 0) {
		OPENSSL_secure_clear_free(buf, n > 0 ? n : 1);
		BN_clear_free(bn);
		return -1;
	}
	BN_clear_free(bn);
	*out = buf;
	*len = n;
	return 0;
}

#define IMPORT_VALUES 8

int
tb_p11_manage_import_key(tb_p11_manage *m, EVP_PKEY *key, const char *label,
    const unsigned char *id, size_t id_len, tb_p11_object *priv_out, tb_error *err)
{
	static const struct {
		const char *param;
		CK_ATTRIBUTE_TYPE type;
	} rsa_parts[IMPORT_VALUES] = {
		{ OSSL_PKEY_PARAM_RSA_N, CKA_MODULUS },
		{ OSSL_PKEY_PARAM_RSA_E, CKA_PUBLIC_EXPONENT },
		{ OSSL_PKEY_PARAM_RSA_D, CKA_PRIVATE_EXPONENT },
		{ OSSL_PKEY_PARAM_RSA_FACTOR1, CKA_PRIME_1 },
		{ OSSL_PKEY_PARAM_RSA_FACTOR2, CKA_PRIME_2 },
		{ OSSL_PKEY_PARAM_RSA_EXPONENT1, CKA_EXPONENT_1 },
		{ OSSL_PKEY_PARAM_RSA_EXPONENT2, CKA_EXPONENT_2 },
		{ OSSL_PKEY_PARAM_RSA_COEFFICIENT1, CKA_COEFFICIENT },
	};
	int r = TB_ERR_INTERNAL, is_rsa, nid, nv = 0, i;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE t[12 + IMPORT_VALUES];
	CK_ULONG n = 0;
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	unsigned char *val[IMPORT_VALUES] = { NULL }, *params = NULL;
	size_t vlen[IMPORT_VALUES] = { 0 };
	char group[64];
	int plen;

	if ((r = need_token(m, err)) != 0)
		goto out;
	if (key == NULL || label == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no key or label");
		goto out;
	}
	is_rsa = EVP_PKEY_is_a(key, "RSA");
	if (!is_rsa && !EVP_PKEY_is_a(key, "EC")) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "a %s key cannot go on the token "
		    "(RSA or EC only)", EVP_PKEY_get0_type_name(key) != NULL ?
		    EVP_PKEY_get0_type_name(key) : "unknown");
		goto out;
	}
	kt = is_rsa ? CKK_RSA : CKK_EC;
	t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	t[n++] = (CK_ATTRIBUTE){ CKA_KEY_TYPE, &kt, sizeof(kt) };
	t[n++] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, sizeof(yes) };
	t[n++] = (CK_ATTRIBUTE){ CKA_PRIVATE, &yes, sizeof(yes) };
	t[n++] = (CK_ATTRIBUTE){ CKA_SENSITIVE, &yes, sizeof(yes) };
	t[n++] = (CK_ATTRIBUTE){ CKA_EXTRACTABLE, &no, sizeof(no) };
	t[n++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, sizeof(yes) };
	t[n++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &no, sizeof(no) };
	t[n++] = (CK_ATTRIBUTE){ CKA_UNWRAP, &no, sizeof(no) };
	t[n++] = (CK_ATTRIBUTE){ CKA_DERIVE, &no, sizeof(no) };
	t[n++] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	t[n++] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	if (is_rsa) {
		for (i = 0; i < IMPORT_VALUES; i++, nv++) {
			if (param_bytes(key, rsa_parts[i].param, 0, &val[i], &vlen[i]) != 0) {
				r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED,
				    "the RSA key lacks its %s (a key without CRT values)",
				    rsa_parts[i].param);
				goto out;
			}
			t[n++] = (CK_ATTRIBUTE){ rsa_parts[i].type, val[i], vlen[i] };
		}
	} else {
		/* CKA_EC_PARAMS: the named curve's OID, DER; CKA_VALUE: the scalar, field size. */
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
		    sizeof(group), NULL) || (nid = OBJ_txt2nid(group)) == NID_undef ||
		    (plen = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &params)) <= 0) {
			r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "an EC key without a named curve");
			goto out;
		}
		if (param_bytes(key, OSSL_PKEY_PARAM_PRIV_KEY,
		    (size_t)(EVP_PKEY_get_bits(key) + 7) / 8, &val[0], &vlen[0]) != 0) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "the EC private value");
			goto out;
		}
		nv = 1;
		t[n++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, params, (CK_ULONG)plen };
		t[n++] = (CK_ATTRIBUTE){ CKA_VALUE, val[0], vlen[0] };
	}
	if ((r = TB_P11_CALL(err, m->f, C_CreateObject, m->h, t, n, &h)) != 0)
		goto out;
	if ((r = key_kept_safe(m, h, CK_INVALID_HANDLE, err)) != 0)
		goto out;
	*priv_out = (tb_p11_object)h;
	r = 0;
out:
	for (i = 0; i < nv; i++)
		OPENSSL_secure_clear_free(val[i], vlen[i] > 0 ? vlen[i] : 1);
	OPENSSL_free(params);
	return r;
}
