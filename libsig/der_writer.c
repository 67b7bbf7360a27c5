/* DER headers: the length in the fewest octets (X.690 10.1). */
#include "config.h"

#include "der_writer.h"

size_t
tb_der_hdr_len(size_t len)
{
	size_t n = 2;

	if (len >= 0x80)
		for (; len > 0; len >>= 8)
			n++;
	return n;
}

unsigned char *
tb_der_hdr_put(unsigned char *w, unsigned char tag, size_t len)
{
	size_t n = tb_der_hdr_len(len) - 2, i;

	*w++ = tag;
	if (n == 0) {
		*w++ = (unsigned char)len;
		return w;
	}
	*w++ = (unsigned char)(0x80 | n);
	for (i = n; i > 0; i--)
		*w++ = (unsigned char)(len >> (8 * (i - 1)));
	return w;
}
