# tests: XML signatures (docs/XML.md): tanba verify on XMLDSig made by
# xmlsec1 (RSA) and by tests/xml-gost-sign (GOST, as NCALayer writes it),
# the defences, and independent checks with xmlsec1 and xmllint.
check_PROGRAMS += tests/xml-gost-sign
tests_xml_gost_sign_SOURCES = tests/xml-gost-sign.c
tests_xml_gost_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(srcdir)/ca-tools
tests_xml_gost_sign_LDADD = ca-tools/libtpgost.la libsig/libsig.la common/libtbcommon.la \
	$(OPENSSL_LIBS)
TESTS += tests/xml-verify.sh tests/xml-daemon.sh
EXTRA_DIST += tests/xml-verify.sh tests/xml-daemon.sh
