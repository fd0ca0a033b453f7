/*
 * Every table of api_bodies.h.  A table's length is its header's
 * count, checked here where it is built.
 */

#include "config.h"

#include <stddef.h>

#include "core/cron.h"
#include "core/tzfile.h"
#include "fetch/addr_policy.h"
#include "sitemap/site_crawl.h"
#include "sitemap/url_norm.h"
#include "api_bodies.h"
#include "api_tasks.h"

#define API_NELEMS(a) (sizeof a / sizeof a[0])

/*--------------------------------------------------------------------
 * What a website's settings may be
 */

static const struct api_field api_ws_variant_key = { "key", AF_STRING, 0, 1, 32,
	NULL, NULL, "abcdefghijklmnopqrstuvwxyz0123456789_-" };
static const struct api_field api_ws_variant_value = { "value", AF_STRING, 0, 0,
	128, NULL, NULL, NULL };
/* {"currency": "EUR", "country": "DE"}: one variant's declared inputs */
static const struct api_field api_ws_variant = { "variant", AF_OBJECT, 0, 0,
	WEBSITE_VARIANT_KEYS_MAX, &api_ws_variant_value, &api_ws_variant_key,
	NULL };
/* {"currency": "cookie:sw-currency"}: where a dimension comes from */
static const struct api_field api_ws_input_value = { "source", AF_STRING, 0, 8,
	128, NULL, NULL,
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	"!#$%&'*+-.^_`|~:" };
/* "coffee beans": what visitors type into a Shopware shop's search */
static const struct api_field api_ws_search_term = { "term", AF_STRING, 0, 1,
	WEBSITE_SEARCH_TERM_LEN, NULL, NULL, NULL };
/* "cdn.shop.example": a host name, as addr_url_parse() writes one. */
static const struct api_field api_ws_asset_host = { "host", AF_STRING, 0, 1,
	253, NULL, NULL, "abcdefghijklmnopqrstuvwxyz0123456789.-" };
static const struct api_field api_ws_node = { "node", AF_STRING, 0, 1,
	ADDR_URL_MAX, NULL, NULL, NULL };

/* base_url's flags: required to create, not to change. */
#define API_WS_FIELDS(base_flags)                                              \
	{ "name", AF_STRING, 0, 0, WEBSITE_NAME_MAX, NULL, NULL, NULL },       \
	    { "base_url", AF_STRING, base_flags, 1, ADDR_URL_MAX, NULL, NULL,  \
		    NULL },                                                    \
	    { "sitemap_url", AF_STRING, AF_NULLABLE, 1, ADDR_URL_MAX, NULL,    \
		    NULL, NULL },                                              \
	    { "cache_type", AF_STRING, 0, 1, 16, NULL, NULL, NULL },           \
	    { "concurrency", AF_INT, 0, 1, 256, NULL, NULL, NULL },            \
	    { "rate_limit", AF_NUMBER, AF_NULLABLE | AF_ABOVE_MIN, 0, 10000,   \
		    NULL, NULL, NULL },                                        \
	    { "schedule", AF_STRING, AF_NULLABLE, 1, CRON_MAX, NULL, NULL,     \
		    NULL },                                                    \
	    { "schedule_tz", AF_STRING, 0, 1, TZ_NAME_MAX, NULL, NULL, NULL }, \
	    { "variants", AF_ARRAY, 0, 0, WEBSITE_VARIANTS_MAX,                \
		    &api_ws_variant, NULL, NULL },                             \
	    { "variant_inputs", AF_OBJECT, 0, 0, WEBSITE_VARIANT_KEYS_MAX,     \
		    &api_ws_input_value, &api_ws_variant_key, NULL },          \
	    { "broadcast_invalidations", AF_BOOL, 0, 0, 0, NULL, NULL, NULL }, \
	    { "search_terms", AF_ARRAY, 0, 0, WEBSITE_SEARCH_TERMS_MAX,        \
		    &api_ws_search_term, NULL, NULL },                         \
	    { "auto_variants", AF_BOOL, 0, 0, 0, NULL, NULL, NULL },           \
	    { "render", AF_BOOL, 0, 0, 0, NULL, NULL, NULL },                  \
	    { "asset_hosts", AF_ARRAY, 0, 0, WEBSITE_ASSET_HOSTS_MAX,          \
		    &api_ws_asset_host, NULL, NULL },                          \
	{                                                                      \
		"varnish_nodes", AF_ARRAY, 0, 0, WEBSITE_NODES_MAX,            \
		    &api_ws_node, NULL, NULL                                   \
	}

const struct api_field api_ws_create_fields[] = {
	API_WS_FIELDS(AF_REQUIRED),
};
const struct api_field api_ws_change_fields[] = {
	API_WS_FIELDS(0),
};
_Static_assert(API_NELEMS(api_ws_create_fields) == API_WS_NFIELDS,
    "a website's fields");
_Static_assert(API_NELEMS(api_ws_change_fields) == API_WS_NFIELDS,
    "a website's fields");

/*--------------------------------------------------------------------
 * What a job's body may be
 */

_Static_assert(TJ_VARIANTS_MAX == API_TASK_VARIANTS_MAX, "a job's variants");
_Static_assert(TJ_VARIANT_KEYS_MAX == API_TASK_VARIANT_KEYS_MAX,
    "a job's variants' keys");

static const struct api_field api_tj_f_url = { "url", AF_STRING, 0, 1,
	ADDR_URL_MAX, NULL, NULL, NULL };
/* As a website's variants. */
static const struct api_field api_tj_f_variant = { "variant", AF_OBJECT, 0, 0,
	TJ_VARIANT_KEYS_MAX, &api_ws_variant_value, &api_ws_variant_key, NULL };

/* A query parameter's name, or a prefix of names ending in '*'. */
static const struct api_field api_tj_f_param = {
	"drop_params", AF_STRING, 0, 1, URL_NORM_NAME_MAX, NULL, NULL,
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-*[]"
};

const struct api_field api_tj_fields[TJ_IN__MAX] = {
	[TJ_IN_URLS] = { "urls", AF_ARRAY, 0, 1, TJ_URLS_MAX, &api_tj_f_url,
	    NULL, NULL },
	[TJ_IN_VARIANTS] = { "variants", AF_ARRAY, 0, 0, TJ_VARIANTS_MAX,
	    &api_tj_f_variant, NULL, NULL },
	[TJ_IN_SITEMAP] = { "sitemap_url", AF_STRING, 0, 1, ADDR_URL_MAX, NULL,
	    NULL, NULL },
	[TJ_IN_SOURCE] = { "source", AF_STRING, 0, 1, 16, NULL, NULL,
	    "abcdefghijklmnopqrstuvwxyz" },
	[TJ_IN_DEPTH] = { "max_depth", AF_INT, 0, 1, CRAWL_DEPTH_MAX, NULL,
	    NULL, NULL },
	[TJ_IN_PAGES] = { "max_pages", AF_INT, 0, 1, TJ_URLS_MAX, NULL, NULL,
	    NULL },
	[TJ_IN_DROP] = { "drop_params", AF_ARRAY, 0, 0, URL_NORM_DROP_MAX,
	    &api_tj_f_param, NULL, NULL },
	[TJ_IN_RENDER] = { "render", AF_BOOL, 0, 0, 0, NULL, NULL, NULL },
};

/*--------------------------------------------------------------------
 * What a purge's body may be
 */

static const struct api_field api_pg_f_url = { "url", AF_STRING, 0, 1,
	ADDR_URL_MAX, NULL, NULL, NULL };
/* An xkey header's tags are separated by spaces or commas: a tag holds
 * neither, nor anything else a header could not. */
static const struct api_field api_pg_f_tag = { "tag", AF_STRING, 0, 1,
	PURGE_TAG_MAX, NULL, NULL,
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	"-_.:/@+=" };

const struct api_field api_pg_fields[] = {
	{ "urls", AF_ARRAY, 0, 0, PURGE_URLS_MAX, &api_pg_f_url, NULL, NULL },
	{ "tags", AF_ARRAY, 0, 0, PURGE_TAGS_MAX, &api_pg_f_tag, NULL, NULL },
	{ "hard", AF_BOOL, 0, 0, 0, NULL, NULL, NULL },
};
_Static_assert(API_NELEMS(api_pg_fields) == API_PG_NFIELDS, "a purge's fields");

/*--------------------------------------------------------------------
 * What a channel's body may be
 */

static const struct api_field api_ch_f_recipient = { "recipient", AF_STRING, 0,
	3, 254, NULL, NULL, NULL };
static const struct api_field api_ch_f_event = { "event", AF_STRING, 0, 1, 32,
	NULL, NULL, NULL };
static const struct api_field api_ch_f_setting_key = { "setting", AF_STRING, 0,
	1, 32, NULL, NULL, "abcdefghijklmnopqrstuvwxyz_" };
static const struct api_field api_ch_f_setting = { "value", AF_NUMBER, 0, 0,
	1000000000, NULL, NULL, NULL };

#define API_CH_FIELDS(required)                                                \
	{ "name", AF_STRING, required, 1, CH_NAME_MAX, NULL, NULL, NULL },     \
	    { "url", AF_STRING, 0, 1, ADDR_URL_MAX, NULL, NULL, NULL },        \
	    { "recipients", AF_ARRAY, 0, 1, CH_RECIPIENTS_MAX,                 \
		    &api_ch_f_recipient, NULL, NULL },                         \
	    { "events", AF_ARRAY, required, 1, CH_EVENTS_MAX, &api_ch_f_event, \
		    NULL, NULL },                                              \
	    { "settings", AF_OBJECT, 0, 0, CH_NSETTINGS, &api_ch_f_setting,    \
		    &api_ch_f_setting_key, NULL },                             \
	{                                                                      \
		"enabled", AF_BOOL, 0, 0, 0, NULL, NULL, NULL                  \
	}

const struct api_field api_ch_create_fields[] = {
	API_CH_FIELDS(AF_REQUIRED),
	{ "kind", AF_STRING, AF_REQUIRED, 1, 16, NULL, NULL, NULL },
};
const struct api_field api_ch_change_fields[] = {
	API_CH_FIELDS(0),
};
_Static_assert(API_NELEMS(api_ch_create_fields) == CH__NFIELDS,
    "a channel's fields");
_Static_assert(API_NELEMS(api_ch_change_fields) == CH_KIND,
    "a channel's fields but its kind");
