# tanbad: the signing daemon. Wire format and configuration are noinst
# libraries so that unit tests link the real code.
noinst_LTLIBRARIES += daemon/libtbproto.la daemon/libtbconf.la
daemon_libtbproto_la_SOURCES = daemon/proto.c daemon/proto.h
daemon_libtbproto_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_libtbproto_la_LIBADD = common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS)

daemon_libtbconf_la_SOURCES = daemon/conf.c daemon/conf.h
daemon_libtbconf_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(INIH_CFLAGS)
daemon_libtbconf_la_LIBADD = common/libtbcommon.la $(INIH_LIBS) $(OPENSSL_LIBS)

# Three programs, three processes: tanbad (the parent, which opens the
# listening sockets and starts the other two), tanbad-front (which parses what
# clients send) and tanbad-signer. Neither the parent nor the front links the
# PKCS#11 layer; tanbad-signer never links libcurl nor the parsers of client
# frames, CMS or XML (tests/split-programs.sh checks all three). What they
# share, and the signer's part, are convenience libraries that the programs
# and tests link.
noinst_LTLIBRARIES += daemon/libtbproc.la daemon/libtbsigner.la
daemon_libtbproc_la_SOURCES = \
	daemon/signchan.c daemon/signchan.h \
	daemon/peers.c daemon/peers.h \
	daemon/privs.c daemon/privs.h \
	daemon/workpool.c daemon/workpool.h \
	daemon/certinfo.c daemon/certinfo.h \
	daemon/fake_time.c daemon/fake_time.h \
	daemon/owned_file.c daemon/owned_file.h \
	daemon/listeners.c daemon/listeners.h \
	daemon/notify.c daemon/notify.h
daemon_libtbproc_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_libtbsigner_la_SOURCES = \
	daemon/signer_proc.c daemon/signer_proc.h \
	daemon/signer_peers.c daemon/signer_peers.h \
	daemon/keystore.c daemon/keystore.h \
	daemon/filekey.c daemon/filekey.h
daemon_libtbsigner_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) \
	$(JANSSON_CFLAGS) $(SECCOMP_CFLAGS)

pkglibexec_PROGRAMS = daemon/tanbad-signer daemon/tanbad-front
daemon_tanbad_signer_SOURCES = daemon/tanbad_signer.c
daemon_tanbad_signer_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
daemon_tanbad_signer_LDFLAGS = -Wl,--gc-sections
daemon_tanbad_signer_LDADD = daemon/libtbsigner.la daemon/libtbproc.la daemon/libtbconf.la \
	daemon/libtbaudit.la libsig/libtbsign.la libsig/libtbgostkey.la pkcs11/libtbp11.la \
	common/libtbcommon.la \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(PTHREAD_LIBS)

# The parent: configuration, listeners, the two children, its seccomp denylist.
sbin_PROGRAMS += daemon/tanbad
daemon_tanbad_SOURCES = \
	daemon/tanbad.c \
	daemon/parent.c daemon/parent.h \
	daemon/launcher.h \
	daemon/programs.c daemon/programs.h \
	daemon/sandbox.c daemon/sandbox.h
daemon_tanbad_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SECCOMP_CFLAGS) \
	-DTB_SIGNER_PATH='"$(pkglibexecdir)/tanbad-signer"' \
	-DTB_FRONT_PATH='"$(pkglibexecdir)/tanbad-front"'

daemon_tanbad_LDADD = daemon/libtbproc.la daemon/libtbconf.la libsig/libtbsign.la \
	common/libtbcommon.la \
	$(OPENSSL_LIBS) $(INIH_LIBS) $(SECCOMP_LIBS) $(PTHREAD_LIBS)

daemon_tanbad_front_SOURCES = \
	daemon/tanbad_front.c \
	daemon/daemon.c daemon/daemon.h \
	daemon/server.c daemon/server.h \
	daemon/request.c daemon/request.h \
	daemon/metrics.c daemon/metrics.h \
	daemon/metrics_http.c daemon/metrics_http.h \
	daemon/budget.c daemon/budget.h \
	daemon/ops.c daemon/ops.h \
	daemon/op_sign.c daemon/op_sign_xml.c daemon/op_cosign.c daemon/op_sign_batch.c daemon/op_keys.c \
	daemon/op_status.c \
	daemon/ratelimit.c daemon/ratelimit.h
# The front's link to the signer process, and its control link to the parent.
daemon_tanbad_front_SOURCES += \
	daemon/signer_link.c daemon/signer_link.h \
	daemon/launcher.c daemon/launcher.h \
	daemon/landlock.c daemon/landlock.h
daemon_tanbad_front_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) \
	$(JANSSON_CFLAGS) $(INIH_CFLAGS)
daemon_tanbad_front_LDADD = daemon/libtbproc.la daemon/libtbproto.la daemon/libtbconf.la \
	revocation/librevocation.la libsig/libsig.la common/libtbcommon.la \
	$(OPENSSL_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(CURL_LIBS) $(PTHREAD_LIBS)
include $(srcdir)/daemon/verify.mk
# the revocation checker of verify, check-cert, sign and status
daemon_tanbad_front_SOURCES += daemon/revocation.c daemon/revocation.h
# sign {"timestamp"}: the front stamps the assembled CMS (RFC 3161, CAdES-T)
daemon_tanbad_front_SOURCES += daemon/tsa_client.c daemon/tsa_client.h
# the timestamp op: CAdES-T for a CMS handed in, through the same client
daemon_tanbad_front_SOURCES += daemon/op_timestamp.c
# evidence "embed": validation data into SignedData.crls
daemon_tanbad_front_SOURCES += daemon/evidence.c daemon/evidence.h
include $(srcdir)/daemon/tls.mk
