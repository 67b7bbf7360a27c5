# tanba: the command-line client of tanbad (socket call, sign, keys, status).
# The verify/check-cert commands join ca_tools_tanba_SOURCES in tanba-verify.mk.
bin_PROGRAMS += ca-tools/tanba
ca_tools_tanba_SOURCES = ca-tools/tanba.c ca-tools/tanba.h ca-tools/client.c
ca_tools_tanba_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
ca_tools_tanba_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
