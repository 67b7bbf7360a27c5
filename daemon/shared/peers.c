/*
 * The table of peers (peers.h): buckets of singly linked entries, keyed
 * by the connection number's low bits (numbers are handed out in order,
 * so they spread evenly).
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "peers.h"

#define BUCKETS 1024

struct entry {
	tb_peer peer;
	struct entry *next;
};

struct tb_peers {
	struct entry *b[BUCKETS];
	size_t n, max;
};

tb_peers *
tb_peers_new(size_t max)
{
	tb_peers *p = calloc(1, sizeof(*p));

	if (p != NULL)
		p->max = max;
	return p;
}

void
tb_peers_free(tb_peers *p)
{
	struct entry *e, *next;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < BUCKETS; i++) {
		for (e = p->b[i]; e != NULL; e = next) {
			next = e->next;
			if (e->peer.fd >= 0)
				close(e->peer.fd);
			free(e);
		}
	}
	free(p);
}

static struct entry **
slot(tb_peers *p, uint64_t conn)
{
	struct entry **pe;

	for (pe = &p->b[conn % BUCKETS]; *pe != NULL; pe = &(*pe)->next)
		if ((*pe)->peer.conn == conn)
			break;
	return pe;
}

int
tb_peers_put(tb_peers *p, const tb_peer *e)
{
	struct entry **pe = slot(p, e->conn);

	if (*pe != NULL) {
		(*pe)->peer = *e;
		return 0;
	}
	if (p->n >= p->max || (*pe = calloc(1, sizeof(**pe))) == NULL)
		return -1;
	(*pe)->peer = *e;
	p->n++;
	return 0;
}

int
tb_peers_get(const tb_peers *p, uint64_t conn, tb_peer *out)
{
	const struct entry *e;

	for (e = p->b[conn % BUCKETS]; e != NULL; e = e->next) {
		if (e->peer.conn == conn) {
			*out = e->peer;
			return 1;
		}
	}
	return 0;
}

int
tb_peers_take(tb_peers *p, uint64_t conn, tb_peer *out)
{
	struct entry **pe = slot(p, conn), *e = *pe;

	if (e == NULL)
		return 0;
	*out = e->peer;
	*pe = e->next;
	free(e);
	p->n--;
	return 1;
}

size_t
tb_peers_count(const tb_peers *p)
{
	return p->n;
}

void
tb_peers_each(const tb_peers *p, void (*fn)(const tb_peer *e, void *arg), void *arg)
{
	const struct entry *e;
	size_t i;

	for (i = 0; i < BUCKETS; i++)
		for (e = p->b[i]; e != NULL; e = e->next)
			fn(&e->peer, arg);
}
