include $(srcdir)/ca-tools/tanba.mk
include $(srcdir)/ca-tools/tanba-verify.mk
include $(srcdir)/ca-tools/admin.mk
