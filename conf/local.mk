# conf: the example configuration, documented line by line.
EXTRA_DIST += conf/tanbad.conf
EXTRA_DIST += conf/tanbad.service
