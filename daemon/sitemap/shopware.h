/*
 * What a Shopware 6 storefront says of itself, read from its start page
 * as it serves it (the page, and the names of the cookies it set), by
 * libxml2's HTML parser (SAX: no tree, never a regular expression):
 *
 *  - whether it is Shopware: the markers below, two of them at least, or
 *    a <meta name="generator"> that says so;
 *  - its version, where it shows: the generator's (exact, but a shop
 *    may leave it out or change it), else a family told apart by the
 *    theme's scripts (/theme/HASH/js/all.js up to 6.4,
 *    /theme/HASH/js/storefront/storefront.js from 6.5 on): a guess
 *    that a custom theme can mislead;
 *  - its currencies and languages: the switchers' forms (action
 *    /checkout/configure with currencyId, /checkout/language with
 *    languageId), each option's id, the text it is shown with, and
 *    which is the page's own;
 *  - its other domains (a sales channel's languages, each a domain or
 *    a path of its own): <link rel="alternate" hreflang href>;
 *  - its categories: the main navigation's links (a.main-navigation-link)
 *    first, then the flyouts' (a.navigation-flyout-link), in page order;
 *  - where its search form sends to (form action .../search), for the
 *    search pages.
 *
 * And of its sitemap: whether a sitemap read is one Shopware wrote
 * (sitemap/salesChannel-SALESCHANNELID-LANGUAGEID-N.xml.gz), whose
 * names say the sales channel and its language.
 */

#ifndef STOKE_SHOPWARE_H
#define STOKE_SHOPWARE_H

#include <stddef.h>

#include <jansson.h>

#define SW_OPTIONS_MAX 16 /* currencies, languages, domains: each */
#define SW_CATEGORIES_MAX 500
#define SW_CHANNELS_MAX 16
#define SW_ID_LEN 64
#define SW_TEXT_LEN 64
#define SW_URL_LEN 2048

/* What tells a Shopware 6 storefront from another site. */
enum sw_marker {
	SW_M_COOKIE, /* it set sw-* or session-* cookies */
	SW_M_GENERATOR, /* <meta name="generator" content="Shopware ..."> */
	SW_M_BUNDLES, /* assets under /bundles/storefront/ */
	SW_M_THEME, /* assets under /theme/HASH/ */
	SW_M_PLUGINS, /* data- attributes of the storefront's JS plugins */
	SW_M_SWITCHER, /* a currency or language switcher form */
	SW_M_NAVIGATION, /* a.main-navigation-link */
	SW_M__MAX
};

/* As the job's report names them. */
extern const char *const sw_marker_name[SW_M__MAX];

enum sw_version_from {
	SW_VERSION_NONE,
	SW_VERSION_GENERATOR, /* exact, as the shop says */
	SW_VERSION_ASSETS, /* a family, from the theme's scripts */
};

/* A currency or a language of the switchers. */
struct sw_option {
	char id[SW_ID_LEN + 1];
	char name[SW_TEXT_LEN + 1]; /* as shown: "€ EUR", "Deutsch" */
	int active; /* the page's own (checked) */
};

struct sw_domain {
	char lang[SW_TEXT_LEN + 1]; /* hreflang: "de-DE" */
	char url[SW_URL_LEN + 1];
};

struct sw_channel {
	char sales_channel[SW_ID_LEN + 1];
	char language[SW_ID_LEN + 1];
};

struct sw_shop {
	unsigned magic;
#define SW_SHOP_MAGIC 0x5e0b7a61
	int shopware;
	unsigned markers; /* 1 << enum sw_marker, each found */
	char version[32]; /* "6.5.8.2", "6.5+", "6.4"; "" unknown */
	enum sw_version_from version_from;
	char generator[SW_TEXT_LEN + 1];
	char search[SW_URL_LEN + 1]; /* the search form's action; "" none */
	struct sw_option currency[SW_OPTIONS_MAX];
	unsigned ncurrency;
	struct sw_option language[SW_OPTIONS_MAX];
	unsigned nlanguage;
	struct sw_domain domain[SW_OPTIONS_MAX];
	unsigned ndomain;
	char **category; /* absolute and normalised, each once */
	unsigned ncategory, categories_over;
	/* The sitemaps read: Shopware's, and others. */
	unsigned sitemaps_shopware, sitemaps_other;
	struct sw_channel channel[SW_CHANNELS_MAX];
	unsigned nchannel;
};

struct sw_shop *sw_shop_new(void);
void sw_shop_free(struct sw_shop **);

/*
 * Read the start page (body, len bytes, fetched from url; may be cut
 * short) and the names of the cookies it set (space separated, or
 * NULL).  0, or -1 when url is not a usable URL or the parser cannot be
 * made.  May be called once.
 */
int sw_detect(struct sw_shop *, const char *url, const char *cookies,
    const void *body, size_t len);

/* A sitemap was read from url: Shopware's, or another. */
void sw_sitemap(struct sw_shop *, const char *url);

/*
 * The search page of term, as a browser's GET of the shop's search form
 * asks for it (application/x-www-form-urlencoded: a space is "+"):
 * "https://shop.example/search?search=coffee+beans".  The form's action
 * if the page had one, else /search on base's site.  0, or -1 when it
 * does not fit.
 */
int sw_search_url(const struct sw_shop *, const char *base, const char *term,
    char *out, size_t outlen);

/* The currency's variant ("currency=ID"), or -1 when its id cannot be
 * one (not [0-9A-Za-z_-]). */
int sw_currency_variant(const struct sw_option *, char *out, size_t outlen);

/*
 * What was found, for the job's detected field: {"shopware", "markers",
 * "version", "version_from", "generator", "currencies" [{"id", "name",
 * "default"}], "languages" [{"id", "name", "default"}], "domains"
 * [{"hreflang", "url"}], "categories" (a count), "search_form",
 * "sitemap" ("shopware", "other", "none"), "sales_channels" [{"id",
 * "language_id"}]}.  A new reference.
 */
json_t *sw_shop_json(const struct sw_shop *);

#endif
