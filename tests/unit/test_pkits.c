/*
 * NIST PKITS 1.0.1 (tests/vectors/pkits) through libsig: every run of
 * tests.json is verified with tb_verify_cert, as the daemon's check-cert
 * does (the anchor trusted, the path's other certificates as untrusted
 * ones, the run's CRLs given offline, the run's RFC 5280 6.1.1 inputs,
 * at the suite's evaluation time), and a sample again through
 * `tanba check-cert --offline`. It prints agreement per section and in
 * total, and fails on any disagreement that tests/unit/pkits-xfail.txt does not
 * list, and on any listed run that now agrees (the list must shrink).
 * Usage: test_pkits [-v] [-a] [-c 0|N] [-n] [-o FILE]: -v every run, -a
 * every run through the CLI too, -c 0 no CLI (-c N: every Nth), -n no
 * revocation at all (the path and policy rules alone: a diagnosis, where
 * runs that the suite fails by revocation then differ), -o the verdicts as
 * "id verdict" lines.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "crl_signer.h"
#include "rev_offline.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "verify.h"

#define MAX_CRLS 8
#define MAX_SECTIONS 20
#define MAX_XFAIL 300
#define FILE_MAX (1024 * 1024)

/* The DSA runs that RFC 5280 calls valid: tanba refuses DSA (docs/VERIFICATION.md). */
static const char *const dsa_runs[] = { "4.1.4", "4.1.5" };

typedef struct xfail {
	char id[24];
	char why[200];
	int seen;
} xfail;

typedef struct section {
	char name[8];
	int runs, agree, xfail, dsa, cli_runs, cli_agree;
} section;

typedef struct run_crls {
	unsigned char *der[MAX_CRLS];
	size_t len[MAX_CRLS];
	X509_CRL *crl[MAX_CRLS];
	size_t n;
	/* CRL signers other than the issuer (RFC 5280 6.3.3 (f)): the run's
	 * anchor and intermediates, each validated through sc, as the CLI does. */
	STACK_OF(X509) *signers;
	tb_crl_signer_ctx sc;
	tb_path_policy ppol;
} run_crls;

static const char *vec_dir;
static int no_revocation;
static char tanba_bin[4096];

static int
read_file(const char *dir, const char *sub, const char *name, const char *ext,
    unsigned char **buf, size_t *len)
{
	char path[4096];
	tb_error e;

	tb_error_clear(&e);
	snprintf(path, sizeof(path), "%s/%s/%s%s", dir, sub, name, ext);
	if (tb_file_read(path, FILE_MAX, buf, len, &e) != 0) {
		fprintf(stderr, "test_pkits: %s: %s\n", path, e.detail);
		return -1;
	}
	return 0;
}

static X509 *
read_cert(const char *name)
{
	unsigned char *buf = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509 *x = NULL;

	if (read_file(vec_dir, "certs", name, ".crt", &buf, &len) != 0)
		return NULL;
	p = buf;
	x = d2i_X509(NULL, &p, (long)len);
	free(buf);
	if (x == NULL)
		fprintf(stderr, "test_pkits: %s: not a DER certificate\n", name);
	return x;
}

/*
 * The revocation hook of one run: libsig's offline check over the run's
 * CRLs. At most TB_REV_MAX_URLS go in, those named after the
 * certificate's issuer first (a run may carry more CRLs than that, of
 * several CAs); the library decides which of them may speak.
 */
static int
run_crls_check(void *ctx, X509 *cert, X509 *issuer, time_t at, tb_rev_result *out,
    tb_error *err)
{
	run_crls *rc = ctx;
	tb_rev_offline in;
	size_t i, pass;

	memset(&in, 0, sizeof(in));
	in.clock_skew_s = 300;
	in.signers = rc->signers;
	in.signer_ok = rc->signers != NULL ? tb_crl_signer_check : NULL;
	in.signer_arg = &rc->sc;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < rc->n && in.n_crls < TB_REV_MAX_URLS; i++) {
			int named = X509_NAME_cmp(X509_CRL_get_issuer(rc->crl[i]),
			    X509_get_issuer_name(cert)) == 0;

			if (named != (pass == 0))
				continue;
			in.crl_der[in.n_crls] = rc->der[i];
			in.crl_len[in.n_crls++] = rc->len[i];
		}
	memset(out, 0, sizeof(*out));
	return tb_rev_check_offline(&in, cert, issuer, at, out, err);
}

static void
run_crls_clear(run_crls *rc)
{
	size_t i;

	for (i = 0; i < rc->n; i++) {
		free(rc->der[i]);
		X509_CRL_free(rc->crl[i]);
	}
	rc->n = 0;
	sk_X509_pop_free(rc->signers, X509_free);
	rc->signers = NULL;
}

/* "4.8.1", or "4.8.1#2" for "(Subpart 2)". */
static void
run_id(json_t *t, char *buf, size_t len)
{
	const char *num = json_string_value(json_object_get(t, "number"));
	const char *title = json_string_value(json_object_get(t, "title"));
	const char *sp = title != NULL ? strstr(title, "(Subpart ") : NULL;

	if (sp != NULL)
		snprintf(buf, len, "%s#%d", num, atoi(sp + 9));
	else
		snprintf(buf, len, "%s", num != NULL ? num : "?");
}

/* The run's 6.1.1 inputs; -1 on a bad OID (a broken table). */
static int
run_inputs(json_t *t, tb_policy_inputs *pi)
{
	json_t *set = json_object_get(t, "initial_policy_set"), *v;
	size_t i;
	tb_error e;

	memset(pi, 0, sizeof(*pi));
	json_array_foreach(set, i, v) {
		/* anyPolicy in the set is the same as no set. */
		if (strcmp(json_string_value(v), TB_POLICY_ANY) == 0)
			continue;
		if (tb_policy_inputs_add(pi, json_string_value(v), &e) != 0) {
			fprintf(stderr, "test_pkits: %s\n", e.detail);
			return -1;
		}
	}
	pi->explicit_policy = json_is_true(json_object_get(t, "initial_explicit_policy"));
	pi->inhibit_mapping = json_is_true(json_object_get(t, "initial_policy_mapping_inhibit"));
	pi->inhibit_any = json_is_true(json_object_get(t, "initial_any_policy_inhibit"));
	return 0;
}

/* Verifies one run through the library; the verdict, or -1 when it could not run. */
static int
run_lib(json_t *t, char *why, size_t why_len)
{
	json_t *path = json_object_get(t, "path"), *crls = json_object_get(t, "crls"), *v;
	tb_trust *trust = tb_trust_new();
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *x = NULL;
	unsigned char *leaf = NULL;
	size_t leaf_len = 0, i, n = json_array_size(path);
	run_crls rc;
	tb_rev_checker hook;
	tb_verify_policy pol;
	tb_verify_request req;
	tb_verify_result *res = NULL;
	tb_error e;
	const unsigned char *p;
	int verdict = -1;

	memset(&rc, 0, sizeof(rc));
	tb_error_clear(&e);
	why[0] = '\0';
	if (trust == NULL || extra == NULL || n == 0)
		goto out;
	if ((x = read_cert(json_string_value(json_object_get(t, "anchor")))) == NULL ||
	    tb_trust_add_anchor(trust, x, &e) != 0)
		goto out;
	X509_free(x);
	x = NULL;
	for (i = 0; i + 1 < n; i++) {
		if ((x = read_cert(json_string_value(json_array_get(path, i)))) == NULL ||
		    !sk_X509_push(extra, x))
			goto out;
		x = NULL;
	}
	if (read_file(vec_dir, "certs", json_string_value(json_array_get(path, n - 1)), ".crt",
	    &leaf, &leaf_len) != 0)
		goto out;
	json_array_foreach(crls, i, v) {
		if (rc.n >= MAX_CRLS ||
		    read_file(vec_dir, "crls", json_string_value(v), ".crl", &rc.der[rc.n],
		    &rc.len[rc.n]) != 0)
			goto out;
		p = rc.der[rc.n];
		if ((rc.crl[rc.n] = d2i_X509_CRL(NULL, &p, (long)rc.len[rc.n])) == NULL) {
			free(rc.der[rc.n]);
			goto out;
		}
		rc.n++;
	}
	hook.check = run_crls_check;
	hook.ctx = &rc;
	if ((rc.signers = sk_X509_dup(extra)) == NULL)
		goto out;
	for (i = 0; i < (size_t)sk_X509_num(rc.signers); i++)
		X509_up_ref(sk_X509_value(rc.signers, (int)i));
	if ((x = read_cert(json_string_value(json_object_get(t, "anchor")))) == NULL ||
	    !sk_X509_push(rc.signers, x))
		goto out;
	x = NULL;
	rc.sc.trust = trust;
	rc.sc.pol = &rc.ppol;
	rc.sc.rev = &hook;
	rc.sc.extra = extra;
	tb_verify_policy_default(&pol);
	if (run_inputs(t, &pol.policy) != 0)
		goto out;
	memset(&req, 0, sizeof(req));
	req.input = leaf;
	req.input_len = leaf_len;
	req.certs = extra;
	req.time = TB_TIME_NOW;
	if (tb_verify_cert(trust, &pol, no_revocation ? NULL : &hook, &req, &res, &e) != 0) {
		if (snprintf(why, why_len, "error: %s", e.detail) < 0)
			why[0] = '\0';
		goto out;
	}
	verdict = (int)res->verdict;
	for (i = 0; i < res->reasons.n; i++)
		if (res->reasons.v[i].verdict == res->verdict) {
			snprintf(why, why_len, "%s", res->reasons.v[i].detail);
			break;
		}
out:
	ERR_clear_error();
	tb_verify_result_free(res);
	run_crls_clear(&rc);
	free(leaf);
	X509_free(x);
	sk_X509_pop_free(extra, X509_free);
	tb_trust_free(trust);
	return verdict;
}

/* Runs argv with stdout and stderr to /dev/null; its exit status, or -1. */
static int
spawn(char **argv)
{
	pid_t pid;
	int st, fd;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * The same run through `tanba check-cert --offline`: the intermediates in
 * a scratch directory (--untrusted), each CRL as --crl, the inputs as
 * --policy and the flags. 0 VALID, 1 another verdict, -1 not run.
 */
static int
run_cli(json_t *t, const char *scratch)
{
	json_t *path = json_object_get(t, "path"), *crls = json_object_get(t, "crls"), *v;
	char *argv[64], bufs[40][4096], dir[4096];
	size_t n = json_array_size(path), i;
	int a = 0, b = 0, rc;
	unsigned char *der = NULL;
	size_t len = 0;
	tb_policy_inputs pi;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/untrusted", scratch);
	mkdir(dir, 0700);
	for (i = 0; i + 1 < n; i++) {
		if (read_file(vec_dir, "certs", json_string_value(json_array_get(path, i)), ".crt",
		    &der, &len) != 0)
			return -1;
		if (snprintf(bufs[0], sizeof(bufs[0]), "%s/%zu.der", dir, i) >= (int)sizeof(bufs[0]))
			return -1;
		if ((f = fopen(bufs[0], "wb")) == NULL || fwrite(der, 1, len, f) != len) {
			if (f != NULL)
				fclose(f);
			free(der);
			return -1;
		}
		fclose(f);
		free(der);
		der = NULL;
	}
	argv[a++] = tanba_bin;
	argv[a++] = "check-cert";
	argv[a++] = "--offline";
	argv[a++] = "--at";
	argv[a++] = "2020-01-01T00:00:00Z";
	argv[a++] = "--anchors";
	snprintf(bufs[b], sizeof(bufs[b]), "%s/certs/%s.crt", vec_dir,
	    json_string_value(json_object_get(t, "anchor")));
	argv[a++] = bufs[b++];
	if (n > 1) {
		argv[a++] = "--untrusted";
		argv[a++] = dir;
	}
	json_array_foreach(crls, i, v) {
		if (b >= 30)
			break;
		argv[a++] = "--crl";
		snprintf(bufs[b], sizeof(bufs[b]), "%s/crls/%s.crl", vec_dir, json_string_value(v));
		argv[a++] = bufs[b++];
	}
	if (run_inputs(t, &pi) != 0)
		return -1;
	for (i = 0; i < pi.n_initial && b < 38; i++) {
		argv[a++] = "--policy";
		snprintf(bufs[b], sizeof(bufs[b]), "%s", pi.initial[i]);
		argv[a++] = bufs[b++];
	}
	if (pi.explicit_policy)
		argv[a++] = "--require-explicit-policy";
	if (pi.inhibit_mapping)
		argv[a++] = "--inhibit-policy-mapping";
	if (pi.inhibit_any)
		argv[a++] = "--inhibit-any-policy";
	snprintf(bufs[b], sizeof(bufs[b]), "%s/certs/%s.crt", vec_dir,
	    json_string_value(json_array_get(path, n - 1)));
	argv[a++] = bufs[b++];
	argv[a] = NULL;
	rc = spawn(argv);
	for (i = 0; i + 1 < n; i++) {
		if (snprintf(bufs[0], sizeof(bufs[0]), "%s/%zu.der", dir, i) < (int)sizeof(bufs[0]))
			unlink(bufs[0]);
	}
	rmdir(dir);
	return rc == 0 ? 0 : rc == 1 ? 1 : -1;
}

static int
load_xfail(const char *path, xfail *xf, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[512], *p;

	*n = 0;
	if (f == NULL) {
		fprintf(stderr, "test_pkits: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL && *n < MAX_XFAIL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		p = line + strcspn(line, " \t");
		if (*p != '\0')
			*p++ = '\0';
		p += strspn(p, " \t");
		if (snprintf(xf[*n].id, sizeof(xf[*n].id), "%s", line) < 0 ||
		    snprintf(xf[*n].why, sizeof(xf[*n].why), "%s", p) < 0)
			continue;
		if (*p == '\0') {
			fprintf(stderr, "test_pkits: %s: %s names no missing feature\n", path, line);
			fclose(f);
			return -1;
		}
		xf[*n].seen = 0;
		(*n)++;
	}
	fclose(f);
	return 0;
}

static xfail *
xfail_find(xfail *xf, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(xf[i].id, id) == 0)
			return &xf[i];
	return NULL;
}

static section *
section_of(section *secs, int *nsec, const char *number)
{
	char name[8];
	const char *dot = strchr(number, '.');
	int i;

	/* "4.13.2" -> "4.13" */
	dot = dot != NULL ? strchr(dot + 1, '.') : NULL;
	snprintf(name, sizeof(name), "%.*s", dot ? (int)(dot - number) : (int)strlen(number),
	    number);
	for (i = 0; i < *nsec; i++)
		if (strcmp(secs[i].name, name) == 0)
			return &secs[i];
	if (*nsec >= MAX_SECTIONS)
		return &secs[MAX_SECTIONS - 1];
	memset(&secs[*nsec], 0, sizeof(secs[*nsec]));
	snprintf(secs[*nsec].name, sizeof(secs[*nsec].name), "%s", name);
	return &secs[(*nsec)++];
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir"), *build = getenv("top_builddir");
	char dir[4096], xpath[4096], id[24], why[300], scratch[] = "/tmp/tb-pkits.XXXXXX";
	json_t *root, *tests, *t;
	json_error_t je;
	section secs[MAX_SECTIONS];
	xfail xf[MAX_XFAIL], *x;
	size_t nxf = 0, i, k;
	int nsec = 0, verbose = 0, cli_every = 4, bad = 0, opt, v, c, s;
	int total = 0, agree = 0, xfails = 0, dsa = 0, cli_total = 0, cli_agree = 0;
	const char *outpath = NULL;
	FILE *out = NULL;
	time_t at;

	while ((opt = getopt(argc, argv, "vac:no:")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 'a': cli_every = 1; break;
		case 'c': cli_every = atoi(optarg); break;
		case 'o': outpath = optarg; break;
		case 'n': no_revocation = 1; cli_every = 0; break;
		default:
			fprintf(stderr, "usage: test_pkits [-v] [-a] [-c N] [-n] [-o FILE]\n");
			return 2;
		}
	}
	snprintf(dir, sizeof(dir), "%s/tests/vectors/pkits", top != NULL ? top : ".");
	snprintf(xpath, sizeof(xpath), "%s/tests/unit/pkits-xfail.txt", top != NULL ? top : ".");
	snprintf(tanba_bin, sizeof(tanba_bin), "%s/ca-tools/tanba", build != NULL ? build : ".");
	vec_dir = dir;
	if (access(tanba_bin, X_OK) != 0) {
		fprintf(stderr, "test_pkits: %s not built\n", tanba_bin);
		return 1;
	}
	if (snprintf(why, sizeof(why), "%s/tests.json", dir) >= (int)sizeof(why))
		return 1;
	if ((root = json_load_file(why, 0, &je)) == NULL) {
		fprintf(stderr, "test_pkits: %s: %s\n", why, je.text);
		return 1;
	}
	if (load_xfail(xpath, xf, &nxf) != 0 || mkdtemp(scratch) == NULL)
		return 1;
	if (outpath != NULL && (out = fopen(outpath, "w")) == NULL)
		return 1;
	if (tb_clock_parse(json_string_value(json_object_get(root, "evaluation_time")), &at) != 0)
		return 1;
	tb_clock_set(at);
	tests = json_object_get(root, "tests");
	json_array_foreach(tests, i, t) {
		const char *expect = json_string_value(json_object_get(t, "expect"));
		const char *number = json_string_value(json_object_get(t, "number"));
		section *sec = section_of(secs, &nsec, number);
		int want_valid = strcmp(expect, "VALID") == 0, ok, is_dsa = 0;

		run_id(t, id, sizeof(id));
		v = run_lib(t, why, sizeof(why));
		ok = v >= 0 && (v == TB_V_VALID) == want_valid;
		for (k = 0; k < sizeof(dsa_runs) / sizeof(dsa_runs[0]); k++)
			if (strcmp(number, dsa_runs[k]) == 0 && v == TB_V_UNSUPPORTED_ALGORITHM)
				is_dsa = 1;
		sec->runs++;
		total++;
		x = xfail_find(xf, nxf, id);
		if (x != NULL)
			x->seen = 1;
		if (out != NULL)
			fprintf(out, "%s %s\n", id, v >= 0 ? tb_verdict_code(v) : "ERROR");
		if (ok) {
			sec->agree++;
			agree++;
			if (x != NULL) {
				printf("XPASS %-8s %s: now agrees; remove it from tests/unit/pkits-xfail.txt\n",
				    id, json_string_value(json_object_get(t, "title")));
				bad = 1;
			} else if (verbose)
				printf("ok    %-8s %s\n", id, json_string_value(json_object_get(t, "title")));
		} else if (is_dsa) {
			sec->dsa++;
			dsa++;
			printf("DSA   %-8s %s: refused by policy (%s)\n", id,
			    json_string_value(json_object_get(t, "title")), why);
		} else {
			printf("%s %-8s %s: expected %s, got %s: %s%s%s\n", x ? "XFAIL" : "FAIL ", id,
			    json_string_value(json_object_get(t, "title")), expect,
			    v >= 0 ? tb_verdict_code(v) : "no verdict", why,
			    x ? "; missing: " : "", x ? x->why : "");
			if (x != NULL) {
				sec->xfail++;
				xfails++;
			} else
				bad = 1;
		}
		/* The CLI must say what the library says. */
		if (cli_every > 0 && ((int)i % cli_every == 0 || is_dsa)) {
			c = run_cli(t, scratch);
			sec->cli_runs++;
			cli_total++;
			if (c >= 0 && (c == 0) == (v == TB_V_VALID)) {
				sec->cli_agree++;
				cli_agree++;
			} else {
				printf("CLI   %-8s tanba check-cert --offline says %s, the library %s\n", id,
				    c == 0 ? "VALID" : c == 1 ? "not VALID" : "nothing (error)",
				    v >= 0 ? tb_verdict_code(v) : "nothing");
				bad = 1;
			}
		}
	}
	for (k = 0; k < nxf; k++)
		if (!xf[k].seen) {
			printf("test_pkits: tests/unit/pkits-xfail.txt names %s, which is no run\n", xf[k].id);
			bad = 1;
		}
	printf("\n%-8s %5s %6s %6s %4s %9s\n", "section", "runs", "agree", "xfail", "dsa",
	    "cli");
	for (s = 0; s < nsec; s++)
		printf("%-8s %5d %6d %6d %4d %4d/%-4d\n", secs[s].name, secs[s].runs, secs[s].agree,
		    secs[s].xfail, secs[s].dsa, secs[s].cli_agree, secs[s].cli_runs);
	printf("%-8s %5d %6d %6d %4d %4d/%-4d\n", "total", total, agree, xfails, dsa, cli_agree,
	    cli_total);
	printf("PKITS: %d/%d agree with the suite (%d DSA refused by policy, %d expected "
	    "failures); CLI agrees with the library on %d/%d\n", agree, total, dsa, xfails,
	    cli_agree, cli_total);
	if (out != NULL)
		fclose(out);
	rmdir(scratch);
	json_decref(root);
	return bad ? 1 : 0;
}
