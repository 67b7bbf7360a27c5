# The audit trail: a library shared by tanbad and tanba-admin audit-verify.
noinst_LTLIBRARIES += daemon/libtbaudit.la
daemon_libtbaudit_la_SOURCES = daemon/audit.c daemon/audit.h
daemon_libtbaudit_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_libtbaudit_la_LIBADD = common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS)
