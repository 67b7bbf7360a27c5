# GOST mapping: Kazakh OIDs and byte order over Debian's gost engine/provider.
libsig_libsig_la_SOURCES += libsig/gost.c libsig/gost.h \
	libsig/gost94.c libsig/gost94.h \
	libsig/gost_engine.c libsig/gost_engine.h
