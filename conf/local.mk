# conf: the example configuration, documented line by line, installed as
# $(sysconfdir)/tanba/tanbad.conf.example (never over a real tanbad.conf),
# and the systemd unit, made from its .in with configure's paths.
exampledir = $(sysconfdir)/tanba
example_DATA = conf/tanbad.conf.example
conf/tanbad.conf.example: conf/tanbad.conf
	$(AM_V_GEN)$(MKDIR_P) conf && cp $(srcdir)/conf/tanbad.conf $@
CLEANFILES += conf/tanbad.conf.example
EXTRA_DIST += conf/tanbad.conf

EXTRA_DIST += conf/tanbad.service.in
CLEANFILES += conf/tanbad.service
noinst_DATA += conf/tanbad.service
conf/tanbad.service: conf/tanbad.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) conf && sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' $(srcdir)/conf/tanbad.service.in > $@.tmp && \
	    mv $@.tmp $@
if HAVE_SYSTEMD_UNITDIR
systemdsystemunit_DATA = conf/tanbad.service
endif
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemdsystemunitdir='$${libdir}/systemd/system'
