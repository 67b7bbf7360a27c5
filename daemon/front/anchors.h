/*
 * The trust of one configuration: the [verify] anchors and untrusted
 * intermediates, loaded when the configuration is loaded (at start and at
 * each reload, before anything is swapped), so a broken anchors file
 * refuses the reload and the running trust keeps serving. Immutable and
 * reference-counted like tb_config; requests hold their own reference.
 */
#ifndef TB_ANCHORS_H
#define TB_ANCHORS_H

#include "conf.h"
#include "tb_err.h"
#include "verify.h"

typedef struct tb_anchors tb_anchors;

/*
 * Loads cfg's [verify] anchors and untrusted files. Without anchors in cfg
 * the object holds no trust (the verify ops answer unavailable). A file
 * that cannot be read, or anchors with no certificate, is TB_ERR_CONFIG
 * naming the file. The new object has one reference.
 */
int tb_anchors_new(const tb_config *cfg, tb_anchors **out, tb_error *err);
tb_anchors *tb_anchors_ref(tb_anchors *a);
/* NULL is a no-op. */
void tb_anchors_unref(tb_anchors *a);
/* The trust to verify with (owned by a), or NULL when none is configured. */
tb_trust *tb_anchors_trust(const tb_anchors *a);
/* The [tsa] anchors for time-stamp tokens; NULL when not configured. */
tb_trust *tb_anchors_tsa_trust(const tb_anchors *a);

#endif
