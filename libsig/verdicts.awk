# Turns libsig/verdicts.tsv into a C table (libsig/verdicts_cat.c).
# Lines: id TAB lang TAB text; '#' lines and empty lines are skipped.
BEGIN {
	FS = "\t"
	print "/* Generated from libsig/verdicts.tsv by libsig/verdicts.awk: edit the .tsv. */"
	print "#include \"verdict.h\""
	print ""
	print "const tb_verdict_msg tb_verdict_catalogue[] = {"
	n = 0
}
/^#/ || /^[ \t]*$/ { next }
{
	if (NF != 3 || $2 !~ /^(kk|ru|en)$/) {
		printf("verdicts.tsv:%d: expected id<TAB>kk|ru|en<TAB>text\n", NR) > "/dev/stderr"
		bad = 1
		exit 1
	}
	text = $3
	gsub(/\\/, "\\\\", text)
	gsub(/"/, "\\\"", text)
	printf("\t{ \"%s\", \"%s\", \"%s\" },\n", $1, $2, text)
	n++
}
END {
	if (bad)
		exit 1
	print "};"
	printf("const size_t tb_verdict_catalogue_len = %d;\n", n)
}
