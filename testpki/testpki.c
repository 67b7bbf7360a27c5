/*
 * tanba-testpki: command line of the test PKI (hierarchy, issue, revoke,
 * crl, cms, ocsp-respond). It parses options and hands the work to the other testpki_*.c
 * files; it holds no PKI logic itself. Test use only: keys are written
 * unencrypted.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cert_read.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "tb_log.h"
#include "testpki.h"

#define DAY 86400L
#define MAX_RANDOM 10000000UL

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tanba-testpki hierarchy --out DIR [--ca-alg A] [--leaf-alg A]\n"
	    "           [--ocsp-url URL] [--crl-url URL] [--delta-url URL] [--at T]\n"
	    "       tanba-testpki issue --dir DIR (--pubkey PEM | --key PEM | --csr PEM)\n"
	    "           --profile individual-sign|individual-auth|legal-sign|legal-employee|ocsp|tsa|ca\n"
	    "           --out CERT.pem [--cn TEXT] [--iin N] [--bin N] [--org TEXT]\n"
	    "           [--not-before T] [--not-after T | --days N] [--issuer-name ca|root] [--at T]\n"
	    "           [--policies OID,...] [--policy-mappings ISSUER:SUBJECT,...]\n"
	    "           [--self-signed | --issuer-cert CERT --issuer-key KEY] [--quirk Q]...\n"
	    "           [--crl-issuer ca|root]\n"
	    "       tanba-testpki revoke --dir DIR --cert CERT.pem [--reason R] [--at T]\n"
	    "       tanba-testpki crl --dir DIR --out FILE.crl [--der|--pem] [--number N]\n"
	    "           [--this-update T] [--next-update T | --hours H] [--revoked-random N]\n"
	    "           [--delta --base-number K [--since T]] [--issuer-key KEY --issuer-cert CERT]\n"
	    "           [--issuer-name ca|root] [--at T] [--idp-uri URL] [--only-user|--only-ca|\n"
	    "           --only-attr] [--only-reasons R,R...] [--indirect [--entries-of ca|root]]\n"
	    "           [--no-number | --number-critical]\n"
	    "       tanba-testpki cms --cert C.pem --key K.key --in FILE --out OUT.p7s [--detached]\n"
	    "           (--tst-query Q.tsq instead of --in: a TimeStampResp over a TSTInfo)\n"
	    "           [--digest-alg D] [--no-attrs] [--add-signer C2.pem K2.key ...] [--at T]\n"
	    "       tanba-testpki p12 --cert C.pem --key K.key [--chain F.pem] --password-file F\n"
	    "           --out OUT.p12   (the NCA's container layout; GOST keys under Kazakh OIDs)\n"
	    "       tanba-testpki ocsp-respond --dir DIR --port N [--port-file F]\n"
	    "           [--rsigner ocsp.pem --rkey ocsp.key] [--max-requests N] [--max-seconds S]\n"
	    "           [--valid-minutes M] [--at T]\n"
	    "algorithms: %s; digests: %s; times: YYYY-MM-DDTHH:MM:SSZ\nquirks: %s\n",
	    tp_alg_names(), tp_digest_names(), tp_quirk_names());
}

static int
parse_time(const char *opt, const char *s, time_t *out)
{
	if (tb_clock_parse(s, out) != 0) {
		fprintf(stderr, "tanba-testpki: %s: not a time (YYYY-MM-DDTHH:MM:SSZ): %s\n",
		    opt, s);
		return TB_ERR_INVALID_ARG;
	}
	return 0;
}

static int
parse_ulong(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v > max) {
		fprintf(stderr, "tanba-testpki: %s: not a number up to %lu: %s\n", opt, max, s);
		return TB_ERR_INVALID_ARG;
	}
	*out = v;
	return 0;
}

/* --at T sets the one clock for everything that follows. */
static int
set_at(const char *s)
{
	time_t t;

	if (parse_time("--at", s, &t) != 0)
		return TB_ERR_INVALID_ARG;
	tb_clock_set(t);
	return 0;
}

/*
 * getopt_long with what every subcommand shares: --at (option 'a') sets
 * the one clock at once, and an unknown option prints the usage. The
 * option's character; -1 at the end; '?' on an error, already reported.
 */
static int
next_opt(int argc, char **argv, const char *shortopts, const struct option *opts)
{
	int ch;

	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) == 'a')
		if (set_at(optarg) != 0)
			return '?';
	if (ch == '?')
		usage();
	return ch;
}

/* The index of the CA issuer_name names, in dir: index.txt, or root-index.txt. */
static char *
index_path(const char *dir, const char *issuer_name)
{
	return tp_path(dir, strcmp(issuer_name, "root") == 0 ? "root-index.txt" : "index.txt");
}

/* --issuer-name names one of the two CAs a test PKI directory holds. */
static int
issuer_name_check(const char *issuer_name, tb_error *err)
{
	if (strcmp(issuer_name, "ca") != 0 && strcmp(issuer_name, "root") != 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "--issuer-name is ca or root");
	return 0;
}

static int
twelve_digits(const char *opt, const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (i != 12 || s[i] != '\0') {
		fprintf(stderr, "tanba-testpki: %s: 12 digits expected: %s\n", opt, s);
		return TB_ERR_INVALID_ARG;
	}
	return 0;
}

/* ---- hierarchy ---- */

static int
cmd_hierarchy(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "ca-alg", required_argument, NULL, 'c' },
		{ "leaf-alg", required_argument, NULL, 'l' },
		{ "ocsp-url", required_argument, NULL, 'O' },
		{ "crl-url", required_argument, NULL, 'C' },
		{ "delta-url", required_argument, NULL, 'D' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	tp_hier_opts o;
	int ch;

	memset(&o, 0, sizeof(o));
	o.ca_alg = tp_alg_by_name("rsa4096");
	o.leaf_alg = tp_alg_by_name("rsa2048");
	while ((ch = next_opt(argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'o': o.out = optarg; break;
		case 'c':
		case 'l':
			if (tp_alg_by_name(optarg) == NULL)
				return tb_error_set(err, TB_ERR_INVALID_ARG,
				    "unknown algorithm %s (%s)", optarg, tp_alg_names());
			if (ch == 'c')
				o.ca_alg = tp_alg_by_name(optarg);
			else
				o.leaf_alg = tp_alg_by_name(optarg);
			break;
		case 'O': o.ocsp_url = optarg; break;
		case 'C': o.crl_url = optarg; break;
		case 'D': o.delta_url = optarg; break;
		default: return TB_ERR_INVALID_ARG;
		}
	}
	if (o.out == NULL || optind != argc) {
		usage();
		return TB_ERR_INVALID_ARG;
	}
	return tp_hierarchy_make(&o, err);
}

/* ---- issue ---- */

/* One read of a public key (or CSR) from b; NULL when OpenSSL cannot. */
static EVP_PKEY *
read_pub(BIO *b, int is_csr, X509_REQ **req)
{
	if (!is_csr)
		return PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if ((*req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)) == NULL)
		return NULL;
	return X509_REQ_get_pubkey(*req);
}

static int
load_pubkey(const char *pubkey, const char *key, const char *csr, EVP_PKEY **out,
    tb_error *err)
{
	BIO *b = NULL;
	EVP_PKEY *k = NULL;
	X509_REQ *req = NULL;
	const char *path = pubkey ? pubkey : key ? key : csr;
	int r = TB_ERR_MALFORMED;

	if ((pubkey != NULL) + (key != NULL) + (csr != NULL) != 1)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "give exactly one of --pubkey, --key, --csr");
	if (key != NULL)
		return tp_read_key(key, out, err);
	if ((b = BIO_new_file(path, "r")) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_IO, "%s: open", path);
		goto out;
	}
	if ((k = read_pub(b, csr != NULL, &req)) == NULL) {
		/* A GOST key (Russian OIDs) is readable once the engine is loaded. */
		X509_REQ_free(req);
		req = NULL;
		ERR_clear_error();
		if (tp_gost_load(NULL) == 0 && BIO_reset(b) == 0)
			k = read_pub(b, csr != NULL, &req);
	}
	/* PKCS#10 4.2: the request proves possession of its key. */
	if (k != NULL && req != NULL && X509_REQ_verify(req, k) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "%s: bad CSR signature", path);
		goto out;
	}
	if (k == NULL) {
		tb_error_set_ossl(err, r, "%s: no key found", path);
		goto out;
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	EVP_PKEY_free(k);
	X509_REQ_free(req);
	BIO_free(b);
	return r;
}

/* Records cert in DIR's index for issuer (index.txt or root-index.txt). */
static int
record_issued(const char *dir, const char *issuer_name, X509 *cert, tb_error *err)
{
	char *path = index_path(dir, issuer_name);
	char *spath = tp_path(dir, "serial"), *serial = tp_cert_serial_hex(cert);
	tp_index *ix = NULL;
	FILE *f;
	int r = TB_ERR_NOMEM;

	if (path == NULL || spath == NULL || serial == NULL)
		goto out;
	if ((r = tp_index_load(path, &ix, err)) != 0 ||
	    (r = tp_index_add(ix, cert, err)) != 0 ||
	    (r = tp_index_save(ix, err)) != 0)
		goto out;
	if ((f = fopen(spath, "w")) == NULL) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", spath, strerror(errno));
		goto out;
	}
	fprintf(f, "%s\n", serial);
	if (fclose(f) != 0) {
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", spath);
		goto out;
	}
	r = 0;
out:
	if (r == TB_ERR_NOMEM)
		tb_error_set(err, r, "record");
	tp_index_free(ix);
	free(path);
	free(spath);
	free(serial);
	return r;
}

static int
cmd_issue(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "pubkey", required_argument, NULL, 'P' },
		{ "key", required_argument, NULL, 'k' },
		{ "csr", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "cn", required_argument, NULL, 'n' },
		{ "iin", required_argument, NULL, 'i' },
		{ "bin", required_argument, NULL, 'b' },
		{ "org", required_argument, NULL, 'g' },
		{ "not-before", required_argument, NULL, 'B' },
		{ "not-after", required_argument, NULL, 'A' },
		{ "days", required_argument, NULL, 'y' },
		{ "issuer-name", required_argument, NULL, 'I' },
		{ "at", required_argument, NULL, 'a' },
		{ "policies", required_argument, NULL, 'L' },
		{ "policy-mappings", required_argument, NULL, 'M' },
		{ "quirk", required_argument, NULL, 'Q' },
		{ "self-signed", no_argument, NULL, 'S' },
		{ "issuer-cert", required_argument, NULL, 'C' },
		{ "issuer-key", required_argument, NULL, 'K' },
		{ "crl-issuer", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 }
	};
	const char *crl_issuer = NULL;
	tp_issuer cissuer = { NULL, NULL, NULL };
	const char *dir = NULL, *pubkey = NULL, *key = NULL, *csr = NULL, *profile = NULL;
	const char *out = NULL, *cn = NULL, *iin = NULL, *bin = NULL, *org = NULL;
	const char *nb = NULL, *na = NULL, *issuer_name = "ca", *icert = NULL, *ikey = NULL;
	unsigned long days = 365;
	unsigned bit;
	int self_signed = 0;
	char def_iin[13], def_bin[13], surname[256], *sp;
	tp_issuer issuer = { NULL, NULL, NULL };
	tp_cert_req rq;
	tp_dir_conf conf;
	X509 *cert = NULL;
	int ch, r = TB_ERR_INVALID_ARG;
	time_t now;

	memset(&rq, 0, sizeof(rq));
	while ((ch = next_opt(argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'P': pubkey = optarg; break;
		case 'k': key = optarg; break;
		case 'r': csr = optarg; break;
		case 'p': profile = optarg; break;
		case 'o': out = optarg; break;
		case 'n': cn = optarg; break;
		case 'i': iin = optarg; break;
		case 'b': bin = optarg; break;
		case 'g': org = optarg; break;
		case 'B': nb = optarg; break;
		case 'A': na = optarg; break;
		case 'y':
			if (parse_ulong("--days", optarg, 36500, &days) != 0)
				goto out;
			break;
		case 'I': issuer_name = optarg; break;
		case 'L': rq.policies = optarg; break;
		case 'M': rq.policy_mappings = optarg; break;
		case 'Q':
			if (tp_quirk_parse(optarg, &bit) != 0) {
				r = tb_error_set(err, TB_ERR_INVALID_ARG, "--quirk: one of %s",
				    tp_quirk_names());
				goto out;
			}
			rq.quirks |= bit;
			break;
		case 'S': self_signed = 1; break;
		case 'C': icert = optarg; break;
		case 'K': ikey = optarg; break;
		case 'X': crl_issuer = optarg; break;
		default: goto out;
		}
	}
	if (dir == NULL || profile == NULL || out == NULL || optind != argc ||
	    (self_signed && (key == NULL || icert != NULL)) || (icert == NULL) != (ikey == NULL)) {
		usage();
		goto out;
	}
	/* A root only as its own issuer. */
	if (tp_profile_parse(profile, &rq.profile) != 0 ||
	    (rq.profile == TP_PROF_ROOT && !self_signed)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "unknown profile %s", profile);
		goto out;
	}
	if (issuer_name_check(issuer_name, err) != 0)
		goto out;
	if ((iin != NULL && twelve_digits("--iin", iin) != 0) ||
	    (bin != NULL && twelve_digits("--bin", bin) != 0))
		goto out;
	now = tb_clock_now();
	rq.not_before = now - DAY;
	if ((nb != NULL && parse_time("--not-before", nb, &rq.not_before) != 0) ||
	    (na != NULL && parse_time("--not-after", na, &rq.not_after) != 0))
		goto out;
	if (na == NULL)
		rq.not_after = (nb != NULL ? rq.not_before : now) + (time_t)days * DAY;
	if ((r = tp_dir_conf_read(dir, &conf, err)) != 0 ||
	    (r = load_pubkey(pubkey, key, csr, &rq.pubkey, err)) != 0)
		goto out;
	/* The signer: the directory's CA, another CA's files, or the key itself. */
	if (self_signed || icert != NULL) {
		if ((icert != NULL && (r = tb_cert_read_file(icert, &issuer.cert, err)) != 0) ||
		    (r = tp_read_key(self_signed ? key : ikey, &issuer.key, err)) != 0)
			goto out;
		if ((issuer.alg = tp_alg_for_key(issuer.key)) == NULL) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED, "no signer for this key type");
			goto out;
		}
	} else if ((r = tp_issuer_load(dir, issuer_name, &issuer, err)) != 0)
		goto out;
	rq.ocsp_url = conf.ocsp_url;
	rq.crl_url = conf.crl_url;
	rq.delta_url = conf.delta_url;
	if (crl_issuer != NULL) {
		if ((r = issuer_name_check(crl_issuer, err)) != 0 ||
		    (r = tp_issuer_load(dir, crl_issuer, &cissuer, err)) != 0)
			goto out;
		rq.crl_issuer = X509_get_subject_name(cissuer.cert);
	}

	/* Subject: the default test person unless told otherwise. */
	switch (rq.profile) {
	case TP_PROF_INDIVIDUAL_SIGN:
	case TP_PROF_INDIVIDUAL_AUTH:
	case TP_PROF_LEGAL_SIGN:
	case TP_PROF_LEGAL_EMPLOYEE:
		if (cn != NULL) {
			snprintf(surname, sizeof(surname), "%s", cn);
			if ((sp = strchr(surname, ' ')) != NULL)
				*sp = '\0';
			rq.cn = cn;
			rq.surname = surname;
		} else {
			rq.cn = TP_DEFAULT_SURNAME " " TP_DEFAULT_NAME;
			rq.surname = TP_DEFAULT_SURNAME;
			rq.given = TP_DEFAULT_PATRONYMIC;
		}
		if (iin == NULL && tp_iin_make(TP_IIN_PREFIX, 1, def_iin) == 0)
			iin = def_iin;
		rq.iin = iin;
		if (rq.profile == TP_PROF_LEGAL_SIGN || rq.profile == TP_PROF_LEGAL_EMPLOYEE) {
			if (bin == NULL && tp_iin_make(TP_BIN_PREFIX, 1, def_bin) == 0)
				bin = def_bin;
			rq.bin = bin;
			rq.org = org != NULL ? org : TP_DEFAULT_ORG;
		} else {
			rq.bin = bin;
			rq.org = org;
		}
		break;
	default:
		rq.cn = cn != NULL ? cn : rq.profile == TP_PROF_OCSP ?
		    "ТАҢБА TEST OCSP RESPONDER" : rq.profile == TP_PROF_TSA ?
		    "ТАҢБА TEST TSA" : "ТАҢБА TEST SUB CA";
		rq.iin = iin;
		rq.bin = bin;
		rq.org = org;
		break;
	}
	/* Only what the directory's CAs issue goes into their index. */
	if ((r = tp_cert_issue(&rq, &issuer, &cert, err)) != 0 ||
	    (r = tp_write_cert(out, cert, err)) != 0 ||
	    (!self_signed && icert == NULL && (r = record_issued(dir, issuer_name, cert, err)) != 0))
		goto out;
	r = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(rq.pubkey);
	tp_issuer_clear(&issuer);
	tp_issuer_clear(&cissuer);
	return r;
}

/* ---- revoke ---- */

static int
cmd_revoke(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "cert", required_argument, NULL, 'c' },
		{ "reason", required_argument, NULL, 'r' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *certpath = NULL;
	char *path = NULL, *serial = NULL;
	int ch, reason = TP_REASON_NONE, r = TB_ERR_INVALID_ARG;
	tp_index *ix = NULL;
	X509 *cert = NULL;

	while ((ch = next_opt(argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'c': certpath = optarg; break;
		case 'r':
			if (tp_reason_parse(optarg, &reason) != 0) {
				r = tb_error_set(err, TB_ERR_INVALID_ARG, "unknown reason %s",
				    optarg);
				goto out;
			}
			break;
		default: goto out;
		}
	}
	if (dir == NULL || certpath == NULL || optind != argc) {
		usage();
		goto out;
	}
	if ((r = tb_cert_read_file(certpath, &cert, err)) != 0)
		goto out;
	if ((serial = tp_cert_serial_hex(cert)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "serial");
		goto out;
	}
	/* The issuing CA's index first, then the root's. */
	if ((path = index_path(dir, "ca")) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "path");
		goto out;
	}
	if ((r = tp_index_load(path, &ix, err)) != 0)
		goto out;
	if (tp_index_find(ix, serial) == NULL) {
		tp_index_free(ix);
		ix = NULL;
		free(path);
		if ((path = index_path(dir, "root")) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "path");
			goto out;
		}
		if ((r = tp_index_load(path, &ix, err)) != 0)
			goto out;
	}
	if ((r = tp_index_revoke(ix, serial, reason, tb_clock_now(), err)) != 0 ||
	    (r = tp_index_save(ix, err)) != 0)
		goto out;
	r = 0;
out:
	tp_index_free(ix);
	X509_free(cert);
	free(path);
	free(serial);
	return r;
}

/* ---- crl ---- */

/*
 * DIR/crls.txt lists every CRL made ("number full|delta thisUpdate"): the
 * next crlNumber follows the largest, and a delta without --since starts
 * at its base CRL's thisUpdate.
 */
static int
crl_log_scan(const char *dir, unsigned long base, unsigned long *next, time_t *base_time)
{
	char *path = tp_path(dir, "crls.txt"), line[128], kind[16], when[32];
	unsigned long num, max = 0;
	FILE *f;

	*base_time = 0;
	if (path == NULL)
		return TB_ERR_NOMEM;
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "%lu %15s %31s", &num, kind, when) != 3)
				continue;
			if (num > max)
				max = num;
			if (num == base && strcmp(kind, "full") == 0)
				(void)tb_clock_parse(when, base_time);
		}
		fclose(f);
	}
	free(path);
	*next = max + 1;
	return 0;
}

static int
crl_log_add(const char *dir, unsigned long number, int delta, time_t this_update,
    tb_error *err)
{
	char *path = tp_path(dir, "crls.txt"), when[32];
	FILE *f;
	int r = 0;

	if (path == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "path");
	tb_clock_format(this_update, when, sizeof(when));
	if ((f = fopen(path, "a")) == NULL ||
	    fprintf(f, "%lu %s %s\n", number, delta ? "delta" : "full", when) < 0)
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
	if (f != NULL && fclose(f) != 0)
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", path);
	free(path);
	return r;
}

/*
 * "keyCompromise,cACompromise,..." into ReasonFlags bits (RFC 5280
 * 4.2.1.13: privilegeWithdrawn and aACompromise are bits 7 and 8, their
 * CRLReason codes 9 and 10).
 */
static int
crl_reasons_parse(const char *list, unsigned *mask, tb_error *err)
{
	char buf[256], *tok, *save = NULL;
	int code;

	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return tb_error_set(err, TB_ERR_INVALID_ARG, "--only-reasons too long");
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "privilegeWithdrawn") == 0)
			code = 9;
		else if (strcmp(tok, "aACompromise") == 0)
			code = 10;
		else if (tp_reason_parse(tok, &code) != 0 || code < 1 || code == 8)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "--only-reasons: %s", tok);
		*mask |= 1u << (code >= 9 ? code - 2 : code);
	}
	return 0;
}

static int
cmd_crl(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "der", no_argument, NULL, 'D' },
		{ "pem", no_argument, NULL, 'P' },
		{ "number", required_argument, NULL, 'n' },
		{ "this-update", required_argument, NULL, 't' },
		{ "next-update", required_argument, NULL, 'u' },
		{ "hours", required_argument, NULL, 'h' },
		{ "revoked-random", required_argument, NULL, 'R' },
		{ "delta", no_argument, NULL, 'e' },
		{ "base-number", required_argument, NULL, 'b' },
		{ "since", required_argument, NULL, 's' },
		{ "issuer-key", required_argument, NULL, 'k' },
		{ "issuer-cert", required_argument, NULL, 'c' },
		{ "issuer-name", required_argument, NULL, 'I' },
		{ "at", required_argument, NULL, 'a' },
		{ "idp-uri", required_argument, NULL, 'U' },
		{ "only-user", no_argument, NULL, '1' },
		{ "only-ca", no_argument, NULL, '2' },
		{ "only-attr", no_argument, NULL, '5' },
		{ "only-reasons", required_argument, NULL, '3' },
		{ "indirect", no_argument, NULL, '4' },
		{ "entries-of", required_argument, NULL, 'E' },
		{ "no-number", no_argument, NULL, 'N' },
		{ "number-critical", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = NULL, *out = NULL, *ikey = NULL, *icert = NULL;
	const char *issuer_name = "ca", *entries_of = NULL;
	tp_issuer other = { NULL, NULL, NULL };
	tp_index *other_ix = NULL;
	unsigned long hours = 24, v, next;
	int ch, r = TB_ERR_INVALID_ARG, have_number = 0, have_base = 0, have_since = 0;
	int have_next = 0;
	time_t base_time;
	tp_crl_req req;
	tp_issuer issuer = { NULL, NULL, NULL };
	tp_index *ix = NULL;
	tp_dir_conf conf;
	char *path = NULL;

	memset(&req, 0, sizeof(req));
	req.this_update = (time_t)-1;
	while ((ch = next_opt(argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'o': out = optarg; break;
		case 'D': req.pem = 0; break;
		case 'P': req.pem = 1; break;
		case 'n':
			if (parse_ulong("--number", optarg, ULONG_MAX, &req.number) != 0)
				goto out;
			have_number = 1;
			break;
		case 't':
			if (parse_time("--this-update", optarg, &req.this_update) != 0)
				goto out;
			break;
		case 'u':
			if (parse_time("--next-update", optarg, &req.next_update) != 0)
				goto out;
			have_next = 1;
			break;
		case 'h':
			if (parse_ulong("--hours", optarg, 24UL * 3650, &hours) != 0)
				goto out;
			break;
		case 'R':
			if (parse_ulong("--revoked-random", optarg, MAX_RANDOM, &v) != 0)
				goto out;
			req.random_n = v;
			break;
		case 'e': req.delta = 1; break;
		case 'b':
			if (parse_ulong("--base-number", optarg, ULONG_MAX, &req.base_number) != 0)
				goto out;
			have_base = 1;
			break;
		case 's':
			if (parse_time("--since", optarg, &req.since) != 0)
				goto out;
			have_since = 1;
			break;
		case 'k': ikey = optarg; break;
		case 'c': icert = optarg; break;
		case 'I': issuer_name = optarg; break;
		case 'U': req.idp_uri = optarg; break;
		case '1': req.only_user = 1; break;
		case '2': req.only_ca = 1; break;
		case '5': req.only_attr = 1; break;
		case '3':
			if (crl_reasons_parse(optarg, &req.only_reasons, err) != 0)
				goto out;
			break;
		case '4': req.indirect = 1; break;
		case 'E': entries_of = optarg; break;
		case 'N': req.no_number = 1; break;
		case 'X': req.number_critical = 1; break;
		default: goto out;
		}
	}
	if (dir == NULL || out == NULL || optind != argc || (ikey == NULL) != (icert == NULL)) {
		usage();
		goto out;
	}
	if (entries_of != NULL && (!req.indirect || issuer_name_check(entries_of, err) != 0)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "--entries-of ca|root goes with --indirect");
		goto out;
	}
	if (req.delta != have_base || (have_since && !req.delta)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG,
		    "--delta goes with --base-number (and --since only with --delta)");
		goto out;
	}
	if (issuer_name_check(issuer_name, err) != 0)
		goto out;
	if (req.this_update == (time_t)-1)
		req.this_update = tb_clock_now();
	if (!have_next)
		req.next_update = req.this_update + (time_t)hours * 3600;
	if (crl_log_scan(dir, req.base_number, &next, &base_time) != 0) {
		r = tb_error_set(err, TB_ERR_NOMEM, "crl log");
		goto out;
	}
	if (!have_number)
		req.number = next;
	if (req.delta && !have_since)
		req.since = base_time;

	/* Entries always come from DIR's records; the signer may be another CA. */
	if (ikey != NULL) {
		if ((r = tb_cert_read_file(icert, &issuer.cert, err)) != 0 ||
		    (r = tp_read_key(ikey, &issuer.key, err)) != 0)
			goto out;
		if ((issuer.alg = tp_alg_for_key(issuer.key)) == NULL) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED, "%s: no signer for this key",
			    ikey);
			goto out;
		}
	} else if ((r = tp_issuer_load(dir, issuer_name, &issuer, err)) != 0)
		goto out;
	if ((path = index_path(dir, issuer_name)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "path");
		goto out;
	}
	if ((r = tp_index_load(path, &ix, err)) != 0 ||
	    (r = tp_dir_conf_read(dir, &conf, err)) != 0)
		goto out;
	if (entries_of != NULL) {
		free(path);
		if ((path = index_path(dir, entries_of)) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "path");
			goto out;
		}
		if ((r = tp_index_load(path, &other_ix, err)) != 0 ||
		    (r = tp_issuer_load(dir, entries_of, &other, err)) != 0)
			goto out;
		req.other_ix = other_ix;
		req.other_issuer = other.cert;
	}
	req.delta_url = strcmp(issuer_name, "ca") == 0 ? conf.delta_url : NULL;
	if ((r = tp_crl_write(&issuer, ix, &req, out, err)) != 0 ||
	    (r = crl_log_add(dir, req.number, req.delta, req.this_update, err)) != 0)
		goto out;
	r = 0;
out:
	free(path);
	tp_index_free(ix);
	tp_index_free(other_ix);
	tp_issuer_clear(&issuer);
	tp_issuer_clear(&other);
	return r;
}

/* ---- cms ---- */

/* Reads a whole file (up to 1 GB) into a new buffer; an empty file is a 1-byte buffer. */
static int
read_all(const char *path, unsigned char **out, size_t *out_len, tb_error *err)
{
	FILE *f;
	unsigned char *buf = NULL, *p;
	size_t len = 0, cap = 0, got;

	if ((f = fopen(path, "rb")) == NULL)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	do {
		if (cap - len < 65536) {
			if (cap > (1UL << 30) || (p = realloc(buf, cap + 65536 + 1)) == NULL) {
				free(buf);
				fclose(f);
				return tb_error_set(err, TB_ERR_NOMEM, "%s: too large", path);
			}
			buf = p;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return tb_error_set(err, TB_ERR_IO, "%s: read failed", path);
	}
	fclose(f);
	*out = buf;
	*out_len = len;
	return 0;
}

static int
cms_signer_load(const char *cert, const char *key, tp_cms_signer *s, tb_error *err)
{
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = tb_cert_read_file(cert, &s->cert, err)) != 0 ||
	    (r = tp_read_key(key, &s->key, err)) != 0)
		return r;
	if ((s->alg = tp_alg_for_key(s->key)) == NULL)
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "%s: no signer for this key", key);
	return 0;
}

#define MAX_SIGNERS 16

static int
cmd_cms(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "detached", no_argument, NULL, 'd' },
		{ "digest-alg", required_argument, NULL, 'g' },
		{ "no-attrs", no_argument, NULL, 'n' },
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "add-signer", required_argument, NULL, 's' },
		{ "at", required_argument, NULL, 'a' },
		{ "tst-query", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cert = NULL, *key = NULL, *in = NULL, *outp = NULL, *digest = NULL;
	const char *query = NULL;
	const char *extra[MAX_SIGNERS][2];
	tp_cms_signer signers[MAX_SIGNERS + 1];
	size_t nextra = 0, n = 0, i;
	tp_cms_req req;
	unsigned char *data = NULL;
	tp_der der;
	FILE *f;
	int ch, r = TB_ERR_INVALID_ARG;

	tp_der_init(&der);
	memset(&req, 0, sizeof(req));
	memset(signers, 0, sizeof(signers));
	/* "+": no reordering, so the KEY after --add-signer CERT stays put. */
	while ((ch = next_opt(argc, argv, "+", opts)) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'd': req.detached = 1; break;
		case 'g': digest = optarg; break;
		case 'n': req.no_attrs = 1; break;
		case 'i': in = optarg; break;
		case 'o': outp = optarg; break;
		case 'q': query = optarg; break;
		case 's':
			/* --add-signer CERT KEY: the key is the next word. */
			if (nextra == MAX_SIGNERS || optind >= argc) {
				r = tb_error_set(err, TB_ERR_INVALID_ARG,
				    "--add-signer CERT KEY (at most %d)", MAX_SIGNERS);
				goto out;
			}
			extra[nextra][0] = optarg;
			extra[nextra++][1] = argv[optind++];
			break;
		default: goto out;
		}
	}
	if (cert == NULL || key == NULL || (in == NULL) == (query == NULL) || outp == NULL ||
	    optind != argc) {
		usage();
		goto out;
	}
	if ((r = cms_signer_load(cert, key, &signers[n++], err)) != 0)
		goto out;
	/* --digest-alg applies to the first signer; a mismatch is for negative tests. */
	if (digest != NULL && (signers[0].digest_oid = tp_digest_oid(digest)) == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "--digest-alg: %s (%s)", digest,
		    tp_digest_names());
		goto out;
	}
	for (i = 0; i < nextra; i++)
		if ((r = cms_signer_load(extra[i][0], extra[i][1], &signers[n++], err)) != 0)
			goto out;
	if ((r = read_all(in != NULL ? in : query, &data, &req.len, err)) != 0)
		goto out;
	req.data = data;
	if (query != NULL) {
		/* RFC 3161: a TimeStampResp { status granted, token over a TSTInfo }. */
		unsigned char *tst = NULL;

		if ((r = tp_tst_info_make(data, req.len, &tst, &req.len, err)) != 0)
			goto out;
		free(data);
		data = tst;
		req.data = tst;
		req.content_type = "1.2.840.113549.1.9.16.1.4";
	}
	req.signing_time = tb_clock_now();
	if ((r = tp_cms_make(signers, n, &req, &der, err)) != 0)
		goto out;
	if (query != NULL) {
		static const unsigned char granted[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
		tp_der resp;

		tp_der_init(&resp);
		tp_der_put(&resp, granted, sizeof(granted));
		tp_der_put(&resp, der.p, der.len);
		tp_der_wrap(&resp, 0x30);
		tp_der_release(&der);
		der = resp;
	}
	if ((f = fopen(outp, "wb")) == NULL) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", outp, strerror(errno));
		goto out;
	}
	if ((fwrite(der.p, 1, der.len, f) != der.len) + (fclose(f) != 0)) {
		r = tb_error_set(err, TB_ERR_IO, "%s: write failed", outp);
		goto out;
	}
	r = 0;
out:
	for (i = 0; i < n; i++) {
		X509_free(signers[i].cert);
		EVP_PKEY_free(signers[i].key);
	}
	tp_der_release(&der);
	free(data);
	return r;
}

/* ---- p12: a key container in the NCA's layout (testpki_p12.c) ---- */

static int
cmd_p12(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "chain", required_argument, NULL, 'C' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cert = NULL, *key = NULL, *chain = NULL, *pwf = NULL, *outp = NULL;
	STACK_OF(X509) *cs = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	char pw[256];
	size_t pw_len = 0;
	int ch, fd = -1, r = TB_ERR_INVALID_ARG;

	while ((ch = next_opt(argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'C': chain = optarg; break;
		case 'p': pwf = optarg; break;
		case 'o': outp = optarg; break;
		default: goto out;
		}
	}
	if (cert == NULL || key == NULL || pwf == NULL || outp == NULL || optind != argc) {
		usage();
		goto out;
	}
	if ((r = tb_secret_open(pwf, &fd, err)) != 0 ||
	    (r = tb_secret_read(fd, pw, sizeof(pw), &pw_len, err)) != 0 ||
	    (r = tb_cert_read_file(cert, &x, err)) != 0 || (r = tp_read_key(key, &k, err)) != 0 ||
	    (chain != NULL && (r = tb_certs_read_file(chain, &cs, err)) != 0))
		goto out;
	r = tp_p12_write(outp, k, x, cs, pw, err);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	if (fd != -1)
		close(fd);
	sk_X509_pop_free(cs, X509_free);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

/* ---- ocsp-respond ---- */

static int
cmd_ocsp_respond(int argc, char **argv, tb_error *err)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "rsigner", required_argument, NULL, 'c' },
		{ "rkey", required_argument, NULL, 'k' },
		{ "max-requests", required_argument, NULL, 'm' },
		{ "max-seconds", required_argument, NULL, 's' },
		{ "valid-minutes", required_argument, NULL, 'v' },
		{ "at", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	tp_ocsp_opts o;
	int ch, have_port = 0;

	memset(&o, 0, sizeof(o));
	o.max_seconds = 3600;
	o.valid_minutes = 24 * 60;
	while ((ch = next_opt(argc, argv, "", opts)) != -1) {
		switch (ch) {
		case 'd': o.dir = optarg; break;
		case 'p':
			if (parse_ulong("--port", optarg, 65535, &o.port) != 0)
				return TB_ERR_INVALID_ARG;
			have_port = 1;
			break;
		case 'f': o.port_file = optarg; break;
		case 'c': o.rsigner = optarg; break;
		case 'k': o.rkey = optarg; break;
		case 'm':
			if (parse_ulong("--max-requests", optarg, ULONG_MAX, &o.max_requests) != 0)
				return TB_ERR_INVALID_ARG;
			break;
		case 's':
			if (parse_ulong("--max-seconds", optarg, 7 * 86400UL, &o.max_seconds) != 0)
				return TB_ERR_INVALID_ARG;
			break;
		case 'v':
			if (parse_ulong("--valid-minutes", optarg, 3650 * 1440UL,
			    &o.valid_minutes) != 0)
				return TB_ERR_INVALID_ARG;
			break;
		default: return TB_ERR_INVALID_ARG;
		}
	}
	if (o.dir == NULL || !have_port || optind != argc || (o.rsigner == NULL) != (o.rkey == NULL)) {
		usage();
		return TB_ERR_INVALID_ARG;
	}
	return tp_ocsp_serve(&o, err);
}

int
main(int argc, char **argv)
{
	tb_error err;
	const char *fake;
	time_t t;
	int r;

	tb_log_init("tanba-testpki", 0, TB_LOG_INFO);
	tb_error_clear(&err);
	if ((fake = getenv("TANBA_FAKE_TIME")) != NULL && *fake) {
		if (tb_clock_parse(fake, &t) != 0) {
			fprintf(stderr, "tanba-testpki: TANBA_FAKE_TIME: bad time %s\n", fake);
			return 2;
		}
		tb_clock_set(t);
	}
	if (argc < 2) {
		usage();
		return 2;
	}
	/* Each subcommand parses its own options from argv[1]. */
	if (strcmp(argv[1], "hierarchy") == 0)
		r = cmd_hierarchy(argc - 1, argv + 1, &err);
	else if (strcmp(argv[1], "issue") == 0)
		r = cmd_issue(argc - 1, argv + 1, &err);
	else if (strcmp(argv[1], "revoke") == 0)
		r = cmd_revoke(argc - 1, argv + 1, &err);
	else if (strcmp(argv[1], "crl") == 0)
		r = cmd_crl(argc - 1, argv + 1, &err);
	else if (strcmp(argv[1], "cms") == 0)
		r = cmd_cms(argc - 1, argv + 1, &err);
	else if (strcmp(argv[1], "p12") == 0)
		r = cmd_p12(argc - 1, argv + 1, &err);
	else if (strcmp(argv[1], "ocsp-respond") == 0)
		r = cmd_ocsp_respond(argc - 1, argv + 1, &err);
	else {
		usage();
		return 2;
	}
	if (r != 0) {
		if (err.code != 0)
			tb_error_f(r, "%s: %s", argv[1], err.detail);
		return r == TB_ERR_INVALID_ARG ? 2 : 1;
	}
	return 0;
}
