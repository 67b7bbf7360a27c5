/* Files created safely for the account that writes them (owned_file.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "owned_file.h"
#include "tb_log.h"

int
tb_owned_file_prepare(const char *path, long uid, long gid, tb_error *err)
{
	struct stat st;
	uid_t want_uid = uid >= 0 ? (uid_t)uid : geteuid();
	gid_t want_gid = gid >= 0 ? (gid_t)gid : getegid();
	int fd, r = 0;

	/* A link planted in its place is refused, not followed (ELOOP). */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = tb_error_set(err, TB_ERR_CONFIG, "%s: not a regular file", path);
		goto out;
	}
	if (geteuid() == 0 && (st.st_uid != want_uid || st.st_gid != want_gid)) {
		if (fchown(fd, want_uid, want_gid) == -1) {
			r = tb_error_set(err, TB_ERR_IO, "%s: chown to %u:%u: %s", path,
			    (unsigned)want_uid, (unsigned)want_gid, strerror(errno));
			goto out;
		}
		tb_info_f("%s: given to uid %u gid %u (was %u:%u)", path, (unsigned)want_uid,
		    (unsigned)want_gid, (unsigned)st.st_uid, (unsigned)st.st_gid);
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && (geteuid() == 0 ||
	    st.st_uid == geteuid())) {
		if (fchmod(fd, st.st_mode & S_IRWXU) == -1) {
			r = tb_error_set(err, TB_ERR_IO, "%s: chmod: %s", path, strerror(errno));
			goto out;
		}
		tb_warn_f(0, "%s: mode %04o took access from group and others", path,
		    (unsigned)(st.st_mode & 07777));
	}
	/* What holds now, whoever fixed it: checked, not assumed. */
	if (fstat(fd, &st) == -1) {
		r = tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_uid != want_uid)
		r = tb_error_set(err, TB_ERR_CONFIG, "%s: owned by uid %u, not %u", path,
		    (unsigned)st.st_uid, (unsigned)want_uid);
	else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		r = tb_error_set(err, TB_ERR_CONFIG, "%s: mode %04o grants access beyond its owner",
		    path, (unsigned)(st.st_mode & 07777));
out:
	close(fd);
	return r;
}

int
tb_owned_file_give(const char *path, long uid, long gid, tb_error *err)
{
	struct stat st;

	if (geteuid() != 0 || uid < 0)
		return 0;
	/*
	 * EACCES: a directory only the account may search (root without
	 * CAP_DAC_READ_SEARCH under the unit): nothing root could have left
	 * there; the account opens and checks it itself.
	 */
	if (lstat(path, &st) == -1)
		return errno == ENOENT || errno == EACCES ? 0 : tb_error_set(err, TB_ERR_IO,
		    "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return tb_error_set(err, TB_ERR_CONFIG, "%s: %s", path, strerror(ELOOP));
	if (!S_ISREG(st.st_mode))
		return tb_error_set(err, TB_ERR_CONFIG, "%s: not a regular file", path);
	if (st.st_uid == (uid_t)uid && st.st_gid == (gid_t)gid)
		return 0;
	if (lchown(path, (uid_t)uid, (gid_t)gid) == -1)
		return tb_error_set(err, TB_ERR_IO, "%s: chown to %ld:%ld: %s", path, uid, gid,
		    strerror(errno));
	tb_info_f("%s: given to uid %ld gid %ld (was %u:%u)", path, uid, gid,
	    (unsigned)st.st_uid, (unsigned)st.st_gid);
	return 0;
}

int
tb_owned_dir_check(const char *path, long uid, long gid, tb_error *err)
{
	struct stat st;
	uid_t want_uid = uid >= 0 ? (uid_t)uid : geteuid();
	gid_t want_gid = gid >= 0 ? (gid_t)gid : getegid();

	if (lstat(path, &st) == -1)
		return tb_error_set(err, TB_ERR_CONFIG, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return tb_error_set(err, TB_ERR_CONFIG, "%s: not a directory (a link is refused)",
		    path);
	if (geteuid() == 0 && st.st_uid != want_uid) {
		if (lchown(path, want_uid, want_gid) == -1)
			return tb_error_set(err, TB_ERR_IO, "%s: chown to %u:%u: %s", path,
			    (unsigned)want_uid, (unsigned)want_gid, strerror(errno));
		tb_info_f("%s: given to uid %u gid %u (was %u:%u)", path, (unsigned)want_uid,
		    (unsigned)want_gid, (unsigned)st.st_uid, (unsigned)st.st_gid);
		st.st_uid = want_uid;
	}
	if (st.st_uid != want_uid)
		return tb_error_set(err, TB_ERR_CONFIG, "%s: owned by uid %u, not %u", path,
		    (unsigned)st.st_uid, (unsigned)want_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return tb_error_set(err, TB_ERR_CONFIG, "%s: mode %04o lets others write into it",
		    path, (unsigned)(st.st_mode & 07777));
	return 0;
}
