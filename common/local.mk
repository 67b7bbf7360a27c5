noinst_LTLIBRARIES += common/libtbcommon.la
common_libtbcommon_la_SOURCES = \
	common/tb_err.c common/tb_err.h \
	common/tb_log.c common/tb_log.h \
	common/tb_clock.c common/tb_clock.h \
	common/tb_file.c common/tb_file.h \
	common/tb_secmem.c common/tb_secmem.h
common_libtbcommon_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
common_libtbcommon_la_LIBADD = $(OPENSSL_LIBS)
