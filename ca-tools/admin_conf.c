/*
 * Reads tanbad's config for what tanba-admin must know: the module and the
 * keys each [key "NAME"] section names, so that a key in use is shown as
 * such and is never destroyed. It validates nothing else: tanbad does.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "admin.h"

struct conf_parse {
	admin_conf *c;
	int nomem;
};

/* The NAME of a section header `key "NAME"`, or NULL. */
static char *
key_section_name(const char *section)
{
	size_t len;

	if (strncmp(section, "key", 3) != 0)
		return NULL;
	section += 3;
	while (*section == ' ' || *section == '\t')
		section++;
	len = strlen(section);
	if (len < 2 || section[0] != '"' || section[len - 1] != '"')
		return NULL;
	return strndup(section + 1, len - 2);
}

static int
conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *cp = user;
	admin_conf *c = cp->c;
	admin_conf_key *k;
	char *kname;

	if (strcmp(section, "token") == 0 && strcmp(name, "module") == 0) {
		free(c->module);
		if ((c->module = strdup(value)) == NULL)
			cp->nomem = 1;
		return 1;
	}
	if (strcmp(name, "uri") != 0 || (kname = key_section_name(section)) == NULL)
		return 1;
	if ((k = realloc(c->keys, (c->nkeys + 1) * sizeof(*k))) == NULL) {
		free(kname);
		cp->nomem = 1;
		return 1;
	}
	c->keys = k;
	k[c->nkeys].name = kname;
	if ((k[c->nkeys].uri = strdup(value)) == NULL) {
		free(kname);
		cp->nomem = 1;
		return 1;
	}
	c->nkeys++;
	return 1;
}

int
admin_conf_load(const char *path, admin_conf **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL, ir;
	admin_conf *c = NULL;
	struct conf_parse cp;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->path = strdup(path)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "config");
		goto out;
	}
	cp.c = c;
	cp.nomem = 0;
	if ((ir = ini_parse(path, conf_handler, &cp)) < 0) {
		r = tb_error_set(err, TB_ERR_IO, "config %s: %s", path,
		    ir == -1 ? strerror(errno) : "out of memory");
		goto out;
	}
	if (ir > 0) {
		r = tb_error_set(err, TB_ERR_CONFIG, "config %s: line %d is not valid INI", path, ir);
		goto out;
	}
	if (cp.nomem) {
		r = tb_error_set(err, TB_ERR_NOMEM, "config %s", path);
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	admin_conf_free(c);
	return r;
}

void
admin_conf_free(admin_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		free(c->keys[i].uri);
	}
	free(c->keys);
	free(c->module);
	free(c->path);
	free(c);
}

int
admin_conf_load_chosen(admin_conf **out, tb_error *err)
{
	const char *path = admin_opt_config();

	*out = NULL;
	if (path != NULL)
		return admin_conf_load(path, out, err);
	if (access(ADMIN_DEFAULT_CONFIG, F_OK) != 0)
		return 0;
	return admin_conf_load(ADMIN_DEFAULT_CONFIG, out, err);
}

const char *
admin_conf_key_for(const admin_conf *c, const CK_TOKEN_INFO *ti,
    const unsigned char *id, size_t id_len, const char *label)
{
	P11KitUri *uri;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE attrs[3];
	const char *found = NULL;
	size_t i;

	if (c == NULL)
		return NULL;
	attrs[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	attrs[1] = (CK_ATTRIBUTE){ CKA_ID, (void *)id, id_len };
	attrs[2] = (CK_ATTRIBUTE){ CKA_LABEL, (void *)label, strlen(label) };
	for (i = 0; i < c->nkeys && found == NULL; i++) {
		if ((uri = p11_kit_uri_new()) == NULL)
			break;
		/* A URI naming neither id nor object selects no key of ours. */
		if (p11_kit_uri_parse(c->keys[i].uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, uri) ==
		    P11_KIT_URI_OK &&
		    (p11_kit_uri_get_attribute(uri, CKA_ID) != NULL ||
		     p11_kit_uri_get_attribute(uri, CKA_LABEL) != NULL) &&
		    p11_kit_uri_match_token_info(uri, ti) &&
		    p11_kit_uri_match_attributes(uri, attrs, 3))
			found = c->keys[i].name;
		p11_kit_uri_free(uri);
	}
	return found;
}
