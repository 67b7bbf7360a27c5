/*
 * Per-client budgets of the front: connections, requests in flight and
 * buffered bytes for each client (a uid on the UNIX socket, a [client]
 * name on TLS), and the buffered bytes of all clients together. Owned by
 * the I/O thread alone: no locks, no blocking. Counts only; the server
 * decides what a refusal says.
 */
#ifndef TB_BUDGET_H
#define TB_BUDGET_H

#include <stddef.h>

#include "tb_err.h"

typedef struct tb_budget tb_budget;

/* One client's figures; the record lives while any of them is non-zero. */
typedef struct tb_peer {
	int tls;		/* keyed by name (TLS [client]) or by uid */
	unsigned uid;
	char name[72];
	unsigned conns;
	unsigned inflight;
	size_t buffered;
	struct tb_peer *next;
} tb_peer;

tb_budget *tb_budget_new(void);
/* Every peer must have been released. NULL is a no-op. */
void tb_budget_free(tb_budget *b);

/* The record of uid, or of a TLS [client] name (made when new); NULL when memory is short. */
tb_peer *tb_budget_peer_uid(tb_budget *b, unsigned uid);
tb_peer *tb_budget_peer_tls(tb_budget *b, const char *name);
/* Frees p once it holds no connection, request or byte. */
void tb_budget_peer_release(tb_budget *b, tb_peer *p);

/*
 * Reserves n buffered bytes for p: TB_ERR_BUSY (err says which budget)
 * when p would pass per_client or all clients would pass total.
 */
int tb_budget_reserve(tb_budget *b, tb_peer *p, size_t n, size_t per_client, size_t total,
    tb_error *err);
/* Gives back n reserved bytes. */
void tb_budget_unreserve(tb_budget *b, tb_peer *p, size_t n);
/* Bytes reserved by all clients. */
size_t tb_budget_buffered(const tb_budget *b);
/* Clients with a record now. */
unsigned tb_budget_peers(const tb_budget *b);

#endif
