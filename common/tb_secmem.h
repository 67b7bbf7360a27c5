/*
 * Secrets on pages of their own: mapped apart from the heap, locked so
 * they are not swapped (when RLIMIT_MEMLOCK allows), and left out of core
 * dumps; wiped before they are unmapped. For what must never sit in the
 * ordinary heap: a file key's holder (libsig/gost_key.c), a container's
 * bytes and its password while they are read (daemon/signer/filekey.c).
 */
#ifndef TB_SECMEM_H
#define TB_SECMEM_H

#include <stddef.h>

/* len zeroed bytes rounded up to whole pages (*map_len); NULL when none. */
void *tb_secmem_new(size_t len, size_t *map_len);
/* Wipes map_len bytes at p, unlocks and unmaps them; NULL is a no-op. */
void tb_secmem_free(void *p, size_t map_len);

#endif
