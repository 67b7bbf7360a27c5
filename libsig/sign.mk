# CMS signing
libsig_libsig_la_SOURCES += libsig/cms_sign.c libsig/cms_attrs.c libsig/cms_cosign.c \
	libsig/cms_sign_int.h
# The signer process's part of it: signed attributes only (tanbad-signer
# links this, not libsig: no libcurl, no CMS structure or parser).
noinst_LTLIBRARIES += libsig/libtbsign.la
libsig_libtbsign_la_SOURCES = libsig/cms_attrs.c libsig/cms_sign.h \
	libsig/cert_read.c libsig/cert_read.h \
	libsig/xml_alg.c libsig/xml_signed_info.c libsig/xml_signed_info.h
# XML: the SignedInfo text and the URI table; libxml2's headers, not its library.
libsig_libtbsign_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML_CFLAGS)
# CMS signing with a Kazakh GOST 2015 key (DER written by hand)
libsig_libsig_la_SOURCES += libsig/cms_gost_sign.c
# PKCS#12 key containers (NCA layout)
libsig_libsig_la_SOURCES += libsig/p12_read.c libsig/p12_read.h
