# libsig: no sockets, threads or file writes (tests/libsig-purity.sh), no PKCS#11. Each part lists its sources in its own fragment.
noinst_LTLIBRARIES += libsig/libsig.la
libsig_libsig_la_SOURCES = \
	libsig/signer.h \
	libsig/cms_sign.h \
	libsig/sigalg.h \
	libsig/revocation.h
# the one reader of certificate files (PEM bundle or DER)
libsig_libsig_la_SOURCES += libsig/cert_read.c libsig/cert_read.h
libsig_libsig_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
libsig_libsig_la_LIBADD = common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS)
include $(srcdir)/libsig/sign.mk
include $(srcdir)/libsig/verify.mk
include $(srcdir)/libsig/gost.mk
include $(srcdir)/libsig/revocation.mk
include $(srcdir)/libsig/xml.mk
