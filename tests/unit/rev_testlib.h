/*
 * Fixtures shared by the revocation tests that run against servers on
 * loopback (test_rev_net, test_netfault): the environment their shell
 * script sets, the test PKI's certificates, URLs under a server's base and
 * the checker configuration they start from. Test code only.
 */
#ifndef TB_REV_TESTLIB_H
#define TB_REV_TESTLIB_H

#include <openssl/x509.h>

#include "rev_checker.h"

/* The value of name; fails the test when the shell script did not set it. */
const char *revt_env(const char *name);

/* $REV_PKI/NAME.pem, read; the caller frees it. Fails the test otherwise. */
X509 *revt_pki_cert(const char *name);

/* $BASE_ENV followed by path; from a ring of 16, so several can be live at once. */
const char *revt_url(const char *base_env, const char *path);

/*
 * conf and ic at their defaults, ic the one issuer ($REV_PKI/ca.pem) of
 * conf, no background refresh; the caller sets the fetch limits.
 */
void revt_conf_reset(tb_rev_conf *conf, tb_rev_issuer_conf *ic);

#endif
