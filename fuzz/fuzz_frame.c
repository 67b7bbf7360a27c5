/*
 * Fuzz target: the incremental frame reader. Input: byte 0 seeds the
 * chunk sizes, byte 1 picks the frame limit, the rest is the byte stream
 * of one connection. The stream is fed in pseudo-random chunks and every
 * event must match a plain reading of the same bytes; each frame is then
 * decoded as a request (request_walk.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

static const size_t limits[4] = { 1, 16, 1024, 65536 };

/* A plain reading of the stream: the next frame, 0 for "incomplete", -1 for an error. */
static int
plain_next(const unsigned char *s, size_t len, size_t *off, size_t max,
    const unsigned char **frame, size_t *flen)
{
	size_t n;

	if (len - *off < TB_FRAME_HEADER)
		return 0;
	n = (size_t)s[*off] << 24 | (size_t)s[*off + 1] << 16 | (size_t)s[*off + 2] << 8 |
	    (size_t)s[*off + 3];
	if (n == 0 || n > max)
		return -1;
	if (len - *off - TB_FRAME_HEADER < n)
		return 0;
	*frame = s + *off + TB_FRAME_HEADER;
	*flen = n;
	*off += TB_FRAME_HEADER + n;
	return 1;
}

/* xorshift: chunk sizes that are mostly small and sometimes large. */
static size_t
next_chunk(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (*x & 7) != 0 ? 1 + (*x >> 8) % 7 : 1 + (*x >> 8) % 4096;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tb_frame_reader *fr;
	const unsigned char *s, *want;
	unsigned char *frame;
	size_t len, max, off = 0, plain = 0, pos, chunk, used, flen, want_len;
	uint32_t x;
	tb_error e;
	int r, pr, failed = 0;

	if (size < 2)
		return 0;
	x = 0x9e3779b9u ^ data[0];
	max = limits[data[1] & 3];
	s = data + 2;
	len = size - 2;
	FZ_ASSERT((fr = tb_frame_reader_new(max)) != NULL);
	while (off < len && !failed) {
		chunk = next_chunk(&x);
		if (chunk > len - off)
			chunk = len - off;
		pos = 0;
		while (pos < chunk) {
			tb_error_clear(&e);
			r = tb_frame_reader_feed(fr, s + off + pos, chunk - pos, &used, &e);
			FZ_ASSERT(used <= chunk - pos);
			pos += used;
			if (r < 0) {
				/* An error exactly where a plain reading finds a bad length. */
				FZ_ASSERT(r == TB_ERR_INVALID_ARG || r == TB_ERR_TOO_LARGE);
				FZ_ASSERT(e.code == r);
				FZ_ASSERT(plain_next(s, off + pos, &plain, max, &want, &want_len) == -1);
				FZ_ASSERT(off + pos == plain + TB_FRAME_HEADER);
				/* A failed reader stays failed. */
				FZ_ASSERT(tb_frame_reader_feed(fr, s, 1, &used, &e) < 0 && used == 0);
				failed = 1;
				break;
			}
			if (r == 0) {
				FZ_ASSERT(pos == chunk);
				continue;
			}
			FZ_ASSERT(r == 1);
			tb_frame_reader_take(fr, &frame, &flen);
			FZ_ASSERT(frame != NULL);
			pr = plain_next(s, off + pos, &plain, max, &want, &want_len);
			FZ_ASSERT(pr == 1);
			FZ_ASSERT(plain == off + pos);
			FZ_ASSERT(flen == want_len && memcmp(frame, want, flen) == 0);
			FZ_ASSERT(!tb_frame_reader_started(fr));
			fz_request_walk(frame, flen);
			free(frame);
		}
		off += pos;
	}
	if (!failed) {
		/* What is left is an incomplete frame, and the reader knows it. */
		pr = plain_next(s, len, &plain, max, &want, &want_len);
		FZ_ASSERT(pr == 0);
		FZ_ASSERT(tb_frame_reader_started(fr) == (plain < len));
	}
	tb_frame_reader_free(fr);
	return 0;
}
