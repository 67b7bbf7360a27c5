/*
 * Fuzz target: the JSON request decoder. The input is one frame's payload,
 * read as request.c and the op handlers read it (see request_walk.c).
 * Finds crashes, leaks, non-canonical base64 taken, and answers that do
 * not encode.
 */
#include "config.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_request_walk(data, size);
	return 0;
}
