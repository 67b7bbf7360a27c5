/*
 * The limits of one XML document ([verify] xml_max_*). Anything over them
 * is MALFORMED with a reason naming the setting, never worked through.
 * Apart from verify.h so that the policy can hold them without the XML
 * interface.
 */
#ifndef TB_XML_LIMITS_H
#define TB_XML_LIMITS_H

/* 0 in a field means its default. */
typedef struct tb_xml_limits {
	unsigned max_depth;		/* element nesting */
	unsigned max_nodes;		/* elements, attributes and text nodes */
	unsigned max_signatures;	/* ds:Signature elements in the document */
	unsigned max_references;	/* per signature */
	unsigned max_transforms;	/* per reference */
	unsigned max_certs;		/* certificates in one KeyInfo */
	unsigned max_attributes;	/* per element, namespace declarations included */
} tb_xml_limits;

#define TB_XML_DEFAULT_DEPTH		64u
#define TB_XML_DEFAULT_NODES		200000u
#define TB_XML_DEFAULT_SIGNATURES	16u
#define TB_XML_DEFAULT_REFERENCES	16u
#define TB_XML_DEFAULT_TRANSFORMS	4u
#define TB_XML_DEFAULT_CERTS		8u
#define TB_XML_DEFAULT_ATTRIBUTES	256u

/*
 * The most a setting may raise them to. Depth: libxml2 refuses deeper
 * documents itself (no XML_PARSE_HUGE) and the walk recurses per level;
 * signatures and references: the verifier's fixed tables; transforms: two
 * are all tanba accepts in earnest (enveloped, one c14n); attributes:
 * libxml2 checks each attribute of an element against the others before
 * it (xml_scan.c), a cost of the square of this per element.
 */
#define TB_XML_CAP_DEPTH		256u
#define TB_XML_CAP_NODES		10000000u
#define TB_XML_CAP_SIGNATURES		256u
#define TB_XML_CAP_REFERENCES		256u
#define TB_XML_CAP_TRANSFORMS		16u
#define TB_XML_CAP_CERTS		64u
#define TB_XML_CAP_ATTRIBUTES		1024u

/* Namespace declarations in scope at once (xml_scan.c says why); not a setting. */
#define TB_XML_MAX_NS_IN_SCOPE		64u

#endif
