/*
 * GOST R 34.11-94 hash over GOST 28147-89 with the test S-box
 * (id-GostR3411-94-TestParamSet, RFC 5831 examples), as `gostsum -t` and
 * `rhash --gost94` compute it. Pure computation: no allocation, no I/O, and
 * it must never be used with another S-box without a new known-answer test.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gost94.h"

/* Row i substitutes bits 4i..4i+3 of the round function's input (K1 first). */
static const unsigned char test_sbox[8][16] = {
	{ 4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3 },
	{ 14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9 },
	{ 5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11 },
	{ 7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3 },
	{ 6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2 },
	{ 4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14 },
	{ 13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12 },
	{ 1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12 },
};

static uint32_t
get32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32le(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

/* GOST 28147-89 round function: S-box substitution, then rotate left 11. */
static uint32_t
round_f(uint32_t x)
{
	uint32_t y = 0;
	int i;

	for (i = 0; i < 8; i++)
		y |= (uint32_t)test_sbox[i][(x >> (4 * i)) & 0xf] << (4 * i);
	return y << 11 | y >> 21;
}

/* GOST 28147-89 encryption of one 8-byte block in simple-substitution mode. */
static void
gost89_encrypt(const unsigned char key[32], const unsigned char in[8],
    unsigned char out[8])
{
	uint32_t k[8], n1, n2, t;
	int i;

	for (i = 0; i < 8; i++)
		k[i] = get32le(key + 4 * i);
	n1 = get32le(in);
	n2 = get32le(in + 4);
	/* 24 rounds with K0..K7 in order, then 8 with K7..K0. */
	for (i = 0; i < 32; i++) {
		t = n2 ^ round_f(n1 + k[i < 24 ? i % 8 : 31 - i]);
		n2 = n1;
		n1 = t;
	}
	/* The last round does not swap the halves. */
	put32le(out, n2);
	put32le(out + 4, n1);
	OPENSSL_cleanse(k, sizeof(k));
}

/* Transformation P: the key-schedule byte permutation. */
static void
transform_p(const unsigned char w[32], unsigned char key[32])
{
	int i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 8; j++)
			key[i + 4 * j] = w[8 * i + j];
}

/* Transformation A: (y4,y3,y2,y1) -> (y1^y2, y4, y3, y2) on 64-bit words. */
static void
transform_a(unsigned char x[32])
{
	unsigned char y1[8];
	int i;

	memcpy(y1, x, 8);
	memmove(x, x + 8, 24);
	for (i = 0; i < 8; i++)
		x[24 + i] = y1[i] ^ x[i];
}

/* Transformation psi: the 16-bit linear feedback shift of the mixing step. */
static void
transform_psi(unsigned char x[32])
{
	unsigned char lo, hi;

	lo = x[0] ^ x[2] ^ x[4] ^ x[6] ^ x[24] ^ x[30];
	hi = x[1] ^ x[3] ^ x[5] ^ x[7] ^ x[25] ^ x[31];
	memmove(x, x + 2, 30);
	x[30] = lo;
	x[31] = hi;
}

/* The step function: H = f(H, M). */
static void
hash_step(unsigned char h[32], const unsigned char m[32])
{
	/* C3, the only non-zero constant of the key schedule. */
	static const unsigned char c3_ones[] = { 1, 3, 5, 7, 8, 10, 12, 14, 17,
		18, 20, 23, 24, 28, 29, 31 };
	unsigned char u[32], v[32], w[32], key[32], s[32];
	int i, j;

	memcpy(u, h, 32);
	memcpy(v, m, 32);
	for (i = 0; i < 4; i++) {
		if (i > 0) {
			transform_a(u);
			if (i == 2)
				for (j = 0; j < (int)sizeof(c3_ones); j++)
					u[c3_ones[j]] ^= 0xff;
			transform_a(v);
			transform_a(v);
		}
		for (j = 0; j < 32; j++)
			w[j] = u[j] ^ v[j];
		transform_p(w, key);
		gost89_encrypt(key, h + 8 * i, s + 8 * i);
	}
	/* psi^61(H ^ psi(M ^ psi^12(S))) */
	for (i = 0; i < 12; i++)
		transform_psi(s);
	for (i = 0; i < 32; i++)
		s[i] ^= m[i];
	transform_psi(s);
	for (i = 0; i < 32; i++)
		s[i] ^= h[i];
	for (i = 0; i < 61; i++)
		transform_psi(s);
	memcpy(h, s, 32);
	OPENSSL_cleanse(key, sizeof(key));
}

/* sum += block, little-endian, modulo 2^256. */
static void
add256(unsigned char sum[32], const unsigned char block[32])
{
	unsigned int carry = 0;
	int i;

	for (i = 0; i < 32; i++) {
		carry += (unsigned int)sum[i] + block[i];
		sum[i] = carry & 0xff;
		carry >>= 8;
	}
}

void
tb_gost94_test_digest(const unsigned char *data, size_t len,
    unsigned char out[TB_GOST94_LEN])
{
	unsigned char h[32] = { 0 }, sum[32] = { 0 }, block[32];
	uint64_t bits;
	size_t off = 0;
	int i;

	for (; len - off >= 32; off += 32) {
		hash_step(h, data + off);
		add256(sum, data + off);
	}
	if (len - off > 0) {
		/* The last partial block is zero-padded on the high side. */
		memset(block, 0, sizeof(block));
		memcpy(block, data + off, len - off);
		hash_step(h, block);
		add256(sum, block);
	}
	memset(block, 0, sizeof(block));
	bits = (uint64_t)len << 3;
	for (i = 0; i < 8; i++)
		block[i] = (bits >> (8 * i)) & 0xff;
	hash_step(h, block);
	hash_step(h, sum);
	memcpy(out, h, 32);
}
