/*
 * main() of a fuzz target built without libFuzzer: runs each file named on
 * the command line, each file of each directory named, or stdin for "-",
 * through LLVMFuzzerTestOneInput once. With no argument it replays the
 * checked-in seeds, $top_srcdir/fuzz/corpus/NAME. It never mutates input:
 * this is how make check replays corpora and crash reproducers with gcc.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (64UL * 1024 * 1024)

static size_t replayed;

/* Reads all of f (at most REPLAY_MAX_INPUT bytes) into a new buffer. */
static int
read_all(FILE *f, unsigned char **out, size_t *out_len)
{
	unsigned char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	for (;;) {
		if (len == cap) {
			if (cap >= REPLAY_MAX_INPUT) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		errno = EIO;
		return -1;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

static int
replay_stream(FILE *f, const char *name)
{
	unsigned char *buf;
	size_t len;

	if (read_all(f, &buf, &len) != 0) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		return -1;
	}
	(void)LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	replayed++;
	return 0;
}

static int
replay_file(const char *path)
{
	FILE *f;
	int r;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	r = replay_stream(f, path);
	fclose(f);
	return r;
}

static int
skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* The regular files of dir, in name order so that a run is repeatable. */
static int
replay_dir(const char *dir)
{
	struct dirent **names = NULL;
	struct stat st;
	char path[4096];
	int i, n, r = 0;

	if ((n = scandir(dir, &names, skip_entry, alphasort)) < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
		    sizeof(path) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(path) != 0)
			r = -1;
		free(names[i]);
	}
	free(names);
	return r;
}

static int
replay_path(const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return replay_stream(stdin, "stdin");
	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? replay_dir(path) : replay_file(path);
}

/* "fuzz_crl" from ".../fuzz/fuzz_crl" or ".../lt-fuzz_crl": the corpus name "crl". */
static const char *
target_name(const char *argv0)
{
	const char *b = strrchr(argv0, '/');

	b = b != NULL ? b + 1 : argv0;
	if (strncmp(b, "lt-", 3) == 0)
		b += 3;
	if (strncmp(b, "fuzz_", 5) == 0)
		b += 5;
	return b;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char seeds[4096];
	int i, npaths = 0, r = 0;

	for (i = 1; i < argc; i++) {
		/* libFuzzer's options (-runs=0 ...) are accepted and ignored, so
		 * that scripts can call either build the same way. */
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		npaths++;
		if (replay_path(argv[i]) != 0)
			r = 1;
	}
	if (npaths == 0) {
		snprintf(seeds, sizeof(seeds), "%s/fuzz/corpus/%s", top != NULL ? top : ".",
		    target_name(argv[0]));
		if (replay_path(seeds) != 0)
			r = 1;
	}
	fprintf(stderr, "%s: %zu inputs replayed\n", target_name(argv[0]), replayed);
	if (replayed == 0)
		r = 1;
	return r;
}
