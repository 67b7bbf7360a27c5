# revocation decisions: OCSP, CRL, delta CRL, scope, the offline check.
# Fetching, caching and refresh are revocation/'s; HTTP comes in through
# the tb_fetcher interface (fetcher.h).
libsig_libsig_la_SOURCES += \
	libsig/der_reader.c libsig/der_reader.h \
	libsig/der_writer.c libsig/der_writer.h \
	libsig/crl_index.c libsig/crl_index.h \
	libsig/crl.c libsig/crl.h \
	libsig/crl_scope.c libsig/crl_scope.h \
	libsig/fetcher.c libsig/fetcher.h
libsig_libsig_la_SOURCES += libsig/ocsp_check.c libsig/ocsp_check.h
libsig_libsig_la_SOURCES += libsig/rev_result.c libsig/rev_offline.c libsig/rev_offline.h
libsig_libsig_la_SOURCES += libsig/crl_signer.c libsig/crl_signer.h
