/*
 * The [verify] trust of one configuration, built with it and swapped with
 * it (anchors.h). Loading happens before a reload swaps anything; this
 * file never keeps trust across configurations.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "anchors.h"
#include "tb_log.h"

struct tb_anchors {
	atomic_int refs;
	tb_trust *trust;		/* NULL: no [verify] anchors */
	tb_trust *tsa_trust;		/* NULL: no [tsa] anchors */
};

int
tb_anchors_new(const tb_config *cfg, tb_anchors **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_anchors *a = NULL;
	tb_error e;

	tb_error_clear(&e);
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "trust anchors");
		goto out;
	}
	atomic_init(&a->refs, 1);
	if (cfg->verify_anchors != NULL) {
		if ((a->trust = tb_trust_new()) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "trust anchors");
			goto out;
		}
		if (tb_trust_load_anchors(a->trust, cfg->verify_anchors, &e) != 0 ||
		    (cfg->verify_untrusted != NULL &&
		    tb_trust_load_untrusted(a->trust, cfg->verify_untrusted, &e) != 0)) {
			r = tb_error_set(err, TB_ERR_CONFIG, "%s: [verify]: %s", cfg->path,
			    e.detail);
			goto out;
		}
		if (tb_trust_anchor_count(a->trust) == 0) {
			r = tb_error_set(err, TB_ERR_CONFIG, "%s: [verify] anchors %s: no certificate",
			    cfg->path, cfg->verify_anchors);
			goto out;
		}
		tb_info_f("[verify]: %zu trust anchors loaded", tb_trust_anchor_count(a->trust));
	}
	if (cfg->tsa_anchors != NULL) {
		if ((a->tsa_trust = tb_trust_new()) == NULL) {
			r = tb_error_set(err, TB_ERR_NOMEM, "trust anchors");
			goto out;
		}
		if (tb_trust_load_anchors(a->tsa_trust, cfg->tsa_anchors, &e) != 0 ||
		    tb_trust_anchor_count(a->tsa_trust) == 0) {
			r = tb_error_set(err, TB_ERR_CONFIG, "%s: [tsa] anchors %s: %s", cfg->path,
			    cfg->tsa_anchors, e.detail[0] ? e.detail : "no certificate");
			goto out;
		}
		tb_info_f("[tsa]: %zu trust anchors loaded", tb_trust_anchor_count(a->tsa_trust));
	}
	*out = a;
	a = NULL;
	r = 0;
out:
	tb_anchors_unref(a);
	return r;
}

tb_anchors *
tb_anchors_ref(tb_anchors *a)
{
	atomic_fetch_add(&a->refs, 1);
	return a;
}

void
tb_anchors_unref(tb_anchors *a)
{
	if (a == NULL || atomic_fetch_sub(&a->refs, 1) != 1)
		return;
	tb_trust_free(a->trust);
	tb_trust_free(a->tsa_trust);
	free(a);
}

tb_trust *
tb_anchors_trust(const tb_anchors *a)
{
	return a->trust;
}

tb_trust *
tb_anchors_tsa_trust(const tb_anchors *a)
{
	return a->tsa_trust;
}
