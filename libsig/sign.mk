# CMS signing
libsig_libsig_la_SOURCES += libsig/cms_sign.c
# CMS signing with a Kazakh GOST 2015 key (DER written by hand)
libsig_libsig_la_SOURCES += libsig/cms_gost_sign.c
# PKCS#12 key containers (NCA layout)
libsig_libsig_la_SOURCES += libsig/p12_read.c libsig/p12_read.h
