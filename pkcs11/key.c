/*
 * Keys on a token: lookup by PKCS#11 URI, the certificate that shares the
 * key's CKA_ID, and signing a digest with one reopen-and-retry after a
 * lost session, login or token. This file never sees a PIN and never
 * returns a signature it could not encode the way CMS carries it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "call.h"
#include "p11_int.h"
#include "signer.h"
#include "tb_log.h"

#define KEY_MAX_CERTS 8
#define SIG_RAW_MAX 1024	/* RSA-8192 */

struct tb_p11_key {
	tb_p11_token *tok;
	/* The lookup as the URI gave it, kept to find the key again. */
	p11_key_ref ref;
	char name[128];			/* for logs: object label or id */
	pthread_mutex_t lock;		/* guards h and h_gen */
	CK_OBJECT_HANDLE h;		/* CK_INVALID_HANDLE: find again before use */
	unsigned long h_gen;		/* token login generation h was found in */
	int type;			/* EVP_PKEY_RSA or EVP_PKEY_EC */
	X509 *cert;
};

/* RFC 8017 9.2 note 1: the DER DigestInfo prefix for each hash. */
static const struct digest_info {
	int nid;
	size_t len;
	unsigned char prefix[19];
} digest_infos[] = {
	{ NID_sha224, 28, { 0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c } },
	{ NID_sha256, 32, { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 } },
	{ NID_sha384, 48, { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 } },
	{ NID_sha512, 64, { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 } },
};

/* Finds the one private key matching the lookup, on session h. */
static int
key_find_handle(tb_p11_key *key, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_OBJECT_CLASS cls;
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG n, found = 0;
	CK_OBJECT_HANDLE objs[2];

	n = p11_key_ref_template(&key->ref, &cls, tmpl);
	if ((r = p11_find(key->tok->mod->funcs, h, tmpl, n, objs, 2, &found, err)) != 0)
		goto out;
	if (found == 0) {
		r = tb_error_set(err, TB_ERR_NO_KEY, "token %s: no private key %s",
		    key->tok->label, key->name);
		goto out;
	}
	/* Two keys behind one name: signing with either would be a guess. */
	if (found > 1) {
		r = tb_error_set(err, TB_ERR_NO_KEY,
		    "token %s: more than one private key matches %s", key->tok->label,
		    key->name);
		goto out;
	}
	*out = objs[0];
	r = 0;
out:
	return r;
}

/*
 * Reads the key type and CKA_ID of key o, and the X.509 certificates that
 * share the CKA_ID (at most KEY_MAX_CERTS, into certs).
 */
static int
key_read_objects(tb_p11_key *key, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o,
    X509 **certs, size_t *ncerts, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_FUNCTION_LIST *f = key->tok->mod->funcs;
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	unsigned char *id = NULL;
	size_t id_len = 0;

	*ncerts = 0;
	if ((r = TB_P11_CALL(err, f, C_GetAttributeValue, h, o, &a, 1)) != 0)
		goto out;
	if (kt == CKK_RSA)
		key->type = EVP_PKEY_RSA;
	else if (kt == CKK_EC)
		key->type = EVP_PKEY_EC;
	else {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "key %s: key type 0x%lx",
		    key->name, (unsigned long)kt);
		goto out;
	}
	if ((r = p11_attr_read(f, h, o, CKA_ID, &id, &id_len, err)) != 0)
		goto out;
	if (id_len == 0) {
		r = 0;	/* no CKA_ID: no certificate can be tied to the key */
		goto out;
	}
	if ((r = p11_certs_by_id(f, h, id, id_len, certs, KEY_MAX_CERTS, ncerts, err)) != 0)
		goto out;
	r = 0;
out:
	free(id);
	return r;
}

/*
 * One C_SignInit + C_Sign over in, with the pool and the retry rule.
 * Writes the token's raw signature into raw.
 */
static int
key_sign_raw(tb_p11_key *key, const unsigned char *in, size_t in_len,
    unsigned char *raw, size_t *raw_len, tb_error *err)
{
	int r = TB_ERR_INTERNAL, attempt, retried = 0;
	tb_p11_token *tok = key->tok;
	CK_FUNCTION_LIST *f = tok->mod->funcs;
	CK_MECHANISM mech = { key->type == EVP_PKEY_RSA ? CKM_RSA_PKCS : CKM_ECDSA,
	    NULL, 0 };
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE kh;
	CK_ULONG len;
	unsigned long gen;
	unsigned idx;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((r = p11_session_get(tok, &idx, &h, err)) == 0) {
			if (attempt > 0)
				r = p11_token_relogin(tok, h, err);
			/* A login since the handle was found may have voided it. */
			gen = p11_token_login_gen(tok);
			pthread_mutex_lock(&key->lock);
			kh = key->h_gen == gen ? key->h : CK_INVALID_HANDLE;
			pthread_mutex_unlock(&key->lock);
			if (r == 0 && kh == CK_INVALID_HANDLE &&
			    (r = key_find_handle(key, h, &kh, err)) == 0) {
				pthread_mutex_lock(&key->lock);
				key->h = kh;
				key->h_gen = gen;
				pthread_mutex_unlock(&key->lock);
			}
			if (r == 0)
				r = TB_P11_CALL(err, f, C_SignInit, h, &mech, kh);
			len = SIG_RAW_MAX;
			if (r == 0)
				r = TB_P11_CALL(err, f, C_Sign, h, (CK_BYTE *)in,
				    (CK_ULONG)in_len, raw, &len);
			p11_session_put(tok, idx, r);
		}
		if (r == 0 || attempt > 0 || !tb_p11_err_retryable(r))
			break;
		/* The one retry: a fresh session, login, and key handle. */
		tb_warn_f(r, "token %s key %s: %s; reconnecting", tok->label, key->name,
		    err != NULL ? err->detail : "");
		retried = 1;
		pthread_mutex_lock(&key->lock);
		key->h = CK_INVALID_HANDLE;
		pthread_mutex_unlock(&key->lock);
	}
	p11_token_note(tok, r == 0, retried, r);
	if (r != 0) {
		if (retried)
			tb_error_f(r, "token %s key %s: still failing after reconnect",
			    tok->label, key->name);
		goto out;
	}
	*raw_len = len;
	r = 0;
out:
	return r;
}

/* Signs a digest and returns the signature as CMS carries it. */
static int
key_sign(tb_p11_key *key, int md_nid, const unsigned char *digest, size_t digest_len,
    unsigned char *sig, size_t *sig_len, int count, tb_error *err)
{
	int r = TB_ERR_INTERNAL, der_len;
	unsigned char in[19 + EVP_MAX_MD_SIZE], raw[SIG_RAW_MAX], *p;
	size_t in_len = 0, raw_len = 0, i, half;
	const EVP_MD *md;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;

	if (key == NULL || digest == NULL || sig == NULL || sig_len == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "sign: missing argument");
		goto out;
	}
	md = EVP_get_digestbynid(md_nid);
	if (md == NULL || (size_t)EVP_MD_get_size(md) != digest_len) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "digest of %zu bytes does not fit %s", digest_len, OBJ_nid2sn(md_nid));
		goto out;
	}
	if (key->type == EVP_PKEY_RSA) {
		for (i = 0; i < sizeof(digest_infos) / sizeof(digest_infos[0]); i++)
			if (digest_infos[i].nid == md_nid)
				break;
		if (i == sizeof(digest_infos) / sizeof(digest_infos[0])) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED, "RSA signing with %s",
			    OBJ_nid2sn(md_nid));
			goto out;
		}
		memcpy(in, digest_infos[i].prefix, sizeof(digest_infos[i].prefix));
		memcpy(in + sizeof(digest_infos[i].prefix), digest, digest_len);
		in_len = sizeof(digest_infos[i].prefix) + digest_len;
	} else {
		memcpy(in, digest, digest_len);
		in_len = digest_len;
	}
	if ((r = key_sign_raw(key, in, in_len, raw, &raw_len, err)) != 0)
		goto out;
	if (key->type == EVP_PKEY_RSA) {
		if (raw_len > *sig_len) {
			r = tb_error_set(err, TB_ERR_INVALID_ARG,
			    "signature of %zu bytes does not fit in %zu", raw_len, *sig_len);
			goto out;
		}
		memcpy(sig, raw, raw_len);
		*sig_len = raw_len;
		if (count)
			p11_token_count_signature(key->tok);
		r = 0;
		goto out;
	}
	/* PKCS#11 3.0 2.3.1: CKM_ECDSA gives r || s, each half the length. */
	if (raw_len == 0 || raw_len % 2 != 0) {
		r = tb_error_set(err, TB_ERR_TOKEN, "ECDSA signature of odd length %zu",
		    raw_len);
		goto out;
	}
	half = raw_len / 2;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(raw, (int)half, NULL)) == NULL ||
	    (bs = BN_bin2bn(raw + half, (int)half, NULL)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_NOMEM, "ECDSA signature");
		goto out;
	}
	ECDSA_SIG_set0(es, br, bs);
	br = bs = NULL;
	if ((der_len = i2d_ECDSA_SIG(es, NULL)) <= 0) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "ECDSA signature encoding");
		goto out;
	}
	if ((size_t)der_len > *sig_len) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "signature of %d bytes does not fit in %zu", der_len, *sig_len);
		goto out;
	}
	p = sig;
	if (i2d_ECDSA_SIG(es, &p) != der_len) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "ECDSA signature encoding");
		goto out;
	}
	*sig_len = (size_t)der_len;
	if (count)
		p11_token_count_signature(key->tok);
	r = 0;
out:
	OPENSSL_cleanse(in, sizeof(in));
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	return r;
}

/* Proves that cert's public key is the key's: signs a fixed digest, verifies. */
static int
key_matches_cert(tb_p11_key *key, X509 *cert, tb_error *err)
{
	static const char probe[] = "tanba: does this certificate belong to this key?";
	int r = TB_ERR_INTERNAL;
	EVP_PKEY *pub;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char dgst[32], sig[TB_SIG_MAX];
	size_t sig_len = sizeof(sig);

	if ((pub = X509_get0_pubkey(cert)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_MALFORMED, "certificate public key");
		goto out;
	}
	if (EVP_PKEY_get_base_id(pub) != key->type) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "key %s: certificate holds a %s key", key->name,
		    OBJ_nid2sn(EVP_PKEY_get_base_id(pub)));
		goto out;
	}
	if (EVP_Digest(probe, sizeof(probe) - 1, dgst, NULL, EVP_sha256(), NULL) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "digest");
		goto out;
	}
	if ((r = key_sign(key, NID_sha256, dgst, sizeof(dgst), sig, &sig_len, 0, err)) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL ||
	    EVP_PKEY_verify_init(ctx) != 1 ||
	    (key->type == EVP_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "verify setup");
		goto out;
	}
	if (EVP_PKEY_verify(ctx, sig, sig_len, dgst, sizeof(dgst)) != 1) {
		ERR_clear_error();
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "key %s: the certificate's public key is not this key's", key->name);
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* A name for logs: "object=label;id=%01". */
static void
key_set_name(tb_p11_key *key)
{
	size_t len = 0, i;

	key->name[0] = '\0';
	if (key->ref.label != NULL)
		len = (size_t)snprintf(key->name, sizeof(key->name), "object=%s",
		    key->ref.label);
	if (key->ref.has_id) {
		if (len > 0 && len < sizeof(key->name))
			len += (size_t)snprintf(key->name + len, sizeof(key->name) - len, ";");
		if (len < sizeof(key->name))
			len += (size_t)snprintf(key->name + len, sizeof(key->name) - len, "id=");
		for (i = 0; i < key->ref.id_len && len < sizeof(key->name); i++)
			len += (size_t)snprintf(key->name + len, sizeof(key->name) - len,
			    "%%%02x", key->ref.id[i]);
	}
	if (key->name[0] == '\0')
		snprintf(key->name, sizeof(key->name), "(any)");
}

int
tb_p11_key_find(tb_p11_token *tok, const char *key_uri, tb_p11_key **out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_p11_key *key = NULL;
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE kh = CK_INVALID_HANDLE;
	unsigned idx;
	X509 *certs[KEY_MAX_CERTS];
	size_t ncerts = 0, i;
	tb_error e;

	if (tok == NULL || key_uri == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "key lookup needs a token and a URI");
		goto out;
	}
	if ((key = calloc(1, sizeof(*key))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "key");
		goto out;
	}
	pthread_mutex_init(&key->lock, NULL);
	key->tok = tok;
	key->h = CK_INVALID_HANDLE;
	if ((r = p11_key_ref_parse(key_uri, &key->ref, err)) != 0)
		goto out;
	if (!p11_kit_uri_match_token_info(key->ref.uri, &tok->info)) {
		r = tb_error_set(err, TB_ERR_NO_KEY, "key URI '%s' names another token than %s",
		    key_uri, tok->label);
		goto out;
	}
	key_set_name(key);

	if ((r = p11_session_get(tok, &idx, &h, err)) != 0)
		goto out;
	if ((r = key_find_handle(key, h, &kh, err)) == 0)
		r = key_read_objects(key, h, kh, certs, &ncerts, err);
	p11_session_put(tok, idx, r == TB_ERR_NO_KEY || r == TB_ERR_UNSUPPORTED ? 0 : r);
	if (r != 0)
		goto out;
	key->h = kh;
	key->h_gen = p11_token_login_gen(tok);

	/* The newest certificate that really belongs to the key. */
	for (i = 0; i < ncerts; i++) {
		if (key_matches_cert(key, certs[i], &e) != 0) {
			if (e.code != TB_ERR_INVALID_ARG) {
				r = tb_error_set(err, e.code, "%s", e.detail);
				goto out;
			}
			tb_warn_f(0, "token %s: %s", tok->label, e.detail);
			continue;
		}
		if (key->cert == NULL ||
		    ASN1_TIME_compare(X509_get0_notAfter(certs[i]),
		    X509_get0_notAfter(key->cert)) > 0) {
			X509_free(key->cert);
			key->cert = certs[i];
			certs[i] = NULL;
		}
	}
	tb_info_f("token %s: key %s (%s)%s", tok->label, key->name,
	    key->type == EVP_PKEY_RSA ? "RSA" : "EC",
	    key->cert != NULL ? " with certificate" : ", no certificate on the token");
	*out = key;
	key = NULL;
	r = 0;
out:
	for (i = 0; i < ncerts; i++)
		X509_free(certs[i]);
	tb_p11_key_free(key);
	return r;
}

void
tb_p11_key_free(tb_p11_key *key)
{
	if (key == NULL)
		return;
	pthread_mutex_destroy(&key->lock);
	X509_free(key->cert);
	p11_key_ref_clear(&key->ref);
	free(key);
}

X509 *
tb_p11_key_cert(const tb_p11_key *key)
{
	return key->cert;
}

int
tb_p11_key_set_cert(tb_p11_key *key, X509 *cert, tb_error *err)
{
	int r = TB_ERR_INTERNAL;

	if (cert == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no certificate");
		goto out;
	}
	if ((r = key_matches_cert(key, cert, err)) != 0)
		goto out;
	if (X509_up_ref(cert) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_INTERNAL, "certificate reference");
		goto out;
	}
	X509_free(key->cert);
	key->cert = cert;
	r = 0;
out:
	return r;
}

int
tb_p11_key_type(const tb_p11_key *key)
{
	return key->type;
}

int
tb_p11_key_sign(tb_p11_key *key, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char *sig, size_t *sig_len, tb_error *err)
{
	return key_sign(key, md_nid, digest, digest_len, sig, sig_len, 1, err);
}

int
tb_p11_signer_cb(void *ctx, int md_nid, const unsigned char *digest,
    size_t digest_len, unsigned char *sig, size_t *sig_len, tb_error *err)
{
	return key_sign(ctx, md_nid, digest, digest_len, sig, sig_len, 1, err);
}
