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
