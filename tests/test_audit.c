/*
 * Audit trail: the chain verifies, every kind of tampering (also by someone
 * who recomputes the hashes) is named at the right record, by the library
 * and by tanba-admin audit-verify, a reopened file continues its chain, and
 * a failed write is reported rather than swallowed.
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
#include <unistd.h>

#include "audit.h"
#include "check_run.h"

static char dir[] = "/tmp/tb-audit-XXXXXX";
static char path[256];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
}

static void
teardown(void)
{
	unlink(path);
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

START_TEST(edit_rehashed_detected)
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
	ck_assert_msg(strstr(out, "BROKEN at record 4 (line 5)") != NULL, "%s", out);
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
	ck_assert_msg(strstr(out, "BROKEN at record 3 (line 4)") != NULL, "%s", out);
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
	tcase_add_test(tc, edit_rehashed_detected);
	tcase_add_test(tc, delete_rechained_detected);
	tcase_add_test(tc, damaged_tail_refuses_open);
	tcase_add_test(tc, write_failure_reported);
	tcase_add_test(tc, concurrent_appends_share_syncs);
	suite_add_tcase(s, tc);
	return tbt_run(s, CK_NORMAL);
}
