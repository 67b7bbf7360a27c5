# GOST mapping: Kazakh OIDs and byte order over Debian's gost engine/provider.
libsig_libsig_la_SOURCES += libsig/gost.c libsig/gost.h \
	libsig/gost94.c libsig/gost94.h \
	libsig/gost_engine.c libsig/gost_engine.h
# GOST 2015 file keys (NCA containers) for the process that signs
libsig_libsig_la_SOURCES += libsig/gost_key.c libsig/gost_key.h
# The same for tanbad-signer, which links neither libsig nor libcurl: the
# containers, the GOST mapping and the GOST signed attributes of file keys.
# Each function in a section of its own, so that the signer's link
# (--gc-sections, daemon/signer/local.mk) leaves out what it never calls: GOST
# verification and CMS assembly (tests/split-programs.sh).
noinst_LTLIBRARIES += libsig/libtbgostkey.la
libsig_libtbgostkey_la_SOURCES = libsig/p12_read.c libsig/gost_key.c libsig/gost.c \
	libsig/gost94.c libsig/gost_engine.c libsig/cms_gost_sign.c libsig/der_writer.c
libsig_libtbgostkey_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -ffunction-sections \
	-fdata-sections
