# verify and check-cert commands of tanba
ca_tools_tanba_SOURCES += ca-tools/tanba_verify.c
ca_tools_tanba_SOURCES += ca-tools/tanba_timestamp.c
