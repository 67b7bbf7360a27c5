noinst_LTLIBRARIES += pkcs11/libtbp11.la
pkcs11_libtbp11_la_SOURCES = \
	pkcs11/tb_p11.h \
	pkcs11/p11_int.h \
	pkcs11/call.c pkcs11/call.h \
	pkcs11/module.c \
	pkcs11/token.c \
	pkcs11/key.c \
	pkcs11/objects.c \
	pkcs11/tb_p11_manage.h pkcs11/manage.c
pkcs11_libtbp11_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS)
pkcs11_libtbp11_la_LIBADD = $(OPENSSL_LIBS) $(P11KIT_LIBS) $(PTHREAD_LIBS)
