# GOST mapping: Kazakh OIDs and byte order over Debian's gost engine/provider.
libsig_libsig_la_SOURCES += libsig/gost.c libsig/gost.h \
	libsig/gost94.c libsig/gost94.h \
	libsig/gost_engine.c libsig/gost_engine.h
# GOST 2015 file keys (NCA containers) for the process that signs
libsig_libsig_la_SOURCES += libsig/gost_key.c libsig/gost_key.h
