/*
 * The daemon's configuration: an INI file read once, validated whole and
 * turned into an immutable, reference-counted tb_config. A reload builds a
 * new object and swaps it in; nothing ever changes a tb_config once built.
 * It holds the PIN file's path, never the PIN.
 */
#ifndef TB_CONF_H
#define TB_CONF_H

#include <stddef.h>

#include "tb_err.h"
#include "tb_log.h"

#define TB_CONFIG_MAX_KEYS 256
#define TB_KEY_NAME_MAX 64
/* A budget of buffered bytes holds at least one frame and its header and answer room. */
#define TB_CONFIG_FRAME_SLACK 4096u

/* One [key "NAME"] section. */
typedef struct tb_key_conf {
	char *name;
	char *uri;		/* RFC 7512 URI of the private key, or NULL: a file key */
	char *certificate;	/* certificate file, or NULL: the token's */
	char *chain;		/* extra certificates for each CMS, or NULL */
	/*
	 * A file key (daemon/signer/filekey.c): a PKCS#12 container and its password
	 * file, read by the signer process only; NULL for a token key.
	 */
	char *p12;
	char *p12_password_file;
	int md_nid;		/* default digest for sign-from-data (token keys) */
	unsigned line;		/* line of the section header */
} tb_key_conf;

/* Bits of tb_client_conf.ops: the ops a client may call. */
enum {
	TB_OP_SIGN = 1 << 0,
	TB_OP_KEYS = 1 << 1,
	TB_OP_STATUS = 1 << 2,
	TB_OP_VERIFY = 1 << 3,
	TB_OP_CHECK_CERT = 1 << 4,
	TB_OP_TIMESTAMP = 1 << 5,
	TB_OP_ALL = (1 << 6) - 1
};

/* One [client "NAME"] section: who (resolved at load) and what they may do. */
typedef struct tb_client_conf {
	char *name;
	char *user;		/* user name as written, or NULL */
	char *group;		/* group name as written, or NULL */
	unsigned uid;		/* resolved user (when user is set) */
	unsigned gid;		/* resolved group (when group is set) */
	unsigned *member_uids;	/* the group's listed members, resolved */
	size_t nmembers;
	char *ops_text;		/* "sign keys status verify check-cert" or "*" */
	unsigned ops;		/* TB_OP_* bits */
	char *keys_text;	/* key names or "*" */
	char **keys;		/* the names, or NULL with all_keys */
	size_t nkeys;
	int all_keys;
	/*
	 * A client of the TLS listener: the verified certificate's subject
	 * (RFC 2253, as `openssl x509 -nameopt RFC2253` prints it) and/or its
	 * SHA-256 fingerprint; when both are given, both must match.
	 */
	char *tls_subject;		/* or NULL */
	char *tls_cert_sha256_text;	/* as written, or NULL */
	unsigned char tls_cert_sha256[32];	/* resolved from the text */
	unsigned line;
} tb_client_conf;

/* Most URLs per list of an [issuer] section (libsig's TB_REV_MAX_URLS). */
#define TB_ISSUER_MAX_URLS 4

/* One [issuer "NAME"] section: where the revocation of its certificates is asked. */
typedef struct tb_issuer_conf {
	char *name;
	char *certificate;	/* the issuing CA's certificate (PEM or DER) */
	char *ocsp_text;	/* URL lists as written (spaces or commas between) */
	char *crl_text;
	char *delta_text;
	char *order_text;	/* "ocsp,crl" or "crl,ocsp" (or one of them) */
	int use_certificate_urls;	/* AIA / CDP of the certificates (default no) */
	int soft_fail;		/* -1 until resolved: then [revocation] soft_fail */
	char *crl_signer;	/* a separate CRL signer's certificate, or NULL */
	/* resolved from the texts above */
	char *ocsp[TB_ISSUER_MAX_URLS];
	size_t nocsp;
	char *crl[TB_ISSUER_MAX_URLS];
	size_t ncrl;
	char *delta[TB_ISSUER_MAX_URLS];
	size_t ndelta;
	int order[2];		/* 1 = OCSP, 2 = CRL (libsig's tb_rev_source) */
	size_t norder;
	unsigned line;
} tb_issuer_conf;

typedef struct tb_config {
	char *path;			/* the file it was read from */

	/* [daemon] */
	char *socket;
	unsigned socket_mode;
	size_t max_frame_bytes;
	unsigned max_connections;
	unsigned max_inflight_per_connection;
	unsigned workers;		/* resolved: 0 in the file means 2 x CPUs */
	unsigned sign_workers;		/* 0: tb_config_sign_workers decides */
	unsigned read_timeout_s;
	unsigned idle_timeout_s;
	enum tb_log_level log_level;
	int syslog;
	char *user;			/* run as this user after opening everything, or NULL */
	char *group;			/* and this group (default: the user's) */
	char *socket_owner;		/* chown the socket at creation, or NULL */
	char *socket_group;
	unsigned rate_per_client;	/* requests per second per client uid */
	unsigned rate_burst;
	unsigned expiry_warning_days;	/* warn daily when a key's certificate has fewer left */
	char *pid_file;			/* written at start, removed at exit, or NULL */
	int sandbox;			/* seccomp filter on the front (default yes) */
	/*
	 * Lanes: control (status, keys, and what names no op), verification
	 * (verify, check-cert), signing (sign_workers), and the intake that
	 * decodes frames over 64 KiB off the I/O thread. Each has a queue of
	 * bounded length (full: busy at once) and a deadline for the wait in
	 * it (past it: timeout, the request is not run).
	 */
	unsigned control_workers, intake_workers;
	unsigned control_queue, intake_queue, verify_queue, sign_queue;
	unsigned control_deadline_ms, verify_deadline_ms, sign_deadline_ms;
	unsigned sign_batch_max;	/* documents or digests in one sign request */
	/* per client (a uid, or a TLS [client]); buffered bytes also in all */
	unsigned max_connections_per_client;
	unsigned max_inflight_per_client;
	size_t max_buffered_bytes_per_client;	/* 0 in the file: 4 x max_frame_bytes */
	size_t max_buffered_bytes;		/* 0 in the file: 16 x max_frame_bytes */
	unsigned first_frame_timeout_s;	/* a new connection's first complete frame */
	/* resolved from the names above; -1 when not given */
	long user_uid, user_gid, socket_uid, socket_gid;
	/*
	 * The signer process's account (it alone reads the PIN file and the
	 * token store and writes the audit trail), or NULL: then user's.
	 * signer_uid/gid are resolved, and equal user_uid/gid without it.
	 */
	char *signer_user;
	char *signer_group;
	long signer_uid, signer_gid;

	/* [audit] (the daemon refuses to start without a file) */
	char *audit_file;
	int audit_syslog;
	char *audit_key;		/* HMAC key of the checkpoints (default: file + ".key") */
	unsigned audit_checkpoint_every;	/* records between checkpoints */
	unsigned audit_checkpoint_interval_s;
	char *audit_anchor_file;	/* checkpoints published here too, or NULL */
	unsigned audit_refusal_records;	/* per client uid and window, then counted */
	unsigned audit_refusal_window_s;
	int audit_verify;		/* one record per verification */

	/* [token] */
	char *module;
	char *pin_file;
	unsigned max_sessions;
	int token_sandbox;		/* seccomp filter on the signer (default yes) */

	/* [verify] (optional; without anchors the verify ops answer unavailable) */
	char *verify_anchors;		/* PEM/DER file or directory of trusted CA certificates */
	char *verify_untrusted;		/* intermediates offered to every path, or NULL */
	int verify_require_non_repudiation;
	int verify_check_iin_checksum;	/* the certificate's IIN/BIN check digit */
	int verify_allow_sha1;		/* SHA-1 CMS digests, for old archives */
	int verify_use_signing_time;	/* evaluate at the CMS signingTime, not now */
	char *verify_policies;		/* RFC 5280 user-initial-policy-set (OIDs), NULL: any */
	int verify_require_explicit_policy;
	int verify_inhibit_policy_mapping;
	int verify_inhibit_any_policy;
	unsigned verify_max_policy_nodes;	/* policy-tree nodes (default 1000) */
	unsigned verify_max_time_ms;	/* deadline of one verification, fetches included */
	unsigned verify_max_sig_checks;	/* certificate signatures one path search may check */
	unsigned verify_max_candidates;	/* issuer candidates it may try */
	unsigned verify_max_nc_checks;	/* name-constraint comparisons */
	unsigned verify_min_rsa_bits;	/* key floor, every certificate (default 2048) */
	unsigned verify_min_ec_bits;	/* (default 256) */
	/* The limits of one XML document (libsig/xml_limits.h). */
	unsigned verify_xml_max_depth;
	unsigned verify_xml_max_nodes;
	unsigned verify_xml_max_signatures;
	unsigned verify_xml_max_references;	/* per signature */
	unsigned verify_xml_max_transforms;	/* per reference */
	unsigned verify_xml_max_certs;	/* in one KeyInfo */
	unsigned verify_xml_max_attributes;	/* per element, xmlns included */

	/* [tls] (absent: no TCP listener, the default) */
	char *tls_listen;		/* "HOST:PORT", an IPv4 or [IPv6] literal, or NULL */
	char *tls_certificate;		/* the server's certificate (PEM, chain after it) */
	char *tls_private_key;		/* its key (PEM), no access for group or others */
	char *tls_client_ca;		/* the CAs that issue client certificates (PEM) */
	char *tls_crl;			/* CRLs of those CAs (PEM), or NULL */

	/* [metrics] (absent: no scrape endpoint, the default) */
	char *metrics_listen;		/* loopback "HOST:PORT", or NULL */
	char *metrics_socket;		/* a UNIX socket path, or NULL */
	unsigned metrics_socket_mode;	/* default 0660 */

	/* [tsa]: time-stamp authorities (RFC 3161) */
	char *tsa_anchors;		/* trust for time-stamp tokens, or NULL: [verify] anchors */
	char *tsa_url;			/* the TSA sign {"timestamp"} asks, or NULL: none */
	char *tsa_policy;		/* reqPolicy (dotted OID), or NULL: the TSA's */
	char *tsa_hash;			/* imprint hash name, or NULL: sha256 */
	unsigned tsa_connect_timeout_ms;	/* default 5000 */
	unsigned tsa_timeout_ms;	/* whole round trip, default 10000 */
	unsigned tsa_max_token_bytes;	/* the answer's cap, default 65536 */

	/* [key "NAME"] in file order */
	tb_key_conf *keys;
	size_t nkeys;

	/* [client "NAME"] in file order; none means every client is refused */
	tb_client_conf *clients;
	size_t nclients;

	/*
	 * [revocation] (absent: these defaults, so a certificate no [issuer]
	 * covers is REVOCATION_UNKNOWN; only required = no lets it through,
	 * and then answers say not_checked)
	 */
	int rev_required;		/* a certificate no [issuer] covers is unknown (default yes) */
	char *rev_cache_dir;		/* last good CRLs on disk, or NULL */
	int rev_ocsp_nonce;		/* default yes */
	int rev_ocsp_nonce_required;	/* default yes */
	unsigned rev_ocsp_max_age_s;	/* 0: no limit */
	unsigned rev_ocsp_ttl_s;	/* cache time without nextUpdate (default 300) */
	unsigned rev_ocsp_cache_entries;	/* default 10000 */
	unsigned rev_clock_skew_s;	/* default 300 */
	size_t rev_crl_max_bytes;	/* default 64 MiB */
	unsigned rev_connect_timeout_ms;	/* default 5000 */
	unsigned rev_timeout_ms;	/* whole transfer (default 30000) */
	int rev_soft_fail;		/* default of the issuers' soft_fail (no) */

	/* [issuer "NAME"] in file order */
	tb_issuer_conf *issuers;
	size_t nissuers;
} tb_config;

/*
 * Reads and validates the file at path. On failure err->detail says
 * "FILE:LINE: [section] key: what is wrong" (LINE when one is at fault),
 * and the code is TB_ERR_CONFIG (TB_ERR_PIN_FILE or TB_ERR_IO when those
 * files are at fault). The new object has one reference.
 */
int tb_config_load(const char *path, tb_config **out, tb_error *err);
/* As tb_config_load, from text in memory; name stands for the file in errors. */
int tb_config_parse(const char *name, const char *text, size_t len, tb_config **out,
    tb_error *err);

/* Takes another reference; returns cfg. */
tb_config *tb_config_ref(tb_config *cfg);
/* Drops a reference, freeing on the last; NULL is a no-op. */
void tb_config_unref(tb_config *cfg);

/* The [key] section named name, or NULL. */
const tb_key_conf *tb_config_key(const tb_config *cfg, const char *name);

/*
 * The first [client] whose user is uid, or whose group is gid or lists
 * uid's user as a member; NULL when none (the client is refused).
 */
const tb_client_conf *tb_config_client(const tb_config *cfg, unsigned uid, unsigned gid);
/*
 * The first [client] whose tls_subject and/or tls_cert_sha256 match a
 * verified client certificate's subject (RFC 2253 text) and SHA-256
 * fingerprint (32 bytes); NULL when none (the client gets nothing).
 */
const tb_client_conf *tb_config_client_tls(const tb_config *cfg, const char *subject,
    const unsigned char sha256[32]);
/*
 * Splits a [tls] listen value ("127.0.0.1:8443", "[::1]:8443") into its
 * address literal and port. Returns 0 or TB_ERR_CONFIG.
 */
int tb_config_tls_address(const char *listen, char *host, size_t host_len, unsigned *port);
/* The [client] section named name, or NULL. */
const tb_client_conf *tb_config_client_named(const tb_config *cfg, const char *name);
/* The TB_OP_* bit of an op name, or 0 for an op not in the table. */
unsigned tb_config_op_bit(const char *op);
/* Whether client may use the key named name. */
int tb_config_client_key_ok(const tb_client_conf *client, const char *name);

/*
 * Signatures that may be in progress at once, in the front's sign pool and
 * in the signer: [daemon] sign_workers, or by default 2 x max_sessions + 16
 * (at most 256).
 */
unsigned tb_config_sign_workers(const tb_config *cfg);

/* "sha256", "sha384" or "sha512" for md_nid, or NULL. */
const char *tb_config_digest_name(int md_nid);
/* The NID for one of those names, or 0. */
int tb_config_digest_nid(const char *name);

#endif
