/*
 * Per-client budgets (budget.h): a small hash table of client records,
 * made at a client's first connection and dropped when it holds nothing.
 * Touched only by the I/O thread.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"

#define BUCKETS 256

struct tb_budget {
	tb_peer *bucket[BUCKETS];
	size_t buffered;
	unsigned npeers;
};

tb_budget *
tb_budget_new(void)
{
	return calloc(1, sizeof(tb_budget));
}

void
tb_budget_free(tb_budget *b)
{
	tb_peer *p;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < BUCKETS; i++)
		while ((p = b->bucket[i]) != NULL) {
			b->bucket[i] = p->next;
			free(p);
		}
	free(b);
}

/* FNV-1a of the key. */
static unsigned
peer_hash(int tls, unsigned uid, const char *name)
{
	uint32_t h = 2166136261u;
	size_t i;

	if (!tls) {
		for (i = 0; i < sizeof(uid); i++)
			h = (h ^ ((uid >> (8 * i)) & 0xff)) * 16777619u;
	} else {
		for (; *name != '\0'; name++)
			h = (h ^ (unsigned char)*name) * 16777619u;
		h ^= 0x5bd1e995u;
	}
	return h % BUCKETS;
}

static tb_peer *
peer_get(tb_budget *b, int tls, unsigned uid, const char *name)
{
	unsigned h = peer_hash(tls, uid, name);
	tb_peer *p;

	for (p = b->bucket[h]; p != NULL; p = p->next)
		if (p->tls == tls && (tls ? strcmp(p->name, name) == 0 : p->uid == uid))
			return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->tls = tls;
	p->uid = uid;
	if (tls)
		snprintf(p->name, sizeof(p->name), "%s", name);
	p->next = b->bucket[h];
	b->bucket[h] = p;
	b->npeers++;
	return p;
}

tb_peer *
tb_budget_peer_uid(tb_budget *b, unsigned uid)
{
	return peer_get(b, 0, uid, "");
}

tb_peer *
tb_budget_peer_tls(tb_budget *b, const char *name)
{
	return peer_get(b, 1, 0, name);
}

void
tb_budget_peer_release(tb_budget *b, tb_peer *p)
{
	tb_peer **pp;

	if (p == NULL || p->conns != 0 || p->inflight != 0 || p->buffered != 0)
		return;
	for (pp = &b->bucket[peer_hash(p->tls, p->uid, p->name)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			b->npeers--;
			free(p);
			return;
		}
}

int
tb_budget_reserve(tb_budget *b, tb_peer *p, size_t n, size_t per_client, size_t total,
    tb_error *err)
{
	if (n > per_client || p->buffered > per_client - n)
		return tb_error_set(err, TB_ERR_BUSY, "this client's requests already hold "
		    "%zu buffered bytes; max_buffered_bytes_per_client is %zu", p->buffered,
		    per_client);
	if (n > total || b->buffered > total - n)
		return tb_error_set(err, TB_ERR_BUSY, "requests of all clients already hold "
		    "%zu buffered bytes; max_buffered_bytes is %zu", b->buffered, total);
	p->buffered += n;
	b->buffered += n;
	return 0;
}

void
tb_budget_unreserve(tb_budget *b, tb_peer *p, size_t n)
{
	p->buffered -= n < p->buffered ? n : p->buffered;
	b->buffered -= n < b->buffered ? n : b->buffered;
}

size_t
tb_budget_buffered(const tb_budget *b)
{
	return b->buffered;
}

unsigned
tb_budget_peers(const tb_budget *b)
{
	return b->npeers;
}
