/*
 * tanbad's config as tanba-admin uses it: read by tanbad's own parser
 * (daemon/shared/conf.c), so the tool and the daemon agree on every key and URI;
 * and which [key] names a key on the token, matched by the token layer's
 * URI rule, so a key in use is shown as such and is never destroyed.
 */
#include "config.h"

#include <unistd.h>

#include "admin.h"

int
admin_conf_load_chosen(tb_config **out, tb_error *err)
{
	const char *path = admin_opt_config();

	*out = NULL;
	if (path != NULL)
		return tb_config_load(path, out, err);
	if (access(ADMIN_DEFAULT_CONFIG, F_OK) != 0)
		return 0;
	return tb_config_load(ADMIN_DEFAULT_CONFIG, out, err);
}

const char *
admin_conf_key_for(const tb_config *c, tb_p11_manage *m, tb_p11_object o)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nkeys; i++)
		if (c->keys[i].uri != NULL && tb_p11_manage_uri_names(m, c->keys[i].uri, o))
			return c->keys[i].name;
	return NULL;
}
