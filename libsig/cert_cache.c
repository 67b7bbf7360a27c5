/*
 * Two bounded LRU maps from a SHA-256 key to a value, each behind its own
 * mutex: parsed certificates (X509 references) and checked certificate
 * signatures (the tb_sigalg_info of a signature that verified). It never
 * stores a failed check, a time or a revocation answer: a cached entry
 * only says "these exact bytes parse to this" or "this key signed these
 * exact bytes", which no later request can see differently.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert_cache.h"

#define DEFAULT_MAX_CERTS 1024
#define DEFAULT_MAX_SIGS 8192

typedef struct node {
	unsigned char key[TB_CERT_CACHE_KEY_LEN];
	struct node *hnext;		/* bucket chain */
	struct node *prev, *next;	/* recency list, head = most recent */
	X509 *cert;			/* certificate map */
	tb_sigalg_info info;		/* signature map */
} node;

typedef struct lru {
	pthread_mutex_t lock;
	node **buckets;
	size_t nbuckets;		/* a power of two */
	node *head, *tail;
	size_t n, max;
	uint64_t hits, misses, evictions;
} lru;

struct tb_cert_cache {
	lru certs;
	lru sigs;
};

static size_t
bucket_of(const lru *m, const unsigned char *key)
{
	uint64_t h;

	/* Keys are SHA-256 outputs: their first bytes are already uniform. */
	memcpy(&h, key, sizeof(h));
	return (size_t)(h & (m->nbuckets - 1));
}

static int
lru_init(lru *m, size_t max)
{
	size_t nb = 16;

	memset(m, 0, sizeof(*m));
	while (nb < max * 2 && nb < ((size_t)1 << 30))
		nb <<= 1;
	if ((m->buckets = calloc(nb, sizeof(*m->buckets))) == NULL)
		return -1;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m->buckets);
		m->buckets = NULL;
		return -1;
	}
	m->nbuckets = nb;
	m->max = max;
	return 0;
}

static void
node_free(node *e)
{
	if (e == NULL)
		return;
	X509_free(e->cert);
	free(e);
}

static void
lru_destroy(lru *m)
{
	node *e, *nx;

	if (m->buckets == NULL)
		return;
	for (e = m->head; e != NULL; e = nx) {
		nx = e->next;
		node_free(e);
	}
	free(m->buckets);
	pthread_mutex_destroy(&m->lock);
	m->buckets = NULL;
}

static void
list_unlink(lru *m, node *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		m->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		m->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
list_push_front(lru *m, node *e)
{
	e->prev = NULL;
	e->next = m->head;
	if (m->head != NULL)
		m->head->prev = e;
	m->head = e;
	if (m->tail == NULL)
		m->tail = e;
}

/* Under the lock: the entry for key, made most recent; NULL when absent. */
static node *
lru_find(lru *m, const unsigned char *key)
{
	node *e;

	for (e = m->buckets[bucket_of(m, key)]; e != NULL; e = e->hnext)
		if (memcmp(e->key, key, TB_CERT_CACHE_KEY_LEN) == 0) {
			if (e != m->head) {
				list_unlink(m, e);
				list_push_front(m, e);
			}
			return e;
		}
	return NULL;
}

/* Under the lock: takes the least recent entry out; the caller frees it. */
static node *
lru_evict(lru *m)
{
	node *e = m->tail, **pp;

	if (e == NULL)
		return NULL;
	list_unlink(m, e);
	for (pp = &m->buckets[bucket_of(m, e->key)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	m->n--;
	m->evictions++;
	return e;
}

/* Under the lock: adds e (its key not present); returns an evicted entry to free. */
static node *
lru_insert(lru *m, node *e)
{
	size_t b = bucket_of(m, e->key);
	node *old = NULL;

	if (m->n >= m->max)
		old = lru_evict(m);
	e->hnext = m->buckets[b];
	m->buckets[b] = e;
	list_push_front(m, e);
	m->n++;
	return old;
}

tb_cert_cache *
tb_cert_cache_new(size_t max_certs, size_t max_sigs)
{
	tb_cert_cache *c;

	if (max_certs == 0 || max_sigs == 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (lru_init(&c->certs, max_certs) != 0) {
		free(c);
		return NULL;
	}
	if (lru_init(&c->sigs, max_sigs) != 0) {
		lru_destroy(&c->certs);
		free(c);
		return NULL;
	}
	return c;
}

void
tb_cert_cache_free(tb_cert_cache *c)
{
	if (c == NULL)
		return;
	lru_destroy(&c->certs);
	lru_destroy(&c->sigs);
	free(c);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static tb_cert_cache *default_cache;

static void
default_make(void)
{
	default_cache = tb_cert_cache_new(DEFAULT_MAX_CERTS, DEFAULT_MAX_SIGS);
}

tb_cert_cache *
tb_cert_cache_default(void)
{
	pthread_once(&default_once, default_make);
	return default_cache;
}

X509 *
tb_cert_cache_get(tb_cert_cache *c, const unsigned char *der, size_t len)
{
	unsigned char key[TB_CERT_CACHE_KEY_LEN];
	const unsigned char *p = der;
	node *e, *old = NULL;
	X509 *x = NULL;

	if (der == NULL || len == 0 || len > (size_t)LONG_MAX)
		return NULL;
	if (c == NULL || EVP_Digest(der, len, key, NULL, EVP_sha256(), NULL) != 1) {
		/* No cache: still a correct answer, only slower. */
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && p != der + len) {
			X509_free(x);
			x = NULL;
		}
		return x;
	}
	pthread_mutex_lock(&c->certs.lock);
	if ((e = lru_find(&c->certs, key)) != NULL && X509_up_ref(e->cert)) {
		x = e->cert;
		c->certs.hits++;
	} else {
		c->certs.misses++;
	}
	pthread_mutex_unlock(&c->certs.lock);
	if (x != NULL)
		return x;
	/* Parsed outside the lock: decoding a key must not stall other threads. */
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return NULL;
	if (p != der + len) {
		X509_free(x);
		return NULL;
	}
	/* Fills OpenSSL's lazily computed extension data before the object is shared. */
	X509_check_purpose(x, -1, 0);
	if ((e = calloc(1, sizeof(*e))) == NULL || !X509_up_ref(x)) {
		free(e);
		return x;
	}
	memcpy(e->key, key, sizeof(key));
	e->cert = x;
	pthread_mutex_lock(&c->certs.lock);
	if (lru_find(&c->certs, key) != NULL)
		old = e;	/* another thread added the same bytes meanwhile */
	else
		old = lru_insert(&c->certs, e);
	pthread_mutex_unlock(&c->certs.lock);
	node_free(old);
	return x;
}

int
tb_cert_cache_sig_key(X509_PUBKEY *issuer_spki, const unsigned char *child_der,
    size_t child_len, unsigned char key[TB_CERT_CACHE_KEY_LEN])
{
	unsigned char parts[2 * TB_CERT_CACHE_KEY_LEN], *spki = NULL;
	int spki_len, r = -1;

	if (issuer_spki == NULL || child_der == NULL ||
	    (spki_len = i2d_X509_PUBKEY(issuer_spki, &spki)) <= 0)
		goto out;
	if (EVP_Digest(spki, (size_t)spki_len, parts, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(child_der, child_len, parts + TB_CERT_CACHE_KEY_LEN, NULL, EVP_sha256(),
	    NULL) != 1 ||
	    EVP_Digest(parts, sizeof(parts), key, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	r = 0;
out:
	OPENSSL_free(spki);
	return r;
}

int
tb_cert_cache_sig_lookup(tb_cert_cache *c, const unsigned char key[TB_CERT_CACHE_KEY_LEN],
    tb_sigalg_info *info)
{
	node *e;
	int found = 0;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->sigs.lock);
	if ((e = lru_find(&c->sigs, key)) != NULL) {
		*info = e->info;
		found = 1;
		c->sigs.hits++;
	} else {
		c->sigs.misses++;
	}
	pthread_mutex_unlock(&c->sigs.lock);
	return found;
}

void
tb_cert_cache_sig_store(tb_cert_cache *c, const unsigned char key[TB_CERT_CACHE_KEY_LEN],
    const tb_sigalg_info *info)
{
	node *e, *old = NULL;

	if (c == NULL || (e = calloc(1, sizeof(*e))) == NULL)
		return;
	memcpy(e->key, key, TB_CERT_CACHE_KEY_LEN);
	e->info = *info;
	pthread_mutex_lock(&c->sigs.lock);
	if (lru_find(&c->sigs, key) != NULL)
		old = e;
	else
		old = lru_insert(&c->sigs, e);
	pthread_mutex_unlock(&c->sigs.lock);
	node_free(old);
}

void
tb_cert_cache_get_stats(tb_cert_cache *c, tb_cert_cache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->certs.lock);
	st->cert_hits = c->certs.hits;
	st->cert_misses = c->certs.misses;
	st->cert_evictions = c->certs.evictions;
	st->certs = c->certs.n;
	st->max_certs = c->certs.max;
	pthread_mutex_unlock(&c->certs.lock);
	pthread_mutex_lock(&c->sigs.lock);
	st->sig_hits = c->sigs.hits;
	st->sig_misses = c->sigs.misses;
	st->sig_evictions = c->sigs.evictions;
	st->sigs = c->sigs.n;
	st->max_sigs = c->sigs.max;
	pthread_mutex_unlock(&c->sigs.lock);
}
