# daemon/shared: what more than one of tanbad's processes links (docs/LAYOUT.md).
# The configuration parser is a library of its own: tanba-admin, the fuzzers
# and the unit tests link the same code as the daemon.
noinst_LTLIBRARIES += daemon/shared/libtbconf.la
daemon_shared_libtbconf_la_SOURCES = daemon/shared/conf.c daemon/shared/conf.h
daemon_shared_libtbconf_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(INIH_CFLAGS)
daemon_shared_libtbconf_la_LIBADD = $(INIH_LIBS) $(OPENSSL_LIBS)

# The channel between front and signer, the listening sockets the parent opens
# and the front takes, privilege drops, the work pool, certificate facts,
# owned files and the readiness notice: a convenience library that the three
# programs and the tests link.
noinst_LTLIBRARIES += daemon/shared/libtbproc.la
daemon_shared_libtbproc_la_SOURCES = \
	daemon/shared/signchan.c daemon/shared/signchan.h \
	daemon/shared/peers.c daemon/shared/peers.h \
	daemon/shared/privs.c daemon/shared/privs.h \
	daemon/shared/workpool.c daemon/shared/workpool.h \
	daemon/shared/certinfo.c daemon/shared/certinfo.h \
	daemon/shared/fake_time.c daemon/shared/fake_time.h \
	daemon/shared/owned_file.c daemon/shared/owned_file.h \
	daemon/shared/listeners.c daemon/shared/listeners.h \
	daemon/shared/notify.c daemon/shared/notify.h \
	daemon/shared/launch_cmds.h
daemon_shared_libtbproc_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)

# The seccomp filters of the three roles (docs/SANDBOX.md): one object with
# libseccomp's flags, linked by the three programs and by test_sandbox.
noinst_LTLIBRARIES += daemon/shared/libtbsandbox.la
daemon_shared_libtbsandbox_la_SOURCES = daemon/shared/sandbox.c daemon/shared/sandbox.h
daemon_shared_libtbsandbox_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SECCOMP_CFLAGS)
daemon_shared_libtbsandbox_la_LIBADD = $(SECCOMP_LIBS)
