/*
 * tanba sign --add-to FILE.p7s / --countersign N FILE.p7s: the request that
 * asks tanbad to co-sign an existing CMS or to counter-sign one of its
 * signers. The daemon checks the content against the signers already
 * there and leaves their bytes as they are.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tanba.h"
#include "tb_file.h"

#define CONTENT_MAX (64u * 1024 * 1024)

json_t *
tanba_cosign_request(const char *key, const char *cms_path, const char *content_path,
    const char *digest, const char *digest_alg, long countersign, tb_error *err)
{
	unsigned char *cms = NULL, *doc = NULL;
	size_t cms_len = 0, doc_len = 0;
	char *cms_b64 = NULL, *doc_b64 = NULL;
	json_t *req = NULL;

	if (tanba_read_cms(cms_path, &cms, &cms_len, err) != 0)
		goto out;
	if (content_path != NULL && tb_file_read(content_path, CONTENT_MAX, &doc, &doc_len,
	    err) != 0)
		goto out;
	if ((cms_b64 = tanba_b64_encode(cms, cms_len)) == NULL ||
	    (doc != NULL && (doc_b64 = tanba_b64_encode(doc, doc_len)) == NULL) ||
	    (req = json_pack("{s:s, s:s, s:s}", "op", "sign", "key", key, "cms", cms_b64)) ==
	    NULL) {
		tb_error_set(err, TB_ERR_NOMEM, "out of memory building the request");
		goto out;
	}
	if (countersign >= 0)
		json_object_set_new(req, "countersign", json_integer(countersign));
	if (doc_b64 != NULL)
		json_object_set_new(req, "data", json_string(doc_b64));
	if (digest != NULL)
		json_object_set_new(req, "digest", json_string(digest));
	if (digest_alg != NULL)
		json_object_set_new(req, "digest_alg", json_string(digest_alg));
out:
	free(cms);
	free(doc);
	free(cms_b64);
	free(doc_b64);
	return req;
}
