/*
 * shopware: a Shopware 6 storefront told from another site by what its
 * start page serves (markers, two at least), its version from the
 * generator or the theme's scripts, its switchers' currencies and
 * languages, its domains, navigation and search form; Shopware's
 * sitemap names; search URLs as a browser's form sends them; and a
 * report that stays valid JSON whatever the page holds.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vdef.h"
#include "vas.h"

#include "sitemap/shopware.h"
#include "unit.h"

#define START "https://shop.example/"
#define EUR "b7d2554b0ce847cd82f3ac9bd1c0dfca"
#define USD "1c1e2a9a0bd543a0a4bd16a4b1aa2d4f"
#define EN "2fbb5fe2e29a4d70aa5854ce7ce3e20b"
#define DE "9d4d1bc5a0d44a3a8e0e3a4fce5a1b7e"

/* As Shopware 6.5's storefront writes its start page, abridged. */
static const char storefront[] =
    "<!DOCTYPE html><html lang=\"en-GB\"><head>"
    "<meta charset=\"utf-8\">"
    "<link rel=\"alternate\" hreflang=\"en-GB\" href=\"https://shop.example/\">"
    "<link rel=\"alternate\" hreflang=\"de-DE\" "
    "href=\"https://shop.example/de/\">"
    "<link rel=\"alternate\" hreflang=\"x-default\" "
    "href=\"https://shop.example/\">"
    "<link rel=\"stylesheet\" "
    "href=\"https://shop.example/theme/8d5e0a1c9f0b4d2e/css/all.css\">"
    "<script src=\"https://shop.example/theme/8d5e0a1c9f0b4d2e/js/"
    "storefront/storefront.js?1700000000\" defer></script>"
    "</head><body>"
    "<div class=\"top-bar\">"
    "<form method=\"post\" action=\"/checkout/language\" "
    "class=\"language-form\" data-form-auto-submit=\"true\">"
    "<div class=\"top-bar-list-item\"><label for=\"l-" EN "\">"
    "<input id=\"l-" EN "\" value=\"" EN "\" name=\"languageId\" "
    "type=\"radio\" checked>"
    "<span class=\"language-flag\"></span>\n  English\n</label></div>"
    "<div class=\"top-bar-list-item\"><label>"
    "<input value=\"" DE "\" name=\"languageId\" type=\"radio\">"
    " Deutsch </label></div>"
    "<input name=\"redirectTo\" type=\"hidden\" value=\"frontend.home\">"
    "</form>"
    "<form method=\"post\" action=\"/checkout/configure\" "
    "class=\"currency-form\">"
    "<label><input value=\"" EUR "\" name=\"currencyId\" type=\"radio\" "
    "checked> &euro; EUR</label>"
    "<label><input value=\"" USD "\" name=\"currencyId\" type=\"radio\">"
    " $ USD</label>"
    "<label><input value=\"" EUR "\" name=\"currencyId\" type=\"radio\">"
    " again</label>"
    "</form></div>"
    "<form action=\"/search?x=1\" method=\"get\" data-search-widget=\"true\">"
    "<input type=\"search\" name=\"search\"></form>"
    "<nav class=\"nav main-navigation-menu\">"
    "<a class=\"nav-link main-navigation-link home-link\" href=\"/\">Home</a>"
    "<a class=\"nav-link main-navigation-link\" "
    "href=\"https://shop.example/Coffee/\">Coffee</a>"
    "<a class=\"nav-link main-navigation-link\" href=\"/Tea/#x\">Tea</a>"
    "<a class=\"nav-link main-navigation-link\" "
    "href=\"https://elsewhere.example/\">Away</a>"
    "</nav>"
    "<div class=\"navigation-flyouts\">"
    "<a class=\"nav-item nav-link navigation-flyout-link\" "
    "href=\"/Coffee/Beans/\">Beans</a>"
    "<a class=\"nav-item nav-link navigation-flyout-link\" "
    "href=\"/Tea/\">Tea</a>"
    "</div>"
    "<a class=\"product-name\" href=\"/Product-1/SW10001\">1</a>"
    "</body></html>";

static void
t_storefront(void)
{
	struct sw_shop *s = sw_shop_new();

	CHECK_INT_EQ(sw_detect(s, START, "session- sw-states", storefront,
	                 strlen(storefront)),
	    0);
	CHECK_INT_EQ(s->shopware, 1);
	CHECK_INT_EQ(s->markers,
	    (1 << SW_M_COOKIE) | (1 << SW_M_THEME) | (1 << SW_M_PLUGINS) |
	        (1 << SW_M_SWITCHER) | (1 << SW_M_NAVIGATION));
	CHECK_STR_EQ(s->version, "6.5+");
	CHECK_INT_EQ(s->version_from, SW_VERSION_ASSETS);
	CHECK_INT_EQ(s->ncurrency, 2);
	CHECK_STR_EQ(s->currency[0].id, EUR);
	CHECK_STR_EQ(s->currency[0].name, "\xe2\x82\xac EUR");
	CHECK_INT_EQ(s->currency[0].active, 1);
	CHECK_STR_EQ(s->currency[1].id, USD);
	CHECK_STR_EQ(s->currency[1].name, "$ USD");
	CHECK_INT_EQ(s->currency[1].active, 0);
	CHECK_INT_EQ(s->nlanguage, 2);
	CHECK_STR_EQ(s->language[0].name, "English");
	CHECK_INT_EQ(s->language[0].active, 1);
	CHECK_STR_EQ(s->language[1].id, DE);
	CHECK_STR_EQ(s->language[1].name, "Deutsch");
	CHECK_INT_EQ(s->ndomain, 2);
	CHECK_STR_EQ(s->domain[1].lang, "de-DE");
	CHECK_STR_EQ(s->domain[1].url, "https://shop.example/de/");
	/* The main navigation first, each once, only the shop's own. */
	CHECK_INT_EQ(s->ncategory, 4);
	CHECK_STR_EQ(s->category[0], "https://shop.example/");
	CHECK_STR_EQ(s->category[1], "https://shop.example/Coffee/");
	CHECK_STR_EQ(s->category[2], "https://shop.example/Tea/");
	CHECK_STR_EQ(s->category[3], "https://shop.example/Coffee/Beans/");
	CHECK_STR_EQ(s->search, "https://shop.example/search");
	sw_shop_free(&s);
	CHECK(s == NULL);
}

static void
t_version(void)
{
	static const char old[] =
	    "<html><head><meta name=\"generator\" content=\"Shopware "
	    "6.4.20.2\">"
	    "<script src=\"/theme/0123456789abcdef/js/all.js\"></script>"
	    "</head></html>";
	static const char six4[] =
	    "<html><head>"
	    "<link href=\"/bundles/storefront/assets/icon/x.svg\">"
	    "<script src=\"/theme/0123456789abcdef/js/all.js\"></script>"
	    "</head></html>";
	static const char other[] =
	    "<html><head><meta name=\"generator\" content=\"WordPress 6.4\">"
	    "<script src=\"/theme/short/js/all.js\"></script></head>"
	    "<body><a class=\"main-navigation-link\" href=\"/a\">a</a></body>"
	    "</html>";
	struct sw_shop *s;

	/* The generator's word beats the scripts', and alone suffices. */
	s = sw_shop_new();
	CHECK_INT_EQ(sw_detect(s, START, NULL, old, strlen(old)), 0);
	CHECK_INT_EQ(s->shopware, 1);
	CHECK_STR_EQ(s->version, "6.4.20.2");
	CHECK_INT_EQ(s->version_from, SW_VERSION_GENERATOR);
	CHECK_STR_EQ(s->generator, "Shopware 6.4.20.2");
	sw_shop_free(&s);

	s = sw_shop_new();
	CHECK_INT_EQ(sw_detect(s, START, NULL, six4, strlen(six4)), 0);
	CHECK_INT_EQ(s->shopware, 1);
	CHECK_STR_EQ(s->version, "6.4");
	CHECK_INT_EQ(s->version_from, SW_VERSION_ASSETS);
	sw_shop_free(&s);

	/* One marker is not enough; another generator is no marker. */
	s = sw_shop_new();
	CHECK_INT_EQ(sw_detect(s, START, "PHPSESSID", other, strlen(other)), 0);
	CHECK_INT_EQ(s->shopware, 0);
	CHECK_INT_EQ(s->markers, 1 << SW_M_NAVIGATION);
	CHECK_STR_EQ(s->version, "");
	CHECK_STR_EQ(s->generator, "WordPress 6.4");
	sw_shop_free(&s);

	/* Nothing at all, and a URL that is none. */
	s = sw_shop_new();
	CHECK_INT_EQ(sw_detect(s, START, NULL, NULL, 0), 0);
	CHECK_INT_EQ(s->shopware, 0);
	CHECK_INT_EQ(sw_detect(s, "mailto:x", NULL, "<a>", 3), -1);
	sw_shop_free(&s);
}

static void
t_sitemap(void)
{
	struct sw_shop *s = sw_shop_new();
	json_t *j;

	sw_sitemap(s, "https://shop.example/sitemap.xml");
	j = sw_shop_json(s);
	CHECK_STR_EQ(json_string_value(json_object_get(j, "sitemap")), "other");
	json_decref(j);
	sw_sitemap(s,
	    "https://shop.example/sitemap/salesChannel-" EUR "-" EN
	    "-1.xml.gz");
	sw_sitemap(s,
	    "https://shop.example/sitemap/salesChannel-" EUR "-" EN
	    "-2.xml.gz");
	sw_sitemap(s,
	    "https://shop.example/sitemap/salesChannel-" EUR "-" DE "-1.xml");
	sw_sitemap(s, "https://shop.example/sitemap/salesChannel-x-y-1.xml.gz");
	sw_sitemap(s,
	    "https://shop.example/sitemap/salesChannel-" EUR "-" EN "-1.txt");
	CHECK_INT_EQ(s->sitemaps_shopware, 3);
	CHECK_INT_EQ(s->sitemaps_other, 3);
	CHECK_INT_EQ(s->nchannel, 2);
	CHECK_STR_EQ(s->channel[0].sales_channel, EUR);
	CHECK_STR_EQ(s->channel[1].language, DE);
	j = sw_shop_json(s);
	CHECK_STR_EQ(json_string_value(json_object_get(j, "sitemap")),
	    "shopware");
	CHECK_INT_EQ(json_array_size(json_object_get(j, "sales_channels")), 2);
	json_decref(j);
	sw_shop_free(&s);
}

static void
t_search(void)
{
	struct sw_shop *s = sw_shop_new();
	char out[256];

	CHECK_INT_EQ(sw_search_url(s, "https://shop.example/de/",
	                 "caf\xc3\xa9 & tea+milk", out, sizeof out),
	    0);
	CHECK_STR_EQ(out,
	    "https://shop.example/search?search=caf%C3%A9+%26+tea%2Bmilk");
	snprintf(s->search, sizeof s->search, "https://shop.example/de/search");
	CHECK_INT_EQ(sw_search_url(s, START, "a-b_c.d*", out, sizeof out), 0);
	CHECK_STR_EQ(out, "https://shop.example/de/search?search=a-b_c.d*");
	CHECK_INT_EQ(sw_search_url(s, START, "x", out, 20), -1);
	CHECK_INT_EQ(sw_search_url(s, START, "x", out, sizeof out), 0);
	s->search[0] = '\0';
	CHECK_INT_EQ(sw_search_url(s, "not a url", "x", out, sizeof out), -1);
	sw_shop_free(&s);
}

static void
t_variant(void)
{
	struct sw_option o;
	char out[128];

	memset(&o, 0, sizeof o);
	snprintf(o.id, sizeof o.id, "%s", USD);
	CHECK_INT_EQ(sw_currency_variant(&o, out, sizeof out), 0);
	CHECK_STR_EQ(out, "currency=" USD);
	snprintf(o.id, sizeof o.id, "a b");
	CHECK_INT_EQ(sw_currency_variant(&o, out, sizeof out), -1);
	o.id[0] = '\0';
	CHECK_INT_EQ(sw_currency_variant(&o, out, sizeof out), -1);
}

/* Whatever the page says, the report is JSON PostgreSQL takes. */
static void
t_hostile(void)
{
	static const char page[] =
	    "<html><head><meta name=\"generator\" content=\"Shopware \xff\xfe"
	    "\">"
	    "<link rel=\"alternate\" hreflang=\"d\xc3\" href=\"/\xe9t\xe9/\">"
	    "</head><body><form action=\"/checkout/configure\">"
	    "<input name=\"currencyId\" value=\"\xc3\x28\">"
	    "\x01 \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	    "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	    "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	    "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	    "\xa9x\xc3\xa9\xc3\xa9"
	    "<input name=\"currencyId\" value=\"" USD USD USD "\">"
	    "</form></body></html>";
	struct sw_shop *s = sw_shop_new();
	json_t *j;
	char *text;

	CHECK_INT_EQ(sw_detect(s, START, NULL, page, sizeof page - 1), 0);
	CHECK_INT_EQ(s->ncurrency, 1);
	CHECK_INT_EQ(strlen(s->currency[0].name) <= SW_TEXT_LEN, 1);
	j = sw_shop_json(s);
	AN(j);
	text = json_dumps(j, 0);
	AN(text);
	CHECK(strstr(text, "\"currencies\"") != NULL);
	free(text);
	json_decref(j);
	sw_shop_free(&s);
}

int
main(void)
{
	t_storefront();
	t_version();
	t_sitemap();
	t_search();
	t_variant();
	t_hostile();
	return (unit_done());
}
