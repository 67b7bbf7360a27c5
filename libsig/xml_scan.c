/*
 * A look at the bytes of an XML document before libxml2 parses it. The
 * parser (2.9.14) checks each attribute of a start tag against every one
 * before it, and each namespace declaration against the others, inside
 * xmlParseStartTag2 where no callback can stop it: one element with 75,000
 * attributes holds a worker for many seconds. So attributes (namespace
 * declarations included) are counted per start tag here, in one linear
 * pass, and a document over [verify] xml_max_attributes never reaches the
 * parser; elements and attributes together are held to xml_max_nodes too
 * (the walk after parsing counts them, text nodes besides), which bounds
 * the parser's per-element work over the whole document.
 * The parser also looks every prefix up through all the namespace
 * declarations in scope, one after the other (15,000 of them made the
 * parse of 150,000 prefixed elements take 8 s), and inclusive c14n looks
 * each declaration in scope up again on every element, the square of
 * their number per element (250 on the root of 190,000 elements: 38 s
 * of xmllint --c14n; 64: 2 s; 16: 0.2 s). At most TB_XML_MAX_NS_IN_SCOPE
 * may be in scope at once: documents that are signed declare a handful.
 *
 * The count is conservative: every '=' outside quotes in a start tag
 * counts, which is one per attribute in well-formed XML and more only in
 * a tag the parser refuses anyway. Comments, CDATA sections, processing
 * instructions and declarations are skipped whole, so a '<' or a quote in
 * them is not taken for markup. Anything unterminated ends the scan: the
 * parser refuses it.
 *
 * All of this reads the bytes as ASCII, which holds only for UTF-8 and the
 * single-byte encodings that keep ASCII as it is. libxml2 reads UTF-16 and
 * UCS-4 (told by a byte order mark or by the first bytes), EBCDIC and
 * whatever its declaration names through iconv; there a '>' or a quote of
 * the scan is half of another character, and 40,000 attributes the scan
 * never saw held a worker for seconds. Such a document is refused first.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xml_int.h"

/* The first byte after the first occurrence of end in in[i..len), or len. */
static size_t
past(const unsigned char *in, size_t len, size_t i, const char *end)
{
	size_t n = strlen(end);
	const unsigned char *p;

	if (i >= len || (p = memmem(in + i, len - i, end, n)) == NULL)
		return len;
	return (size_t)(p - in) + n;
}

/* 1 when the attribute whose '=' is at in[eq] is a namespace declaration. */
static int
is_xmlns(const unsigned char *in, size_t tag, size_t eq)
{
	size_t j = eq;

	while (j > tag && (in[j - 1] == ' ' || in[j - 1] == '\t' || in[j - 1] == '\r' ||
	    in[j - 1] == '\n'))
		j--;
	while (j > tag && in[j - 1] != ' ' && in[j - 1] != '\t' && in[j - 1] != '\r' &&
	    in[j - 1] != '\n' && in[j - 1] != '"' && in[j - 1] != '\'')
		j--;
	return eq - j >= 5 && memcmp(in + j, "xmlns", 5) == 0 &&
	    (in[j + 5] == ':' || in[j + 5] == '=' || in[j + 5] == ' ' || in[j + 5] == '\t' ||
	    in[j + 5] == '\r' || in[j + 5] == '\n');
}

static int
starts(const unsigned char *in, size_t len, size_t i, const char *s)
{
	size_t n = strlen(s);

	return len - i >= n && memcmp(in + i, s, n) == 0;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * 1 when an encoding declaration's name keeps ASCII bytes as ASCII: one of
 * these, those ending in a digit or '-' followed by more digits.
 */
static int
ascii_encoding(const unsigned char *name, size_t n)
{
	static const char *const keep[] = { "UTF-8", "UTF8", "US-ASCII", "ASCII",
		"ISO-8859-", "WINDOWS-125", "CP125", "KOI8-R", "KOI8-U" };
	size_t i, j, k;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		k = strlen(keep[i]);
		if (n < k || strncasecmp((const char *)name, keep[i], k) != 0)
			continue;
		for (j = k; j < n && name[j] >= '0' && name[j] <= '9'; j++)
			;
		if (j == n && (j == k || keep[i][k - 1] == '-' || keep[i][k - 1] == '5'))
			return 1;
	}
	return 0;
}

/*
 * 0 when libxml2 reads the bytes as the scan does: no NUL (UTF-16 and
 * UCS-4 have them, UTF-8 never), '<' first after a UTF-8 byte order mark
 * and white space (not EBCDIC), and every "encoding" of the XML
 * declaration naming an encoding ascii_encoding takes.
 */
static int
ascii_bytes(const unsigned char *in, size_t len, char *why, size_t why_len)
{
	size_t i = 0, end, e, n;

	if (memchr(in, '\0', len) != NULL)
		goto refuse;
	if (starts(in, len, 0, "\xEF\xBB\xBF"))
		i = 3;
	while (i < len && is_space(in[i]))
		i++;
	if (i < len && in[i] != '<')
		goto refuse;
	if (!starts(in, len, i, "<?xml") || i + 5 >= len || !is_space(in[i + 5]))
		return 0;
	end = past(in, len, i, "?>");
	for (e = i; (e = past(in, end, e, "encoding")) < end; ) {
		while (e < end && is_space(in[e]))
			e++;
		if (e >= end || in[e++] != '=')
			goto refuse;
		while (e < end && is_space(in[e]))
			e++;
		if (e >= end || (in[e] != '"' && in[e] != '\''))
			goto refuse;
		for (n = 0; e + 1 + n < end && in[e + 1 + n] != in[e]; n++)
			;
		if (!ascii_encoding(in + e + 1, n))
			goto refuse;
	}
	return 0;
refuse:
	snprintf(why, why_len, "XML not in UTF-8 or an encoding that keeps ASCII refused");
	return -1;
}

int
tb_xml_scan(const unsigned char *in, size_t len, const tb_xml_limits *lim, char *why,
    size_t why_len)
{
	const unsigned char *p;
	size_t i = 0, tag, attrs, nodes = 0, depth = 0, ns, in_scope = 0;
	/* Namespace declarations of each open element, to take off at its end. */
	size_t open_ns[TB_XML_CAP_DEPTH + 1];
	unsigned char q;

	if (ascii_bytes(in, len, why, why_len) != 0)
		return -1;
	while (i < len) {
		if ((p = memchr(in + i, '<', len - i)) == NULL)
			break;
		i = (size_t)(p - in);
		if (starts(in, len, i, "<!--")) {
			i = past(in, len, i + 4, "-->");
			continue;
		}
		if (starts(in, len, i, "<![CDATA[")) {
			i = past(in, len, i + 9, "]]>");
			continue;
		}
		if (starts(in, len, i, "<?")) {
			i = past(in, len, i + 2, "?>");
			continue;
		}
		if (starts(in, len, i, "</")) {
			if (depth > 0 && depth <= TB_XML_CAP_DEPTH)
				in_scope -= open_ns[depth - 1];
			if (depth > 0)
				depth--;
			i = past(in, len, i + 2, ">");
			continue;
		}
		if (starts(in, len, i, "<!")) {
			i = past(in, len, i + 2, ">");
			continue;
		}
		/* A start tag: its attributes are its '=' outside quotes. */
		attrs = 0;
		ns = 0;
		nodes++;
		tag = i;
		for (i++; i < len && in[i] != '>'; i++) {
			if (in[i] == '"' || in[i] == '\'') {
				q = in[i];
				if ((p = memchr(in + i + 1, q, len - i - 1)) == NULL)
					return 0;
				i = (size_t)(p - in);
			} else if (in[i] == '=') {
				if (++attrs > lim->max_attributes) {
					snprintf(why, why_len, "an element with more attributes than "
					    "[verify] xml_max_attributes allows (%u)",
					    lim->max_attributes);
					return -1;
				}
				if (is_xmlns(in, tag, i) && ++ns + in_scope > TB_XML_MAX_NS_IN_SCOPE) {
					snprintf(why, why_len, "more namespace declarations in scope "
					    "at once than tanba takes (%u)", TB_XML_MAX_NS_IN_SCOPE);
					return -1;
				}
			} else if (in[i] == '<') {
				/* Not a tag the parser takes; it says why. */
				return 0;
			}
		}
		if (i >= len)
			return 0;
		/* An element with content keeps its declarations in scope until its end tag. */
		if (in[i - 1] != '/') {
			if (depth < TB_XML_CAP_DEPTH) {
				open_ns[depth] = ns;
				in_scope += ns;
			}
			depth++;
		}
		/* As the walk counts them: a namespace declaration is no attribute node. */
		nodes += attrs - ns;
		if (nodes > lim->max_nodes) {
			snprintf(why, why_len, "more nodes than [verify] xml_max_nodes allows (%u)",
			    lim->max_nodes);
			return -1;
		}
	}
	return 0;
}
