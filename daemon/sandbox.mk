# The seccomp sandbox of tanbad's processes (daemon/sandbox.c, docs/SANDBOX.md).
daemon_tanbad_front_SOURCES += daemon/sandbox.c daemon/sandbox.h
daemon_tanbad_front_CFLAGS += $(SECCOMP_CFLAGS)
daemon_tanbad_front_LDADD += $(SECCOMP_LIBS)
daemon_tanbad_signer_SOURCES += daemon/sandbox.c daemon/sandbox.h
daemon_tanbad_signer_CFLAGS += $(SECCOMP_CFLAGS)
daemon_tanbad_signer_LDADD += $(SECCOMP_LIBS)
EXTRA_DIST += docs/SANDBOX.md
