/*
 * Builds the signing keys from a tb_config: module, tokens (one login
 * each, shared by the keys on that token), keys, certificates and chains;
 * file keys (p12 =) through filekey.c.
 * Used by the signer process only: the front never loads a module.
 * Checks each key's certificate against the one clock before it signs.
 * Never reads the PIN itself: the token layer reads it from the PIN
 * file's descriptor, which is kept open here for logins after a reconnect.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "cert_read.h"
#include "certinfo.h"
#include "cms_sign.h"
#include "filekey.h"
#include "keystore.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "tb_log.h"


struct tb_ks_key {
	char *name;
	tb_p11_key *key;	/* a token key, or NULL */
	tb_filekey *file;	/* a file key (filekey.h), or NULL */
	STACK_OF(X509) *chain;
	int md_nid;
	int has_cert_sha256;
	unsigned char cert_sha256[32];	/* of the certificate's DER, made at open */
	/* The signingCertificateV2 values for SHA-256, -384, -512, made at open. */
	ASN1_STRING *ess[3];
	/* The signed attributes around them, as templates (NULL: the encoder). */
	tb_cms_attrs_tpl *tpl[3];
};

static const int ess_mds[3] = { NID_sha256, NID_sha384, NID_sha512 };

struct tb_keystore {
	atomic_uint refs;
	tb_p11_module *mod;
	int pin_fd;
	tb_p11_token **tokens;
	size_t ntokens;
	tb_ks_key *keys;
	size_t nkeys;
};

static void
keystore_free(tb_keystore *ks)
{
	size_t i, j;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->nkeys; i++) {
		tb_p11_key_free(ks->keys[i].key);
		tb_filekey_free(ks->keys[i].file);
		sk_X509_pop_free(ks->keys[i].chain, X509_free);
		for (j = 0; j < 3; j++) {
			ASN1_STRING_free(ks->keys[i].ess[j]);
			tb_cms_attrs_tpl_free(ks->keys[i].tpl[j]);
		}
		free(ks->keys[i].name);
	}
	free(ks->keys);
	/* Keys before tokens, tokens before the module (tb_p11.h). */
	for (i = 0; i < ks->ntokens; i++)
		tb_p11_token_free(ks->tokens[i]);
	free(ks->tokens);
	tb_p11_module_free(ks->mod);
	if (ks->pin_fd >= 0)
		close(ks->pin_fd);
	free(ks);
}

/* The open token that key_uri selects, opening it when none does yet. */
static int
token_for(tb_keystore *ks, const tb_config *cfg, const char *key_uri,
    tb_p11_token **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_p11_token *tok = NULL, **n;
	char *token_uri = NULL;
	size_t i;
	tb_error e;

	for (i = 0; i < ks->ntokens; i++) {
		if (tb_p11_token_names(ks->tokens[i], key_uri)) {
			*out = ks->tokens[i];
			r = 0;
			goto out;
		}
	}
	/* The token is opened by the URI's token attributes alone. */
	if (tb_p11_token_uri_of(key_uri, &token_uri, &e) != 0) {
		r = tb_error_set(err, TB_ERR_CONFIG, "%s", e.detail);
		goto out;
	}
	if ((n = realloc(ks->tokens, (ks->ntokens + 1) * sizeof(*n))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "tokens");
		goto out;
	}
	ks->tokens = n;
	if ((r = tb_p11_token_open(ks->mod, token_uri, ks->pin_fd, cfg->max_sessions, &tok,
	    err)) != 0)
		goto out;
	ks->tokens[ks->ntokens++] = tok;
	*out = tok;
	r = 0;
out:
	free(token_uri);
	return r;
}

/* Every signature names its certificate by this hash: made once, here. */
static int
cert_sha256(X509 *cert, unsigned char out[32], tb_error *err)
{
	unsigned int n = 0;

	if (X509_digest(cert, EVP_sha256(), out, &n) != 1 || n != 32)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "certificate digest");
	return 0;
}

/*
 * A file key: the container gives the certificate and, without a chain
 * setting, the chain. Its signatures are GOST ones (filekey.c), so the
 * SHA-2 signingCertificateV2 values and templates stay unmade.
 */
static int
file_key_open(const tb_key_conf *kc, tb_ks_key *k, tb_error *err)
{
	STACK_OF(X509) *own;
	tb_error e;
	int r;

	if ((r = tb_filekey_open(kc, &k->file, err)) != 0)
		return r;
	k->md_nid = tb_filekey_md_nid(k->file);
	if (kc->chain != NULL) {
		if ((r = tb_certs_read_file(kc->chain, &k->chain, &e)) != 0)
			return tb_error_set(err, r, "key %s: chain: %s", kc->name, e.detail);
	} else if ((own = tb_filekey_chain(k->file)) != NULL && sk_X509_num(own) > 0 &&
	    (k->chain = X509_chain_up_ref(own)) == NULL) {
		return tb_error_set(err, TB_ERR_NOMEM, "key %s: chain", kc->name);
	}
	if ((r = cert_sha256(tb_filekey_cert(k->file), k->cert_sha256, err)) != 0)
		return r;
	k->has_cert_sha256 = 1;
	return 0;
}

static int
key_open(tb_keystore *ks, const tb_config *cfg, const tb_key_conf *kc, tb_ks_key *k,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_p11_token *tok = NULL;
	STACK_OF(X509) *certs = NULL;
	tb_error e;
	int i;

	k->md_nid = kc->md_nid;
	if ((k->name = strdup(kc->name)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "key %s", kc->name);
		goto out;
	}
	if (kc->p12 != NULL)
		return file_key_open(kc, k, err);
	if ((r = token_for(ks, cfg, kc->uri, &tok, &e)) != 0 ||
	    (r = tb_p11_key_find(tok, kc->uri, &k->key, &e)) != 0) {
		tb_error_set(err, r, "key %s: %s", kc->name, e.detail);
		goto out;
	}
	if (kc->certificate != NULL) {
		if ((r = tb_certs_read_file(kc->certificate, &certs, &e)) != 0 ||
		    (r = tb_p11_key_set_cert(k->key, sk_X509_value(certs, 0), &e)) != 0) {
			tb_error_set(err, r, "key %s: certificate %s: %s", kc->name,
			    kc->certificate, e.detail);
			goto out;
		}
	}
	if (kc->chain != NULL && (r = tb_certs_read_file(kc->chain, &k->chain, &e)) != 0) {
		tb_error_set(err, r, "key %s: chain: %s", kc->name, e.detail);
		goto out;
	}
	if (tb_p11_key_cert(k->key) == NULL)
		tb_warn_f(TB_ERR_NO_CERT, "key %s: no certificate on the token and none "
		    "configured; it cannot sign", kc->name);
	else if ((r = cert_sha256(tb_p11_key_cert(k->key), k->cert_sha256, err)) != 0)
		goto out;
	else
		k->has_cert_sha256 = 1;
	for (i = 0; k->has_cert_sha256 && i < 3; i++) {
		if ((k->ess[i] = tb_cms_ess_cert_v2(tb_p11_key_cert(k->key), ess_mds[i])) == NULL) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "key %s: signingCertificateV2",
			    kc->name);
			goto out;
		}
		k->tpl[i] = tb_cms_attrs_tpl_new(ess_mds[i], k->ess[i]);
	}
	r = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	return r;
}

int
tb_keystore_open(const tb_config *cfg, tb_keystore **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_keystore *ks;
	size_t i;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "keystore");
	atomic_init(&ks->refs, 1);
	ks->pin_fd = -1;
	if ((ks->keys = calloc(cfg->nkeys, sizeof(*ks->keys))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "keystore");
		goto out;
	}
	if ((r = tb_secret_open(cfg->pin_file, &ks->pin_fd, err)) != 0)
		goto out;
	if ((r = tb_p11_module_load(cfg->module, &ks->mod, err)) != 0)
		goto out;
	for (i = 0; i < cfg->nkeys; i++) {
		ks->nkeys = i + 1;
		if ((r = key_open(ks, cfg, &cfg->keys[i], &ks->keys[i], err)) != 0)
			goto out;
	}
	*out = ks;
	ks = NULL;
	r = 0;
out:
	keystore_free(ks);
	return r;
}

tb_keystore *
tb_keystore_ref(tb_keystore *ks)
{
	atomic_fetch_add(&ks->refs, 1);
	return ks;
}

void
tb_keystore_unref(tb_keystore *ks)
{
	if (ks != NULL && atomic_fetch_sub(&ks->refs, 1) == 1)
		keystore_free(ks);
}

size_t
tb_keystore_key_count(const tb_keystore *ks)
{
	return ks->nkeys;
}

const tb_ks_key *
tb_keystore_key_at(const tb_keystore *ks, size_t i)
{
	return i < ks->nkeys ? &ks->keys[i] : NULL;
}

const tb_ks_key *
tb_keystore_key(const tb_keystore *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].name, name) == 0)
			return &ks->keys[i];
	return NULL;
}

size_t
tb_keystore_token_count(const tb_keystore *ks)
{
	return ks->ntokens;
}

tb_p11_token *
tb_keystore_token_at(const tb_keystore *ks, size_t i)
{
	return i < ks->ntokens ? ks->tokens[i] : NULL;
}

const char *
tb_ks_key_name(const tb_ks_key *k)
{
	return k->name;
}

tb_p11_key *
tb_ks_key_p11(const tb_ks_key *k)
{
	return k->key;
}

tb_filekey *
tb_ks_key_file(const tb_ks_key *k)
{
	return k->file;
}

X509 *
tb_ks_key_cert(const tb_ks_key *k)
{
	return k->file != NULL ? tb_filekey_cert(k->file) : tb_p11_key_cert(k->key);
}

int
tb_ks_key_type(const tb_ks_key *k)
{
	/* Not an EVP_PKEY type: OpenSSL has none for a Kazakh GOST key. */
	return k->file != NULL ? 0 : tb_p11_key_type(k->key);
}

const unsigned char *
tb_ks_key_cert_sha256(const tb_ks_key *k)
{
	return k->has_cert_sha256 ? k->cert_sha256 : NULL;
}

const ASN1_STRING *
tb_ks_key_ess(const tb_ks_key *k, int md_nid)
{
	int i;

	for (i = 0; i < 3; i++)
		if (ess_mds[i] == md_nid)
			return k->ess[i];
	return NULL;
}

const tb_cms_attrs_tpl *
tb_ks_key_attrs_tpl(const tb_ks_key *k, int md_nid)
{
	int i;

	for (i = 0; i < 3; i++)
		if (ess_mds[i] == md_nid)
			return k->tpl[i];
	return NULL;
}

STACK_OF(X509) *
tb_ks_key_chain(const tb_ks_key *k)
{
	return k->chain;
}

int
tb_ks_key_md_nid(const tb_ks_key *k)
{
	return k->md_nid;
}

int
tb_ks_key_check(const tb_ks_key *k, time_t now, tb_error *err)
{
	return tb_ks_cert_check(k->name, tb_ks_key_cert(k), now, err);
}
