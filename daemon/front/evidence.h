/*
 * "evidence": "embed" on sign and timestamp: the OCSP responses and CRLs the
 * daemon's revocation checker judges each signer's path by (and each
 * time-stamp token's TSA path) are put into the CMS's SignedData.crls
 * (libsig/cms_evidence.h), so that the signature can later be checked
 * without the network. Runs in the front, after the CMS is assembled and
 * stamped; the signer process is not involved.
 */
#ifndef TB_DAEMON_EVIDENCE_H
#define TB_DAEMON_EVIDENCE_H

#include <stddef.h>

#include <jansson.h>

#include "tb_err.h"

struct tb_daemon;

/* The request's "evidence": absent (0) or "embed" (1); TB_ERR_INVALID_ARG else. */
int tb_evidence_want_read(json_t *req, int *embed, tb_error *err);

/* Bytes embedding may add to a CMS (the answer's size bound counts them). */
size_t tb_evidence_bound(struct tb_daemon *d);

/*
 * Checks every signer's certificate path (and every time-stamp token's TSA
 * path) now through the daemon's checker and embeds what it was judged by
 * into *der (replaced on success); result gets "evidence":{"ocsp":N,"crls":M}.
 * Fails closed, TB_ERR_REVOCATION_UNKNOWN naming the certificate, when a
 * certificate is not GOOD or its status came from nothing that can be
 * embedded (no OCSP response kept, a CRL over TB_REV_EMBED_MAX_BYTES):
 * a CMS is never answered as carrying evidence it lacks. Every path
 * together is checked within one [verify] max_time_ms (TB_ERR_TIMEOUT once
 * spent); the counted limits bound each path.
 */
int tb_evidence_embed(struct tb_daemon *d, unsigned char **der, size_t *der_len,
    json_t *result, tb_error *err);

#endif
