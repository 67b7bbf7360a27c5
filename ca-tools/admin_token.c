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

/* The flags an officer acts on, in words. */
static void
print_token_flags(CK_FLAGS f)
{
	static const struct {
		CK_FLAGS flag;
		const char *name;
	} names[] = {
		{ CKF_TOKEN_INITIALIZED, "initialized" },
		{ CKF_LOGIN_REQUIRED, "login-required" },
		{ CKF_USER_PIN_INITIALIZED, "user-pin-set" },
		{ CKF_PROTECTED_AUTHENTICATION_PATH, "pin-pad" },
		{ CKF_WRITE_PROTECTED, "write-protected" },
		{ CKF_RNG, "rng" },
		{ CKF_USER_PIN_COUNT_LOW, "USER-PIN-COUNT-LOW" },
		{ CKF_USER_PIN_FINAL_TRY, "USER-PIN-FINAL-TRY" },
		{ CKF_USER_PIN_LOCKED, "USER-PIN-LOCKED" },
		{ CKF_USER_PIN_TO_BE_CHANGED, "user-pin-to-be-changed" },
		{ CKF_SO_PIN_COUNT_LOW, "SO-PIN-COUNT-LOW" },
		{ CKF_SO_PIN_FINAL_TRY, "SO-PIN-FINAL-TRY" },
		{ CKF_SO_PIN_LOCKED, "SO-PIN-LOCKED" },
	};
	size_t i;
	int first = 1;

	printf("  flags:");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((f & names[i].flag) == 0)
			continue;
		printf("%s%s", first ? " " : ",", names[i].name);
		first = 0;
	}
	printf("\n");
}

static void
print_sessions(const CK_TOKEN_INFO *ti)
{
	CK_ULONG max = ti->ulMaxSessionCount, cur = ti->ulSessionCount;

	printf("  sessions: ");
	if (max == CK_EFFECTIVELY_INFINITE)
		printf("unlimited");
	else if (max == CK_UNAVAILABLE_INFORMATION)
		printf("maximum unknown");
	else if (cur == CK_UNAVAILABLE_INFORMATION)
		printf("at most %lu", (unsigned long)max);
	else
		printf("%lu free of %lu", (unsigned long)(max > cur ? max - cur : 0),
		    (unsigned long)max);
	if (cur != CK_UNAVAILABLE_INFORMATION)
		printf(", %lu open", (unsigned long)cur);
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
	int rc = ADMIN_EXIT_ERROR, c, has_token;
	admin_p11 *p = NULL;
	char *module = NULL, *uri = NULL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i, nmech;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	P11KitUri *u = NULL;
	char a[65], b[65], d[33], e[17];
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
	    admin_p11_open(module, &p, &err) != 0 ||
	    admin_p11_slots(p, 0, &slots, &n, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	printf("module %s: %lu slot%s\n", module, (unsigned long)n, n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if (admin_p11_slot_info(p, slots[i], &si, &ti, &has_token, &nmech, &err) != 0) {
			printf("slot %lu: %s\n", (unsigned long)slots[i], err.detail);
			continue;
		}
		admin_p11_text(a, sizeof(a), si.slotDescription, sizeof(si.slotDescription));
		printf("slot %lu: %s\n", (unsigned long)slots[i], a);
		if (!has_token) {
			printf("  no token\n");
			continue;
		}
		admin_p11_text(a, sizeof(a), ti.label, sizeof(ti.label));
		admin_p11_text(b, sizeof(b), ti.manufacturerID, sizeof(ti.manufacturerID));
		admin_p11_text(d, sizeof(d), ti.model, sizeof(ti.model));
		admin_p11_text(e, sizeof(e), ti.serialNumber, sizeof(ti.serialNumber));
		if ((ti.flags & CKF_TOKEN_INITIALIZED) == 0) {
			printf("  token: not initialized (%s %s)\n", b, d);
			printf("  mechanisms: %lu\n", (unsigned long)nmech);
			continue;
		}
		printf("  token: \"%s\" manufacturer \"%s\" model \"%s\" serial %s\n", a, b, d, e);
		print_token_flags(ti.flags);
		print_sessions(&ti);
		printf("  mechanisms: %lu\n", (unsigned long)nmech);
		if ((u = p11_kit_uri_new()) != NULL) {
			memcpy(p11_kit_uri_get_token_info(u), &ti, sizeof(ti));
			if (p11_kit_uri_format(u, P11_KIT_URI_FOR_TOKEN, &uri) == P11_KIT_URI_OK)
				printf("  uri: %s\n", uri);
			free(uri);
			uri = NULL;
			p11_kit_uri_free(u);
			u = NULL;
		}
	}
	rc = ADMIN_EXIT_OK;
out:
	free(slots);
	free(module);
	admin_p11_free(p);
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
	int rc = ADMIN_EXIT_ERROR, c, use_free = 0, have_slot = 0, reinit = 0, has_token;
	const char *label = NULL, *so_file = NULL, *pin_file = NULL;
	char so_pin[ADMIN_PIN_MAX], pin[ADMIN_PIN_MAX], *end, *module = NULL, tl[33];
	unsigned long slot_arg = 0;
	admin_p11 *p = NULL;
	CK_SLOT_ID *slots = NULL, slot = 0, new_slot = 0;
	CK_ULONG n = 0, i, nmech;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
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
	    admin_p11_open(module, &p, &err) != 0 ||
	    admin_p11_slots(p, 1, &slots, &n, &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (admin_p11_slot_info(p, slots[i], &si, &ti, &has_token, &nmech, NULL) != 0 ||
		    !has_token)
			continue;
		if (have_slot ? slots[i] == slot_arg : (ti.flags & CKF_TOKEN_INITIALIZED) == 0)
			break;
	}
	if (i == n) {
		if (have_slot)
			fprintf(stderr, "tanba-admin: no token in slot %lu\n", slot_arg);
		else
			fprintf(stderr, "tanba-admin: no free (uninitialised) token in %s\n", module);
		goto out;
	}
	slot = slots[i];
	if ((ti.flags & CKF_TOKEN_INITIALIZED) != 0 && !reinit) {
		admin_p11_text(tl, sizeof(tl), ti.label, sizeof(ti.label));
		fprintf(stderr, "tanba-admin: the token in slot %lu (\"%s\") is initialised; "
		    "re-initialising erases all its keys: add --reinit if that is meant\n",
		    (unsigned long)slot, tl);
		goto out;
	}
	if (admin_pin_get(so_file, "SO PIN", so_file == NULL, so_pin, sizeof(so_pin), &err) != 0 ||
	    admin_pin_get(pin_file, "user PIN", pin_file == NULL, pin, sizeof(pin), &err) != 0) {
		fprintf(stderr, "tanba-admin: %s\n", err.detail);
		goto out;
	}
	if (admin_p11_init_token(p, slot, so_pin, label, pin, &new_slot, &err) != 0) {
		fprintf(stderr, "tanba-admin: token init in slot %lu refused: %s\n",
		    (unsigned long)slot, err.detail);
		rc = ADMIN_EXIT_FAIL;
		goto out;
	}
	printf("token \"%s\" initialised; user PIN set\n", label);
	rc = ADMIN_EXIT_OK;
out:
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	OPENSSL_cleanse(pin, sizeof(pin));
	free(slots);
	free(module);
	admin_p11_free(p);
	return rc;
}
