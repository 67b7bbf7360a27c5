/*
 * PIN input for tanba-admin: from a file the owner alone may read, or typed
 * at the terminal with echo off. A PIN never comes from argv or the
 * environment, and every buffer that held one is wiped.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "tb_file.h"

/* Reads one line from the terminal fd; echo off when secret. */
static int
tty_read(int fd, const char *prompt, int secret, char *buf, size_t buf_len)
{
	struct termios old, quiet;
	int restore = 0, r = -1;
	size_t len = 0;
	ssize_t n;
	char c;

	/*
	 * Echo goes off before the prompt is shown: whatever is typed once the
	 * prompt is visible must be neither echoed nor flushed away.
	 */
	if (secret && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		if (restore)
			(void)tcsetattr(fd, TCSANOW, &old);
		return -1;
	}
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (len + 1 >= buf_len) {
			len = buf_len;	/* too long: refused below */
			continue;
		}
		buf[len++] = c;
	}
	OPENSSL_cleanse(&c, sizeof(c));
	if (restore) {
		(void)tcsetattr(fd, TCSANOW, &old);
		if (write(fd, "\n", 1) < 0)
			goto out;
	}
	if (len >= buf_len || (n <= 0 && len == 0))
		goto out;
	buf[len] = '\0';
	r = 0;
out:
	if (r != 0)
		OPENSSL_cleanse(buf, buf_len);
	return r;
}

int
admin_tty_line(const char *prompt, char *buf, size_t buf_len)
{
	int fd, r;

	if (!isatty(STDIN_FILENO) || (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	r = tty_read(fd, prompt, 0, buf, buf_len);
	close(fd);
	return r;
}

int
admin_pin_get(const char *path, const char *prompt, int confirm, char *buf,
    size_t buf_len, tb_error *err)
{
	int r = TB_ERR_INTERNAL, fd = -1;
	size_t len = 0;
	char again[ADMIN_PIN_MAX];
	tb_error e;
	char prompt2[128];

	if (path != NULL) {
		if ((r = tb_secret_open(path, &fd, &e)) != 0 ||
		    (r = tb_secret_read(fd, buf, buf_len, &len, &e)) != 0) {
			r = tb_error_set(err, r, "%s file %s: %s", prompt, path, e.detail);
			goto out;
		}
		r = 0;
		goto out;
	}
	if (!isatty(STDIN_FILENO) || (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		r = tb_error_set(err, TB_ERR_PIN_FILE,
		    "%s needed: give it in a file (mode 0600) or run on a terminal", prompt);
		goto out;
	}
	snprintf(prompt2, sizeof(prompt2), "%s: ", prompt);
	if (tty_read(fd, prompt2, 1, buf, buf_len) != 0 || buf[0] == '\0') {
		r = tb_error_set(err, TB_ERR_PIN_FILE, "%s: nothing read", prompt);
		goto out;
	}
	if (confirm) {
		snprintf(prompt2, sizeof(prompt2), "%s again: ", prompt);
		if (tty_read(fd, prompt2, 1, again, sizeof(again)) != 0 ||
		    strcmp(again, buf) != 0) {
			r = tb_error_set(err, TB_ERR_PIN_FILE, "%s: the two entries differ", prompt);
			goto out;
		}
	}
	r = 0;
out:
	OPENSSL_cleanse(again, sizeof(again));
	if (fd != -1)
		close(fd);
	if (r != 0)
		OPENSSL_cleanse(buf, buf_len);
	return r;
}

int
admin_pin_fd(const char *path, const char *prompt, int *fd_out, tb_error *err)
{
	int r = TB_ERR_INTERNAL, fd = -1;
	char pin[ADMIN_PIN_MAX];
	size_t len;

	if (path != NULL) {
		if ((r = tb_secret_open(path, &fd, err)) != 0)
			goto out;
		*fd_out = fd;
		fd = -1;
		r = 0;
		goto out;
	}
	if ((r = admin_pin_get(NULL, prompt, 0, pin, sizeof(pin), err)) != 0)
		goto out;
	/* The token layer reads PINs from a descriptor: an anonymous, unlinked memory file. */
	if ((fd = memfd_create("tanba-admin-pin", MFD_CLOEXEC)) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "memfd_create: %s", strerror(errno));
		goto out;
	}
	len = strlen(pin);
	if (write(fd, pin, len) != (ssize_t)len) {
		r = tb_error_set(err, TB_ERR_IO, "PIN buffer: %s", strerror(errno));
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	r = 0;
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	if (fd != -1)
		close(fd);
	return r;
}
