/*
 * The origin guard's state, read only.  Origin names come from Host
 * headers, which clients choose: core/metrics.c escapes them for
 * Prometheus's label syntax, and JSON escapes its own.
 */

#include "config.h"

#include "vdef.h"
#include "vas.h"
#include "miniobj.h"
#include "vtim.h"

#include "core/metrics.h"
#include "fetch/origin_guard.h"
#include "api_origins.h"
#include "http_api.h"
#include "routes.h"

struct walk {
	unsigned magic;
#define WALK_MAGIC 0x6f726977
	struct metrics *m;
	json_t *a;
	double now;
};

static void
one_metric(void *priv, const struct og_info *i)
{
	struct walk *w;
	struct metrics *m;
	const char *o = i->origin;

	CAST_OBJ_NOTNULL(w, priv, WALK_MAGIC);
	m = w->m;
	metrics_dbl(m, M_ORIGIN_LIMIT, i->limit, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_INFLIGHT, i->inflight, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_INFLIGHT_MAX, i->inflight_max, "origin", o,
	    NULL);
	metrics_u64(m, M_ORIGIN_OPEN, i->state != OG_CLOSED, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_PAUSED, i->paused_until > w->now, "origin", o,
	    NULL);
	metrics_dbl(m, M_ORIGIN_LATENCY, i->latency, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_REQUESTS, i->requests, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_FAILURES, i->failures, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_BACKOFFS, i->backoffs, "origin", o, NULL);
	metrics_u64(m, M_ORIGIN_BREAKER_OPENED, i->breaker_opened, "origin", o,
	    NULL);
	metrics_u64(m, M_ORIGIN_RETRY_AFTER, i->retry_after, "origin", o, NULL);
}

/* The origin guard's (priv) samples: one set per origin. */
void
api_origins_metrics(void *priv, struct metrics *m)
{
	struct walk w = { .magic = WALK_MAGIC, .m = m, .now = VTIM_real() };

	AN(priv);
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
