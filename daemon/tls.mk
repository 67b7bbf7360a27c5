# the optional TLS 1.3 TCP listener ([tls] in tanbad.conf)
daemon_tanbad_front_SOURCES += daemon/tls_listener.c daemon/tls_listener.h
