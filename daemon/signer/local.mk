# daemon/signer: tanbad-signer, the only process that loads the PKCS#11
# module, reads the PIN and writes the audit trail; it never links libcurl
# nor the parsers of client frames, CMS or XML (tests/system/split-programs.sh).
# The program is built as daemon/tanbad-signer, beside tanbad, which finds
# it there in a build tree (daemon/parent/programs.c).

# The audit trail: a library shared by the signer and tanba-admin audit-verify.
noinst_LTLIBRARIES += daemon/signer/libtbaudit.la
daemon_signer_libtbaudit_la_SOURCES = daemon/signer/audit.c daemon/signer/audit.h \
	daemon/signer/audit_int.h \
	daemon/signer/audit_checkpoint.c daemon/signer/audit_refusals.c daemon/signer/audit_verify.c
daemon_signer_libtbaudit_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
daemon_signer_libtbaudit_la_LIBADD = $(OPENSSL_LIBS) $(JANSSON_LIBS)

# The signer's part: its loop, its peers, the keys on tokens and in files.
noinst_LTLIBRARIES += daemon/signer/libtbsigner.la
daemon_signer_libtbsigner_la_SOURCES = \
	daemon/signer/signer_proc.c daemon/signer/signer_proc.h \
	daemon/signer/signer_peers.c daemon/signer/signer_peers.h \
	daemon/signer/keystore.c daemon/signer/keystore.h \
	daemon/signer/filekey.c daemon/signer/filekey.h
daemon_signer_libtbsigner_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) \
	$(JANSSON_CFLAGS) $(SECCOMP_CFLAGS)

pkglibexec_PROGRAMS += daemon/tanbad-signer
daemon_tanbad_signer_SOURCES = daemon/signer/tanbad_signer.c
daemon_tanbad_signer_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
daemon_tanbad_signer_LDFLAGS = -Wl,--gc-sections
daemon_tanbad_signer_LDADD = daemon/signer/libtbsigner.la daemon/shared/libtbsandbox.la \
	daemon/shared/libtbproc.la \
	daemon/shared/libtbconf.la \
	daemon/signer/libtbaudit.la libsig/libtbsign.la libsig/libtbgostkey.la pkcs11/libtbp11.la \
	common/libtbcommon.la \
	$(OPENSSL_LIBS) $(P11KIT_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(PTHREAD_LIBS)
# its seccomp filter (daemon/shared/libtbsandbox.la, docs/SANDBOX.md)
daemon_tanbad_signer_LDADD += $(SECCOMP_LIBS)
