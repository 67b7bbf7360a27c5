# daemon/front: tanbad-front, the process that parses what clients send:
# socket server, lanes and budgets, wire format, ops, verification,
# revocation, time-stamps, metrics. It never links the PKCS#11 layer and
# opens no audit file (tests/system/split-programs.sh); it signs through the signer
# process (signer_link.c) and asks the parent for a new signer (launcher.c).
# The program is built as daemon/tanbad-front, beside tanbad, which finds it
# there in a build tree (daemon/parent/programs.c).

# The wire format is a library so that unit tests, fuzzers and benchmarks
# link the real code.
noinst_LTLIBRARIES += daemon/front/libtbproto.la
daemon_front_libtbproto_la_SOURCES = daemon/front/proto.c daemon/front/proto.h
daemon_front_libtbproto_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_front_libtbproto_la_LIBADD = $(OPENSSL_LIBS) $(JANSSON_LIBS)

# Everything of the front but its main file, as a convenience library:
# tanbad-front links it, and so do the unit tests of its parts (test_acl,
# test_budget) and tests/tanbad-hooks, instead of compiling the files again.
noinst_LTLIBRARIES += daemon/front/libtbfront.la
daemon_front_libtbfront_la_SOURCES = \
	daemon/front/daemon.c daemon/front/daemon.h \
	daemon/front/server.c daemon/front/server.h \
	daemon/front/request.c daemon/front/request.h \
	daemon/front/metrics.c daemon/front/metrics.h \
	daemon/front/metrics_http.c daemon/front/metrics_http.h \
	daemon/front/budget.c daemon/front/budget.h \
	daemon/front/ops.c daemon/front/ops.h \
	daemon/front/op_sign.c daemon/front/op_sign_xml.c daemon/front/op_sign_wsse.c daemon/front/op_cosign.c daemon/front/op_sign_batch.c \
	daemon/front/op_keys.c \
	daemon/front/op_status.c \
	daemon/front/ratelimit.c daemon/front/ratelimit.h
# The front's link to the signer process, and its control link to the parent.
daemon_front_libtbfront_la_SOURCES += \
	daemon/front/signer_link.c daemon/front/signer_link.h \
	daemon/front/launcher.c daemon/front/launcher.h \
	daemon/front/landlock.c daemon/front/landlock.h
# verify and check-cert ops
daemon_front_libtbfront_la_SOURCES += daemon/front/op_verify.c
# [verify] trust, built and swapped with the configuration
daemon_front_libtbfront_la_SOURCES += daemon/front/anchors.c daemon/front/anchors.h
# the revocation checker of verify, check-cert, sign and status
daemon_front_libtbfront_la_SOURCES += daemon/front/revocation.c daemon/front/revocation.h
# sign {"timestamp"}: the front stamps the assembled CMS (RFC 3161, CAdES-T)
daemon_front_libtbfront_la_SOURCES += daemon/front/tsa_client.c daemon/front/tsa_client.h
# the timestamp op: CAdES-T for a CMS handed in, through the same client
daemon_front_libtbfront_la_SOURCES += daemon/front/op_timestamp.c
# evidence "embed": validation data into SignedData.crls
daemon_front_libtbfront_la_SOURCES += daemon/front/evidence.c daemon/front/evidence.h
# the optional TLS 1.3 TCP listener ([tls] in tanbad.conf)
daemon_front_libtbfront_la_SOURCES += daemon/front/tls_listener.c daemon/front/tls_listener.h
daemon_front_libtbfront_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS)

# The program: its main file, the front's library, and its seccomp filter
# (daemon/shared/libtbsandbox.la, docs/SANDBOX.md).
pkglibexec_PROGRAMS += daemon/tanbad-front
daemon_tanbad_front_SOURCES = daemon/front/tanbad_front.c
daemon_tanbad_front_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS)
daemon_tanbad_front_LDADD = daemon/front/libtbfront.la daemon/shared/libtbsandbox.la \
	daemon/shared/libtbproc.la daemon/front/libtbproto.la daemon/shared/libtbconf.la \
	revocation/librevocation.la libsig/libsig.la common/libtbcommon.la \
	$(OPENSSL_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(CURL_LIBS) $(SECCOMP_LIBS) $(PTHREAD_LIBS)
