# The audit trail: a library shared by tanbad and tanba-admin audit-verify.
noinst_LTLIBRARIES += daemon/libtbaudit.la
daemon_libtbaudit_la_SOURCES = daemon/audit.c daemon/audit.h daemon/audit_int.h \
	daemon/audit_checkpoint.c daemon/audit_refusals.c daemon/audit_verify.c
daemon_libtbaudit_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_libtbaudit_la_LIBADD = common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS)
