/*
 * The trust store: configured anchors and untrusted intermediates, read
 * from files or directories once and shared read-only by every thread
 * afterwards. Only an anchor ends a path (x509_path.c); a certificate
 * never becomes one because a signer sent it.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert_read.h"
#include "trust_int.h"
#include "trust_store.h"

tb_trust *
tb_trust_new(void)
{
	tb_trust *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->anchors = sk_X509_new_null();
	t->untrusted = sk_X509_new_null();
	if (t->anchors == NULL || t->untrusted == NULL) {
		tb_trust_free(t);
		return NULL;
	}
	return t;
}

void
tb_trust_free(tb_trust *t)
{
	if (t == NULL)
		return;
	sk_X509_pop_free(t->anchors, X509_free);
	sk_X509_pop_free(t->untrusted, X509_free);
	free(t);
}

size_t
tb_trust_anchor_count(const tb_trust *t)
{
	return t == NULL ? 0 : (size_t)sk_X509_num(t->anchors);
}

int
tb_trust_certs(const tb_trust *t, STACK_OF(X509) **out, tb_error *err)
{
	STACK_OF(X509) *all = sk_X509_new_null();
	STACK_OF(X509) *from[2] = { t->anchors, t->untrusted };
	int i, k;

	for (k = 0; all != NULL && k < 2; k++)
		for (i = 0; i < sk_X509_num(from[k]); i++) {
			X509 *x = sk_X509_value(from[k], i);

			if (!X509_up_ref(x) || !sk_X509_push(all, x)) {
				sk_X509_pop_free(all, X509_free);
				all = NULL;
				break;
			}
		}
	if (all == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "trust store");
	*out = all;
	return 0;
}

static int
stack_add(STACK_OF(X509) *sk, X509 *x, tb_error *err)
{
	/* Computes OpenSSL's cached extension data now, so later readers in
	 * several threads never write to a shared certificate. */
	X509_check_purpose(x, -1, 0);
	if (!X509_up_ref(x))
		return tb_error_set_ossl(err, TB_ERR_INTERNAL, "X509_up_ref");
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return tb_error_set(err, TB_ERR_NOMEM, "adding a certificate");
	}
	return 0;
}

int
tb_trust_add_anchor(tb_trust *t, X509 *x, tb_error *err)
{
	return stack_add(t->anchors, x, err);
}

int
tb_trust_add_untrusted(tb_trust *t, X509 *x, tb_error *err)
{
	return stack_add(t->untrusted, x, err);
}

/* Adds the certificates of a file, or of every file in a directory. */
static int
load_into(STACK_OF(X509) *dst, const char *path, tb_error *err)
{
	int r = TB_ERR_INTERNAL, i;
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	char sub[4096];
	STACK_OF(X509) *sk = NULL;

	if (stat(path, &st) != 0) {
		r = tb_error_set(err, TB_ERR_IO, "%s: cannot be read", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if ((d = opendir(path)) == NULL) {
			r = tb_error_set(err, TB_ERR_IO, "%s: cannot open directory", path);
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			if (stat(sub, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if ((r = load_into(dst, sub, err)) != 0)
				goto out;
		}
		r = 0;
		goto out;
	}
	if ((r = tb_certs_read_file(path, &sk, err)) != 0)
		goto out;
	for (i = 0; i < sk_X509_num(sk); i++)
		if ((r = stack_add(dst, sk_X509_value(sk, i), err)) != 0)
			goto out;
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

int
tb_trust_load_anchors(tb_trust *t, const char *path, tb_error *err)
{
	return load_into(t->anchors, path, err);
}

int
tb_trust_load_untrusted(tb_trust *t, const char *path, tb_error *err)
{
	return load_into(t->untrusted, path, err);
}
