# bench: signing and verification rates through tanbad beside the raw
# rates of the token and of the public-key arithmetic, and the CRL index.
# bench/run makes the token, the PKI and the daemon, then runs these.
noinst_PROGRAMS += bench/sign
bench_sign_SOURCES = bench/sign.c bench/bench_io.c bench/bench_io.h
bench_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(P11KIT_CFLAGS) $(JANSSON_CFLAGS)
bench_sign_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ca-tools
bench_sign_LDADD = ca-tools/libtbclient.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(PTHREAD_LIBS) -ldl
noinst_PROGRAMS += bench/load
bench_load_SOURCES = bench/load.c bench/bench_io.c bench/bench_io.h
bench_load_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
bench_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ca-tools
bench_load_LDADD = ca-tools/libtbclient.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(PTHREAD_LIBS)
# 100 digests in one request against 100 single requests (docs/PERFORMANCE.md)
noinst_PROGRAMS += bench/batch
bench_batch_SOURCES = bench/batch.c bench/bench_io.c bench/bench_io.h
bench_batch_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
bench_batch_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/ca-tools
bench_batch_LDADD = ca-tools/libtbclient.la common/libtbcommon.la $(OPENSSL_LIBS) \
	$(JANSSON_LIBS) $(PTHREAD_LIBS)
noinst_PROGRAMS += bench/gost_verify
bench_gost_verify_SOURCES = bench/gost_verify.c bench/bench_io.c bench/bench_io.h
bench_gost_verify_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_gost_verify_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(PTHREAD_LIBS)
noinst_PROGRAMS += bench/gost_sign
bench_gost_sign_SOURCES = bench/gost_sign.c bench/bench_io.c bench/bench_io.h
bench_gost_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_gost_sign_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(PTHREAD_LIBS)
noinst_PROGRAMS += bench/crl_index_bench
bench_crl_index_bench_SOURCES = bench/crl_index_bench.c
bench_crl_index_bench_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_crl_index_bench_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(CURL_LIBS)
noinst_PROGRAMS += bench/decode
bench_decode_SOURCES = bench/decode.c
bench_decode_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) -I$(srcdir)/daemon/front
bench_decode_LDADD = daemon/front/libtbproto.la common/libtbcommon.la $(JANSSON_LIBS) $(OPENSSL_LIBS)
EXTRA_DIST += bench/run bench/README.md
dist_doc_DATA += docs/PERFORMANCE.md
# XML signature verification beside CMS of the same content (docs/XML.md)
noinst_PROGRAMS += bench/xml_verify
bench_xml_verify_SOURCES = bench/xml_verify.c bench/bench_io.c bench/bench_io.h
bench_xml_verify_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
bench_xml_verify_LDADD = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS) \
	$(CURL_LIBS) $(PTHREAD_LIBS)
