/*
 * Loading and initialising a PKCS#11 module through p11-kit, by path or by
 * p11-kit module name. A module loaded by path needs no p11-kit config. The
 * module is managed by p11-kit so that several loads share one
 * C_Initialize; this file must never call C_Finalize on a module it did
 * not initialise itself.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "p11_int.h"
#include "tb_log.h"

/* Resolves a p11-kit module name ("softhsm2") to its file path. */
static int
module_path_for_name(const char *name, char **path_out, tb_error *err);

int
tb_p11_module_path(const char *path_or_name, char **path_out, tb_error *err)
{
	char *path;

	if (strchr(path_or_name, '/') == NULL)
		return module_path_for_name(path_or_name, path_out, err);
	if ((path = strdup(path_or_name)) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "module %s", path_or_name);
	*path_out = path;
	return 0;
}

static int
module_path_for_name(const char *name, char **path_out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	CK_FUNCTION_LIST **list = NULL;
	CK_FUNCTION_LIST *m;
	char *path = NULL;

	list = p11_kit_modules_load(NULL, 0);
	if (list == NULL) {
		r = tb_error_set(err, TB_ERR_MODULE, "p11-kit: %s",
		    p11_kit_message() ? p11_kit_message() : "no modules configured");
		goto out;
	}
	if ((m = p11_kit_module_for_name(list, name)) == NULL) {
		r = tb_error_set(err, TB_ERR_MODULE,
		    "no p11-kit module named '%s' is configured", name);
		goto out;
	}
	if ((path = p11_kit_module_get_filename(m)) == NULL) {
		r = tb_error_set(err, TB_ERR_MODULE, "p11-kit module '%s' has no file", name);
		goto out;
	}
	*path_out = path;
	path = NULL;
	r = 0;
out:
	free(path);
	if (list != NULL)
		p11_kit_modules_release(list);
	return r;
}

int
tb_p11_module_load(const char *path_or_name, tb_p11_module **out, tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_p11_module *mod = NULL;
	char *path = NULL;
	CK_C_INITIALIZE_ARGS args;
	tb_error e;
	int initialised = 0;

	if (path_or_name == NULL || *path_or_name == '\0') {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "no module named");
		goto out;
	}
	if ((mod = calloc(1, sizeof(*mod))) == NULL ||
	    (mod->name = strdup(path_or_name)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "module %s", path_or_name);
		goto out;
	}
	if ((r = tb_p11_module_path(path_or_name, &path, err)) != 0)
		goto out;

	mod->funcs = p11_kit_module_load(path, 0);
	if (mod->funcs == NULL) {
		r = tb_error_set(err, TB_ERR_MODULE, "%s: %s", path,
		    p11_kit_message() ? p11_kit_message() : "cannot load");
		goto out;
	}
	/*
	 * The daemon signs from several threads: the module must lock with
	 * the OS primitives. p11-kit's managed wrapper passes the same flag.
	 */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	if (TB_P11_CALL(&e, mod->funcs, C_Initialize, &args) != 0) {
		r = tb_error_set(err, TB_ERR_MODULE, "%s: %s", path, e.detail);
		goto out;
	}
	initialised = 1;
	tb_debug_f("module %s loaded from %s", path_or_name, path);
	*out = mod;
	mod = NULL;
	r = 0;
out:
	if (mod != NULL) {
		if (initialised)
			(void)TB_P11_CALL(NULL, mod->funcs, C_Finalize, NULL);
		if (mod->funcs != NULL)
			p11_kit_module_release(mod->funcs);
		free(mod->name);
		free(mod);
	}
	free(path);
	return r;
}

void
tb_p11_module_free(tb_p11_module *mod)
{
	if (mod == NULL)
		return;
	(void)TB_P11_CALL(NULL, mod->funcs, C_Finalize, NULL);
	p11_kit_module_release(mod->funcs);
	free(mod->name);
	free(mod);
}
