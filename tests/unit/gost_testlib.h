/*
 * Helpers shared by the GOST unit tests (test_gost, test_gost_vectors,
 * test_gost_kat): where the NCA's GOST 34.10-2015 known answers are, how a
 * vector file is read, and the signed part of a DER object. Test code only.
 */
#ifndef TB_GOST_TESTLIB_H
#define TB_GOST_TESTLIB_H

#include <stddef.h>

/*
 * Writes the vectors' directory, in the tree ($top_srcdir/tests/vectors/
 * nca-gost2015, else tests/vectors/nca-gost2015 from the top of the sources),
 * into dir; 1 when its ca.der is there. They ship in the tarball, so their
 * absence is a hard error (99), never a skip.
 */
int gostt_find_vectors(char *dir, size_t dir_len);

/* dir/name read whole (at most 64 KiB) into a new buffer; fails the test when missing or empty. */
unsigned char *gostt_slurp(const char *dir, const char *name, size_t *len);

/* The first element of a DER SEQUENCE: the TBS bytes of a signed object exactly as signed. */
void gostt_first_element(const unsigned char *der, long len, const unsigned char **el,
    long *el_len);

#endif
