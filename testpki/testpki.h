/*
 * tanba-testpki: a throw-away PKI that issues NCA-profile certificates and
 * CRLs at test time. Shared declarations of its parts. It writes private
 * keys unencrypted and must never be used for anything but tests.
 */
#ifndef TB_TESTPKI_H
#define TB_TESTPKI_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert_read.h"
#include "testpki_gost.h"
#include "tb_err.h"

/* ---- key and signature algorithms (testpki_alg.c) ---- */

struct tp_alg;
/*
 * Signs the DER bytes tbs with key as alg says; *sig is a new buffer the
 * caller frees with OPENSSL_free. Every certificate and CRL is signed
 * through this one hook, so an algorithm OpenSSL cannot sign directly (the
 * Kazakh GOST OIDs with their reversed signature bytes) plugs in here.
 */
typedef int (*tp_sign_fn)(const struct tp_alg *alg, EVP_PKEY *key,
    const unsigned char *tbs, size_t tbs_len, unsigned char **sig,
    size_t *sig_len, tb_error *err);
/* Makes a new key pair of alg; a GOST row brings its own (engine or provider). */
typedef int (*tp_keygen_fn)(const struct tp_alg *alg, EVP_PKEY **out, tb_error *err);
/*
 * Puts key into x's SubjectPublicKeyInfo. OpenSSL writes the Russian OIDs
 * for a GOST key; the Kazakh rows write their own.
 */
typedef int (*tp_spki_fn)(const struct tp_alg *alg, X509 *x, EVP_PKEY *key, tb_error *err);

typedef struct tp_alg {
	const char *name;	/* command-line name: "rsa2048" */
	const char *keytype;	/* OpenSSL key type: "RSA", "EC" */
	size_t bits;		/* RSA modulus size, 0 for EC */
	const char *curve;	/* EC curve name, NULL for RSA */
	const char *sig_oid;	/* signatureAlgorithm OID, dotted */
	int sig_params_null;	/* 1: AlgorithmIdentifier parameters are NULL */
	const char *md;		/* digest name for EVP_DigestSign */
	const char *digest_oid;	/* CMS digestAlgorithm that goes with the signature */
	const char *gost;	/* libsig's GOST row ("gost2015-512"), NULL otherwise */
	/*
	 * Key usage of individual-sign for this key type, NULL: the profile's.
	 * An NCA 2015 GOST key is the person's only key, for signing and
	 * encryption alike.
	 */
	const char *sign_ku;
	tp_keygen_fn keygen;
	tp_sign_fn sign;
	tp_spki_fn spki;
} tp_alg;

const tp_alg *tp_alg_by_name(const char *name);
/* The table entry that signs with key (by key type and size). */
const tp_alg *tp_alg_for_key(EVP_PKEY *key);
/* Generates a new key of alg into *out. */
int tp_alg_keygen(const tp_alg *alg, EVP_PKEY **out, tb_error *err);
/* A new AlgorithmIdentifier of alg's signature; the caller frees it. */
X509_ALGOR *tp_alg_sigalg_new(const tp_alg *alg);
/* Names of all algorithms, "a|b|c", for usage text. */
const char *tp_alg_names(void);
/* Sets x's public key: through the key's row when it has one, else as OpenSSL does. */
int tp_alg_set_pubkey(X509 *x, EVP_PKEY *key, tb_error *err);
/* Dotted OID of a digest name for --digest-alg ("sha256", "streebog512"), or NULL. */
const char *tp_digest_oid(const char *name);
/* Names accepted by tp_digest_oid, "a|b", for usage text. */
const char *tp_digest_names(void);
/*
 * Makes GOST keys readable: loads libsig's GOST engine once. Returns 0
 * when it is there, TB_ERR_UNSUPPORTED otherwise. RSA and EC work never
 * need it, so it is called only when OpenSSL alone cannot read a file.
 */
int tp_gost_load(tb_error *err);

/* ---- DER writing (testpki_der.c) ---- */

/* A growable byte buffer; any failed append sets oom and later ones do nothing. */
typedef struct tp_der {
	unsigned char *p;
	size_t len, cap;
	int oom;
} tp_der;

void tp_der_init(tp_der *d);
void tp_der_release(tp_der *d);
void tp_der_put(tp_der *d, const void *data, size_t len);
/* Appends the tag and the DER length octets for a content of len bytes. */
void tp_der_put_hdr(tp_der *d, unsigned char tag, size_t len);
/* Replaces the buffer's content c by tag || len(c) || c. */
void tp_der_wrap(tp_der *d, unsigned char tag);
/*
 * Signs tbs with key and builds SEQUENCE { tbs, sigalg, BIT STRING sig }
 * (a Certificate or CertificateList) into out, a new buffer.
 */
int tp_der_signed(const tp_alg *alg, EVP_PKEY *key, const unsigned char *tbs,
    size_t tbs_len, tp_der *out, tb_error *err);
/* As tp_der_signed, with tail (e.g. an OCSP response's [0] certs) after the signature. */
int tp_der_signed_tail(const tp_alg *alg, EVP_PKEY *key, const unsigned char *tbs,
    size_t tbs_len, const unsigned char *tail, size_t tail_len, tp_der *out,
    tb_error *err);
/* Appends the DER of the OID given in dotted form. */
int tp_der_put_oid(tp_der *d, const char *dotted, tb_error *err);
/* Appends an AlgorithmIdentifier: the OID, with NULL parameters when null_params. */
int tp_der_put_algid(tp_der *d, const char *dotted, int null_params, tb_error *err);
/* Appends a GeneralizedTime (gen 1, as OCSP wants) or RFC 5280 Time (gen 0). */
int tp_der_put_time(tp_der *d, time_t t, int gen, tb_error *err);
/*
 * Appends SET OF the n elements in DER order (X.690 11.6: sorted by their
 * encodings), which CMS signed attributes are hashed in.
 */
void tp_der_put_set(tp_der *d, tp_der *elems, size_t n);

/* ---- IIN/BIN and certificates (testpki_cert.c) ---- */

/* Check digit of the 11 digits at d (DOMAIN.md), or -1 when none exists. */
int tp_iin_check_digit(const char *d);
/* 1 when s is 12 digits with a valid check digit. */
int tp_iin_valid(const char *s);
/*
 * Writes into out (13 bytes) a 12-digit number starting with prefix (up
 * to 11 digits) whose check digit is valid (want_valid 1) or fails.
 */
int tp_iin_make(const char *prefix, int want_valid, char *out);

enum tp_profile {
	TP_PROF_INDIVIDUAL_SIGN,
	TP_PROF_INDIVIDUAL_AUTH,
	TP_PROF_LEGAL_SIGN,
	TP_PROF_LEGAL_EMPLOYEE,
	TP_PROF_OCSP,
	TP_PROF_CA,		/* issuing CA: pathlen 0 */
	TP_PROF_ROOT,		/* self-signed root */
	TP_PROF_TSA,		/* RFC 3161 TSA: extendedKeyUsage timeStamping, critical */
};

int tp_profile_parse(const char *name, enum tp_profile *out);

/*
 * Departures from the profile, to test that verification refuses them
 * (docs/TESTPKI.md): each one bit of tp_cert_req.quirks.
 */
enum tp_quirk {
	TP_QUIRK_NO_SKI = 1 << 0,		/* "no-ski": no subjectKeyIdentifier */
	TP_QUIRK_NO_AKI = 1 << 1,		/* "no-aki": no authorityKeyIdentifier */
	TP_QUIRK_AKI_CRITICAL = 1 << 2,		/* "aki-critical" */
	TP_QUIRK_AKI_ISSUER_SERIAL = 1 << 3,	/* "aki-issuer-serial": issuer and serial besides keyid */
	TP_QUIRK_UNKNOWN_CRITICAL = 1 << 4,	/* "unknown-critical": a critical extension nobody knows */
	TP_QUIRK_NO_BC = 1 << 5,		/* "no-bc": no basicConstraints */
	TP_QUIRK_BC_NONCRITICAL = 1 << 6,	/* "bc-noncritical" */
	TP_QUIRK_EMPTY_SUBJECT = 1 << 7,	/* "empty-subject" */
	TP_QUIRK_AIA_CRITICAL = 1 << 8,		/* "aia-critical": a caIssuers AIA marked critical */
	TP_QUIRK_AIA_MALFORMED = 1 << 9,	/* "aia-malformed": an AIA that does not decode */
	TP_QUIRK_KU_CERTSIGN = 1 << 10,		/* "ku-certsign": keyCertSign added to keyUsage */
};

/* The bit of a quirk's name; 0 or TB_ERR_INVALID_ARG. */
int tp_quirk_parse(const char *name, unsigned *bit);
/* Names of all quirks, "a|b|c", for usage text. */
const char *tp_quirk_names(void);

/* What goes into one certificate. Strings are UTF-8; NULL leaves a field out. */
typedef struct tp_cert_req {
	enum tp_profile profile;
	const char *cn;
	const char *surname;
	const char *given;	/* patronymic, GN */
	const char *iin;	/* 12 digits, written as serialNumber=IIN... */
	const char *bin;	/* 12 digits, written as OU=BIN... */
	const char *org;
	EVP_PKEY *pubkey;
	time_t not_before, not_after;
	const char *role_oid;	/* overrides the profile's role OID */
	const char *ku;		/* overrides the profile's key usage (conf text) */
	const char *policies;	/* overrides the profile's certificatePolicies ("OID,OID") */
	const char *policy_mappings;	/* policyMappings ("ISSUER:SUBJECT,..."), or NULL */
	const char *ocsp_url, *crl_url, *delta_url;
	unsigned quirks;	/* enum tp_quirk bits */
	/* RFC 5280 4.2.1.13: the CRL distribution point names this cRLIssuer
	 * (an indirect CRL's issuer), or NULL. */
	const X509_NAME *crl_issuer;
} tp_cert_req;

/* The signing side: a CA certificate and its key (cert NULL: self-signed). */
typedef struct tp_issuer {
	X509 *cert;
	EVP_PKEY *key;
	const tp_alg *alg;
} tp_issuer;

/* Issues a certificate for req signed by issuer into *out. */
int tp_cert_issue(const tp_cert_req *req, const tp_issuer *issuer, X509 **out,
    tb_error *err);
/* Upper-case hex of the serial into a new string the caller frees. */
char *tp_cert_serial_hex(const X509 *cert);

/* ---- files (testpki_cert.c) ---- */

int tp_write_cert(const char *path, X509 *cert, tb_error *err);
/* Appends cert to an open PEM file. */
int tp_append_cert(const char *path, X509 *cert, tb_error *err);
/* Writes key as unencrypted PKCS#8 PEM, mode 0600. */
int tp_write_key(const char *path, EVP_PKEY *key, tb_error *err);
/* Certificates are read with tb_cert_read_file (cert_read.h). */
int tp_read_key(const char *path, EVP_PKEY **out, tb_error *err);
/*
 * Writes key, cert and chain (may be NULL) as a PKCS#12 container in the
 * NCA's layout, with password (testpki_p12.c).
 */
int tp_p12_write(const char *path, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain,
    const char *pass, tb_error *err);
/* Loads DIR/<name>.pem and DIR/<name>.key as an issuer. */
int tp_issuer_load(const char *dir, const char *name, tp_issuer *out, tb_error *err);
void tp_issuer_clear(tp_issuer *iss);

/* ---- the index (testpki_index.c): openssl ca/ocsp index.txt ---- */

enum {
	TP_REASON_NONE = -1,	/* revoked without a reasonCode */
	TP_REASON_REMOVE_FROM_CRL = 8,
	TP_REASON_CERTIFICATE_HOLD = 6,
};

typedef struct tp_index_entry {
	char status;		/* 'V' or 'R' */
	time_t expiry;
	time_t revoked;		/* when status is 'R' */
	int reason;		/* RFC 5280 CRLReason, or TP_REASON_NONE */
	char *serial;		/* upper-case hex */
	char *subject;		/* one-line subject, no tabs */
} tp_index_entry;

/* A hold released (RFC 5280 5.3.1 removeFromCRL), kept for delta CRLs. */
typedef struct tp_release {
	char *serial;
	time_t when;
} tp_release;

typedef struct tp_index {
	char *path;		/* index.txt */
	char *release_path;	/* released.txt beside it */
	tp_index_entry *e;
	size_t n, cap;
	tp_release *rel;
	size_t nrel, caprel;
} tp_index;

/* Loads path (missing file: empty index) into a new index. */
int tp_index_load(const char *path, tp_index **out, tb_error *err);
void tp_index_free(tp_index *ix);
/* Writes the index back atomically, with index.txt.attr beside it. */
int tp_index_save(const tp_index *ix, tb_error *err);
int tp_index_add(tp_index *ix, X509 *cert, tb_error *err);
tp_index_entry *tp_index_find(tp_index *ix, const char *serial_hex);
/* Revokes (or releases a hold when reason is removeFromCRL) at time t. */
int tp_index_revoke(tp_index *ix, const char *serial_hex, int reason, time_t t,
    tb_error *err);
int tp_reason_parse(const char *name, int *out);
const char *tp_reason_name(int reason);

/* ---- CRLs (testpki_crl.c) ---- */

typedef struct tp_crl_req {
	unsigned long number;
	time_t this_update, next_update;
	size_t random_n;	/* extra random serials for size tests */
	int delta;
	unsigned long base_number;
	time_t since;		/* delta: entries revoked or released at or after */
	int pem;
	const char *delta_url;	/* full CRL: Freshest CRL pointer, may be NULL */
	/* RFC 5280 5.2.5 issuingDistributionPoint, written when any is set. */
	const char *idp_uri;	/* distributionPoint fullName URI */
	int only_user, only_ca, only_attr, indirect;
	unsigned only_reasons;	/* ReasonFlags bits (bit n for named bit n); 0: all */
	/* Indirect CRLs (5.3.3): entries of another CA after a certificateIssuer. */
	const tp_index *other_ix;
	X509 *other_issuer;
	int no_number, number_critical;	/* profile faults: cRLNumber absent or critical */
} tp_crl_req;

int tp_crl_write(const tp_issuer *issuer, const tp_index *ix,
    const tp_crl_req *req, const char *out_path, tb_error *err);

/* ---- CMS SignedData (testpki_cms.c) ---- */

typedef struct tp_cms_signer {
	X509 *cert;
	EVP_PKEY *key;
	const tp_alg *alg;
	const char *digest_oid;	/* NULL: the row's; another one for mismatch tests */
} tp_cms_signer;

typedef struct tp_cms_req {
	const unsigned char *data;
	size_t len;
	int detached;		/* 1: eContent left out */
	int no_attrs;		/* 1: no signed attributes, signature over the content */
	time_t signing_time;
	const char *content_type;	/* eContentType and contentType attribute; NULL: id-data */
} tp_cms_req;

/*
 * RFC 3161: the TSTInfo answering the DER TimeStampReq query (its imprint,
 * policy or 1.2.398.3.3.2.6.1, nonce; a random serial; genTime now), as DER
 * in *out (OPENSSL_malloc'd), for tp_cms_make with content_type TSTInfo.
 */
int tp_tst_info_make(const unsigned char *query, size_t len, unsigned char **out,
    size_t *out_len, tb_error *err);

/* A DER ContentInfo of SignedData with one SignerInfo per signer, into out. */
int tp_cms_make(const tp_cms_signer *signers, size_t n, const tp_cms_req *req,
    tp_der *out, tb_error *err);

/* ---- OCSP responder (testpki_ocsp.c) ---- */

typedef struct tp_ocsp_opts {
	const char *dir;
	unsigned long port;		/* 0: any free port */
	const char *rsigner, *rkey;	/* default DIR/ocsp.pem, DIR/ocsp.key */
	const char *port_file;		/* where the bound port is written, may be NULL */
	unsigned long max_requests;	/* 0: no limit */
	unsigned long max_seconds;	/* lifetime bound */
	unsigned long valid_minutes;	/* nextUpdate - thisUpdate */
} tp_ocsp_opts;

/* Serves OCSP over HTTP/1.0 on 127.0.0.1 until a bound or SIGTERM. */
int tp_ocsp_serve(const tp_ocsp_opts *o, tb_error *err);

/* ---- the standard hierarchy (testpki_hierarchy.c) ---- */

typedef struct tp_hier_opts {
	const char *out;
	const tp_alg *ca_alg, *leaf_alg;
	const char *ocsp_url, *crl_url, *delta_url;
} tp_hier_opts;

int tp_hierarchy_make(const tp_hier_opts *o, tb_error *err);

/* DIR/testpki.cnf: the URLs and leaf algorithm later issue commands reuse. */
typedef struct tp_dir_conf {
	char ocsp_url[512], crl_url[512], delta_url[512], leaf_alg[32];
} tp_dir_conf;

int tp_dir_conf_write(const char *dir, const tp_dir_conf *c, tb_error *err);
/* Missing file: all fields empty. */
int tp_dir_conf_read(const char *dir, tp_dir_conf *c, tb_error *err);

/* The test person of every default certificate (UTF-8, Kazakh letters). */
#define TP_DEFAULT_SURNAME "ҚАСЫМОВ"
#define TP_DEFAULT_NAME "ӘЛИХАН"
#define TP_DEFAULT_PATRONYMIC "ҚАЙРАТҰЛЫ"
#define TP_DEFAULT_ORG "ТАҢБА СЫНАҚ ЖШС"
#define TP_IIN_PREFIX "90010130012"
#define TP_BIN_PREFIX "04084000123"

/* "DIR/name" into a new string (NULL on allocation failure). */
char *tp_path(const char *dir, const char *name);
/* Times in index format: YYMMDDHHMMSSZ before 2050, else YYYYMMDDHHMMSSZ. */
void tp_time_index(time_t t, char *buf, size_t len);
int tp_time_index_parse(const char *s, time_t *out);

#endif
