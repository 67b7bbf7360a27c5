/*
 * The records between the front and the signer process: fixed-layout
 * binary requests and answers on a SOCK_SEQPACKET socketpair, one record
 * per packet, every field at a fixed offset. Both sides encode and decode
 * here, and the decoder checks every field completely (magic, type, sizes,
 * strings NUL-terminated and printable) before anyone reads it. No JSON,
 * no CMS, no pointer arithmetic on received bytes outside this file.
 */
#ifndef TB_SIGNCHAN_H
#define TB_SIGNCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#include "signer.h"
#include "tb_err.h"

/* Request types (front -> signer). */
enum {
	TB_SC_SIGN = 1,		/* build the signed attributes over digest, sign them; audit it */
	TB_SC_AUDIT = 2,	/* write one audit record (refusals seen by the front) */
	TB_SC_DESCRIBE = 3,	/* key number index: name, type, digest, cert, chain */
	TB_SC_STATUS = 4,	/* token health and the audit trail's state */
	TB_SC_RELOAD = 5,	/* re-read the configuration and reopen the tokens */
	TB_SC_CONNECT = 6,	/* a client's connection (SCM_RIGHTS): the signer reads its peer */
	TB_SC_DISCONNECT = 7,	/* the client of conn has gone */
	/*
	 * SIGN for several digests with one key (tb_sc_batch_encode): one
	 * record out; the items' answers come back together in as few records
	 * as hold them (tb_sc_batch_ans_add), all with the request's id.
	 */
	TB_SC_SIGN_BATCH = 8,
	TB_SC_READY = 16	/* answer only: sent once after start (id 0) */
};

#define TB_SC_NAME_MAX 64	/* client and key names, NUL included */
#define TB_SC_OP_MAX 16
#define TB_SC_DOC_MAX 144	/* "streebog512:" + 128 hex + NUL, rounded up */
#define TB_SC_DETAIL_MAX 384	/* = sizeof(tb_error.detail) */
#define TB_SC_SUBJECT_MAX 512	/* a TLS client's certificate subject, NUL included */
#define TB_SC_URI_MAX 128	/* an XML reference URI, "#" + an NCName, NUL included */
#define TB_SC_ID_MAX 64	/* a wsu:Id the signer gives its Timestamp, NUL included */
#define TB_SC_REQ_SIZE 1580
#define TB_SC_ANS_HEAD 408
#define TB_SC_PAYLOAD_MAX 65536
#define TB_SC_ANS_MAX (TB_SC_ANS_HEAD + TB_SC_PAYLOAD_MAX)
#define TB_SC_TOKENS_MAX 16
#define TB_SC_BATCH_MAX 256	/* items in one SIGN_BATCH record */
#define TB_SC_BATCH_ITEM (4 + 4 + EVP_MAX_MD_SIZE)
#define TB_SC_BATCH_REQ_MAX (TB_SC_REQ_SIZE + 8 + TB_SC_BATCH_MAX * TB_SC_BATCH_ITEM)

enum tb_sc_form {
	TB_SC_FORM_CMS = 0,
	TB_SC_FORM_COUNTER = 1,
	TB_SC_FORM_XML = 2,
	TB_SC_FORM_WSSE = 3,
};

typedef struct tb_sc_req {
	uint32_t type;
	uint64_t id;
	uint32_t uid, gid;
	int32_t pid;
	int32_t md_nid;			/* SIGN: the digest's algorithm */
	int32_t result;			/* AUDIT: 0 or the tb_err code of the outcome */
	uint32_t index;			/* DESCRIBE: key number */
	uint32_t digest_len;
	/* SIGN: the document's digest (md_nid), which becomes messageDigest */
	unsigned char digest[EVP_MAX_MD_SIZE];
	char client[TB_SC_NAME_MAX];	/* the [client] section the front matched */
	char key[TB_SC_NAME_MAX];
	char op[TB_SC_OP_MAX];		/* AUDIT: the op recorded ("sign", "forbidden") */
	char doc[TB_SC_DOC_MAX];	/* AUDIT: "sha256:<hex>" of the document, or "" */
	char detail[TB_SC_DETAIL_MAX];	/* free text for the record, no secrets */
	unsigned char cert_sha256[32];	/* SIGN: the certificate the front puts in the CMS */
	/* SIGN from a TLS client: its certificate, which the signer maps itself */
	uint32_t tls;
	unsigned char tls_sha256[32];
	char tls_subject[TB_SC_SUBJECT_MAX];
	/*
	 * SIGN: 1 when the CMS will not carry the content. The front's word:
	 * the attributes are the same either way; only the record says it.
	 */
	uint32_t detached;
	/*
	 * SIGN, CONNECT, DISCONNECT: the front's number for a UNIX-socket
	 * client's connection, which the signer saw once (CONNECT with the
	 * descriptor); 0 for a TLS client.
	 */
	uint64_t conn;
	/*
	 * SIGN: what the signer builds around digest and signs. CMS: signed
	 * attributes. COUNTER: digest is the hash of another signer's
	 * signature value (RFC 5652 11.4): counter-signature attributes (no
	 * contentType), recorded as a counter-signature. XML: digest is an
	 * XML reference digest: a ds:SignedInfo (libsig/xml_signed_info.h),
	 * recorded as "xml". WSSE: digest is a SOAP Body's reference digest
	 * (URI uri); the signer makes a wsu:Timestamp (Id ts_id, Created its
	 * clock, Expires ttl seconds later), digests it and builds a
	 * ds:SignedInfo over both (xml_signed_info.h), recorded as "wsse"
	 * with the Timestamp's digest.
	 */
	uint32_t form;
	/*
	 * SIGN, form XML: the reference's URI, "" (the whole document) or
	 * "#" and an NCName (the element with that ID); form WSSE: the Body's.
	 * The front's word, checked by the signer before it goes into the
	 * SignedInfo it signs (tb_xml_ref_uri_ok); empty for other forms.
	 */
	char uri[TB_SC_URI_MAX];
	/* SIGN, form WSSE: the Timestamp's wsu:Id (an NCName) and life in seconds. */
	char ts_id[TB_SC_ID_MAX];
	uint32_t ttl;
} tb_sc_req;

typedef struct tb_sc_ans {
	uint32_t type;
	uint64_t id;
	int32_t status;			/* 0 or a tb_err code */
	char detail[TB_SC_DETAIL_MAX];	/* why, when status is not 0 */
	uint32_t payload_len;
	unsigned char payload[TB_SC_PAYLOAD_MAX];	/* SIGN: the signature value */
} tb_sc_ans;

/* DESCRIBE answer payload, decoded. Pointers point into the answer. */
typedef struct tb_sc_keyinfo {
	uint32_t count;			/* keys in the signer's configuration */
	int32_t key_type;		/* EVP_PKEY_RSA, EVP_PKEY_EC, or 0 */
	int32_t md_nid;			/* the key's default digest */
	char name[TB_SC_NAME_MAX];
	const unsigned char *cert;	/* DER, or NULL */
	size_t cert_len;
	const unsigned char *chain;	/* DER certificates one after another, or NULL */
	size_t chain_len;
} tb_sc_keyinfo;

/* SIGN answer payload: what the signer built and signed. Pointers into the answer. */
typedef struct tb_sc_signed {
	int64_t signing_time;		/* the signer's clock, as in signingTime */
	const unsigned char *attrs;	/* DER SET OF the signed attributes */
	size_t attrs_len;
	const unsigned char *sig;	/* the signature value over attrs */
	size_t sig_len;
} tb_sc_signed;

/* STATUS answer payload. */
typedef struct tb_sc_token {
	char label[33];
	int32_t healthy;
	uint32_t sessions_max, sessions_open, sessions_busy;
	uint64_t signatures, failures, reconnects;
} tb_sc_token;

typedef struct tb_sc_status {
	int32_t pid;
	uint64_t audit_records;		/* written by this signer process */
	int32_t audit_failed;
	char audit_error[TB_SC_DETAIL_MAX];
	uint32_t ntokens;
	tb_sc_token tokens[TB_SC_TOKENS_MAX];
} tb_sc_status;

/* One digest of a SIGN_BATCH: what SIGN carries in md_nid, digest_len, digest. */
typedef struct tb_sc_item {
	int32_t md_nid;
	uint32_t digest_len;
	unsigned char digest[EVP_MAX_MD_SIZE];
} tb_sc_item;

/* One item's outcome in a SIGN_BATCH answer. Pointers point into the answer. */
typedef struct tb_sc_item_ans {
	uint32_t index;			/* the item's place in the request */
	int32_t status;			/* 0 or a tb_err code */
	const char *detail;		/* why, when status is not 0 ("" otherwise) */
	size_t detail_len;
	int64_t signing_time;
	const unsigned char *attrs;
	size_t attrs_len;
	const unsigned char *sig;
	size_t sig_len;
} tb_sc_item_ans;

/* Encodes req into buf (TB_SC_REQ_SIZE bytes). */
void tb_sc_req_encode(const tb_sc_req *req, unsigned char buf[TB_SC_REQ_SIZE]);
/* Decodes and checks a received request; TB_ERR_MALFORMED says which field. */
int tb_sc_req_decode(const unsigned char *buf, size_t len, tb_sc_req *req, tb_error *err);

/* Encodes ans into buf (at least TB_SC_ANS_MAX); returns the record's length. */
size_t tb_sc_ans_encode(const tb_sc_ans *ans, unsigned char *buf);
int tb_sc_ans_decode(const unsigned char *buf, size_t len, tb_sc_ans *ans, tb_error *err);

/* DESCRIBE payloads: false (TB_ERR_TOO_LARGE) when the DER does not fit. */
int tb_sc_keyinfo_encode(const tb_sc_keyinfo *ki, tb_sc_ans *ans, tb_error *err);
int tb_sc_keyinfo_decode(const tb_sc_ans *ans, tb_sc_keyinfo *ki, tb_error *err);
/* SIGN payloads: false (TB_ERR_TOO_LARGE) when they do not fit. */
int tb_sc_signed_encode(const tb_sc_signed *sd, tb_sc_ans *ans, tb_error *err);
int tb_sc_signed_decode(const tb_sc_ans *ans, tb_sc_signed *sd, tb_error *err);
/* STATUS payloads. */
void tb_sc_status_encode(const tb_sc_status *st, tb_sc_ans *ans);
int tb_sc_status_decode(const tb_sc_ans *ans, tb_sc_status *st, tb_error *err);

/*
 * SIGN_BATCH: head (type TB_SC_SIGN_BATCH; its md_nid and digest unused)
 * and n items (1..TB_SC_BATCH_MAX) into buf (TB_SC_BATCH_REQ_MAX bytes);
 * returns the record's length, 0 when n is out of range.
 */
size_t tb_sc_batch_encode(const tb_sc_req *head, const tb_sc_item *items, uint32_t n,
    unsigned char *buf);
/* Decodes a SIGN_BATCH record; items has room for TB_SC_BATCH_MAX. */
int tb_sc_batch_decode(const unsigned char *buf, size_t len, tb_sc_req *head,
    tb_sc_item *items, uint32_t *n, tb_error *err);
/* Answer payloads of SIGN_BATCH: a count, then the items in the order added. */
void tb_sc_batch_ans_start(tb_sc_ans *ans);
/* Adds one item; TB_ERR_TOO_LARGE when the record is full (send it, start another). */
int tb_sc_batch_ans_add(tb_sc_ans *ans, const tb_sc_item_ans *it, tb_error *err);
/* The items an answer record says it holds (0 when it is not a batch payload). */
uint32_t tb_sc_batch_ans_count(const tb_sc_ans *ans);
/* Decodes every item of one answer record into out (room items). */
int tb_sc_batch_ans_items(const tb_sc_ans *ans, tb_sc_item_ans *out, uint32_t room,
    uint32_t *n, tb_error *err);

/* Copies s into a fixed field of room bytes (cut, NUL-terminated, control characters as '?'). */
void tb_sc_strset(char *dst, size_t room, const char *s);

/* Room for several of the largest records in both sockets' buffers (a new channel). */
void tb_sc_buffers(int sv[2]);

/* Sends one record (retrying EINTR); TB_ERR_IO when the peer is gone. */
int tb_sc_send(int fd, const unsigned char *buf, size_t len, tb_error *err);
/* The same with pass_fd attached (SCM_RIGHTS): a client's connection, for CONNECT. */
int tb_sc_send_fd(int fd, const unsigned char *buf, size_t len, int pass_fd, tb_error *err);
/*
 * Receives one record of at most room bytes (retrying EINTR), and the one
 * descriptor it may carry into *got_fd (-1 without; any further ones are
 * closed). Returns the length, 0 at EOF, -1 on error (errno).
 */
ssize_t tb_sc_recv(int fd, unsigned char *buf, size_t room, int *got_fd);

#endif
