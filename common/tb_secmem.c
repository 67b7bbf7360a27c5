/*
 * Locked, undumpable pages for secrets (tb_secmem.h).
 */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tb_secmem.h"

void *
tb_secmem_new(size_t len, size_t *map_len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t ps = page > 0 ? (size_t)page : 4096, n;
	void *p;

	if (len == 0 || len > ((size_t)-1) - ps)
		return NULL;
	n = ((len + ps - 1) / ps) * ps;
	/* Anonymous pages come zeroed. */
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* A lock RLIMIT_MEMLOCK refuses leaves the pages unlocked, still undumpable. */
	(void)mlock(p, n);
#ifdef MADV_DONTDUMP
	(void)madvise(p, n, MADV_DONTDUMP);
#endif
	*map_len = n;
	return p;
}

void
tb_secmem_free(void *p, size_t map_len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, map_len);
	(void)munlock(p, map_len);
	(void)munmap(p, map_len);
}
