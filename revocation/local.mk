# revocation: the network, thread and disk side of revocation checking
# (HTTP fetcher, OCSP cache, CRL store, disk cache, background refresh).
# Every decision on what it fetches is libsig's; link this before libsig.
noinst_LTLIBRARIES += revocation/librevocation.la
revocation_librevocation_la_SOURCES = \
	revocation/http_fetch.c revocation/http_fetch.h \
	revocation/rev_checker.h revocation/rev_int.h \
	revocation/rev_ctx.c \
	revocation/rev_order.c \
	revocation/ocsp_cache.c \
	revocation/crl_store.c \
	revocation/crl_disk.c revocation/crl_disk.h \
	revocation/crl_refresh.c
revocation_librevocation_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(CURL_CFLAGS)
