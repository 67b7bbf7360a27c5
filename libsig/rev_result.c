/*
 * What a revocation check hands back: the result's copy and release, and
 * the joined reasons of an UNKNOWN. Shared by the offline check here and
 * the checker of revocation/.
 */
#include <stdlib.h>
#include <string.h>

#include "revocation.h"

void
tb_rev_result_clear(tb_rev_result *res)
{
	if (res == NULL)
		return;
	free(res->ocsp_der);
	res->ocsp_der = NULL;
	res->ocsp_der_len = 0;
}

int
tb_rev_result_copy(tb_rev_result *dst, const tb_rev_result *src)
{
	*dst = *src;
	dst->ocsp_der = NULL;
	dst->ocsp_der_len = 0;
	if (src->ocsp_der != NULL) {
		if ((dst->ocsp_der = malloc(src->ocsp_der_len)) == NULL)
			return TB_ERR_NOMEM;
		memcpy(dst->ocsp_der, src->ocsp_der, src->ocsp_der_len);
		dst->ocsp_der_len = src->ocsp_der_len;
	}
	return 0;
}

static void
append_raw(char *buf, size_t len, size_t *used, const char *what)
{
	size_t n = strlen(what);

	if (*used + 1 >= len)
		return;
	if (n > len - *used - 1)
		n = len - *used - 1;
	memcpy(buf + *used, what, n);
	*used += n;
	buf[*used] = '\0';
}

/*
 * Reasons are joined and cut at the buffer's end: a long chain of
 * failures still shows its first reasons.
 */
void
tb_rev_detail_add(char *buf, size_t len, const char *prefix, const char *what)
{
	size_t used = strlen(buf);

	if (used > 0)
		append_raw(buf, len, &used, "; ");
	if (prefix != NULL)
		append_raw(buf, len, &used, prefix);
	append_raw(buf, len, &used, what);
}
