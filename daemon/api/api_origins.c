/*
 * The origin guard's state, read only.  Origin names come from Host
 * headers, which clients choose: they are escaped for Prometheus's
 * label syntax, and JSON escapes its own.
 */

#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include <event2/buffer.h>

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "fetch/origin_guard.h"
#include "api_origins.h"
#include "http_api.h"
#include "routes.h"

struct walk {
	unsigned magic;
#define WALK_MAGIC 0x6f726977
	struct evbuffer *b;
	json_t *a;
	double now;
};

/* A label value: backslash, double quote and newline escaped. */
static void
label(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void
metric(struct evbuffer *b, const char *name, const char *origin)
{
	evbuffer_add_printf(b, "%s{origin=\"", name);
	label(b, origin);
	evbuffer_add(b, "\"} ", 3);
}

static void
one_metric(void *priv, const struct og_info *i)
{
	struct walk *w;
	struct evbuffer *b;

	CAST_OBJ_NOTNULL(w, priv, WALK_MAGIC);
	b = w->b;

	metric(b, "stoke_origin_limit", i->origin);
	evbuffer_add_printf(b, "%.2f\n", i->limit);
	metric(b, "stoke_origin_inflight", i->origin);
	evbuffer_add_printf(b, "%u\n", i->inflight);
	metric(b, "stoke_origin_inflight_max", i->origin);
	evbuffer_add_printf(b, "%u\n", i->inflight_max);
	metric(b, "stoke_origin_open", i->origin);
	evbuffer_add_printf(b, "%d\n", i->state != OG_CLOSED);
	metric(b, "stoke_origin_paused", i->origin);
	evbuffer_add_printf(b, "%d\n", i->paused_until > w->now);
	metric(b, "stoke_origin_latency_seconds", i->origin);
	evbuffer_add_printf(b, "%.6f\n", i->latency);
	metric(b, "stoke_origin_requests_total", i->origin);
	evbuffer_add_printf(b, "%" PRIu64 "\n", i->requests);
	metric(b, "stoke_origin_failures_total", i->origin);
	evbuffer_add_printf(b, "%" PRIu64 "\n", i->failures);
	metric(b, "stoke_origin_backoffs_total", i->origin);
	evbuffer_add_printf(b, "%" PRIu64 "\n", i->backoffs);
	metric(b, "stoke_origin_breaker_opened_total", i->origin);
	evbuffer_add_printf(b, "%" PRIu64 "\n", i->breaker_opened);
	metric(b, "stoke_origin_retry_after_total", i->origin);
	evbuffer_add_printf(b, "%" PRIu64 "\n", i->retry_after);
}

static void
metrics(void *priv, struct evbuffer *b)
{
	struct walk w = { .magic = WALK_MAGIC, .b = b, .now = VTIM_real() };

	og_foreach(priv, one_metric, &w);
}

static void
one_json(void *priv, const struct og_info *i)
{
	struct walk *w;

	CAST_OBJ_NOTNULL(w, priv, WALK_MAGIC);
	json_array_append_new(w->a,
	    json_pack("{s:s,s:s,s:f,s:i,s:i,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I}",
	        "origin", i->origin, "state", og_state_name(i->state), "limit",
	        i->limit, "inflight", (int)i->inflight, "inflight_max",
	        (int)i->inflight_max, "latency", i->latency, "usual_latency",
	        i->base_latency, "paused_for",
	        i->paused_until > w->now ? i->paused_until - w->now : 0.0,
	        "requests", (json_int_t)i->requests, "failures",
	        (json_int_t)i->failures, "backoffs", (json_int_t)i->backoffs,
	        "breaker_opened", (json_int_t)i->breaker_opened, "retry_after",
	        (json_int_t)i->retry_after));
}

void
api_origins_get(struct api_req *r, void *priv)
{
	struct walk w = { .magic = WALK_MAGIC,
		.a = json_array(),
		.now = VTIM_real() };
	struct api_ctx *ctx;

	CAST_OBJ_NOTNULL(ctx, priv, API_CTX_MAGIC);
	AN(w.a);
	og_foreach(ctx->guard, one_json, &w);
	http_api_reply(r, 200, json_pack("{s:o}", "origins", w.a), NULL);
}

void
api_origins_metrics(struct http_api *api, struct origin_guard *g)
{
	AN(g);
	http_api_metrics(api, metrics, g);
}
