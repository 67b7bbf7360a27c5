/*
 * The signer process (signer_proc.h). It trusts nothing the front says
 * beyond "client C (uid, gid) asks key K to sign digest D for document H"
 * (and whether that document travels in the CMS, which only its record says):
 * it re-checks C against its own parse of the configuration's [client]
 * table, checks K's certificate dates, writes and syncs the audit record,
 * and only then answers with the signature. It never sees a client's
 * bytes other than that digest, and never parses JSON or CMS.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "cms_sign.h"
#include "conf.h"
#include "filekey.h"
#include "keystore.h"
#include "owned_file.h"
#include "privs.h"
#include "signchan.h"
#include "signer_peers.h"
#include "signer_proc.h"
#include "tb_clock.h"
#include "tb_log.h"
#include "workpool.h"
#include "xml_signed_info.h"
#if __has_include("sandbox.h")
#include "sandbox.h"
#endif

/*
 * Everything else (status, audit records, key descriptions, reload) on
 * workers of its own, so that a slow token never holds up status.
 */
#define CTL_WORKERS 2
#define NAMES_CACHED 8
#define USER_NAME_MAX 128	/* longer names are cut, in the record as here */
/* The uid in the record of a request from nobody the signer knows (and of TLS clients). */
#define TB_CLIENT_UID_NONE 4294967295u
/* UNIX-socket connections the signer keeps credentials for (max_connections is less). */
#define PEERS_MAX 65536

typedef struct sp {
	int fd;
	char *path;
	int debug;
	pthread_mutex_t lock;		/* guards cfg and ks */
	tb_config *cfg;
	tb_keystore *ks;
	/*
	 * The keystore before the last reload: the front builds a CMS with the
	 * certificate it knows until it has taken the new keys, so a request
	 * naming the old certificate is signed with the old key, not a new one.
	 */
	tb_keystore *prev_ks;
	pthread_mutex_t reload_lock;	/* one reload at a time */
	pthread_mutex_t send_lock;
	tb_audit *audit;
	atomic_int audit_syslog;
	tb_signer_peers *peers;		/* UNIX-socket clients, as the kernel named them */
	/*
	 * User names of recent clients: getpwuid_r reads /etc/passwd, once per
	 * audit record otherwise. Emptied at reload.
	 */
	pthread_mutex_t names_lock;
	struct {
		unsigned uid;
		int used;
		char name[USER_NAME_MAX];
	} names[NAMES_CACHED];
	unsigned names_next;
} sp;

struct job {
	sp *s;
	tb_sc_req req;
	tb_sc_item *items;		/* SIGN_BATCH: nitems digests */
	uint32_t nitems;
};

static void
snapshot(sp *s, tb_config **cfg, tb_keystore **ks)
{
	pthread_mutex_lock(&s->lock);
	*cfg = tb_config_ref(s->cfg);
	*ks = tb_keystore_ref(s->ks);
	pthread_mutex_unlock(&s->lock);
}

/* The key called name in ks whose certificate has SHA-256 cert_sha256, or NULL. */
/* The same, and the keystore before the last reload (or NULL), for signing. */
static void
snapshot_sign(sp *s, tb_config **cfg, tb_keystore **ks, tb_keystore **prev)
{
	pthread_mutex_lock(&s->lock);
	*cfg = tb_config_ref(s->cfg);
	*ks = tb_keystore_ref(s->ks);
	*prev = s->prev_ks != NULL ? tb_keystore_ref(s->prev_ks) : NULL;
	pthread_mutex_unlock(&s->lock);
}

static const tb_ks_key *
key_with_cert(tb_keystore *ks, const char *name, const unsigned char cert_sha256[32])
{
	const tb_ks_key *k;
	const unsigned char *have;

	if (ks == NULL || (k = tb_keystore_key(ks, name)) == NULL ||
	    (have = tb_ks_key_cert_sha256(k)) == NULL || memcmp(have, cert_sha256, 32) != 0)
		return NULL;
	return k;
}

/* The client's user name for the record; a uid without one stays a number. */
static void
user_name(sp *s, unsigned uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	unsigned i;

	pthread_mutex_lock(&s->names_lock);
	for (i = 0; i < NAMES_CACHED; i++) {
		if (s->names[i].used && s->names[i].uid == uid) {
			snprintf(buf, len, "%s", s->names[i].name);
			pthread_mutex_unlock(&s->names_lock);
			return;
		}
	}
	pthread_mutex_unlock(&s->names_lock);
	if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid-%u", uid);
	pthread_mutex_lock(&s->names_lock);
	i = s->names_next++ % NAMES_CACHED;
	s->names[i].uid = uid;
	s->names[i].used = 1;
	snprintf(s->names[i].name, sizeof(s->names[i].name), "%s", buf);
	pthread_mutex_unlock(&s->names_lock);
}

/* A reload may come with changed accounts: names are looked up afresh. */
static void
user_names_forget(sp *s)
{
	pthread_mutex_lock(&s->names_lock);
	memset(s->names, 0, sizeof(s->names));
	pthread_mutex_unlock(&s->names_lock);
}

static int
audit_write(sp *s, unsigned uid, const char *op, const char *key, const char *doc,
    const char *sig, const char *attrs, int result, const char *detail, tb_error *err)
{
	tb_audit_event ev;
	char name[USER_NAME_MAX];
	tb_error e;

	user_name(s, uid, name, sizeof(name));
	memset(&ev, 0, sizeof(ev));
	ev.uid = uid;
	ev.client = name;
	ev.op = op;
	ev.key = key != NULL && *key != '\0' ? key : NULL;
	ev.doc_digest = doc != NULL && *doc != '\0' ? doc : NULL;
	ev.sig_digest = sig;
	ev.attrs_digest = attrs;
	ev.result = result == 0 ? "ok" : tb_err_name(result);
	ev.detail = detail != NULL && *detail != '\0' ? detail : NULL;
	tb_error_clear(&e);
	if (tb_audit_append(s->audit, &ev, &e) != 0)
		return tb_error_set(err, TB_ERR_UNAVAILABLE, "audit trail not writable: %s",
		    e.detail);
	/* Digests and names only: the record holds no secret and no content. */
	if (atomic_load(&s->audit_syslog))
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit: uid=%u client=%s op=%s key=%s "
		    "doc=%s sig=%s result=%s detail=%s", uid, name, op ? op : "-",
		    ev.key ? ev.key : "-", ev.doc_digest ? ev.doc_digest : "-",
		    sig ? sig : "-", ev.result, ev.detail ? ev.detail : "-");
	return 0;
}

/*
 * A record the front sends: its own refusals only (audit.h,
 * tb_audit_front_record), and verifications when [audit] verify is on.
 */
static int
front_record(sp *s, const tb_sc_req *q, tb_error *err)
{
	tb_audit_event ev;
	tb_config *cfg;
	char name[USER_NAME_MAX];
	int verify, r;

	pthread_mutex_lock(&s->lock);
	cfg = tb_config_ref(s->cfg);
	pthread_mutex_unlock(&s->lock);
	verify = cfg->audit_verify;
	tb_config_unref(cfg);
	user_name(s, q->uid, name, sizeof(name));
	memset(&ev, 0, sizeof(ev));
	ev.uid = q->uid;
	ev.client = name;
	ev.op = q->op;
	ev.key = q->key[0] != '\0' ? q->key : NULL;
	ev.doc_digest = q->doc[0] != '\0' ? q->doc : NULL;
	ev.result = q->result == 0 ? "ok" : tb_err_name(q->result);
	ev.detail = q->detail[0] != '\0' ? q->detail : NULL;
	if ((r = tb_audit_front_record(s->audit, &ev, q->result, verify, err)) == 0 &&
	    atomic_load(&s->audit_syslog))
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit: uid=%u client=%s op=%s key=%s doc=%s "
		    "result=%s detail=%s source=front", q->uid, name, q->op, ev.key ? ev.key : "-",
		    ev.doc_digest ? ev.doc_digest : "-", ev.result, ev.detail ? ev.detail : "-");
	return r;
}

/* Checkpoints under the key kept with the signer's secrets; refusals bounded. */
static int
audit_setup(sp *s, tb_error *err)
{
	unsigned char key[TB_AUDIT_KEY_BYTES];
	tb_audit_opts o;
	int r;

	if ((r = tb_audit_key_load(s->cfg->audit_key, 1, s->cfg->signer_uid, s->cfg->signer_gid, key,
	    err)) != 0)
		return r;
	memset(&o, 0, sizeof(o));
	o.key = key;
	o.checkpoint_every = s->cfg->audit_checkpoint_every;
	o.checkpoint_interval_s = s->cfg->audit_checkpoint_interval_s;
	o.anchor_file = s->cfg->audit_anchor_file;
	o.refusal_records = s->cfg->audit_refusal_records;
	o.refusal_window_s = s->cfg->audit_refusal_window_s;
	o.owner_uid = s->cfg->signer_uid;
	o.owner_gid = s->cfg->signer_gid;
	r = tb_audit_configure(s->audit, &o, err);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* After a failed write nothing is signed until a record goes through (fail closed). */
static int
audit_ready(sp *s, tb_error *err)
{
	char why[TB_SC_DETAIL_MAX];

	if (!tb_audit_last_error(s->audit, why, sizeof(why)))
		return 0;
	if (audit_write(s, (unsigned)getuid(), "audit", NULL, NULL, NULL, NULL, 0,
	    "audit trail writable again", NULL) != 0)
		return tb_error_set(err, TB_ERR_UNAVAILABLE,
		    "audit trail not writable: %s; signing stopped", why);
	tb_info_f("audit trail writable again; signing resumes");
	return 0;
}

/* "<alg>:<hex>" of a digest already made (alg from md_nid). */
static void
digest_hex(const char *alg, const unsigned char *md, size_t len, char *out, size_t out_len)
{
	size_t pos, i;

	pos = (size_t)snprintf(out, out_len, "%s:", alg);
	for (i = 0; i < len && pos + 3 <= out_len; i++, pos += 2)
		snprintf(out + pos, 3, "%02x", md[i]);
}

static const char *md_name(int md_nid);

/* data's md_nid digest: SHA-2 for a token key, the Streebog of a file key. */
static int
bytes_digest(const tb_ks_key *k, const EVP_MD *md, const unsigned char *data, size_t len,
    unsigned char *h, unsigned int *h_len, tb_error *err)
{
	if (tb_ks_key_file(k) != NULL)
		return tb_filekey_digest(tb_ks_key_file(k), data, len, h, h_len, err);
	if (md == NULL || EVP_Digest(data, len, h, h_len, md, NULL) != 1)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "digest");
	return 0;
}

/*
 * The ds:SignedInfo of an XML (one reference, q->uri) or WS-Security
 * signature: for WSSE the Body's reference and a wsu:Timestamp the signer
 * makes from its own clock (now, now + q->ttl), whose digest goes into
 * note for the record. Every URI and ID is checked where it is written
 * (xml_signed_info.c): no text of the front's but "#" and an NCName.
 */
static int
xml_signed_info(const tb_ks_key *k, const tb_sc_req *q, const EVP_MD *md, time_t now,
    unsigned char **si, size_t *si_len, char *note, size_t note_len, tb_error *err)
{
	X509 *cert = tb_ks_key_cert(k);
	X509_PUBKEY *spki = cert != NULL ? X509_get_X509_PUBKEY(cert) : NULL;
	unsigned char *ts = NULL, tsd[EVP_MAX_MD_SIZE];
	unsigned int tsd_len = 0;
	size_t ts_len = 0;
	int r;

	if (spki == NULL)
		return tb_error_set(err, TB_ERR_NO_CERT, "key %s: no certificate to sign for",
		    q->key);
	if (q->form == TB_SC_FORM_XML) {
		if (q->ts_id[0] != '\0' || q->ttl != 0)
			return tb_error_set(err, TB_ERR_INVALID_ARG, "references: an enveloped XML "
			    "signature has one; a Timestamp is WS-Security's");
		return tb_xml_signed_info(spki, q->md_nid, q->uri, q->digest, q->digest_len, si,
		    si_len, err);
	}
	if (q->uri[0] != '#' || strcmp(q->uri + 1, q->ts_id) == 0)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "reference URI: the Body's, \"#\" and "
		    "its ID, not the Timestamp's");
	/* The Timestamp from the signer's clock: the front cannot date a message. */
	if ((r = tb_wsse_timestamp(q->ts_id, now, (long)q->ttl, &ts, &ts_len, err)) != 0)
		return r;
	r = bytes_digest(k, md, ts, ts_len, tsd, &tsd_len, err);
	OPENSSL_free(ts);
	if (r != 0)
		return r;
	digest_hex(md_name(q->md_nid), tsd, tsd_len, note, note_len);
	return tb_wsse_signed_info(spki, q->md_nid, q->uri, q->digest, q->digest_len, q->ts_id, tsd,
	    tsd_len, si, si_len, err);
}

/*
 * The signed attributes the signer builds and signs: its own certificate's
 * signingCertificateV2 (made at open), contentType, the document digest the
 * front sent as messageDigest, and its own clock as signingTime. The front
 * gets these bytes and the signature over them, and nothing else signed.
 * For XML (TB_SC_FORM_XML, TB_SC_FORM_WSSE) the bytes are a ds:SignedInfo
 * (xml_signed_info above), with its certificate's key's method.
 */
static int
sign_attrs(const tb_ks_key *k, const tb_sc_req *q, const EVP_MD *md, tb_sc_ans *a,
    unsigned char h[EVP_MAX_MD_SIZE], unsigned int *h_len, unsigned char *sig, size_t *sig_len,
    char *note, size_t note_len, tb_error *err)
{
	unsigned char *attrs = NULL;
	size_t attrs_len = 0;
	const ASN1_STRING *ess;
	const tb_cms_attrs_tpl *tpl;
	tb_filekey *fk = tb_ks_key_file(k);
	tb_sc_signed sd;
	time_t now = tb_clock_now();
	int r;

	if (q->form == TB_SC_FORM_XML || q->form == TB_SC_FORM_WSSE) {
		if ((r = xml_signed_info(k, q, md, now, &attrs, &attrs_len, note, note_len,
		    err)) != 0)
			return r;
		if (fk == NULL)
			goto built;
		if ((r = tb_filekey_sign_bytes(fk, attrs, attrs_len, h, h_len, sig, sig_len,
		    err)) != 0)
			goto out;
		goto signed_;
	}
	/* A file key builds GOST attributes and signs them itself (filekey.c). */
	if (fk != NULL) {
		if (q->form == TB_SC_FORM_COUNTER)
			return tb_error_set(err, TB_ERR_UNSUPPORTED, "key %s: a file key makes "
			    "no counter-signature", q->key);
		if ((r = tb_filekey_sign(fk, q->md_nid, q->digest, q->digest_len, now, &attrs,
		    &attrs_len, h, h_len, sig, sig_len, err)) != 0)
			return r;
		goto signed_;
	}
	if ((ess = tb_ks_key_ess(k, q->md_nid)) == NULL)
		return tb_error_set(err, TB_ERR_NO_CERT, "key %s: no certificate to sign for",
		    q->key);
	/*
	 * From the key's template when it has one; the encoder gives the same
	 * bytes. A counter-signature's attributes have no contentType: no
	 * template, the encoder alone.
	 */
	tpl = q->form == TB_SC_FORM_COUNTER ? NULL : tb_ks_key_attrs_tpl(k, q->md_nid);
	if (tpl != NULL && (attrs = OPENSSL_malloc(tb_cms_attrs_tpl_len(tpl))) != NULL &&
	    tb_cms_attrs_tpl_fill(tpl, q->digest, q->digest_len, now, attrs,
	    tb_cms_attrs_tpl_len(tpl), NULL) == 0) {
		attrs_len = tb_cms_attrs_tpl_len(tpl);
	} else {
		OPENSSL_free(attrs);
		attrs = NULL;
		if ((r = (q->form == TB_SC_FORM_COUNTER ? tb_cms_counter_attrs :
		    tb_cms_signed_attrs)(q->md_nid, q->digest, q->digest_len, now, ess, &attrs,
		    &attrs_len, err)) != 0)
			return r;
	}
built:
	if (EVP_Digest(attrs, attrs_len, h, h_len, md, NULL) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "signed attributes");
		goto out;
	}
	if ((r = tb_p11_key_sign(tb_ks_key_p11(k), q->md_nid, h, *h_len, sig, sig_len,
	    err)) != 0)
		goto out;
signed_:
	memset(&sd, 0, sizeof(sd));
	sd.signing_time = (int64_t)now;
	sd.attrs = attrs;
	sd.attrs_len = attrs_len;
	sd.sig = sig;
	sd.sig_len = *sig_len;
	r = tb_sc_signed_encode(&sd, a, err);
out:
	OPENSSL_free(attrs);
	return r;
}

/*
 * Who asks: for a UNIX-socket client the credentials the signer read
 * itself when the front passed the connection (the uid and gid the front
 * writes are not believed); a TLS client by its certificate, mapped with
 * the signer's own table. The front's [client] name for it counts only if
 * that table agrees. *uid is set once the client is known.
 */
static int
client_attribute(sp *s, tb_config *cfg, const tb_sc_req *q, unsigned *uid, tb_peer *peer,
    const tb_client_conf **out, tb_error *err)
{
	const tb_client_conf *acl;

	if (q->tls && q->conn == 0) {
		acl = tb_config_client_tls(cfg, q->tls_subject, q->tls_sha256);
	} else if (!q->tls && q->conn != 0 && tb_signer_peers_get(s->peers, q->conn, peer)) {
		*uid = peer->uid;
		acl = tb_config_client(cfg, peer->uid, peer->gid);
	} else {
		return tb_error_set(err, TB_ERR_FORBIDDEN, "connection %llu: not a client the "
		    "signer saw connect; the request cannot be attributed",
		    (unsigned long long)q->conn);
	}
	if (acl == NULL || strcmp(acl->name, q->client) != 0) {
		if (q->tls)
			return tb_error_set(err, TB_ERR_FORBIDDEN, "TLS client '%.200s' is not "
			    "client '%s' in the signer's configuration", q->tls_subject, q->client);
		return tb_error_set(err, TB_ERR_FORBIDDEN, "uid %u gid %u is not client '%s' in "
		    "the signer's configuration", peer->uid, peer->gid, q->client);
	}
	*out = acl;
	return 0;
}

#define SIG_TEXT_MAX (8 + 64 + 1)
/* "streebog512:" and 128 hex digits, the longest document digest recorded. */
#define DOC_TEXT_MAX TB_SC_DOC_MAX

/* The digest's name in records: SHA-2 for token keys, Streebog for file keys. */
static const char *
md_name(int md_nid)
{
	const char *n = tb_config_digest_name(md_nid);

	return n != NULL ? n : tb_filekey_md_name(md_nid);
}

/* The document digest is recorded as it is signed: the signer's own text of it. */
static int
digest_check(const tb_ks_key *k, int md_nid, const unsigned char *digest, size_t digest_len,
    const EVP_MD **md, char doc[DOC_TEXT_MAX], size_t doc_len, tb_error *err)
{
	tb_filekey *fk = k != NULL ? tb_ks_key_file(k) : NULL;

	/* A file key signs its own Streebog, hashed by the gost engine: no EVP_MD. */
	*md = NULL;
	if (fk != NULL) {
		if (md_nid != tb_filekey_md_nid(fk) || digest_len != tb_filekey_md_len(fk))
			return tb_error_set(err, TB_ERR_INVALID_ARG, "digest: key %s (%s) signs "
			    "a %zu-byte %s digest, not algorithm %d with %zu bytes",
			    tb_ks_key_name(k), tb_filekey_alg(fk), tb_filekey_md_len(fk),
			    tb_filekey_md_name(tb_filekey_md_nid(fk)), md_nid, digest_len);
	} else if (tb_config_digest_name(md_nid) == NULL ||
	    (*md = EVP_get_digestbynid(md_nid)) == NULL ||
	    (size_t)EVP_MD_get_size(*md) != digest_len) {
		return tb_error_set(err, TB_ERR_INVALID_ARG, "digest: algorithm %d with %zu bytes",
		    md_nid, digest_len);
	}
	digest_hex(md_name(md_nid), digest, digest_len, doc, doc_len);
	return 0;
}

/*
 * The key that signs for this client: one it may use, whose certificate is
 * the one the front will put in the CMS, and valid now. *audited is set
 * when the audit trail refuses records (none can be written).
 */
static int
key_pick(sp *s, tb_keystore *ks, tb_keystore *prev, const tb_client_conf *acl,
    const tb_sc_req *q, const tb_ks_key **out, int *audited, tb_error *err)
{
	const tb_ks_key *k;
	int r;

	if ((acl->ops & TB_OP_SIGN) == 0 || !tb_config_client_key_ok(acl, q->key))
		return tb_error_set(err, TB_ERR_FORBIDDEN, "key: client %s may not sign with "
		    "key '%s'", acl->name, q->key);
	if ((r = audit_ready(s, err)) != 0) {
		*audited = 1;	/* the trail refuses records: none to write */
		return r;
	}
	if (tb_keystore_key(ks, q->key) == NULL)
		return tb_error_set(err, TB_ERR_NO_KEY, "key: no key named '%s'", q->key);
	/* Only the key of the certificate the CMS will carry may sign. */
	if ((k = key_with_cert(ks, q->key, q->cert_sha256)) == NULL &&
	    (k = key_with_cert(prev, q->key, q->cert_sha256)) == NULL)
		return tb_error_set(err, TB_ERR_UNAVAILABLE, "key %s: the certificate asked for "
		    "is not the key's (changed by a reload); try again", q->key);
	if ((r = tb_ks_key_check(k, tb_clock_now(), err)) != 0)
		return r;
	*out = k;
	return 0;
}

/* What identifies a signature in its record: its value, and what it signed. */
static int
sig_texts(const unsigned char *sig, size_t sig_len, int md_nid, const unsigned char *h,
    unsigned h_len, char sigtext[SIG_TEXT_MAX], char attrs[DOC_TEXT_MAX], tb_error *err)
{
	unsigned char sh[32];
	unsigned int shlen = 0;

	if (EVP_Digest(sig, sig_len, sh, &shlen, EVP_sha256(), NULL) != 1)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "SHA-256");
	digest_hex("sha256", sh, shlen, sigtext, SIG_TEXT_MAX);
	digest_hex(md_name(md_nid), h, h_len, attrs, DOC_TEXT_MAX);
	return 0;
}

static int
sign_handle(sp *s, const tb_sc_req *q, tb_sc_ans *a, tb_error *err)
{
	int r = TB_ERR_INTERNAL, audited = 0;
	tb_config *cfg = NULL;
	tb_keystore *ks = NULL, *prev = NULL;
	const tb_client_conf *acl;
	const tb_ks_key *k;
	const EVP_MD *md = NULL;
	unsigned char sig[TB_SIG_MAX], h[EVP_MAX_MD_SIZE];
	unsigned int h_len = 0;
	size_t sig_len = sizeof(sig);
	char sigtext[SIG_TEXT_MAX], attrs[DOC_TEXT_MAX], doc[DOC_TEXT_MAX], note[DOC_TEXT_MAX];
	char said[DOC_TEXT_MAX + TB_SC_URI_MAX + 16];
	/* A counter-signature's doc digest is the hash of the signature value it signs. */
	const char *detail = q->form == TB_SC_FORM_COUNTER ? "countersignature" :
	    q->form == TB_SC_FORM_XML ? "xml" : q->form == TB_SC_FORM_WSSE ? "wsse" :
	    q->detached ? "detached" : "attached";
	/* Until the signer knows the client, records carry no uid of the front's. */
	unsigned uid = TB_CLIENT_UID_NONE;
	tb_peer peer;

	doc[0] = '\0';
	note[0] = '\0';
	memset(&peer, 0, sizeof(peer));
	snapshot_sign(s, &cfg, &ks, &prev);
	if ((r = client_attribute(s, cfg, q, &uid, &peer, &acl, err)) != 0 ||
	    (r = digest_check(tb_keystore_key(ks, q->key), q->md_nid, q->digest,
	    q->digest_len, &md, doc, sizeof(doc), err)) != 0 ||
	    (r = key_pick(s, ks, prev, acl, q, &k, &audited, err)) != 0)
		goto out;
	/* The key of the certificate asked for may be the one before a reload: its rules. */
	if (k != tb_keystore_key(ks, q->key) &&
	    (r = digest_check(k, q->md_nid, q->digest, q->digest_len, &md, doc, sizeof(doc),
	    err)) != 0)
		goto out;
	if ((r = sign_attrs(k, q, md, a, h, &h_len, sig, &sig_len, note, sizeof(note),
	    err)) != 0) {
		tb_error_f(r, "uid %u key %s: %s", uid, q->key, err->detail);
		a->payload_len = 0;
		goto out;
	}
	if ((r = sig_texts(sig, sig_len, q->md_nid, h, h_len, sigtext, attrs, err)) != 0)
		goto out;
	/* WS-Security: the Body's digest is doc; the Timestamp's, which the signer made, here. */
	if (q->form == TB_SC_FORM_WSSE) {
		snprintf(said, sizeof(said), "wsse timestamp %s", note);
		detail = said;
	} else if (q->form == TB_SC_FORM_XML && q->uri[0] != '\0') {
		/* The element signed, as the SignedInfo names it (an NCName, checked). */
		snprintf(said, sizeof(said), "xml reference %s", q->uri);
		detail = said;
	}
	/* On disk before the answer leaves: a signature without a record is dropped. */
	audited = 1;
	if ((r = audit_write(s, uid, "sign", q->key, doc, sigtext, attrs, 0, detail,
	    err)) != 0) {
		tb_error_f(r, "uid %u key %s: signature withheld: %s", uid, q->key,
		    err->detail);
		goto out;
	}
	tb_info_f("uid %u pid %d: %s with key %s", uid, peer.pid,
	    q->form == TB_SC_FORM_COUNTER ? "counter-signed" : q->form == TB_SC_FORM_XML ?
	    "signed XML" : q->form == TB_SC_FORM_WSSE ? "signed SOAP" : "signed", q->key);
	r = 0;
out:
	if (r != 0 && !audited)
		(void)audit_write(s, uid, "sign", q->key, doc, NULL, NULL, r, err->detail,
		    NULL);
	OPENSSL_cleanse(sig, sizeof(sig));
	tb_keystore_unref(prev);
	tb_keystore_unref(ks);
	tb_config_unref(cfg);
	return r;
}

/* ---- SIGN_BATCH: several digests, one key, one client ---- */

static void answer_send(sp *s, const tb_sc_ans *a);

/* Threads that sign one batch's items side by side (token sessions allowing). */
#define BATCH_THREADS_MAX 4
#define BATCH_ITEMS_PER_THREAD 8

/* One item as the signer made it, or why not. */
struct bitem {
	int status;
	char detail[TB_SC_DETAIL_MAX];
	char doc[DOC_TEXT_MAX], sigtext[SIG_TEXT_MAX], attrs_text[DOC_TEXT_MAX];
	int64_t signing_time;
	unsigned char *attrs;
	size_t attrs_len;
	unsigned char sig[TB_SIG_MAX];
	size_t sig_len;
};

struct batch {
	const tb_sc_req *q;
	const tb_ks_key *k;
	const tb_sc_item *items;
	struct bitem *out;
	uint32_t n;
	atomic_uint next;		/* the next item a thread takes */
};

static void
bitem_fail(struct bitem *it, int r, const char *detail)
{
	it->status = r;
	tb_sc_strset(it->detail, sizeof(it->detail), detail[0] ? detail : tb_err_str(r));
}

/* Each item as a SIGN of its own: its digest checked, attributes built, signed. */
static void
batch_item(struct batch *b, tb_sc_ans *scratch, uint32_t i)
{
	struct bitem *it = &b->out[i];
	const tb_sc_item *in = &b->items[i];
	const EVP_MD *md = NULL;
	unsigned char h[EVP_MAX_MD_SIZE];
	char note[DOC_TEXT_MAX];
	unsigned int h_len = 0;
	tb_sc_signed sd;
	tb_sc_req qi;
	tb_error e;
	int r;

	tb_error_clear(&e);
	qi = *b->q;
	qi.type = TB_SC_SIGN;
	qi.md_nid = in->md_nid;
	qi.digest_len = in->digest_len;
	memcpy(qi.digest, in->digest, sizeof(qi.digest));
	it->sig_len = sizeof(it->sig);
	if ((r = digest_check(b->k, in->md_nid, in->digest, in->digest_len, &md, it->doc,
	    sizeof(it->doc), &e)) != 0 ||
	    (r = sign_attrs(b->k, &qi, md, scratch, h, &h_len, it->sig, &it->sig_len, note,
	    sizeof(note), &e)) != 0 ||
	    (r = tb_sc_signed_decode(scratch, &sd, &e)) != 0 ||
	    (r = sig_texts(it->sig, it->sig_len, in->md_nid, h, h_len, it->sigtext,
	    it->attrs_text, &e)) != 0) {
		bitem_fail(it, r, e.detail);
		return;
	}
	if ((it->attrs = malloc(sd.attrs_len)) == NULL) {
		bitem_fail(it, TB_ERR_NOMEM, "signed attributes");
		return;
	}
	memcpy(it->attrs, sd.attrs, sd.attrs_len);
	it->attrs_len = sd.attrs_len;
	it->signing_time = sd.signing_time;
	it->status = 0;
}

static void *
batch_worker(void *arg)
{
	struct batch *b = arg;
	tb_sc_ans *scratch = malloc(sizeof(*scratch));
	uint32_t i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		if (scratch == NULL)
			bitem_fail(&b->out[i], TB_ERR_NOMEM, "signature");
		else
			batch_item(b, scratch, i);
	}
	free(scratch);
	return NULL;
}

/*
 * Signs every item on up to BATCH_THREADS_MAX threads (this one among
 * them). The token's sessions bound how many sign at once; a thread that
 * waits for one has its next item ready (on a shared machine, fewer
 * threads than that measured slower: docs/PERFORMANCE.md).
 */
static void
batch_sign(struct batch *b)
{
	pthread_t th[BATCH_THREADS_MAX];
	unsigned want = (b->n + BATCH_ITEMS_PER_THREAD - 1) / BATCH_ITEMS_PER_THREAD, t, started;
	int r;

	if (want > BATCH_THREADS_MAX)
		want = BATCH_THREADS_MAX;
	for (t = 1, started = 0; t < want; t++) {
		if ((r = pthread_create(&th[started], NULL, batch_worker, b)) == 0)
			started++;
		else
			tb_warn_f(0, "batch: thread not started (%s): signing on fewer",
			    strerror(r));
	}
	(void)batch_worker(b);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
}

/*
 * One record per item, synced once for all: a signature whose record is
 * not on disk is withheld (its item fails), as for a single SIGN. When the
 * trail fails part-way, the items whose records it took are answered: an
 * ok record always stands for a signature that was sent.
 */
static void
batch_records(sp *s, unsigned uid, const tb_sc_req *q, struct bitem *out, uint32_t n)
{
	tb_audit_event *evs;
	char name[USER_NAME_MAX];
	const char *how = q->detached ? "detached" : "attached";
	tb_error e;
	size_t done = 0;
	uint32_t i;
	int r;

	user_name(s, uid, name, sizeof(name));
	if ((evs = calloc(n, sizeof(*evs))) == NULL) {
		for (i = 0; i < n; i++)
			if (out[i].status == 0)
				bitem_fail(&out[i], TB_ERR_UNAVAILABLE, "no memory for the audit "
				    "record; signature withheld");
		return;
	}
	for (i = 0; i < n; i++) {
		evs[i].uid = uid;
		evs[i].client = name;
		evs[i].op = "sign";
		evs[i].key = q->key[0] != '\0' ? q->key : NULL;
		evs[i].doc_digest = out[i].doc[0] != '\0' ? out[i].doc : NULL;
		evs[i].sig_digest = out[i].status == 0 ? out[i].sigtext : NULL;
		evs[i].attrs_digest = out[i].status == 0 ? out[i].attrs_text : NULL;
		evs[i].result = out[i].status == 0 ? "ok" : tb_err_name(out[i].status);
		evs[i].detail = out[i].status == 0 ? how : out[i].detail;
	}
	tb_error_clear(&e);
	if ((r = tb_audit_append_many(s->audit, evs, n, &done, &e)) != 0) {
		tb_error_f(r, "uid %u key %s: items %zu to %u withheld: %s", uid, q->key, done,
		    n - 1, e.detail);
		for (i = (uint32_t)done; i < n; i++)
			if (out[i].status == 0)
				bitem_fail(&out[i], TB_ERR_UNAVAILABLE, "audit trail not writable; "
				    "signature withheld");
	}
	for (i = 0; i < done && atomic_load(&s->audit_syslog); i++)
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit: uid=%u client=%s op=sign key=%s doc=%s "
		    "sig=%s result=%s detail=%s", uid, name, q->key,
		    evs[i].doc_digest ? evs[i].doc_digest : "-",
		    evs[i].sig_digest ? evs[i].sig_digest : "-", evs[i].result,
		    evs[i].detail ? evs[i].detail : "-");
	free(evs);
}

/* The items' answers in order, in as many records as they need (the last one in a). */
static void
batch_answer(sp *s, tb_sc_ans *a, const struct bitem *out, uint32_t n)
{
	tb_sc_item_ans ia;
	tb_error e;
	uint32_t i;

	tb_sc_batch_ans_start(a);
	for (i = 0; i < n; i++) {
		memset(&ia, 0, sizeof(ia));
		ia.index = i;
		ia.status = out[i].status;
		ia.detail = out[i].status != 0 ? out[i].detail : "";
		ia.signing_time = out[i].signing_time;
		if (out[i].status == 0) {
			ia.attrs = out[i].attrs;
			ia.attrs_len = out[i].attrs_len;
			ia.sig = out[i].sig;
			ia.sig_len = out[i].sig_len;
		}
		if (tb_sc_batch_ans_add(a, &ia, &e) == 0)
			continue;
		answer_send(s, a);
		tb_sc_batch_ans_start(a);
		/* Attributes and a signature always fit an empty record (under 64 KiB). */
		if (tb_sc_batch_ans_add(a, &ia, &e) != 0)
			tb_error_f(e.code, "batch item %u recorded but not answered: %s", i,
			    e.detail);
	}
}

/*
 * The signer's own limits on a batch, whatever the front checked: its
 * [daemon] sign_batch_max, and no counter-signature (a batch signs
 * documents, and its records would not say otherwise).
 */
static int
batch_head_check(const tb_config *cfg, const tb_sc_req *q, uint32_t n, tb_error *err)
{
	if (q->form != TB_SC_FORM_CMS)
		return tb_error_set(err, TB_ERR_INVALID_ARG,
		    "a batch signs CMS only: no counter-signature or XML");
	if (n > cfg->sign_batch_max)
		return tb_error_set(err, TB_ERR_TOO_LARGE, "%u items: more than sign_batch_max "
		    "(%u)", n, cfg->sign_batch_max);
	return 0;
}

/*
 * The client and the key are checked once for the batch (a refusal
 * refuses every item, each with its record); then each item is signed as
 * a SIGN would be, one failing alone.
 */
static int
batch_handle(sp *s, const tb_sc_req *q, const tb_sc_item *items, uint32_t n, tb_sc_ans *a,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, audited = 0;
	tb_config *cfg = NULL;
	tb_keystore *ks = NULL, *prev = NULL;
	const tb_client_conf *acl;
	const tb_ks_key *k = NULL;
	const EVP_MD *md;
	struct bitem *out;
	struct batch b;
	unsigned uid = TB_CLIENT_UID_NONE, ok = 0;
	tb_peer peer;
	tb_error e;
	uint32_t i;

	if ((out = calloc(n, sizeof(*out))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "batch");
	memset(&peer, 0, sizeof(peer));
	snapshot_sign(s, &cfg, &ks, &prev);
	if ((r = client_attribute(s, cfg, q, &uid, &peer, &acl, err)) != 0 ||
	    (r = batch_head_check(cfg, q, n, err)) != 0 ||
	    (r = key_pick(s, ks, prev, acl, q, &k, &audited, err)) != 0) {
		for (i = 0; i < n; i++) {
			(void)digest_check(tb_keystore_key(ks, q->key), items[i].md_nid,
			    items[i].digest, items[i].digest_len, &md, out[i].doc,
			    sizeof(out[i].doc), &e);
			bitem_fail(&out[i], r, err->detail);
		}
		if (!audited)
			batch_records(s, uid, q, out, n);
		goto out;
	}
	memset(&b, 0, sizeof(b));
	b.q = q;
	b.k = k;
	b.items = items;
	b.out = out;
	b.n = n;
	atomic_init(&b.next, 0);
	batch_sign(&b);
	batch_records(s, uid, q, out, n);
	for (i = 0; i < n; i++)
		ok += out[i].status == 0;
	tb_info_f("uid %u pid %d: signed %u of %u with key %s", uid, peer.pid, ok, n, q->key);
	batch_answer(s, a, out, n);
	r = 0;
out:
	for (i = 0; i < n; i++) {
		free(out[i].attrs);
		OPENSSL_cleanse(out[i].sig, sizeof(out[i].sig));
	}
	free(out);
	tb_keystore_unref(prev);
	tb_keystore_unref(ks);
	tb_config_unref(cfg);
	return r;
}

static int
describe_handle(sp *s, const tb_sc_req *q, tb_sc_ans *a, tb_error *err)
{
	int r = TB_ERR_INTERNAL, n;
	tb_config *cfg = NULL;
	tb_keystore *ks = NULL;
	const tb_ks_key *k;
	tb_sc_keyinfo ki;
	unsigned char *cert = NULL, *chain = NULL, *p;
	STACK_OF(X509) *sk;
	size_t chain_len = 0;
	int i, len;

	snapshot(s, &cfg, &ks);
	memset(&ki, 0, sizeof(ki));
	ki.count = (uint32_t)tb_keystore_key_count(ks);
	if ((k = tb_keystore_key_at(ks, q->index)) == NULL) {
		/* Past the end: the count alone, so an empty keystore is described too. */
		(void)tb_sc_keyinfo_encode(&ki, a, NULL);
		r = tb_error_set(err, TB_ERR_NO_KEY, "no key number %u", q->index);
		goto out;
	}
	tb_sc_strset(ki.name, sizeof(ki.name), tb_ks_key_name(k));
	ki.key_type = tb_ks_key_type(k);
	ki.md_nid = tb_ks_key_md_nid(k);
	if (tb_ks_key_cert(k) != NULL) {
		if ((n = i2d_X509(tb_ks_key_cert(k), &cert)) <= 0) {
			r = tb_error_set_ossl(err, TB_ERR_CRYPTO, "key %s: certificate", ki.name);
			goto out;
		}
		ki.cert = cert;
		ki.cert_len = (size_t)n;
	}
	if ((sk = tb_ks_key_chain(k)) != NULL) {
		for (i = 0; i < sk_X509_num(sk); i++)
			if ((len = i2d_X509(sk_X509_value(sk, i), NULL)) > 0)
				chain_len += (size_t)len;
		if (chain_len > 0 && (chain = OPENSSL_malloc(chain_len)) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "chain");
			goto out;
		}
		p = chain;
		for (i = 0; chain != NULL && i < sk_X509_num(sk); i++)
			(void)i2d_X509(sk_X509_value(sk, i), &p);
		ki.chain = chain;
		ki.chain_len = chain_len;
	}
	if ((r = tb_sc_keyinfo_encode(&ki, a, err)) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_free(cert);
	OPENSSL_free(chain);
	tb_keystore_unref(ks);
	tb_config_unref(cfg);
	return r;
}

static int
status_handle(sp *s, tb_sc_ans *a)
{
	tb_config *cfg = NULL;
	tb_keystore *ks = NULL;
	tb_p11_token_status ts;
	tb_sc_status *st;
	size_t i;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		return TB_ERR_NOMEM;
	snapshot(s, &cfg, &ks);
	st->pid = (int32_t)getpid();
	st->audit_records = tb_audit_count(s->audit);
	st->audit_failed = tb_audit_last_error(s->audit, st->audit_error,
	    sizeof(st->audit_error));
	for (i = 0; i < tb_keystore_token_count(ks) && i < TB_SC_TOKENS_MAX; i++) {
		tb_p11_token_get_status(tb_keystore_token_at(ks, i), &ts);
		tb_sc_strset(st->tokens[i].label, sizeof(st->tokens[i].label), ts.label);
		st->tokens[i].healthy = ts.healthy;
		st->tokens[i].sessions_max = ts.sessions_max;
		st->tokens[i].sessions_open = ts.sessions_open;
		st->tokens[i].sessions_busy = ts.sessions_busy;
		st->tokens[i].signatures = ts.signatures;
		st->tokens[i].failures = ts.failures;
		st->tokens[i].reconnects = ts.reconnects;
		st->ntokens++;
	}
	tb_sc_status_encode(st, a);
	free(st);
	tb_keystore_unref(ks);
	tb_config_unref(cfg);
	return 0;
}

/* Where a key lives, for records: its URI, or "p12 " and its container's path. */
static void
key_where(const tb_key_conf *k, char *buf, size_t len)
{
	if (k == NULL)
		snprintf(buf, len, "(new key)");
	else if (k->p12 != NULL)
		snprintf(buf, len, "p12 %s", k->p12);
	else
		snprintf(buf, len, "%s", k->uri);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * One audit record per key a reload adds, removes or points elsewhere, so
 * the trail shows which key signed before and after a rotation; and one
 * for a key whose certificate changed in place (a new container at the
 * same path, a new certificate on the token).
 */
static void
audit_key_changes(sp *s, const tb_config *old_cfg, const tb_config *cfg,
    tb_keystore *old_ks, tb_keystore *ks)
{
	char detail[TB_SC_DETAIL_MAX];
	const tb_key_conf *ok, *nk;
	const tb_ks_key *ok_k, *nk_k;
	const unsigned char *oh, *nh;
	char ow[160], nw[160];
	size_t i;

	for (i = 0; i < cfg->nkeys; i++) {
		nk = &cfg->keys[i];
		ok = tb_config_key(old_cfg, nk->name);
		if (ok != NULL && same_str(ok->uri, nk->uri) && same_str(ok->p12, nk->p12) &&
		    same_str(ok->certificate, nk->certificate)) {
			ok_k = tb_keystore_key(old_ks, nk->name);
			nk_k = tb_keystore_key(ks, nk->name);
			oh = ok_k != NULL ? tb_ks_key_cert_sha256(ok_k) : NULL;
			nh = nk_k != NULL ? tb_ks_key_cert_sha256(nk_k) : NULL;
			if ((oh == NULL) == (nh == NULL) && (oh == NULL || memcmp(oh, nh, 32) == 0))
				continue;
			key_where(nk, nw, sizeof(nw));
			snprintf(detail, sizeof(detail), "%s: certificate changed", nw);
			(void)audit_write(s, (unsigned)getuid(), "key-change", nk->name, NULL, NULL,
			    NULL, 0, detail, NULL);
			continue;
		}
		key_where(ok, ow, sizeof(ow));
		key_where(nk, nw, sizeof(nw));
		snprintf(detail, sizeof(detail), "%s -> %s%s%s", ow, nw,
		    nk->certificate ? " certificate " : "", nk->certificate ? nk->certificate : "");
		(void)audit_write(s, (unsigned)getuid(), "key-change", nk->name, NULL, NULL, NULL,
		    0, detail, NULL);
	}
	for (i = 0; i < old_cfg->nkeys; i++)
		if (tb_config_key(cfg, old_cfg->keys[i].name) == NULL)
			(void)audit_write(s, (unsigned)getuid(), "key-change",
			    old_cfg->keys[i].name, NULL, NULL, NULL, 0, "key removed", NULL);
}

static int
reload_handle(sp *s, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_config *cfg = NULL, *old_cfg = NULL;
	tb_keystore *ks = NULL, *old_ks = NULL;
	tb_error rot;

	pthread_mutex_lock(&s->reload_lock);
	tb_info_f("reloading %s", s->path);
	if ((r = tb_config_load(s->path, &cfg, err)) == 0 && cfg->audit_file == NULL)
		r = tb_error_set(err, TB_ERR_CONFIG, "%s: [audit] file is required", s->path);
	if (r != 0 || (r = tb_keystore_open(cfg, &ks, err)) != 0) {
		tb_error_f(r, "reload failed, keeping the running configuration: %s",
		    err->detail);
		(void)audit_write(s, (unsigned)getuid(), "reload", NULL, NULL, NULL, NULL, r,
		    err->detail, NULL);
		goto out;
	}
	if (strcmp(cfg->audit_file, s->cfg->audit_file) != 0)
		tb_warn_f(0, "audit file changes take effect at restart");
	if (strcmp(cfg->audit_key, s->cfg->audit_key) != 0 ||
	    cfg->audit_checkpoint_every != s->cfg->audit_checkpoint_every ||
	    cfg->audit_checkpoint_interval_s != s->cfg->audit_checkpoint_interval_s ||
	    (cfg->audit_anchor_file == NULL) != (s->cfg->audit_anchor_file == NULL) ||
	    (cfg->audit_anchor_file != NULL &&
	    strcmp(cfg->audit_anchor_file, s->cfg->audit_anchor_file) != 0) ||
	    cfg->audit_refusal_records != s->cfg->audit_refusal_records ||
	    cfg->audit_refusal_window_s != s->cfg->audit_refusal_window_s)
		tb_warn_f(0, "[audit] checkpoint, anchor and refusal settings take effect at "
		    "restart");
	/* Rotation: the file moved away is sealed, a new one continues its chain. */
	if (tb_audit_reopen(s->audit, s->cfg->audit_file, &rot) != 0)
		tb_error_f(TB_ERR_IO, "audit trail not rotated: %s", rot.detail);
	pthread_mutex_lock(&s->lock);
	old_cfg = s->cfg;
	/* The keystore before the previous reload goes; the one before this stays. */
	old_ks = s->prev_ks;
	s->prev_ks = s->ks;
	s->cfg = cfg;
	s->ks = ks;
	cfg = NULL;
	ks = NULL;
	tb_log_set_level(s->debug ? TB_LOG_DEBUG : s->cfg->log_level);
	atomic_store(&s->audit_syslog, s->cfg->audit_syslog);
	pthread_mutex_unlock(&s->lock);
	user_names_forget(s);
	tb_info_f("reloaded %s", s->path);
	(void)audit_write(s, (unsigned)getuid(), "reload", NULL, NULL, NULL, NULL, 0, s->path,
	    NULL);
	audit_key_changes(s, old_cfg, s->cfg, s->prev_ks, s->ks);
	r = 0;
out:
	pthread_mutex_unlock(&s->reload_lock);
	/* Requests in flight keep their own references to the old pair. */
	tb_keystore_unref(old_ks);
	tb_config_unref(old_cfg);
	tb_keystore_unref(ks);
	tb_config_unref(cfg);
	return r;
}

static void
answer_send(sp *s, const tb_sc_ans *a)
{
	unsigned char *buf;
	size_t len;
	tb_error e;

	if ((buf = malloc(TB_SC_ANS_MAX)) == NULL) {
		tb_error_f(TB_ERR_NOMEM, "answer %llu dropped", (unsigned long long)a->id);
		return;
	}
	len = tb_sc_ans_encode(a, buf);
	pthread_mutex_lock(&s->send_lock);
	if (tb_sc_send(s->fd, buf, len, &e) != 0)
		tb_debug_f("answer %llu: %s", (unsigned long long)a->id, e.detail);
	pthread_mutex_unlock(&s->send_lock);
	free(buf);
}

static void
job_free(struct job *j)
{
	if (j->items != NULL) {
		OPENSSL_cleanse(j->items, j->nitems * sizeof(*j->items));
		free(j->items);
	}
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

static void
job_run(void *arg)
{
	struct job *j = arg;
	const tb_sc_req *q = &j->req;
	tb_sc_ans *a;
	tb_error e;
	int r;

	/*
	 * Only the head is cleared: the 64 KiB payload area is written up to
	 * payload_len, and nothing in an answer is secret (a signature value,
	 * certificates, states), so it is not wiped either.
	 */
	if ((a = malloc(sizeof(*a))) == NULL) {
		tb_error_f(TB_ERR_NOMEM, "request %llu dropped", (unsigned long long)q->id);
		job_free(j);
		return;
	}
	memset(a, 0, offsetof(tb_sc_ans, payload));
	a->type = q->type;
	a->id = q->id;
	tb_error_clear(&e);
	switch (q->type) {
	case TB_SC_SIGN:
		r = sign_handle(j->s, q, a, &e);
		break;
	case TB_SC_SIGN_BATCH:
		r = batch_handle(j->s, q, j->items, j->nitems, a, &e);
		break;
	case TB_SC_AUDIT:
		r = front_record(j->s, q, &e);
		break;
	case TB_SC_DESCRIBE:
		r = describe_handle(j->s, q, a, &e);
		break;
	case TB_SC_STATUS:
		r = status_handle(j->s, a);
		break;
	case TB_SC_RELOAD:
		r = reload_handle(j->s, &e);
		break;
	default:
		r = tb_error_set(&e, TB_ERR_INVALID_ARG, "request type %u", q->type);
		break;
	}
	a->status = r;
	if (r != 0) {
		tb_sc_strset(a->detail, sizeof(a->detail), e.detail[0] ? e.detail : tb_err_str(r));
		if (q->type != TB_SC_DESCRIBE)
			a->payload_len = 0;
	}
	answer_send(j->s, a);
	free(a);
	job_free(j);
}

static void
ready_send(sp *s, int r, const char *detail)
{
	tb_sc_ans *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return;
	a->type = TB_SC_READY;
	a->status = r;
	tb_sc_strset(a->detail, sizeof(a->detail), detail);
	answer_send(s, a);
	free(a);
}

/* CONNECT and DISCONNECT; a descriptor on any other record is closed unread. */
static void
peer_record(sp *s, const tb_sc_req *q, int fd)
{
	tb_config *cfg;
	tb_error e;

	if (q->type == TB_SC_DISCONNECT) {
		tb_signer_peers_disconnect(s->peers, q->conn);
	} else if (q->type != TB_SC_CONNECT || fd == -1) {
		tb_error_f(TB_ERR_MALFORMED, "request %llu of type %u %s a descriptor: dropped",
		    (unsigned long long)q->id, q->type, fd == -1 ? "without" : "with");
	} else {
		pthread_mutex_lock(&s->lock);
		cfg = tb_config_ref(s->cfg);
		pthread_mutex_unlock(&s->lock);
		tb_error_clear(&e);
		if (tb_signer_peers_connect(s->peers, q->conn, fd, cfg->socket, &e) != 0)
			tb_error_f(e.code, "connection %llu not taken: %s",
			    (unsigned long long)q->conn, e.detail);
		fd = -1;
		tb_config_unref(cfg);
	}
	if (fd != -1)
		close(fd);
}

/* Reads requests until the front closes the channel; every request runs on a worker. */
static void
serve(sp *s, tb_workpool *signs, tb_workpool *ctl)
{
	static unsigned char buf[TB_SC_BATCH_REQ_MAX + 1];
	struct job *j;
	ssize_t n;
	tb_error e;
	int fd, r;

	for (;;) {
		n = tb_sc_recv(s->fd, buf, sizeof(buf), &fd);
		if (n <= 0) {
			if (n == 0)
				tb_info_f("front closed the channel: stopping");
			else
				tb_error_f(TB_ERR_IO, "channel: %s", strerror(errno));
			return;
		}
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			tb_error_f(TB_ERR_NOMEM, "request dropped");
			if (fd != -1)
				close(fd);
			continue;
		}
		j->s = s;
		/* A record that is not exactly right is dropped whole (the caller times out). */
		if ((size_t)n <= TB_SC_REQ_SIZE)
			r = tb_sc_req_decode(buf, (size_t)n, &j->req, &e);
		else if ((j->items = calloc(TB_SC_BATCH_MAX, sizeof(*j->items))) == NULL)
			r = tb_error_set(&e, TB_ERR_NOMEM, "batch");
		else
			r = tb_sc_batch_decode(buf, (size_t)n, &j->req, j->items, &j->nitems, &e);
		OPENSSL_cleanse(buf, (size_t)n);
		if (r != 0) {
			tb_error_f(TB_ERR_MALFORMED, "bad record from the front: %s", e.detail);
			if (fd != -1)
				close(fd);
			job_free(j);
			continue;
		}
		/*
		 * Connections are taken here, in the channel's order, so that a
		 * sign request that follows its CONNECT finds it. No answer.
		 */
		if (j->req.type == TB_SC_CONNECT || j->req.type == TB_SC_DISCONNECT ||
		    fd != -1) {
			peer_record(s, &j->req, fd);
			job_free(j);
			continue;
		}
		if (tb_workpool_submit(j->req.type == TB_SC_SIGN ||
		    j->req.type == TB_SC_SIGN_BATCH ? signs : ctl, job_run, j) != 0) {
			tb_error_f(TB_ERR_BUSY, "request %llu dropped", (unsigned long long)j->req.id);
			job_free(j);
		}
	}
}

/* To signer_user (or user, as the front, without one), for good. */
static int
privs_drop(sp *s, tb_error *err)
{
	return tb_privs_harden_as(s->cfg->signer_user ? s->cfg->signer_user : s->cfg->user,
	    s->cfg->signer_uid, s->cfg->signer_gid, err);
}

/* Only the channel stays open from the front: it is moved to fd 3. */
static int
fds_tidy(int fd)
{
	if (fd != 3) {
		if (dup2(fd, 3) == -1)
			return -1;
		close(fd);
	}
	return close_range(4, ~0U, 0) == -1 ? -1 : 3;
}

int
tb_signer_proc_main(int fd, const char *config_path, int debug, int foreground)
{
	int r = TB_ERR_INTERNAL;
	tb_workpool *pool = NULL, *ctl = NULL;
	unsigned nworkers;
	int dropped = 0;
	sigset_t set;
	char detail[TB_SC_DETAIL_MAX];
	sp s;
	tb_error err;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	pthread_mutex_init(&s.reload_lock, NULL);
	pthread_mutex_init(&s.send_lock, NULL);
	pthread_mutex_init(&s.names_lock, NULL);
	tb_error_clear(&err);
	(void)prctl(PR_SET_NAME, TB_SIGNER_PROC_NAME, 0, 0, 0);
	/* Token sessions and the PIN live here: never a core dump. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* The front decides when to stop: it closes the channel. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	tb_log_init(TB_SIGNER_PROC_NAME, 0, debug ? TB_LOG_DEBUG : TB_LOG_INFO);
	if ((s.fd = fds_tidy(fd)) == -1) {
		tb_error_f(TB_ERR_IO, "channel descriptor %d: %s", fd, strerror(errno));
		return 1;
	}
	s.debug = debug;
	if ((s.path = strdup(config_path)) == NULL) {
		r = tb_error_set(&err, TB_ERR_NOMEM, "signer");
		goto out;
	}
	if ((r = tb_config_load(config_path, &s.cfg, &err)) != 0)
		goto out;
	if (s.cfg->syslog && !foreground)
		tb_log_init(TB_SIGNER_PROC_NAME, 1, debug ? TB_LOG_DEBUG : s.cfg->log_level);
	tb_log_set_level(debug ? TB_LOG_DEBUG : s.cfg->log_level);
	if (s.cfg->audit_file == NULL) {
		r = tb_error_set(&err, TB_ERR_CONFIG,
		    "%s: [audit] file is required: tanbad does not sign without an audit trail",
		    config_path);
		goto out;
	}
	/*
	 * With an account of its own the signer becomes it first and opens its
	 * files as that account: the PIN file, the token store and the trail
	 * are its alone (0600/0700), and root needs no right to read them. A
	 * trail an earlier start left to root is given to it first (lchown,
	 * never through a link).
	 */
	if (s.cfg->signer_user != NULL || geteuid() != 0) {
		/* Not root: nothing to lose, and a user it cannot become is said now. */
		if ((r = tb_owned_file_give(s.cfg->audit_file, s.cfg->signer_uid,
		    s.cfg->signer_gid, &err)) != 0 || (r = privs_drop(&s, &err)) != 0)
			goto out;
		dropped = 1;
	}
	/*
	 * The trail is the signer account's alone, whoever created it: a
	 * signer restarted after a crash opens it again with no manual step.
	 */
	if ((r = tb_owned_file_prepare(s.cfg->audit_file, s.cfg->signer_uid, s.cfg->signer_gid,
	    &err)) != 0 || (r = tb_audit_open(s.cfg->audit_file, &s.audit, &err)) != 0 ||
	    (r = audit_setup(&s, &err)) != 0) {
		r = TB_ERR_UNAVAILABLE;
		goto out;
	}
	atomic_init(&s.audit_syslog, s.cfg->audit_syslog);
	if ((s.peers = tb_signer_peers_new(PEERS_MAX)) == NULL) {
		r = tb_error_set(&err, TB_ERR_NOMEM, "signer");
		goto out;
	}
	tb_filekey_secure_heap();
	if ((r = tb_keystore_open(s.cfg, &s.ks, &err)) != 0)
		goto out;
	/* Everything that needs the start-up user is open: give it up. */
	if (!dropped && (r = privs_drop(&s, &err)) != 0)
		goto out;
#ifdef TB_SANDBOX_SIGNER
	/*
	 * A signer started by a sandboxed front (not root: no launcher) comes
	 * with the front's filter; filters stack, so it then runs under both.
	 */
	if ((r = tb_sandbox_apply(TB_SANDBOX_SIGNER, s.cfg, &err)) != 0)
		goto out;
#endif
	nworkers = tb_config_sign_workers(s.cfg);
	if ((r = tb_workpool_new(nworkers, &pool, &err)) != 0 ||
	    (r = tb_workpool_new(CTL_WORKERS, &ctl, &err)) != 0)
		goto out;
	snprintf(detail, sizeof(detail), "signer process started (pid %ld)", (long)getpid());
	(void)audit_write(&s, (unsigned)getuid(), "signer-start", NULL, NULL, NULL, NULL, 0,
	    detail, NULL);
	tb_info_f("ready: %zu keys, %u workers", tb_keystore_key_count(s.ks), nworkers);
	ready_send(&s, 0, "");
	serve(&s, pool, ctl);
	r = 0;
out:
	if (r != 0) {
		tb_error_f(r, "%s", err.detail);
		ready_send(&s, r, err.detail);
	}
	/* Queued requests end first: their answers go nowhere, but they hold references. */
	tb_workpool_free(pool);
	tb_workpool_free(ctl);
	tb_keystore_unref(s.prev_ks);
	tb_keystore_unref(s.ks);
	tb_config_unref(s.cfg);
	tb_audit_free(s.audit);
	tb_signer_peers_free(s.peers);
	free(s.path);
	close(s.fd);
	return r == 0 ? 0 : 1;
}
