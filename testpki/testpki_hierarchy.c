/*
 * The standard test hierarchy: a root, an issuing CA, good leaves of every
 * NCA profile and one leaf for each way a certificate can be wrong, with a
 * manifest that tests read instead of guessing. It makes keys for tests
 * only and never reuses a key between two certificates.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tb_clock.h"
#include "testpki.h"

#define DAY 86400L
#define YEAR (365L * DAY)

/* ---- DIR/testpki.cnf ---- */

int
tp_dir_conf_write(const char *dir, const tp_dir_conf *c, tb_error *err)
{
	char *path = tp_path(dir, "testpki.cnf");
	FILE *f;
	int bad;

	if (path == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "path");
	if ((f = fopen(path, "w")) == NULL) {
		tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
		free(path);
		return TB_ERR_IO;
	}
	bad = fprintf(f, "ocsp_url=%s\ncrl_url=%s\ndelta_url=%s\nleaf_alg=%s\n",
	    c->ocsp_url, c->crl_url, c->delta_url, c->leaf_alg) < 0;
	if (fclose(f) != 0 || bad) {
		tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
		free(path);
		return TB_ERR_IO;
	}
	free(path);
	return 0;
}

int
tp_dir_conf_read(const char *dir, tp_dir_conf *c, tb_error *err)
{
	char *path = tp_path(dir, "testpki.cnf"), line[600], *eq;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "path");
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strcmp(line, "ocsp_url") == 0)
			snprintf(c->ocsp_url, sizeof(c->ocsp_url), "%s", eq);
		else if (strcmp(line, "crl_url") == 0)
			snprintf(c->crl_url, sizeof(c->crl_url), "%s", eq);
		else if (strcmp(line, "delta_url") == 0)
			snprintf(c->delta_url, sizeof(c->delta_url), "%s", eq);
		else if (strcmp(line, "leaf_alg") == 0)
			snprintf(c->leaf_alg, sizeof(c->leaf_alg), "%s", eq);
	}
	fclose(f);
	return 0;
}

/* ---- making the hierarchy ---- */

typedef struct hier {
	const tp_hier_opts *o;
	FILE *manifest;
	tp_index *index;	/* certificates the issuing CA issued */
	tp_index *root_index;	/* certificates the root issued */
	char last_serial[64];
} hier;

static int
manifest_line(hier *h, const char *name, X509 *cert, const tp_cert_req *req)
{
	char nb[24], na[24], *serial = tp_cert_serial_hex(cert);

	if (serial == NULL)
		return TB_ERR_NOMEM;
	tb_clock_format(req->not_before, nb, sizeof(nb));
	tb_clock_format(req->not_after, na, sizeof(na));
	fprintf(h->manifest, "%s serial=%s iin=%s bin=%s not_before=%s not_after=%s\n",
	    name, serial, req->iin ? req->iin : "-", req->bin ? req->bin : "-", nb, na);
	snprintf(h->last_serial, sizeof(h->last_serial), "%s", serial);
	free(serial);
	return 0;
}

/*
 * Makes a key of alg, a certificate for req from issuer (NULL: self-signed
 * by the new key), writes NAME.pem and NAME.key, records it in index (may
 * be NULL) and the manifest. *cert_out and *key_out, when not NULL,
 * receive the certificate and key.
 */
static int
make_one(hier *h, const char *name, const tp_alg *alg, tp_cert_req *req,
    const tp_issuer *issuer, tp_index *index, X509 **cert_out, EVP_PKEY **key_out,
    tb_error *err)
{
	int r = TB_ERR_NOMEM;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	tp_issuer self = { NULL, NULL, NULL };
	char file[128], *pc = NULL, *pk = NULL;

	if ((r = tp_alg_keygen(alg, &key, err)) != 0)
		goto out;
	req->pubkey = key;
	if (issuer == NULL) {
		self.key = key;
		self.alg = alg;
		issuer = &self;
	}
	if ((r = tp_cert_issue(req, issuer, &cert, err)) != 0)
		goto out;
	r = TB_ERR_NOMEM;
	snprintf(file, sizeof(file), "%s.pem", name);
	if ((pc = tp_path(h->o->out, file)) == NULL)
		goto out;
	snprintf(file, sizeof(file), "%s.key", name);
	if ((pk = tp_path(h->o->out, file)) == NULL)
		goto out;
	if ((r = tp_write_cert(pc, cert, err)) != 0 || (r = tp_write_key(pk, key, err)) != 0)
		goto out;
	if (index != NULL && (r = tp_index_add(index, cert, err)) != 0)
		goto out;
	if ((r = manifest_line(h, name, cert, req)) != 0)
		goto out;
	if (cert_out != NULL) {
		*cert_out = cert;
		cert = NULL;
	}
	if (key_out != NULL) {
		*key_out = key;
		key = NULL;
	}
	r = 0;
out:
	if (r == TB_ERR_NOMEM)
		tb_error_set(err, r, "%s", name);
	free(pc);
	free(pk);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

/*
 * The copy of good with one bit of its signature flipped. Its key is
 * individual-sign's: only the signature is wrong.
 */
static int
make_broken(hier *h, X509 *good, const tp_cert_req *req, tb_error *err)
{
	int r = TB_ERR_CRYPTO;
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *bad = NULL;
	char *path = NULL;
	int len;

	if ((len = i2d_X509(good, &der)) <= 0) {
		tb_error_set_ossl(err, r, "encode");
		goto out;
	}
	/* The signature BIT STRING is the last field of a Certificate. */
	der[len - 1] ^= 0x01;
	p = der;
	if ((bad = d2i_X509(NULL, &p, len)) == NULL) {
		tb_error_set_ossl(err, r, "decode");
		goto out;
	}
	if ((path = tp_path(h->o->out, "broken-sig.pem")) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "path");
		goto out;
	}
	if ((r = tp_write_cert(path, bad, err)) != 0 ||
	    (r = manifest_line(h, "broken-sig", bad, req)) != 0)
		goto out;
	r = 0;
out:
	free(path);
	X509_free(bad);
	OPENSSL_free(der);
	return r;
}

static int
copy_key(hier *h, const char *from, const char *to, tb_error *err)
{
	char *pf = tp_path(h->o->out, from), *pt = tp_path(h->o->out, to);
	EVP_PKEY *k = NULL;
	int r = TB_ERR_NOMEM;

	if (pf != NULL && pt != NULL && (r = tp_read_key(pf, &k, err)) == 0)
		r = tp_write_key(pt, k, err);
	EVP_PKEY_free(k);
	free(pf);
	free(pt);
	return r;
}

static int
write_serial(hier *h, tb_error *err)
{
	char *path = tp_path(h->o->out, "serial");
	FILE *f;
	int r = 0;

	if (path == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "path");
	if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", h->last_serial) < 0)
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
	if (f != NULL && fclose(f) != 0)
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
	free(path);
	return r;
}

int
tp_hierarchy_make(const tp_hier_opts *o, tb_error *err)
{
	int r = TB_ERR_NOMEM;
	hier h;
	time_t now = tb_clock_now();
	char iin[13], iin2[13], badiin[13], bin[13];
	char *p_manifest = NULL, *p_index = NULL, *p_rindex = NULL, *p_chain = NULL;
	tp_issuer root = { NULL, NULL, NULL }, ca = { NULL, NULL, NULL };
	tp_issuer other = { NULL, NULL, NULL };
	X509 *good = NULL;
	tp_cert_req rq, person, legal, employee;
	tp_dir_conf conf;

	memset(&h, 0, sizeof(h));
	h.o = o;
	if (mkdir(o->out, 0700) != 0 && errno != EEXIST) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", o->out, strerror(errno));
		goto out;
	}
	if ((p_manifest = tp_path(o->out, "manifest.txt")) == NULL ||
	    (p_index = tp_path(o->out, "index.txt")) == NULL ||
	    (p_rindex = tp_path(o->out, "root-index.txt")) == NULL ||
	    (p_chain = tp_path(o->out, "chain.pem")) == NULL)
		goto out;
	/* A new hierarchy starts new records. */
	(void)remove(p_index);
	(void)remove(p_rindex);
	{
		char *rel = tp_path(o->out, "released.txt"), *crls = tp_path(o->out, "crls.txt");

		if (rel != NULL)
			(void)remove(rel);
		if (crls != NULL)
			(void)remove(crls);
		free(rel);
		free(crls);
	}
	if ((r = tp_index_load(p_index, &h.index, err)) != 0 ||
	    (r = tp_index_load(p_rindex, &h.root_index, err)) != 0)
		goto out;
	if ((h.manifest = fopen(p_manifest, "w")) == NULL) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", p_manifest, strerror(errno));
		goto out;
	}
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.ocsp_url, sizeof(conf.ocsp_url), "%s", o->ocsp_url ? o->ocsp_url : "");
	snprintf(conf.crl_url, sizeof(conf.crl_url), "%s", o->crl_url ? o->crl_url : "");
	snprintf(conf.delta_url, sizeof(conf.delta_url), "%s", o->delta_url ? o->delta_url : "");
	snprintf(conf.leaf_alg, sizeof(conf.leaf_alg), "%s", o->leaf_alg->name);
	if ((r = tp_dir_conf_write(o->out, &conf, err)) != 0)
		goto out;

	if (tp_iin_make(TP_IIN_PREFIX, 1, iin) != 0 ||
	    tp_iin_make("85050240034", 1, iin2) != 0 ||
	    tp_iin_make(TP_IIN_PREFIX, 0, badiin) != 0 ||
	    tp_iin_make(TP_BIN_PREFIX, 1, bin) != 0) {
		r = tb_error_set(err, TB_ERR_INTERNAL, "IIN generation");
		goto out;
	}

	/* Root and issuing CA. */
	memset(&rq, 0, sizeof(rq));
	rq.profile = TP_PROF_ROOT;
	rq.cn = "ТАҢБА TEST ROOT CA";
	rq.org = "ТАҢБА";
	rq.not_before = now - DAY;
	rq.not_after = now + 20 * YEAR;
	if ((r = make_one(&h, "root", o->ca_alg, &rq, NULL, NULL, &root.cert, &root.key,
	    err)) != 0)
		goto out;
	root.alg = o->ca_alg;
	rq.profile = TP_PROF_CA;
	rq.cn = "ТАҢБА TEST ISSUING CA";
	rq.not_after = now + 10 * YEAR;
	if ((r = make_one(&h, "ca", o->ca_alg, &rq, &root, h.root_index, &ca.cert, &ca.key,
	    err)) != 0)
		goto out;
	ca.alg = o->ca_alg;
	if ((r = tp_write_cert(p_chain, ca.cert, err)) != 0 ||
	    (r = tp_append_cert(p_chain, root.cert, err)) != 0)
		goto out;
	/*
	 * A second, self-signed CA outside the hierarchy. It only has to be
	 * refused, so it takes the (faster) leaf algorithm.
	 */
	rq.profile = TP_PROF_ROOT;
	rq.cn = "ТАҢБА OTHER CA";
	if ((r = make_one(&h, "other-ca", o->leaf_alg, &rq, NULL, NULL, &other.cert,
	    &other.key, err)) != 0)
		goto out;
	other.alg = o->leaf_alg;

	/* The test persons. */
	memset(&person, 0, sizeof(person));
	person.profile = TP_PROF_INDIVIDUAL_SIGN;
	person.cn = TP_DEFAULT_SURNAME " " TP_DEFAULT_NAME;
	person.surname = TP_DEFAULT_SURNAME;
	person.given = TP_DEFAULT_PATRONYMIC;
	person.iin = iin;
	person.not_before = now - DAY;
	person.not_after = now + YEAR;
	person.ocsp_url = o->ocsp_url;
	person.crl_url = o->crl_url;
	person.delta_url = o->delta_url;
	legal = person;
	legal.profile = TP_PROF_LEGAL_SIGN;
	legal.bin = bin;
	legal.org = TP_DEFAULT_ORG;
	employee = legal;
	employee.profile = TP_PROF_LEGAL_EMPLOYEE;
	employee.cn = "СЕРІКОВА АЙГҮЛ";
	employee.surname = "СЕРІКОВА";
	employee.given = "МАРАТҚЫЗЫ";
	employee.iin = iin2;

	rq = person;
	if ((r = make_one(&h, "individual-sign", o->leaf_alg, &rq, &ca, h.index, &good, NULL,
	    err)) != 0 ||
	    (r = make_broken(&h, good, &rq, err)) != 0 ||
	    (r = copy_key(&h, "individual-sign.key", "broken-sig.key", err)) != 0)
		goto out;
	rq = person;
	rq.profile = TP_PROF_INDIVIDUAL_AUTH;
	if ((r = make_one(&h, "individual-auth", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = legal;
	if ((r = make_one(&h, "legal-sign", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = employee;
	if ((r = make_one(&h, "legal-employee", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = person;
	rq.not_before = now - 2 * YEAR;
	rq.not_after = now - DAY;
	if ((r = make_one(&h, "expired", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = person;
	rq.not_before = now + YEAR;
	rq.not_after = now + 2 * YEAR;
	if ((r = make_one(&h, "notyet", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = person;
	rq.ku = "critical,keyEncipherment";
	if ((r = make_one(&h, "wrong-ku", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	/* An individual (no O, no BIN) claiming the legal-entity employee role. */
	rq = person;
	rq.role_oid = "1.2.398.3.3.4.1.2.5";
	if ((r = make_one(&h, "wrong-role", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = person;
	rq.iin = badiin;
	if ((r = make_one(&h, "wrong-iin", o->leaf_alg, &rq, &ca, h.index, NULL, NULL,
	    err)) != 0)
		goto out;
	rq = person;
	if ((r = make_one(&h, "unknown-issuer", o->leaf_alg, &rq, &other, NULL, NULL, NULL,
	    err)) != 0)
		goto out;
	memset(&rq, 0, sizeof(rq));
	rq.profile = TP_PROF_OCSP;
	rq.cn = "ТАҢБА TEST OCSP RESPONDER";
	rq.not_before = now - DAY;
	rq.not_after = now + YEAR;
	if ((r = make_one(&h, "ocsp", o->leaf_alg, &rq, &ca, h.index, NULL, NULL, err)) != 0)
		goto out;

	if ((r = tp_index_save(h.index, err)) != 0 ||
	    (r = tp_index_save(h.root_index, err)) != 0 ||
	    (r = write_serial(&h, err)) != 0)
		goto out;
	if (fclose(h.manifest) != 0) {
		h.manifest = NULL;
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", p_manifest);
		goto out;
	}
	h.manifest = NULL;
	r = 0;
out:
	if (r == TB_ERR_NOMEM)
		tb_error_set(err, r, "hierarchy");
	if (h.manifest != NULL)
		fclose(h.manifest);
	tp_index_free(h.index);
	tp_index_free(h.root_index);
	tp_issuer_clear(&root);
	tp_issuer_clear(&ca);
	tp_issuer_clear(&other);
	X509_free(good);
	free(p_manifest);
	free(p_index);
	free(p_rindex);
	free(p_chain);
	return r;
}
