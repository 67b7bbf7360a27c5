# tanbad: the signing daemon. Wire format and configuration are noinst
# libraries so that unit tests link the real code.
noinst_LTLIBRARIES += daemon/libtbproto.la daemon/libtbconf.la
daemon_libtbproto_la_SOURCES = daemon/proto.c daemon/proto.h
daemon_libtbproto_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_libtbproto_la_LIBADD = common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS)

daemon_libtbconf_la_SOURCES = daemon/conf.c daemon/conf.h
daemon_libtbconf_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(INIH_CFLAGS)
daemon_libtbconf_la_LIBADD = common/libtbcommon.la $(INIH_LIBS) $(OPENSSL_LIBS)

sbin_PROGRAMS += daemon/tanbad
daemon_tanbad_SOURCES = \
	daemon/tanbad.c \
	daemon/daemon.c daemon/daemon.h \
	daemon/server.c daemon/server.h \
	daemon/workpool.c daemon/workpool.h \
	daemon/request.c daemon/request.h \
	daemon/keystore.c daemon/keystore.h \
	daemon/certinfo.c daemon/certinfo.h \
	daemon/metrics.c daemon/metrics.h \
	daemon/metrics_http.c daemon/metrics_http.h \
	daemon/budget.c daemon/budget.h \
	daemon/ops.c daemon/ops.h \
	daemon/op_sign.c daemon/op_keys.c daemon/op_status.c \
	daemon/privs.c daemon/privs.h \
	daemon/notify.c daemon/notify.h \
	daemon/ratelimit.c daemon/ratelimit.h
# The same binary is the signer process (tanbad --signer FD, exec'd by the
# front): the records between them, the front's link, the signer's loop.
daemon_tanbad_SOURCES += \
	daemon/signchan.c daemon/signchan.h \
	daemon/signer_link.c daemon/signer_link.h \
	daemon/signer_proc.c daemon/signer_proc.h
daemon_tanbad_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS)
daemon_tanbad_LDADD = daemon/libtbproto.la daemon/libtbconf.la daemon/libtbaudit.la \
	libsig/libsig.la pkcs11/libtbp11.la common/libtbcommon.la \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
include $(srcdir)/daemon/verify.mk
# the revocation checker of verify, check-cert, sign and status
daemon_tanbad_SOURCES += daemon/revocation.c daemon/revocation.h
# sign {"timestamp"}: the front stamps the assembled CMS (RFC 3161, CAdES-T)
daemon_tanbad_SOURCES += daemon/tsa_client.c daemon/tsa_client.h
include $(srcdir)/daemon/tls.mk
