# CMS signing
libsig_libsig_la_SOURCES += libsig/cms_sign.c
