/*
 * What the JSON bodies of a tenant's main routes may hold (api_input.h),
 * one table a route, together: a website's settings, a job, a purge, a
 * notification channel.  The handlers check their bodies against these,
 * and fuzz/fuzz_api_body.c drives each with hostile JSON.  What a value
 * means (a URL's host, a cron expression) is the handler's to check,
 * after.
 */

#ifndef STOKE_API_BODIES_H
#define STOKE_API_BODIES_H

#include "api_input.h"

/*--------------------------------------------------------------------
 * A website: POST /api/projects/:id/websites, PATCH /api/websites/:id
 */

#define WEBSITE_NAME_MAX 200
#define WEBSITE_VARIANTS_MAX 64
#define WEBSITE_VARIANT_KEYS_MAX 16
#define WEBSITE_NODES_MAX 32
/* As 0022_shopware.sql allows: a shop's few search pages that matter. */
#define WEBSITE_SEARCH_TERMS_MAX 50
#define WEBSITE_SEARCH_TERM_LEN 100
/* As 0023_render.sql allows: a CDN or media host or two. */
#define WEBSITE_ASSET_HOSTS_MAX 16

/* base_url is required to create, not to change. */
#define API_WS_NFIELDS 16
extern const struct api_field api_ws_create_fields[];
extern const struct api_field api_ws_change_fields[];

/*--------------------------------------------------------------------
 * A job: POST /api/websites/:id/jobs
 */

/* What a body may hold at most, whatever the plan says. */
#define TJ_URLS_MAX 100000
#define TJ_VARIANTS_MAX 64
#define TJ_VARIANT_KEYS_MAX 16

enum api_tj_in {
	TJ_IN_URLS,
	TJ_IN_VARIANTS,
	TJ_IN_SITEMAP,
	TJ_IN_SOURCE,
	TJ_IN_DEPTH,
	TJ_IN_PAGES,
	TJ_IN_DROP,
	TJ_IN_RENDER,
	TJ_IN__MAX
};
#define API_TJ_NFIELDS TJ_IN__MAX
extern const struct api_field api_tj_fields[TJ_IN__MAX];

/*--------------------------------------------------------------------
 * A purge: POST /api/websites/:id/purge
 */

/* Each item goes to every node (32 at most): bounded, so that the
 * answer comes within the timeout. */
#define PURGE_URLS_MAX 100
#define PURGE_TAGS_MAX 100
#define PURGE_TAG_MAX 128

#define API_PG_NFIELDS 3
extern const struct api_field api_pg_fields[];

/*--------------------------------------------------------------------
 * A channel: POST /api/projects/:id/channels, PATCH .../channels/:id
 */

#define CH_NAME_MAX 200
#define CH_RECIPIENTS_MAX 10
#define CH_EVENTS_MAX 16
/* The thresholds a channel may set (api_channels.c's ch_settings). */
#define CH_NSETTINGS 5

/* The fields, in this order; a change has all but the kind. */
enum {
	CH_NAME,
	CH_URL,
	CH_RECIPIENTS,
	CH_EVENTS,
	CH_SETTINGS,
	CH_ENABLED,
	CH_KIND,
	CH__NFIELDS
};
extern const struct api_field api_ch_create_fields[];
extern const struct api_field api_ch_change_fields[];

#endif
