# tanba: the command-line client of tanbad (socket call, sign, keys, status).
# The verify/check-cert commands join ca_tools_tanba_SOURCES below.
# The client side of the wire format, shared with bench/ and the soak load.
noinst_LTLIBRARIES += ca-tools/libtbclient.la
ca_tools_libtbclient_la_SOURCES = ca-tools/tbclient.c ca-tools/tbclient.h
ca_tools_libtbclient_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bin_PROGRAMS += ca-tools/tanba
ca_tools_tanba_SOURCES = ca-tools/tanba.c ca-tools/tanba.h ca-tools/client.c \
	ca-tools/tanba_cosign.c ca-tools/tanba_sign_batch.c ca-tools/tanba_sign_xml.c
ca_tools_tanba_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
ca_tools_tanba_LDADD = ca-tools/libtbclient.la revocation/librevocation.la libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
# verify and check-cert commands of tanba
ca_tools_tanba_SOURCES += ca-tools/tanba_verify.c
ca_tools_tanba_SOURCES += ca-tools/tanba_timestamp.c
# tanba-admin: the security officers' tool (tokens, keys, CSRs, certificates, audit).
sbin_PROGRAMS += ca-tools/tanba-admin
ca_tools_tanba_admin_SOURCES = ca-tools/tanba-admin.c ca-tools/admin.h ca-tools/admin_audit.c \
	ca-tools/admin_pin.c ca-tools/admin_p11.c ca-tools/admin_conf.c \
	ca-tools/admin_token.c ca-tools/admin_key.c ca-tools/admin_csr.c \
	ca-tools/admin_cert.c ca-tools/admin_reload.c ca-tools/admin_import.c
# No P11KIT_CFLAGS: the tool reaches tokens only through pkcs11/'s headers.
ca_tools_tanba_admin_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
ca_tools_tanba_admin_LDADD = daemon/shared/libtbconf.la daemon/signer/libtbaudit.la pkcs11/libtbp11.la \
	libsig/libsig.la common/libtbcommon.la \
	$(OPENSSL_LIBS) $(JANSSON_LIBS) $(P11KIT_LIBS) $(INIH_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
