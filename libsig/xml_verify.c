/*
 * XMLDSig verification (W3C XML Signature 1.1, enveloped, as NCALayer and
 * Kalkan make it). libxml2 parses (no DTD, no entities, no network, no
 * XInclude) and canonicalizes (xmlC14NExecute with a visibility callback
 * that selects the node set a reference names); tanba resolves the
 * references itself (same-document only, IDs unique), checks each digest,
 * and verifies the SignedInfo through the algorithm table, so that RSA,
 * ECDSA and the Kazakh GOST URIs take the same road as CMS. Then each
 * signer's certificate goes through the per-signer step CMS uses
 * (tb_verify_signer_cert). Why not xmlsec1's verifier: docs/XML.md.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "cert_cache.h"
#include "cms_verify.h"
#include "tb_clock.h"
#include "xml.h"
#include "xml_int.h"

#define XML_MAX_PREFIXES 16

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_libxml(void)
{
	xmlInitParser();
}

int
tb_xml_looks_like(const unsigned char *in, size_t len)
{
	size_t i = 0;

	if (len >= 3 && in[0] == 0xef && in[1] == 0xbb && in[2] == 0xbf)
		i = 3;
	while (i < len && (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n'))
		i++;
	return i < len && in[i] == '<';
}

/* What one verification carries around. */
typedef struct xctx {
	const tb_verify_policy *pol;
	const tb_verify_request *req;
	tb_verify_result *res;
	xmlDocPtr doc;
	xmlHashTablePtr ids;	/* ID value -> element */
	tb_xml_limits lim;	/* defaults filled in, held to the caps */
	xmlNodePtr sigs[TB_XML_CAP_SIGNATURES];
	int n_sigs;
	char why[120];		/* a refusal that names a limit */
	xmlNodePtr must;	/* the element the caller names, or NULL (the document: doc node) */
} xctx;

static int
is_ds(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, TB_XML_DSIG_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

static int
is_ns(xmlNodePtr n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, ns) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

void
tb_xml_limits_default(tb_xml_limits *lim)
{
	static const struct {
		size_t off;
		unsigned def, cap;
	} f[] = {
		{ offsetof(tb_xml_limits, max_depth), TB_XML_DEFAULT_DEPTH, TB_XML_CAP_DEPTH },
		{ offsetof(tb_xml_limits, max_nodes), TB_XML_DEFAULT_NODES, TB_XML_CAP_NODES },
		{ offsetof(tb_xml_limits, max_signatures), TB_XML_DEFAULT_SIGNATURES,
		    TB_XML_CAP_SIGNATURES },
		{ offsetof(tb_xml_limits, max_references), TB_XML_DEFAULT_REFERENCES,
		    TB_XML_CAP_REFERENCES },
		{ offsetof(tb_xml_limits, max_transforms), TB_XML_DEFAULT_TRANSFORMS,
		    TB_XML_CAP_TRANSFORMS },
		{ offsetof(tb_xml_limits, max_certs), TB_XML_DEFAULT_CERTS, TB_XML_CAP_CERTS },
		{ offsetof(tb_xml_limits, max_attributes), TB_XML_DEFAULT_ATTRIBUTES,
		    TB_XML_CAP_ATTRIBUTES },
	};
	size_t i;
	unsigned *v;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		v = (unsigned *)((char *)lim + f[i].off);
		if (*v == 0)
			*v = f[i].def;
		else if (*v > f[i].cap)
			*v = f[i].cap;
	}
}

/* why, naming the [verify] setting a document went over. */
static const char *
over(xctx *x, const char *what, const char *setting, unsigned limit)
{
	snprintf(x->why, sizeof(x->why), "more %s than [verify] %s allows (%u)", what,
	    setting, limit);
	return x->why;
}

/* The next element sibling from n on (n included). */
static xmlNodePtr
elem_from(xmlNodePtr n)
{
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNodePtr
first_elem(xmlNodePtr parent)
{
	return parent != NULL ? elem_from(parent->children) : NULL;
}

static xmlNodePtr
next_elem(xmlNodePtr n)
{
	return n != NULL ? elem_from(n->next) : NULL;
}

/* An attribute without namespace, as a new string, or NULL. */
static char *
attr(xmlNodePtr n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

static int
is_id_attr(xmlAttrPtr a)
{
	const char *nm = (const char *)a->name;

	if (a->ns == NULL)
		return strcmp(nm, "Id") == 0 || strcmp(nm, "ID") == 0 || strcmp(nm, "id") == 0;
	/* wsu:Id (WS-Security) and xml:id */
	return strcmp(nm, "Id") == 0 ? strstr((const char *)a->ns->href,
	    "oasis-200401-wss-wssecurity-utility") != NULL :
	    strcmp(nm, "id") == 0 && strcmp((const char *)a->ns->href,
	    "http://www.w3.org/XML/1998/namespace") == 0;
}

/*
 * One pass over the tree: the depth and node limits, every ID (a repeated
 * one refuses the document: a reference must name one element), and the
 * ds:Signature elements. why gets the reason of a refusal.
 */
static int
walk(xctx *x, xmlNodePtr n, int depth, size_t *nodes, const char **why)
{
	xmlAttrPtr a;
	xmlChar *v;
	int dup;

	for (; n != NULL; n = n->next) {
		if (++*nodes > x->lim.max_nodes) {
			*why = over(x, "nodes", "xml_max_nodes", x->lim.max_nodes);
			return -1;
		}
		if (n->type == XML_DTD_NODE || n->type == XML_ENTITY_REF_NODE ||
		    n->type == XML_ENTITY_DECL || n->type == XML_XINCLUDE_START) {
			*why = "DTD, entity or XInclude content refused";
			return -1;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((unsigned)depth >= x->lim.max_depth) {
			snprintf(x->why, sizeof(x->why), "elements nested deeper than [verify] "
			    "xml_max_depth allows (%u)", x->lim.max_depth);
			*why = x->why;
			return -1;
		}
		for (a = n->properties; a != NULL; a = a->next) {
			if (++*nodes > x->lim.max_nodes) {
				*why = over(x, "nodes", "xml_max_nodes", x->lim.max_nodes);
				return -1;
			}
			if (!is_id_attr(a))
				continue;
			if ((v = xmlNodeListGetString(x->doc, a->children, 1)) == NULL)
				continue;
			dup = xmlHashAddEntry(x->ids, v, n) != 0;
			xmlFree(v);
			if (dup) {
				*why = "an ID value occurs more than once";
				return -1;
			}
		}
		if (is_ds(n, "Signature")) {
			if ((unsigned)x->n_sigs >= x->lim.max_signatures) {
				*why = over(x, "signatures", "xml_max_signatures",
				    x->lim.max_signatures);
				return -1;
			}
			x->sigs[x->n_sigs++] = n;
		}
		if (walk(x, n->children, depth + 1, nodes, why) != 0)
			return -1;
	}
	return 0;
}

int
tb_xml_ids(xmlDocPtr doc, const tb_xml_limits *lim, xmlHashTablePtr *ids, char *why,
    size_t why_len)
{
	xctx x;
	size_t nodes = 0;
	const char *w = NULL;

	memset(&x, 0, sizeof(x));
	x.doc = doc;
	if (lim != NULL)
		x.lim = *lim;
	tb_xml_limits_default(&x.lim);
	if ((x.ids = xmlHashCreate(64)) == NULL) {
		snprintf(why, why_len, "out of memory");
		return TB_ERR_NOMEM;
	}
	if (walk(&x, doc->children, 0, &nodes, &w) != 0) {
		/* A limit's reason is written in x, which ends here: copied out. */
		snprintf(why, why_len, "%s", w != NULL ? w : "refused");
		xmlHashFree(x.ids, NULL);
		return -1;
	}
	*ids = x.ids;
	return 0;
}

/* ---- canonicalization of a node set ---- */

typedef struct nodeset {
	xmlNodePtr top;		/* the subtree, or NULL for the whole document */
	xmlNodePtr exclude;	/* enveloped-signature: this Signature is left out */
	int drop_comments;	/* a same-document reference drops comments */
	tb_verify_budget *budget;	/* NULL: none (signing) */
	unsigned calls;		/* of visible, to look at the clock now and then */
	char err[TB_XML_ERR_LEN];	/* libxml2's message when it failed */
} nodeset;

/* Calls of visible between two looks at the budget's deadline. */
#define C14N_CLOCK_EVERY 1024u

static int
within(xmlNodePtr n, xmlNodePtr top)
{
	for (; n != NULL; n = n->parent)
		if (n == top)
			return 1;
	return 0;
}

static int
visible(void *user, xmlNodePtr node, xmlNodePtr parent)
{
	nodeset *s = user;
	xmlNodePtr e;

	if (node == NULL)
		return 0;
	/*
	 * Once the verification's time is spent nothing more is visible, and
	 * the caller refuses what was canonicalized (budget_spent).
	 */
	if (s->budget != NULL && (s->budget->spent != TB_BUDGET_NONE ||
	    (++s->calls % C14N_CLOCK_EVERY == 0 &&
	    tb_verify_budget_over(s->budget))))
		return 0;
	/* A namespace node belongs to the element it is in scope on. */
	e = node->type == XML_NAMESPACE_DECL ? parent : node;
	if (e == NULL)
		return 0;
	if (s->drop_comments && node->type == XML_COMMENT_NODE)
		return 0;
	if (s->top != NULL && !within(e, s->top))
		return 0;
	if (s->exclude != NULL && within(e, s->exclude))
		return 0;
	return 1;
}

/* The InclusiveNamespaces PrefixList of an exclusive c14n element, split; NULL when none. */
static xmlChar **
prefix_list(xmlNodePtr method, char **keep)
{
	xmlNodePtr c;
	xmlChar **v;
	char *p, *save = NULL, *tok;
	int n = 0;

	*keep = NULL;
	for (c = first_elem(method); c != NULL; c = next_elem(c))
		if (strcmp((const char *)c->name, "InclusiveNamespaces") == 0)
			break;
	if (c == NULL || (p = attr(c, "PrefixList")) == NULL)
		return NULL;
	if ((v = calloc(XML_MAX_PREFIXES + 1, sizeof(*v))) == NULL) {
		xmlFree(p);
		return NULL;
	}
	for (tok = strtok_r(p, " \t\r\n", &save); tok != NULL && n < XML_MAX_PREFIXES;
	    tok = strtok_r(NULL, " \t\r\n", &save))
		v[n++] = (xmlChar *)tok;
	*keep = p;
	return v;
}

/* The canonical bytes of a node set (OPENSSL_malloc'd into *out). */
static int
canonical(xmlDocPtr doc, nodeset *s, const tb_xml_c14n *m, xmlNodePtr method,
    unsigned char **out, size_t *out_len)
{
	xmlOutputBufferPtr buf;
	xmlChar **prefixes = NULL;
	char *keep = NULL;
	const xmlChar *content;
	size_t len;
	int r = -1;

	if ((buf = xmlAllocOutputBuffer(NULL)) == NULL)
		return -1;
	if (m->mode == XML_C14N_EXCLUSIVE_1_0 && method != NULL)
		prefixes = prefix_list(method, &keep);
	tb_xml_errors_keep(s->err);
	if (xmlC14NExecute(doc, visible, (void *)s, m->mode, prefixes, m->with_comments,
	    buf) < 0)
		goto out;
	if (xmlOutputBufferFlush(buf) < 0)
		goto out;
	content = xmlOutputBufferGetContent(buf);
	len = xmlOutputBufferGetSize(buf);
	if ((*out = OPENSSL_malloc(len + 1)) == NULL)
		goto out;
	memcpy(*out, content != NULL ? content : (const xmlChar *)"", len);
	*out_len = len;
	r = 0;
out:
	tb_xml_errors_keep(NULL);
	xmlOutputBufferClose(buf);
	free(prefixes);
	xmlFree(keep);
	return r;
}

int
tb_xml_c14n_bytes(xmlDocPtr doc, xmlNodePtr top, xmlNodePtr exclude, int drop_comments,
    const tb_xml_c14n *m, xmlNodePtr method, unsigned char **out, size_t *out_len)
{
	nodeset s;

	memset(&s, 0, sizeof(s));
	s.top = top;
	s.exclude = exclude;
	s.drop_comments = drop_comments;
	return canonical(doc, &s, m, method, out, out_len);
}

int
tb_xml_parse(const unsigned char *in, size_t len, const tb_xml_limits *lim, xmlDocPtr *out,
    char *why, size_t why_len)
{
	xmlParserCtxtPtr pctx;
	xmlDocPtr doc;
	tb_xml_limits l;
	char first[TB_XML_ERR_LEN];
	int r = -1;

	pthread_once(&init_once, init_libxml);
	/*
	 * A DOCTYPE is refused before the parser sees it: no internal subset,
	 * no entity declarations to expand. The parser is also told no
	 * network, no DTD loading, no entity substitution (defaults kept).
	 */
	if (len > INT32_MAX) {
		snprintf(why, why_len, "XML too large");
		return -1;
	}
	if (memmem(in, len, "<!DOCTYPE", 9) != NULL) {
		snprintf(why, why_len, "XML with a DOCTYPE refused (no DTD, no entities)");
		return -1;
	}
	/* What the parser would spend the square of is counted before it runs. */
	memset(&l, 0, sizeof(l));
	if (lim != NULL)
		l = *lim;
	tb_xml_limits_default(&l);
	if (tb_xml_scan(in, len, &l, why, why_len) != 0)
		return -1;
	if ((pctx = xmlNewParserCtxt()) == NULL)
		return TB_ERR_NOMEM;
	/* Its messages are in pctx->lastError; none goes to stderr. */
	tb_xml_errors_stop(pctx, first);
	doc = xmlCtxtReadMemory(pctx, (const char *)in, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	tb_xml_errors_keep(NULL);
	pctx->_private = NULL;
	if (doc == NULL || !pctx->wellFormed) {
		snprintf(why, why_len, "not well-formed XML: %s", first[0] != '\0' ? first :
		    pctx->lastError.message != NULL ? pctx->lastError.message : "parse error");
		why[strcspn(why, "\n")] = '\0';
	} else if (doc->intSubset != NULL || doc->extSubset != NULL) {
		snprintf(why, why_len, "XML with a DOCTYPE refused (no DTD, no entities)");
	} else {
		*out = doc;
		doc = NULL;
		r = 0;
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pctx);
	return r;
}

/* ---- one signature ---- */

static int
reason(xctx *x, enum tb_verdict v, const char *id, int idx, const char *detail,
    const char *pname, const char *pvalue)
{
	return tb_reasons_add(&x->res->reasons, v, id, idx, detail, pname, pvalue, NULL);
}

/*
 * Parsing, canonicalization and digests spend from the verification's time
 * budget ([verify] max_time_ms) as path validation does: once it is spent,
 * what is left is refused unchecked (CHAIN_UNTRUSTED.cut_off, as for CMS),
 * never VALID. 1 with *r set (0, or an error for memory) when spent.
 */
static int
budget_spent(xctx *x, int idx, const char *what, int *r)
{
	tb_verify_budget *b = &x->res->budget;
	char detail[200];

	if (!tb_verify_budget_over(b))
		return 0;
	snprintf(detail, sizeof(detail), "%s: budget of %s spent ([verify] %s)", what,
	    tb_verify_budget_what(b->spent), tb_verify_budget_setting(b->spent));
	*r = tb_reasons_add(&x->res->reasons, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.cut_off",
	    idx, detail, "limit", tb_verify_budget_what(b->spent), NULL) != 0 ? TB_ERR_NOMEM : 0;
	return 1;
}

/* Where a reference points, for the answer: "/" or the element's path and ID. */
static json_t *
covered_json(const char *uri, xmlNodePtr target)
{
	json_t *o = json_object();
	xmlChar *path;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "uri", json_string(uri));
	if (target == NULL) {
		json_object_set_new(o, "node", json_null());
		return o;
	}
	if (target->type == XML_DOCUMENT_NODE) {
		json_object_set_new(o, "node", json_string("/"));
		return o;
	}
	path = xmlGetNodePath(target);
	json_object_set_new(o, "node", json_string(path != NULL ? (const char *)path : "?"));
	json_object_set_new(o, "element", json_string((const char *)target->name));
	xmlFree(path);
	return o;
}

/*
 * One Reference: resolves its URI in this document, applies its transforms
 * (allow-list: enveloped-signature, then one canonicalization), compares
 * the digest. *bad is set with a reason added when it fails; *target is
 * what it covers. Returns an error only when out of memory.
 */
static int
check_reference(xctx *x, int idx, xmlNodePtr sig, xmlNodePtr ref, xmlNodePtr *target,
    json_t *refs, int *bad)
{
	static const tb_xml_c14n c14n_default = { NULL, XML_C14N_1_0, 0 };
	const tb_xml_c14n *m = &c14n_default, *tm;
	const tb_xml_digest *dg;
	xmlNodePtr c, t, method = NULL, dm, dv;
	nodeset s;
	char *uri = NULL, *alg = NULL, *dalg = NULL;
	xmlChar *dtext = NULL;
	unsigned char *bytes = NULL, *want = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t bytes_len = 0, want_len = 0;
	int n_tr = 0, seen_c14n = 0, r = TB_ERR_NOMEM;
	X509_ALGOR *da = NULL;
	tb_error e;
	const char *why = NULL, *vid = NULL;
	enum tb_verdict v = TB_V_MALFORMED;
	char detail[200];

	tb_error_clear(&e);
	memset(&s, 0, sizeof(s));
	s.drop_comments = 1;
	s.budget = &x->res->budget;
	*bad = 1;
	*target = NULL;
	if ((uri = attr(ref, "URI")) == NULL) {
		why = "Reference without URI refused";
		goto refuse;
	}
	if (uri[0] == '\0') {
		*target = (xmlNodePtr)x->doc;
	} else if (uri[0] == '#' && strncmp(uri, "#xpointer(", 10) != 0) {
		if ((*target = xmlHashLookup(x->ids, (const xmlChar *)uri + 1)) == NULL) {
			why = "Reference names an ID that is not in the document";
			goto refuse;
		}
		s.top = *target;
	} else {
		/* No fetch, no XPointer: only this document's nodes can be signed here. */
		why = "Reference outside the document refused (only \"\" and \"#id\")";
		goto refuse;
	}
	c = first_elem(ref);
	if (is_ds(c, "Transforms")) {
		for (t = first_elem(c); t != NULL; t = next_elem(t)) {
			xmlFree(alg);
			alg = NULL;
			if ((unsigned)++n_tr > x->lim.max_transforms) {
				why = over(x, "transforms in a Reference", "xml_max_transforms",
				    x->lim.max_transforms);
				goto refuse;
			}
			if (!is_ds(t, "Transform") || (alg = attr(t, "Algorithm")) == NULL) {
				why = "Transform without Algorithm";
				goto refuse;
			}
			if (strcmp(alg, TB_XML_ENVELOPED) == 0 && !seen_c14n) {
				/* It removes the signature it is in: that must hold the reference. */
				s.exclude = sig;
			} else if ((tm = tb_xml_c14n_by_uri(alg)) != NULL && !seen_c14n) {
				m = tm;
				method = t;
				seen_c14n = 1;
			} else {
				/* XSLT, XPath filters, base64, a second c14n: not on tanba's list. */
				snprintf(detail, sizeof(detail), "transform refused: %.150s", alg);
				why = detail;
				v = TB_V_UNSUPPORTED_ALGORITHM;
				goto refuse;
			}
		}
		c = next_elem(c);
	}
	dm = c;
	dv = next_elem(dm);
	if (!is_ds(dm, "DigestMethod") || !is_ds(dv, "DigestValue") || next_elem(dv) != NULL ||
	    (dalg = attr(dm, "Algorithm")) == NULL) {
		why = "Reference without DigestMethod and DigestValue";
		goto refuse;
	}
	if ((dg = tb_xml_digest_by_uri(dalg)) == NULL || (dg->weak && !x->pol->allow_sha1)) {
		snprintf(detail, sizeof(detail), "digest method %s: %.150s",
		    dg == NULL ? "unknown" : "refused by policy", dalg);
		why = detail;
		v = TB_V_UNSUPPORTED_ALGORITHM;
		goto refuse;
	}
	if ((dtext = xmlNodeGetContent(dv)) == NULL ||
	    tb_xml_b64_decode((const char *)dtext, &want, &want_len) != 0) {
		why = "DigestValue is not base64";
		goto refuse;
	}
	if (canonical(x->doc, &s, m, method, &bytes, &bytes_len) != 0) {
		snprintf(detail, sizeof(detail), "the referenced nodes cannot be canonicalized: %s",
		    s.err[0] != '\0' ? s.err : "libxml2 failed");
		why = detail;
		goto refuse;
	}
	if (budget_spent(x, idx, "reference not checked", &r) != 0)
		goto out;
	if ((da = tb_xml_algor(dg->oid)) == NULL)
		goto out;
	if (tb_sigalg_digest(da, bytes, bytes_len, md, &md_len, &e) != 0) {
		why = e.detail;
		v = TB_V_UNSUPPORTED_ALGORITHM;
		goto refuse;
	}
	if (want_len != md_len || CRYPTO_memcmp(want, md, md_len) != 0) {
		snprintf(detail, sizeof(detail), "digest of reference \"%.100s\" differs", uri);
		why = detail;
		v = TB_V_DIGEST_MISMATCH;
		goto refuse;
	}
	*bad = 0;
	r = 0;
	goto out;
refuse:
	if (reason(x, v, vid, idx, why, v == TB_V_UNSUPPORTED_ALGORITHM ? "alg" : NULL,
	    v == TB_V_UNSUPPORTED_ALGORITHM ? (dalg != NULL ? dalg : alg != NULL ? alg : "?") :
	    NULL) == 0)
		r = 0;
out:
	if (r == 0 && uri != NULL) {
		json_t *cj = covered_json(uri, *target);

		if (cj == NULL || json_object_set_new(cj, "digest_ok", json_boolean(!*bad)) != 0 ||
		    json_array_append_new(refs, cj) != 0)
			r = TB_ERR_NOMEM;
	}
	xmlFree(uri);
	xmlFree(alg);
	xmlFree(dalg);
	xmlFree(dtext);
	OPENSSL_free(bytes);
	OPENSSL_free(want);
	X509_ALGOR_free(da);
	return r;
}

/* XML's ECDSA value r || s (RFC 4050) as the DER ECDSA-Sig-Value the table takes. */
static int
ecdsa_der(const unsigned char *rs, size_t len, unsigned char **der, size_t *der_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *p = NULL;
	int n;

	if (len == 0 || len % 2 != 0 || len > 264)
		return -1;
	if ((r = BN_bin2bn(rs, (int)len / 2, NULL)) == NULL ||
	    (s = BN_bin2bn(rs + len / 2, (int)len / 2, NULL)) == NULL ||
	    (es = ECDSA_SIG_new()) == NULL || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	n = i2d_ECDSA_SIG(es, &p);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return -1;
	*der = p;
	*der_len = (size_t)n;
	return 0;
}

/* A certificate in base64 text (X509Certificate, BinarySecurityToken) onto out. */
static int
push_cert(xctx *x, xmlNodePtr c, STACK_OF(X509) *out, const char **why)
{
	xmlChar *text;
	unsigned char *der = NULL;
	size_t der_len = 0;
	const unsigned char *p;
	tb_cert_cache *cache = tb_cert_cache_default();
	X509 *cert;

	if ((unsigned)sk_X509_num(out) >= x->lim.max_certs) {
		*why = over(x, "certificates in KeyInfo", "xml_max_certificates",
		    x->lim.max_certs);
		return -1;
	}
	text = xmlNodeGetContent(c);
	if (text == NULL || tb_xml_b64_decode((const char *)text, &der, &der_len) != 0) {
		xmlFree(text);
		*why = "certificate is not base64";
		return -1;
	}
	xmlFree(text);
	/* Through the cache, as CMS certificates: parsed once, their checks kept. */
	if (der_len > 65536)
		cert = NULL;
	else if (cache != NULL)
		cert = tb_cert_cache_get(cache, der, der_len);
	else {
		p = der;
		cert = d2i_X509(NULL, &p, (long)der_len);
	}
	OPENSSL_free(der);
	if (cert == NULL || !sk_X509_push(out, cert)) {
		X509_free(cert);
		ERR_clear_error();
		*why = "certificate is not a DER certificate";
		return -1;
	}
	return 0;
}

/*
 * The certificates of KeyInfo: X509Data/X509Certificate, in order, or the
 * wsse:BinarySecurityToken (X509v3) a wsse:SecurityTokenReference names
 * by ID in this document (WS-Security X.509 token profile).
 */
static int
keyinfo_certs(xctx *x, xmlNodePtr keyinfo, STACK_OF(X509) *out, const char **why)
{
	xmlNodePtr d, c, tok;
	char *uri, *vt;
	int ok;

	for (d = first_elem(keyinfo); d != NULL; d = next_elem(d)) {
		if (is_ns(d, TB_XML_WSSE_NS, "SecurityTokenReference")) {
			c = first_elem(d);
			if (!is_ns(c, TB_XML_WSSE_NS, "Reference") || (uri = attr(c, "URI")) == NULL) {
				*why = "SecurityTokenReference without a Reference URI";
				return -1;
			}
			tok = uri[0] == '#' ? xmlHashLookup(x->ids, (const xmlChar *)uri + 1) : NULL;
			xmlFree(uri);
			vt = tok != NULL ? attr(tok, "ValueType") : NULL;
			ok = is_ns(tok, TB_XML_WSSE_NS, "BinarySecurityToken") && vt != NULL &&
			    strcmp(vt, TB_XML_X509V3) == 0;
			xmlFree(vt);
			if (!ok) {
				*why = "SecurityTokenReference names no X509v3 BinarySecurityToken here";
				return -1;
			}
			if (push_cert(x, tok, out, why) != 0)
				return -1;
			continue;
		}
		if (!is_ds(d, "X509Data"))
			continue;
		for (c = first_elem(d); c != NULL; c = next_elem(c))
			if (is_ds(c, "X509Certificate") && push_cert(x, c, out, why) != 0)
				return -1;
	}
	return 0;
}

/* 1 when one of the targets is the element or one of its ancestors (or the document). */
static int
covers(xmlNodePtr const *targets, int n, xmlNodePtr must, xmlNodePtr sig_excluded)
{
	int i;

	for (i = 0; i < n; i++) {
		if (targets[i] == NULL)
			continue;
		if (within(must, targets[i]) && !within(must, sig_excluded))
			return 1;
	}
	return 0;
}

/* Clock difference allowed between the sender of a SOAP message and tanba. */
#define WSSE_SKEW 300

static int
wsu_time(xmlNodePtr ts, const char *name, time_t *t)
{
	xmlNodePtr c;
	xmlChar *text;
	int r = -1;

	for (c = first_elem(ts); c != NULL; c = next_elem(c))
		if (is_ns(c, TB_XML_WSU_NS, name))
			break;
	if (c == NULL)
		return 1;
	if ((text = xmlNodeGetContent(c)) != NULL && tb_clock_parse((const char *)text, t) == 0)
		r = 0;
	xmlFree(text);
	return r;
}

/*
 * WS-Security: a signature in a wsse:Security header must cover that
 * header's wsu:Timestamp, and the evaluation time must lie in its window
 * (Created less the skew .. Expires). Adds a reason when not; an error only
 * for memory.
 */
static int
wsse_timestamp(xctx *x, int idx, xmlNodePtr sig, xmlNodePtr const *targets, int n, time_t at)
{
	xmlNodePtr sec = sig->parent, ts;
	const char *why = NULL;
	time_t created = 0, expires = 0;
	int rc;

	if (!is_ns(sec, TB_XML_WSSE_NS, "Security"))
		return 0;
	for (ts = first_elem(sec); ts != NULL; ts = next_elem(ts))
		if (is_ns(ts, TB_XML_WSU_NS, "Timestamp"))
			break;
	if (ts == NULL)
		why = "wsse:Security without wsu:Timestamp";
	else if (!covers(targets, n, ts, sig))
		why = "wsu:Timestamp is not signed";
	else if (wsu_time(ts, "Created", &created) != 0)
		why = "wsu:Created missing or unreadable";
	else if ((rc = wsu_time(ts, "Expires", &expires)) < 0)
		why = "wsu:Expires unreadable";
	else if (created - WSSE_SKEW > at)
		why = "the message was created after the time of checking (wsu:Created)";
	else if (rc == 0 && expires <= at)
		why = "the message has expired (wsu:Expires)";
	if (why == NULL)
		return 0;
	return reason(x, TB_V_SIGNATURE_INVALID, "SIGNATURE_INVALID.wsse_timestamp", idx, why,
	    NULL, NULL) != 0 ? TB_ERR_NOMEM : 0;
}

/*
 * Signature idx: its structure, references and SignedInfo value; the
 * signer certificate in s->cert. Adds reasons; an error only for memory.
 */
static int
check_signature(xctx *x, int idx, STACK_OF(X509) *pool, json_t *extra)
{
	tb_signer_result *s = &x->res->signers[idx];
	xmlNodePtr sig = x->sigs[idx], si, cm, sm, ref, sv, ki;
	xmlNodePtr targets[TB_XML_CAP_REFERENCES];
	const tb_xml_c14n *c14n;
	const tb_xml_sigmethod *meth = NULL;
	char *cm_alg = NULL, *sm_alg = NULL, detail[200];
	xmlChar *svtext = NULL;
	unsigned char *tbs = NULL, *value = NULL, *der = NULL;
	size_t tbs_len = 0, value_len = 0, der_len = 0;
	STACK_OF(X509) *certs = NULL;
	X509_ALGOR *sa = NULL, *da = NULL;
	nodeset ns;
	json_t *refs = json_array();
	const char *why = NULL;
	int r = TB_ERR_NOMEM, n_refs = 0, bad, any_bad = 0, i, rc = TB_ERR_CRYPTO;
	enum tb_verdict v = TB_V_MALFORMED;
	tb_error e;

	tb_error_clear(&e);
	memset(&ns, 0, sizeof(ns));
	ns.budget = &x->res->budget;
	if (refs == NULL || json_object_set_new(extra, "references", refs) != 0)
		goto out;
	si = first_elem(sig);
	sv = next_elem(si);
	ki = next_elem(sv);
	if (!is_ds(si, "SignedInfo") || !is_ds(sv, "SignatureValue")) {
		why = "Signature without SignedInfo and SignatureValue";
		goto refuse;
	}
	cm = first_elem(si);
	sm = next_elem(cm);
	if (!is_ds(cm, "CanonicalizationMethod") || !is_ds(sm, "SignatureMethod") ||
	    (cm_alg = attr(cm, "Algorithm")) == NULL || (sm_alg = attr(sm, "Algorithm")) == NULL) {
		why = "SignedInfo without CanonicalizationMethod and SignatureMethod";
		goto refuse;
	}
	json_object_set_new(extra, "canonicalization", json_string(cm_alg));
	json_object_set_new(extra, "signature_method", json_string(sm_alg));
	if ((c14n = tb_xml_c14n_by_uri(cm_alg)) == NULL) {
		snprintf(detail, sizeof(detail), "canonicalization refused: %.150s", cm_alg);
		why = detail;
		v = TB_V_UNSUPPORTED_ALGORITHM;
		goto refuse;
	}
	if ((meth = tb_xml_sigmethod_by_uri(sm_alg)) == NULL ||
	    (meth->weak && !x->pol->allow_sha1)) {
		snprintf(detail, sizeof(detail), "signature method %s: %.150s",
		    meth == NULL ? "unknown" : "refused by policy", sm_alg);
		why = detail;
		v = TB_V_UNSUPPORTED_ALGORITHM;
		goto refuse;
	}
	for (ref = next_elem(sm); ref != NULL; ref = next_elem(ref)) {
		if (!is_ds(ref, "Reference")) {
			why = "SignedInfo holds something other than References";
			goto refuse;
		}
		if ((unsigned)n_refs >= x->lim.max_references) {
			why = over(x, "references", "xml_max_references", x->lim.max_references);
			goto refuse;
		}
		if (budget_spent(x, idx, "reference not checked", &r) != 0)
			goto out;
		if ((r = check_reference(x, idx, sig, ref, &targets[n_refs], refs, &bad)) != 0)
			goto out;
		r = TB_ERR_NOMEM;
		any_bad |= bad;
		if (bad)
			targets[n_refs] = NULL;
		n_refs++;
	}
	if (n_refs == 0) {
		why = "SignedInfo without a Reference";
		goto refuse;
	}
	/* Signature wrapping: what the caller needs signed must be under a good reference. */
	if (x->req->signed_element != NULL && !any_bad &&
	    !covers(targets, n_refs, x->must, sig) &&
	    reason(x, TB_V_SIGNATURE_INVALID, "SIGNATURE_INVALID.xml_not_covered", idx,
	    "the signature does not cover the element the request names", "element",
	    x->req->signed_element) != 0)
		goto out;
	if (!any_bad && wsse_timestamp(x, idx, sig, targets, n_refs, s->eval_time) != 0)
		goto out;
	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	if (ki != NULL && is_ds(ki, "KeyInfo") && keyinfo_certs(x, ki, certs, &why) != 0)
		goto refuse;
	/* They may serve the other signatures' paths too. */
	for (i = 0; i < sk_X509_num(certs); i++) {
		if (!sk_X509_push(pool, sk_X509_value(certs, i)))
			goto out;
		X509_up_ref(sk_X509_value(certs, i));
	}
	if (sk_X509_num(certs) == 0) {
		if (reason(x, TB_V_MALFORMED, "MALFORMED.no_signer_cert", idx,
		    "no X509Certificate in KeyInfo", NULL, NULL) != 0)
			goto out;
		r = 0;
		goto out;
	}
	ns.top = si;
	ns.drop_comments = !c14n->with_comments;
	if (canonical(x->doc, &ns, c14n, cm, &tbs, &tbs_len) != 0) {
		snprintf(detail, sizeof(detail), "SignedInfo cannot be canonicalized: %s",
		    ns.err[0] != '\0' ? ns.err : "libxml2 failed");
		why = detail;
		goto refuse;
	}
	if (budget_spent(x, idx, "signature not checked", &r) != 0)
		goto out;
	if ((svtext = xmlNodeGetContent(sv)) == NULL ||
	    tb_xml_b64_decode((const char *)svtext, &value, &value_len) != 0) {
		why = "SignatureValue is not base64";
		goto refuse;
	}
	if (meth->ecdsa && ecdsa_der(value, value_len, &der, &der_len) != 0) {
		why = "ECDSA SignatureValue is not r || s";
		goto refuse;
	}
	if ((sa = tb_xml_algor(meth->sig_oid)) == NULL ||
	    (meth->digest_oid != NULL && (da = tb_xml_algor(meth->digest_oid)) == NULL))
		goto out;
	/* The signer is the KeyInfo certificate whose key made the value; Kalkan sends one. */
	for (i = 0; i < sk_X509_num(certs); i++) {
		tb_error_clear(&e);
		rc = tb_sigalg_verify(da, sa, X509_get_X509_PUBKEY(sk_X509_value(certs, i)), tbs,
		    tbs_len, der != NULL ? der : value, der != NULL ? der_len : value_len,
		    &s->alg, &e);
		if (rc == 0 || i == sk_X509_num(certs) - 1) {
			s->cert = sk_X509_value(certs, i);
			X509_up_ref(s->cert);
			break;
		}
	}
	if (rc == TB_ERR_UNSUPPORTED) {
		if (reason(x, TB_V_UNSUPPORTED_ALGORITHM, NULL, idx, e.detail, "alg",
		    s->alg.name[0] ? s->alg.name : sm_alg) != 0)
			goto out;
	} else if (rc != 0) {
		if (reason(x, TB_V_SIGNATURE_INVALID, NULL, idx, e.detail, NULL, NULL) != 0)
			goto out;
	}
	r = 0;
	goto out;
refuse:
	if (reason(x, v, NULL, idx, why, v == TB_V_UNSUPPORTED_ALGORITHM ? "alg" : NULL,
	    v == TB_V_UNSUPPORTED_ALGORITHM ? (meth == NULL && sm_alg != NULL ? sm_alg :
	    cm_alg != NULL ? cm_alg : "?") : NULL) == 0)
		r = 0;
out:
	xmlFree(cm_alg);
	xmlFree(sm_alg);
	xmlFree(svtext);
	OPENSSL_free(tbs);
	OPENSSL_free(value);
	OPENSSL_free(der);
	X509_ALGOR_free(sa);
	X509_ALGOR_free(da);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/* A verdict without signers: v (MALFORMED, a spent budget) with why. */
static int
refused(tb_verify_result **out, enum tb_verdict v, const char *msg_id, const char *detail,
    const char *limit, tb_error *err)
{
	tb_verify_result *res = tb_verify_result_new(0, 0);

	if (res == NULL || tb_reasons_add(&res->reasons, v, msg_id, -1, detail,
	    limit != NULL ? "limit" : NULL, limit, NULL) != 0) {
		tb_verify_result_free(res);
		return tb_error_set(err, TB_ERR_NOMEM, "result");
	}
	res->format = "xml";
	tb_verify_result_finish(res);
	*out = res;
	return 0;
}

static int
malformed(tb_verify_result **out, const char *detail, tb_error *err)
{
	return refused(out, TB_V_MALFORMED, NULL, detail, NULL, err);
}

/* Parsing and the walk took the whole time budget: nothing is checked. */
static int
cut_off(tb_verify_budget *b, tb_verify_result **out, tb_error *err)
{
	char detail[200];

	snprintf(detail, sizeof(detail), "XML not checked: budget of %s spent ([verify] %s)",
	    tb_verify_budget_what(b->spent), tb_verify_budget_setting(b->spent));
	return refused(out, TB_V_CHAIN_UNTRUSTED, "CHAIN_UNTRUSTED.cut_off", detail,
	    tb_verify_budget_what(b->spent), err);
}

/* The element the request names: "/" (the document), "#id", or the one element of that name. */
static int
find_must(xctx *x, const char *name, const char **why)
{
	xmlNodePtr n, found = NULL, stack;
	int count = 0;

	if (strcmp(name, "/") == 0) {
		x->must = (xmlNodePtr)x->doc;
		return 0;
	}
	if (name[0] == '#') {
		if ((x->must = xmlHashLookup(x->ids, (const xmlChar *)name + 1)) == NULL) {
			*why = "signed_element: no element has that ID";
			return -1;
		}
		return 0;
	}
	/* By name: exactly one, or a wrapped copy could stand in for it. */
	for (n = xmlDocGetRootElement(x->doc); n != NULL; ) {
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
			found = n;
			count++;
		}
		if (n->children != NULL && n->type == XML_ELEMENT_NODE) {
			n = n->children;
			continue;
		}
		for (stack = n; stack != NULL && stack->next == NULL; stack = stack->parent)
			if (stack->parent == NULL || stack->parent->type == XML_DOCUMENT_NODE) {
				stack = NULL;
				break;
			}
		n = stack != NULL ? stack->next : NULL;
	}
	if (count != 1) {
		*why = count == 0 ? "signed_element: no element of that name" :
		    "signed_element: the name occurs more than once";
		return -1;
	}
	x->must = found;
	return 0;
}

/* The verdict of signer idx alone: the worst of its reasons. */
static enum tb_verdict
signer_verdict(const tb_reasons *all, int idx)
{
	tb_reasons mine = { NULL, 0, 0 };
	enum tb_verdict v;
	size_t k;

	for (k = 0; k < all->n; k++)
		if (all->v[k].signer == idx || all->v[k].signer < 0)
			if (tb_reasons_add(&mine, all->v[k].verdict, all->v[k].msg_id, idx,
			    all->v[k].detail, NULL) != 0)
				break;
	v = k < all->n ? TB_V_MALFORMED : tb_reasons_verdict(&mine);
	tb_reasons_clear(&mine);
	return v;
}

int
tb_verify_xml(const tb_trust *trust, const tb_verify_policy *pol,
    const tb_rev_checker *rev, const tb_verify_request *req, tb_verify_result **out,
    tb_error *err)
{
	xctx x;
	STACK_OF(X509) *pool = NULL;
	time_t now = tb_clock_now();
	const char *why = NULL;
	char detail[200];
	size_t nodes = 0;
	int r = TB_ERR_INTERNAL, i;
	tb_verify_budget budget;

	/* The budget counts from here: parsing and canonicalization spend from it. */
	tb_verify_budget_start(&budget, &pol->budget);
	memset(&x, 0, sizeof(x));
	x.pol = pol;
	x.req = req;
	x.lim = pol->xml;
	tb_xml_limits_default(&x.lim);
	if ((r = tb_verify_request_check(req, pol, err)) != 0)
		goto out;
	if (req->input_len > pol->max_input_bytes || req->input_len > INT32_MAX) {
		r = tb_error_set(err, TB_ERR_TOO_LARGE, "input over %zu bytes", pol->max_input_bytes);
		goto out;
	}
	if ((r = tb_xml_parse(req->input, req->input_len, &x.lim, &x.doc, detail,
	    sizeof(detail))) != 0) {
		r = r == TB_ERR_NOMEM ? tb_error_set(err, r, "XML parser") :
		    malformed(out, detail, err);
		goto out;
	}
	if ((x.ids = xmlHashCreate(64)) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "XML IDs");
		goto out;
	}
	if (walk(&x, x.doc->children, 0, &nodes, &why) != 0) {
		r = malformed(out, why, err);
		goto out;
	}
	if (tb_verify_budget_over(&budget)) {
		r = cut_off(&budget, out, err);
		goto out;
	}
	if (x.n_sigs == 0) {
		if ((r = malformed(out, "no ds:Signature in the document", err)) == 0)
			snprintf((*out)->reasons.v[0].msg_id, sizeof((*out)->reasons.v[0].msg_id),
			    "MALFORMED.no_signers");
		goto out;
	}
	if (req->signed_element != NULL && find_must(&x, req->signed_element, &why) != 0) {
		r = tb_error_set(err, TB_ERR_INVALID_ARG, "%s", why);
		goto out;
	}
	if ((x.res = tb_verify_result_new(0, (size_t)x.n_sigs)) == NULL ||
	    (pool = sk_X509_new_null()) == NULL) {
		r = tb_error_set(err, TB_ERR_NOMEM, "result");
		goto out;
	}
	x.res->format = "xml";
	x.res->budget = budget;
	for (i = 0; req->certs != NULL && i < sk_X509_num(req->certs); i++) {
		if (!sk_X509_push(pool, sk_X509_value(req->certs, i)))
			goto nomem;
		X509_up_ref(sk_X509_value(req->certs, i));
	}
	for (i = 0; i < x.n_sigs; i++) {
		tb_signer_result *s = &x.res->signers[i];

		s->eval_time = req->time == TB_TIME_AT ? req->at : now;
		s->eval_at_given_time = req->time == TB_TIME_AT;
		if ((s->extra = json_object()) == NULL)
			goto nomem;
		if ((r = check_signature(&x, i, pool, s->extra)) != 0) {
			tb_error_set(err, r, "XML signature");
			goto out;
		}
		if (s->cert == NULL)
			continue;
		if ((r = tb_verify_signer_cert(trust, pol, rev, x.res, (size_t)i, pool, err)) != 0)
			goto out;
	}
	if ((r = tb_verify_identity_demands(req, x.res)) != 0) {
		tb_error_set(err, r, "identity");
		goto out;
	}
	for (i = 0; i < x.n_sigs; i++)
		json_object_set_new(x.res->signers[i].extra, "verdict",
		    json_string(tb_verdict_code(signer_verdict(&x.res->reasons, i))));
	tb_verify_result_finish(x.res);
	*out = x.res;
	x.res = NULL;
	r = 0;
	goto out;
nomem:
	r = tb_error_set(err, TB_ERR_NOMEM, "result");
out:
	ERR_clear_error();
	/* The pool holds references of its own; the signers keep theirs. */
	sk_X509_pop_free(pool, X509_free);
	tb_verify_result_free(x.res);
	xmlHashFree(x.ids, NULL);
	xmlFreeDoc(x.doc);
	return r;
}
