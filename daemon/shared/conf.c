/*
 * tanbad.conf: INI read with inih, one table of settings per section, and
 * the whole file validated before a tb_config exists. Every error names the
 * file, the line and the key. A section is one entry in `sections`; an
 * unknown section or key is an error, never ignored. Never reads the PIN:
 * the PIN file is only opened to check its permissions.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "cert_read.h"
#include "conf.h"
#include "tb_file.h"
#include "verify_budget.h"
#include "xml_limits.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define MAX_SETTINGS 40

/* The tb_config and its reference count, which the public struct does not show. */
struct config_box {
	atomic_uint refs;
	tb_config cfg;
};

enum setting_type {
	T_STRING,	/* non-empty text */
	T_UINT,		/* decimal in min..max */
	T_SIZE,		/* decimal in min..max, as size_t */
	T_MODE,		/* octal file mode, at most 0777 */
	T_BOOL,		/* yes/no, true/false, on/off, 1/0 */
	T_LOGLEVEL,	/* error|warn|info|debug */
	T_DIGEST,	/* sha256|sha384|sha512, stored as a NID */
};

typedef struct setting {
	const char *key;
	enum setting_type type;
	size_t offset;		/* into the section's struct */
	unsigned long min, max;
} setting;

struct parse;
static int parse_ulong(const char *v, int base, unsigned long *out);

/* Per section instance: where it began and where each setting was given. */
typedef struct sect_lines {
	unsigned header;
	unsigned set[MAX_SETTINGS];
} sect_lines;

typedef struct section_def {
	const char *name;
	int named;			/* [name "SUB"] */
	const setting *settings;	/* NULL-key terminated */
	/* Called at the header line; returns 0 or sets an error. */
	int (*begin)(struct parse *p, const char *sub);
	/* The struct the settings of the current instance are stored in. */
	void *(*target)(struct parse *p, sect_lines **lines);
	/* Called once after the whole file was read. */
	int (*finish)(struct parse *p);
} section_def;

struct parse {
	const char *file;
	const char *text;
	size_t len, pos;
	unsigned line;
	tb_config *cfg;
	const section_def *cur;
	char cur_label[288];	/* "daemon" or key "NAME" for errors */
	int failed;
	tb_error err;			/* the first error */
	int too_long;
	sect_lines daemon_lines, token_lines, verify_lines;
	sect_lines audit_lines;
	sect_lines *client_lines;	/* parallel to cfg->clients */
	size_t clients_room;
	sect_lines *key_lines;		/* parallel to cfg->keys */
	size_t keys_room;
	sect_lines revocation_lines;
	sect_lines tls_lines;
	sect_lines metrics_lines;
	sect_lines tsa_lines;
	sect_lines *issuer_lines;	/* parallel to cfg->issuers */
	size_t issuers_room;
};

static void parse_fail(struct parse *p, int code, unsigned line, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records the first error only: later ones are often its echoes. */
static void
parse_fail(struct parse *p, int code, unsigned line, const char *key, const char *fmt, ...)
{
	char msg[256], where[96];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), ":%u", line);
	else
		where[0] = '\0';
	if (key != NULL)
		tb_error_set(&p->err, code, "%s%s: [%s] %s: %s", p->file, where,
		    p->cur_label, key, msg);
	else
		tb_error_set(&p->err, code, "%s%s: %s", p->file, where, msg);
}

/* ---- [daemon] ---- */

#define DOFF(f) offsetof(tb_config, f)
static const setting daemon_settings[] = {
	{ "socket", T_STRING, DOFF(socket), 0, 0 },
	{ "socket_mode", T_MODE, DOFF(socket_mode), 0, 0777 },
	{ "max_frame_bytes", T_SIZE, DOFF(max_frame_bytes), 1024, 256UL * 1024 * 1024 },
	{ "max_connections", T_UINT, DOFF(max_connections), 1, 65536 },
	{ "max_inflight_per_connection", T_UINT, DOFF(max_inflight_per_connection), 1, 4096 },
	{ "workers", T_UINT, DOFF(workers), 0, 256 },
	{ "sign_workers", T_UINT, DOFF(sign_workers), 0, 256 },
	{ "read_timeout_s", T_UINT, DOFF(read_timeout_s), 1, 3600 },
	{ "idle_timeout_s", T_UINT, DOFF(idle_timeout_s), 1, 86400 },
	{ "log_level", T_LOGLEVEL, DOFF(log_level), 0, 0 },
	{ "syslog", T_BOOL, DOFF(syslog), 0, 0 },
	{ "user", T_STRING, DOFF(user), 0, 0 },
	{ "group", T_STRING, DOFF(group), 0, 0 },
	{ "socket_owner", T_STRING, DOFF(socket_owner), 0, 0 },
	{ "socket_group", T_STRING, DOFF(socket_group), 0, 0 },
	{ "rate_per_client", T_UINT, DOFF(rate_per_client), 1, 1000000 },
	{ "rate_burst", T_UINT, DOFF(rate_burst), 1, 1000000 },
	{ "expiry_warning_days", T_UINT, DOFF(expiry_warning_days), 0, 3650 },
	{ "pid_file", T_STRING, DOFF(pid_file), 0, 0 },
	{ "sandbox", T_BOOL, DOFF(sandbox), 0, 0 },
	/* lanes and per-client budgets (docs/SECURITY.md, "Hostile load") */
	{ "control_workers", T_UINT, DOFF(control_workers), 1, 64 },
	{ "intake_workers", T_UINT, DOFF(intake_workers), 1, 64 },
	{ "control_queue", T_UINT, DOFF(control_queue), 1, 65536 },
	{ "intake_queue", T_UINT, DOFF(intake_queue), 1, 65536 },
	{ "verify_queue", T_UINT, DOFF(verify_queue), 1, 65536 },
	{ "sign_queue", T_UINT, DOFF(sign_queue), 1, 65536 },
	{ "control_deadline_ms", T_UINT, DOFF(control_deadline_ms), 10, 3600000 },
	{ "verify_deadline_ms", T_UINT, DOFF(verify_deadline_ms), 10, 3600000 },
	{ "sign_deadline_ms", T_UINT, DOFF(sign_deadline_ms), 10, 3600000 },
	/* items of one batch sign request; 256 is what one signer record carries */
	{ "sign_batch_max", T_UINT, DOFF(sign_batch_max), 1, 256 },
	{ "max_connections_per_client", T_UINT, DOFF(max_connections_per_client), 1, 65536 },
	{ "max_inflight_per_client", T_UINT, DOFF(max_inflight_per_client), 1, 65536 },
	{ "max_buffered_bytes_per_client", T_SIZE, DOFF(max_buffered_bytes_per_client), 1024,
	    64UL * 1024 * 1024 * 1024 },
	{ "max_buffered_bytes", T_SIZE, DOFF(max_buffered_bytes), 1024,
	    256UL * 1024 * 1024 * 1024 },
	{ "first_frame_timeout_s", T_UINT, DOFF(first_frame_timeout_s), 1, 3600 },
	{ "signer_user", T_STRING, DOFF(signer_user), 0, 0 },
	{ "signer_group", T_STRING, DOFF(signer_group), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
daemon_begin(struct parse *p, const char *sub)
{
	if (p->daemon_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[daemon] given twice (first at line %u)", p->daemon_lines.header);
		return TB_ERR_CONFIG;
	}
	p->daemon_lines.header = p->line;
	return 0;
}

static void *
daemon_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->daemon_lines;
	return p->cfg;
}

/* The uid of a user name, with its primary gid; -1 when there is none. */
static int
user_lookup(const char *name, long *uid, long *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*uid = (long)pw.pw_uid;
	if (gid != NULL)
		*gid = (long)pw.pw_gid;
	return 0;
}

static int
group_lookup(const char *name, long *gid)
{
	struct group gr, *res = NULL;
	char buf[16384];

	if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	*gid = (long)gr.gr_gid;
	return 0;
}

/* The line of [daemon] setting name, for messages. */
static unsigned
daemon_line(const struct parse *p, const char *name)
{
	size_t i;

	for (i = 0; daemon_settings[i].key != NULL; i++)
		if (strcmp(daemon_settings[i].key, name) == 0)
			return p->daemon_lines.set[i];
	return p->daemon_lines.header;
}

/*
 * signer_user and signer_group: the signer process's own account, which
 * alone may read the PIN file and the token store and write the audit
 * trail. Not given: the signer runs as user, as the front does.
 */
static int
signer_ids_resolve(struct parse *p)
{
	tb_config *c = p->cfg;
	long primary = -1;

	c->signer_uid = c->user_uid;
	c->signer_gid = c->user_gid;
	if (c->signer_group != NULL && c->signer_user == NULL) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "signer_group"), "signer_group",
		    "signer_group needs signer_user too");
		return TB_ERR_CONFIG;
	}
	if (c->signer_user == NULL)
		return 0;
	if (c->user == NULL) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "signer_user"), "signer_user",
		    "signer_user needs user (the front's account) too");
		return TB_ERR_CONFIG;
	}
	if (user_lookup(c->signer_user, &c->signer_uid, &primary) != 0) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "signer_user"), "signer_user",
		    "no user named '%s'", c->signer_user);
		return TB_ERR_CONFIG;
	}
	if (c->signer_group != NULL && group_lookup(c->signer_group, &c->signer_gid) != 0) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "signer_group"), "signer_group",
		    "no group named '%s'", c->signer_group);
		return TB_ERR_CONFIG;
	}
	if (c->signer_group == NULL)
		c->signer_gid = primary;
	/* The point of two accounts: the front must not be the signer. */
	if (c->signer_uid == c->user_uid || c->signer_uid == 0) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "signer_user"), "signer_user",
		    "'%s' must be an account of its own, neither user nor root", c->signer_user);
		return TB_ERR_CONFIG;
	}
	return 0;
}

/* Names become ids at load: a user deleted later cannot be half-valid. */
static int
daemon_ids_resolve(struct parse *p)
{
	tb_config *c = p->cfg;
	long primary = -1;
	int r;

	if (c->user != NULL && user_lookup(c->user, &c->user_uid, &primary) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.set[10], "user",
		    "no user named '%s'", c->user);
		return TB_ERR_CONFIG;
	}
	if (c->group != NULL && group_lookup(c->group, &c->user_gid) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.set[11], "group",
		    "no group named '%s'", c->group);
		return TB_ERR_CONFIG;
	}
	if (c->group == NULL)
		c->user_gid = primary;
	if (c->group != NULL && c->user == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.set[11], "group",
		    "group needs user too");
		return TB_ERR_CONFIG;
	}
	if ((r = signer_ids_resolve(p)) != 0)
		return r;
	if (c->socket_owner != NULL && user_lookup(c->socket_owner, &c->socket_uid, NULL) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.set[12], "socket_owner",
		    "no user named '%s'", c->socket_owner);
		return TB_ERR_CONFIG;
	}
	if (c->socket_group != NULL && group_lookup(c->socket_group, &c->socket_gid) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.set[13], "socket_group",
		    "no group named '%s'", c->socket_group);
		return TB_ERR_CONFIG;
	}
	return 0;
}

/*
 * Buffered bytes: unset budgets follow max_frame_bytes (4 frames a client,
 * 16 in all); a budget that cannot hold one whole frame would refuse every
 * large request, so it is an error.
 */
static int
daemon_budgets_finish(struct parse *p)
{
	tb_config *c = p->cfg;

	if (c->max_buffered_bytes_per_client == 0) {
		c->max_buffered_bytes_per_client = 4 * c->max_frame_bytes;
		if (c->max_buffered_bytes != 0 &&
		    c->max_buffered_bytes < c->max_buffered_bytes_per_client)
			c->max_buffered_bytes_per_client = c->max_buffered_bytes;
	}
	if (c->max_buffered_bytes == 0)
		c->max_buffered_bytes = 16 * c->max_frame_bytes;
	if (c->max_buffered_bytes_per_client < c->max_frame_bytes + TB_CONFIG_FRAME_SLACK) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "max_buffered_bytes_per_client"),
		    "max_buffered_bytes_per_client", "%zu is less than max_frame_bytes + %u",
		    c->max_buffered_bytes_per_client, TB_CONFIG_FRAME_SLACK);
		return TB_ERR_CONFIG;
	}
	if (c->max_buffered_bytes < c->max_buffered_bytes_per_client) {
		parse_fail(p, TB_ERR_CONFIG, daemon_line(p, "max_buffered_bytes"),
		    "max_buffered_bytes",
		    "%zu is less than max_buffered_bytes_per_client (%zu)",
		    c->max_buffered_bytes, c->max_buffered_bytes_per_client);
		return TB_ERR_CONFIG;
	}
	return 0;
}

static int
daemon_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	struct sockaddr_un sun;
	long cpus;

	snprintf(p->cur_label, sizeof(p->cur_label), "daemon");
	if (c->socket == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.header, NULL,
		    "[daemon] socket is required (path of the listening socket)");
		return TB_ERR_CONFIG;
	}
	if (strlen(c->socket) >= sizeof(sun.sun_path)) {
		parse_fail(p, TB_ERR_CONFIG, p->daemon_lines.set[0], "socket",
		    "path longer than %zu bytes", sizeof(sun.sun_path) - 1);
		return TB_ERR_CONFIG;
	}
	if (c->workers == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		c->workers = cpus > 0 && cpus < 128 ? 2 * (unsigned)cpus : 4;
	}
	if (daemon_budgets_finish(p) != 0)
		return TB_ERR_CONFIG;
	return daemon_ids_resolve(p);
}

/* ---- [token] ---- */

static const setting token_settings[] = {
	{ "module", T_STRING, DOFF(module), 0, 0 },
	{ "pin_file", T_STRING, DOFF(pin_file), 0, 0 },
	{ "max_sessions", T_UINT, DOFF(max_sessions), 1, 256 },
	{ "sandbox", T_BOOL, DOFF(token_sandbox), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
token_begin(struct parse *p, const char *sub)
{
	if (p->token_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[token] given twice (first at line %u)", p->token_lines.header);
		return TB_ERR_CONFIG;
	}
	p->token_lines.header = p->line;
	return 0;
}

static void *
token_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->token_lines;
	return p->cfg;
}

/*
 * A secret file this process may not open (EACCES: another account's,
 * such as the PIN file the signer alone reads, or the [tls] key the parent
 * opens for the front): lstat shows enough to hold it to the secret-file
 * rule; its reader opens it, by that rule too (tb_secret_open).
 */
static int
secret_mode_check(struct parse *p, int code, unsigned line, const char *name, const char *path)
{
	struct stat st;

	/* Not even that (a directory closed to this account): its reader checks it. */
	if (lstat(path, &st) == -1 && errno == EACCES)
		return 0;
	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		parse_fail(p, code, line, name, "%s: not a regular file", path);
		return code;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		parse_fail(p, code, line, name,
		    "%s: mode %04o grants access beyond its owner (must be 0600 or 0400)", path,
		    (unsigned)(st.st_mode & 07777));
		return code;
	}
	return 0;
}

static int
token_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	tb_error e;
	int fd, r;

	snprintf(p->cur_label, sizeof(p->cur_label), "token");
	if (p->token_lines.header == 0) {
		parse_fail(p, TB_ERR_CONFIG, 0, NULL, "[token] section is required");
		return TB_ERR_CONFIG;
	}
	if (c->module == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->token_lines.header, NULL,
		    "[token] module is required (p11-kit module name or .so path)");
		return TB_ERR_CONFIG;
	}
	if (c->pin_file == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->token_lines.header, NULL,
		    "[token] pin_file is required");
		return TB_ERR_CONFIG;
	}
	/*
	 * Only the permissions are checked here; the PIN is read by the keystore.
	 * The parent and the front load this file too, and under the unit
	 * (no CAP_DAC_OVERRIDE) may not open a PIN file that is signer_user's
	 * alone: they check what lstat shows, the signer opens it.
	 */
	if ((fd = open(c->pin_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 && errno == EACCES)
		return secret_mode_check(p, TB_ERR_PIN_FILE, p->token_lines.set[1], "pin_file",
		    c->pin_file);
	if (fd != -1)
		close(fd);
	if ((r = tb_secret_open(c->pin_file, &fd, &e)) != 0) {
		parse_fail(p, r, p->token_lines.set[1], "pin_file", "%s", e.detail);
		return r;
	}
	close(fd);
	return 0;
}

/* ---- [key "NAME"] ---- */

#define KOFF(f) offsetof(tb_key_conf, f)
static const setting key_settings[] = {
	{ "uri", T_STRING, KOFF(uri), 0, 0 },
	{ "certificate", T_STRING, KOFF(certificate), 0, 0 },
	{ "chain", T_STRING, KOFF(chain), 0, 0 },
	{ "digest", T_DIGEST, KOFF(md_nid), 0, 0 },
	{ "p12", T_STRING, KOFF(p12), 0, 0 },
	{ "p12_password_file", T_STRING, KOFF(p12_password_file), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
key_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > TB_KEY_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return 0;
	}
	return 1;
}

static int
key_begin(struct parse *p, const char *sub)
{
	tb_config *c = p->cfg;
	tb_key_conf *k;
	size_t i;
	void *n;

	if (!key_name_ok(sub)) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "key name '%s' must be 1..%d of A-Z a-z 0-9 _ - .", sub, TB_KEY_NAME_MAX);
		return TB_ERR_CONFIG;
	}
	for (i = 0; i < c->nkeys; i++) {
		if (strcmp(c->keys[i].name, sub) == 0) {
			parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
			    "[key \"%s\"] given twice (first at line %u)", sub, c->keys[i].line);
			return TB_ERR_CONFIG;
		}
	}
	if (c->nkeys == TB_CONFIG_MAX_KEYS) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL, "more than %d keys",
		    TB_CONFIG_MAX_KEYS);
		return TB_ERR_CONFIG;
	}
	if (c->nkeys == p->keys_room) {
		p->keys_room = p->keys_room ? 2 * p->keys_room : 4;
		if ((n = realloc(c->keys, p->keys_room * sizeof(*c->keys))) == NULL)
			goto nomem;
		c->keys = n;
		if ((n = realloc(p->key_lines, p->keys_room * sizeof(*p->key_lines))) == NULL)
			goto nomem;
		p->key_lines = n;
	}
	k = &c->keys[c->nkeys];
	memset(k, 0, sizeof(*k));
	memset(&p->key_lines[c->nkeys], 0, sizeof(p->key_lines[0]));
	if ((k->name = strdup(sub)) == NULL)
		goto nomem;
	k->md_nid = NID_sha256;
	k->line = p->line;
	p->key_lines[c->nkeys].header = p->line;
	c->nkeys++;
	return 0;
nomem:
	parse_fail(p, TB_ERR_NOMEM, p->line, NULL, "out of memory");
	return TB_ERR_NOMEM;
}

static void *
key_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->key_lines[p->cfg->nkeys - 1];
	return &p->cfg->keys[p->cfg->nkeys - 1];
}

static int
key_file_check(struct parse *p, const char *path, unsigned line, const char *key)
{
	if (access(path, R_OK) != 0) {
		parse_fail(p, TB_ERR_CONFIG, line, key, "%s: %s", path, strerror(errno));
		return TB_ERR_CONFIG;
	}
	return 0;
}

static int
key_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	tb_key_conf *k;
	size_t i;

	if (c->nkeys == 0) {
		parse_fail(p, TB_ERR_CONFIG, 0, NULL,
		    "no [key \"NAME\"] section: at least one key is required");
		return TB_ERR_CONFIG;
	}
	for (i = 0; i < c->nkeys; i++) {
		k = &c->keys[i];
		snprintf(p->cur_label, sizeof(p->cur_label), "key \"%s\"", k->name);
		if ((k->uri == NULL) == (k->p12 == NULL)) {
			parse_fail(p, TB_ERR_CONFIG, k->line, NULL,
			    k->uri == NULL ? "[key \"%s\"] uri is required (a token key), or p12 "
			    "(a file key)" : "[key \"%s\"] uri and p12 exclude each other: a key "
			    "is on the token or in a file", k->name);
			return TB_ERR_CONFIG;
		}
		/*
		 * A file key: the container holds the certificate and decides the
		 * digest. Its files are the signer's alone, so they are not opened
		 * here (the front parses this file too); the signer reads them.
		 */
		if (k->p12 != NULL) {
			if (k->p12_password_file == NULL) {
				parse_fail(p, TB_ERR_CONFIG, k->line, NULL,
				    "[key \"%s\"] p12 needs p12_password_file", k->name);
				return TB_ERR_CONFIG;
			}
			if (k->certificate != NULL) {
				parse_fail(p, TB_ERR_CONFIG, p->key_lines[i].set[1], "certificate",
				    "not with p12: the container holds the key's certificate");
				return TB_ERR_CONFIG;
			}
			if (p->key_lines[i].set[3] != 0) {
				parse_fail(p, TB_ERR_CONFIG, p->key_lines[i].set[3], "digest",
				    "not with p12: a GOST key signs the Streebog of its own size");
				return TB_ERR_CONFIG;
			}
			if (k->chain != NULL &&
			    key_file_check(p, k->chain, p->key_lines[i].set[2], "chain") != 0)
				return TB_ERR_CONFIG;
			continue;
		}
		if (k->p12_password_file != NULL) {
			parse_fail(p, TB_ERR_CONFIG, p->key_lines[i].set[5], "p12_password_file",
			    "only with p12");
			return TB_ERR_CONFIG;
		}
		if (strncmp(k->uri, "pkcs11:", 7) != 0) {
			parse_fail(p, TB_ERR_CONFIG, p->key_lines[i].set[0], "uri",
			    "'%s' is not a pkcs11: URI (RFC 7512)", k->uri);
			return TB_ERR_CONFIG;
		}
		if (k->certificate != NULL &&
		    key_file_check(p, k->certificate, p->key_lines[i].set[1], "certificate") != 0)
			return TB_ERR_CONFIG;
		if (k->chain != NULL &&
		    key_file_check(p, k->chain, p->key_lines[i].set[2], "chain") != 0)
			return TB_ERR_CONFIG;
	}
	return 0;
}

/* ---- [verify] ---- */

static const setting verify_settings[] = {
	{ "anchors", T_STRING, DOFF(verify_anchors), 0, 0 },
	{ "untrusted", T_STRING, DOFF(verify_untrusted), 0, 0 },
	{ "require_non_repudiation", T_BOOL, DOFF(verify_require_non_repudiation), 0, 0 },
	{ "check_iin_checksum", T_BOOL, DOFF(verify_check_iin_checksum), 0, 0 },
	{ "allow_sha1", T_BOOL, DOFF(verify_allow_sha1), 0, 0 },
	{ "use_signing_time", T_BOOL, DOFF(verify_use_signing_time), 0, 0 },
	/* RFC 5280 6.1.1 inputs; checked by verify_finish, used by op_verify.c */
	{ "policies", T_STRING, DOFF(verify_policies), 0, 0 },
	{ "require_explicit_policy", T_BOOL, DOFF(verify_require_explicit_policy), 0, 0 },
	{ "inhibit_policy_mapping", T_BOOL, DOFF(verify_inhibit_policy_mapping), 0, 0 },
	{ "inhibit_any_policy", T_BOOL, DOFF(verify_inhibit_any_policy), 0, 0 },
	{ "max_policy_nodes", T_UINT, DOFF(verify_max_policy_nodes), 1, 1000000 },
	/* The work budget of one verification (libsig/verify_budget.h). */
	{ "max_time_ms", T_UINT, DOFF(verify_max_time_ms), 10, 600000 },
	{ "max_signature_checks", T_UINT, DOFF(verify_max_sig_checks), 1, 100000 },
	{ "max_issuer_candidates", T_UINT, DOFF(verify_max_candidates), 1, 1000000 },
	{ "max_name_constraint_checks", T_UINT, DOFF(verify_max_nc_checks), 1, 10000000 },
	/* The key floor, anchors included. */
	{ "min_rsa_bits", T_UINT, DOFF(verify_min_rsa_bits), 1024, 16384 },
	{ "min_ec_bits", T_UINT, DOFF(verify_min_ec_bits), 160, 571 },
	/* The limits of one XML document; the caps keep the verifier's tables. */
	{ "xml_max_depth", T_UINT, DOFF(verify_xml_max_depth), 1, TB_XML_CAP_DEPTH },
	{ "xml_max_nodes", T_UINT, DOFF(verify_xml_max_nodes), 1, TB_XML_CAP_NODES },
	{ "xml_max_signatures", T_UINT, DOFF(verify_xml_max_signatures), 1,
	    TB_XML_CAP_SIGNATURES },
	{ "xml_max_references", T_UINT, DOFF(verify_xml_max_references), 1,
	    TB_XML_CAP_REFERENCES },
	{ "xml_max_transforms", T_UINT, DOFF(verify_xml_max_transforms), 1,
	    TB_XML_CAP_TRANSFORMS },
	{ "xml_max_certificates", T_UINT, DOFF(verify_xml_max_certs), 1, TB_XML_CAP_CERTS },
	{ "xml_max_attributes", T_UINT, DOFF(verify_xml_max_attributes), 1,
	    TB_XML_CAP_ATTRIBUTES },
	{ NULL, 0, 0, 0, 0 }
};

static int
verify_begin(struct parse *p, const char *sub)
{
	if (p->verify_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[verify] given twice (first at line %u)", p->verify_lines.header);
		return TB_ERR_CONFIG;
	}
	p->verify_lines.header = p->line;
	return 0;
}

static void *
verify_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->verify_lines;
	return p->cfg;
}

/*
 * policies: dotted OIDs (spaces or commas between), at most 16, as
 * libsig's tb_policy_inputs_add takes them.
 */
static int
verify_policies_check(struct parse *p, const char *text, unsigned line)
{
	char oid[130];
	size_t n, count = 0;
	ASN1_OBJECT *o;

	while (*text != '\0') {
		text += strspn(text, " \t,");
		if ((n = strcspn(text, " \t,")) == 0)
			break;
		if (n >= 128 || ++count > 16) {
			parse_fail(p, TB_ERR_CONFIG, line, "policies",
			    "at most 16 OIDs of at most 127 characters");
			return TB_ERR_CONFIG;
		}
		memcpy(oid, text, n);
		oid[n] = '\0';
		if (strspn(oid, "0123456789.") != n || oid[0] == '.' || oid[n - 1] == '.' ||
		    strstr(oid, "..") != NULL || strchr(oid, '.') == NULL ||
		    (o = OBJ_txt2obj(oid, 1)) == NULL) {
			ERR_clear_error();
			parse_fail(p, TB_ERR_CONFIG, line, "policies", "'%s' is not a dotted OID", oid);
			return TB_ERR_CONFIG;
		}
		ASN1_OBJECT_free(o);
		text += n;
	}
	return 0;
}

/* The files are read by the verify ops; here only that they can be. */
static int
verify_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	size_t i;

	snprintf(p->cur_label, sizeof(p->cur_label), "verify");
	if (c->verify_anchors != NULL &&
	    key_file_check(p, c->verify_anchors, p->verify_lines.set[0], "anchors") != 0)
		return TB_ERR_CONFIG;
	if (c->verify_untrusted != NULL &&
	    key_file_check(p, c->verify_untrusted, p->verify_lines.set[1], "untrusted") != 0)
		return TB_ERR_CONFIG;
	for (i = 0; verify_settings[i].key != NULL; i++)	/* its line, wherever it is listed */
		if (strcmp(verify_settings[i].key, "policies") == 0 && c->verify_policies != NULL &&
		    verify_policies_check(p, c->verify_policies, p->verify_lines.set[i]) != 0)
			return TB_ERR_CONFIG;
	return 0;
}

/* ---- [audit] ---- */

static const setting audit_settings[] = {
	{ "file", T_STRING, DOFF(audit_file), 0, 0 },
	{ "syslog", T_BOOL, DOFF(audit_syslog), 0, 0 },
	{ "checkpoint_key", T_STRING, DOFF(audit_key), 0, 0 },
	{ "checkpoint_every", T_UINT, DOFF(audit_checkpoint_every), 1, 1000000 },
	{ "checkpoint_interval_s", T_UINT, DOFF(audit_checkpoint_interval_s), 1, 86400 },
	{ "anchor_file", T_STRING, DOFF(audit_anchor_file), 0, 0 },
	{ "refusal_records", T_UINT, DOFF(audit_refusal_records), 0, 1000000 },
	{ "refusal_window_s", T_UINT, DOFF(audit_refusal_window_s), 1, 86400 },
	{ "verify", T_BOOL, DOFF(audit_verify), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
audit_begin(struct parse *p, const char *sub)
{
	if (p->audit_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[audit] given twice (first at line %u)", p->audit_lines.header);
		return TB_ERR_CONFIG;
	}
	p->audit_lines.header = p->line;
	return 0;
}

static void *
audit_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->audit_lines;
	return p->cfg;
}

/* The daemon opens the file; a configuration without one is still readable. */
static int
audit_finish(struct parse *p)
{
	if (p->audit_lines.header != 0 && p->cfg->audit_file == NULL) {
		snprintf(p->cur_label, sizeof(p->cur_label), "audit");
		parse_fail(p, TB_ERR_CONFIG, p->audit_lines.header, NULL,
		    "[audit] file is required");
		return TB_ERR_CONFIG;
	}
	/* The checkpoint key lives beside the trail unless placed with the PIN. */
	if (p->cfg->audit_file != NULL && p->cfg->audit_key == NULL &&
	    asprintf(&p->cfg->audit_key, "%s.key", p->cfg->audit_file) == -1) {
		p->cfg->audit_key = NULL;
		parse_fail(p, TB_ERR_NOMEM, 0, NULL, "out of memory");
		return TB_ERR_NOMEM;
	}
	return 0;
}

/* ---- [client "NAME"] ---- */

#define COFF(f) offsetof(tb_client_conf, f)
static const setting client_settings[] = {
	{ "user", T_STRING, COFF(user), 0, 0 },
	{ "group", T_STRING, COFF(group), 0, 0 },
	{ "ops", T_STRING, COFF(ops_text), 0, 0 },
	{ "keys", T_STRING, COFF(keys_text), 0, 0 },
	{ "tls_subject", T_STRING, COFF(tls_subject), 0, 0 },
	{ "tls_cert_sha256", T_STRING, COFF(tls_cert_sha256_text), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct {
	const char *name;
	unsigned bit;
} op_bits[] = {
	{ "sign", TB_OP_SIGN },
	{ "keys", TB_OP_KEYS },
	{ "status", TB_OP_STATUS },
	{ "verify", TB_OP_VERIFY },
	{ "check-cert", TB_OP_CHECK_CERT },
	{ "timestamp", TB_OP_TIMESTAMP },
};

unsigned
tb_config_op_bit(const char *op)
{
	size_t i;

	for (i = 0; i < sizeof(op_bits) / sizeof(op_bits[0]); i++)
		if (strcmp(op_bits[i].name, op) == 0)
			return op_bits[i].bit;
	return 0;
}

static int
client_begin(struct parse *p, const char *sub)
{
	tb_config *c = p->cfg;
	tb_client_conf *cl;
	size_t i;
	void *n;

	if (!key_name_ok(sub)) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "client name '%s' must be 1..%d of A-Z a-z 0-9 _ - .", sub, TB_KEY_NAME_MAX);
		return TB_ERR_CONFIG;
	}
	for (i = 0; i < c->nclients; i++) {
		if (strcmp(c->clients[i].name, sub) == 0) {
			parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
			    "[client \"%s\"] given twice (first at line %u)", sub,
			    c->clients[i].line);
			return TB_ERR_CONFIG;
		}
	}
	if (c->nclients == p->clients_room) {
		p->clients_room = p->clients_room ? 2 * p->clients_room : 4;
		if ((n = realloc(c->clients, p->clients_room * sizeof(*c->clients))) == NULL)
			goto nomem;
		c->clients = n;
		if ((n = realloc(p->client_lines, p->clients_room * sizeof(*p->client_lines))) == NULL)
			goto nomem;
		p->client_lines = n;
	}
	cl = &c->clients[c->nclients];
	memset(cl, 0, sizeof(*cl));
	memset(&p->client_lines[c->nclients], 0, sizeof(p->client_lines[0]));
	if ((cl->name = strdup(sub)) == NULL)
		goto nomem;
	cl->line = p->line;
	p->client_lines[c->nclients].header = p->line;
	c->nclients++;
	return 0;
nomem:
	parse_fail(p, TB_ERR_NOMEM, p->line, NULL, "out of memory");
	return TB_ERR_NOMEM;
}

static void *
client_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->client_lines[p->cfg->nclients - 1];
	return &p->cfg->clients[p->cfg->nclients - 1];
}

/* A group's listed members as uids: a client in the group by membership. */
static int
client_group_resolve(tb_client_conf *cl)
{
	struct group gr, *res = NULL;
	char buf[16384];
	long uid;
	size_t n = 0, i;

	if (getgrnam_r(cl->group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	cl->gid = gr.gr_gid;
	while (gr.gr_mem[n] != NULL)
		n++;
	if (n == 0)
		return 0;
	if ((cl->member_uids = calloc(n, sizeof(*cl->member_uids))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (user_lookup(gr.gr_mem[i], &uid, NULL) == 0)
			cl->member_uids[cl->nmembers++] = (unsigned)uid;
	return 0;
}

/* Splits a list of words (spaces or commas between them); calls fn on each. */
static int
words_each(const char *text, int (*fn)(struct parse *, tb_client_conf *, const char *,
    unsigned), struct parse *p, tb_client_conf *cl, unsigned line)
{
	char word[TB_KEY_NAME_MAX + 2];
	size_t n;

	while (*text != '\0') {
		text += strspn(text, " \t,");
		if ((n = strcspn(text, " \t,")) == 0)
			break;
		if (n > TB_KEY_NAME_MAX) {
			parse_fail(p, TB_ERR_CONFIG, line, NULL, "'%.*s...' is too long", 16, text);
			return TB_ERR_CONFIG;
		}
		memcpy(word, text, n);
		word[n] = '\0';
		if (fn(p, cl, word, line) != 0)
			return TB_ERR_CONFIG;
		text += n;
	}
	return 0;
}

static int
client_op_add(struct parse *p, tb_client_conf *cl, const char *word, unsigned line)
{
	unsigned bit = strcmp(word, "*") == 0 ? TB_OP_ALL : tb_config_op_bit(word);

	if (bit == 0) {
		parse_fail(p, TB_ERR_CONFIG, line, "ops",
		    "'%s' is not one of sign, keys, status, verify, check-cert, timestamp, *", word);
		return TB_ERR_CONFIG;
	}
	cl->ops |= bit;
	return 0;
}

static int
client_key_add(struct parse *p, tb_client_conf *cl, const char *word, unsigned line)
{
	char **n;

	if (strcmp(word, "*") == 0) {
		cl->all_keys = 1;
		return 0;
	}
	/* A key that does not exist is a typo that would deny silently. */
	if (tb_config_key(p->cfg, word) == NULL) {
		parse_fail(p, TB_ERR_CONFIG, line, "keys", "no [key \"%s\"] section", word);
		return TB_ERR_CONFIG;
	}
	if ((n = realloc(cl->keys, (cl->nkeys + 1) * sizeof(*n))) == NULL ||
	    (n[cl->nkeys] = strdup(word)) == NULL) {
		if (n != NULL)
			cl->keys = n;
		parse_fail(p, TB_ERR_NOMEM, line, "keys", "out of memory");
		return TB_ERR_NOMEM;
	}
	cl->keys = n;
	cl->nkeys++;
	return 0;
}

/* "AB:CD:..." or "abcd...": 32 bytes of SHA-256 into out. */
static int
client_fingerprint(const char *text, unsigned char out[32])
{
	size_t n = 0;
	int hi, lo;

	while (*text != '\0') {
		if (*text == ':' && n > 0) {
			text++;
			continue;
		}
		if (n == 32 || (hi = OPENSSL_hexchar2int((unsigned char)text[0])) < 0 ||
		    (lo = OPENSSL_hexchar2int((unsigned char)text[1])) < 0)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		text += 2;
	}
	return n == 32 ? 0 : -1;
}

static int
client_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	tb_client_conf *cl;
	long uid;
	size_t i;

	for (i = 0; i < c->nclients; i++) {
		cl = &c->clients[i];
		snprintf(p->cur_label, sizeof(p->cur_label), "client \"%s\"", cl->name);
		if (cl->user != NULL && cl->group != NULL) {
			parse_fail(p, TB_ERR_CONFIG, cl->line, NULL,
			    "[client \"%s\"] needs either user or group", cl->name);
			return TB_ERR_CONFIG;
		}
		if (cl->user == NULL && cl->group == NULL && cl->tls_subject == NULL &&
		    cl->tls_cert_sha256_text == NULL) {
			parse_fail(p, TB_ERR_CONFIG, cl->line, NULL, "[client \"%s\"] needs either "
			    "user or group, or tls_subject or tls_cert_sha256", cl->name);
			return TB_ERR_CONFIG;
		}
		if (cl->tls_cert_sha256_text != NULL &&
		    client_fingerprint(cl->tls_cert_sha256_text, cl->tls_cert_sha256) != 0) {
			parse_fail(p, TB_ERR_CONFIG, p->client_lines[i].set[5], "tls_cert_sha256",
			    "not 64 hex digits (colons between bytes allowed)");
			return TB_ERR_CONFIG;
		}
		if (cl->user != NULL) {
			if (user_lookup(cl->user, &uid, NULL) != 0) {
				parse_fail(p, TB_ERR_CONFIG, p->client_lines[i].set[0], "user",
				    "no user named '%s'", cl->user);
				return TB_ERR_CONFIG;
			}
			cl->uid = (unsigned)uid;
		}
		if (cl->group != NULL && client_group_resolve(cl) != 0) {
			parse_fail(p, TB_ERR_CONFIG, p->client_lines[i].set[1], "group",
			    "no group named '%s'", cl->group);
			return TB_ERR_CONFIG;
		}
		if (cl->ops_text == NULL) {
			parse_fail(p, TB_ERR_CONFIG, cl->line, NULL,
			    "[client \"%s\"] ops is required", cl->name);
			return TB_ERR_CONFIG;
		}
		if (words_each(cl->ops_text, client_op_add, p, cl, p->client_lines[i].set[2]) != 0)
			return TB_ERR_CONFIG;
		if (cl->keys_text != NULL &&
		    words_each(cl->keys_text, client_key_add, p, cl, p->client_lines[i].set[3]) != 0)
			return TB_ERR_CONFIG;
	}
	return 0;
}

const tb_client_conf *
tb_config_client(const tb_config *cfg, unsigned uid, unsigned gid)
{
	const tb_client_conf *cl;
	size_t i, j;

	for (i = 0; i < cfg->nclients; i++) {
		cl = &cfg->clients[i];
		if (cl->user != NULL && cl->uid == uid)
			return cl;
		if (cl->group == NULL)
			continue;
		if (cl->gid == gid)
			return cl;
		for (j = 0; j < cl->nmembers; j++)
			if (cl->member_uids[j] == uid)
				return cl;
	}
	return NULL;
}

const tb_client_conf *
tb_config_client_tls(const tb_config *cfg, const char *subject, const unsigned char sha256[32])
{
	const tb_client_conf *cl;
	size_t i;

	for (i = 0; i < cfg->nclients; i++) {
		cl = &cfg->clients[i];
		/* A section without a TLS identity is never a TLS client. */
		if (cl->tls_subject == NULL && cl->tls_cert_sha256_text == NULL)
			continue;
		if (cl->tls_subject != NULL && strcmp(cl->tls_subject, subject) != 0)
			continue;
		if (cl->tls_cert_sha256_text != NULL &&
		    CRYPTO_memcmp(cl->tls_cert_sha256, sha256, 32) != 0)
			continue;
		return cl;
	}
	return NULL;
}

const tb_client_conf *
tb_config_client_named(const tb_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nclients; i++)
		if (strcmp(cfg->clients[i].name, name) == 0)
			return &cfg->clients[i];
	return NULL;
}

int
tb_config_client_key_ok(const tb_client_conf *client, const char *name)
{
	size_t i;

	if (client == NULL)
		return 0;
	if (client->all_keys)
		return 1;
	for (i = 0; i < client->nkeys; i++)
		if (strcmp(client->keys[i], name) == 0)
			return 1;
	return 0;
}

/* ---- [revocation] and [issuer "NAME"] ---- */

static const setting revocation_settings[] = {
	{ "required", T_BOOL, DOFF(rev_required), 0, 0 },
	{ "cache_dir", T_STRING, DOFF(rev_cache_dir), 0, 0 },
	{ "ocsp_nonce", T_BOOL, DOFF(rev_ocsp_nonce), 0, 0 },
	{ "ocsp_nonce_required", T_BOOL, DOFF(rev_ocsp_nonce_required), 0, 0 },
	{ "ocsp_max_age_s", T_UINT, DOFF(rev_ocsp_max_age_s), 0, 30U * 86400 },
	{ "ocsp_ttl_s", T_UINT, DOFF(rev_ocsp_ttl_s), 1, 86400 },
	{ "ocsp_cache_entries", T_UINT, DOFF(rev_ocsp_cache_entries), 1, 10000000 },
	{ "clock_skew_s", T_UINT, DOFF(rev_clock_skew_s), 0, 86400 },
	{ "crl_max_bytes", T_SIZE, DOFF(rev_crl_max_bytes), 1024, 1024UL * 1024 * 1024 },
	{ "connect_timeout_ms", T_UINT, DOFF(rev_connect_timeout_ms), 100, 600000 },
	{ "timeout_ms", T_UINT, DOFF(rev_timeout_ms), 100, 3600000 },
	{ "soft_fail", T_BOOL, DOFF(rev_soft_fail), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
revocation_begin(struct parse *p, const char *sub)
{
	if (p->revocation_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[revocation] given twice (first at line %u)", p->revocation_lines.header);
		return TB_ERR_CONFIG;
	}
	p->revocation_lines.header = p->line;
	return 0;
}

static void *
revocation_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->revocation_lines;
	return p->cfg;
}

/* The directory must exist: CRLs written nowhere would not survive a restart. */
static int
revocation_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	struct stat st;

	snprintf(p->cur_label, sizeof(p->cur_label), "revocation");
	/*
	 * The cache is the front's: the signer, reloading the same file as
	 * its own account, may not enter it. The front holds it to its owner
	 * at every load (revocation.c).
	 */
	if (c->rev_cache_dir != NULL && access(c->rev_cache_dir, R_OK | W_OK | X_OK) != 0 &&
	    !(errno == EACCES && geteuid() != 0 && lstat(c->rev_cache_dir, &st) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid != geteuid())) {
		parse_fail(p, TB_ERR_CONFIG, p->revocation_lines.set[1], "cache_dir",
		    "%s: %s", c->rev_cache_dir, strerror(errno));
		return TB_ERR_CONFIG;
	}
	return 0;
}

#define IOFF(f) offsetof(tb_issuer_conf, f)
static const setting issuer_settings[] = {
	{ "certificate", T_STRING, IOFF(certificate), 0, 0 },
	{ "ocsp", T_STRING, IOFF(ocsp_text), 0, 0 },
	{ "crl", T_STRING, IOFF(crl_text), 0, 0 },
	{ "delta_crl", T_STRING, IOFF(delta_text), 0, 0 },
	{ "order", T_STRING, IOFF(order_text), 0, 0 },
	{ "use_certificate_urls", T_BOOL, IOFF(use_certificate_urls), 0, 0 },
	{ "soft_fail", T_BOOL, IOFF(soft_fail), 0, 0 },
	{ "crl_signer", T_STRING, IOFF(crl_signer), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
issuer_begin(struct parse *p, const char *sub)
{
	tb_config *c = p->cfg;
	tb_issuer_conf *is;
	size_t i;
	void *n;

	if (!key_name_ok(sub)) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "issuer name '%s' must be 1..%d of A-Z a-z 0-9 _ - .", sub, TB_KEY_NAME_MAX);
		return TB_ERR_CONFIG;
	}
	for (i = 0; i < c->nissuers; i++) {
		if (strcmp(c->issuers[i].name, sub) == 0) {
			parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
			    "[issuer \"%s\"] given twice (first at line %u)", sub,
			    c->issuers[i].line);
			return TB_ERR_CONFIG;
		}
	}
	if (c->nissuers == TB_CONFIG_MAX_KEYS) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL, "more than %d issuers",
		    TB_CONFIG_MAX_KEYS);
		return TB_ERR_CONFIG;
	}
	if (c->nissuers == p->issuers_room) {
		p->issuers_room = p->issuers_room ? 2 * p->issuers_room : 4;
		if ((n = realloc(c->issuers, p->issuers_room * sizeof(*c->issuers))) == NULL)
			goto nomem;
		c->issuers = n;
		if ((n = realloc(p->issuer_lines, p->issuers_room *
		    sizeof(*p->issuer_lines))) == NULL)
			goto nomem;
		p->issuer_lines = n;
	}
	is = &c->issuers[c->nissuers];
	memset(is, 0, sizeof(*is));
	memset(&p->issuer_lines[c->nissuers], 0, sizeof(p->issuer_lines[0]));
	if ((is->name = strdup(sub)) == NULL)
		goto nomem;
	is->soft_fail = -1;
	is->line = p->line;
	p->issuer_lines[c->nissuers].header = p->line;
	c->nissuers++;
	return 0;
nomem:
	parse_fail(p, TB_ERR_NOMEM, p->line, NULL, "out of memory");
	return TB_ERR_NOMEM;
}

static void *
issuer_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->issuer_lines[p->cfg->nissuers - 1];
	return &p->cfg->issuers[p->cfg->nissuers - 1];
}

/*
 * A URL list: spaces or commas between URLs, at most TB_ISSUER_MAX_URLS,
 * each http:// or https:// with a host. Any other scheme (file:, ldap:,
 * ftp:) is refused here so that no fetch is ever attempted with it.
 */
static int
issuer_urls(struct parse *p, const char *text, const char *key, unsigned line, char **out,
    size_t *n)
{
	size_t len, skip;

	while (text != NULL && *text != '\0') {
		text += strspn(text, " \t,");
		if ((len = strcspn(text, " \t,")) == 0)
			break;
		if (*n == TB_ISSUER_MAX_URLS) {
			parse_fail(p, TB_ERR_CONFIG, line, key, "more than %d URLs",
			    TB_ISSUER_MAX_URLS);
			return TB_ERR_CONFIG;
		}
		skip = strncasecmp(text, "http://", 7) == 0 ? 7 :
		    strncasecmp(text, "https://", 8) == 0 ? 8 : 0;
		if (skip == 0 || len <= skip || text[skip] == '/') {
			parse_fail(p, TB_ERR_CONFIG, line, key,
			    "'%.*s' is not an http:// or https:// URL with a host", (int)len, text);
			return TB_ERR_CONFIG;
		}
		if ((out[*n] = strndup(text, len)) == NULL) {
			parse_fail(p, TB_ERR_NOMEM, line, key, "out of memory");
			return TB_ERR_NOMEM;
		}
		(*n)++;
		text += len;
	}
	return 0;
}

static int
issuer_order(struct parse *p, tb_issuer_conf *is, unsigned line)
{
	const char *t = is->order_text;
	size_t len;
	int src, have;

	if (t == NULL) {
		/* Default: OCSP first, then CRL, of the sources that are there. */
		if (is->nocsp > 0 || is->use_certificate_urls)
			is->order[is->norder++] = 1;
		if (is->ncrl > 0 || is->use_certificate_urls)
			is->order[is->norder++] = 2;
		return 0;
	}
	while (*t != '\0') {
		t += strspn(t, " \t,");
		if ((len = strcspn(t, " \t,")) == 0)
			break;
		if (len == 4 && strncasecmp(t, "ocsp", 4) == 0)
			src = 1;
		else if (len == 3 && strncasecmp(t, "crl", 3) == 0)
			src = 2;
		else {
			parse_fail(p, TB_ERR_CONFIG, line, "order",
			    "'%.*s' is not ocsp or crl", (int)len, t);
			return TB_ERR_CONFIG;
		}
		have = src == 1 ? is->nocsp > 0 : is->ncrl > 0;
		if (is->norder == 2 || (is->norder == 1 && is->order[0] == src)) {
			parse_fail(p, TB_ERR_CONFIG, line, "order",
			    "each of ocsp and crl at most once");
			return TB_ERR_CONFIG;
		}
		if (!have && !is->use_certificate_urls) {
			parse_fail(p, TB_ERR_CONFIG, line, "order",
			    "%s is named but no %s URL is configured", src == 1 ? "ocsp" : "crl",
			    src == 1 ? "ocsp" : "crl");
			return TB_ERR_CONFIG;
		}
		is->order[is->norder++] = src;
		t += len;
	}
	return 0;
}

/* A certificate file that must read as PEM or DER. */
static int
issuer_file_cert(struct parse *p, const char *path, unsigned line, const char *key)
{
	BIO *b = NULL;
	X509 *x = NULL;

	if (key_file_check(p, path, line, key) != 0)
		return TB_ERR_CONFIG;
	if ((b = BIO_new_file(path, "rb")) != NULL &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL && BIO_reset(b) == 0)
		x = d2i_X509_bio(b, NULL);
	ERR_clear_error();
	BIO_free(b);
	if (x == NULL) {
		parse_fail(p, TB_ERR_CONFIG, line, key, "%s: not a PEM or DER certificate", path);
		return TB_ERR_CONFIG;
	}
	X509_free(x);
	return 0;
}

/* The certificate is read here, so that a reload with a wrong file fails whole. */
static int
issuer_cert_check(struct parse *p, const tb_issuer_conf *is, unsigned line,
    unsigned char **der, int *der_len)
{
	X509 *x = NULL;
	tb_error e;
	int r = TB_ERR_CONFIG;

	if (key_file_check(p, is->certificate, line, "certificate") != 0)
		return TB_ERR_CONFIG;
	/* The one certificate reader's rule (libsig/cert_read.c), as the daemon reads it. */
	if (tb_cert_read_file(is->certificate, &x, &e) != 0) {
		parse_fail(p, TB_ERR_CONFIG, line, "certificate", "%s", e.detail);
		goto out;
	}
	*der = NULL;
	if ((*der_len = i2d_X509(x, der)) <= 0) {
		parse_fail(p, TB_ERR_NOMEM, line, "certificate", "out of memory");
		goto out;
	}
	r = 0;
out:
	X509_free(x);
	return r;
}

static int
issuer_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	tb_issuer_conf *is;
	sect_lines *ln;
	unsigned char *der[TB_CONFIG_MAX_KEYS];
	int der_len[TB_CONFIG_MAX_KEYS];
	size_t i, j, nder = 0;
	int r = TB_ERR_CONFIG;

	for (i = 0; i < c->nissuers; i++) {
		is = &c->issuers[i];
		ln = &p->issuer_lines[i];
		snprintf(p->cur_label, sizeof(p->cur_label), "issuer \"%s\"", is->name);
		if (is->certificate == NULL) {
			parse_fail(p, TB_ERR_CONFIG, is->line, NULL,
			    "[issuer \"%s\"] certificate is required (the issuing CA's)", is->name);
			goto out;
		}
		if (issuer_cert_check(p, is, ln->set[0], &der[nder], &der_len[nder]) != 0)
			goto out;
		nder++;
		for (j = 0; j + 1 < nder; j++) {
			if (der_len[j] == der_len[nder - 1] &&
			    memcmp(der[j], der[nder - 1], (size_t)der_len[j]) == 0) {
				parse_fail(p, TB_ERR_CONFIG, ln->set[0], "certificate",
				    "the same CA as [issuer \"%s\"]", c->issuers[j].name);
				goto out;
			}
		}
		if (issuer_urls(p, is->ocsp_text, "ocsp", ln->set[1], is->ocsp, &is->nocsp) != 0 ||
		    issuer_urls(p, is->crl_text, "crl", ln->set[2], is->crl, &is->ncrl) != 0 ||
		    issuer_urls(p, is->delta_text, "delta_crl", ln->set[3], is->delta,
		    &is->ndelta) != 0)
			goto out;
		if (is->ndelta > 0 && is->ncrl == 0) {
			parse_fail(p, TB_ERR_CONFIG, ln->set[3], "delta_crl",
			    "a delta CRL applies over a complete CRL: crl is needed too");
			goto out;
		}
		if (is->nocsp == 0 && is->ncrl == 0 && !is->use_certificate_urls) {
			parse_fail(p, TB_ERR_CONFIG, is->line, NULL,
			    "[issuer \"%s\"] needs ocsp or crl URLs (or use_certificate_urls = yes)",
			    is->name);
			goto out;
		}
		if (issuer_order(p, is, ln->set[4]) != 0)
			goto out;
		/* Read here like the certificate; the checker refuses one that is
		 * not of the CA's name or not signed by another [issuer]. */
		if (is->crl_signer != NULL && issuer_file_cert(p, is->crl_signer, ln->set[7],
		    "crl_signer") != 0)
			goto out;
		if (is->soft_fail < 0)
			is->soft_fail = c->rev_soft_fail;
	}
	r = 0;
out:
	for (i = 0; i < nder; i++)
		OPENSSL_free(der[i]);
	return r;
}

/* ---- [tls] ---- */

static const setting tls_settings[] = {
	{ "listen", T_STRING, DOFF(tls_listen), 0, 0 },
	{ "certificate", T_STRING, DOFF(tls_certificate), 0, 0 },
	{ "private_key", T_STRING, DOFF(tls_private_key), 0, 0 },
	{ "client_ca", T_STRING, DOFF(tls_client_ca), 0, 0 },
	{ "crl", T_STRING, DOFF(tls_crl), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static int
tls_begin(struct parse *p, const char *sub)
{
	(void)sub;
	if (p->tls_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[tls] given twice (first at line %u)", p->tls_lines.header);
		return TB_ERR_CONFIG;
	}
	p->tls_lines.header = p->line;
	return 0;
}

static void *
tls_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->tls_lines;
	return p->cfg;
}

int
tb_config_tls_address(const char *listen, char *host, size_t host_len, unsigned *port)
{
	unsigned char addr[16];
	const char *colon, *h = listen;
	unsigned long n;
	size_t hl;

	if ((colon = strrchr(listen, ':')) == NULL)
		return TB_ERR_CONFIG;
	hl = (size_t)(colon - listen);
	if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') {
		h = listen + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= host_len || parse_ulong(colon + 1, 10, &n) != 0 || n == 0 ||
	    n > 65535)
		return TB_ERR_CONFIG;
	memcpy(host, h, hl);
	host[hl] = '\0';
	/* Literals only: a name would make the bound address depend on DNS. */
	if (inet_pton(h == listen ? AF_INET : AF_INET6, host, addr) != 1)
		return TB_ERR_CONFIG;
	*port = (unsigned)n;
	return 0;
}

static int
tls_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	char host[64];
	unsigned port;
	tb_error e;
	int fd, r;

	snprintf(p->cur_label, sizeof(p->cur_label), "tls");
	if (p->tls_lines.header == 0)
		return 0;
	if (c->tls_listen == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->tls_lines.header, NULL,
		    "[tls] listen is required (HOST:PORT; remove the section to turn TLS off)");
		return TB_ERR_CONFIG;
	}
	if (tb_config_tls_address(c->tls_listen, host, sizeof(host), &port) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->tls_lines.set[0], "listen", "'%s' is not "
		    "IPV4:PORT or [IPV6]:PORT with a literal address", c->tls_listen);
		return TB_ERR_CONFIG;
	}
	if (c->tls_certificate == NULL || c->tls_private_key == NULL ||
	    c->tls_client_ca == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->tls_lines.header, NULL,
		    "[tls] certificate, private_key and client_ca are required");
		return TB_ERR_CONFIG;
	}
	/*
	 * The key is a secret like the PIN: same permission rule. The front,
	 * started as [daemon] user, may not open a key that is root's alone
	 * (the parent opens it and hands it over): it checks what lstat shows.
	 */
	if ((fd = open(c->tls_private_key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 &&
	    errno == EACCES)
		return secret_mode_check(p, TB_ERR_CONFIG, p->tls_lines.set[2], "private_key",
		    c->tls_private_key) == 0 ? 0 : TB_ERR_CONFIG;
	if (fd != -1)
		close(fd);
	if ((r = tb_secret_open(c->tls_private_key, &fd, &e)) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->tls_lines.set[2], "private_key", "%s", e.detail);
		return TB_ERR_CONFIG;
	}
	close(fd);
	return 0;
}

/*
 * The sections tanbad.conf may hold. A new section is one more entry:
 * its settings table and begin/target/finish functions.
 */
/* ---- [metrics] (absent: no scrape endpoint, the default) ---- */

static const setting metrics_settings[] = {
	{ "listen", T_STRING, DOFF(metrics_listen), 0, 0 },
	{ "socket", T_STRING, DOFF(metrics_socket), 0, 0 },
	{ "socket_mode", T_MODE, DOFF(metrics_socket_mode), 0, 0777 },
	{ NULL, 0, 0, 0, 0 }
};

static int
metrics_begin(struct parse *p, const char *sub)
{
	(void)sub;
	if (p->metrics_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[metrics] given twice (first at line %u)", p->metrics_lines.header);
		return TB_ERR_CONFIG;
	}
	p->metrics_lines.header = p->line;
	return 0;
}

static void *
metrics_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->metrics_lines;
	return p->cfg;
}

/* The metrics are figures, not secrets, but only the host itself may scrape. */
static int
metrics_finish(struct parse *p)
{
	tb_config *c = p->cfg;
	struct sockaddr_un sun;
	char host[64];
	unsigned port;

	snprintf(p->cur_label, sizeof(p->cur_label), "metrics");
	if (p->metrics_lines.header == 0)
		return 0;
	if ((c->metrics_listen == NULL) == (c->metrics_socket == NULL)) {
		parse_fail(p, TB_ERR_CONFIG, p->metrics_lines.header, NULL, "[metrics] needs "
		    "exactly one of listen (a loopback HOST:PORT) and socket (a path)");
		return TB_ERR_CONFIG;
	}
	if (c->metrics_listen != NULL &&
	    (tb_config_tls_address(c->metrics_listen, host, sizeof(host), &port) != 0 ||
	    (strncmp(host, "127.", 4) != 0 && strcmp(host, "::1") != 0))) {
		parse_fail(p, TB_ERR_CONFIG, p->metrics_lines.set[0], "listen", "'%s' is not "
		    "127.x.y.z:PORT or [::1]:PORT (loopback only)", c->metrics_listen);
		return TB_ERR_CONFIG;
	}
	if (c->metrics_socket != NULL && (c->metrics_socket[0] != '/' ||
	    strlen(c->metrics_socket) >= sizeof(sun.sun_path))) {
		parse_fail(p, TB_ERR_CONFIG, p->metrics_lines.set[1], "socket",
		    "not an absolute path of at most %zu bytes", sizeof(sun.sun_path) - 1);
		return TB_ERR_CONFIG;
	}
	return 0;
}

/* ---- [tsa] (absent: tokens are judged with the [verify] anchors) ---- */

static const setting tsa_settings[] = {
	{ "anchors", T_STRING, DOFF(tsa_anchors), 0, 0 },
	{ "url", T_STRING, DOFF(tsa_url), 0, 0 },
	{ "policy", T_STRING, DOFF(tsa_policy), 0, 0 },
	{ "hash", T_STRING, DOFF(tsa_hash), 0, 0 },
	{ "connect_timeout_ms", T_UINT, DOFF(tsa_connect_timeout_ms), 10, 600000 },
	{ "timeout_ms", T_UINT, DOFF(tsa_timeout_ms), 10, 600000 },
	{ "max_token_bytes", T_UINT, DOFF(tsa_max_token_bytes), 1024, 1048576 },
	{ NULL, 0, 0, 0, 0 }
};

static int
tsa_begin(struct parse *p, const char *sub)
{
	(void)sub;
	if (p->tsa_lines.header != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "[tsa] given twice (first at line %u)", p->tsa_lines.header);
		return TB_ERR_CONFIG;
	}
	p->tsa_lines.header = p->line;
	return 0;
}

static void *
tsa_target(struct parse *p, sect_lines **lines)
{
	*lines = &p->tsa_lines;
	return p->cfg;
}

static int
tsa_finish(struct parse *p)
{
	snprintf(p->cur_label, sizeof(p->cur_label), "tsa");
	if (p->cfg->tsa_anchors != NULL &&
	    key_file_check(p, p->cfg->tsa_anchors, p->tsa_lines.set[0], "anchors") != 0)
		return TB_ERR_CONFIG;
	if (p->cfg->tsa_url != NULL && strncmp(p->cfg->tsa_url, "http://", 7) != 0 &&
	    strncmp(p->cfg->tsa_url, "https://", 8) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->tsa_lines.set[1], "url", "not an http(s) URL");
		return TB_ERR_CONFIG;
	}
	if (p->cfg->tsa_policy != NULL &&
	    (verify_policies_check(p, p->cfg->tsa_policy, p->tsa_lines.set[2]) != 0 ||
	    strpbrk(p->cfg->tsa_policy, " \t,") != NULL)) {
		parse_fail(p, TB_ERR_CONFIG, p->tsa_lines.set[2], "policy", "one dotted OID");
		return TB_ERR_CONFIG;
	}
	return 0;
}

static const section_def sections[] = {
	{ "daemon", 0, daemon_settings, daemon_begin, daemon_target, daemon_finish },
	{ "token", 0, token_settings, token_begin, token_target, token_finish },
	{ "key", 1, key_settings, key_begin, key_target, key_finish },
	{ "verify", 0, verify_settings, verify_begin, verify_target, verify_finish },
	{ "audit", 0, audit_settings, audit_begin, audit_target, audit_finish },
	{ "client", 1, client_settings, client_begin, client_target, client_finish },
	{ "revocation", 0, revocation_settings, revocation_begin, revocation_target,
	    revocation_finish },
	{ "issuer", 1, issuer_settings, issuer_begin, issuer_target, issuer_finish },
	{ "tls", 0, tls_settings, tls_begin, tls_target, tls_finish },
	{ "metrics", 0, metrics_settings, metrics_begin, metrics_target, metrics_finish },
	{ "tsa", 0, tsa_settings, tsa_begin, tsa_target, tsa_finish },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* ---- values ---- */

static int
parse_ulong(const char *v, int base, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*v == '\0' || *v == '-' || *v == '+' || *v == ' ')
		return -1;
	errno = 0;
	n = strtoul(v, &end, base);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

const char *
tb_config_digest_name(int md_nid)
{
	switch (md_nid) {
	case NID_sha256: return "sha256";
	case NID_sha384: return "sha384";
	case NID_sha512: return "sha512";
	default: return NULL;
	}
}

/*
 * A signature spends most of its time waiting: for a token session, then
 * for the audit record's fdatasync, which one thread makes for every record
 * written meanwhile. Twice the sessions keeps the token busy while the last
 * signatures wait for their sync; the 16 more give each sync a batch.
 */
unsigned
tb_config_sign_workers(const tb_config *cfg)
{
	unsigned n;

	if (cfg->sign_workers != 0)
		return cfg->sign_workers;
	n = 2 * cfg->max_sessions + 16;
	return n > 256 ? 256 : n;
}

int
tb_config_digest_nid(const char *name)
{
	if (strcmp(name, "sha256") == 0)
		return NID_sha256;
	if (strcmp(name, "sha384") == 0)
		return NID_sha384;
	if (strcmp(name, "sha512") == 0)
		return NID_sha512;
	return 0;
}

static int
setting_apply(struct parse *p, const setting *s, void *base, const char *v)
{
	unsigned char *field = (unsigned char *)base + s->offset;
	unsigned long n;
	enum tb_log_level lvl;
	char *copy;
	int b, nid;

	switch (s->type) {
	case T_STRING:
		if (*v == '\0')
			goto bad;
		if ((copy = strdup(v)) == NULL) {
			parse_fail(p, TB_ERR_NOMEM, p->line, s->key, "out of memory");
			return TB_ERR_NOMEM;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	case T_UINT:
	case T_SIZE:
		if (parse_ulong(v, 10, &n) != 0 || n < s->min || n > s->max) {
			parse_fail(p, TB_ERR_CONFIG, p->line, s->key,
			    "'%s' is not a whole number in %lu..%lu", v, s->min, s->max);
			return TB_ERR_CONFIG;
		}
		if (s->type == T_UINT)
			*(unsigned *)field = (unsigned)n;
		else
			*(size_t *)field = (size_t)n;
		return 0;
	case T_MODE:
		if (strlen(v) > 4 || parse_ulong(v, 8, &n) != 0 || n > s->max) {
			parse_fail(p, TB_ERR_CONFIG, p->line, s->key,
			    "'%s' is not an octal mode such as 0660", v);
			return TB_ERR_CONFIG;
		}
		*(unsigned *)field = (unsigned)n;
		return 0;
	case T_BOOL:
		if (parse_bool(v, &b) != 0) {
			parse_fail(p, TB_ERR_CONFIG, p->line, s->key,
			    "'%s' is not yes or no", v);
			return TB_ERR_CONFIG;
		}
		*(int *)field = b;
		return 0;
	case T_LOGLEVEL:
		if (tb_log_level_parse(v, &lvl) != 0) {
			parse_fail(p, TB_ERR_CONFIG, p->line, s->key,
			    "'%s' is not one of error, warn, info, debug", v);
			return TB_ERR_CONFIG;
		}
		*(enum tb_log_level *)field = lvl;
		return 0;
	case T_DIGEST:
		if ((nid = tb_config_digest_nid(v)) == 0) {
			parse_fail(p, TB_ERR_CONFIG, p->line, s->key,
			    "'%s' is not one of sha256, sha384, sha512", v);
			return TB_ERR_CONFIG;
		}
		*(int *)field = nid;
		return 0;
	}
bad:
	parse_fail(p, TB_ERR_CONFIG, p->line, s->key, "a value is required");
	return TB_ERR_CONFIG;
}

/* inih calls this for each name = value, right after reading its line. */
static int
on_value(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const setting *s;
	sect_lines *lines;
	void *base;
	size_t i;

	if (p->failed)
		return 1;
	if (p->cur == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "'%s' outside of any section", name);
		return 0;
	}
	for (i = 0, s = p->cur->settings; s->key != NULL; s++, i++)
		if (strcmp(s->key, name) == 0)
			break;
	if (s->key == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, name, "unknown key");
		return 0;
	}
	base = p->cur->target(p, &lines);
	if (lines->set[i] != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, name,
		    "given twice (first at line %u)", lines->set[i]);
		return 0;
	}
	lines->set[i] = p->line;
	return setting_apply(p, s, base, value) == 0;
}

/* Splits `key "NAME"` into its two parts, in place. */
static int
section_split(char *text, char **word, char **sub)
{
	char *q, *end;
	size_t len;

	*word = text;
	*sub = NULL;
	if ((q = strpbrk(text, " \t\"")) == NULL)
		return 0;
	end = q;
	while (*q == ' ' || *q == '\t')
		q++;
	len = strlen(q);
	if (*q != '"' || len < 2 || q[len - 1] != '"' || end == text)
		return -1;
	/* Cut the quotes before the word: q may begin where the word ends. */
	q[len - 1] = '\0';
	*sub = q + 1;
	*end = '\0';
	return strchr(*sub, '"') != NULL ? -1 : 0;
}

/* A section header line: find its definition and begin an instance. */
static void
on_header(struct parse *p, const char *line)
{
	char buf[256], *close, *word, *sub;
	const section_def *def = NULL;
	size_t i;

	p->cur = NULL;
	snprintf(buf, sizeof(buf), "%s", line + 1);
	if ((close = strchr(buf, ']')) == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL, "section header without ']'");
		return;
	}
	*close = '\0';
	while (close > buf && (close[-1] == ' ' || close[-1] == '\t'))
		*--close = '\0';
	if (section_split(buf, &word, &sub) != 0) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "section header [%s] is not [name] or [name \"SUB\"]", buf);
		return;
	}
	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i].name, word) == 0)
			def = &sections[i];
	if (def == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL, "unknown section [%s]", word);
		return;
	}
	if (def->named && sub == NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "section [%s] needs a name: [%s \"NAME\"]", word, word);
		return;
	}
	if (!def->named && sub != NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "section [%s] takes no name", word);
		return;
	}
	if (sub != NULL)
		snprintf(p->cur_label, sizeof(p->cur_label), "%s \"%s\"", word, sub);
	else
		snprintf(p->cur_label, sizeof(p->cur_label), "%s", word);
	if (def->begin(p, sub) == 0)
		p->cur = def;
}

/*
 * inih's line reader. Counting lines here gives every error its line
 * number, and seeing headers here lets an empty or unknown section be
 * refused too (inih reports only name = value pairs).
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *start, *nl;
	size_t n, avail, skip = 0;

	if (p->pos >= p->len)
		return NULL;
	start = p->text + p->pos;
	avail = p->len - p->pos;
	nl = memchr(start, '\n', avail);
	n = nl != NULL ? (size_t)(nl - start) + 1 : avail;
	p->pos += n;
	p->line++;
	if (n >= (size_t)num) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL,
		    "line longer than %d characters", num - 2);
		/* Hand inih a comment so that the rest of the line is not parsed. */
		snprintf(str, (size_t)num, ";\n");
		return str;
	}
	memcpy(str, start, n);
	str[n] = '\0';
	if (memchr(start, '\0', n) != NULL) {
		parse_fail(p, TB_ERR_CONFIG, p->line, NULL, "NUL byte in the file");
		return str;
	}
	if (p->line == 1 && n >= 3 && memcmp(str, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	while (str[skip] == ' ' || str[skip] == '\t')
		skip++;
	if (str[skip] == '[' && !p->failed)
		on_header(p, str + skip);
	return str;
}

static void
config_free(tb_config *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		free(c->keys[i].uri);
		free(c->keys[i].certificate);
		free(c->keys[i].chain);
		free(c->keys[i].p12);
		free(c->keys[i].p12_password_file);
	}
	free(c->keys);
	for (i = 0; i < c->nclients; i++) {
		for (j = 0; j < c->clients[i].nkeys; j++)
			free(c->clients[i].keys[j]);
		free(c->clients[i].keys);
		free(c->clients[i].member_uids);
		free(c->clients[i].name);
		free(c->clients[i].user);
		free(c->clients[i].group);
		free(c->clients[i].ops_text);
		free(c->clients[i].keys_text);
		free(c->clients[i].tls_subject);
		free(c->clients[i].tls_cert_sha256_text);
	}
	free(c->tls_listen);
	free(c->metrics_listen);
	free(c->metrics_socket);
	free(c->tsa_anchors);
	free(c->tsa_url);
	free(c->tsa_policy);
	free(c->tsa_hash);
	free(c->tls_certificate);
	free(c->tls_private_key);
	free(c->tls_client_ca);
	free(c->tls_crl);
	free(c->clients);
	free(c->user);
	free(c->group);
	free(c->signer_user);
	free(c->signer_group);
	free(c->socket_owner);
	free(c->pid_file);
	free(c->socket_group);
	free(c->audit_file);
	free(c->audit_key);
	free(c->audit_anchor_file);
	free(c->path);
	free(c->socket);
	free(c->module);
	free(c->pin_file);
	free(c->verify_anchors);
	free(c->verify_untrusted);
	free(c->verify_policies);
	for (i = 0; i < c->nissuers; i++) {
		free(c->issuers[i].name);
		free(c->issuers[i].certificate);
		free(c->issuers[i].crl_signer);
		free(c->issuers[i].ocsp_text);
		free(c->issuers[i].crl_text);
		free(c->issuers[i].delta_text);
		free(c->issuers[i].order_text);
		for (j = 0; j < c->issuers[i].nocsp; j++)
			free(c->issuers[i].ocsp[j]);
		for (j = 0; j < c->issuers[i].ncrl; j++)
			free(c->issuers[i].crl[j]);
		for (j = 0; j < c->issuers[i].ndelta; j++)
			free(c->issuers[i].delta[j]);
	}
	free(c->issuers);
	free(c->rev_cache_dir);
	free((char *)c - offsetof(struct config_box, cfg));
}

int
tb_config_parse(const char *name, const char *text, size_t len, tb_config **out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, ir;
	struct config_box *box;
	struct parse p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.file = name;
	p.text = text;
	p.len = len;
	if ((box = calloc(1, sizeof(*box))) == NULL)
		return tb_error_set(err, TB_ERR_NOMEM, "config");
	atomic_init(&box->refs, 1);
	p.cfg = &box->cfg;
	p.cfg->socket_mode = 0660;
	p.cfg->max_frame_bytes = 16777216;
	p.cfg->max_connections = 1024;
	p.cfg->max_inflight_per_connection = 32;
	p.cfg->read_timeout_s = 10;
	p.cfg->idle_timeout_s = 300;
	p.cfg->log_level = TB_LOG_INFO;
	p.cfg->max_sessions = 4;
	p.cfg->sandbox = p.cfg->token_sandbox = 1;
	p.cfg->rate_per_client = 200;
	p.cfg->rate_burst = 400;
	p.cfg->expiry_warning_days = 30;
	p.cfg->verify_check_iin_checksum = 1;
	p.cfg->verify_max_time_ms = TB_BUDGET_DEFAULT_TIME_MS;
	p.cfg->verify_max_sig_checks = TB_BUDGET_DEFAULT_SIG_CHECKS;
	p.cfg->verify_max_candidates = TB_BUDGET_DEFAULT_CANDIDATES;
	p.cfg->verify_max_nc_checks = TB_BUDGET_DEFAULT_NC_CHECKS;
	p.cfg->verify_min_rsa_bits = 2048;
	p.cfg->verify_min_ec_bits = 256;
	p.cfg->verify_xml_max_depth = TB_XML_DEFAULT_DEPTH;
	p.cfg->verify_xml_max_nodes = TB_XML_DEFAULT_NODES;
	p.cfg->verify_xml_max_signatures = TB_XML_DEFAULT_SIGNATURES;
	p.cfg->verify_xml_max_references = TB_XML_DEFAULT_REFERENCES;
	p.cfg->verify_xml_max_transforms = TB_XML_DEFAULT_TRANSFORMS;
	p.cfg->verify_xml_max_certs = TB_XML_DEFAULT_CERTS;
	p.cfg->verify_xml_max_attributes = TB_XML_DEFAULT_ATTRIBUTES;
	p.cfg->control_workers = 2;
	p.cfg->intake_workers = 2;
	p.cfg->control_queue = 64;
	p.cfg->intake_queue = 64;
	p.cfg->verify_queue = 256;
	p.cfg->sign_queue = 256;
	p.cfg->control_deadline_ms = 5000;
	p.cfg->verify_deadline_ms = 30000;
	p.cfg->sign_deadline_ms = 30000;
	p.cfg->sign_batch_max = 100;
	p.cfg->max_connections_per_client = 64;
	p.cfg->max_inflight_per_client = 256;
	p.cfg->first_frame_timeout_s = 5;
	p.cfg->metrics_socket_mode = 0660;
	p.cfg->tsa_connect_timeout_ms = 5000;
	p.cfg->tsa_timeout_ms = 10000;
	p.cfg->tsa_max_token_bytes = 65536;
	p.cfg->rev_required = 1;
	p.cfg->rev_ocsp_nonce = p.cfg->rev_ocsp_nonce_required = 1;
	p.cfg->rev_ocsp_ttl_s = 300;
	p.cfg->rev_ocsp_cache_entries = 10000;
	p.cfg->verify_max_policy_nodes = 1000;
	p.cfg->rev_clock_skew_s = 300;
	p.cfg->rev_crl_max_bytes = 64UL * 1024 * 1024;
	p.cfg->rev_connect_timeout_ms = 5000;
	p.cfg->rev_timeout_ms = 30000;
	p.cfg->audit_checkpoint_every = 1000;
	p.cfg->audit_checkpoint_interval_s = 60;
	p.cfg->audit_refusal_records = 10;
	p.cfg->audit_refusal_window_s = 60;
	p.cfg->user_uid = p.cfg->user_gid = -1;
	p.cfg->signer_uid = p.cfg->signer_gid = -1;
	p.cfg->socket_uid = p.cfg->socket_gid = -1;
	if ((p.cfg->path = strdup(name)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "config");
		goto out;
	}
	ir = ini_parse_stream(read_line, &p, on_value, &p);
	if (ir < 0 && !p.failed)
		parse_fail(&p, TB_ERR_NOMEM, 0, NULL, "out of memory");
	if (ir > 0 && !p.failed)
		parse_fail(&p, TB_ERR_CONFIG, (unsigned)ir, NULL,
		    "not a [section] header, a name = value line or a comment");
	for (i = 0; i < NSECTIONS && !p.failed; i++)
		(void)sections[i].finish(&p);
	if (p.failed) {
		r = p.err.code;
		if (err != NULL)
			*err = p.err;
		goto out;
	}
	*out = p.cfg;
	p.cfg = NULL;
	r = 0;
out:
	config_free(p.cfg);
	free(p.key_lines);
	free(p.client_lines);
	free(p.issuer_lines);
	return r;
}

int
tb_config_load(const char *path, tb_config **out, tb_error *err)
{
	unsigned char *text = NULL;
	size_t len = 0;
	tb_error e;
	int r;

	if ((r = tb_file_read(path, CONFIG_FILE_MAX, &text, &len, &e)) != 0)
		return tb_error_set(err, r == TB_ERR_TOO_LARGE ? TB_ERR_CONFIG : TB_ERR_IO,
		    "%s", e.detail);
	r = tb_config_parse(path, (const char *)text, len, out, err);
	free(text);
	return r;
}

tb_config *
tb_config_ref(tb_config *cfg)
{
	struct config_box *box = (struct config_box *)((char *)cfg -
	    offsetof(struct config_box, cfg));

	atomic_fetch_add(&box->refs, 1);
	return cfg;
}

void
tb_config_unref(tb_config *cfg)
{
	struct config_box *box;

	if (cfg == NULL)
		return;
	box = (struct config_box *)((char *)cfg - offsetof(struct config_box, cfg));
	if (atomic_fetch_sub(&box->refs, 1) == 1)
		config_free(cfg);
}

const tb_key_conf *
tb_config_key(const tb_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nkeys; i++)
		if (strcmp(cfg->keys[i].name, name) == 0)
			return &cfg->keys[i];
	return NULL;
}
