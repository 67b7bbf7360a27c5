# XML signatures (XMLDSig): libxml2 parses and canonicalizes; see docs/XML.md.
libsig_libsig_la_SOURCES += \
	libsig/xml.h libsig/xml_int.h libsig/xml_limits.h \
	libsig/xml_alg.c \
	libsig/xml_verify.c \
	libsig/xml_sign.c \
	libsig/xml_signed_info.c libsig/xml_signed_info.h \
	libsig/xml_sign_split.c
libsig_libsig_la_CFLAGS += $(LIBXML_CFLAGS)
libsig_libsig_la_LIBADD += $(LIBXML_LIBS)
