# Fuzz targets, one program per hostile parser (docs/FUZZING.md). With
# --enable-fuzzing (CC=clang) they are linked with libFuzzer; otherwise
# with fuzz/replay_main.c, and make check replays every corpus through
# them: the seeds in fuzz/corpus/NAME, the ones fuzz/make-corpus generates
# with the test PKI, and the reproducers in fuzz/crashes/NAME.
FUZZ_TARGETS = \
	fuzz/fuzz_frame fuzz/fuzz_request fuzz/fuzz_config \
	fuzz/fuzz_identity fuzz/fuzz_cms \
	fuzz/fuzz_crl fuzz/fuzz_delta fuzz/fuzz_ocsp fuzz/fuzz_gost \
	fuzz/fuzz_path
check_PROGRAMS += $(FUZZ_TARGETS)

if ENABLE_FUZZING
FUZZ_MAIN =
else
FUZZ_MAIN = fuzz/replay_main.c
endif
FUZZ_COMMON = fuzz/fuzz.h fuzz/fuzz_common.c $(FUZZ_MAIN)
FUZZ_PKI = fuzz/fuzz_pki.c
FUZZ_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
FUZZ_SIG_LIBS = libsig/libsig.la common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS) \
	$(CURL_LIBS) $(PTHREAD_LIBS)

fuzz_fuzz_frame_SOURCES = fuzz/fuzz_frame.c fuzz/request_walk.c $(FUZZ_COMMON)
fuzz_fuzz_frame_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_frame_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_frame_LDADD = daemon/front/libtbproto.la common/libtbcommon.la $(OPENSSL_LIBS) $(JANSSON_LIBS)

fuzz_fuzz_request_SOURCES = fuzz/fuzz_request.c fuzz/request_walk.c $(FUZZ_COMMON)
fuzz_fuzz_request_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_request_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_request_LDADD = $(fuzz_fuzz_frame_LDADD)

fuzz_fuzz_config_SOURCES = fuzz/fuzz_config.c $(FUZZ_COMMON)
fuzz_fuzz_config_CFLAGS = $(FUZZ_CFLAGS) $(INIH_CFLAGS)
fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_config_LDADD = daemon/shared/libtbconf.la libsig/libsig.la common/libtbcommon.la $(INIH_LIBS) $(OPENSSL_LIBS)

fuzz_fuzz_identity_SOURCES = fuzz/fuzz_identity.c $(FUZZ_PKI) $(FUZZ_COMMON)
fuzz_fuzz_identity_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_identity_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_identity_LDADD = $(FUZZ_SIG_LIBS)

fuzz_fuzz_cms_SOURCES = fuzz/fuzz_cms.c $(FUZZ_PKI) $(FUZZ_COMMON)
fuzz_fuzz_cms_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_cms_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_cms_LDADD = $(FUZZ_SIG_LIBS)

fuzz_fuzz_crl_SOURCES = fuzz/fuzz_crl.c $(FUZZ_PKI) $(FUZZ_COMMON)
fuzz_fuzz_crl_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_crl_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_crl_LDADD = $(FUZZ_SIG_LIBS)

fuzz_fuzz_delta_SOURCES = fuzz/fuzz_delta.c $(FUZZ_PKI) $(FUZZ_COMMON)
fuzz_fuzz_delta_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_delta_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_delta_LDADD = $(FUZZ_SIG_LIBS)

fuzz_fuzz_ocsp_SOURCES = fuzz/fuzz_ocsp.c $(FUZZ_PKI) $(FUZZ_COMMON)
fuzz_fuzz_ocsp_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_ocsp_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_ocsp_LDADD = $(FUZZ_SIG_LIBS)

fuzz_fuzz_gost_SOURCES = fuzz/fuzz_gost.c $(FUZZ_COMMON)
fuzz_fuzz_gost_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_gost_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_gost_LDADD = $(FUZZ_SIG_LIBS)

# RFC 5280 policy processing (libsig/x509_policy.c)
FUZZ_TARGETS += fuzz/fuzz_policy
fuzz_fuzz_policy_SOURCES = fuzz/fuzz_policy.c $(FUZZ_COMMON)
fuzz_fuzz_policy_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_policy_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_policy_LDADD = $(FUZZ_SIG_LIBS)
fuzz_fuzz_path_SOURCES = fuzz/fuzz_path.c $(FUZZ_COMMON)
fuzz_fuzz_path_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_path_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_path_LDADD = $(FUZZ_SIG_LIBS)

# Seeds too large or too changeable to check in: made by the test PKI.
fuzz/corpus-gen/stamp: $(srcdir)/fuzz/make-corpus testpki/tanba-testpki$(EXEEXT)
	$(AM_V_GEN)$(SHELL) $(srcdir)/fuzz/make-corpus testpki/tanba-testpki$(EXEEXT) \
	    fuzz/corpus-gen && touch $@

# make fuzz: the targets and their generated seeds; scripts/fuzz runs them.
fuzz: $(FUZZ_TARGETS) fuzz/corpus-gen/stamp
.PHONY: fuzz

clean-local: clean-fuzz-corpus
clean-fuzz-corpus:
	-rm -rf fuzz/corpus-gen fuzz/replay_*.log fuzz/make-corpus.log
.PHONY: clean-fuzz-corpus

TESTS += fuzz/replay.sh
EXTRA_DIST += fuzz/replay.sh fuzz/make-corpus fuzz/lsan.supp fuzz/corpus fuzz/crashes \
	scripts/fuzz

# XML signatures (libsig/xml_verify.c, libxml2 behind it)
FUZZ_TARGETS += fuzz/fuzz_xml
fuzz_fuzz_xml_SOURCES = fuzz/fuzz_xml.c $(FUZZ_PKI) $(FUZZ_COMMON)
fuzz_fuzz_xml_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_xml_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_xml_LDADD = $(FUZZ_SIG_LIBS)

# NCA key containers and their GOST keys (libsig/p12_read.c, gost_key.c):
# what tanbad-signer reads for a file key ([key] p12 =)
FUZZ_TARGETS += fuzz/fuzz_p12
fuzz_fuzz_p12_SOURCES = fuzz/fuzz_p12.c $(FUZZ_COMMON)
fuzz_fuzz_p12_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_p12_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_p12_LDADD = $(FUZZ_SIG_LIBS)
