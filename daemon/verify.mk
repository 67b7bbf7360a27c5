# verify and check-cert ops
daemon_tanbad_front_SOURCES += daemon/op_verify.c
# [verify] trust, built and swapped with the configuration
daemon_tanbad_front_SOURCES += daemon/anchors.c daemon/anchors.h
