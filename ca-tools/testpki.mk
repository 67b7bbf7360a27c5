# tanba-testpki: the test PKI that issues NCA-profile certificates, CRLs,
# OCSP responses and CMS signatures at test time, with RSA, ECDSA and the
# Kazakh GOST keys (signing in testpki_gost.c, the mapping in libsig's gost.c). Not installed: it writes
# unencrypted keys.
# GOST signing for the test PKI (over libsig's mapping), also linked by the GOST tests.
noinst_LTLIBRARIES += ca-tools/libtpgost.la
ca_tools_libtpgost_la_SOURCES = ca-tools/testpki_gost.c ca-tools/testpki_gost.h
ca_tools_libtpgost_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
noinst_PROGRAMS += ca-tools/tanba-testpki
ca_tools_tanba_testpki_SOURCES = \
	ca-tools/testpki.c ca-tools/testpki.h \
	ca-tools/testpki_alg.c \
	ca-tools/testpki_der.c \
	ca-tools/testpki_cert.c \
	ca-tools/testpki_index.c \
	ca-tools/testpki_crl.c \
	ca-tools/testpki_hierarchy.c \
	ca-tools/testpki_cms.c \
	ca-tools/testpki_ocsp.c \
	ca-tools/testpki_p12.c
ca_tools_tanba_testpki_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
ca_tools_tanba_testpki_LDADD = ca-tools/libtpgost.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS)
