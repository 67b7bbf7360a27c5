# verify and check-cert ops
daemon_tanbad_SOURCES += daemon/op_verify.c
