/*
 * tanba-admin: commands for security officers: tokens, keys, certificate
 * requests, certificates, reload, audit trail. It never takes a PIN on the
 * command line, and never lets a private key leave its token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "tb_log.h"

static const struct {
	const char *group;	/* first word, or NULL for one-word commands */
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "token", "list", admin_cmd_token_list,
	  "token list                       slots, tokens, flags and free sessions" },
	{ "token", "init", admin_cmd_token_init,
	  "token init (--slot N | --free) --label L [--so-pin-file F] [--pin-file F]" },
	{ "key", "generate", admin_cmd_key_generate,
	  "key generate --token URI --label L --type rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384\n"
	  "                [--pin-file F]" },
	{ "key", "list", admin_cmd_key_list,
	  "key list [--token URI] [--pin-file F] [--config F] [--json]" },
	{ "key", "import", admin_cmd_key_import,
	  "key import --p12 FILE [--password-file F] --token URI --label L [--pin-file F]\n"
	  "                [--allow-expired] [--at TIME]   an NCA container's RSA/EC key" },
	{ "key", "destroy", admin_cmd_key_destroy,
	  "key destroy URI [--pin-file F] [--config F] [--yes]" },
	{ NULL, "csr", admin_cmd_csr,
	  "csr --key URI --cn TEXT [--surname T] [--given-name T] [--iin N] [--bin N]\n"
	  "                [--org T] [--country KZ] [--digest sha256] [--pin-file F] -o FILE" },
	{ "cert", "import", admin_cmd_cert_import,
	  "cert import --key URI [--pin-file F] FILE" },
	{ NULL, "reload", admin_cmd_reload,
	  "reload [--pid-file F | --pid N]  make tanbad re-read its config (SIGHUP)" },
	{ NULL, "audit-verify", admin_cmd_audit_verify,
	  "audit-verify [--key K] [--anchor A] FILE...\n"
	  "                                 check the audit trail: chain, checkpoints, anchor" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *opt_module;
static const char *opt_config;

const char *
admin_opt_module(void)
{
	return opt_module;
}

const char *
admin_opt_config(void)
{
	return opt_config;
}

void
admin_opt_set_module(const char *module)
{
	opt_module = module;
}

void
admin_opt_set_config(const char *config)
{
	opt_config = config;
}

char *
admin_module_choose(void)
{
	tb_config *c = NULL;
	char *m = NULL;

	if (opt_module != NULL)
		return strdup(opt_module);
	if (admin_conf_load_chosen(&c, NULL) == 0 && c != NULL)
		m = strdup(c->module);
	tb_config_unref(c);
	return m != NULL ? m : strdup(ADMIN_DEFAULT_MODULE);
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: tanba-admin [--module PATH|NAME] [--config FILE] COMMAND [ARGS]\n\n"
	    "  --module    PKCS#11 module: a .so path or a p11-kit module name\n"
	    "              (default: the [token] module of the config, else softhsm2)\n"
	    "  --config    tanbad's config (default %s)\n\n"
	    "PINs are read from files (mode 0600, --pin-file, --so-pin-file) or\n"
	    "typed at the terminal without echo; never from the command line.\n\n"
	    "commands:\n", ADMIN_DEFAULT_CONFIG);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].help);
}

int
main(int argc, char **argv)
{
	size_t i;
	int a = 1;

	/* The token layer's progress lines are for daemons; a tool shows warnings and errors. */
	tb_log_init("tanba-admin", 0, TB_LOG_WARN);

	while (a < argc && argv[a][0] == '-') {
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return ADMIN_EXIT_OK;
		}
		if (strcmp(argv[a], "--version") == 0) {
			printf("tanba-admin %s\n", PACKAGE_VERSION);
			return ADMIN_EXIT_OK;
		}
		if (a + 1 < argc && strcmp(argv[a], "--module") == 0)
			opt_module = argv[a + 1];
		else if (a + 1 < argc && strcmp(argv[a], "--config") == 0)
			opt_config = argv[a + 1];
		else {
			fprintf(stderr, "tanba-admin: unknown option '%s'\n", argv[a]);
			usage(stderr);
			return ADMIN_EXIT_ERROR;
		}
		a += 2;
	}
	if (a >= argc) {
		usage(stderr);
		return ADMIN_EXIT_ERROR;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (commands[i].group == NULL && strcmp(argv[a], commands[i].name) == 0)
			return commands[i].fn(argc - a, argv + a);
		if (commands[i].group != NULL && strcmp(argv[a], commands[i].group) == 0 &&
		    a + 1 < argc && strcmp(argv[a + 1], commands[i].name) == 0)
			return commands[i].fn(argc - a - 1, argv + a + 1);
	}
	fprintf(stderr, "tanba-admin: unknown command '%s%s%s'\n", argv[a],
	    a + 1 < argc && argv[a + 1][0] != '-' ? " " : "",
	    a + 1 < argc && argv[a + 1][0] != '-' ? argv[a + 1] : "");
	usage(stderr);
	return ADMIN_EXIT_ERROR;
}
