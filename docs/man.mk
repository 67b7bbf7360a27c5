# Manual pages and the operations guide.
dist_man_MANS += docs/tanbad.8 docs/tanba.1 docs/tanba-admin.8 docs/tanbad.conf.5
dist_doc_DATA += docs/OPERATIONS.md
