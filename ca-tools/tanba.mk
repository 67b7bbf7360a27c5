# tanba: the command-line client of tanbad (socket call, sign, keys, status).
# The verify/check-cert commands join ca_tools_tanba_SOURCES in tanba-verify.mk.
# The client side of the wire format, shared with bench/ and the soak load.
noinst_LTLIBRARIES += ca-tools/libtbclient.la
ca_tools_libtbclient_la_SOURCES = ca-tools/tbclient.c ca-tools/tbclient.h
ca_tools_libtbclient_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bin_PROGRAMS += ca-tools/tanba
ca_tools_tanba_SOURCES = ca-tools/tanba.c ca-tools/tanba.h ca-tools/client.c \
	ca-tools/tanba_cosign.c ca-tools/tanba_sign_batch.c
ca_tools_tanba_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
ca_tools_tanba_LDADD = ca-tools/libtbclient.la revocation/librevocation.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
