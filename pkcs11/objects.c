/*
 * What tanbad's token code and tanba-admin's token management share, done
 * once: RFC 7512 URI parsing with one set of p11-kit flags, the rule for
 * what a key URI names, finding the one token a URI matches, the login rule
 * (never at the PIN's final try), object search and attribute reads.
 * Nothing here keeps a PIN: the caller's buffer serves one C_Login.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "call.h"
#include "p11_int.h"
#include "tb_log.h"

#define ATTR_MAX_BYTES (1024 * 1024)

void
p11_text(char *dst, size_t dst_len, const CK_UTF8CHAR *src, size_t src_len)
{
	size_t n = src_len < dst_len - 1 ? src_len : dst_len - 1;

	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

int
p11_uri_parse(const char *text, const char *what, P11KitUri **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL, ur;
	P11KitUri *uri = NULL;

	if ((uri = p11_kit_uri_new()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "URI");
		goto out;
	}
	/*
	 * One set of flags for every URI tanba reads: token, object and module
	 * attributes all recognised. With FOR_TOKEN alone p11-kit marks object
	 * attributes unrecognised and then matches no token at all.
	 */
	if (text != NULL && (ur = p11_kit_uri_parse(text,
	    P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE, uri)) != P11_KIT_URI_OK) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "%s URI '%s': %s", what, text,
		    p11_kit_uri_message(ur));
		goto out;
	}
	*out = uri;
	uri = NULL;
	r = 0;
out:
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return r;
}

int
p11_key_ref_parse(const char *key_uri, p11_key_ref *ref, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_ATTRIBUTE *a;

	memset(ref, 0, sizeof(*ref));
	if ((r = p11_uri_parse(key_uri, "key", &ref->uri, err)) != 0)
		goto out;
	if ((a = p11_kit_uri_get_attribute(ref->uri, CKA_CLASS)) != NULL &&
	    (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	     *(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "key URI '%s' names an object that is not a private key", key_uri);
		goto out;
	}
	if ((a = p11_kit_uri_get_attribute(ref->uri, CKA_ID)) != NULL) {
		ref->has_id = 1;
		ref->id_len = a->ulValueLen;
		if ((ref->id = malloc(a->ulValueLen + 1)) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "key id");
			goto out;
		}
		memcpy(ref->id, a->pValue, a->ulValueLen);
	}
	if ((a = p11_kit_uri_get_attribute(ref->uri, CKA_LABEL)) != NULL &&
	    (ref->label = strndup(a->pValue, a->ulValueLen)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "key label");
		goto out;
	}
	/* A key is named, never guessed as "the only one on the token". */
	if (!ref->has_id && ref->label == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "key URI '%s' names no key (give id=... or object=...)", key_uri);
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		p11_key_ref_clear(ref);
	return r;
}

void
p11_key_ref_clear(p11_key_ref *ref)
{
	if (ref->uri != NULL)
		p11_kit_uri_free(ref->uri);
	free(ref->id);
	free(ref->label);
	memset(ref, 0, sizeof(*ref));
}

CK_ULONG
p11_key_ref_template(const p11_key_ref *ref, CK_OBJECT_CLASS *cls, CK_ATTRIBUTE tmpl[3])
{
	CK_ULONG n = 0;

	*cls = CKO_PRIVATE_KEY;
	tmpl[n++] = (CK_ATTRIBUTE){ CKA_CLASS, cls, sizeof(*cls) };
	if (ref->has_id)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_ID, ref->id, ref->id_len };
	if (ref->label != NULL)
		tmpl[n++] = (CK_ATTRIBUTE){ CKA_LABEL, ref->label, strlen(ref->label) };
	return n;
}

int
p11_slots(CK_FUNCTION_LIST *f, int tokens_only, CK_SLOT_ID **slots, CK_ULONG *n,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_ID *s = NULL;
	CK_ULONG cnt = 0;
	CK_BBOOL present = tokens_only ? CK_TRUE : CK_FALSE;

	if ((r = TB_P11_CALL(err, f, C_GetSlotList, present, NULL, &cnt)) != 0)
		goto out;
	if ((s = calloc(cnt + 1, sizeof(*s))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "slot list");
		goto out;
	}
	if ((r = TB_P11_CALL(err, f, C_GetSlotList, present, s, &cnt)) != 0)
		goto out;
	*slots = s;
	*n = cnt;
	s = NULL;
	r = 0;
out:
	free(s);
	return r;
}

int
p11_find_slot(tb_p11_module *mod, P11KitUri *uri, CK_SLOT_ID *slot_out,
    CK_TOKEN_INFO *info_out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_SLOT_ID *slots = NULL, found = 0;
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti, found_info;
	unsigned matches = 0;

	if ((r = p11_slots(mod->funcs, 1, &slots, &n, err)) != 0)
		goto out;
	if (n == 0) {
		r = tb_error_set(err, TB_ERR_NO_TOKEN, "%s: no token present", mod->name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (TB_P11_CALL(NULL, mod->funcs, C_GetTokenInfo, slots[i], &ti) != 0)
			continue;	/* removed meanwhile: not a match */
		if ((ti.flags & CKF_TOKEN_INITIALIZED) == 0)
			continue;
		if (!p11_kit_uri_match_token_info(uri, &ti))
			continue;
		if (matches++ == 0) {
			found = slots[i];
			found_info = ti;
		}
	}
	if (matches == 0) {
		r = tb_error_set(err, TB_ERR_NO_TOKEN, "%s: no token matches", mod->name);
		goto out;
	}
	/* Two tokens behind one URI would make the key ambiguous: refuse. */
	if (matches > 1) {
		r = tb_error_set(err, TB_ERR_NO_TOKEN,
		    "%s: %u tokens match; name the token (token=...)", mod->name, matches);
		goto out;
	}
	*slot_out = found;
	*info_out = found_info;
	r = 0;
out:
	free(slots);
	return r;
}

int
p11_login_user(CK_FUNCTION_LIST *f, CK_SLOT_ID slot, CK_SESSION_HANDLE h,
    const char *pin, size_t pin_len, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_TOKEN_INFO ti;
	char label[33];

	if ((r = TB_P11_CALL(err, f, C_GetTokenInfo, slot, &ti)) != 0)
		goto out;
	p11_text(label, sizeof(label), ti.label, sizeof(ti.label));
	/* A locked PIN, or one more wrong try that would lock it: never try. */
	if ((ti.flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY)) != 0) {
		r = tb_error_set(err, TB_ERR_PIN_LOCKED,
		    "token %s: user PIN %s; no login attempted", label,
		    (ti.flags & CKF_USER_PIN_LOCKED) ? "locked" : "at its final try");
		goto out;
	}
	if ((r = TB_P11_CALL(err, f, C_Login, h, CKU_USER, (CK_UTF8CHAR *)pin,
	    (CK_ULONG)pin_len)) != 0)
		goto out;
	r = 0;
out:
	return r;
}

int
p11_find(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG tn,
    CK_OBJECT_HANDLE *objs, CK_ULONG max, CK_ULONG *found, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_ULONG got = 0;

	if ((r = TB_P11_CALL(err, f, C_FindObjectsInit, h, tmpl, tn)) != 0)
		goto out;
	r = TB_P11_CALL(err, f, C_FindObjects, h, objs, max, &got);
	(void)TB_P11_CALL(NULL, f, C_FindObjectsFinal, h);
	if (r != 0)
		goto out;
	*found = got;
	r = 0;
out:
	return r;
}

int
p11_attr_read(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, unsigned char **out, size_t *out_len, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_ATTRIBUTE a = { type, NULL, 0 };
	unsigned char *buf = NULL;

	if ((r = TB_P11_CALL(err, f, C_GetAttributeValue, h, o, &a, 1)) != 0)
		goto out;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > ATTR_MAX_BYTES) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "attribute 0x%lx unavailable",
		    (unsigned long)type);
		goto out;
	}
	if ((buf = malloc(a.ulValueLen + 1)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "attribute");
		goto out;
	}
	a.pValue = buf;
	if ((r = TB_P11_CALL(err, f, C_GetAttributeValue, h, o, &a, 1)) != 0)
		goto out;
	buf[a.ulValueLen] = '\0';
	*out = buf;
	*out_len = a.ulValueLen;
	buf = NULL;
	r = 0;
out:
	free(buf);
	return r;
}

int
p11_certs_by_id(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE h, const unsigned char *id,
    size_t id_len, X509 **certs, size_t max, size_t *ncerts, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE tmpl[3];
	CK_OBJECT_HANDLE objs[P11_MAX_CERTS];
	CK_ULONG found = 0, i;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t der_len = 0, n = 0;
	X509 *x;

	tmpl[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	tmpl[1] = (CK_ATTRIBUTE){ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) };
	tmpl[2] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	if ((r = p11_find(f, h, tmpl, 3, objs, max < P11_MAX_CERTS ? max : P11_MAX_CERTS,
	    &found, err)) != 0)
		goto out;
	for (i = 0; i < found; i++) {
		free(der);
		der = NULL;
		if ((r = p11_attr_read(f, h, objs[i], CKA_VALUE, &der, &der_len, err)) != 0)
			goto out;
		p = der;
		if ((x = d2i_X509(NULL, &p, (long)der_len)) == NULL || p != der + der_len) {
			X509_free(x);
			tb_warn_f(TB_ERR_MALFORMED, "certificate object %lu unreadable",
			    (unsigned long)i);
			ERR_clear_error();
			continue;
		}
		certs[n++] = x;
	}
	*ncerts = n;
	r = 0;
out:
	if (r != 0)
		while (n > 0)
			X509_free(certs[--n]);
	free(der);
	return r;
}
