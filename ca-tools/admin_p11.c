/*
 * tanba-admin's way onto a token: the chosen module, the token a URI
 * names, and the user login, all through the token layer's management API
 * (pkcs11/tb_p11_manage.h). It never keeps a PIN: the buffer serves one
 * login and is wiped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin.h"

int
admin_p11_login(const char *token_uri, const char *pin_file, tb_p11_manage **out,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL;
	char pin[ADMIN_PIN_MAX], *module = NULL;
	tb_p11_manage *m = NULL;

	memset(pin, 0, sizeof(pin));
	if ((module = admin_module_choose()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "module");
		goto out;
	}
	if ((r = tb_p11_manage_open(module, &m, err)) != 0)
		goto out;
	if ((r = admin_pin_get(pin_file, "user PIN", 0, pin, sizeof(pin), err)) != 0)
		goto out;
	if ((r = tb_p11_manage_use_token(m, token_uri, pin, err)) != 0)
		goto out;
	*out = m;
	m = NULL;
	r = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	free(module);
	tb_p11_manage_free(m);
	return r;
}

void
admin_hex(char *dst, size_t dst_len, const unsigned char *v, size_t len)
{
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < dst_len; i++)
		snprintf(dst + 2 * i, 3, "%02x", v[i]);
}
