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
