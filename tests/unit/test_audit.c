/*
 * Audit trail: the chain verifies, every kind of tampering is named at the
 * right record, a reopened file continues its chain, and a failed write is
 * reported rather than swallowed. Keyed checkpoints: a chain re-sealed
 * with plain SHA-256 after an edit or a deletion fails on the next
 * checkpoint's MAC, a tail cut past a published checkpoint fails against
 * the anchor, a rotated pair verifies; refusals are bounded and counted;
 * the front cannot record a success or a signer event.
 */
#include "config.h"

#include <check.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "audit_int.h"
#include "check_run.h"

static char dir[] = "/tmp/tb-audit-XXXXXX";
static char path[256], path2[256], anchor[256], keypath[256];
static const unsigned char key[TB_AUDIT_KEY_BYTES] = "0123456789abcdef0123456789abcdef";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	snprintf(path2, sizeof(path2), "%s/audit.log.1", dir);
	snprintf(anchor, sizeof(anchor), "%s/anchor", dir);
	snprintf(keypath, sizeof(keypath), "%s/audit.key", dir);
}

static void
teardown(void)
{
	unlink(path);
	unlink(path2);
	unlink(anchor);
	unlink(keypath);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void
write_records(int n)
{
	tb_audit *a = NULL;
	tb_error err;
	char digest[80];
	int i;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	for (i = 0; i < n; i++) {
		tb_audit_event ev = { .uid = 1000, .client = "registry", .op = "sign",
			.key = "registry", .doc_digest = digest, .sig_digest = "sha256:00",
			.result = "ok" };
		snprintf(digest, sizeof(digest), "sha256:%064d", i);
		ck_assert_int_eq(tb_audit_append(a, &ev, &err), 0);
	}
	ck_assert_uint_eq(tb_audit_count(a), (unsigned long)n);
	tb_audit_free(a);
}

/* Reads the file as lines, lets fn change them, writes it back. */
static void
rewrite(void (*fn)(char **lines, int *n))
{
	char *lines[64], buf[4096];
	FILE *f = fopen(path, "r");
	int n = 0, i;

	ck_assert_ptr_nonnull(f);
	while (n < 64 && fgets(buf, sizeof(buf), f) != NULL)
		lines[n++] = strdup(buf);
	fclose(f);
	fn(lines, &n);
	f = fopen(path, "w");
	for (i = 0; i < n; i++) {
		fputs(lines[i], f);
		free(lines[i]);
	}
	fclose(f);
}

static unsigned long
verify_bad_line(void)
{
	unsigned long records, bad;
	tb_error err;
	int r = tb_audit_verify_file(path, &records, &bad, &err);

	if (r == 0)
		return 0;
	ck_assert_int_eq(r, TB_ERR_MALFORMED);
	return bad;
}

static void
edit_third(char **lines, int *n)
{
	char *p = strstr(lines[3], "sha256:0000");

	ck_assert_ptr_nonnull(p);
	p[7] = '9';
}

static void
delete_third(char **lines, int *n)
{
	free(lines[3]);
	memmove(&lines[3], &lines[4], sizeof(char *) * (size_t)(*n - 4));
	(*n)--;
}

static void
swap_two(char **lines, int *n)
{
	char *t = lines[2];

	lines[2] = lines[3];
	lines[3] = t;
}

START_TEST(chain_verifies_and_continues)
{
	unsigned long records, bad;
	tb_error err;

	write_records(5);
	write_records(3);	/* reopened: continues the chain */
	ck_assert_int_eq(tb_audit_verify_file(path, &records, &bad, &err), 0);
	ck_assert_uint_eq(records, 9);	/* genesis + 8 */
}
END_TEST

START_TEST(edit_detected)
{
	write_records(6);
	rewrite(edit_third);
	ck_assert_uint_eq(verify_bad_line(), 4);
}
END_TEST

START_TEST(delete_detected)
{
	write_records(6);
	rewrite(delete_third);
	ck_assert_uint_eq(verify_bad_line(), 4);
}
END_TEST

START_TEST(reorder_detected)
{
	write_records(6);
	rewrite(swap_two);
	ck_assert_uint_eq(verify_bad_line(), 3);
}
END_TEST

START_TEST(damaged_tail_refuses_open)
{
	tb_audit *a = NULL;
	tb_error err;
	FILE *f;

	write_records(2);
	f = fopen(path, "a");
	fputs("{\"seq\":3", f);	/* a torn last record */
	fclose(f);
	ck_assert_int_eq(tb_audit_open(path, &a, &err), TB_ERR_MALFORMED);
	ck_assert_ptr_null(a);
}
END_TEST

START_TEST(write_failure_reported)
{
	struct rlimit rl = { 4096, 4096 };
	tb_audit *a = NULL;
	tb_audit_event ev = { .uid = 1, .op = "sign", .result = "ok",
		.detail = "padding padding padding padding padding padding padding" };
	tb_error err;
	char why[256];
	int i, r = 0;

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	/* The file size limit is a real fault the kernel produces on write. */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	for (i = 0; i < 100 && r == 0; i++)
		r = tb_audit_append(a, &ev, &err);
	ck_assert_int_eq(r, TB_ERR_IO);
	ck_assert_int_eq(tb_audit_last_error(a, why, sizeof(why)), 1);
	tb_audit_free(a);
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
	/* What was written before the failure still verifies. */
	ck_assert_uint_eq(verify_bad_line(), 0);
}
END_TEST

static void *
append_many(void *arg)
{
	tb_audit_event ev = { .uid = 7, .op = "sign", .key = "registry", .result = "ok" };
	tb_error err;
	intptr_t failures = 0;
	int i;

	for (i = 0; i < 50; i++)
		if (tb_audit_append(arg, &ev, &err) != 0)
			failures++;
	return (void *)failures;
}

/* Group commit: concurrent appends all land, each once, in one intact chain. */
START_TEST(concurrent_appends_share_syncs)
{
	pthread_t th[8];
	tb_audit *a = NULL;
	unsigned long records, bad;
	tb_error err;
	void *failures;
	int i;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, append_many, a), 0);
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], &failures);
		ck_assert_ptr_null(failures);
	}
	ck_assert_uint_eq(tb_audit_count(a), 400);
	tb_audit_free(a);
	ck_assert_int_eq(tb_audit_verify_file(path, &records, &bad, &err), 0);
	ck_assert_uint_eq(records, 401);
}
END_TEST

/*
 * Tampering by someone who knows the format: the record's own hash is
 * recomputed after the edit, so only the chain can tell.
 */
#define SUFFIX ",\"hash\":\""

/* Recomputes the own hash of line (which ends in "\"}\n") after an edit. */
static void
rehash(char *line)
{
	unsigned char md[32];
	char *suffix = strstr(line, SUFFIX);
	size_t i;

	ck_assert_ptr_nonnull(suffix);
	ck_assert_int_eq(EVP_Digest(line, (size_t)(suffix - line), md, NULL, EVP_sha256(), NULL), 1);
	for (i = 0; i < sizeof(md); i++)
		snprintf(suffix + strlen(SUFFIX) + 2 * i, 3, "%02x", md[i]);
	suffix[strlen(SUFFIX) + 2 * sizeof(md)] = '"';
}

/* Points line's "prev" at the own hash of the line before it. */
static void
relink(char *line, const char *before)
{
	char *prev = strstr(line, "\"prev\":\""), *hash = strstr(before, SUFFIX);

	ck_assert_ptr_nonnull(prev);
	ck_assert_ptr_nonnull(hash);
	memcpy(prev + strlen("\"prev\":\""), hash + strlen(SUFFIX), 64);
}

static void
edit_third_rehashed(char **lines, int *n)
{
	edit_third(lines, n);
	rehash(lines[3]);
}

/* Deletes a record and rebuilds the chain after it: only the seq is left. */
static void
delete_third_rechained(char **lines, int *n)
{
	int i;

	delete_third(lines, n);
	for (i = 3; i < *n; i++) {
		relink(lines[i], lines[i - 1]);
		rehash(lines[i]);
	}
}

/* tanba-admin audit-verify on the test's file: its exit status and output. */
static int
admin_verify(char *out, size_t out_len)
{
	const char *top = getenv("top_builddir");
	char cmd[1024];
	FILE *p;
	size_t n;
	int st;

	ck_assert_msg(top != NULL, "top_builddir not set");
	snprintf(cmd, sizeof(cmd), "'%s/ca-tools/tanba-admin' audit-verify '%s' 2>&1", top, path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, out_len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(edit_rehashed_chain_detected)
{
	unsigned long records, bad;
	tb_error err;
	char out[1024];

	write_records(6);
	ck_assert_int_eq(admin_verify(out, sizeof(out)), 0);
	rewrite(edit_third_rehashed);
	/* Record 3 is whole again; record 4 no longer follows from it. */
	ck_assert_int_eq(tb_audit_verify_file(path, &records, &bad, &err), TB_ERR_MALFORMED);
	ck_assert_uint_eq(bad, 5);
	ck_assert_uint_eq(records, 4);
	ck_assert_ptr_nonnull(strstr(err.detail, "prev does not match"));
	ck_assert_int_eq(admin_verify(out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "at record 4 (line 5)") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "prev does not match") != NULL, "%s", out);
}
END_TEST

START_TEST(delete_rechained_detected)
{
	unsigned long records, bad;
	tb_error err;
	char out[1024];

	write_records(6);
	rewrite(delete_third_rechained);
	ck_assert_int_eq(tb_audit_verify_file(path, &records, &bad, &err), TB_ERR_MALFORMED);
	ck_assert_uint_eq(bad, 4);
	ck_assert_ptr_nonnull(strstr(err.detail, "sequence number 4 where 3 was due"));
	ck_assert_int_eq(admin_verify(out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "at record 3 (line 4)") != NULL, "%s", out);
}
END_TEST


/* ---- keyed checkpoints ---- */

static void
configure(tb_audit *a, unsigned every, const char *anchor_file)
{
	tb_audit_opts o = { .key = key, .checkpoint_every = every,
		.checkpoint_interval_s = 3600, .anchor_file = anchor_file, .owner_uid = -1,
		.owner_gid = -1 };
	tb_error err;

	ck_assert_msg(tb_audit_configure(a, &o, &err) == 0, "%s", err.detail);
}

static void
append_signs(tb_audit *a, int from, int n)
{
	char digest[80];
	tb_error err;
	int i;

	for (i = from; i < from + n; i++) {
		tb_audit_event ev = { .uid = 1000, .client = "registry", .op = "sign",
			.key = "registry", .doc_digest = digest, .result = "ok" };
		snprintf(digest, sizeof(digest), "sha256:%064d", i);
		ck_assert_int_eq(tb_audit_append(a, &ev, &err), 0);
	}
}

/* n sign records with a checkpoint at most every `every`, sealed at close. */
static void
write_keyed(int n, unsigned every)
{
	tb_audit *a = NULL;
	tb_error err;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	configure(a, every, anchor);
	append_signs(a, 0, n);
	tb_audit_free(a);
}

/* 0 when the files verify; otherwise the broken line. */
static unsigned long
verify_with(const char *const *paths, size_t n, const unsigned char *k, const char *anch,
    tb_audit_report *rep)
{
	tb_error err;
	int r = tb_audit_verify(paths, n, k, anch, rep, &err);

	if (r == 0)
		return 0;
	ck_assert_msg(r == TB_ERR_MALFORMED, "verify: %s", err.detail);
	ck_assert_uint_gt(rep->bad_line, 0);
	return rep->bad_line;
}

static unsigned long
verify_keyed(const char *anch, tb_audit_report *rep)
{
	const char *p = path;

	return verify_with(&p, 1, key, anch, rep);
}

/*
 * What an intruder with write access but without the key can do: rewrite
 * lines from index `from` on with the right seq, prev and SHA-256, so that
 * the plain chain verifies again.
 */
static void
reseal(char **lines, int n, int from)
{
	char prev[TB_AUDIT_HASH_HEX + 1], *body, *p, *q;
	int i;

	/* the first prev: the hash at the end of the line before, as it is */
	memcpy(prev, lines[from - 1] + strlen(lines[from - 1]) - 67, TB_AUDIT_HASH_HEX);
	prev[TB_AUDIT_HASH_HEX] = '\0';
	for (i = from; i < n; i++) {
		size_t len = strlen(lines[i]);

		/* ,"hash":"<64>"}\n (76 bytes) off; the new seq and prev in */
		body = calloc(1, len + 32);
		p = strchr(lines[i], ',');
		snprintf(body, len + 32, "{\"seq\":%d%.*s", i,
		    (int)(len - 76 - (size_t)(p - lines[i])), p);
		ck_assert_ptr_nonnull(q = strstr(body, "\"prev\":\""));
		memcpy(q + 8, prev, TB_AUDIT_HASH_HEX);
		tb_audit_sha256_hex(body, strlen(body), prev);
		free(lines[i]);
		lines[i] = calloc(1, strlen(body) + 80);
		sprintf(lines[i], "%s,\"hash\":\"%s\"}\n", body, prev);
		free(body);
	}
}

static int reseal_from;

static void
edit_rehash(char **lines, int *n)
{
	char *p = strstr(lines[3], "sha256:0000");

	ck_assert_ptr_nonnull(p);
	p[7] = '9';
	reseal_from = 3;
}

static void
delete_rehash(char **lines, int *n)
{
	free(lines[4]);
	memmove(&lines[4], &lines[5], sizeof(char *) * (size_t)(*n - 5));
	(*n)--;
	reseal_from = 4;
}

static void
reseal_step(char **lines, int *n)
{
	reseal(lines, *n, reseal_from);
}

static int
line_count(const char *file)
{
	FILE *f = fopen(file, "r");
	int n = 0, c;

	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void
delete_second_checkpoint(char **lines, int *n)
{
	int i, seen = 0;

	for (i = 0; i < *n; i++)
		if (strstr(lines[i], "\"op\":\"checkpoint\"") != NULL && ++seen == 2)
			break;
	ck_assert_int_eq(seen, 2);
	free(lines[i]);
	memmove(&lines[i], &lines[i + 1], sizeof(char *) * (size_t)(*n - i - 1));
	(*n)--;
	reseal_from = i;
}

/* A checkpoint taken out and the chain re-sealed: too many records between two. */
START_TEST(removed_checkpoint_detected)
{
	tb_audit_report rep;
	const char *p = path;
	tb_error err;

	write_keyed(25, 10);
	rewrite(delete_second_checkpoint);
	rewrite(reseal_step);
	/* even without the key: 20 records where at most 10 were due */
	ck_assert_int_eq(tb_audit_verify(&p, 1, NULL, NULL, &rep, &err), TB_ERR_MALFORMED);
	ck_assert_msg(strstr(err.detail, "a checkpoint was removed") != NULL, "%s", err.detail);
	/* with it, the next checkpoint's MAC fails first */
	ck_assert_uint_eq(verify_keyed(NULL, &rep), 23);
}
END_TEST

START_TEST(keyed_chain_verifies)
{
	static const unsigned char other[TB_AUDIT_KEY_BYTES] = "another key, not the signer's..";
	tb_audit_report rep;
	const char *p = path;

	write_keyed(25, 10);
	ck_assert_uint_eq(verify_keyed(anchor, &rep), 0);
	/* at open, after 10 and 20 signatures, and at close: 4 */
	ck_assert_uint_eq(rep.checkpoints, 4);
	ck_assert_int_eq(rep.cp_file, 0);
	ck_assert_uint_eq(rep.tail, 0);
	ck_assert_uint_eq(rep.records, 30);
	ck_assert_uint_eq(rep.anchored, 4);
	ck_assert_uint_eq(rep.anchor_seq, 29);
	/* the anchor holds one line per checkpoint */
	ck_assert_int_eq(line_count(anchor), 4);
	/* another key: the first checkpoint is not trusted */
	ck_assert_uint_eq(verify_with(&p, 1, other, NULL, &rep), 2);
}
END_TEST

START_TEST(edit_rehashed_detected)
{
	tb_audit_report rep;

	write_keyed(25, 10);
	rewrite(edit_rehash);
	rewrite(reseal_step);
	/* the plain chain cannot see it ... */
	ck_assert_uint_eq(verify_bad_line(), 0);
	/* ... the next checkpoint (after 10 signatures: line 13) can */
	ck_assert_uint_eq(verify_keyed(NULL, &rep), 13);
	ck_assert_int_eq(rep.cp_file, 0);
	ck_assert_uint_eq(rep.cp_seq, 1);
}
END_TEST

START_TEST(delete_resealed_detected)
{
	tb_audit_report rep;

	write_keyed(25, 10);
	rewrite(delete_rehash);
	rewrite(reseal_step);
	ck_assert_uint_eq(verify_bad_line(), 0);
	/* the checkpoint moved up one line and its MAC no longer matches */
	ck_assert_uint_eq(verify_keyed(NULL, &rep), 12);
}
END_TEST

static void
cut_after_second_checkpoint(char **lines, int *n)
{
	int i, seen = 0;

	for (i = 0; i < *n; i++)
		if (strstr(lines[i], "\"op\":\"checkpoint\"") != NULL && ++seen == 2)
			break;
	ck_assert_int_eq(seen, 2);
	for (i = i + 1; i < *n; i++)
		free(lines[i]);
	*n = 13;
}

START_TEST(cut_tail_detected)
{
	tb_audit_report rep;

	write_keyed(25, 10);
	rewrite(cut_after_second_checkpoint);
	/* a cut right after a checkpoint leaves a file whose checkpoints all verify ... */
	ck_assert_uint_eq(verify_keyed(NULL, &rep), 0);
	ck_assert_uint_eq(rep.cp_seq, 12);
	/* ... but the anchor holds the checkpoints published after it */
	ck_assert_uint_eq(verify_keyed(anchor, &rep), 14);
	ck_assert_uint_eq(rep.anchor_seq, 12);
}
END_TEST

/*
 * Record 15 (a signature after the second checkpoint) changed, the last two
 * checkpoints taken out and the chain re-sealed: every MAC left verifies,
 * but 15 records follow the last checkpoint where at most 10 were due.
 */
static void
strip_tail_checkpoints(char **lines, int *n)
{
	ck_assert_int_eq(*n, 30);
	ck_assert_ptr_nonnull(strstr(lines[23], "\"op\":\"checkpoint\""));
	ck_assert_ptr_nonnull(strstr(lines[29], "\"op\":\"checkpoint\""));
	ck_assert_ptr_nonnull(strstr(lines[15], "sha256:0000"));
	strstr(lines[15], "sha256:0000")[7] = '9';
	free(lines[29]);
	free(lines[23]);
	memmove(&lines[23], &lines[24], sizeof(char *) * 5);
	*n = 28;
	reseal_from = 15;
}

START_TEST(stripped_tail_checkpoints_detected)
{
	tb_audit_report rep;

	write_keyed(25, 10);
	rewrite(strip_tail_checkpoints);
	rewrite(reseal_step);
	/* the eleventh record after the checkpoint of line 13 was not due, key or none */
	ck_assert_uint_eq(verify_bad_line(), 24);
	ck_assert_uint_eq(verify_keyed(NULL, &rep), 24);
	ck_assert_int_eq(rep.cp_file, 0);
	ck_assert_uint_eq(rep.cp_seq, 12);
}
END_TEST

START_TEST(missing_checkpoint_detected)
{
	tb_audit_report rep;
	const char *p = path;
	FILE *f;

	/* a file of the same shape with no checkpoint: nothing authenticated */
	write_records(5);
	ck_assert_uint_eq(verify_with(&p, 1, key, NULL, &rep), 1);
	/* a file replaced whole: the anchor's newest checkpoint is in none */
	f = fopen(anchor, "w");
	fprintf(f, "{\"audit\":\"checkpoint\",\"start\":\"%064d\",\"seq\":3,\"hash\":\"%064d\","
	    "\"time\":\"x\"}\n", 0, 0);
	fclose(f);
	ck_assert_uint_eq(verify_with(&p, 1, NULL, anchor, &rep), 1);
}
END_TEST

START_TEST(rotation_accepted)
{
	tb_audit *a = NULL;
	tb_audit_report rep;
	const char *pair[2] = { path2, path }, *wrong[2] = { path, path2 }, *cur = path;
	tb_error err;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	configure(a, 10, anchor);
	append_signs(a, 0, 15);
	/* reopen without a move: nothing happens */
	ck_assert_int_eq(tb_audit_reopen(a, path, &err), 0);
	ck_assert_int_eq(rename(path, path2), 0);
	append_signs(a, 15, 2);	/* still into the moved file */
	ck_assert_msg(tb_audit_reopen(a, path, &err) == 0, "%s", err.detail);
	append_signs(a, 17, 5);
	tb_audit_free(a);
	ck_assert_uint_eq(verify_with(pair, 2, key, anchor, &rep), 0);
	ck_assert_int_eq(rep.cp_file, 1);
	ck_assert_int_eq(rep.anchor_file, 1);
	ck_assert_int_eq(rep.continues, 0);
	/* the new file alone verifies, and says it continues another */
	ck_assert_uint_eq(verify_with(&cur, 1, key, anchor, &rep), 0);
	ck_assert_int_eq(rep.continues, 1);
	/* in the wrong order it does not */
	ck_assert_uint_gt(verify_with(wrong, 2, key, NULL, &rep), 0);
	ck_assert_int_eq(rep.bad_file, 1);
}
END_TEST

START_TEST(key_file_created_private)
{
	unsigned char k1[TB_AUDIT_KEY_BYTES], k2[TB_AUDIT_KEY_BYTES];
	struct stat st;
	tb_error err;

	ck_assert_int_eq(tb_audit_key_load(keypath, 0, -1, -1, k1, &err), TB_ERR_IO);
	ck_assert_int_eq(tb_audit_key_load(keypath, 1, -1, -1, k1, &err), 0);
	ck_assert_int_eq(stat(keypath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(tb_audit_key_load(keypath, 1, -1, -1, k2, &err), 0);
	ck_assert_mem_eq(k1, k2, sizeof(k1));
	ck_assert_int_eq(chmod(keypath, 0640), 0);
	ck_assert_int_eq(tb_audit_key_load(keypath, 1, -1, -1, k2, &err), TB_ERR_CONFIG);
	/* the verifier reads a copy anywhere */
	ck_assert_int_eq(tb_audit_key_load(keypath, 0, -1, -1, k2, &err), 0);
}
END_TEST

/* Within checkpoint_interval_s of a record a checkpoint covers it, with no record after. */
START_TEST(checkpoint_on_time)
{
	/* 2 s, not 1: a loaded machine's fsync may take most of a second */
	tb_audit_opts o = { .key = key, .checkpoint_every = 1000, .checkpoint_interval_s = 2,
		.anchor_file = anchor, .owner_uid = -1, .owner_gid = -1 };
	tb_audit_report rep;
	tb_audit *a = NULL;
	struct timespec t0, t1;
	tb_error err;
	int i, lines;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	ck_assert_int_eq(tb_audit_configure(a, &o, &err), 0);
	append_signs(a, 0, 1);
	lines = line_count(path);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the append wrote no checkpoint itself: only the timer may, later */
	if (t1.tv_sec - t0.tv_sec < (time_t)o.checkpoint_interval_s)
		ck_assert_int_eq(lines, 3);
	/* The checkpoint reaches the log first and the anchor file after it
	 * (log, syslog, then anchor): wait for both, not the log alone. */
	for (i = 0; i < 200 && (verify_keyed(anchor, &rep) != 0 || rep.tail != 0 ||
	    rep.anchor_seq != (unsigned long)line_count(path) - 1); i++)
		usleep(50000);
	ck_assert_uint_eq(verify_keyed(anchor, &rep), 0);
	ck_assert_uint_eq(rep.tail, 0);
	lines = line_count(path);
	ck_assert_int_ge(lines, 4);
	ck_assert_uint_eq(rep.anchor_seq, (unsigned long)lines - 1);
	/* idle: no further checkpoint without a record to cover */
	usleep(2600000);
	ck_assert_int_eq(line_count(path), lines);
	tb_audit_free(a);
	ck_assert_int_eq(line_count(path), lines);
}
END_TEST

/* Many writers at once: checkpoints fall due among them, every MAC holds, none is late. */
START_TEST(concurrent_keyed_appends)
{
	pthread_t th[8];
	tb_audit *a = NULL;
	tb_audit_report rep;
	tb_error err;
	void *failures;
	int i;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	configure(a, 7, anchor);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, append_many, a), 0);
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], &failures);
		ck_assert_ptr_null(failures);
	}
	tb_audit_free(a);
	{
		tb_error e2;
		const char *p = path;
		int rr = tb_audit_verify(&p, 1, key, anchor, &rep, &e2);
		ck_assert_msg(rr == 0, "line %lu: %s", rep.bad_line, e2.detail);
	}
	ck_assert_uint_ge(rep.checkpoints, 400 / 7);
	ck_assert_uint_eq(rep.anchored, rep.checkpoints);
	ck_assert_uint_eq(rep.tail, 0);
}
END_TEST

/* ---- refusals ---- */

static int file_has(const char *needle);

/* Sums, per uid, the records written one by one and the counts of "refusals". */
static void
refusal_totals(unsigned uid, unsigned long *single, unsigned long *counted,
    unsigned long *aggregates)
{
	char buf[4096], want[32];
	FILE *f = fopen(path, "r");
	const char *p;

	*single = *counted = *aggregates = 0;
	snprintf(want, sizeof(want), "\"uid\":%u,", uid);
	ck_assert_ptr_nonnull(f);
	while (fgets(buf, sizeof(buf), f) != NULL) {
		if (strstr(buf, want) == NULL)
			continue;
		if (strstr(buf, "\"op\":\"connect\"") != NULL ||
		    strstr(buf, "\"op\":\"keys\"") != NULL)
			(*single)++;
		if ((p = strstr(buf, "\"refusals\":")) != NULL) {
			*counted += strtoul(p + 11, NULL, 10);
			(*aggregates)++;
		}
	}
	fclose(f);
}

START_TEST(refusals_bounded_and_counted)
{
	tb_audit_opts o = { .refusal_records = 3, .refusal_window_s = 3600 };
	tb_audit_event ev = { .op = "connect", .result = "forbidden", .detail = "no [client]" };
	unsigned long single, counted, aggregates;
	tb_audit *a = NULL;
	tb_error err;
	int i;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	ck_assert_int_eq(tb_audit_configure(a, &o, &err), 0);
	for (i = 0; i < 2000; i++) {
		ev.uid = 500 + (unsigned)(i % 2);
		ck_assert_int_eq(tb_audit_refusal(a, &ev, &err), 0);
	}
	/* 100 more uids than the table holds: they share one slot */
	for (i = 0; i < 100; i++) {
		ev.uid = 10000 + (unsigned)i;
		ck_assert_int_eq(tb_audit_refusal(a, &ev, &err), 0);
	}
	tb_audit_free(a);	/* the counts are written at close */
	/* 3 one by one per uid (2 + 32 slots, one shared by the rest) and a count each */
	ck_assert_int_le(line_count(path), 1 + 34 * 3 + 2);
	refusal_totals(500, &single, &counted, &aggregates);
	ck_assert_uint_eq(single, 3);
	ck_assert_uint_eq(counted, 997);
	ck_assert_uint_eq(aggregates, 1);
	refusal_totals(501, &single, &counted, &aggregates);
	ck_assert_uint_eq(single + counted, 1000);
	ck_assert_uint_eq(verify_bad_line(), 0);
}
END_TEST

START_TEST(refusal_window_ends)
{
	/* a window of 3 s: the first refusal's fsync must not outlast it */
	tb_audit_opts o = { .refusal_records = 1, .refusal_window_s = 3 };
	tb_audit_event ev = { .uid = 7, .op = "keys", .result = "forbidden" };
	unsigned long single, counted, aggregates;
	tb_audit *a = NULL;
	tb_error err;
	int i;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	ck_assert_int_eq(tb_audit_configure(a, &o, &err), 0);
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(tb_audit_refusal(a, &ev, &err), 0);
	/* the timer writes the count once the window is over, without a new refusal */
	for (i = 0; i < 200 && line_count(path) < 3; i++)
		usleep(50000);
	ck_assert_int_eq(line_count(path), 3);
	tb_audit_free(a);
	ck_assert_int_eq(line_count(path), 3);
	refusal_totals(7, &single, &counted, &aggregates);
	ck_assert_uint_eq(counted, 49);
	ck_assert_uint_eq(aggregates, 1);
	ck_assert(file_has("\"detail\":\"49 refusals of uid 7 in the last "));
}
END_TEST

/* ---- what the front may report ---- */

static int
front(const char *op, int result, int verify, const char *key_, const char *detail)
{
	tb_audit *a = NULL;
	tb_audit_event ev = { .uid = 42, .client = "x", .op = op, .key = key_,
		.result = result == 0 ? "ok" : tb_err_name(result), .detail = detail,
		.doc_digest = "sha256:00" };
	tb_error err;
	int r;

	ck_assert_int_eq(tb_audit_open(path, &a, &err), 0);
	r = tb_audit_front_record(a, &ev, result, verify, &err);
	tb_audit_free(a);
	return r;
}

static int
file_has(const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(buf, sizeof(buf), f) != NULL)
		found = strstr(buf, needle) != NULL;
	fclose(f);
	return found;
}

START_TEST(front_cannot_record_success)
{
	ck_assert_int_eq(front("sign", 0, 0, "registry", NULL), TB_ERR_FORBIDDEN);
	ck_assert(!file_has("\"op\":\"sign\""));
	ck_assert(file_has("\"op\":\"front-record\""));
	ck_assert_int_eq(front("signer-start", 0, 0, NULL, NULL), TB_ERR_FORBIDDEN);
	ck_assert_int_eq(front("signer-start", TB_ERR_FORBIDDEN, 0, NULL, NULL), TB_ERR_FORBIDDEN);
	ck_assert_int_eq(front("checkpoint", TB_ERR_FORBIDDEN, 0, NULL, NULL), TB_ERR_FORBIDDEN);
	ck_assert(!file_has("\"op\":\"signer-start\""));
	/* a refusal the front made is its to report, marked as the front's */
	ck_assert_int_eq(front("connect", TB_ERR_FORBIDDEN, 0, NULL, "no [client]"), 0);
	ck_assert(file_has("\"op\":\"connect\",\"key\":null,\"doc_digest\":\"sha256:00\","
	    "\"sig_digest\":null,\"attrs_digest\":null,\"result\":\"forbidden\","
	    "\"detail\":\"no [client]\",\"source\":\"front\""));
	/* verification records only when turned on, and never as a signature */
	ck_assert_int_eq(front("verification", 0, 0, "VALID",
	    "serial=01;revocation=ocsp good;issuer=CN=CA"), TB_ERR_FORBIDDEN);
	ck_assert(!file_has("\"verdict\""));
	ck_assert_int_eq(front("verification", 0, 1, "VALID",
	    "serial=01;revocation=ocsp good;issuer=CN=CA;O=x"), 0);
	ck_assert(file_has("\"op\":\"verification\",\"key\":null,\"doc_digest\":\"sha256:00\","
	    "\"sig_digest\":null,\"attrs_digest\":null,\"result\":\"recorded\",\"detail\":null,"
	    "\"source\":\"front\",\"verdict\":\"VALID\",\"cert_issuer\":\"CN=CA;O=x\","
	    "\"cert_serial\":\"01\",\"revocation\":\"ocsp good\""));
	ck_assert_uint_eq(verify_bad_line(), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("chain");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain_verifies_and_continues);
	tcase_add_test(tc, edit_detected);
	tcase_add_test(tc, delete_detected);
	tcase_add_test(tc, reorder_detected);
	tcase_add_test(tc, edit_rehashed_chain_detected);
	tcase_add_test(tc, delete_rechained_detected);
	tcase_add_test(tc, damaged_tail_refuses_open);
	tcase_add_test(tc, write_failure_reported);
	tcase_add_test(tc, concurrent_appends_share_syncs);
	suite_add_tcase(s, tc);
	tc = tcase_create("checkpoints");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, keyed_chain_verifies);
	tcase_add_test(tc, edit_rehashed_detected);
	tcase_add_test(tc, delete_resealed_detected);
	tcase_add_test(tc, removed_checkpoint_detected);
	tcase_add_test(tc, cut_tail_detected);
	tcase_add_test(tc, stripped_tail_checkpoints_detected);
	tcase_add_test(tc, missing_checkpoint_detected);
	tcase_add_test(tc, rotation_accepted);
	tcase_add_test(tc, key_file_created_private);
	tcase_add_test(tc, checkpoint_on_time);
	tcase_add_test(tc, concurrent_keyed_appends);
	tcase_add_test(tc, refusals_bounded_and_counted);
	tcase_add_test(tc, refusal_window_ends);
	tcase_add_test(tc, front_cannot_record_success);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
