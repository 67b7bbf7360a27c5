/*
 * tanba-admin token list / token init: what the module offers, and the
 * setup of a token (SoftHSM2 and test tokens). PINs come from files or the
 * terminal, never argv; a token that holds keys is only wiped on request.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin.h"

static void
print_sessions(const tb_p11_slot *s)
{
	long max = s->sessions_max, cur = s->sessions_open;

	printf("  sessions: ");
	if (max == -2)
		printf("unlimited");
	else if (max < 0)
		printf("maximum unknown");
	else if (cur < 0)
		printf("at most %ld", max);
	else
		printf("%ld free of %ld", max > cur ? max - cur : 0, max);
	if (cur >= 0)
		printf(", %ld open", cur);
	else
		printf(" (open count not reported)");
	printf("\n");
}

int
admin_cmd_token_list(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c;
	tb_p11_manage *p = NULL;
	char *module = NULL;
	tb_p11_slot *slots = NULL, *s;
	size_t n = 0, i;
	tb_error err;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			admin_opt_set_module(optarg);
			break;
		case 'h':
			printf("usage: tanba-admin token list\n");
			return ADMIN_EXIT_OK;
		default:
			fprintf(stderr, "usage: tanba-admin token list\n");
			return ADMIN_EXIT_ERROR;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: tanba-admin token list\n");
		return ADMIN_EXIT_ERROR;
	}
	tb_error_clear(&err);
	if ((module = admin_module_choose()) == NULL ||
	    tb_p11_manage_open(module, &p, &err) != 0 ||
	    tb_p11_manage_slots(p, 0, &slots, &n, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	printf("module %s: %lu slot%s\n", module, (unsigned long)n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		s = &slots[i];
		printf("slot %lu: %s\n", s->id, s->description);
		if (!s->has_token) {
			printf("  no token\n");
			continue;
		}
		if (!s->initialized) {
			printf("  token: not initialized (%s %s)\n", s->manufacturer, s->model);
			printf("  mechanisms: %lu\n", s->mechanisms);
			continue;
		}
		printf("  token: \"%s\" manufacturer \"%s\" model \"%s\" serial %s\n", s->label,
		    s->manufacturer, s->model, s->serial);
		printf("  flags: %s\n", s->flags);
		print_sessions(s);
		printf("  mechanisms: %lu\n", s->mechanisms);
		if (s->uri != NULL)
			printf("  uri: %s\n", s->uri);
	}
	rc = ADMIN_EXIT_OK;
out:
	tb_p11_slots_free(slots, n);
	free(module);
	tb_p11_manage_free(p);
	return rc;
}

static void
token_init_usage(FILE *f)
{
	fprintf(f, "usage: tanba-admin token init (--slot N | --free) --label LABEL\n"
	    "           [--so-pin-file FILE] [--pin-file FILE] [--reinit]\n"
	    "  --free      the first slot whose token is not initialised\n"
	    "  --reinit    allow re-initialising a token: ERASES EVERY OBJECT ON IT\n");
}

int
admin_cmd_token_init(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "slot", required_argument, NULL, 's' },
		{ "free", no_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'l' },
		{ "so-pin-file", required_argument, NULL, 'S' },
		{ "pin-file", required_argument, NULL, 'p' },
		{ "reinit", no_argument, NULL, 'R' },
		{ "module", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rc = ADMIN_EXIT_ERROR, c, use_free = 0, have_slot = 0, reinit = 0;
	const char *label = NULL, *so_file = NULL, *pin_file = NULL;
	char so_pin[ADMIN_PIN_MAX], pin[ADMIN_PIN_MAX], *end, *module = NULL;
	unsigned long slot_arg = 0, slot;
	tb_p11_manage *p = NULL;
	tb_p11_slot *slots = NULL;
	size_t n = 0, i;
	tb_error err;

	memset(so_pin, 0, sizeof(so_pin));
	memset(pin, 0, sizeof(pin));
	tb_error_clear(&err);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			slot_arg = strtoul(optarg, &end, 0);
			if (*optarg == '\0' || *end != '\0') {
				fprintf(stderr, "tanba-admin: --slot '%s' is not a number\n", optarg);
				goto out;
			}
			have_slot = 1;
			break;
		case 'f': use_free = 1; break;
		case 'l': label = optarg; break;
		case 'S': so_file = optarg; break;
		case 'p': pin_file = optarg; break;
		case 'R': reinit = 1; break;
		case 'm': admin_opt_set_module(optarg); break;
		case 'h': token_init_usage(stdout); rc = ADMIN_EXIT_OK; goto out;
		default: token_init_usage(stderr); goto out;
		}
	}
	if (optind != argc || have_slot == use_free || label == NULL) {
		token_init_usage(stderr);
		goto out;
	}
	if (*label == '\0' || strlen(label) > 32) {
		fprintf(stderr, "tanba-admin: a token label has 1 to 32 bytes\n");
		goto out;
	}
	if ((module = admin_module_choose()) == NULL ||
	    tb_p11_manage_open(module, &p, &err) != 0 ||
	    tb_p11_manage_slots(p, 1, &slots, &n, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!slots[i].has_token)
			continue;
		if (have_slot ? slots[i].id == slot_arg : !slots[i].initialized)
			break;
	}
	if (i == n) {
		if (have_slot)
			fprintf(stderr, "tanba-admin: no token in slot %lu\n", slot_arg);
		else
			fprintf(stderr, "tanba-admin: no free (uninitialised) token in %s\n", module);
		goto out;
	}
	slot = slots[i].id;
	if (slots[i].initialized && !reinit) {
		fprintf(stderr, "tanba-admin: the token in slot %lu (\"%s\") is initialised; "
		    "re-initialising erases all its keys: add --reinit if that is meant\n",
		    slot, slots[i].label);
		goto out;
	}
	if (admin_pin_get(so_file, "SO PIN", so_file == NULL, so_pin, sizeof(so_pin), &err) != 0 ||
	    admin_pin_get(pin_file, "user PIN", pin_file == NULL, pin, sizeof(pin), &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if (tb_p11_manage_init_token(p, slot, so_pin, label, pin, &err) != 0) {
		fprintf(stderr, "tanba-admin: token init in slot %lu refused: %s\n", slot,
		    err.detail);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	printf("token \"%s\" initialised; user PIN set\n", label);
	rc = ADMIN_EXIT_OK;
out:
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	OPENSSL_cleanse(pin, sizeof(pin));
	tb_p11_slots_free(slots, n);
	free(module);
	tb_p11_manage_free(p);
	return rc;
}
