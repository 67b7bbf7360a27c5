/*
 * The signer process's own checks, reached the way only a compromised front
 * could reach them: sign requests written straight onto the signer's
 * channel. The signer must trust nothing but its own configuration: a
 * client name that is not the uid's, a uid no [client] names, a key or an
 * op the client may not use, a certificate that is not the key's, a key
 * whose certificate is expired or not yet valid and a digest of the wrong
 * length are each refused, also inside a batch, and every request, refused
 * or signed, leaves an audit record (tests/system/split-signer-checks.sh counts
 * them). The front sends a document digest, never bytes to sign: what
 * comes back is the signed attributes the signer built (that digest as
 * messageDigest, the signer's own signing time, its certificate) and a
 * signature that verifies over those attributes and over nothing else.
 *
 * Run by tests/system/split-signer-checks.sh, which makes the token and the
 * configuration: TB_TANBAD (tanbad-signer), TB_CONF, TB_SOCKET, TB_RSA_CERT (PEM of the
 * key "rsa"), TB_EC_CERT (of "ec"), TB_EXPIRED_CERT and
 * TB_NOTYET_CERT (of the keys "expired" and "notyet").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check_run.h"
#include "signchan.h"
#include "tb_err.h"

static int chan = -1;
static pid_t signer_pid = -1;
static uint64_t next_id = 1;

static X509 *
cert_read(const char *env)
{
	const char *path = getenv(env);
	FILE *f;
	X509 *x;

	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", env, path ? strerror(errno) : "not set");
		exit(1);
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		fprintf(stderr, "%s: no certificate\n", env);
		exit(1);
	}
	return x;
}

/* The signer as the front starts it: tanbad-signer --signer FD on a seqpacket pair. */
static void
signer_start(void)
{
	const char *tanbad = getenv("TB_TANBAD"), *conf = getenv("TB_CONF");
	unsigned char buf[TB_SC_ANS_MAX];
	tb_sc_ans *a = malloc(sizeof(*a));
	tb_error e;
	ssize_t n;
	int sv[2];

	if (tanbad == NULL || conf == NULL || a == NULL ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		fprintf(stderr, "TB_TANBAD and TB_CONF must be set\n");
		exit(1);
	}
	if ((signer_pid = fork()) == 0) {
		char fdarg[16];

		snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
		if (fcntl(sv[1], F_SETFD, 0) == 0)
			execl(tanbad, "tanbad-signer", "--signer", fdarg, "-c", conf, "-f",
			    (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	chan = sv[0];
	/* READY first: the signer has its keys and its audit trail. */
	n = recv(chan, buf, sizeof(buf), 0);
	if (n <= 0 || tb_sc_ans_decode(buf, (size_t)n, a, &e) != 0 ||
	    a->type != TB_SC_READY || a->status != 0) {
		fprintf(stderr, "signer did not start: %s\n", n > 0 ? a->detail : "no READY");
		exit(1);
	}
	free(a);
}

static void
signer_stop(void)
{
	int st;

	/* A closed channel is the front going away: the signer ends. */
	close(chan);
	if (waitpid(signer_pid, &st, 0) != signer_pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "signer did not exit 0 after its channel closed\n");
		exit(1);
	}
}

/*
 * A connection to the configured socket made by user (NULL: this process;
 * "-": uid and gid 4242; else an account), accepted here and handed to
 * the signer as the front hands it (CONNECT with the descriptor). Returns
 * its number. The client process connects and exits: the kernel keeps its
 * credentials with the connection.
 */
static int listener = -1;

static uint64_t
conn_as(const char *user)
{
	static uint64_t next_conn = 100;
	const char *path = getenv("TB_SOCKET");
	unsigned char req[TB_SC_REQ_SIZE];
	struct sockaddr_un sa;
	struct passwd *pw = NULL;
	tb_sc_req q;
	tb_error e;
	pid_t pid;
	int st, fd;

	ck_assert_ptr_nonnull(path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (listener == -1) {
		(void)unlink(path);
		listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(listener, 0);
		ck_assert_int_eq(bind(listener, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(chmod(path, 0777), 0);
		ck_assert_int_eq(listen(listener, 16), 0);
	}
	if (user != NULL && strcmp(user, "-") != 0)
		ck_assert_ptr_nonnull(pw = getpwnam(user));
	if ((pid = fork()) == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);

		if (user != NULL && (setgroups(0, NULL) != 0 ||
		    setgid(pw != NULL ? pw->pw_gid : 4242) != 0 ||
		    setuid(pw != NULL ? pw->pw_uid : 4242) != 0))
			_exit(2);
		_exit(c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client as %s did not connect",
	    user ? user : "self");
	fd = accept(listener, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	memset(&q, 0, sizeof(q));
	q.type = TB_SC_CONNECT;
	q.id = next_id++;
	q.conn = ++next_conn;
	tb_sc_req_encode(&q, req);
	ck_assert_msg(tb_sc_send_fd(chan, req, sizeof(req), fd, &e) == 0, "%s", e.detail);
	close(fd);
	return q.conn;
}

/* A request without a descriptor on the channel: DISCONNECT, or CONNECT with fd. */
static void
post(uint32_t type, uint64_t conn, int fd)
{
	unsigned char req[TB_SC_REQ_SIZE];
	tb_sc_req q;
	tb_error e;

	memset(&q, 0, sizeof(q));
	q.type = type;
	q.id = next_id++;
	q.conn = conn;
	tb_sc_req_encode(&q, req);
	if (fd >= 0)
		ck_assert_int_eq(tb_sc_send_fd(chan, req, sizeof(req), fd, &e), 0);
	else
		ck_assert_int_eq(tb_sc_send(chan, req, sizeof(req), &e), 0);
}

/*
 * A sign request as a fake front makes it: it always claims uid and gid 0
 * (root, the "tests" client), whoever the connection's real peer is.
 */
static void
req_init(tb_sc_req *q, const char *client, uint64_t conn, const char *key, X509 *cert)
{
	unsigned int n = 0;

	memset(q, 0, sizeof(*q));
	q->type = TB_SC_SIGN;
	q->uid = 0;
	q->gid = 0;
	q->pid = getpid();
	q->conn = conn;
	q->md_nid = NID_sha256;
	q->digest_len = 32;
	q->detached = 1;
	ck_assert_int_eq(RAND_bytes(q->digest, 32), 1);
	snprintf(q->client, sizeof(q->client), "%s", client);
	snprintf(q->key, sizeof(q->key), "%s", key);
	/* The front's word for the document: the signer records its own. */
	snprintf(q->doc, sizeof(q->doc), "sha256:%064d", 0);
	snprintf(q->detail, sizeof(q->detail), "digest");
	if (cert != NULL)
		ck_assert_int_eq(X509_digest(cert, EVP_sha256(), q->cert_sha256, &n), 1);
}

/* Sends q and returns the signer's answer (the caller frees it). */
static tb_sc_ans *
call(tb_sc_req *q)
{
	unsigned char req[TB_SC_REQ_SIZE], *buf = malloc(TB_SC_ANS_MAX);
	tb_sc_ans *a = malloc(sizeof(*a));
	tb_error e;
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(a);
	q->id = next_id++;
	tb_sc_req_encode(q, req);
	ck_assert_int_eq(send(chan, req, sizeof(req), 0), (ssize_t)sizeof(req));
	n = recv(chan, buf, TB_SC_ANS_MAX, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(tb_sc_ans_decode(buf, (size_t)n, a, &e) == 0, "answer: %s", e.detail);
	ck_assert_uint_eq(a->id, q->id);
	free(buf);
	return a;
}

static void
expect_refused(tb_sc_req *q, int code, const char *words)
{
	tb_sc_ans *a = call(q);

	ck_assert_msg(a->status == code, "want %s, got %s: %s", tb_err_name(code),
	    tb_err_name(a->status), a->detail);
	ck_assert_msg(strstr(a->detail, words) != NULL, "detail '%s' lacks '%s'", a->detail,
	    words);
	ck_assert_uint_eq(a->payload_len, 0);
	free(a);
}

/* The one attribute of type nid in the DER SET OF attrs, or NULL. */
static ASN1_TYPE *
attr_get(STACK_OF(X509_ATTRIBUTE) *attrs, int nid)
{
	int i;

	for (i = 0; i < sk_X509_ATTRIBUTE_num(attrs); i++)
		if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(sk_X509_ATTRIBUTE_value(attrs, i))) ==
		    nid)
			return X509_ATTRIBUTE_get0_type(sk_X509_ATTRIBUTE_value(attrs, i), 0);
	return NULL;
}

/* What the audit trail must hold as this request's document (split-signer-checks.sh). */
#define DOC_TEXT "signer-checks document"
#define XML_REF_TEXT "signer-checks xml reference"

START_TEST(test_signs_for_its_client)
{
	X509 *cert = cert_read("TB_RSA_CERT");
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL);
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	STACK_OF(X509_ATTRIBUTE) *attrs;
	const unsigned char *p;
	ASN1_TYPE *v;
	ASN1_TIME *when;
	tb_sc_signed sd;
	tb_sc_req q;
	tb_sc_ans *a;
	tb_error e;
	unsigned char ess_md[32];
	unsigned int n = 0;
	time_t t0, t1, st;
	int day, sec;

	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	ck_assert_int_eq(EVP_Digest(DOC_TEXT, strlen(DOC_TEXT), q.digest, &n, EVP_sha256(), NULL),
	    1);
	t0 = time(NULL);
	a = call(&q);
	t1 = time(NULL);
	ck_assert_msg(a->status == 0, "refused: %s", a->detail);
	ck_assert_msg(tb_sc_signed_decode(a, &sd, &e) == 0, "answer: %s", e.detail);
	/* The signature covers the attributes the signer returned... */
	ck_assert_ptr_nonnull(mctx);
	ck_assert_int_eq(EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)), 1);
	ck_assert_int_eq(EVP_DigestVerify(mctx, sd.sig, sd.sig_len, sd.attrs, sd.attrs_len), 1);
	/* ...and not the digest the front sent: no signature over bytes it chose. */
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_PKEY_verify_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 1);
	ck_assert_int_ne(EVP_PKEY_verify(ctx, sd.sig, sd.sig_len, q.digest, 32), 1);
	/* The attributes: the digest sent, the signer's time, the signer's certificate. */
	p = sd.attrs;
	attrs = (STACK_OF(X509_ATTRIBUTE) *)ASN1_item_d2i(NULL, &p, (long)sd.attrs_len,
	    ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	ck_assert_ptr_nonnull(attrs);
	ck_assert_int_eq(sk_X509_ATTRIBUTE_num(attrs), 4);
	v = attr_get(attrs, NID_pkcs9_messageDigest);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->type, V_ASN1_OCTET_STRING);
	ck_assert_int_eq(ASN1_STRING_length(v->value.octet_string), 32);
	ck_assert_mem_eq(ASN1_STRING_get0_data(v->value.octet_string), q.digest, 32);
	v = attr_get(attrs, NID_pkcs9_contentType);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(OBJ_obj2nid(v->value.object), NID_pkcs7_data);
	v = attr_get(attrs, NID_pkcs9_signingTime);
	ck_assert_ptr_nonnull(v);
	st = (time_t)sd.signing_time;
	ck_assert_msg(st >= t0 && st <= t1, "signing time %lld not within [%lld, %lld]",
	    (long long)st, (long long)t0, (long long)t1);
	when = ASN1_TIME_set(NULL, st);
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, when, v->value.utctime), 1);
	ck_assert_int_eq(day, 0);
	ck_assert_int_eq(sec, 0);
	/* signingCertificateV2 names the key's certificate (its SHA-256 is in the value). */
	v = attr_get(attrs, NID_id_smime_aa_signingCertificateV2);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(X509_digest(cert, EVP_sha256(), ess_md, &n), 1);
	ck_assert_ptr_nonnull(memmem(v->value.sequence->data, (size_t)v->value.sequence->length,
	    ess_md, 32));
	ASN1_TIME_free(when);
	sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(ctx);
	free(a);
	X509_free(cert);
}
END_TEST

/*
 * XML: the signer builds a ds:SignedInfo around the reference digest sent
 * (exclusive c14n, its key's method) and signs that, never the digest.
 */
START_TEST(test_signs_xml_signed_info)
{
	static const char head[] = "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
	    "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">";
	X509 *cert = cert_read("TB_RSA_CERT");
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	tb_sc_signed sd;
	tb_sc_req q;
	tb_sc_ans *a;
	tb_error e;
	char want[128];
	unsigned char b64[64];
	unsigned int n = 0;

	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	q.form = TB_SC_FORM_XML;
	q.detached = 0;
	ck_assert_int_eq(EVP_Digest(XML_REF_TEXT, strlen(XML_REF_TEXT), q.digest, &n,
	    EVP_sha256(), NULL), 1);
	a = call(&q);
	ck_assert_msg(a->status == 0, "refused: %s", a->detail);
	ck_assert_msg(tb_sc_signed_decode(a, &sd, &e) == 0, "answer: %s", e.detail);
	ck_assert_ptr_nonnull(mctx);
	ck_assert_int_eq(EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)), 1);
	ck_assert_int_eq(EVP_DigestVerify(mctx, sd.sig, sd.sig_len, sd.attrs, sd.attrs_len), 1);
	ck_assert(sd.attrs_len > sizeof(head) && memcmp(sd.attrs, head, sizeof(head) - 1) == 0);
	ck_assert_int_eq(EVP_EncodeBlock(b64, q.digest, 32), 44);
	snprintf(want, sizeof(want), "<ds:DigestValue>%s</ds:DigestValue>", (const char *)b64);
	ck_assert_ptr_nonnull(memmem(sd.attrs, sd.attrs_len, want, strlen(want)));
	ck_assert_ptr_nonnull(memmem(sd.attrs, sd.attrs_len, "xmldsig-more#rsa-sha256", 23));
	EVP_MD_CTX_free(mctx);
	free(a);
	X509_free(cert);
}
END_TEST

/*
 * The reference URI a fake front sends: "#" and an NCName goes into the
 * SignedInfo as it is; anything else, markup above all, is refused before
 * anything is signed.
 */
static const char *const xml_bad_uris[] = {
	"#", "#1a", "part", "#a b", "#a\"", "#a\"/><ds:Reference URI=\"", "#a>", "#a&amp;",
	"http://example.com/x", "#a:b", "#\xd0\x9a",
};

START_TEST(test_xml_uri)
{
	X509 *cert = cert_read("TB_RSA_CERT");
	tb_sc_signed sd;
	tb_sc_req q;
	tb_sc_ans *a;
	tb_error e;
	size_t i;

	for (i = 0; i < sizeof(xml_bad_uris) / sizeof(xml_bad_uris[0]); i++) {
		req_init(&q, "tests", conn_as(NULL), "rsa", cert);
		q.form = TB_SC_FORM_XML;
		q.detached = 0;
		snprintf(q.uri, sizeof(q.uri), "%s", xml_bad_uris[i]);
		expect_refused(&q, TB_ERR_INVALID_ARG, "reference URI");
	}
	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	q.form = TB_SC_FORM_XML;
	q.detached = 0;
	snprintf(q.uri, sizeof(q.uri), "#part-1");
	a = call(&q);
	ck_assert_msg(a->status == 0, "refused: %s", a->detail);
	ck_assert_msg(tb_sc_signed_decode(a, &sd, &e) == 0, "answer: %s", e.detail);
	ck_assert_ptr_nonnull(memmem(sd.attrs, sd.attrs_len, "<ds:Reference URI=\"#part-1\">",
	    28));
	free(a);
	X509_free(cert);
}
END_TEST

/*
 * WS-Security from a fake front: the signer makes the Timestamp from its
 * own clock (the front sends only its ID and life) and signs a SignedInfo
 * over the Body's digest and that Timestamp's. The Body's URI, the
 * Timestamp's ID and life are checked; an enveloped XML signature takes no
 * second reference.
 */
START_TEST(test_wsse)
{
	static const char wsu[] =
	    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
	static const struct { uint32_t form; const char *uri, *ts_id; uint32_t ttl; const char *words; }
	    bad[] = {
		{ TB_SC_FORM_WSSE, "", "TS-1", 300, "reference URI" },
		{ TB_SC_FORM_WSSE, "#b\"/><x", "TS-1", 300, "reference URI" },
		{ TB_SC_FORM_WSSE, "#TS-1", "TS-1", 300, "reference URI" },
		{ TB_SC_FORM_WSSE, "#body", "TS\"><x", 300, "timestamp Id" },
		{ TB_SC_FORM_WSSE, "#body", "", 300, "timestamp Id" },
		{ TB_SC_FORM_WSSE, "#body", "TS-1", 0, "ttl" },
		{ TB_SC_FORM_WSSE, "#body", "TS-1", 86401, "ttl" },
		/* a second reference on an enveloped signature: too many */
		{ TB_SC_FORM_XML, "", "TS-1", 300, "references" },
	};
	X509 *cert = cert_read("TB_RSA_CERT");
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	unsigned char md[32], b64[64];
	unsigned int n = 0;
	char ts[512], created[32], expires[32], want[160];
	tb_sc_signed sd;
	tb_sc_req q;
	tb_sc_ans *a;
	tb_error e;
	time_t t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_init(&q, "tests", conn_as(NULL), "rsa", cert);
		q.form = bad[i].form;
		q.detached = 0;
		snprintf(q.uri, sizeof(q.uri), "%s", bad[i].uri);
		snprintf(q.ts_id, sizeof(q.ts_id), "%s", bad[i].ts_id);
		q.ttl = bad[i].ttl;
		expect_refused(&q, TB_ERR_INVALID_ARG, bad[i].words);
	}
	/* a Body digest of another length than the key's hash */
	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	q.form = TB_SC_FORM_WSSE;
	q.detached = 0;
	q.digest_len = 20;
	snprintf(q.uri, sizeof(q.uri), "#id-body");
	snprintf(q.ts_id, sizeof(q.ts_id), "TS-1");
	q.ttl = 300;
	expect_refused(&q, TB_ERR_INVALID_ARG, "digest");
	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	q.form = TB_SC_FORM_WSSE;
	q.detached = 0;
	snprintf(q.uri, sizeof(q.uri), "#id-body");
	snprintf(q.ts_id, sizeof(q.ts_id), "TS-1");
	q.ttl = 300;
	a = call(&q);
	ck_assert_msg(a->status == 0, "refused: %s", a->detail);
	ck_assert_msg(tb_sc_signed_decode(a, &sd, &e) == 0, "answer: %s", e.detail);
	ck_assert_ptr_nonnull(mctx);
	ck_assert_int_eq(EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL,
	    X509_get0_pubkey(cert)), 1);
	ck_assert_int_eq(EVP_DigestVerify(mctx, sd.sig, sd.sig_len, sd.attrs, sd.attrs_len), 1);
	ck_assert_ptr_nonnull(memmem(sd.attrs, sd.attrs_len, "URI=\"#id-body\"", 14));
	ck_assert_ptr_nonnull(memmem(sd.attrs, sd.attrs_len, "URI=\"#TS-1\"", 11));
	ck_assert_ptr_null(memmem(sd.attrs, sd.attrs_len, "enveloped-signature", 19));
	/* The Timestamp's digest: of the signer's time, as exclusive c14n writes it. */
	t = (time_t)sd.signing_time;
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	t += 300;
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	snprintf(ts, sizeof(ts), "<wsu:Timestamp xmlns:wsu=\"%s\" wsu:Id=\"TS-1\"><wsu:Created>%s"
	    "</wsu:Created><wsu:Expires>%s</wsu:Expires></wsu:Timestamp>", wsu, created, expires);
	ck_assert_int_eq(EVP_Digest(ts, strlen(ts), md, &n, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(EVP_EncodeBlock(b64, md, 32), 44);
	snprintf(want, sizeof(want), "<ds:DigestValue>%s</ds:DigestValue>", (const char *)b64);
	ck_assert_msg(memmem(sd.attrs, sd.attrs_len, want, strlen(want)) != NULL,
	    "no Timestamp digest %s in %.*s", want, (int)sd.attrs_len, (const char *)sd.attrs);
	EVP_MD_CTX_free(mctx);
	free(a);
	X509_free(cert);
}
END_TEST

/*
 * The reference URI and Timestamp ID slots as a fake front may write them:
 * without their NUL, with a control character, or on a CMS request. Each
 * record is dropped whole, nothing signed or answered: the next answer is
 * the next good request's.
 */
START_TEST(test_xml_slots)
{
	X509 *cert = cert_read("TB_RSA_CERT");
	unsigned char req[TB_SC_REQ_SIZE], *uri, *ts;
	tb_sc_req q;
	tb_sc_ans *a;
	int i;

	for (i = 0; i < 3; i++) {
		req_init(&q, "tests", conn_as(NULL), "rsa", cert);
		q.form = i < 2 ? TB_SC_FORM_WSSE : TB_SC_FORM_CMS;
		q.detached = 0;
		snprintf(q.uri, sizeof(q.uri), "#slot-uri");
		snprintf(q.ts_id, sizeof(q.ts_id), "slot-ts");
		q.ttl = 300;
		q.id = next_id++;
		tb_sc_req_encode(&q, req);
		ck_assert_ptr_nonnull(uri = memmem(req, sizeof(req), "#slot-uri", 10));
		ck_assert_ptr_nonnull(ts = memmem(req, sizeof(req), "slot-ts", 8));
		if (i == 0)
			memset(uri, 'a', TB_SC_URI_MAX);
		else if (i == 1)
			ts[4] = '\x01';
		ck_assert_int_eq(send(chan, req, sizeof(req), 0), (ssize_t)sizeof(req));
	}
	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	q.form = TB_SC_FORM_WSSE;
	q.detached = 0;
	snprintf(q.uri, sizeof(q.uri), "#id-body");
	snprintf(q.ts_id, sizeof(q.ts_id), "TS-1");
	q.ttl = 300;
	a = call(&q);
	ck_assert_msg(a->status == 0, "refused: %s", a->detail);
	free(a);
	X509_free(cert);
}
END_TEST

/*
 * Requests the signer must refuse. user: who really connected (NULL for
 * this process, root: the "tests" client; "-" for uid and gid 4242, which
 * no [client] names; else an account). The fake front claims uid 0 in
 * every one.
 */
static const struct refusal {
	const char *client, *user, *key, *cert_env;
	unsigned digest_len;
	int code;
	const char *words;
} refusals[] = {
	/* The front's word for the client's name counts only if the peer agrees. */
	{ "limited", NULL, "rsa", "TB_RSA_CERT", 32, TB_ERR_FORBIDDEN, "is not client 'limited'" },
	{ "tests", "-", "rsa", "TB_RSA_CERT", 32, TB_ERR_FORBIDDEN,
	    "uid 4242 gid 4242 is not client 'tests'" },
	/* nobody's connection, uid 0 claimed: the signer saw nobody. */
	{ "tests", "nobody", "rsa", "TB_RSA_CERT", 32, TB_ERR_FORBIDDEN, "is not client 'tests'" },
	{ "limited", "nobody", "rsa", "TB_RSA_CERT", 32, TB_ERR_FORBIDDEN,
	    "may not sign with key 'rsa'" },
	/* The key ACL comes before the key's existence: a client learns
	 * nothing about keys it may not use. */
	{ "limited", "nobody", "nosuch", "TB_RSA_CERT", 32, TB_ERR_FORBIDDEN,
	    "may not sign with key 'nosuch'" },
	/* verifier names the key ec but has no sign op at all. */
	{ "verifier", "daemon", "ec", "TB_EC_CERT", 32, TB_ERR_FORBIDDEN,
	    "may not sign with key 'ec'" },
	/* Only the key of the certificate the CMS carries may sign. */
	{ "tests", NULL, "rsa", "TB_EC_CERT", 32, TB_ERR_UNAVAILABLE, "not the key's" },
	{ "tests", NULL, "rsa", "TB_RSA_CERT", 20, TB_ERR_INVALID_ARG, "with 20 bytes" },
	{ "tests", NULL, "nosuch", "TB_RSA_CERT", 32, TB_ERR_NO_KEY, "no key named 'nosuch'" },
	/* The signer checks the certificate's dates itself: a front that does
	 * not is no way around them. */
	{ "tests", NULL, "expired", "TB_EXPIRED_CERT", 32, TB_ERR_CERT_EXPIRED, "expired on" },
	{ "tests", NULL, "notyet", "TB_NOTYET_CERT", 32, TB_ERR_CERT_NOT_YET_VALID,
	    "is not valid before" },
};

START_TEST(test_refused)
{
	const struct refusal *c = &refusals[_i];
	X509 *cert = cert_read(c->cert_env);
	tb_sc_req q;

	req_init(&q, c->client, conn_as(c->user), c->key, cert);
	q.digest_len = c->digest_len;
	expect_refused(&q, c->code, c->words);
	X509_free(cert);
}
END_TEST

/*
 * Requests the signer cannot attribute to a client: a connection number it
 * was never handed, one that closed, one handed without a descriptor, and a
 * connection that is not to the configured socket (a socketpair of the
 * fake front's, whose peer is root: the "tests" client), and the listening
 * socket itself.
 */
START_TEST(test_unattributed)
{
	X509 *cert = cert_read("TB_RSA_CERT");
	uint64_t gone = conn_as(NULL);
	tb_sc_req q;
	int sv[2];

	req_init(&q, "tests", 999999, "rsa", cert);
	expect_refused(&q, TB_ERR_FORBIDDEN, "cannot be attributed");
	post(TB_SC_DISCONNECT, gone, -1);
	req_init(&q, "tests", gone, "rsa", cert);
	expect_refused(&q, TB_ERR_FORBIDDEN, "cannot be attributed");
	post(TB_SC_CONNECT, 777777, -1);
	req_init(&q, "tests", 777777, "rsa", cert);
	expect_refused(&q, TB_ERR_FORBIDDEN, "cannot be attributed");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	post(TB_SC_CONNECT, 888888, sv[0]);
	req_init(&q, "tests", 888888, "rsa", cert);
	expect_refused(&q, TB_ERR_FORBIDDEN, "cannot be attributed");
	close(sv[0]);
	close(sv[1]);
	/*
	 * The listening socket itself (the front holds it): bound to the
	 * configured path, but its peer is whoever called listen(2), here root,
	 * in a real install the privileged parent. No client connected.
	 */
	ck_assert_int_ge(listener, 0);
	post(TB_SC_CONNECT, 888889, listener);
	req_init(&q, "tests", 888889, "rsa", cert);
	expect_refused(&q, TB_ERR_FORBIDDEN, "cannot be attributed");
	X509_free(cert);
}
END_TEST

/* A client limited to ec still signs with ec: its refusal was about the key. */
START_TEST(test_limited_client_signs_its_key)
{
	X509 *ec = cert_read("TB_EC_CERT");
	tb_sc_req q;
	tb_sc_ans *a;

	req_init(&q, "limited", conn_as("nobody"), "ec", ec);
	a = call(&q);
	ck_assert_msg(a->status == 0, "ec refused: %s", a->detail);
	ck_assert_int_gt(a->payload_len, 0);
	free(a);
	X509_free(ec);
}
END_TEST

/* Sends head and n items as one SIGN_BATCH record; returns the first answer record. */
static tb_sc_ans *
call_batch(tb_sc_req *q, const tb_sc_item *items, uint32_t n)
{
	unsigned char *req = malloc(TB_SC_BATCH_REQ_MAX), *buf = malloc(TB_SC_ANS_MAX);
	tb_sc_ans *a = malloc(sizeof(*a));
	size_t len;
	tb_error e;
	ssize_t got;

	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(a);
	q->type = TB_SC_SIGN_BATCH;
	q->id = next_id++;
	len = tb_sc_batch_encode(q, items, n, req);
	ck_assert_uint_gt(len, TB_SC_REQ_SIZE);
	ck_assert_int_eq(send(chan, req, len, 0), (ssize_t)len);
	got = recv(chan, buf, TB_SC_ANS_MAX, 0);
	ck_assert_int_gt(got, 0);
	ck_assert_msg(tb_sc_ans_decode(buf, (size_t)got, a, &e) == 0, "answer: %s", e.detail);
	ck_assert_uint_eq(a->id, q->id);
	ck_assert_uint_eq(a->type, TB_SC_SIGN_BATCH);
	free(req);
	free(buf);
	return a;
}

/*
 * A batch is signed item by item as SIGN would: each signature verifies
 * over attributes whose messageDigest is that item's digest, and an item
 * of the wrong length is refused alone.
 */
START_TEST(test_batch_signs_each_item)
{
	X509 *cert = cert_read("TB_RSA_CERT");
	EVP_MD_CTX *mctx;
	tb_sc_item items[3];
	tb_sc_item_ans out[3];
	tb_sc_req q;
	tb_sc_ans *a;
	tb_error e;
	uint32_t n = 0, i;

	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	memset(items, 0, sizeof(items));
	for (i = 0; i < 3; i++) {
		items[i].md_nid = NID_sha256;
		items[i].digest_len = i == 1 ? 20 : 32;
		ck_assert_int_eq(RAND_bytes(items[i].digest, 32), 1);
	}
	a = call_batch(&q, items, 3);
	ck_assert_msg(a->status == 0, "batch refused: %s", a->detail);
	ck_assert_msg(tb_sc_batch_ans_items(a, out, 3, &n, &e) == 0, "items: %s", e.detail);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(out[i].index, i);
		if (i == 1) {
			/* Refused by the signer's digest rule, saying which, as SIGN is. */
			ck_assert_int_eq(out[i].status, TB_ERR_INVALID_ARG);
			ck_assert_uint_eq(out[i].sig_len, 0);
			ck_assert_msg(memmem(out[i].detail, out[i].detail_len, "with 20 bytes", 13) !=
			    NULL, "item 1: %.*s", (int)out[i].detail_len, out[i].detail);
			continue;
		}
		ck_assert_msg(out[i].status == 0, "item %u: %.*s", i, (int)out[i].detail_len,
		    out[i].detail);
		ck_assert_ptr_nonnull(memmem(out[i].attrs, out[i].attrs_len, items[i].digest, 32));
		ck_assert_ptr_nonnull(mctx = EVP_MD_CTX_new());
		ck_assert_int_eq(EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL,
		    X509_get0_pubkey(cert)), 1);
		ck_assert_int_eq(EVP_DigestVerify(mctx, out[i].sig, out[i].sig_len, out[i].attrs,
		    out[i].attrs_len), 1);
		EVP_MD_CTX_free(mctx);
	}
	free(a);
	X509_free(cert);
}
END_TEST

/*
 * A fake front gets no more from a batch than from one request: a client
 * that may not use the key, or a connection the signer never saw, refuses
 * the batch whole with nothing signed (one record per item).
 */
START_TEST(test_batch_refused_whole)
{
	X509 *cert = cert_read("TB_RSA_CERT");
	tb_sc_item items[2];
	tb_sc_req q;
	tb_sc_ans *a;

	memset(items, 0, sizeof(items));
	items[0].md_nid = items[1].md_nid = NID_sha256;
	items[0].digest_len = items[1].digest_len = 32;
	ck_assert_int_eq(RAND_bytes(items[0].digest, 32), 1);
	ck_assert_int_eq(RAND_bytes(items[1].digest, 32), 1);
	req_init(&q, "limited", conn_as("nobody"), "rsa", cert);
	a = call_batch(&q, items, 2);
	ck_assert_msg(a->status == TB_ERR_FORBIDDEN && strstr(a->detail, "may not sign with key "
	    "'rsa'") != NULL, "limited with rsa: %s: %s", tb_err_name(a->status), a->detail);
	ck_assert_uint_eq(a->payload_len, 0);
	free(a);
	req_init(&q, "tests", 999998, "rsa", cert);
	a = call_batch(&q, items, 2);
	ck_assert_msg(a->status == TB_ERR_FORBIDDEN && strstr(a->detail, "cannot be attributed") !=
	    NULL, "unattributed: %s: %s", tb_err_name(a->status), a->detail);
	ck_assert_uint_eq(a->payload_len, 0);
	free(a);
	/* The signer's own limits: no counter-signing batch, no more than sign_batch_max. */
	req_init(&q, "tests", conn_as(NULL), "rsa", cert);
	q.form = TB_SC_FORM_COUNTER;
	q.detached = 0;		/* countersign with detached is refused as a malformed record */
	a = call_batch(&q, items, 2);
	ck_assert_msg(a->status == TB_ERR_INVALID_ARG && strstr(a->detail, "counter-sign") != NULL,
	    "counter-signing batch: %s: %s", tb_err_name(a->status), a->detail);
	ck_assert_uint_eq(a->payload_len, 0);
	free(a);
	{
		tb_sc_item *many = calloc(101, sizeof(*many));
		uint32_t i;

		ck_assert_ptr_nonnull(many);
		for (i = 0; i < 101; i++) {
			many[i].md_nid = NID_sha256;
			many[i].digest_len = 32;
			ck_assert_int_eq(RAND_bytes(many[i].digest, 32), 1);
		}
		req_init(&q, "tests", conn_as(NULL), "rsa", cert);
		a = call_batch(&q, many, 101);
		ck_assert_msg(a->status == TB_ERR_TOO_LARGE && strstr(a->detail,
		    "sign_batch_max") != NULL, "101 items: %s: %s", tb_err_name(a->status),
		    a->detail);
		ck_assert_uint_eq(a->payload_len, 0);
		free(a);
		free(many);
	}
	X509_free(cert);
}
END_TEST

/*
 * Audit records the front may not write (issue 14, point 4): a success, a
 * signer event, an op outside the front's list. Each is refused by the
 * signer; tests/system/split-signer-checks.sh checks none of them is in the trail
 * as such. The front's own refusal of a connection is written.
 */
static const struct front_record {
	const char *op;
	int result, code;
} front_records[] = {
	{ "sign", 0, TB_ERR_FORBIDDEN },
	{ "signer-start", 0, TB_ERR_FORBIDDEN },
	{ "signer-start", TB_ERR_FORBIDDEN, TB_ERR_FORBIDDEN },
	{ "checkpoint", TB_ERR_FORBIDDEN, TB_ERR_FORBIDDEN },
	{ "reload", 0, TB_ERR_FORBIDDEN },
	{ "connect", TB_ERR_FORBIDDEN, 0 },
};

START_TEST(test_front_records)
{
	const struct front_record *c = &front_records[_i];
	tb_sc_req q;
	tb_sc_ans *a;

	memset(&q, 0, sizeof(q));
	q.type = TB_SC_AUDIT;
	q.uid = getuid();
	q.result = c->result;
	snprintf(q.op, sizeof(q.op), "%s", c->op);
	snprintf(q.key, sizeof(q.key), "rsa");
	snprintf(q.doc, sizeof(q.doc), "sha256:%064d", 7);
	snprintf(q.detail, sizeof(q.detail), "written by a fake front");
	a = call(&q);
	ck_assert_msg(a->status == c->code, "op %s result %d: want %s, got %s: %s", c->op,
	    c->result, tb_err_name(c->code), tb_err_name(a->status), a->detail);
	free(a);
}
END_TEST

static Suite *
signer_checks_suite(void)
{
	Suite *s = suite_create("signer_checks");
	TCase *tc = tcase_create("channel");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_signs_for_its_client);
	tcase_add_test(tc, test_signs_xml_signed_info);
	tcase_add_test(tc, test_xml_uri);
	tcase_add_test(tc, test_wsse);
	tcase_add_test(tc, test_xml_slots);
	tcase_add_loop_test(tc, test_refused, 0, (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, test_unattributed);
	tcase_add_test(tc, test_limited_client_signs_its_key);
	tcase_add_test(tc, test_batch_signs_each_item);
	tcase_add_test(tc, test_batch_refused_whole);
	tcase_add_loop_test(tc, test_front_records, 0,
	    (int)(sizeof(front_records) / sizeof(front_records[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int failed;

	signal(SIGPIPE, SIG_IGN);
	signer_start();
	/* No fork: one channel, answers read in the order the requests went. */
	failed = tbt_run_forked(signer_checks_suite(), CK_NORMAL, CK_NOFORK);
	signer_stop();
	if (listener != -1)
		(void)unlink(getenv("TB_SOCKET"));
	return failed;
}
