# daemon/parent: tanbad, the parent: configuration, listening sockets, the
# two children (started from the programs beside it, or installed under
# pkglibexecdir), its seccomp denylist. It links neither the PKCS#11 layer
# nor the parsers of client frames (tests/system/split-programs.sh).
sbin_PROGRAMS += daemon/tanbad
daemon_tanbad_SOURCES = \
	daemon/parent/tanbad.c \
	daemon/parent/parent.c daemon/parent/parent.h \
	daemon/parent/programs.c daemon/parent/programs.h
daemon_tanbad_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) \
	-DTB_SIGNER_PATH='"$(pkglibexecdir)/tanbad-signer"' \
	-DTB_FRONT_PATH='"$(pkglibexecdir)/tanbad-front"'
daemon_tanbad_LDADD = daemon/shared/libtbsandbox.la daemon/shared/libtbproc.la daemon/shared/libtbconf.la libsig/libtbsign.la \
	common/libtbcommon.la \
	$(OPENSSL_LIBS) $(INIH_LIBS) $(SECCOMP_LIBS) $(PTHREAD_LIBS)
