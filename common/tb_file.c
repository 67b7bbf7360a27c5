/*
 * File helpers. Secrets are read into caller-owned buffers only, never
 * into allocations that could outlive the caller's wipe.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tb_file.h"

int
tb_file_read(const char *path, size_t max, unsigned char **out, size_t *out_len,
    tb_error *err)
{
	int r = TB_ERR_INTERNAL, fd = -1;
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *nbuf;
			size_t ncap = cap == 0 ? 65536 : cap * 2;

			if (cap > max) {
				r = tb_error_set(err, TB_ERR_TOO_LARGE,
				    "%s: larger than %zu bytes", path, max);
				goto out;
			}
			if ((nbuf = realloc(buf, ncap + 1)) == NULL) {
				r = tb_error_set(err, TB_ERR_NOMEM, "%s", path);
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = tb_error_set(err, TB_ERR_TOO_LARGE,
			    "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	if (buf == NULL && (buf = malloc(1)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "%s", path);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return r;
}

int
tb_secret_open(const char *path, int *fd_out, tb_error *err)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return tb_error_set(err, TB_ERR_PIN_FILE, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tb_error_set(err, TB_ERR_PIN_FILE, "%s: not a regular file", path);
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return tb_error_set(err, TB_ERR_PIN_FILE,
		    "%s: mode %04o grants access beyond its owner (must be 0600 or 0400)",
		    path, (unsigned)(st.st_mode & 07777));
	}
	*fd_out = fd;
	return 0;
}

int
tb_secret_read(int fd, char *buf, size_t buf_len, size_t *len_out, tb_error *err)
{
	size_t len = 0;
	ssize_t n;

	if (buf_len < 2)
		return tb_error_set(err, TB_ERR_INVALID_ARG, "secret buffer too small");
	while (len < buf_len - 1) {
		n = pread(fd, buf + len, buf_len - 1 - len, (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			OPENSSL_cleanse(buf, buf_len);
			return tb_error_set(err, TB_ERR_PIN_FILE, "read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == buf_len - 1) {
		OPENSSL_cleanse(buf, buf_len);
		return tb_error_set(err, TB_ERR_PIN_FILE, "secret longer than %zu bytes",
		    buf_len - 2);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	if (len == 0)
		return tb_error_set(err, TB_ERR_PIN_FILE, "secret file is empty");
	*len_out = len;
	return 0;
}
