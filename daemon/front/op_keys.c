/*
 * The keys op: each configured key with its certificate's subject, issuer,
 * serial and validity, whether it can sign now and why not, where it
 * lives (a token, or a file: [key] p12 =) and the digest it signs; only
 * the keys this client may use. Reads the front's snapshot of what the signer
 * process described; makes no token call and no call to the signer.
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "certinfo.h"
#include "cms_sign.h"
#include "gost.h"
#include "daemon.h"
#include "ops.h"
#include "tb_clock.h"

static const char *
key_type_name(int type)
{
	switch (type) {
	case EVP_PKEY_RSA: return "rsa";
	case EVP_PKEY_EC: return "ec";
	default: return "unknown";
	}
}

static const char *
digest_name(int md_nid)
{
	switch (md_nid) {
	case NID_id_GostR3411_2012_512: return "streebog512";
	case NID_id_GostR3411_2012_256: return "streebog256";
	default: return tb_config_digest_name(md_nid);
	}
}

static json_t *
key_entry(const tb_front_key *k, const tb_key_conf *kc, time_t now)
{
	json_t *o = json_object();
	X509 *cert = k->cert;
	EVP_PKEY *pub;
	tb_gost_sig_info gi;
	const char *dn = digest_name(k->md_nid);
	tb_error e;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "name", json_string(k->name));
	/* The front's own parse of the configuration says where the key is. */
	json_object_set_new(o, "store", kc == NULL ? json_null() :
	    json_string(kc->p12 != NULL ? "file" : "token"));
	json_object_set_new(o, "digest", dn != NULL ? json_string(dn) : json_null());
	if (cert != NULL && tb_cms_cert_is_gost(cert) && tb_gost_cert_info(cert, &gi, NULL) == 0) {
		json_object_set_new(o, "type", json_string(gi.name));
		json_object_set_new(o, "bits", json_integer((json_int_t)gi.hash_len * 8));
	} else {
		json_object_set_new(o, "type", json_string(key_type_name(k->key_type)));
		if (cert != NULL && (pub = X509_get0_pubkey(cert)) != NULL)
			json_object_set_new(o, "bits", json_integer(EVP_PKEY_get_bits(pub)));
		else
			json_object_set_new(o, "bits", json_null());
	}
	if (cert == NULL || tb_certinfo_add(o, cert, now, 1) != 0) {
		json_object_set_new(o, "subject", json_null());
		json_object_set_new(o, "issuer", json_null());
		json_object_set_new(o, "serial", json_null());
		json_object_set_new(o, "not_before", json_null());
		json_object_set_new(o, "not_after", json_null());
		json_object_set_new(o, "days_left", json_null());
	}
	if (tb_ks_cert_check(k->name, k->cert, now, &e) == 0) {
		json_object_set_new(o, "usable", json_true());
		json_object_set_new(o, "problem", json_null());
	} else {
		json_object_set_new(o, "usable", json_false());
		json_object_set_new(o, "problem", json_string(e.detail));
	}
	return o;
}

int
tb_op_keys(struct tb_daemon *d, const tb_client *client, json_t *req, json_t *result,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	tb_front_keys *ks = tb_daemon_keys(d);
	tb_config *cfg = tb_daemon_config(d);
	json_t *list = json_array(), *o;
	const tb_front_key *k;
	time_t now = tb_clock_now();
	size_t i;

	if (list == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "keys");
		goto out;
	}
	for (i = 0; i < tb_front_keys_count(ks); i++) {
		k = tb_front_keys_at(ks, i);
		if (!tb_config_client_key_ok(client->acl, k->name))
			continue;
		if ((o = key_entry(k, tb_config_key(cfg, k->name), now)) == NULL ||
		    json_array_append_new(list, o) != 0) {
			r = tb_error_set(err, TB_ERR_NOMEM, "keys");
			goto out;
		}
	}
	json_object_set_new(result, "keys", list);
	list = NULL;
	r = 0;
out:
	json_decref(list);
	tb_config_unref(cfg);
	tb_front_keys_unref(ks);
	return r;
}
