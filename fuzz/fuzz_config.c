/*
 * Fuzz target: the configuration parser (tb_config_parse), as a reload
 * reads a file an administrator wrote. "@PIN@" in the input stands for a
 * PIN file of mode 0600 and "@FILE@" for a readable file of mode 0644,
 * both in /tmp/tanba-fuzz-UID (mode 0700), made once per process.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char dir[64], pin_path[96], file_path[96];

/* Writes path with mode (re-set on an existing file) and content. */
static void
put_file(const char *path, mode_t mode, const char *content)
{
	int fd;

	FZ_ASSERT((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    mode)) >= 0);
	FZ_ASSERT(fchmod(fd, mode) == 0);
	FZ_ASSERT(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);
}

/*
 * One private directory per user, kept between runs: a crashing input
 * ends the process before any clean-up could run, so nothing piles up.
 */
static void
make_files(void)
{
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/tanba-fuzz-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0)
		FZ_ASSERT(errno == EEXIST);
	FZ_ASSERT(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	    (st.st_mode & 077) == 0);
	snprintf(pin_path, sizeof(pin_path), "%s/user.pin", dir);
	snprintf(file_path, sizeof(file_path), "%s/file.pem", dir);
	put_file(pin_path, 0600, "1234\n");
	put_file(file_path, 0644, "");
}

/* Copies text with the placeholders replaced; a new NUL-terminated buffer. */
static char *
expand(const uint8_t *data, size_t size, size_t *out_len)
{
	size_t i = 0, n = 0, pl = strlen(pin_path), fl = strlen(file_path);
	char *out = malloc(size * (pl > fl ? pl : fl) / 5 + size + 1);

	FZ_ASSERT(out != NULL);
	while (i < size) {
		if (size - i >= 5 && memcmp(data + i, "@PIN@", 5) == 0) {
			memcpy(out + n, pin_path, pl);
			n += pl;
			i += 5;
		} else if (size - i >= 6 && memcmp(data + i, "@FILE@", 6) == 0) {
			memcpy(out + n, file_path, fl);
			n += fl;
			i += 6;
		} else {
			out[n++] = (char)data[i++];
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

/* What a parsed config promises its readers. */
static void
check_config(tb_config *cfg)
{
	const tb_client_conf *cl;
	size_t i, j;

	FZ_ASSERT(cfg->socket != NULL && cfg->module != NULL && cfg->pin_file != NULL);
	FZ_ASSERT(cfg->max_frame_bytes >= 1024);
	FZ_ASSERT(cfg->nkeys <= TB_CONFIG_MAX_KEYS);
	for (i = 0; i < cfg->nkeys; i++) {
		FZ_ASSERT(cfg->keys[i].name != NULL && cfg->keys[i].uri != NULL);
		FZ_ASSERT(strlen(cfg->keys[i].name) <= TB_KEY_NAME_MAX);
		FZ_ASSERT(tb_config_key(cfg, cfg->keys[i].name) != NULL);
		FZ_ASSERT(tb_config_digest_name(cfg->keys[i].md_nid) != NULL);
	}
	for (i = 0; i < cfg->nclients; i++) {
		cl = &cfg->clients[i];
		FZ_ASSERT(cl->name != NULL);
		FZ_ASSERT((cl->ops & ~(unsigned)TB_OP_ALL) == 0);
		FZ_ASSERT(cl->all_keys || cl->nkeys == 0 || cl->keys != NULL);
		for (j = 0; j < cl->nkeys; j++) {
			FZ_ASSERT(cl->keys[j] != NULL);
			FZ_ASSERT(tb_config_client_key_ok(cl, cl->keys[j]));
		}
		if (cl->user != NULL)
			FZ_ASSERT(tb_config_client(cfg, cl->uid, (unsigned)-1) != NULL);
	}
	(void)tb_config_client(cfg, 0, 0);
	(void)tb_config_client(cfg, 65534, 65534);
	tb_config_unref(tb_config_ref(cfg));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_config *cfg = NULL;
	tb_error e;
	size_t len;
	char *text;
	int r;

	if (pin_path[0] == '\0')
		make_files();
	text = expand(data, size, &len);
	tb_error_clear(&e);
	r = tb_config_parse("fuzz.conf", text, len, &cfg, &e);
	fz_note("%s", r == 0 ? "parsed" : e.detail);
	if (r == 0) {
		FZ_ASSERT(cfg != NULL);
		check_config(cfg);
		tb_config_unref(cfg);
	} else {
		FZ_ASSERT(cfg == NULL);
		FZ_ASSERT(r == e.code);
		FZ_ASSERT(r == TB_ERR_CONFIG || r == TB_ERR_PIN_FILE || r == TB_ERR_IO ||
		    r == TB_ERR_NOMEM);
		FZ_ASSERT(strncmp(e.detail, "fuzz.conf", 9) == 0);
	}
	free(text);
	return 0;
}
