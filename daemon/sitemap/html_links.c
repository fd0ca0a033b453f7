/*
 * The parser hands over elements as it meets them, but what a link
 * means is only known at the end: a <base href> applies to the links
 * before it too, and a <meta name="robots" content="nofollow"> may come
 * after them.  So references are kept as written while the page is
 * parsed, and resolved and given once it has been read.
 */

#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "html_links.h"

struct hl_ref {
	enum html_link_kind kind;
	char *ref;
};

struct hl_parse {
	unsigned magic;
#define HL_PARSE_MAGIC 0x4c1a7e02
	struct hl_ref *refs;
	unsigned nref, lref;
	char *base; /* the first <base href>, as written */
	struct html_links_stats st;
};

int
html_token(const char *list, const char *word)
{
	size_t wl = strlen(word), n;
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t\r\n\f,");
		n = strcspn(p, " \t\r\n\f,");
		if (n == wl && !strncasecmp(p, word, wl))
			return (1);
		p += n;
	}
	return (0);
}

const char *
html_attr(const xmlChar **atts, const char *name)
{
	unsigned u;

	for (u = 0; atts != NULL && atts[u] != NULL; u += 2)
		if (!strcmp((const char *)atts[u], name))
			return (atts[u + 1] != NULL ? (const char *)atts[u + 1]
			                            : "");
	return (NULL);
}

static void
hl_keep(struct hl_parse *p, enum html_link_kind kind, const char *ref)
{
	if (p->nref == HTML_LINKS_MAX) {
		p->st.over++;
		return;
	}
	if (p->nref == p->lref) {
		p->lref = p->lref ? p->lref * 2 : 64;
		p->refs = realloc(p->refs, p->lref * sizeof *p->refs);
		AN(p->refs);
	}
	p->refs[p->nref].kind = kind;
	p->refs[p->nref].ref = strdup(ref);
	AN(p->refs[p->nref].ref);
	p->nref++;
}

static void
hl_start(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
	const char *name = (const char *)xname, *v, *rel;
	struct hl_parse *p;

	CAST_OBJ_NOTNULL(p, ctx, HL_PARSE_MAGIC);
	if (!strcmp(name, "a") || !strcmp(name, "area")) {
		if ((v = html_attr(atts, "href")) == NULL)
			return;
		rel = html_attr(atts, "rel");
		if (rel != NULL && html_token(rel, "nofollow"))
			p->st.nofollow++;
		else
			hl_keep(p, HTML_LINK, v);
	} else if (!strcmp(name, "esi:include")) {
		if ((v = html_attr(atts, "src")) != NULL)
			hl_keep(p, HTML_ESI, v);
	} else if (!strcmp(name, "base")) {
		/* The first one with an href counts (HTML's rule). */
		if (p->base == NULL && (v = html_attr(atts, "href")) != NULL) {
			p->base = strdup(v);
			AN(p->base);
		}
	} else if (!strcmp(name, "meta")) {
		v = html_attr(atts, "name");
		if (v == NULL || strcasecmp(v, "robots"))
			return;
		v = html_attr(atts, "content");
		if (v != NULL &&
		    (html_token(v, "nofollow") || html_token(v, "none")))
			p->st.meta_nofollow = 1;
	}
}

/* The page's own mistakes are no business of ours. */
static void
hl_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
html_sax(const char *url, const void *body, size_t len,
    const struct html_sax *h, void *ctx)
{
	htmlSAXHandler sax;
	htmlParserCtxtPtr ctxt;

	AN(h);
	if (len > INT_MAX)
		return (-1);
	memset(&sax, 0, sizeof sax);
	sax.startElement = h->start;
	sax.endElement = h->end;
	sax.characters = h->text;
	sax.error = hl_quiet;
	sax.warning = hl_quiet;
	ctxt = htmlCreatePushParserCtxt(&sax, ctx, NULL, 0, url,
	    XML_CHAR_ENCODING_NONE);
	if (ctxt == NULL)
		return (-1);
	(void)htmlCtxtUseOptions(ctxt,
	    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	/* Broken HTML is still read as far as it goes. */
	(void)htmlParseChunk(ctxt, body, (int)len, 1);
	htmlFreeParserCtxt(ctxt);
	return (0);
}

static int
hl_parse(struct hl_parse *p, const char *url, const void *body, size_t len)
{
	static const struct html_sax h = { hl_start, NULL, NULL };

	return (html_sax(url, body, len, &h, p));
}

/* Resolve and hand over what was kept. */
static void
hl_give(struct hl_parse *p, const char *url, const struct url_norm_drop *drop,
    html_link_f *cb, void *priv)
{
	char base[URL_NORM_MAX + 1], out[URL_NORM_MAX + 1];
	const char *why;
	unsigned u;

	snprintf(base, sizeof base, "%s", url);
	if (p->base != NULL &&
	    url_norm(url, p->base, NULL, base, sizeof base, &why) == 0)
		p->st.based = 1;
	for (u = 0; u < p->nref; u++) {
		if (p->refs[u].kind == HTML_LINK && p->st.meta_nofollow) {
			p->st.nofollow++;
			continue;
		}
		if (url_norm(base, p->refs[u].ref, drop, out, sizeof out,
		        &why) != 0) {
			p->st.unusable++;
			continue;
		}
		if (p->refs[u].kind == HTML_LINK)
			p->st.links++;
		else
			p->st.esi++;
		cb(priv, p->refs[u].kind, out);
	}
}

int
html_links(const char *url, const void *body, size_t len,
    const struct url_norm_drop *drop, html_link_f *cb, void *priv,
    struct html_links_stats *st)
{
	struct hl_parse p;
	char self[URL_NORM_MAX + 1];
	const char *why;
	unsigned u;
	int r = -1;

	AN(url);
	AN(cb);
	assert(body != NULL || len == 0);
	memset(&p, 0, sizeof p);
	p.magic = HL_PARSE_MAGIC;
	if (len <= INT_MAX &&
	    url_norm(NULL, url, NULL, self, sizeof self, &why) == 0 &&
	    (len == 0 || hl_parse(&p, self, body, len) == 0)) {
		hl_give(&p, self, drop, cb, priv);
		r = 0;
	}
	if (st != NULL)
		*st = p.st;
	for (u = 0; u < p.nref; u++)
		free(p.refs[u].ref);
	free(p.refs);
	free(p.base);
	p.magic = 0;
	return (r);
}

int
html_is_html(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return (0);
	n = strcspn(ct, "; \t");
	return ((n == 9 && !strncasecmp(ct, "text/html", 9)) ||
	    (n == 21 && !strncasecmp(ct, "application/xhtml+xml", 21)));
}
