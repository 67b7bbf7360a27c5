/*
 * Unit tests of the token layer against a real SoftHSM2 token that this
 * test makes in a temporary directory (through tests/system/setup.sh). Every
 * signature is checked with OpenSSL against the certificate's public key,
 * so a wrong encoding fails here rather than in a verifier's hands.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <p11-kit/p11-kit.h>

#include "check_run.h"
#include "p11_testlib.h"
#include "tb_file.h"
#include "tb_p11.h"

#define USER_PIN "123456"

static char g_dir[512];
static const char *g_module;
static int g_pin_fd = -1;

static void
path_in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", g_dir, name);
}

/* The token, the keys and the certificates, made with the shell library. */
static const char token_script[] =
    "tb_token_init \"$1/hsm\" tbtest " USER_PIN " 87654321\n"
    "tb_token_init \"$1/hsm\" other " USER_PIN " 87654321\n"
    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null\n"
    "openssl req -x509 -new -key rsa.key -subj /CN=rsa-key -days 3650 -out rsa.crt\n"
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key\n"
    "openssl req -x509 -new -key ec.key -subj /CN=ec-key -days 3650 -out ec.crt\n"
    "tb_token_import_key tbtest rsa 01 rsa.key " USER_PIN "\n"
    "tb_token_import_cert tbtest rsa 01 rsa.crt " USER_PIN "\n"
    "tb_token_import_key tbtest ec 02 ec.key " USER_PIN "\n"
    "tb_token_import_cert tbtest ec 02 ec.crt " USER_PIN "\n"
    "tb_token_gen_key tbtest gen 03 EC:prime256v1 " USER_PIN " gen.pub\n"
    "tb_token_gen_key tbtest twin 04 EC:prime256v1 " USER_PIN " twin1.pub\n"
    "tb_token_gen_key tbtest twin 05 EC:prime256v1 " USER_PIN " twin2.pub\n"
    "umask 077\n"
    "printf '" USER_PIN "\\n' > pin.ok\n"
    "printf '999999\\n' > pin.bad\n"
    "printf '" USER_PIN "\\n' > pin.open; chmod 644 pin.open\n";

static int
open_pin(const char *name)
{
	char path[600];
	int fd = -1;
	tb_error err;

	path_in_dir(path, sizeof(path), name);
	ck_assert_int_eq(tb_secret_open(path, &fd, &err), 0);
	return fd;
}

static tb_p11_module *
load_module(void)
{
	tb_p11_module *mod = NULL;
	tb_error err;
	int r = tb_p11_module_load(g_module, &mod, &err);

	ck_assert_msg(r == 0, "load %s: %s", g_module, err.detail);
	return mod;
}

static tb_p11_token *
open_token(tb_p11_module *mod, unsigned max)
{
	tb_p11_token *tok = NULL;
	tb_error err;
	int r = tb_p11_token_open(mod, "pkcs11:token=tbtest", g_pin_fd, max, &tok, &err);

	ck_assert_msg(r == 0, "token: %s", err.detail);
	return tok;
}

static tb_p11_key *
find_key(tb_p11_token *tok, const char *uri)
{
	tb_p11_key *key = NULL;
	tb_error err;
	int r = tb_p11_key_find(tok, uri, &key, &err);

	ck_assert_msg(r == 0, "key %s: %s", uri, err.detail);
	return key;
}

static EVP_PKEY *
read_pub(const char *name)
{
	char path[600];
	FILE *f;
	EVP_PKEY *pk;

	path_in_dir(path, sizeof(path), name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(pk);
	return pk;
}

/* Signs "msg" hashed with md and checks the signature against pub. */
static void
sign_and_verify(tb_p11_key *key, EVP_PKEY *pub, const EVP_MD *md, const char *msg)
{
	unsigned char dgst[EVP_MAX_MD_SIZE], sig[1024];
	unsigned int dlen = 0;
	size_t slen = sizeof(sig);
	tb_error err;
	int r;

	ck_assert_int_eq(EVP_Digest(msg, strlen(msg), dgst, &dlen, md, NULL), 1);
	r = tb_p11_key_sign(key, EVP_MD_get_type(md), dgst, dlen, sig, &slen, &err);
	ck_assert_msg(r == 0, "sign %s: %s", EVP_MD_get0_name(md), err.detail);
	ck_assert_msg(p11t_verify(pub, md, dgst, dlen, sig, slen), "%s signature does not verify",
	    EVP_MD_get0_name(md));
	/* The check can fail: a changed digest must not verify. */
	dgst[0] ^= 1;
	ck_assert(!p11t_verify(pub, md, dgst, dlen, sig, slen));
}

START_TEST(test_load_by_path)
{
	tb_p11_module *mod = load_module();

	tb_p11_module_free(mod);
	tb_p11_module_free(NULL);
}
END_TEST

START_TEST(test_load_by_name)
{
	tb_p11_module *mod = NULL;
	tb_p11_token *tok;
	tb_p11_key *key;
	tb_error err;
	int r = tb_p11_module_load("softhsm2", &mod, &err);

	ck_assert_msg(r == 0, "load softhsm2: %s", err.detail);
	tok = open_token(mod, 1);
	key = find_key(tok, "pkcs11:token=tbtest;object=rsa");
	ck_assert_int_eq(tb_p11_key_type(key), EVP_PKEY_RSA);
	tb_p11_key_free(key);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

START_TEST(test_missing_module)
{
	tb_p11_module *mod = NULL;
	tb_error err;

	ck_assert_int_eq(tb_p11_module_load("/nonexistent/libnope.so", &mod, &err),
	    TB_ERR_MODULE);
	ck_assert_ptr_null(mod);
	ck_assert_int_eq(tb_p11_module_load("no-such-p11-module", &mod, &err),
	    TB_ERR_MODULE);
	ck_assert_ptr_null(mod);
}
END_TEST

START_TEST(test_pin_file)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = NULL;
	char path[600];
	int fd = -1;
	tb_error err;

	path_in_dir(path, sizeof(path), "pin.open");
	ck_assert_int_eq(tb_secret_open(path, &fd, &err), TB_ERR_PIN_FILE);
	ck_assert_int_eq(fd, -1);
	/* No usable descriptor: refused before any login. */
	ck_assert_int_eq(tb_p11_token_open(mod, "pkcs11:token=tbtest", -1, 2, &tok, &err),
	    TB_ERR_PIN_FILE);
	ck_assert_ptr_null(tok);
	tb_p11_module_free(mod);
}
END_TEST

START_TEST(test_wrong_pin)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = NULL;
	tb_error err;
	int fd = open_pin("pin.bad");

	ck_assert_int_eq(tb_p11_token_open(mod, "pkcs11:token=tbtest", fd, 2, &tok, &err),
	    TB_ERR_PIN_INCORRECT);
	ck_assert_msg(strstr(err.detail, "CKR_PIN_INCORRECT") != NULL, "%s", err.detail);
	ck_assert_ptr_null(tok);
	close(fd);
	/* The right PIN still works: one wrong try did not lock it. */
	tok = open_token(mod, 1);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

START_TEST(test_no_token)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = NULL;
	tb_error err;

	ck_assert_int_eq(tb_p11_token_open(mod, "pkcs11:token=nosuch", g_pin_fd, 2, &tok,
	    &err), TB_ERR_NO_TOKEN);
	/* Two initialised tokens: a URI that does not say which is refused. */
	ck_assert_int_eq(tb_p11_token_open(mod, "pkcs11:", g_pin_fd, 2, &tok, &err),
	    TB_ERR_NO_TOKEN);
	ck_assert_int_eq(tb_p11_token_open(mod, "http://x", g_pin_fd, 2, &tok, &err),
	    TB_ERR_INVALID_ARG);
	ck_assert_ptr_null(tok);
	tb_p11_module_free(mod);
}
END_TEST

START_TEST(test_find_keys)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = open_token(mod, 2);
	tb_p11_key *key = NULL;
	X509 *cert;
	char cn[64];
	tb_error err;
	static const struct {
		const char *uri;
		int type;
		const char *cn;
	} cases[] = {
		{ "pkcs11:token=tbtest;object=rsa", EVP_PKEY_RSA, "rsa-key" },
		{ "pkcs11:token=tbtest;object=ec;type=private", EVP_PKEY_EC, "ec-key" },
		{ "pkcs11:id=%01", EVP_PKEY_RSA, "rsa-key" },
		{ "pkcs11:token=tbtest;id=%02", EVP_PKEY_EC, "ec-key" },
		{ "pkcs11:object=twin;id=%05", EVP_PKEY_EC, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		key = find_key(tok, cases[i].uri);
		ck_assert_int_eq(tb_p11_key_type(key), cases[i].type);
		cert = tb_p11_key_cert(key);
		if (cases[i].cn == NULL) {
			ck_assert_ptr_null(cert);
		} else {
			ck_assert_msg(cert != NULL, "%s: no certificate", cases[i].uri);
			X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
			    cn, sizeof(cn));
			ck_assert_str_eq(cn, cases[i].cn);
		}
		tb_p11_key_free(key);
	}
	key = find_key(tok, "pkcs11:object=gen");
	ck_assert_ptr_null(tb_p11_key_cert(key));
	tb_p11_key_free(key);

	key = NULL;
	ck_assert_int_eq(tb_p11_key_find(tok, "pkcs11:token=tbtest;object=nosuch", &key,
	    &err), TB_ERR_NO_KEY);
	ck_assert_int_eq(tb_p11_key_find(tok, "pkcs11:id=%7f", &key, &err), TB_ERR_NO_KEY);
	/* Two keys share the label: ambiguous, refused. */
	ck_assert_int_eq(tb_p11_key_find(tok, "pkcs11:object=twin", &key, &err),
	    TB_ERR_NO_KEY);
	ck_assert_int_eq(tb_p11_key_find(tok, "pkcs11:token=other;object=rsa", &key, &err),
	    TB_ERR_NO_KEY);
	ck_assert_int_eq(tb_p11_key_find(tok, "pkcs11:object=rsa;type=cert", &key, &err),
	    TB_ERR_INVALID_ARG);
	/* A key is named by id or object, never taken as the token's only key. */
	ck_assert_int_eq(tb_p11_key_find(tok, "pkcs11:token=tbtest", &key, &err),
	    TB_ERR_INVALID_ARG);
	ck_assert_ptr_null(key);
	/* The token part of a key URI, as the keystore and tanba-admin read it. */
	ck_assert_int_eq(tb_p11_token_names(tok, "pkcs11:token=tbtest;object=rsa"), 1);
	ck_assert_int_eq(tb_p11_token_names(tok, "pkcs11:object=rsa"), 1);
	ck_assert_int_eq(tb_p11_token_names(tok, "pkcs11:token=other;object=rsa"), 0);
	ck_assert_int_eq(tb_p11_token_names(tok, "file:///etc/passwd"), 0);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

START_TEST(test_sign_verify)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = open_token(mod, 2);
	const char *uris[] = { "pkcs11:object=rsa", "pkcs11:object=ec" };
	const EVP_MD *mds[3];
	tb_p11_key *key, *gen;
	EVP_PKEY *pub;
	unsigned char dgst[32] = { 0 }, sig[1024];
	size_t i, j, slen;
	tb_p11_token_status st;
	tb_error err;

	mds[0] = EVP_sha256();
	mds[1] = EVP_sha384();
	mds[2] = EVP_sha512();
	for (i = 0; i < 2; i++) {
		key = find_key(tok, uris[i]);
		ck_assert_ptr_nonnull(tb_p11_key_cert(key));
		pub = X509_get0_pubkey(tb_p11_key_cert(key));
		for (j = 0; j < 3; j++)
			sign_and_verify(key, pub, mds[j], "Анықтама № 42");
		/* Wrong digest length, unsupported hash, too little room. */
		slen = sizeof(sig);
		ck_assert_int_eq(tb_p11_key_sign(key, NID_sha384, dgst, 32, sig, &slen, &err),
		    TB_ERR_INVALID_ARG);
		slen = 8;
		ck_assert_int_eq(tb_p11_key_sign(key, NID_sha256, dgst, 32, sig, &slen, &err),
		    TB_ERR_INVALID_ARG);
		tb_p11_key_free(key);
	}
	/* A key made on the token, checked against the public key it exported. */
	gen = find_key(tok, "pkcs11:object=gen");
	pub = read_pub("gen.pub");
	sign_and_verify(gen, pub, EVP_sha256(), "generated");
	EVP_PKEY_free(pub);

	/* set_cert takes only a certificate of the same key. */
	key = find_key(tok, "pkcs11:object=ec");
	ck_assert_int_eq(tb_p11_key_set_cert(gen, tb_p11_key_cert(key), &err),
	    TB_ERR_INVALID_ARG);
	ck_assert_ptr_null(tb_p11_key_cert(gen));
	tb_p11_key_free(key);
	key = find_key(tok, "pkcs11:object=rsa");
	ck_assert_int_eq(tb_p11_key_set_cert(gen, tb_p11_key_cert(key), &err),
	    TB_ERR_INVALID_ARG);
	ck_assert_int_eq(tb_p11_key_set_cert(key, tb_p11_key_cert(key), &err), 0);
	tb_p11_key_free(key);
	tb_p11_key_free(gen);

	tb_p11_token_get_status(tok, &st);
	ck_assert_str_eq(st.label, "tbtest");
	ck_assert_str_eq(st.manufacturer, "SoftHSM project");
	ck_assert_int_eq(st.healthy, 1);
	ck_assert_uint_eq(st.signatures, 7);
	ck_assert_uint_eq(st.reconnects, 0);
	ck_assert_uint_eq(st.sessions_busy, 0);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

#define THREADS 8
#define ROUNDS 25

struct worker {
	tb_p11_key *key;
	pthread_barrier_t *start;
	int failures;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	EVP_PKEY *pub = X509_get0_pubkey(tb_p11_key_cert(w->key));
	unsigned char dgst[32], sig[1024];
	unsigned int dlen;
	size_t slen;
	char msg[64];
	tb_error err;
	int i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < ROUNDS; i++) {
		snprintf(msg, sizeof(msg), "document %p %d", (void *)w, i);
		EVP_Digest(msg, strlen(msg), dgst, &dlen, EVP_sha256(), NULL);
		slen = sizeof(sig);
		if (tb_p11_key_sign(w->key, NID_sha256, dgst, dlen, sig, &slen, &err) != 0 ||
		    !p11t_verify(pub, EVP_sha256(), dgst, dlen, sig, slen))
			w->failures++;
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = open_token(mod, 4);
	tb_p11_key *key = find_key(tok, "pkcs11:object=rsa");
	pthread_t th[THREADS];
	struct worker w[THREADS];
	pthread_barrier_t start;
	tb_p11_token_status st;
	int i, failures = 0;

	pthread_barrier_init(&start, NULL, THREADS);
	for (i = 0; i < THREADS; i++) {
		w[i].key = key;
		w[i].start = &start;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
	}
	pthread_barrier_destroy(&start);
	ck_assert_int_eq(failures, 0);
	tb_p11_token_get_status(tok, &st);
	ck_assert_uint_eq(st.signatures, THREADS * ROUNDS);
	ck_assert_uint_le(st.sessions_open, 4);
	ck_assert_uint_gt(st.sessions_open, 1);
	ck_assert_uint_eq(st.sessions_busy, 0);
	ck_assert_uint_eq(st.sessions_max, 4);
	tb_p11_key_free(key);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

/* The module's own function list, beside p11-kit's managed one. */
static CK_FUNCTION_LIST *
raw_module(CK_SLOT_ID *slot)
{
	CK_FUNCTION_LIST *raw = p11_kit_module_load(g_module, P11_KIT_MODULE_UNMANAGED);
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;
	CK_RV rv;

	ck_assert_ptr_nonnull(raw);
	rv = raw->C_Initialize(NULL);
	ck_assert(rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED);
	ck_assert_int_eq(raw->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(raw->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		if (memcmp(ti.label, "tbtest ", 7) == 0) {
			*slot = slots[i];
			return raw;
		}
	}
	ck_abort_msg("token tbtest not found");
	return NULL;
}

START_TEST(test_recovery)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = open_token(mod, 2);
	tb_p11_key *rsa = find_key(tok, "pkcs11:object=rsa");
	tb_p11_key *ec = find_key(tok, "pkcs11:object=ec");
	EVP_PKEY *rsa_pub = X509_get0_pubkey(tb_p11_key_cert(rsa));
	EVP_PKEY *ec_pub = X509_get0_pubkey(tb_p11_key_cert(ec));
	CK_FUNCTION_LIST *raw;
	CK_SLOT_ID slot = 0;
	CK_SESSION_HANDLE h;
	tb_p11_token_status st;

	sign_and_verify(rsa, rsa_pub, EVP_sha256(), "before");
	tb_p11_token_get_status(tok, &st);
	ck_assert_uint_eq(st.reconnects, 0);

	/* Every session of the application closed (and so the login gone). */
	raw = raw_module(&slot);
	ck_assert_int_eq(raw->C_CloseAllSessions(slot), CKR_OK);
	sign_and_verify(rsa, rsa_pub, EVP_sha256(), "after the sessions were closed");
	tb_p11_token_get_status(tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);
	ck_assert_int_eq(st.healthy, 1);
	/* The other key's handle was found again after the new login. */
	sign_and_verify(ec, ec_pub, EVP_sha384(), "and with the other key");
	tb_p11_token_get_status(tok, &st);
	ck_assert_uint_eq(st.reconnects, 1);

	/* The login alone lost: sessions stay, the user is logged out. */
	ck_assert_int_eq(raw->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h),
	    CKR_OK);
	ck_assert_int_eq(raw->C_Logout(h), CKR_OK);
	ck_assert_int_eq(raw->C_CloseSession(h), CKR_OK);
	sign_and_verify(ec, ec_pub, EVP_sha256(), "after logout");
	tb_p11_token_get_status(tok, &st);
	ck_assert_uint_eq(st.reconnects, 2);
	ck_assert_int_eq(st.healthy, 1);
	ck_assert_uint_eq(st.failures, 0);
	p11_kit_module_release(raw);

	tb_p11_key_free(rsa);
	tb_p11_key_free(ec);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

static void
write_pin(const char *name, const char *pin)
{
	char path[600];
	int fd;

	path_in_dir(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, pin, strlen(pin)), (ssize_t)strlen(pin));
	close(fd);
}

/* Runs last: the token ends up refusing this process's PIN for good. */
START_TEST(test_pin_changed)
{
	tb_p11_module *mod = load_module();
	tb_p11_token *tok = NULL;
	tb_p11_key *key;
	EVP_PKEY *pub;
	CK_FUNCTION_LIST *raw;
	CK_SLOT_ID slot = 0;
	unsigned char dgst[32] = { 1 }, sig[1024];
	size_t slen = sizeof(sig);
	tb_p11_token_status st;
	tb_error err;
	int fd;

	write_pin("pin.changing", USER_PIN "\n");
	fd = open_pin("pin.changing");
	ck_assert_int_eq(tb_p11_token_open(mod, "pkcs11:token=tbtest", fd, 2, &tok, &err), 0);
	key = find_key(tok, "pkcs11:object=rsa");
	pub = X509_get0_pubkey(tb_p11_key_cert(key));
	sign_and_verify(key, pub, EVP_sha256(), "with the PIN as it was");

	/* The PIN file now holds a wrong PIN and the token forgets the login. */
	write_pin("pin.changing", "999999\n");
	raw = raw_module(&slot);
	ck_assert_int_eq(raw->C_CloseAllSessions(slot), CKR_OK);
	ck_assert_int_eq(tb_p11_key_sign(key, NID_sha256, dgst, 32, sig, &slen, &err),
	    TB_ERR_PIN_INCORRECT);
	tb_p11_token_get_status(tok, &st);
	ck_assert_int_eq(st.healthy, 0);
	ck_assert_uint_eq(st.failures, 1);
	ck_assert_uint_eq(st.reconnects, 1);
	/* Never offered again, even once the file is right. */
	write_pin("pin.changing", USER_PIN "\n");
	slen = sizeof(sig);
	ck_assert_int_eq(tb_p11_key_sign(key, NID_sha256, dgst, 32, sig, &slen, &err),
	    TB_ERR_PIN_INCORRECT);
	ck_assert_msg(strstr(err.detail, "before") != NULL, "%s", err.detail);
	tb_p11_token_get_status(tok, &st);
	ck_assert_int_eq(st.healthy, 0);
	ck_assert_uint_eq(st.failures, 2);
	p11_kit_module_release(raw);
	close(fd);
	tb_p11_key_free(key);
	tb_p11_token_free(tok);
	tb_p11_module_free(mod);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("p11");
	TCase *tc = tcase_create("softhsm");
	int failed;

	g_module = getenv("SOFTHSM_MODULE");
	if (g_module == NULL || *g_module == '\0')
		g_module = "/usr/lib/softhsm/libsofthsm2.so";
	if (access(g_module, R_OK) != 0) {
		fprintf(stderr, "%s not readable: skipping\n", g_module);
		return 77;
	}
	if (p11t_token_make(g_dir, sizeof(g_dir), "p11", token_script) != 0) {
		fprintf(stderr, "could not make the test token\n");
		p11t_token_remove(g_dir);
		return 99;
	}
	{
		char path[600];
		tb_error err;

		path_in_dir(path, sizeof(path), "pin.ok");
		if (tb_secret_open(path, &g_pin_fd, &err) != 0) {
			fprintf(stderr, "%s\n", err.detail);
			p11t_token_remove(g_dir);
			return 99;
		}
	}
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_load_by_path);
	tcase_add_test(tc, test_load_by_name);
	tcase_add_test(tc, test_missing_module);
	tcase_add_test(tc, test_pin_file);
	tcase_add_test(tc, test_wrong_pin);
	tcase_add_test(tc, test_no_token);
	tcase_add_test(tc, test_find_keys);
	tcase_add_test(tc, test_sign_verify);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_recovery);
	tcase_add_test(tc, test_pin_changed);
	suite_add_tcase(s, tc);
	/* One process: SoftHSM and p11-kit state must not be forked mid-use. */
	failed = tbt_run_forked(s, CK_NORMAL, CK_NOFORK);
	close(g_pin_fd);
	p11t_token_remove(g_dir);
	return failed;
}
