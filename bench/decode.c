/*
 * Benchmark of the front's JSON decoder for client frames: tb_proto_decode
 * (long base64 values cut out before jansson reads the rest, then put back)
 * beside jansson's json_loadb of the same bytes as the baseline, for
 * verify requests whose "cms" is 3 KiB, 64 KiB (the most the I/O thread
 * decodes), 1 MiB and 12 MiB of base64. Prints "name value unit" lines.
 * Usage: decode [--quick]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "proto.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t len;
		int reps;
	} sizes[] = {
		{ "3k", 3000, 4000 }, { "64k", 65536, 400 }, { "1m", 1 << 20, 40 },
		{ "12m", 12 << 20, 4 },
	};
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0, reps, k, i;
	size_t n, p;
	double t0, t1, t2;
	json_error_t jerr;
	json_t *o;
	char *buf;

	for (k = 0; k < 4; k++) {
		n = sizes[k].len;
		reps = quick ? (sizes[k].reps + 3) / 4 : sizes[k].reps;
		if ((buf = malloc(n + 64)) == NULL)
			return 2;
		p = (size_t)sprintf(buf, "{\"id\":1,\"op\":\"verify\",\"cms\":\"");
		for (i = 0; (size_t)i < n; i++)
			buf[p + (size_t)i] = alphabet[(i * 7) % 64];
		p += n;
		p += (size_t)sprintf(buf + p, "\",\"lang\":\"kk\"}");
		t0 = now_s();
		for (i = 0; i < reps; i++) {
			if (tb_proto_decode((unsigned char *)buf, p, &o, NULL) != 0)
				return 2;
			json_decref(o);
		}
		t1 = now_s();
		for (i = 0; i < reps; i++) {
			if ((o = json_loadb(buf, p, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
				return 2;
			json_decref(o);
		}
		t2 = now_s();
		printf("proto_decode_%s_ms %.3f ms\n", sizes[k].name, (t1 - t0) / reps * 1e3);
		printf("jansson_decode_%s_ms %.3f ms\n", sizes[k].name, (t2 - t1) / reps * 1e3);
		printf("decode_speedup_%s %.2f ratio\n", sizes[k].name, (t2 - t1) / (t1 - t0));
		free(buf);
	}
	return 0;
}
