# tanba-testpki: the test PKI that issues NCA-profile certificates, CRLs,
# OCSP responses and CMS signatures at test time, with RSA, ECDSA and the
# Kazakh GOST keys (signing in testpki_gost.c, the mapping in libsig's gost.c). Not installed: it writes
# unencrypted keys.
# GOST signing for the test PKI (over libsig's mapping), also linked by the GOST tests.
noinst_LTLIBRARIES += testpki/libtpgost.la
testpki_libtpgost_la_SOURCES = testpki/testpki_gost.c testpki/testpki_gost.h
testpki_libtpgost_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
noinst_PROGRAMS += testpki/tanba-testpki
testpki_tanba_testpki_SOURCES = \
	testpki/testpki.c testpki/testpki.h \
	testpki/testpki_alg.c \
	testpki/testpki_der.c \
	testpki/testpki_cert.c \
	testpki/testpki_index.c \
	testpki/testpki_crl.c \
	testpki/testpki_hierarchy.c \
	testpki/testpki_cms.c \
	testpki/testpki_ocsp.c \
	testpki/testpki_p12.c
testpki_tanba_testpki_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
testpki_tanba_testpki_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS)
