/*
 * tanbad.conf units: a valid file gives the values written (and the
 * defaults for the rest); each kind of bad file is refused with an error
 * that names the file, the line and the key at fault.
 */
#include "config.h"

#include <check.h>
#include <openssl/obj_mac.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "conf.h"

static char dir[] = "/tmp/tb-config-XXXXXX";
static char conf_path[256], pin_path[256], cert_path[256], sock_path[256];
static char pin_line[300], sock_line[300];

/* The valid file, one entry a line; tests replace one line at a time. */
#define NLINES 16
static const char *base[NLINES] = {
	"[daemon]",
	sock_line,
	"socket_mode = 0600",
	"max_frame_bytes = 65536",
	"workers = 3",
	"log_level = debug   ; inline comment",
	"syslog = yes",
	"[token]",
	"module = softhsm2",
	pin_line,
	"max_sessions = 8",
	"[key \"registry\"]",
	"uri = pkcs11:token=tanba;object=registry",
	"digest = sha384",
	"[key \"second\"]",
	"uri = pkcs11:token=tanba;id=%02",
};

static void
setup(void)
{
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf_path, sizeof(conf_path), "%s/tanbad.conf", dir);
	snprintf(pin_path, sizeof(pin_path), "%s/user.pin", dir);
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/tanbad.sock", dir);
	snprintf(pin_line, sizeof(pin_line), "pin_file = %s", pin_path);
	snprintf(sock_line, sizeof(sock_line), "socket = %s", sock_path);
	ck_assert_ptr_nonnull(f = fopen(pin_path, "w"));
	fputs("1234\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(pin_path, 0600), 0);
	ck_assert_ptr_nonnull(f = fopen(cert_path, "w"));
	fputs("not parsed by the config\n", f);
	fclose(f);
}

static void
teardown(void)
{
	unlink(conf_path);
	unlink(pin_path);
	unlink(cert_path);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/*
 * Writes the base file with line `replace` (1-based; 0 for none) replaced
 * by `with` (NULL drops it) and `extra` appended when not NULL.
 */
static void
write_conf(unsigned replace, const char *with, const char *extra)
{
	FILE *f = fopen(conf_path, "w");
	unsigned i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < NLINES; i++) {
		if (i + 1 == replace) {
			if (with != NULL)
				fprintf(f, "%s\n", with);
		} else {
			fprintf(f, "%s\n", base[i]);
		}
	}
	if (extra != NULL)
		fprintf(f, "%s\n", extra);
	fclose(f);
}

/* Loads and expects failure with code and a detail starting "FILE:LINE: " + rest. */
static void
expect_error(int code, unsigned line, const char *rest)
{
	tb_config *cfg = NULL;
	tb_error err;
	char want[512];
	int r;

	r = tb_config_load(conf_path, &cfg, &err);
	ck_assert_msg(r == code, "code %d, want %d (%s)", r, code, r ? err.detail : "");
	ck_assert_ptr_null(cfg);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%u: %s", conf_path, line, rest);
	else
		snprintf(want, sizeof(want), "%s: %s", conf_path, rest);
	ck_assert_msg(strncmp(err.detail, want, strlen(want)) == 0,
	    "error '%s' does not start with '%s'", err.detail, want);
}

START_TEST(valid_file)
{
	tb_config *cfg = NULL;
	const tb_key_conf *k;
	tb_error err;

	write_conf(0, NULL, NULL);
	{
		FILE *f = fopen(conf_path, "a");
		fprintf(f, "[key \"third\"]\nuri = pkcs11:object=third\ncertificate = %s\n"
		    "chain = %s\n", cert_path, cert_path);
		fclose(f);
	}
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_str_eq(cfg->path, conf_path);
	ck_assert_str_eq(cfg->socket, sock_path);
	ck_assert_uint_eq(cfg->socket_mode, 0600);
	ck_assert_uint_eq(cfg->max_frame_bytes, 65536);
	ck_assert_uint_eq(cfg->workers, 3);
	ck_assert_int_eq(cfg->log_level, TB_LOG_DEBUG);
	ck_assert_int_eq(cfg->syslog, 1);
	/* Defaults for what the file leaves out. */
	ck_assert_uint_eq(cfg->max_connections, 1024);
	ck_assert_uint_eq(cfg->max_inflight_per_connection, 32);
	ck_assert_uint_eq(cfg->read_timeout_s, 10);
	ck_assert_uint_eq(cfg->idle_timeout_s, 300);
	ck_assert_str_eq(cfg->module, "softhsm2");
	ck_assert_str_eq(cfg->pin_file, pin_path);
	ck_assert_uint_eq(cfg->max_sessions, 8);
	ck_assert_uint_eq(cfg->nkeys, 3);
	ck_assert_str_eq(cfg->keys[0].name, "registry");
	ck_assert_str_eq(cfg->keys[0].uri, "pkcs11:token=tanba;object=registry");
	ck_assert_int_eq(cfg->keys[0].md_nid, NID_sha384);
	ck_assert_ptr_null(cfg->keys[0].certificate);
	ck_assert_int_eq(cfg->keys[1].md_nid, NID_sha256);
	ck_assert_str_eq(cfg->keys[1].uri, "pkcs11:token=tanba;id=%02");
	k = tb_config_key(cfg, "third");
	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(k->certificate, cert_path);
	ck_assert_str_eq(k->chain, cert_path);
	ck_assert_ptr_null(tb_config_key(cfg, "fourth"));
	/* References: the object lives until the last one goes. */
	ck_assert_ptr_eq(tb_config_ref(cfg), cfg);
	tb_config_unref(cfg);
	ck_assert_str_eq(cfg->socket, sock_path);
	tb_config_unref(cfg);
	tb_config_unref(NULL);
}
END_TEST

START_TEST(workers_zero_means_cpus)
{
	tb_config *cfg = NULL;
	tb_error err;

	write_conf(5, "workers = 0", NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_gt(cfg->workers, 0);
	ck_assert_uint_eq(cfg->workers % 2, 0);
	tb_config_unref(cfg);
}
END_TEST

/* Unset: twice the sessions and 16 more, at most 256; set: as written. */
START_TEST(sign_workers_default_and_set)
{
	tb_config *cfg = NULL;
	tb_error err;

	write_conf(0, NULL, NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(tb_config_sign_workers(cfg), 2 * 8 + 16);
	tb_config_unref(cfg);
	write_conf(11, "max_sessions = 200", NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(tb_config_sign_workers(cfg), 256);
	tb_config_unref(cfg);
	write_conf(5, "workers = 3\nsign_workers = 7", NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(tb_config_sign_workers(cfg), 7);
	tb_config_unref(cfg);
}
END_TEST

/* [verify] RFC 5280 policy inputs: defaults, values, a word that is no OID, a zero limit. */
START_TEST(verify_policy_settings)
{
	tb_config *cfg = NULL;
	tb_error err;

	write_conf(0, NULL, NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_ptr_null(cfg->verify_policies);
	ck_assert_int_eq(cfg->verify_require_explicit_policy, 0);
	ck_assert_int_eq(cfg->verify_inhibit_policy_mapping, 0);
	ck_assert_int_eq(cfg->verify_inhibit_any_policy, 0);
	ck_assert_uint_eq(cfg->verify_max_policy_nodes, 1000);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[verify]\npolicies = 1.2.398.3.3.2.3, 1.2.398.3.3.2.1\n"
	    "require_explicit_policy = yes\ninhibit_policy_mapping = yes\n"
	    "inhibit_any_policy = yes\nmax_policy_nodes = 50");
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_str_eq(cfg->verify_policies, "1.2.398.3.3.2.3, 1.2.398.3.3.2.1");
	ck_assert_int_eq(cfg->verify_require_explicit_policy, 1);
	ck_assert_int_eq(cfg->verify_inhibit_policy_mapping, 1);
	ck_assert_int_eq(cfg->verify_inhibit_any_policy, 1);
	ck_assert_uint_eq(cfg->verify_max_policy_nodes, 50);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[verify]\npolicies = 1.2.398.3.3.2.3 individual_sign");
	expect_error(TB_ERR_CONFIG, NLINES + 2,
	    "[verify] policies: 'individual_sign' is not a dotted OID");
	write_conf(0, NULL, "[verify]\nmax_policy_nodes = 0");
	expect_error(TB_ERR_CONFIG, NLINES + 2, "[verify] max_policy_nodes:");
}
END_TEST

/* [audit]: the checkpoint and refusal defaults, the key beside the file, values as written. */
START_TEST(audit_defaults_and_set)
{
	tb_config *cfg = NULL;
	tb_error err;

	write_conf(0, NULL, "[audit]\nfile = /var/lib/tanba/audit.log");
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_str_eq(cfg->audit_key, "/var/lib/tanba/audit.log.key");
	ck_assert_uint_eq(cfg->audit_checkpoint_every, 1000);
	ck_assert_uint_eq(cfg->audit_checkpoint_interval_s, 60);
	ck_assert_ptr_null(cfg->audit_anchor_file);
	ck_assert_uint_eq(cfg->audit_refusal_records, 10);
	ck_assert_uint_eq(cfg->audit_refusal_window_s, 60);
	ck_assert_int_eq(cfg->audit_verify, 0);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[audit]\nfile = /a.log\ncheckpoint_key = /k\ncheckpoint_every = 5\n"
	    "checkpoint_interval_s = 2\nanchor_file = /b\nrefusal_records = 0\n"
	    "refusal_window_s = 3\nverify = yes");
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_str_eq(cfg->audit_key, "/k");
	ck_assert_uint_eq(cfg->audit_checkpoint_every, 5);
	ck_assert_uint_eq(cfg->audit_checkpoint_interval_s, 2);
	ck_assert_str_eq(cfg->audit_anchor_file, "/b");
	ck_assert_uint_eq(cfg->audit_refusal_records, 0);
	ck_assert_uint_eq(cfg->audit_refusal_window_s, 3);
	ck_assert_int_eq(cfg->audit_verify, 1);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[audit]\nfile = /a.log\ncheckpoint_every = 0");
	expect_error(TB_ERR_CONFIG, NLINES + 3, "[audit] checkpoint_every:");
}
END_TEST

/* The load limits: defaults, budgets that follow max_frame_bytes, [metrics]. */
START_TEST(load_limits)
{
	tb_config *cfg = NULL;
	tb_error err;

	write_conf(0, NULL, NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(cfg->control_workers, 2);
	ck_assert_uint_eq(cfg->control_queue, 64);
	ck_assert_uint_eq(cfg->verify_queue, 256);
	ck_assert_uint_eq(cfg->sign_queue, 256);
	ck_assert_uint_eq(cfg->verify_deadline_ms, 30000);
	ck_assert_uint_eq(cfg->max_connections_per_client, 64);
	ck_assert_uint_eq(cfg->max_inflight_per_client, 256);
	ck_assert_uint_eq(cfg->first_frame_timeout_s, 5);
	ck_assert_uint_eq(cfg->max_buffered_bytes_per_client, 4 * 65536);
	ck_assert_uint_eq(cfg->max_buffered_bytes, 16 * 65536);
	ck_assert_ptr_null(cfg->metrics_listen);
	ck_assert_ptr_null(cfg->metrics_socket);
	tb_config_unref(cfg);
	/* Only the global budget given, smaller than 4 frames: the client's follows it. */
	write_conf(5, "max_buffered_bytes = 140000", "[metrics]\nlisten = [::1]:9464");
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(cfg->max_buffered_bytes_per_client, 140000);
	ck_assert_str_eq(cfg->metrics_listen, "[::1]:9464");
	ck_assert_uint_eq(cfg->metrics_socket_mode, 0660);
	tb_config_unref(cfg);
	write_conf(5, "max_buffered_bytes_per_client = 65536", NULL);
	expect_error(TB_ERR_CONFIG, 5, "[daemon] max_buffered_bytes_per_client: 65536 is less "
	    "than max_frame_bytes");
	write_conf(5, "max_buffered_bytes_per_client = 200000\nmax_buffered_bytes = 100000", NULL);
	expect_error(TB_ERR_CONFIG, 6, "[daemon] max_buffered_bytes: 100000 is less than");
	write_conf(0, NULL, "[metrics]\nlisten = 10.0.0.1:9464");
	expect_error(TB_ERR_CONFIG, 18, "[metrics] listen: '10.0.0.1:9464' is not");
	write_conf(0, NULL, "[metrics]\nlisten = 127.0.0.1:9464\nsocket = /run/m.sock");
	expect_error(TB_ERR_CONFIG, 17, "[metrics] needs exactly one of listen");
}
END_TEST

/* [verify]: the budget, the key floor and the check digit, defaults and set. */
START_TEST(verify_budget_settings)
{
	tb_config *cfg = NULL;
	tb_error err;

	write_conf(0, NULL, NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(cfg->verify_max_time_ms, 2000);
	ck_assert_uint_eq(cfg->verify_max_sig_checks, 100);
	ck_assert_uint_eq(cfg->verify_max_candidates, 1000);
	ck_assert_uint_eq(cfg->verify_max_nc_checks, 10000);
	ck_assert_uint_eq(cfg->verify_min_rsa_bits, 2048);
	ck_assert_uint_eq(cfg->verify_min_ec_bits, 256);
	ck_assert_int_eq(cfg->verify_check_iin_checksum, 1);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[verify]\nmax_time_ms = 500\nmax_signature_checks = 7\n"
	    "max_issuer_candidates = 9\nmax_name_constraint_checks = 11\nmin_rsa_bits = 3072\n"
	    "min_ec_bits = 384\ncheck_iin_checksum = no");
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(cfg->verify_max_time_ms, 500);
	ck_assert_uint_eq(cfg->verify_max_sig_checks, 7);
	ck_assert_uint_eq(cfg->verify_max_candidates, 9);
	ck_assert_uint_eq(cfg->verify_max_nc_checks, 11);
	ck_assert_uint_eq(cfg->verify_min_rsa_bits, 3072);
	ck_assert_uint_eq(cfg->verify_min_ec_bits, 384);
	ck_assert_int_eq(cfg->verify_check_iin_checksum, 0);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[verify]\nmax_time_ms = 0");
	expect_error(TB_ERR_CONFIG, NLINES + 2, "[verify] max_time_ms:");
	write_conf(0, NULL, "[verify]\nmin_rsa_bits = 512");
	expect_error(TB_ERR_CONFIG, NLINES + 2, "[verify] min_rsa_bits:");
}
END_TEST

/* [verify] xml_max_*: the document limits, defaults, set, and refused out of 1..cap. */
START_TEST(verify_xml_limits)
{
	static const char *const bad[] = {
		"xml_max_depth = 0", "xml_max_depth = 257", "xml_max_nodes = -5",
		"xml_max_nodes = 10000001", "xml_max_signatures = 257",
		"xml_max_references = 0", "xml_max_references = 257",
		"xml_max_transforms = 17", "xml_max_certificates = 65",
		"xml_max_attributes = 0", "xml_max_attributes = -1", "xml_max_attributes = 1025",
	};
	tb_config *cfg = NULL;
	tb_error err;
	char text[128], want[64];
	size_t i;

	write_conf(0, NULL, NULL);
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(cfg->verify_xml_max_depth, 64);
	ck_assert_uint_eq(cfg->verify_xml_max_nodes, 200000);
	ck_assert_uint_eq(cfg->verify_xml_max_signatures, 16);
	ck_assert_uint_eq(cfg->verify_xml_max_references, 16);
	ck_assert_uint_eq(cfg->verify_xml_max_transforms, 4);
	ck_assert_uint_eq(cfg->verify_xml_max_certs, 8);
	ck_assert_uint_eq(cfg->verify_xml_max_attributes, 256);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[verify]\nxml_max_depth = 256\nxml_max_nodes = 10\n"
	    "xml_max_signatures = 1\nxml_max_references = 2\nxml_max_transforms = 3\n"
	    "xml_max_certificates = 64\nxml_max_attributes = 1024");
	ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
	ck_assert_uint_eq(cfg->verify_xml_max_depth, 256);
	ck_assert_uint_eq(cfg->verify_xml_max_nodes, 10);
	ck_assert_uint_eq(cfg->verify_xml_max_signatures, 1);
	ck_assert_uint_eq(cfg->verify_xml_max_references, 2);
	ck_assert_uint_eq(cfg->verify_xml_max_transforms, 3);
	ck_assert_uint_eq(cfg->verify_xml_max_certs, 64);
	ck_assert_uint_eq(cfg->verify_xml_max_attributes, 1024);
	tb_config_unref(cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[verify]\n%s", bad[i]);
		snprintf(want, sizeof(want), "[verify] %.*s:", (int)strcspn(bad[i], " "), bad[i]);
		write_conf(0, NULL, text);
		expect_error(TB_ERR_CONFIG, NLINES + 2, want);
	}
}
END_TEST

/* Loads the base file with extra [daemon] lines after syslog; r and the detail. */
static int
load_daemon_lines(const char *lines, tb_config **cfg, tb_error *err)
{
	char text[512];

	snprintf(text, sizeof(text), "syslog = yes\n%s", lines);
	write_conf(7, text, NULL);
	*cfg = NULL;
	return tb_config_load(conf_path, cfg, err);
}

/*
 * signer_user: its own account, neither user nor root; signer_group needs
 * it; without it the signer's ids are user's. daemon and nobody are
 * accounts every Debian system has.
 */
START_TEST(signer_account)
{
	static const struct {
		const char *lines, *want;
	} bad[] = {
		{ "signer_user = nobody", "signer_user needs user" },
		{ "user = daemon\nsigner_user = daemon", "must be an account of its own" },
		{ "user = daemon\nsigner_user = root", "must be an account of its own" },
		{ "user = daemon\nsigner_user = no-such-tanba-user", "no user named" },
		{ "user = daemon\nsigner_group = daemon", "signer_group needs signer_user" },
		{ "user = daemon\nsigner_user = nobody\nsigner_group = no-such-tanba-group",
		    "no group named" },
	};
	const struct passwd *pw;
	long nobody_uid, nobody_gid, daemon_uid;
	tb_config *cfg;
	tb_error err;
	size_t i;

	ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
	nobody_uid = (long)pw->pw_uid;
	nobody_gid = (long)pw->pw_gid;
	ck_assert_ptr_nonnull(pw = getpwnam("daemon"));
	daemon_uid = (long)pw->pw_uid;
	ck_assert_msg(load_daemon_lines("user = daemon\nsigner_user = nobody", &cfg, &err) == 0,
	    "%s", err.detail);
	ck_assert_int_eq(cfg->signer_uid, nobody_uid);
	ck_assert_int_eq(cfg->signer_gid, nobody_gid);
	ck_assert_int_eq(cfg->user_uid, daemon_uid);
	ck_assert_str_eq(cfg->signer_user, "nobody");
	tb_config_unref(cfg);
	ck_assert_msg(load_daemon_lines("user = daemon", &cfg, &err) == 0, "%s", err.detail);
	ck_assert_ptr_null(cfg->signer_user);
	ck_assert_int_eq(cfg->signer_uid, cfg->user_uid);
	ck_assert_int_eq(cfg->signer_gid, cfg->user_gid);
	tb_config_unref(cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(load_daemon_lines(bad[i].lines, &cfg, &err) == TB_ERR_CONFIG,
		    "'%s' accepted", bad[i].lines);
		ck_assert_ptr_null(cfg);
		ck_assert_msg(strstr(err.detail, bad[i].want) != NULL, "'%s': %s, want '%s'",
		    bad[i].lines, err.detail, bad[i].want);
	}
}
END_TEST

/* Each bad value on its own line: the line, the section and the key are named. */
static const struct {
	unsigned line;
	const char *text;
	const char *want;
} bad_values[] = {
	{ 3, "socket_mode = 0999", "[daemon] socket_mode: '0999' is not an octal mode" },
	{ 3, "socket_mode = 01777", "[daemon] socket_mode:" },
	{ 4, "max_frame_bytes = 10", "[daemon] max_frame_bytes: '10' is not a whole number" },
	{ 4, "max_frame_bytes = -5", "[daemon] max_frame_bytes:" },
	{ 4, "max_frame_bytes = 12k", "[daemon] max_frame_bytes:" },
	{ 5, "workers = 100000", "[daemon] workers:" },
	{ 5, "sign_workers = 257", "[daemon] sign_workers:" },
	{ 5, "max_connections = 0", "[daemon] max_connections:" },
	{ 5, "max_inflight_per_connection = 99999", "[daemon] max_inflight_per_connection:" },
	{ 5, "read_timeout_s = 0", "[daemon] read_timeout_s:" },
	{ 5, "idle_timeout_s = forever", "[daemon] idle_timeout_s:" },
	{ 5, "verify_queue = 0", "[daemon] verify_queue:" },
	{ 5, "sign_deadline_ms = 5", "[daemon] sign_deadline_ms:" },
	{ 5, "max_connections_per_client = 0", "[daemon] max_connections_per_client:" },
	{ 5, "first_frame_timeout_s = 0", "[daemon] first_frame_timeout_s:" },
	{ 6, "log_level = loud", "[daemon] log_level: 'loud' is not one of" },
	{ 7, "syslog = maybe", "[daemon] syslog: 'maybe' is not yes or no" },
	{ 2, "socket =", "[daemon] socket: a value is required" },
	{ 11, "max_sessions = 0", "[token] max_sessions:" },
	{ 11, "max_sessions = 257", "[token] max_sessions:" },
	{ 14, "digest = md5", "[key \"registry\"] digest: 'md5' is not one of sha256" },
	{ 14, "digest = SHA256", "[key \"registry\"] digest:" },
	{ 13, "uri = file:///etc/passwd", "[key \"registry\"] uri: 'file:///etc/passwd' is not a pkcs11: URI" },
	{ 14, "certificate = /nonexistent/cert.pem", "[key \"registry\"] certificate: /nonexistent/cert.pem:" },
	{ 14, "chain = /nonexistent/chain.pem", "[key \"registry\"] chain:" },
};

START_TEST(bad_value)
{
	write_conf(bad_values[_i].line, bad_values[_i].text, NULL);
	expect_error(TB_ERR_CONFIG, bad_values[_i].line, bad_values[_i].want);
}
END_TEST

START_TEST(unknown_key)
{
	write_conf(0, NULL, "colour = blue");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "[key \"second\"] colour: unknown key");
	write_conf(9, "modul = softhsm2", NULL);
	expect_error(TB_ERR_CONFIG, 9, "[token] modul: unknown key");
}
END_TEST

START_TEST(unknown_section)
{
	write_conf(0, NULL, "[verifi]\ntrust = x");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "unknown section [verifi]");
	/* Refused even when empty. */
	write_conf(0, NULL, "[extra]");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "unknown section [extra]");
}
END_TEST

START_TEST(bad_section_headers)
{
	write_conf(0, NULL, "[key]");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "section [key] needs a name");
	write_conf(0, NULL, "[token \"x\"]");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "section [token] takes no name");
	write_conf(0, NULL, "[key \"bad name\"]");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "key name 'bad name'");
	write_conf(0, NULL, "[key \"registry\"]\nuri = pkcs11:object=x");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "[key \"registry\"] given twice (first at line 12)");
	write_conf(0, NULL, "[daemon]");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "[daemon] given twice (first at line 1)");
	write_conf(0, NULL, "[daemon");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "section header without ']'");
}
END_TEST

START_TEST(duplicate_key)
{
	write_conf(0, NULL, "uri = pkcs11:object=again");
	expect_error(TB_ERR_CONFIG, NLINES + 1,
	    "[key \"second\"] uri: given twice (first at line 16)");
}
END_TEST

START_TEST(missing_socket)
{
	write_conf(2, NULL, NULL);
	/* The [daemon] header is the line named. */
	expect_error(TB_ERR_CONFIG, 1, "[daemon] socket is required");
}
END_TEST

START_TEST(missing_parts)
{
	write_conf(15, NULL, NULL);
	/* Without its header, "second"'s uri becomes a repeat in "registry". */
	expect_error(TB_ERR_CONFIG, 15, "[key \"registry\"] uri: given twice");
	write_conf(13, "; no uri here", NULL);
	expect_error(TB_ERR_CONFIG, 12, "[key \"registry\"] uri is required");
	write_conf(10, NULL, NULL);
	expect_error(TB_ERR_CONFIG, 8, "[token] pin_file is required");
}
END_TEST

/* [key] p12 =: a file key; its files are the signer's and are not opened here. */
START_TEST(file_key)
{
	tb_config *cfg = NULL;
	const tb_key_conf *k;
	tb_error err;

	write_conf(0, NULL, "[key \"gost\"]\np12 = /nonexistent/signer-only.p12\n"
	    "p12_password_file = /nonexistent/signer-only.pw");
	ck_assert_int_eq(tb_config_load(conf_path, &cfg, &err), 0);
	ck_assert_ptr_nonnull(k = tb_config_key(cfg, "gost"));
	ck_assert_ptr_null(k->uri);
	ck_assert_str_eq(k->p12, "/nonexistent/signer-only.p12");
	ck_assert_str_eq(k->p12_password_file, "/nonexistent/signer-only.pw");
	ck_assert_ptr_null(tb_config_key(cfg, "registry")->p12);
	tb_config_unref(cfg);
	write_conf(0, NULL, "[key \"gost\"]\np12 = /x.p12");
	expect_error(TB_ERR_CONFIG, 17, "[key \"gost\"] p12 needs p12_password_file");
	write_conf(0, NULL, "[key \"gost\"]\np12 = /x.p12\np12_password_file = /x.pw\n"
	    "uri = pkcs11:token=tanba;object=x");
	expect_error(TB_ERR_CONFIG, 17, "[key \"gost\"] uri and p12 exclude each other");
	write_conf(0, NULL, "[key \"gost\"]\np12 = /x.p12\np12_password_file = /x.pw\n"
	    "digest = sha256");
	expect_error(TB_ERR_CONFIG, 20, "[key \"gost\"] digest: not with p12");
	write_conf(0, NULL, "[key \"gost\"]\np12 = /x.p12\np12_password_file = /x.pw\n"
	    "certificate = /x.pem");
	expect_error(TB_ERR_CONFIG, 20, "[key \"gost\"] certificate: not with p12");
	write_conf(0, NULL, "[key \"gost\"]\nuri = pkcs11:token=t;object=o\n"
	    "p12_password_file = /x.pw");
	expect_error(TB_ERR_CONFIG, 19, "[key \"gost\"] p12_password_file: only with p12");
}
END_TEST

START_TEST(no_keys)
{
	FILE *f = fopen(conf_path, "w");
	unsigned i;

	for (i = 0; i < 11; i++)
		fprintf(f, "%s\n", base[i]);
	fclose(f);
	expect_error(TB_ERR_CONFIG, 0, "no [key \"NAME\"] section");
}
END_TEST

START_TEST(world_readable_pin)
{
	ck_assert_int_eq(chmod(pin_path, 0644), 0);
	write_conf(0, NULL, NULL);
	expect_error(TB_ERR_PIN_FILE, 10, "[token] pin_file: ");
	ck_assert_int_eq(chmod(pin_path, 0640), 0);
	expect_error(TB_ERR_PIN_FILE, 10, "[token] pin_file: ");
	ck_assert_int_eq(chmod(pin_path, 0400), 0);
	write_conf(0, NULL, NULL);
	{
		tb_config *cfg = NULL;
		tb_error err;

		ck_assert_msg(tb_config_load(conf_path, &cfg, &err) == 0, "%s", err.detail);
		tb_config_unref(cfg);
	}
}
END_TEST

START_TEST(missing_pin)
{
	unlink(pin_path);
	write_conf(0, NULL, NULL);
	expect_error(TB_ERR_PIN_FILE, 10, "[token] pin_file: ");
}
END_TEST

START_TEST(syntax)
{
	write_conf(0, NULL, "just words");
	expect_error(TB_ERR_CONFIG, NLINES + 1, "not a [section] header");
	write_conf(1, "socket = /tmp/x", NULL);
	expect_error(TB_ERR_CONFIG, 1, "'socket' outside of any section");
}
END_TEST

START_TEST(missing_file)
{
	tb_config *cfg = NULL;
	tb_error err;

	ck_assert_int_eq(tb_config_load("/nonexistent/tanbad.conf", &cfg, &err), TB_ERR_IO);
	ck_assert_ptr_nonnull(strstr(err.detail, "/nonexistent/tanbad.conf"));
}
END_TEST

START_TEST(parse_from_memory)
{
	char text[2048];
	tb_config *cfg = NULL;
	tb_error err;

	snprintf(text, sizeof(text), "[daemon]\nsocket = s\n[token]\nmodule = m\n"
	    "pin_file = %s\n[key \"k\"]\nuri = pkcs11:object=k\n", pin_path);
	ck_assert_msg(tb_config_parse("mem", text, strlen(text), &cfg, &err) == 0, "%s",
	    err.detail);
	ck_assert_str_eq(cfg->socket, "s");
	tb_config_unref(cfg);
	ck_assert_int_eq(tb_config_parse("mem", "[daemon]\nsocket = s\n", 20, &cfg, &err),
	    TB_ERR_CONFIG);
	ck_assert_str_eq(err.detail, "mem: [token] section is required");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_file);
	tcase_add_test(tc, workers_zero_means_cpus);
	tcase_add_test(tc, sign_workers_default_and_set);
	tcase_add_test(tc, verify_policy_settings);
	tcase_add_test(tc, audit_defaults_and_set);
	tcase_add_test(tc, load_limits);
	tcase_add_test(tc, verify_budget_settings);
	tcase_add_test(tc, verify_xml_limits);
	tcase_add_test(tc, signer_account);
	tcase_add_loop_test(tc, bad_value, 0, sizeof(bad_values) / sizeof(bad_values[0]));
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, unknown_section);
	tcase_add_test(tc, bad_section_headers);
	tcase_add_test(tc, duplicate_key);
	tcase_add_test(tc, missing_socket);
	tcase_add_test(tc, missing_parts);
	tcase_add_test(tc, no_keys);
	tcase_add_test(tc, file_key);
	tcase_add_test(tc, world_readable_pin);
	tcase_add_test(tc, missing_pin);
	tcase_add_test(tc, syntax);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, parse_from_memory);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tbt_run(config_suite(), CK_NORMAL);
}
