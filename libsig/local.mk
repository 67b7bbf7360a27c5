# libsig: no sockets, threads or file writes (tests/system/libsig-purity.sh), no PKCS#11. Each part lists its sources in its own section below.
noinst_LTLIBRARIES += libsig/libsig.la
libsig_libsig_la_SOURCES = \
	libsig/signer.h \
	libsig/cms_sign.h \
	libsig/sigalg.h \
	libsig/revocation.h
# the one reader of certificate files (PEM bundle or DER)
libsig_libsig_la_SOURCES += libsig/cert_read.c libsig/cert_read.h
libsig_libsig_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
libsig_libsig_la_LIBADD = $(OPENSSL_LIBS) $(JANSSON_LIBS)
# CMS signing
libsig_libsig_la_SOURCES += libsig/cms_sign.c libsig/cms_attrs.c libsig/cms_cosign.c \
	libsig/cms_sign_int.h
# The signer process's part of it: signed attributes only (tanbad-signer
# links this, not libsig: no libcurl, no CMS structure or parser).
noinst_LTLIBRARIES += libsig/libtbsign.la
libsig_libtbsign_la_SOURCES = libsig/cms_attrs.c libsig/cms_sign.h \
	libsig/cert_read.c libsig/cert_read.h \
	libsig/xml_alg.c libsig/xml_signed_info.c libsig/xml_signed_info.h
# XML: the SignedInfo text and the URI table; libxml2's headers, not its library.
libsig_libtbsign_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBXML_CFLAGS)
# CMS signing with a Kazakh GOST 2015 key (DER written by hand)
libsig_libsig_la_SOURCES += libsig/cms_gost_sign.c
# PKCS#12 key containers (NCA layout)
libsig_libsig_la_SOURCES += libsig/p12_read.c libsig/p12_read.h
# verification: CMS, paths, identity, verdicts
libsig_libsig_la_SOURCES += \
	libsig/verify.h libsig/verify.c \
	libsig/sigalg.c \
	libsig/x509_path.c libsig/x509_path.h \
	libsig/trust_store.c libsig/trust_store.h libsig/trust_int.h \
	libsig/x509_text.c libsig/x509_text.h \
	libsig/x509_policy.c libsig/x509_policy.h \
	libsig/verify_budget.c libsig/verify_budget.h \
	libsig/x509_profile.c libsig/x509_profile.h \
	libsig/cms_verify.c libsig/cms_verify.h libsig/cms_countersig.c \
	libsig/tst_verify.c libsig/tst_verify.h \
	libsig/ess_cert_id.c libsig/ess_cert_id.h \
	libsig/cms_evidence.c libsig/cms_evidence.h \
	libsig/tst_client.c libsig/tst_client.h \
	libsig/cert_cache.c libsig/cert_cache.h \
	libsig/identity.c libsig/identity.h \
	libsig/verdict.c libsig/verdict.h
# The message catalogue is data (libsig/verdicts.tsv); awk turns it into C.
nodist_libsig_libsig_la_SOURCES = libsig/verdicts_cat.c
libsig/verdicts_cat.c: $(srcdir)/libsig/verdicts.tsv $(srcdir)/libsig/verdicts.awk
	$(AM_V_GEN)$(MKDIR_P) libsig && \
	$(AWK) -f $(srcdir)/libsig/verdicts.awk $(srcdir)/libsig/verdicts.tsv > $@.tmp && \
	mv $@.tmp $@
CLEANFILES += libsig/verdicts_cat.c
EXTRA_DIST += libsig/verdicts.tsv libsig/verdicts.awk
# GOST mapping: Kazakh OIDs and byte order over Debian's gost engine/provider.
libsig_libsig_la_SOURCES += libsig/gost.c libsig/gost.h \
	libsig/gost94.c libsig/gost94.h \
	libsig/gost_engine.c libsig/gost_engine.h
# GOST 2015 file keys (NCA containers) for the process that signs
libsig_libsig_la_SOURCES += libsig/gost_key.c libsig/gost_key.h
# The same for tanbad-signer, which links neither libsig nor libcurl: the
# containers, the GOST mapping and the GOST signed attributes of file keys.
# Each function in a section of its own, so that the signer's link
# (--gc-sections, daemon/signer/local.mk) leaves out what it never calls: GOST
# verification and CMS assembly (tests/system/split-programs.sh).
noinst_LTLIBRARIES += libsig/libtbgostkey.la
libsig_libtbgostkey_la_SOURCES = libsig/p12_read.c libsig/gost_key.c libsig/gost.c \
	libsig/gost94.c libsig/gost_engine.c libsig/cms_gost_sign.c libsig/der_writer.c
libsig_libtbgostkey_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -ffunction-sections \
	-fdata-sections
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
# XML signatures (XMLDSig): libxml2 parses and canonicalizes; see docs/XML.md.
libsig_libsig_la_SOURCES += \
	libsig/xml.h libsig/xml_int.h libsig/xml_limits.h \
	libsig/xml_alg.c \
	libsig/xml_verify.c \
	libsig/xml_sign.c \
	libsig/xml_signed_info.c libsig/xml_signed_info.h \
	libsig/xml_sign_split.c \
	libsig/xml_scan.c libsig/xml_errors.c libsig/xml_wsse_split.c
libsig_libsig_la_CFLAGS += $(LIBXML_CFLAGS)
libsig_libsig_la_LIBADD += $(LIBXML_LIBS)
