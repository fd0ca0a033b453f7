/*
 * The start page is read once, by SAX: each element says what it can as
 * it comes (a marker, a switcher's option, a navigation link), and what
 * is a reference is kept as written, to be resolved once the page is
 * read, against its <base href> if it has one (as html_links.c does).
 *
 * A switcher option's text is what follows its input up to the end of
 * its label (Shopware writes <label><input ...> € EUR</label>), or up
 * to the next option or the form's end.
 */

#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"

#include "core/str.h"
#include "html_links.h"
#include "shopware.h"
#include "url_norm.h"

const char *const sw_marker_name[SW_M__MAX] = {
	[SW_M_COOKIE] = "cookies",
	[SW_M_GENERATOR] = "generator",
	[SW_M_BUNDLES] = "bundles",
	[SW_M_THEME] = "theme",
	[SW_M_PLUGINS] = "plugins",
	[SW_M_SWITCHER] = "switchers",
	[SW_M_NAVIGATION] = "navigation",
};

/* Attributes the storefront's JS plugins are bound by. */
static const char *const sw_plugin_attr[] = {
	"data-search-widget",
	"data-offcanvas-menu",
	"data-flyout-menu",
	"data-cookie-permission",
	"data-form-auto-submit",
	"data-add-to-cart",
	"data-offcanvas-cart",
	"data-account-menu",
	"data-scroll-up",
	"data-listing",
	"data-buy-widget",
	NULL,
};

enum sw_form { SW_FORM_NONE, SW_FORM_CURRENCY, SW_FORM_LANGUAGE };

enum sw_ref_kind { SW_REF_MAIN, SW_REF_FLYOUT, SW_REF_DOMAIN, SW_REF_SEARCH };

struct sw_ref {
	enum sw_ref_kind kind;
	char *ref;
	char lang[SW_TEXT_LEN + 1];
};

struct sw_parse {
	unsigned magic;
#define SW_PARSE_MAGIC 0x5e0b7a62
	struct sw_shop *shop;
	enum sw_form form;
	struct sw_option *text; /* the option whose text is being read */
	char *base; /* the first <base href>, as written */
	struct sw_ref *refs;
	unsigned nref, lref;
};

/*--------------------------------------------------------------------
 * While the page is read
 */

/* The length of the UTF-8 sequence at t, or 0 if there is none. */
static size_t
sw_utf8(const unsigned char *t)
{
	size_t n, u;

	if (t[0] < 0x80)
		return (1);
	if (t[0] >= 0xc2 && t[0] <= 0xdf)
		n = 2;
	else if (t[0] >= 0xe0 && t[0] <= 0xef)
		n = 3;
	else if (t[0] >= 0xf0 && t[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (u = 1; u < n; u++)
		if ((t[u] & 0xc0) != 0x80)
			return (0);
	return (n);
}

/* Is s UTF-8 without control characters, as a URL to fetch must be? */
static int
sw_valid(const char *s)
{
	const unsigned char *t = (const unsigned char *)s;
	size_t n;

	for (; *t != '\0'; t += n)
		if ((n = sw_utf8(t)) == 0 || (n == 1 && *t < 0x20))
			return (0);
	return (1);
}

/*
 * Text of the page goes into JSON, and PostgreSQL takes only UTF-8: a
 * byte that is not of a whole character (one cut at a length cap, or
 * the page's own mistake) becomes '?'.
 */
static void
sw_clean(char *s)
{
	unsigned char *t = (unsigned char *)s;
	size_t n;

	while (*t != '\0') {
		n = sw_utf8(t);
		if (n == 0 || (n == 1 && *t < 0x20)) {
			*t++ = '?';
			continue;
		}
		t += n;
	}
}

static void
sw_keep(struct sw_parse *p, enum sw_ref_kind kind, const char *ref,
    const char *lang)
{
	/* Room for the categories, and for the few others. */
	if (p->nref >= SW_CATEGORIES_MAX + 3 * SW_OPTIONS_MAX) {
		p->shop->categories_over++;
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
	snprintf(p->refs[p->nref].lang, sizeof p->refs[p->nref].lang, "%s",
	    lang != NULL ? lang : "");
	p->nref++;
}

/* Does the path of ref (its query and fragment aside) end in tail? */
static int
sw_path_ends(const char *ref, const char *tail)
{
	size_t n = strcspn(ref, "?#"), t = strlen(tail);

	return (n >= t && !strncmp(ref + n - t, tail, t));
}

/* "/theme/8d5e0a1c.../": a compiled theme's assets. */
static const char *
sw_theme(const char *url)
{
	const char *p = strstr(url, "/theme/");
	size_t n;

	if (p == NULL)
		return (NULL);
	p += strlen("/theme/");
	n = strspn(p, "0123456789abcdefABCDEF");
	return (n >= 8 && p[n] == '/' ? p + n : NULL);
}

static void
sw_asset(struct sw_parse *p, const char *url)
{
	struct sw_shop *s = p->shop;
	const char *rest;

	if (strstr(url, "/bundles/storefront/") != NULL)
		s->markers |= 1U << SW_M_BUNDLES;
	if ((rest = sw_theme(url)) == NULL)
		return;
	s->markers |= 1U << SW_M_THEME;
	if (s->version_from == SW_VERSION_GENERATOR)
		return;
	/* 6.5 split the one all.js into a script per bundle. */
	if (!strncmp(rest, "/js/storefront/storefront.js", 28))
		snprintf(s->version, sizeof s->version, "6.5+");
	else if (!strncmp(rest, "/js/all.js", 10))
		snprintf(s->version, sizeof s->version, "6.4");
	else
		return;
	s->version_from = SW_VERSION_ASSETS;
}

static void
sw_generator(struct sw_parse *p, const char *content)
{
	struct sw_shop *s = p->shop;
	size_t n;

	snprintf(s->generator, sizeof s->generator, "%s", content);
	sw_clean(s->generator);
	if (strncasecmp(content, "shopware", 8))
		return;
	s->markers |= 1U << SW_M_GENERATOR;
	content += 8;
	content += strspn(content, " \t");
	n = strspn(content, "0123456789.");
	if (n == 0 || n >= sizeof s->version || !isdigit(*content))
		return;
	memcpy(s->version, content, n);
	s->version[n] = '\0';
	s->version_from = SW_VERSION_GENERATOR;
}

/* A switcher's option, once each. */
static void
sw_option(struct sw_parse *p, const xmlChar **atts)
{
	struct sw_option *list;
	const char *name, *id;
	unsigned *n, u;

	name = html_attr(atts, "name");
	id = html_attr(atts, "value");
	if (name == NULL || id == NULL || *id == '\0' || strlen(id) > SW_ID_LEN)
		return;
	if (p->form == SW_FORM_CURRENCY && !strcmp(name, "currencyId")) {
		list = p->shop->currency;
		n = &p->shop->ncurrency;
	} else if (p->form == SW_FORM_LANGUAGE && !strcmp(name, "languageId")) {
		list = p->shop->language;
		n = &p->shop->nlanguage;
	} else
		return;
	for (u = 0; u < *n; u++)
		if (!strcmp(list[u].id, id))
			return;
	if (*n == SW_OPTIONS_MAX)
		return;
	snprintf(list[*n].id, sizeof list[*n].id, "%s", id);
	list[*n].active = html_attr(atts, "checked") != NULL;
	p->text = &list[(*n)++];
}

static void
sw_form(struct sw_parse *p, const xmlChar **atts)
{
	const char *action = html_attr(atts, "action");

	p->form = SW_FORM_NONE;
	if (action == NULL)
		return;
	if (sw_path_ends(action, "/checkout/configure"))
		p->form = SW_FORM_CURRENCY;
	else if (sw_path_ends(action, "/checkout/language"))
		p->form = SW_FORM_LANGUAGE;
	else if (sw_path_ends(action, "/search"))
		sw_keep(p, SW_REF_SEARCH, action, NULL);
	if (p->form != SW_FORM_NONE)
		p->shop->markers |= 1U << SW_M_SWITCHER;
}

static void
sw_link(struct sw_parse *p, const char *name, const xmlChar **atts)
{
	const char *href = html_attr(atts, "href"), *v;

	if (href == NULL)
		return;
	v = html_attr(atts, "class");
	if (!strcmp(name, "a") && v != NULL) {
		if (html_token(v, "main-navigation-link")) {
			p->shop->markers |= 1U << SW_M_NAVIGATION;
			sw_keep(p, SW_REF_MAIN, href, NULL);
		} else if (html_token(v, "navigation-flyout-link"))
			sw_keep(p, SW_REF_FLYOUT, href, NULL);
	}
	v = html_attr(atts, "rel");
	if (!strcmp(name, "link") && v != NULL && html_token(v, "alternate") &&
	    (v = html_attr(atts, "hreflang")) != NULL &&
	    strcasecmp(v, "x-default"))
		sw_keep(p, SW_REF_DOMAIN, href, v);
}

static void
sw_start(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
	const char *name = (const char *)xname, *v;
	struct sw_parse *p;
	unsigned u;

	CAST_OBJ_NOTNULL(p, ctx, SW_PARSE_MAGIC);
	for (u = 0; sw_plugin_attr[u] != NULL; u++)
		if (html_attr(atts, sw_plugin_attr[u]) != NULL)
			p->shop->markers |= 1U << SW_M_PLUGINS;
	if ((v = html_attr(atts, "src")) != NULL ||
	    (v = html_attr(atts, "href")) != NULL)
		sw_asset(p, v);
	if (!strcmp(name, "input") || !strcmp(name, "button")) {
		p->text = NULL;
		sw_option(p, atts);
	} else if (!strcmp(name, "form")) {
		p->text = NULL;
		sw_form(p, atts);
	} else if (!strcmp(name, "a") || !strcmp(name, "link")) {
		sw_link(p, name, atts);
	} else if (!strcmp(name, "base")) {
		if (p->base == NULL && (v = html_attr(atts, "href")) != NULL) {
			p->base = strdup(v);
			AN(p->base);
		}
	} else if (!strcmp(name, "meta")) {
		v = html_attr(atts, "name");
		if (v != NULL && !strcasecmp(v, "generator") &&
		    (v = html_attr(atts, "content")) != NULL)
			sw_generator(p, v);
	}
}

static void
sw_end(void *ctx, const xmlChar *xname)
{
	const char *name = (const char *)xname;
	struct sw_parse *p;

	CAST_OBJ_NOTNULL(p, ctx, SW_PARSE_MAGIC);
	if (!strcmp(name, "label"))
		p->text = NULL;
	else if (!strcmp(name, "form")) {
		p->text = NULL;
		p->form = SW_FORM_NONE;
	}
}

/* An option's text, its white space made single spaces. */
static void
sw_text(void *ctx, const xmlChar *ch, int len)
{
	struct sw_parse *p;
	char *t;
	size_t n;
	int i;

	CAST_OBJ_NOTNULL(p, ctx, SW_PARSE_MAGIC);
	if (p->text == NULL)
		return;
	t = p->text->name;
	n = strlen(t);
	for (i = 0; i < len && n < SW_TEXT_LEN; i++) {
		if (isspace(ch[i])) {
			if (n > 0 && t[n - 1] != ' ')
				t[n++] = ' ';
		} else if (ch[i] >= 0x20)
			t[n++] = (char)ch[i];
	}
	t[n] = '\0';
}

static int
sw_parse(struct sw_parse *p, const char *url, const void *body, size_t len)
{
	static const struct html_sax h = { sw_start, sw_end, sw_text };

	return (html_sax(url, body, len, &h, p));
}

/*--------------------------------------------------------------------
 * Once it is read
 */

static void
sw_trim(char *t)
{
	size_t n = strlen(t);

	while (n > 0 && t[n - 1] == ' ')
		t[--n] = '\0';
}

static void
sw_category(struct sw_shop *s, const char *url, const char *site, size_t sl)
{
	unsigned u;

	/* Another site's link in the menu is not one of its categories. */
	if (url_norm_site_len(url) != sl || strncmp(url, site, sl) ||
	    !sw_valid(url))
		return;
	for (u = 0; u < s->ncategory; u++)
		if (!strcmp(s->category[u], url))
			return;
	if (s->ncategory == SW_CATEGORIES_MAX) {
		s->categories_over++;
		return;
	}
	s->category[s->ncategory] = strdup(url);
	AN(s->category[s->ncategory]);
	s->ncategory++;
}

static void
sw_resolve(struct sw_parse *p, const char *url, enum sw_ref_kind kind)
{
	char base[URL_NORM_MAX + 1], out[URL_NORM_MAX + 1];
	struct sw_shop *s = p->shop;
	struct sw_domain *d;
	const char *why;
	size_t sl = url_norm_site_len(url);
	unsigned u;

	snprintf(base, sizeof base, "%s", url);
	if (p->base != NULL)
		(void)url_norm(url, p->base, NULL, base, sizeof base, &why);
	for (u = 0; u < p->nref; u++) {
		if (p->refs[u].kind != kind ||
		    url_norm(base, p->refs[u].ref, NULL, out, sizeof out,
		        &why) != 0)
			continue;
		switch (kind) {
		case SW_REF_MAIN:
		case SW_REF_FLYOUT:
			sw_category(s, out, url, sl);
			break;
		case SW_REF_DOMAIN:
			if (s->ndomain == SW_OPTIONS_MAX)
				break;
			d = &s->domain[s->ndomain++];
			snprintf(d->lang, sizeof d->lang, "%s",
			    p->refs[u].lang);
			snprintf(d->url, sizeof d->url, "%s", out);
			sw_clean(d->lang);
			sw_clean(d->url);
			break;
		case SW_REF_SEARCH:
			if (s->search[0] == '\0' && sw_valid(out))
				snprintf(s->search, sizeof s->search, "%.*s",
				    (int)strcspn(out, "?"), out);
			break;
		}
	}
}

static void
sw_cookies(struct sw_shop *s, const char *cookies)
{
	const char *c = cookies;
	size_t n;

	while (c != NULL && *c != '\0') {
		c += strspn(c, " ");
		n = strcspn(c, " ");
		if ((n > 3 && !strncmp(c, "sw-", 3)) ||
		    (n >= 8 && !strncmp(c, "session-", 8)))
			s->markers |= 1U << SW_M_COOKIE;
		c += n;
	}
}

static unsigned
sw_count(unsigned bits)
{
	unsigned n = 0;

	for (; bits != 0; bits &= bits - 1)
		n++;
	return (n);
}

/*--------------------------------------------------------------------
 * shopware.h
 */

struct sw_shop *
sw_shop_new(void)
{
	struct sw_shop *s;

	ALLOC_OBJ(s, SW_SHOP_MAGIC);
	AN(s);
	s->category = calloc(SW_CATEGORIES_MAX, sizeof *s->category);
	AN(s->category);
	return (s);
}

void
sw_shop_free(struct sw_shop **sp)
{
	struct sw_shop *s;
	unsigned u;

	TAKE_OBJ_NOTNULL(s, sp, SW_SHOP_MAGIC);
	for (u = 0; u < s->ncategory; u++)
		free(s->category[u]);
	free(s->category);
	FREE_OBJ(s);
}

int
sw_detect(struct sw_shop *s, const char *url, const char *cookies,
    const void *body, size_t len)
{
	char self[URL_NORM_MAX + 1];
	struct sw_parse p;
	const char *why;
	unsigned u;
	int r = -1;

	CHECK_OBJ_NOTNULL(s, SW_SHOP_MAGIC);
	AN(url);
	assert(body != NULL || len == 0);
	memset(&p, 0, sizeof p);
	p.magic = SW_PARSE_MAGIC;
	p.shop = s;
	sw_cookies(s, cookies);
	if (len <= INT_MAX &&
	    url_norm(NULL, url, NULL, self, sizeof self, &why) == 0 &&
	    (len == 0 || sw_parse(&p, self, body, len) == 0)) {
		sw_resolve(&p, self, SW_REF_MAIN);
		sw_resolve(&p, self, SW_REF_FLYOUT);
		sw_resolve(&p, self, SW_REF_DOMAIN);
		sw_resolve(&p, self, SW_REF_SEARCH);
		r = 0;
	}
	for (u = 0; u < s->ncurrency; u++) {
		sw_trim(s->currency[u].name);
		sw_clean(s->currency[u].name);
		sw_clean(s->currency[u].id);
	}
	for (u = 0; u < s->nlanguage; u++) {
		sw_trim(s->language[u].name);
		sw_clean(s->language[u].name);
		sw_clean(s->language[u].id);
	}
	s->shopware = (s->markers & (1U << SW_M_GENERATOR)) != 0 ||
	    sw_count(s->markers) >= 2;
	for (u = 0; u < p.nref; u++)
		free(p.refs[u].ref);
	free(p.refs);
	free(p.base);
	return (r);
}

/* "salesChannel-SC-LANG-1.xml.gz": its two ids, or -1. */
static int
sw_channel_of(const char *name, struct sw_channel *c)
{
	const char *id[2];
	size_t n[2], d;
	unsigned u;

	if (strncmp(name, "salesChannel-", 13))
		return (-1);
	name += 13;
	for (u = 0; u < 2; u++) {
		id[u] = name;
		n[u] = strspn(name, "0123456789abcdefABCDEF");
		if (n[u] == 0 || n[u] > SW_ID_LEN || name[n[u]] != '-')
			return (-1);
		name += n[u] + 1;
	}
	d = strspn(name, "0123456789");
	if (d == 0 || (strcmp(name + d, ".xml.gz") && strcmp(name + d, ".xml")))
		return (-1);
	snprintf(c->sales_channel, sizeof c->sales_channel, "%.*s", (int)n[0],
	    id[0]);
	snprintf(c->language, sizeof c->language, "%.*s", (int)n[1], id[1]);
	return (0);
}

void
sw_sitemap(struct sw_shop *s, const char *url)
{
	struct sw_channel c;
	const char *p;
	unsigned u;

	CHECK_OBJ_NOTNULL(s, SW_SHOP_MAGIC);
	AN(url);
	p = strstr(url, "/sitemap/salesChannel-");
	if (p == NULL || sw_channel_of(p + 9, &c) != 0) {
		s->sitemaps_other++;
		return;
	}
	s->sitemaps_shopware++;
	for (u = 0; u < s->nchannel; u++)
		if (!strcmp(s->channel[u].sales_channel, c.sales_channel) &&
		    !strcmp(s->channel[u].language, c.language))
			return;
	if (s->nchannel < SW_CHANNELS_MAX)
		s->channel[s->nchannel++] = c;
}

int
sw_search_url(const struct sw_shop *s, const char *base, const char *term,
    char *out, size_t outlen)
{
	int r;

	CHECK_OBJ_NOTNULL(s, SW_SHOP_MAGIC);
	AN(base);
	AN(term);
	if (s->search[0] != '\0')
		r = snprintf(out, outlen, "%s?search=", s->search);
	else
		r = snprintf(out, outlen,
		    "%.*s/search?search=", (int)url_norm_site_len(base), base);
	if (r < 0 || (size_t)r >= outlen || url_norm_site_len(base) == 0)
		return (-1);
	return (str_form_encode(term, out + r, outlen - (size_t)r));
}

int
sw_currency_variant(const struct sw_option *o, char *out, size_t outlen)
{
	size_t n;

	AN(o);
	n = strspn(o->id,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	if (n == 0 || o->id[n] != '\0')
		return (-1);
	n = (size_t)snprintf(out, outlen, "currency=%s", o->id);
	return (n < outlen ? 0 : -1);
}

static json_t *
sw_options_json(const struct sw_option *o, unsigned n)
{
	json_t *a = json_array();
	unsigned u;

	AN(a);
	for (u = 0; u < n; u++)
		AZ(json_array_append_new(a,
		    json_pack("{s:s, s:s, s:b}", "id", o[u].id, "name",
		        o[u].name, "default", o[u].active)));
	return (a);
}

json_t *
sw_shop_json(const struct sw_shop *s)
{
	json_t *j, *a;
	unsigned u;

	CHECK_OBJ_NOTNULL(s, SW_SHOP_MAGIC);
	j = json_object();
	AN(j);
	AZ(json_object_set_new(j, "shopware", json_boolean(s->shopware)));
	a = json_array();
	AN(a);
	for (u = 0; u < SW_M__MAX; u++)
		if (s->markers & (1U << u))
			AZ(json_array_append_new(a,
			    json_string(sw_marker_name[u])));
	AZ(json_object_set_new(j, "markers", a));
	AZ(json_object_set_new(j, "version",
	    s->version[0] != '\0' ? json_string(s->version) : json_null()));
	AZ(json_object_set_new(j, "version_from",
	    s->version_from == SW_VERSION_GENERATOR ? json_string("generator")
	        : s->version_from == SW_VERSION_ASSETS ? json_string("assets")
	                                               : json_null()));
	AZ(json_object_set_new(j, "generator",
	    s->generator[0] != '\0' ? json_string(s->generator) : json_null()));
	AZ(json_object_set_new(j, "currencies",
	    sw_options_json(s->currency, s->ncurrency)));
	AZ(json_object_set_new(j, "languages",
	    sw_options_json(s->language, s->nlanguage)));
	a = json_array();
	AN(a);
	for (u = 0; u < s->ndomain; u++)
		AZ(json_array_append_new(a,
		    json_pack("{s:s, s:s}", "hreflang", s->domain[u].lang,
		        "url", s->domain[u].url)));
	AZ(json_object_set_new(j, "domains", a));
	AZ(json_object_set_new(j, "categories", json_integer(s->ncategory)));
	AZ(json_object_set_new(j, "search_form",
	    s->search[0] != '\0' ? json_string(s->search) : json_null()));
	AZ(json_object_set_new(j, "sitemap",
	    json_string(s->sitemaps_shopware > 0 ? "shopware"
	            : s->sitemaps_other > 0      ? "other"
	                                         : "none")));
	a = json_array();
	AN(a);
	for (u = 0; u < s->nchannel; u++)
		AZ(json_array_append_new(a,
		    json_pack("{s:s, s:s}", "id", s->channel[u].sales_channel,
		        "language_id", s->channel[u].language)));
	AZ(json_object_set_new(j, "sales_channels", a));
	return (j);
}
