/*
 * File keys (filekey.h): the container and its password read onto locked,
 * undumpable pages, opened by libsig (p12_read.c, gost_key.c), wiped at
 * once; the key itself kept by gost_key.c on pages of the same kind. The
 * signed attributes are libsig's GOST ones (cms_gost_sign.c), built here in
 * the signer from the digest the front sent, as for token keys; for XML
 * the signer builds the SignedInfo (signer_proc.c) and signs it here.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "cms_sign.h"
#include "filekey.h"
#include "gost.h"
#include "gost_key.h"
#include "p12_read.h"
#include "tb_file.h"
#include "tb_log.h"
#include "tb_secmem.h"

/* NCA containers are a few KiB; anything near this is not one. */
#define P12_MAX_BYTES (1024 * 1024)
#define PASSWORD_MAX 1024
/* OpenSSL's secure heap: locked, undumpable, where EC_KEY keeps a private scalar. */
#define SECURE_HEAP_BYTES (64 * 1024)

struct tb_filekey {
	tb_gost_key *key;
	int md_nid;
	/* signingCertificateV2 (the certificate's Streebog): made at open, not per signature. */
	unsigned char *ess;
	size_t ess_len;
};

/* The container's bytes, from a file only its owner may read, onto locked pages. */
static int
container_read(const char *path, unsigned char **out, size_t *len, size_t *map_len,
    tb_error *err)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd = -1, r;

	if ((r = tb_secret_open(path, &fd, err)) != 0)
		return r;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > P12_MAX_BYTES) {
		r = tb_error_set(err, TB_ERR_CONFIG, "%s: empty, unreadable or over %d bytes",
		    path, P12_MAX_BYTES);
		goto out;
	}
	if ((buf = tb_secmem_new((size_t)st.st_size, map_len)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "%s: no memory for the container", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = tb_error_set(err, TB_ERR_IO, "%s: %s", path,
			    n < 0 ? strerror(errno) : "shorter than its size");
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	r = 0;
out:
	tb_secmem_free(buf, *map_len);
	close(fd);
	return r;
}

/* Why a container that holds no GOST 2015 key is not taken, for the operator. */
static int
not_gost(const tb_key_conf *kc, const unsigned char *der, size_t len, const char *pw,
    const char *why, tb_error *err)
{
	tb_p12 *box = NULL;
	char oid[80];
	int rsa;

	oid[0] = '\0';
	if (tb_p12_read(der, len, pw, &box, NULL) == 0)
		tb_p12_key_oid(box, oid, sizeof(oid));
	tb_p12_free(box);
	rsa = strcmp(oid, "1.2.840.113549.1.1.1") == 0;
	if (rsa || strcmp(oid, "1.2.840.10045.2.1") == 0)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "key %s: %s holds an %s key: file "
		    "keys are GOST 2015 only; put it on the token with `tanba-admin key import "
		    "--p12 %s` and name it with uri", kc->name, kc->p12, rsa ? "RSA" : "EC",
		    kc->p12);
	return tb_error_set(err, TB_ERR_UNSUPPORTED, "key %s: %s: %s", kc->name, kc->p12, why);
}

static int
md_nid_of(const tb_gost_sig_info *gi)
{
	if (strcmp(gi->name, "gost2015-512") == 0)
		return NID_id_GostR3411_2012_512;
	if (strcmp(gi->name, "gost2015-256") == 0)
		return NID_id_GostR3411_2012_256;
	return NID_undef;
}

void
tb_filekey_secure_heap(void)
{
	if (!CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_init(SECURE_HEAP_BYTES, 32) == 0)
		tb_warn_f(TB_ERR_NOMEM, "no secure heap: a file key's scalar would be in the "
		    "ordinary heap (still undumpable)");
}

int
tb_filekey_open(const tb_key_conf *kc, tb_filekey **out, tb_error *err)
{
	unsigned char *der = NULL, *pw = NULL;
	size_t der_len = 0, der_map = 0, pw_map = 0, pw_len = 0;
	tb_filekey *fk = NULL;
	tb_error e;
	int fd = -1, r;

	if ((fk = calloc(1, sizeof(*fk))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "key %s", kc->name);
	if ((r = tb_gost_engine_ready(&e)) != 0) {
		r = tb_error_set(err, r, "key %s: %s", kc->name, e.detail);
		goto out;
	}
	if ((pw = tb_secmem_new(PASSWORD_MAX, &pw_map)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "key %s: no memory for the password", kc->name);
		goto out;
	}
	if ((r = tb_secret_open(kc->p12_password_file, &fd, &e)) != 0 ||
	    (r = tb_secret_read(fd, (char *)pw, PASSWORD_MAX, &pw_len, &e)) != 0) {
		r = tb_error_set(err, r, "key %s: p12_password_file: %s", kc->name, e.detail);
		goto out;
	}
	if ((r = container_read(kc->p12, &der, &der_len, &der_map, &e)) != 0) {
		r = tb_error_set(err, r, "key %s: p12: %s", kc->name, e.detail);
		goto out;
	}
	r = tb_gost_key_load_p12_mem(der, der_len, (const char *)pw, &fk->key, &e);
	if (r == TB_ERR_UNSUPPORTED) {
		r = not_gost(kc, der, der_len, (const char *)pw, e.detail, err);
		goto out;
	}
	if (r == TB_ERR_PIN_INCORRECT) {
		r = tb_error_set(err, r, "key %s: %s: wrong password (from %s); not retried",
		    kc->name, kc->p12, kc->p12_password_file);
		goto out;
	}
	if (r != 0) {
		r = tb_error_set(err, r, "key %s: %s: %s", kc->name, kc->p12, e.detail);
		goto out;
	}
	if ((fk->md_nid = md_nid_of(tb_gost_key_info(fk->key))) == NID_undef) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "key %s: %s: a %s key is not taken",
		    kc->name, kc->p12, tb_gost_key_info(fk->key)->name);
		goto out;
	}
	if ((r = tb_cms_gost_ess_attr(tb_gost_key_cert(fk->key), &fk->ess, &fk->ess_len,
	    &e)) != 0) {
		r = tb_error_set(err, r, "key %s: %s: signingCertificateV2: %s", kc->name,
		    kc->p12, e.detail);
		goto out;
	}
	tb_info_f("key %s: %s file key from %s; %zu bytes of the secure heap in use",
	    kc->name, tb_gost_key_info(fk->key)->name, kc->p12, CRYPTO_secure_used());
	*out = fk;
	fk = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	tb_secmem_free(pw, pw_map);
	tb_secmem_free(der, der_map);
	tb_filekey_free(fk);
	return r;
}

void
tb_filekey_free(tb_filekey *fk)
{
	if (fk == NULL)
		return;
	tb_gost_key_free(fk->key);
	OPENSSL_free(fk->ess);
	free(fk);
}

X509 *
tb_filekey_cert(const tb_filekey *fk)
{
	return tb_gost_key_cert(fk->key);
}

STACK_OF(X509) *
tb_filekey_chain(const tb_filekey *fk)
{
	return tb_gost_key_chain(fk->key);
}

const char *
tb_filekey_alg(const tb_filekey *fk)
{
	return tb_gost_key_info(fk->key)->name;
}

int
tb_filekey_md_nid(const tb_filekey *fk)
{
	return fk->md_nid;
}

size_t
tb_filekey_md_len(const tb_filekey *fk)
{
	return tb_gost_key_info(fk->key)->hash_len;
}

const char *
tb_filekey_md_name(int md_nid)
{
	switch (md_nid) {
	case NID_id_GostR3411_2012_512: return "streebog512";
	case NID_id_GostR3411_2012_256: return "streebog256";
	default: return NULL;
	}
}

/* The key's Streebog and its length, or why not. */
static int
md_fits(const tb_filekey *fk, int md_nid, size_t md_len, tb_error *err)
{
	const tb_gost_sig_info *gi = tb_gost_key_info(fk->key);

	if (md_nid != fk->md_nid || md_len != gi->hash_len)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest: a %s key signs a %zu-byte "
		    "%s digest, not algorithm %d with %zu bytes", gi->name, gi->hash_len,
		    tb_filekey_md_name(fk->md_nid), md_nid, md_len);
	return 0;
}

int
tb_filekey_digest(tb_filekey *fk, const unsigned char *data, size_t len, unsigned char *h,
    unsigned int *h_len, tb_error *err)
{
	return tb_gost_digest_oid(tb_gost_key_info(fk->key)->hash_oid, data, len, h, h_len, err);
}

int
tb_filekey_sign_bytes(tb_filekey *fk, const unsigned char *data, size_t len, unsigned char *h,
    unsigned int *h_len, unsigned char *sig, size_t *sig_len, tb_error *err)
{
	int r;

	if ((r = tb_filekey_digest(fk, data, len, h, h_len, err)) != 0)
		return r;
	return tb_gost_key_sign(fk->key, h, *h_len, sig, sig_len, err);
}

int
tb_filekey_sign(tb_filekey *fk, int md_nid, const unsigned char *md, size_t md_len,
    time_t signing_time, unsigned char **attrs, size_t *attrs_len, unsigned char *h,
    unsigned int *h_len, unsigned char *sig, size_t *sig_len, tb_error *err)
{
	unsigned char *a = NULL;
	size_t a_len = 0;
	int r;

	if ((r = md_fits(fk, md_nid, md_len, err)) != 0 ||
	    (r = tb_cms_gost_signed_attrs(tb_gost_key_cert(fk->key), fk->ess, fk->ess_len, md,
	    md_len, signing_time, &a, &a_len, err)) != 0)
		return r;
	if ((r = tb_filekey_sign_bytes(fk, a, a_len, h, h_len, sig, sig_len, err)) != 0) {
		OPENSSL_free(a);
		return r;
	}
	*attrs = a;
	*attrs_len = a_len;
	return 0;
}
