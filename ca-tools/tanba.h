/*
 * Shared parts of the tanba client: the socket call, and the commands each
 * living in their own file.
 */
#ifndef TANBA_H
#define TANBA_H

#include <jansson.h>

#include "tb_err.h"

#define TANBA_DEFAULT_SOCKET "/run/tanba/tanbad.sock"

/* Exit statuses of tanba. */
#define TANBA_EXIT_OK 0
#define TANBA_EXIT_VERDICT 1	/* a verdict other than VALID */
#define TANBA_EXIT_ERROR 2	/* usage, input or service error */

/*
 * Sends request (which must carry "op"; an "id" is added) to the daemon at
 * socket_path and waits for its answer; *response is a new reference.
 */
int tanba_client_call(const char *socket_path, json_t *request, json_t **response,
    tb_error *err);

/* Prints "tanba: " and the formatted message as one line on stderr. */
void tanba_die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The largest document the daemon takes (TANBA_MAX_FRAME_BYTES), in bytes. */
long tanba_data_limit(void);
/* All of path ("-": stdin) in a new buffer; *toobig: the size seen past limit. */
int tanba_read_input(const char *path, long limit, unsigned char **out, size_t *outlen,
    size_t *toobig, tb_error *err);
char *tanba_b64_encode(const unsigned char *buf, size_t len);
int tanba_b64_decode(const char *s, unsigned char **out, size_t *outlen);
/* DER (or PEM with pem) to path ("-" or NULL: stdout). */
int tanba_write_output(const char *path, const unsigned char *der, size_t len, int pem,
    tb_error *err);
/* Prints the one line for an error answer; returns the exit status. */
int tanba_report_error_answer(const char *socket_path, json_t *resp, const char *key,
    size_t inlen);

/*
 * tanba sign with several files: one request, FILE.p7s (or DIR/NAME.p7s)
 * for each file signed; exit 0 only when every file was signed.
 */
int tanba_sign_batch(const char *socket_path, const char *key, const char *digest_alg,
    int detached, int by_digest, int pem, const char *out_dir, char **files, size_t n);

/*
 * tanba sign --format xml|wsse (tanba_sign_xml.c): input ("-" or NULL:
 * stdin) signed by the daemon as format says, with reference ("#ID", or
 * NULL: the whole document) for xml, ttl seconds (0: the daemon's) for
 * wsse; the signed document to outpath (NULL: stdout).
 */
int tanba_sign_xml(const char *socket_path, const char *key, const char *format,
    const char *reference, const char *digest_alg, long ttl, const char *input,
    const char *outpath);
/* Commands: argv[0] is the command name; they return an exit status. */
int tanba_cmd_verify(const char *socket_path, int argc, char **argv);
int tanba_cmd_check_cert(const char *socket_path, int argc, char **argv);
/*
 * tanba timestamp: CAdES-T tokens added to a CMS (ca-tools/tanba_timestamp.c),
 * from the TSA named by --tsa-url or, without it, by the daemon's timestamp op.
 */
int tanba_cmd_timestamp(const char *socket_path, int argc, char **argv);
/* Standard base64 of buf; a new string (free), NULL when out of memory. */
char *tanba_b64_encode(const unsigned char *buf, size_t len);
/* Decodes standard base64 into a new buffer (free); -1 when it is not base64. */
int tanba_b64_decode(const char *s, unsigned char **out, size_t *outlen);
/* Reads a DER or PEM CMS (tanba_timestamp.c); *der is the caller's (free). */
int tanba_read_cms(const char *path, unsigned char **der, size_t *len, tb_error *err);
/*
 * tanba sign on an existing CMS (tanba_cosign.c): the request that co-signs
 * cms_path (content_path or digest: a detached CMS's document or its
 * digest) or, when countersign >= 0, counter-signs that signer of it.
 * NULL with err set when a file cannot be read.
 */
json_t *tanba_cosign_request(const char *key, const char *cms_path, const char *content_path,
    const char *digest, const char *digest_alg, long countersign, tb_error *err);

#endif
