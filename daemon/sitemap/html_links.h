/*
 * The links of one HTML page, read by libxml2's HTML parser (its SAX
 * interface: no tree is built, never a regular expression): <a href>
 * and <area href> to follow, and <esi:include src> fragments, each made
 * absolute (against the page's <base href> when it has one) and
 * normalised (url_norm.h).
 *
 * A link marked rel="nofollow" is not given, nor is any link of a page
 * whose <meta name="robots"> says nofollow (or none); a page's ESI
 * fragments are part of the page, and are given either way.  The body
 * comes from the network: it is parsed with no network access and no
 * error output, and at most HTML_LINKS_MAX references are read from it.
 */

#ifndef STOKE_HTML_LINKS_H
#define STOKE_HTML_LINKS_H

#include <stddef.h>

#include "url_norm.h"

#define HTML_LINKS_MAX 5000

enum html_link_kind {
	HTML_LINK, /* a page to follow */
	HTML_ESI, /* a fragment of this page */
};

struct html_links_stats {
	unsigned links; /* given, of kind HTML_LINK */
	unsigned esi; /* given, of kind HTML_ESI */
	unsigned nofollow; /* links not given: rel or the page said nofollow */
	unsigned unusable; /* not http(s) (mailto:, javascript:) or malformed */
	unsigned over; /* past HTML_LINKS_MAX: not read */
	int meta_nofollow; /* the page's <meta name="robots"> said so */
	int based; /* a <base href> was used */
};

/* url: absolute and normalised; valid during the call. */
typedef void html_link_f(void *priv, enum html_link_kind, const char *url);

/*
 * Read body (len bytes of the page fetched from page_url, which may be
 * cut short) and give its links in the order they appear.  drop: the
 * query parameters to drop (url_norm()), or NULL.  0, or -1 when
 * page_url is not a usable URL or the parser cannot be made.  stats may
 * be NULL.
 */
int html_links(const char *page_url, const void *body, size_t len,
    const struct url_norm_drop *drop, html_link_f *, void *priv,
    struct html_links_stats *);

/* What a page's reader is told as the parser meets it (libxml2's SAX
 * callbacks; xmlChar is unsigned char); NULL: not wanted. */
struct html_sax {
	void (*start)(void *ctx, const unsigned char *name,
	    const unsigned char **atts);
	void (*end)(void *ctx, const unsigned char *name);
	void (*text)(void *ctx, const unsigned char *text, int len);
};

/*
 * Read body (len bytes fetched from url, which may be cut short) with
 * libxml2's HTML parser, telling h's callbacks (ctx theirs): with no
 * network access and no error output, broken HTML read as far as it
 * goes.  0, or -1 when the parser cannot be made.
 */
int html_sax(const char *url, const void *body, size_t len,
    const struct html_sax *h, void *ctx);

/* Is word one of the tokens of list (rel, class, content: separated by
 * white space or commas), regardless of case? */
int html_token(const char *list, const char *word);
/* The value of attribute name of a SAX startElement's atts ("" for one
 * written bare, as "checked"), or NULL. */
const char *html_attr(const unsigned char **atts, const char *name);

/* Is an answer of this Content-Type (NULL: none said) HTML to read? */
int html_is_html(const char *content_type);

#endif
