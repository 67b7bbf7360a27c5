/*
 * Token faults: the token layer loaded over tests/unit/p11-fault (a PKCS#11
 * module that forwards to SoftHSM2 and fails on command), one test per
 * fault. Each checks the documented behaviour (docs/TOKEN.md "The retry
 * rule", docs/FAULTS.md): retry once, a clear error, `healthy` in the
 * status, recovery when the fault clears, and a pool that a slow token
 * does not serialise. Attempts are counted by the module, not guessed.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "check_run.h"
#include "p11_testlib.h"
#include "tb_file.h"
#include "tb_p11.h"

#define USER_PIN "123456"
#define SLEEP_MS 1500

static char g_dir[512];
static char g_shim[1024];
static char g_control[600];
static const char *g_softhsm;
static int g_pin_fd = -1;

/* The token with an RSA and an EC key, each with its certificate. */
static const char token_script[] =
    "tb_token_init \"$1/hsm\" tbfault " USER_PIN " 87654321\n"
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null\n"
    "openssl req -x509 -new -key rsa.key -subj /CN=rsa-key -days 3650 -out rsa.crt\n"
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key\n"
    "openssl req -x509 -new -key ec.key -subj /CN=ec-key -days 3650 -out ec.crt\n"
    "tb_token_import_key tbfault rsa 01 rsa.key " USER_PIN "\n"
    "tb_token_import_cert tbfault rsa 01 rsa.crt " USER_PIN "\n"
    "tb_token_import_key tbfault ec 02 ec.key " USER_PIN "\n"
    "tb_token_import_cert tbfault ec 02 ec.crt " USER_PIN "\n"
    "umask 077\n"
    "printf '" USER_PIN "\\n' > pin\n"
    ": > control\n";

/* Replaces the control file whole, so the module never reads half of it. */
static void
control_set(const char *text)
{
	char tmp[700];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", g_control);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, g_control), 0);
}

/* A counter from the stats file the module writes ("sign_calls=3"). */
static unsigned long
stat_get(const char *name)
{
	char path[600], line[128];
	size_t nlen = strlen(name);
	unsigned long v = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", g_dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;	/* nothing counted yet */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, nlen) == 0 && line[nlen] == '=') {
			v = strtoul(line + nlen + 1, NULL, 10);
			found = 1;
		}
	}
	fclose(f);
	ck_assert_msg(found, "no %s in the module's stats", name);
	return v;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

struct fixture {
	tb_p11_module *mod;
	tb_p11_token *tok;
	tb_p11_key *key;
};

/* The shim loaded by path, as a `module =` line in a config names it. */
static void
fixture_open(struct fixture *fx, unsigned max_sessions, const char *key_uri)
{
	tb_error err;
	int r;

	control_set("");
	memset(fx, 0, sizeof(*fx));
	r = tb_p11_module_load(g_shim, &fx->mod, &err);
	ck_assert_msg(r == 0, "load %s: %s", g_shim, err.detail);
	r = tb_p11_token_open(fx->mod, "pkcs11:token=tbfault", g_pin_fd, max_sessions,
	    &fx->tok, &err);
	ck_assert_msg(r == 0, "token: %s", err.detail);
	r = tb_p11_key_find(fx->tok, key_uri, &fx->key, &err);
	ck_assert_msg(r == 0, "key %s: %s", key_uri, err.detail);
	ck_assert_ptr_nonnull(tb_p11_key_cert(fx->key));
}

static void
fixture_close(struct fixture *fx)
{
	control_set("");
	tb_p11_key_free(fx->key);
	tb_p11_token_free(fx->tok);
	tb_p11_module_free(fx->mod);
}

/*
 * Signs a SHA-256 digest of msg; on success checks the signature against
 * the key's certificate, so a "success" after a fault is a real one.
 */
static int
sign_msg(tb_p11_key *key, const char *msg, tb_error *err)
{
	EVP_PKEY *pub = X509_get0_pubkey(tb_p11_key_cert(key));
	unsigned char dgst[32], sig[1024];
	unsigned int dlen = 0;
	size_t slen = sizeof(sig);
	int r;

	ck_assert_int_eq(EVP_Digest(msg, strlen(msg), dgst, &dlen, EVP_sha256(), NULL), 1);
	r = tb_p11_key_sign(key, NID_sha256, dgst, dlen, sig, &slen, err);
	if (r != 0)
		return r;
	ck_assert_msg(p11t_verify(pub, EVP_sha256(), dgst, dlen, sig, slen),
	    "signature over '%s' does not verify", msg);
	return 0;
}

static void
sign_ok(tb_p11_key *key, const char *msg)
{
	tb_error err;
	int r = sign_msg(key, msg, &err);

	ck_assert_msg(r == 0, "sign '%s': %d %s", msg, r, err.detail);
}

/* The shim forwards faithfully: every v2.40 entry, the real module's answers. */
START_TEST(test_passthrough)
{
	struct fixture fx;
	CK_FUNCTION_LIST *shim = NULL, *real = NULL;
	CK_C_GetFunctionList get;
	CK_INFO si, ri;
	void *dl, *rdl, **fn;
	size_t i, n;
	unsigned long before, faults;
	tb_p11_token_status st;

	fixture_open(&fx, 2, "pkcs11:object=rsa");
	before = stat_get("sign_calls");
	faults = stat_get("faults_injected");
	sign_ok(fx.key, "pass-through");
	ck_assert_uint_eq(stat_get("sign_calls"), before + 1);
	ck_assert_uint_eq(stat_get("faults_injected"), faults);

	/* The same mapping p11-kit loaded; it is initialised by now. */
	ck_assert_ptr_nonnull(dl = dlopen(g_shim, RTLD_NOW | RTLD_NOLOAD));
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	ck_assert_ptr_nonnull(get);
	ck_assert_int_eq(get(&shim), CKR_OK);
	ck_assert_int_eq(shim->version.major, 2);
	ck_assert_int_eq(shim->version.minor, 40);
	n = (sizeof(*shim) - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(void *);
	ck_assert_uint_eq(n, 68);
	fn = (void **)&shim->C_Initialize;
	for (i = 0; i < n; i++)
		ck_assert_msg(fn[i] != NULL, "function %zu of the list is missing", i);
	/* Only the list is exported, nothing that could shadow the real module. */
	ck_assert_ptr_null(dlsym(dl, "C_Sign"));

	ck_assert_ptr_nonnull(rdl = dlopen(g_softhsm, RTLD_NOW | RTLD_NOLOAD));
	*(void **)&get = dlsym(rdl, "C_GetFunctionList");
	ck_assert_int_eq(get(&real), CKR_OK);
	ck_assert_int_eq(shim->C_GetInfo(&si), CKR_OK);
	ck_assert_int_eq(real->C_GetInfo(&ri), CKR_OK);
	ck_assert_int_eq(memcmp(si.manufacturerID, ri.manufacturerID,
	    sizeof(si.manufacturerID)), 0);
	ck_assert_int_eq(memcmp(si.libraryDescription, ri.libraryDescription,
	    sizeof(si.libraryDescription)), 0);
	ck_assert_int_eq(shim->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
	dlclose(rdl);
	dlclose(dl);

	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_int_eq(st.healthy, 1);
	ck_assert_uint_eq(st.reconnects, 0);
	fixture_close(&fx);
}
END_TEST

/* A bad control line is counted, not silently taken as "no fault". */
START_TEST(test_control_errors)
{
	struct fixture fx;
	unsigned long errors, faults;

	fixture_open(&fx, 1, "pkcs11:object=rsa");
	errors = stat_get("control_errors");
	faults = stat_get("faults_injected");
	control_set("sign_fail_nth=0\nsign_fail_al\nsign_fail_all rv=CKR_NO_SUCH\n"
	    "token_removed=1\n# a comment\n\n");
	sign_ok(fx.key, "typos inject nothing");
	ck_assert_uint_eq(stat_get("control_errors"), errors + 4);
	ck_assert_uint_eq(stat_get("faults_injected"), faults);
	fixture_close(&fx);
}
END_TEST

/* The real module missing: a load error, not a crash. */
START_TEST(test_missing_real_module)
{
	tb_p11_module *mod = NULL;
	const char *fork_mode = getenv("CK_FORK");
	tb_error err;

	/* The module reads its environment once per process: needs a fresh one. */
	if (fork_mode != NULL && strcmp(fork_mode, "no") == 0)
		return;
	setenv("P11FAULT_MODULE", "/nonexistent/libsofthsm2.so", 1);
	ck_assert_int_eq(tb_p11_module_load(g_shim, &mod, &err), TB_ERR_MODULE);
	ck_assert_ptr_null(mod);
	setenv("P11FAULT_MODULE", g_softhsm, 1);
}
END_TEST

/* One C_Sign fails with CKR_DEVICE_ERROR: retried once, the signature is made. */
START_TEST(test_fail_nth_once)
{
	struct fixture fx;
	tb_p11_token_status st;
	unsigned long base, faults;

	fixture_open(&fx, 2, "pkcs11:object=rsa");
	control_set("sign_fail_nth=2 rv=CKR_DEVICE_ERROR\n");
	base = stat_get("sign_calls");
	faults = stat_get("faults_injected");
	sign_ok(fx.key, "first: untouched");
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 0);
	ck_assert_uint_eq(stat_get("sign_calls"), base + 1);

	sign_ok(fx.key, "second: fails once, then retried");
	ck_assert_uint_eq(stat_get("sign_calls"), base + 3);
	ck_assert_uint_eq(stat_get("faults_injected"), faults + 1);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_int_eq(st.healthy, 1);
	ck_assert_uint_eq(st.signatures, 2);

	sign_ok(fx.key, "third: the fault was once");
	ck_assert_uint_eq(stat_get("sign_calls"), base + 4);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_uint_eq(st.sessions_busy, 0);
	fixture_close(&fx);
}
END_TEST

/* Every C_Sign fails: two attempts, TB_ERR_TOKEN_GONE, unhealthy; then mended. */
START_TEST(test_fail_all)
{
	struct fixture fx;
	tb_p11_token_status st;
	unsigned long base;
	tb_error err;

	fixture_open(&fx, 2, "pkcs11:object=ec");
	control_set("sign_fail_all rv=CKR_DEVICE_ERROR\n");
	base = stat_get("sign_calls");
	ck_assert_int_eq(sign_msg(fx.key, "never signed", &err), TB_ERR_TOKEN_GONE);
	ck_assert_msg(strstr(err.detail, "CKR_DEVICE_ERROR") != NULL, "%s", err.detail);
	ck_assert_uint_eq(stat_get("sign_calls"), base + 2);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_int_eq(st.healthy, 0);
	ck_assert_uint_eq(st.failures, 1);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_uint_eq(st.signatures, 0);
	ck_assert_uint_eq(st.sessions_busy, 0);

	/* Still failing: again exactly two attempts, no loop. */
	ck_assert_int_eq(sign_msg(fx.key, "never signed either", &err), TB_ERR_TOKEN_GONE);
	ck_assert_uint_eq(stat_get("sign_calls"), base + 4);

	control_set("");
	sign_ok(fx.key, "the device is back");
	ck_assert_uint_eq(stat_get("sign_calls"), base + 5);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_int_eq(st.healthy, 1);
	ck_assert_uint_eq(st.signatures, 1);
	ck_assert_uint_eq(st.failures, 2);
	fixture_close(&fx);
}
END_TEST

struct signer {
	tb_p11_key *key;
	const char *msg;
	int r;
	char detail[384];
	double start_ms, end_ms;
	volatile int done;
};

static void *
signer_run(void *arg)
{
	struct signer *s = arg;
	tb_error err;

	s->start_ms = now_ms();
	s->r = sign_msg(s->key, s->msg, &err);
	if (s->r != 0)
		snprintf(s->detail, sizeof(s->detail), "%s", err.detail);
	s->end_ms = now_ms();
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Waits until the module has counted `want` C_Sign calls. */
static void
wait_sign_calls(unsigned long want)
{
	double t0 = now_ms();

	while (stat_get("sign_calls") < want) {
		ck_assert_msg(now_ms() - t0 < 10000, "C_Sign call %lu never came", want);
		usleep(2000);
	}
}

/* Runs n signatures at once (each C_Sign slowed) so the pool opens n sessions. */
static void
fill_pool(struct fixture *fx, int n)
{
	struct signer s[8];
	pthread_t th[8];
	tb_p11_token_status st;
	int i;

	ck_assert_int_le(n, 8);
	/* long enough that every thread has taken its session before one is given back */
	control_set("sign_sleep_ms=1000\n");
	for (i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].key = fx->key;
		s[i].msg = "filling the pool";
		ck_assert_int_eq(pthread_create(&th[i], NULL, signer_run, &s[i]), 0);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(s[i].r == 0, "%s", s[i].detail);
	}
	control_set("");
	tb_p11_token_get_status(fx->tok, &st);
	ck_assert_uint_eq(st.sessions_open, (unsigned)n);
	ck_assert_uint_eq(st.reconnects, 0);
}

/* The token is pulled out: TB_ERR_TOKEN_GONE, unhealthy; put back: recovers. */
START_TEST(test_token_removed)
{
	struct fixture fx;
	tb_p11_token_status st;
	tb_error err;

	/* Three sessions: the failed try and its retry retire two, one is left. */
	fixture_open(&fx, 3, "pkcs11:object=rsa");
	fill_pool(&fx, 3);
	control_set("token_removed\n");
	ck_assert_int_eq(sign_msg(fx.key, "while removed", &err), TB_ERR_TOKEN_GONE);
	ck_assert_msg(strstr(err.detail, "CKR_DEVICE_REMOVED") != NULL ||
	    strstr(err.detail, "CKR_TOKEN_NOT_PRESENT") != NULL, "%s", err.detail);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_int_eq(st.healthy, 0);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_uint_eq(st.sessions_busy, 0);
	/* Status still names the token it lost. */
	ck_assert_str_eq(st.label, "tbfault");

	/*
	 * Back again, having forgotten every session: the idle one left from
	 * before is replaced, not tried (no further reconnect).
	 */
	control_set("");
	sign_ok(fx.key, "after reinsertion");
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_int_eq(st.healthy, 1);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_uint_eq(st.signatures, 4);
	sign_ok(fx.key, "and on");
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	fixture_close(&fx);
}
END_TEST

/* Every session the pool holds is invalidated: one retry mends it. */
START_TEST(test_invalidate_sessions)
{
	struct fixture fx;
	tb_p11_token_status st;
	unsigned long base, logins, lost;
	int i;

	fixture_open(&fx, 3, "pkcs11:object=ec");
	fill_pool(&fx, 3);

	control_set("invalidate_sessions\n");
	base = stat_get("sign_calls");
	sign_ok(fx.key, "after invalidation");
	ck_assert_uint_ge(stat_get("sessions_invalidated"), 1);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_int_eq(st.healthy, 1);
	/* The failure hit C_SignInit; only the retry reached C_Sign. */
	ck_assert_uint_eq(stat_get("sign_calls"), base + 1);
	/* No session from before the fault is handed out again. */
	for (i = 0; i < 4; i++)
		sign_ok(fx.key, "on fresh sessions");
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_uint_eq(st.signatures, 3 + 5);

	/* With one session, its loss also loses the login: logged in again. */
	fixture_close(&fx);
	fixture_open(&fx, 1, "pkcs11:object=rsa");
	logins = stat_get("login_calls");
	lost = stat_get("sessions_invalidated");
	control_set("invalidate_sessions\n");
	sign_ok(fx.key, "single session invalidated");
	ck_assert_uint_eq(stat_get("sessions_invalidated"), lost + 1);
	ck_assert_uint_eq(stat_get("login_calls"), logins + 1);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	/* The same directive, newly written: fires again. */
	control_set("invalidate_sessions\n# again\n");
	sign_ok(fx.key, "invalidated twice");
	ck_assert_uint_eq(stat_get("sessions_invalidated"), lost + 2);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 2);
	ck_assert_int_eq(st.healthy, 1);
	fixture_close(&fx);
}
END_TEST

/* The token drops the login: logged in again, key found again, signed. */
START_TEST(test_logout)
{
	struct fixture fx;
	tb_p11_token_status st;
	unsigned long logins, logouts;

	fixture_open(&fx, 2, "pkcs11:object=rsa");
	logins = stat_get("login_calls");
	logouts = stat_get("logouts");
	control_set("logout\n");
	sign_ok(fx.key, "after a lost login");
	ck_assert_uint_eq(stat_get("logouts"), logouts + 1);
	ck_assert_uint_eq(stat_get("login_calls"), logins + 1);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_int_eq(st.healthy, 1);
	sign_ok(fx.key, "and again");
	fixture_close(&fx);
}
END_TEST

/* CKR_BUFFER_TOO_SMALL is the caller's error: reported, never retried. */
START_TEST(test_buffer_too_small)
{
	struct fixture fx;
	tb_p11_token_status st;
	unsigned long base;
	tb_error err;

	fixture_open(&fx, 2, "pkcs11:object=rsa");
	control_set("sign_buffer_too_small\n");
	base = stat_get("sign_calls");
	ck_assert_int_eq(sign_msg(fx.key, "no room", &err), TB_ERR_INVALID_ARG);
	ck_assert_msg(strstr(err.detail, "CKR_BUFFER_TOO_SMALL") != NULL, "%s", err.detail);
	ck_assert_uint_eq(stat_get("sign_calls"), base + 1);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 0);
	ck_assert_uint_eq(st.failures, 1);
	ck_assert_uint_eq(st.sessions_busy, 0);
	/* The caller's error says nothing about the device. */
	ck_assert_int_eq(st.healthy, 1);

	control_set("");
	sign_ok(fx.key, "room again");
	ck_assert_uint_eq(stat_get("sign_calls"), base + 2);
	fixture_close(&fx);
}
END_TEST

/* Status during a slow C_Sign: at once, and showing the busy session. */
static void
assert_status_fast(tb_p11_token *tok, unsigned busy)
{
	tb_p11_token_status st;
	double t0 = now_ms();

	tb_p11_token_get_status(tok, &st);
	/* far under SLEEP_MS: it did not wait for the C_Sign; a preempted thread may take a while */
	ck_assert_msg(now_ms() - t0 < 500, "status took %.0f ms", now_ms() - t0);
	ck_assert_uint_eq(st.sessions_busy, busy);
	ck_assert_int_eq(st.healthy, 1);
}

/* A slow token holds one session, not the pool, and never the status. */
START_TEST(test_slow_token)
{
	struct fixture fx;
	struct signer a, b, c;
	pthread_t ta, tb, tc;
	unsigned long base;
	double t0, took;
	char text[64];

	fixture_open(&fx, 2, "pkcs11:object=rsa");

	/* Only the first C_Sign is slow: a second signature overtakes it. */
	snprintf(text, sizeof(text), "sign_sleep_ms=%d nth=1\n", SLEEP_MS);
	control_set(text);
	base = stat_get("sign_calls");
	memset(&a, 0, sizeof(a));
	a.key = fx.key;
	a.msg = "slow";
	ck_assert_int_eq(pthread_create(&ta, NULL, signer_run, &a), 0);
	wait_sign_calls(base + 1);	/* a is inside C_Sign, asleep */
	assert_status_fast(fx.tok, 1);
	t0 = now_ms();
	sign_ok(fx.key, "fast, beside the slow one");
	took = now_ms() - t0;
	ck_assert_msg(took < SLEEP_MS / 2, "second signature took %.0f ms", took);
	ck_assert_msg(!__atomic_load_n(&a.done, __ATOMIC_ACQUIRE),
	    "the slow signature ended before the fast one");
	assert_status_fast(fx.tok, 1);
	pthread_join(ta, NULL);
	ck_assert_msg(a.r == 0, "%s", a.detail);
	ck_assert_msg(a.end_ms - a.start_ms >= SLEEP_MS - 50, "slow signature took %.0f ms",
	    a.end_ms - a.start_ms);

	/*
	 * Every C_Sign slow: two run side by side (the pool has two
	 * sessions), a third waits for a free one.
	 */
	snprintf(text, sizeof(text), "sign_sleep_ms=%d\n", SLEEP_MS);
	control_set(text);
	base = stat_get("sign_calls");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	a.key = b.key = c.key = fx.key;
	a.msg = "slow a";
	b.msg = "slow b";
	c.msg = "slow c";
	t0 = now_ms();
	ck_assert_int_eq(pthread_create(&ta, NULL, signer_run, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, signer_run, &b), 0);
	wait_sign_calls(base + 2);
	assert_status_fast(fx.tok, 2);
	ck_assert_int_eq(pthread_create(&tc, NULL, signer_run, &c), 0);
	usleep(100 * 1000);
	/* c waits for a session: still only two C_Sign calls. */
	ck_assert_uint_eq(stat_get("sign_calls"), base + 2);
	assert_status_fast(fx.tok, 2);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	took = now_ms() - t0;
	ck_assert_msg(a.r == 0 && b.r == 0, "%s %s", a.detail, b.detail);
	ck_assert_msg(took < 2 * SLEEP_MS - 100, "two sessions ran one after the other: %.0f ms",
	    took);
	pthread_join(tc, NULL);
	ck_assert_msg(c.r == 0, "%s", c.detail);
	ck_assert_msg(c.end_ms - t0 >= 2 * SLEEP_MS - 50,
	    "the third signature did not wait for a session: %.0f ms", c.end_ms - t0);
	ck_assert_uint_eq(stat_get("sign_calls"), base + 3);
	fixture_close(&fx);
}
END_TEST

#define NTH_THREADS 8
#define NTH_ROUNDS 4

struct worker {
	tb_p11_key *key;
	pthread_barrier_t *start;
	int failures;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char msg[64];
	tb_error err;
	int i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < NTH_ROUNDS; i++) {
		snprintf(msg, sizeof(msg), "document %p %d", (void *)w, i);
		if (sign_msg(w->key, msg, &err) != 0)
			w->failures++;
	}
	return NULL;
}

/* The Nth is counted across threads: exactly one call fails, once. */
START_TEST(test_fail_nth_threads)
{
	struct fixture fx;
	tb_p11_token_status st;
	pthread_t th[NTH_THREADS];
	struct worker w[NTH_THREADS];
	pthread_barrier_t start;
	unsigned long base, faults;
	int i, failures = 0;

	fixture_open(&fx, 4, "pkcs11:object=ec");
	control_set("sign_fail_nth=5 rv=CKR_DEVICE_ERROR\n");
	base = stat_get("sign_calls");
	faults = stat_get("faults_injected");
	pthread_barrier_init(&start, NULL, NTH_THREADS);
	for (i = 0; i < NTH_THREADS; i++) {
		w[i].key = fx.key;
		w[i].start = &start;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < NTH_THREADS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	pthread_barrier_destroy(&start);
	ck_assert_int_eq(failures, 0);
	ck_assert_uint_eq(stat_get("faults_injected"), faults + 1);
	ck_assert_uint_eq(stat_get("sign_calls"), base + NTH_THREADS * NTH_ROUNDS + 1);
	tb_p11_token_get_status(fx.tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_uint_eq(st.signatures, NTH_THREADS * NTH_ROUNDS);
	ck_assert_int_eq(st.healthy, 1);
	fixture_close(&fx);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("p11-fault");
	TCase *tc = tcase_create("faults");
	const char *builddir = getenv("top_builddir");
	const char *shim = getenv("P11FAULT_SHIM");
	char path[600], stats[600];
	tb_error err;
	int failed;

	g_softhsm = getenv("SOFTHSM_MODULE");
	if (g_softhsm == NULL || *g_softhsm == '\0')
		g_softhsm = "/usr/lib/softhsm/libsofthsm2.so";
	if (shim != NULL && *shim != '\0')
		snprintf(g_shim, sizeof(g_shim), "%s", shim);
	else
		snprintf(g_shim, sizeof(g_shim), "%s/tests/unit/p11-fault/.libs/libp11fault.so",
		    builddir != NULL ? builddir : ".");
	if (access(g_shim, R_OK) != 0) {
		fprintf(stderr, "fault module %s not built\n", g_shim);
		return 1;
	}
	if (access(g_softhsm, R_OK) != 0) {
		fprintf(stderr, "SoftHSM2 module %s missing\n", g_softhsm);
		return 1;
	}
	if (p11t_token_make(g_dir, sizeof(g_dir), "p11fault", token_script) != 0) {
		fprintf(stderr, "could not make the test token\n");
		p11t_token_remove(g_dir);
		return 1;
	}
	snprintf(g_control, sizeof(g_control), "%s/control", g_dir);
	snprintf(stats, sizeof(stats), "%s/stats", g_dir);
	setenv("P11FAULT_MODULE", g_softhsm, 1);
	setenv("P11FAULT_CONTROL", g_control, 1);
	setenv("P11FAULT_STATS", stats, 1);
	snprintf(path, sizeof(path), "%s/pin", g_dir);
	if (tb_secret_open(path, &g_pin_fd, &err) != 0) {
		fprintf(stderr, "pin: %s\n", err.detail);
		p11t_token_remove(g_dir);
		return 1;
	}

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_passthrough);
	tcase_add_test(tc, test_control_errors);
	tcase_add_test(tc, test_missing_real_module);
	tcase_add_test(tc, test_fail_nth_once);
	tcase_add_test(tc, test_fail_all);
	tcase_add_test(tc, test_token_removed);
	tcase_add_test(tc, test_invalidate_sessions);
	tcase_add_test(tc, test_logout);
	tcase_add_test(tc, test_buffer_too_small);
	tcase_add_test(tc, test_slow_token);
	tcase_add_test(tc, test_fail_nth_threads);
	suite_add_tcase(s, tc);
	failed = tbt_run(s, CK_NORMAL);
	close(g_pin_fd);
	p11t_token_remove(g_dir);
	return failed;
}
