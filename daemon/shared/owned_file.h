/*
 * Files a tanbad process keeps writing (the signer's audit trail): created
 * without following a link, given to the account that will write them
 * after the privilege drop, and checked at every open.
 */
#ifndef TB_OWNED_FILE_H
#define TB_OWNED_FILE_H

#include "tb_err.h"

/*
 * Opens path with O_CREAT | O_NOFOLLOW (mode 0600 when created), refuses
 * anything but a regular file, and makes it owner's (uid, gid; -1: the
 * caller's own euid and egid): started as root, fchown to them and fchmod
 * away any group or other access. Then checks: owned by that uid, no
 * access for group or others; TB_ERR_CONFIG saying why otherwise. Closes
 * it again: the caller opens it for its own use.
 */
int tb_owned_file_prepare(const char *path, long uid, long gid, tb_error *err);

/*
 * Started as root: gives an existing path to uid:gid without opening it
 * (lchown, so that root needs no right to read it), refusing a link or
 * anything but a regular file. A missing file is left to
 * tb_owned_file_prepare. Not root: nothing to do.
 */
int tb_owned_file_give(const char *path, long uid, long gid, tb_error *err);

/*
 * A directory a process writes files into (the front's CRL cache): not a
 * link, given to uid:gid (-1: the caller's) when started as root, then
 * checked at every load: owned by that uid and writable by nobody else.
 * TB_ERR_CONFIG saying why otherwise.
 */
int tb_owned_dir_check(const char *path, long uid, long gid, tb_error *err);

#endif
