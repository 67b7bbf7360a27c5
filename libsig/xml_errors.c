/*
 * libxml2's error messages, kept from stderr and the log. libxml2 2.9
 * prints a message to stderr through xmlGenericError unless a structured
 * handler is set; both are per thread (its global state is thread-local
 * when built with threads, as Debian's is), so each verifying or signing
 * thread sets tanba's own handler before it calls the parser or the
 * canonicalizer, and the daemon's workers never share one. A message is
 * kept only for the reason of a refusal.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "xml_int.h"

/*
 * The message's first line: what follows a newline is the document's text.
 * So is what follows the colon of a double hyphen in a comment (the
 * comment itself), and a reason goes to the log and the audit trail.
 */
static void
keep_first(void *ctx, xmlErrorPtr e)
{
	char *buf = ctx;

	if (buf == NULL || buf[0] != '\0' || e == NULL || e->message == NULL)
		return;
	snprintf(buf, TB_XML_ERR_LEN, "%s", e->message);
	buf[strcspn(buf, e->code == XML_ERR_HYPHEN_IN_COMMENT ? ":\n" : "\n")] = '\0';
}

/* What bypasses the structured handler (xmlGenericError itself) goes nowhere. */
static void
drop_generic(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void
tb_xml_errors_keep(char *buf)
{
	if (buf != NULL)
		buf[0] = '\0';
	xmlSetStructuredErrorFunc(buf, keep_first);
	xmlSetGenericErrorFunc(NULL, drop_generic);
}

/*
 * libxml2 2.9 goes on parsing after a fatal error (it reports the ones
 * after it too): past a start tag it refuses, it parses the next one with
 * all the work of a good one, where the scan (xml_scan.c) has stopped
 * counting. A document is refused at its first fatal error anyway, so the
 * parse ends there: the parser's loops stop at XML_PARSER_EOF. Not
 * xmlStopParser, which frees the input a parsing function may still hold.
 * The first message is kept in buf (TB_XML_ERR_LEN bytes): the reason.
 */
static void
stop_fatal(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr p = ctx;

	if (p == NULL || e == NULL || e->level != XML_ERR_FATAL)
		return;
	keep_first(p->_private, e);
	p->wellFormed = 0;
	p->disableSAX = 1;
	p->instate = XML_PARSER_EOF;
}

void
tb_xml_errors_stop(void *pctx, char *buf)
{
	xmlParserCtxtPtr p = pctx;

	buf[0] = '\0';
	p->_private = buf;
	xmlSetStructuredErrorFunc(pctx, stop_fatal);
	xmlSetGenericErrorFunc(NULL, drop_generic);
}
