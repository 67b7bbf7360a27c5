/*
 * The last good CRLs on disk: written by atomic rename after they passed
 * every check, read back at start (and checked again: the file may have
 * changed) so that a restart does not wait for the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crl_disk.h"
#include "rev_int.h"
#include "tb_clock.h"
#include "tb_file.h"
#include "tb_log.h"

int
tb_crl_save(const char *dir, const char *name, const unsigned char *der, size_t len,
    tb_error *err)
{
	char tmp[4096], dst[4096];
	size_t off = 0;
	ssize_t w;
	int fd = -1, dfd = -1, r = TB_ERR_INTERNAL;

	if ((size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name) >= sizeof(tmp)) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "CRL cache path too long");
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	while (off < len) {
		if ((w = write(fd, der + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			r = tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	/* The data must be on disk before the name points at it, or a crash
	 * could leave an empty "last good" CRL. */
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		r = tb_error_set(err, TB_ERR_IO, "rename to %s: %s", dst, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0)
		(void)fsync(dfd);
	r = 0;
 out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return r;
}

int
rev_disk_path(const tb_rev_ctx *ctx, const rev_issuer *is, int delta, char *buf, size_t len)
{
	if (ctx->cache_dir == NULL)
		return TB_ERR_INVALID_ARG;
	if ((size_t)snprintf(buf, len, "%s/%s%s", ctx->cache_dir, is->tag,
	    delta ? ".delta.crl" : ".crl") >= len)
		return TB_ERR_INVALID_ARG;
	return 0;
}

void
rev_disk_save(tb_rev_ctx *ctx, rev_issuer *is, int delta, const unsigned char *der,
    size_t len)
{
	char path[4096];
	tb_error e1;

	if (rev_disk_path(ctx, is, delta, path, sizeof(path)) != 0)
		return;
	if (tb_crl_save(ctx->cache_dir, strrchr(path, '/') + 1, der, len, &e1) != 0)
		tb_warn_f(e1.code, "%s", e1.detail);
}

void
rev_disk_load(tb_rev_ctx *ctx, rev_issuer *is, int delta)
{
	unsigned char *der = NULL;
	size_t len = 0;
	char path[4096];
	tb_crl *crl = NULL;
	/* The disk copy passed every check once; it is checked again (the
	 * file may have been changed), but an expired one is still loaded
	 * so that status can show it: lookups refuse it. */
	tb_crl_policy pol = { tb_clock_now(), ctx->conf.clock_skew_s,
	    ctx->conf.crl_max_entries, 1 };
	tb_error e1;
	int by_signer;

	if (rev_disk_path(ctx, is, delta, path, sizeof(path)) != 0)
		return;
	if (tb_file_read(path, ctx->conf.fetch.max_bytes, &der, &len, &e1) != 0)
		return;
	if (rev_crl_load_either(ctx, is, der, len, &pol, 0, &crl, &by_signer, &e1) != 0 ||
	    tb_crl_get_info(crl)->is_delta != delta ||
	    (delta && (is->base == NULL || tb_crl_delta_applies(is->base, crl, &e1) != 0))) {
		tb_warn_f(TB_ERR_REVOCATION_UNKNOWN, "%s: disk copy %s not used: %s", is->name,
		    path, e1.detail);
		tb_crl_free(crl);
		free(der);
		return;
	}
	tb_crl_free(rev_crl_put(is, delta, crl, by_signer, der, len));	/* NULL: at start */
	tb_info_f("%s: %s CRL loaded from %s", is->name, delta ? "delta" : "complete", path);
	free(der);
}

