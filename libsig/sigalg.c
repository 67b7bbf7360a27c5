/*
 * The table of signature algorithms (sigalg.h): RSA PKCS#1 v1.5, RSA-PSS
 * and ECDSA through OpenSSL's EVP layer; anything in the Kazakh GOST arc is
 * handed to libsig/gost.c and nowhere else. It only checks mathematics:
 * whether an algorithm is strong enough is the caller's policy (info).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "gost.h"
#include "sigalg.h"

enum scheme { SCHEME_PKCS1, SCHEME_PSS, SCHEME_ECDSA };

/* The hashes tanba computes; MD5 and SHA-1 only so that they can be named and refused. */
static const struct {
	int nid;
	const char *name;
	int weak;
} mds[] = {
	{ NID_sha256, "sha256", 0 },
	{ NID_sha384, "sha384", 0 },
	{ NID_sha512, "sha512", 0 },
	{ NID_sha224, "sha224", 0 },
	{ NID_sha1, "sha1", 1 },
	{ NID_md5, "md5", 1 },
};

static int
md_index(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++)
		if (mds[i].nid == nid)
			return (int)i;
	return -1;
}

static int
alg_is_gost(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj = NULL;

	if (alg == NULL)
		return 0;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	return obj != NULL && tb_gost_is_gost_oid(obj);
}

static int
spki_is_gost(X509_PUBKEY *spki)
{
	ASN1_OBJECT *obj = NULL;

	if (spki == NULL || !X509_PUBKEY_get0_param(&obj, NULL, NULL, NULL, spki))
		return 0;
	return obj != NULL && tb_gost_is_gost_oid(obj);
}

static void
oid_text(const X509_ALGOR *alg, char *buf, size_t len)
{
	const ASN1_OBJECT *obj = NULL;

	buf[0] = '\0';
	if (alg != NULL)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj == NULL || OBJ_obj2txt(buf, (int)len, obj, 0) <= 0)
		snprintf(buf, len, "?");
}

/* RFC 4055 3.1: RSASSA-PSS-params, with its defaults (SHA-1, MGF1-SHA-1, 20, 1). */
static int
pss_params(const X509_ALGOR *sig_alg, int *md_nid, int *mgf_md_nid, int *saltlen,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, ptype;
	const void *pval = NULL;
	const ASN1_STRING *seq;
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	long salt = 20;

	*md_nid = NID_sha1;
	*mgf_md_nid = NID_sha1;
	X509_ALGOR_get0(NULL, &ptype, &pval, sig_alg);
	if (ptype != V_ASN1_SEQUENCE || pval == NULL) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "RSA-PSS without parameters");
		goto out;
	}
	seq = pval;
	p = ASN1_STRING_get0_data(seq);
	if ((pss = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(seq))) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "RSA-PSS parameters unreadable");
		goto out;
	}
	if (pss->hashAlgorithm != NULL)
		*md_nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (pss->maskGenAlgorithm != NULL) {
		if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
		    pss->maskGenAlgorithm->parameter == NULL ||
		    pss->maskGenAlgorithm->parameter->type != V_ASN1_SEQUENCE) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED, "RSA-PSS mask generation is not MGF1");
			goto out;
		}
		seq = pss->maskGenAlgorithm->parameter->value.sequence;
		p = ASN1_STRING_get0_data(seq);
		if ((mgf_md = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(seq))) == NULL) {
			r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "RSA-PSS MGF1 hash unreadable");
			goto out;
		}
		*mgf_md_nid = OBJ_obj2nid(mgf_md->algorithm);
	}
	if (pss->saltLength != NULL) {
		salt = ASN1_INTEGER_get(pss->saltLength);
		if (salt < 0 || salt > 1024) {
			r = tb_error_set(err, TB_ERR_UNSUPPORTED, "RSA-PSS salt length %ld", salt);
			goto out;
		}
	}
	if (pss->trailerField != NULL && ASN1_INTEGER_get(pss->trailerField) != 1) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "RSA-PSS trailer field is not 1");
		goto out;
	}
	*saltlen = (int)salt;
	r = 0;
out:
	RSA_PSS_PARAMS_free(pss);
	X509_ALGOR_free(mgf_md);
	return r;
}

/* Which scheme and hash a signature AlgorithmIdentifier (and CMS digest) names. */
static int
classify(const X509_ALGOR *digest_alg, const X509_ALGOR *sig_alg, enum scheme *scheme,
    int *md_nid, int *mgf_md_nid, int *saltlen, tb_error *err)
{
	const ASN1_OBJECT *obj = NULL;
	int nid, dig_nid = NID_undef, pk_nid = NID_undef, r;
	char txt[80];

	X509_ALGOR_get0(&obj, NULL, NULL, sig_alg);
	nid = OBJ_obj2nid(obj);
	if (digest_alg != NULL) {
		const ASN1_OBJECT *dobj = NULL;

		X509_ALGOR_get0(&dobj, NULL, NULL, digest_alg);
		dig_nid = OBJ_obj2nid(dobj);
	}
	*mgf_md_nid = NID_undef;
	*saltlen = 0;
	if (nid == NID_rsassaPss) {
		*scheme = SCHEME_PSS;
		if ((r = pss_params(sig_alg, md_nid, mgf_md_nid, saltlen, err)) != 0)
			return r;
	} else if (nid == NID_rsaEncryption || nid == NID_X9_62_id_ecPublicKey) {
		/* RFC 5754 / RFC 5753: the CMS digest algorithm names the hash. */
		*scheme = nid == NID_rsaEncryption ? SCHEME_PKCS1 : SCHEME_ECDSA;
		if (digest_alg == NULL)
			return tb_error_set(err, TB_ERR_UNSUPPORTED,
			    "signature algorithm %s names no hash", OBJ_nid2sn(nid));
		*md_nid = dig_nid;
	} else if (nid != NID_undef && OBJ_find_sigid_algs(nid, md_nid, &pk_nid) &&
	    (pk_nid == NID_rsaEncryption || pk_nid == NID_X9_62_id_ecPublicKey)) {
		*scheme = pk_nid == NID_rsaEncryption ? SCHEME_PKCS1 : SCHEME_ECDSA;
	} else {
		oid_text(sig_alg, txt, sizeof(txt));
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "signature algorithm %s", txt);
	}
	/* RFC 5652 5.4: a SignerInfo's signature hash is its digestAlgorithm. */
	if (digest_alg != NULL && dig_nid != *md_nid)
		return tb_error_set(err, TB_ERR_UNSUPPORTED,
		    "signature hash %s differs from the digest algorithm %s",
		    OBJ_nid2sn(*md_nid), OBJ_nid2sn(dig_nid));
	if (md_index(*md_nid) < 0 || (*scheme == SCHEME_PSS && md_index(*mgf_md_nid) < 0))
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "hash %s",
		    *md_nid == NID_undef ? "unknown" : OBJ_nid2sn(*md_nid));
	return 0;
}

int
tb_sigalg_verify(const X509_ALGOR *digest_alg, const X509_ALGOR *sig_alg,
    X509_PUBKEY *spki, const unsigned char *tbs, size_t tbs_len,
    const unsigned char *sig, size_t sig_len, tb_sigalg_info *info, tb_error *err)
{
	int r = TB_ERR_INTERNAL, md_nid = NID_undef, mgf_md_nid, saltlen, ok;
	enum scheme scheme = SCHEME_PKCS1;
	EVP_PKEY *pkey;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md;
	tb_sigalg_info inf;

	memset(&inf, 0, sizeof(inf));
	if (sig_alg == NULL || spki == NULL || (tbs == NULL && tbs_len != 0) || sig == NULL) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "signature check without its parts");
		goto out;
	}
	/* DESIGN.md "Algorithms": the Kazakh OIDs are the GOST module's alone. */
	if (alg_is_gost(sig_alg) || alg_is_gost(digest_alg) || spki_is_gost(spki)) {
		r = tb_gost_verify(digest_alg, sig_alg, spki, tbs, tbs_len, sig, sig_len,
		    info, err);
		return r;
	}
	if ((r = classify(digest_alg, sig_alg, &scheme, &md_nid, &mgf_md_nid, &saltlen,
	    err)) != 0)
		goto out;
	inf.md_nid = md_nid;
	inf.weak_md = mds[md_index(md_nid)].weak;
	snprintf(inf.name, sizeof(inf.name), "%s-%s",
	    scheme == SCHEME_PKCS1 ? "rsa-pkcs1" : scheme == SCHEME_PSS ? "rsa-pss" : "ecdsa",
	    mds[md_index(md_nid)].name);
	if ((pkey = X509_PUBKEY_get0(spki)) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "public key unreadable or of an unknown type");
		goto out;
	}
	inf.key_bits = EVP_PKEY_get_bits(pkey);
	if (scheme == SCHEME_ECDSA ? !EVP_PKEY_is_a(pkey, "EC") :
	    !(EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS"))) {
		r = tb_error_set(err, TB_ERR_UNSUPPORTED, "%s signature with a %s key", inf.name,
		    EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown");
		goto out;
	}
	md = EVP_get_digestbynid(md_nid);
	if (md == NULL || (mctx = EVP_MD_CTX_new()) == NULL) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "hash %s unavailable",
		    OBJ_nid2sn(md_nid));
		goto out;
	}
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pkey) != 1) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "cannot verify %s", inf.name);
		goto out;
	}
	if (scheme == SCHEME_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_get_digestbynid(mgf_md_nid)) != 1)) {
		r = tb_error_set_ossl(err, TB_ERR_UNSUPPORTED, "cannot set RSA-PSS parameters");
		goto out;
	}
	ok = EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len);
	if (ok != 1) {
		/* A wrong value and an unparsable value are the same to the caller. */
		ERR_clear_error();
		r = tb_error_set(err, TB_ERR_CRYPTO, "%s signature does not verify", inf.name);
		goto out;
	}
	r = 0;
out:
	if (info != NULL && (r == 0 || inf.name[0] != '\0'))
		*info = inf;
	EVP_MD_CTX_free(mctx);
	return r;
}

int
tb_sigalg_digest(const X509_ALGOR *digest_alg, const unsigned char *data,
    size_t len, unsigned char *out, unsigned int *out_len, tb_error *err)
{
	const ASN1_OBJECT *obj = NULL;
	const EVP_MD *md;
	char txt[80];
	int nid;

	if (digest_alg == NULL)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "no digest algorithm");
	if (alg_is_gost(digest_alg))
		return tb_gost_digest(digest_alg, data, len, out, out_len, err);
	X509_ALGOR_get0(&obj, NULL, NULL, digest_alg);
	nid = OBJ_obj2nid(obj);
	if (md_index(nid) < 0 || (md = EVP_get_digestbynid(nid)) == NULL) {
		oid_text(digest_alg, txt, sizeof(txt));
		return tb_error_set(err, TB_ERR_UNSUPPORTED, "digest algorithm %s", txt);
	}
	if (EVP_Digest(data, len, out, out_len, md, NULL) != 1)
		return tb_error_set_ossl(err, TB_ERR_CRYPTO, "digest %s failed", OBJ_nid2sn(nid));
	return 0;
}
