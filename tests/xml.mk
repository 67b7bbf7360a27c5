# tests: XML signatures (docs/XML.md): tanba verify on XMLDSig made by
# xmlsec1 (RSA) and by tests/xml-testsign (GOST, as NCALayer writes it),
# the defences, and independent checks with xmlsec1 and xmllint.
check_PROGRAMS += tests/xml-testsign
tests_xml_testsign_SOURCES = tests/xml-testsign.c
tests_xml_testsign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML_CFLAGS) \
	-I$(srcdir)/testpki
tests_xml_testsign_LDADD = testpki/libtpgost.la libsig/libsig.la common/libtbcommon.la \
	$(OPENSSL_LIBS)
TESTS += tests/xml-verify.sh tests/xml-daemon.sh
EXTRA_DIST += tests/xml-verify.sh tests/xml-daemon.sh
check_PROGRAMS += tests/test_xml
TESTS += tests/test_xml
tests_test_xml_SOURCES = tests/test_xml.c
tests_test_xml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBXML_CFLAGS)
tests_test_xml_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(CURL_LIBS) $(CHECK_LIBS) $(LIBXML_LIBS) $(PTHREAD_LIBS)
