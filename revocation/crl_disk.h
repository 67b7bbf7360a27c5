/*
 * Files of the CRL disk cache.
 */
#ifndef TB_CRL_DISK_H
#define TB_CRL_DISK_H

#include <stddef.h>

#include "tb_err.h"

/* Writes der to dir/name atomically (temporary file, fsync, rename). */
int tb_crl_save(const char *dir, const char *name, const unsigned char *der, size_t len,
    tb_error *err);

#endif
