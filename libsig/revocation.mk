# revocation: OCSP, CRL, delta CRL, caches
libsig_libsig_la_SOURCES += \
	libsig/der_reader.c libsig/der_reader.h \
	libsig/crl_index.c libsig/crl_index.h \
	libsig/crl.c libsig/crl.h \
	libsig/crl_scope.c libsig/crl_scope.h \
	libsig/fetch.c libsig/fetch.h
libsig_libsig_la_SOURCES += libsig/ocsp_check.c libsig/ocsp_check.h
libsig_libsig_la_SOURCES += libsig/rev_checker.c libsig/rev_checker.h
libsig_libsig_la_SOURCES += libsig/crl_signer.c libsig/crl_signer.h
