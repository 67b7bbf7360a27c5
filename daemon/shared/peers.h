/*
 * The UNIX-socket clients the signer has seen, by the front's connection
 * number: in the signer, the credentials it read itself (SO_PEERCRED) from
 * the connection the front passed it once; in the front, a duplicate of
 * each connection's descriptor, passed again to a restarted signer. A
 * small hash table, not locked: each side holds it under its own lock.
 */
#ifndef TB_PEERS_H
#define TB_PEERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct tb_peer {
	uint64_t conn;			/* the front's number for the connection (not 0) */
	int fd;				/* front: its duplicate of the connection; signer: -1 */
	unsigned uid, gid;		/* signer: from SO_PEERCRED */
	int pid;
} tb_peer;

typedef struct tb_peers tb_peers;

/* A table that holds at most max peers; NULL when out of memory. */
tb_peers *tb_peers_new(size_t max);
/* Frees the table, closing every descriptor it holds (fd >= 0). NULL is a no-op. */
void tb_peers_free(tb_peers *p);
/* Adds or replaces e (keyed by e->conn); -1 when full or out of memory. */
int tb_peers_put(tb_peers *p, const tb_peer *e);
/* 1 and *out when conn is there, else 0. */
int tb_peers_get(const tb_peers *p, uint64_t conn, tb_peer *out);
/* Removes conn: 1 and *out (its descriptor now the caller's), else 0. */
int tb_peers_take(tb_peers *p, uint64_t conn, tb_peer *out);
size_t tb_peers_count(const tb_peers *p);
/* Calls fn for every peer, in no particular order. */
void tb_peers_each(const tb_peers *p, void (*fn)(const tb_peer *e, void *arg), void *arg);

#endif
