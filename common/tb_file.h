/*
 * Reading whole files with a size limit, and secret files (PINs) with
 * their permissions enforced.
 */
#ifndef TB_FILE_H
#define TB_FILE_H

#include <stddef.h>

#include "tb_err.h"

/* Reads path (at most max bytes) into a new buffer the caller frees. */
int tb_file_read(const char *path, size_t max, unsigned char **out, size_t *out_len,
    tb_error *err);

/*
 * Opens a secret file, refusing one that is not a regular file or whose
 * mode grants anything to group or others. Returns the open descriptor so
 * the secret can be re-read after privileges are dropped.
 */
int tb_secret_open(const char *path, int *fd_out, tb_error *err);
/*
 * Reads the secret from fd (from offset 0) into buf, strips one trailing
 * newline, NUL-terminates. The caller wipes buf with OPENSSL_cleanse.
 */
int tb_secret_read(int fd, char *buf, size_t buf_len, size_t *len_out, tb_error *err);

#endif
